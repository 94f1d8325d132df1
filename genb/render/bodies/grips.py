"""Hand grips: how each finger and the thumb turn when a hand holds something.

A grip is a name (``box``, ``phone``) mapped to flexion angles in degrees: ``fingers`` for the
index to little fingers' three joints (knuckle, middle, tip joint) and ``thumb`` for the thumb's
three bones; a grip may also aim the thumb (``thumb_aim``: the thumb's first bone turned to point
``along`` degrees off the hand's long axis toward the thumb's side, ``lift`` degrees out of the
palm's plane toward the palmar side), so the thumb lies against what the palm holds instead of
sticking out. :func:`grip_rotations` turns a grip into rotations of a body model's own finger
joints, computed from its rest joints (the same angles mean the same grip on anny and on SMPL-X),
so the curl is part of the recorded pose parameters and the labelled body is the one rendered.
Which key poses hold what, and with which hand, is :func:`genb.render.scene.held.hand_grips`.
"""

from __future__ import annotations

import numpy as np

from genb.render.bodies.rotations import axis_angle_to_matrix, rotation_between

# grip -> {"fingers": (knuckle, middle, tip) degrees, "thumb": (base, middle, tip) degrees,
#          optionally "thumb_aim": (along, lift) degrees, which replaces the thumb's base flexion}
GRIP_CURLS: dict[str, dict[str, tuple[float, ...]]] = {
    # palms flat on the box's sides, the fingers hooked round its front edge
    "box": {"fingers": (80.0, 20.0, 10.0), "thumb": (-30.0, 0.0, 0.0)},
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


def palm_frame(chain: np.ndarray, wrist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A hand's frame in its rest pose: ``u`` along the hand (wrist to the middle finger's knuckle),
    ``n`` the palm's normal toward the palmar side (the side the thumb lies on), ``r`` across the
    palm toward the thumb's side; (3,) unit vectors each.

    Args:
        chain: (5, 4, 3) per finger (thumb first) its three joints' heads and its tip, metres.
        wrist: (3,) the wrist joint.
    """
    n = np.cross(chain[1, 0] - wrist, chain[4, 0] - wrist)
    n = n / np.linalg.norm(n) * np.sign(n @ (chain[0, 3] - wrist))
    u = chain[2, 0] - wrist
    u = u - n * (u @ n)
    u = u / np.linalg.norm(u)
    r = np.cross(n, u)
    return u, n, r * np.sign(r @ (chain[1, 0] - chain[4, 0]))


def grip_rotations(grip: str, chain: np.ndarray, wrist: np.ndarray) -> np.ndarray:
    """(5, 3, 3, 3) local rotations of a hand's finger joints (thumb first, knuckle to tip joint) for a
    grip, in the rest frame of the model whose rest joints ``chain`` (5, 4, 3) and ``wrist`` (3,)
    are (see :func:`palm_frame`): each joint turned about its flexion axis; with ``thumb_aim`` the
    thumb's first bone is instead turned (smallest rotation) to point along the aimed direction."""
    u, n, r = palm_frame(chain, wrist)
    axes = flexion_axes(np.stack([chain[:, :3], chain[:, 1:]], axis=2), n)  # (5, 3, 3)
    rot = axis_angle_to_matrix(axes * grip_angles(grip)[:, :, None])
    aim = GRIP_CURLS[grip].get("thumb_aim")
    if aim is not None:
        along, lift = np.radians(aim)
        target = np.cos(lift) * (np.cos(along) * u + np.sin(along) * r) + np.sin(lift) * n
        rot[0, 0] = rotation_between(chain[0, 1] - chain[0, 0], target)
    return rot
