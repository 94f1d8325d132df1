"""Hand grips: how each finger and the thumb turn when a hand holds something.

A grip is a name (``box``, ``phone``) mapped to flexion angles in degrees: ``fingers`` for the
index to little fingers' three joints (knuckle, middle, tip joint) and ``thumb`` for the thumb's
three bones. :func:`grip_rotations` turns a grip into local rotations of a body model's own finger
joints about each bone's flexion axis, computed from its rest joints (the same angles mean the same
grip on anny, whose finger bones take them, and on SMPL-X, whose hand pose they become), so the curl
is part of the recorded pose parameters and the labelled body is the one rendered.
Which key poses hold what, and with which hand, is :func:`genb.render.scene.held.hand_grips`.
"""

from __future__ import annotations

import numpy as np

from genb.render.bodies.rotations import axis_angle_to_matrix

# grip -> {"fingers": (knuckle, middle, tip) degrees, "thumb": (base, middle, tip) degrees,
#          optionally "thumb_spread": degrees the thumb's base turns in the palm's plane away from the fingers
#          (toward the wrist; negative: toward the fingers), optionally "fingers_together": the share of
#          the rest angle (in the palm's plane) between the index, ring or little finger and the middle
#          finger that the grip closes}
GRIP_CURLS: dict[str, dict[str, tuple[float, ...] | float]] = {
    # hands flat on the box's sides, the fingers lying forward along the side faces (nearly straight) and
    # the thumb beside the index finger in the palm's plane (turned out of the palm and toward the
    # fingers), pointing forward along the side face, not up (hooking the fingers round the box's front
    # edge left no anatomical thumb angle that does not stand up or poke ahead of the front face)
    # with the fingers brought most of the way together (a splayed hand reads as a wave, not a carry)
    "box": {"fingers": (10.0, 5.0, 5.0), "thumb": (-15.0, 0.0, 0.0), "thumb_spread": -30.0, "fingers_together": 0.7},
    # a phone lying on the palm, the fingers round its long edge
    "phone": {"fingers": (10.0, 15.0, 10.0), "thumb": (0.0, 10.0, 5.0)},
}
SIDES = ("left", "right")


def grip_angles(grip: str) -> np.ndarray:
    """(5, 3) flexion angles in radians, thumb first (row 0), then index to little finger."""
    curl = GRIP_CURLS[grip]
    return np.radians(np.array([curl["thumb"]] + [curl["fingers"]] * 4, np.float64))


def flexion_axes(heads: np.ndarray, palm_normal: np.ndarray) -> np.ndarray:
    """(..., 3) unit axes about which a positive rotation bends each bone toward the palm.

    Args:
        heads: (..., 2, 3) the bone's head and the head of the next bone along the finger (or the
            tip), in the reference pose, metres.
        palm_normal: (3,) the palm's normal, pointing out of the palm (the palmar side).
    Returns:
        axis = normalise(direction x palm_normal): rotating the direction by +angle about it turns
        it toward the palm normal (Rodrigues: (d x n) x d = n - d (d.n)).
    """
    d = heads[..., 1, :] - heads[..., 0, :]
    a = np.cross(d, palm_normal)
    return a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)


def finger_chain(heads: np.ndarray) -> np.ndarray:
    """(5, 4, 3) each finger's three joint heads (``heads`` (5, 3, 3), thumb first) and its tip, one
    more last bone's length past its last joint."""
    return np.concatenate([heads, (heads[:, 2] + (heads[:, 2] - heads[:, 1]))[:, None]], axis=1)


def palm_normal(chain: np.ndarray, wrist: np.ndarray) -> np.ndarray:
    """(3,) a hand's palm normal in its rest pose, toward the palmar side (the side the thumb lies on).

    Args:
        chain: (5, 4, 3) per finger (thumb first) its three joints' heads and its tip, metres.
        wrist: (3,) the wrist joint.
    """
    n = np.cross(chain[1, 0] - wrist, chain[4, 0] - wrist)
    return n / np.linalg.norm(n) * np.sign(n @ (chain[0, 3] - wrist))


def grip_rotations(grip: str, chain: np.ndarray, wrist: np.ndarray) -> np.ndarray:
    """(5, 3, 3, 3) local rotations of a hand's finger joints (thumb first, knuckle to tip joint) for a
    grip, each about its bone's flexion axis (:func:`flexion_axes`), in the rest frame of the model
    whose rest joints ``chain`` (5, 4, 3) and ``wrist`` (3,) are (see :func:`palm_normal`)."""
    n = palm_normal(chain, wrist)
    axes = flexion_axes(np.stack([chain[:, :3], chain[:, 1:]], axis=2), n)  # (5, 3, 3)
    rot = axis_angle_to_matrix(axes * grip_angles(grip)[:, :, None])
    spread = np.radians(float(GRIP_CURLS[grip].get("thumb_spread", 0.0)))
    if spread:  # about the palm's normal, the sign that turns the thumb from the fingers (toward the wrist)
        d, back = chain[0, 1] - chain[0, 0], wrist - chain[2, 0]
        turn = n * (spread * np.sign(n @ np.cross(d, back)))
        rot[0, 0] = axis_angle_to_matrix(turn[None])[0] @ rot[0, 0]
    together = float(GRIP_CURLS[grip].get("fingers_together", 0.0))
    if together:  # the knuckles turn about the palm's normal toward the middle finger
        rot[1:, 0] = axis_angle_to_matrix(n * (together * _toward_middle(chain, n))[:, None]) @ rot[1:, 0]
    return rot


def _toward_middle(chain: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(4,) signed angles (radians) about the palm normal ``n`` (3,) from each finger's first bone (index
    to little, in ``chain`` (5, 4, 3)) to the middle finger's, in the palm's plane (0 for the middle)."""
    d = chain[1:, 1] - chain[1:, 0]
    d = d - np.outer(d @ n, n)
    mid = d[1]
    return np.arctan2(np.cross(d, mid) @ n, d @ mid)
