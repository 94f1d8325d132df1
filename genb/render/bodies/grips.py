"""Hand grips: how far each finger joint curls when a hand holds something.

A grip is a name (``box``, ``phone``) mapped to flexion angles in degrees: ``fingers`` for the
index to little fingers' three joints (knuckle, middle, tip joint) and ``thumb`` for the thumb's
three bones. A body model turns the angles into rotations of its own finger joints about each
finger's flexion axis (:meth:`genb.render.bodies.anny_body.AnnyBody.pose` ``grips``), so the
curl is part of the recorded pose parameters and the labelled body is the one rendered.
Which key poses hold what, and with which hand, is :func:`genb.render.scene.held.hand_grips`.
"""

from __future__ import annotations

import numpy as np

# grip -> {"fingers": (knuckle, middle, tip) degrees, "thumb": (base, middle, tip) degrees}
GRIP_CURLS: dict[str, dict[str, tuple[float, float, float]]] = {
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
