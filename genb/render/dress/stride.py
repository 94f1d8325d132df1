"""A skirt's or a dress's cloth wrapped round a leg raised behind in a stride (a lunge, kneeling on one knee,
a runner's back leg): a step of :func:`~genb.render.dress.hang.hang_grid` between the skinning and the relaxation.

Skinned rigidly, the half of the skirt a shin carries keeps its rest offset from that shin: round a shin
raised behind, the cloth stands a wide tube 15-19 cm off it whose hem is a wide loop a few centimetres
below the knee, and the two strands that close the skirt between the legs leave the shin on its top and
underside: the inner side of the back shin comes out through the hem. Real cloth in a lunge is pulled
taut between the knees and lies on the back calf, the hem riding up the shin with it. So here the half
ring a raised back shin carries is laid round that shin as a sleeve (its columns spread over the whole
turn, the outer side of the skirt on the shin's outer side, the two middles meeting on its inner side:
the web between the knees), its radius the shin's own plus the cloth's offset and a little ease, each
vertex by its shin weight times how far the shin is raised behind (:func:`raised_behind`: none standing,
walking, sitting or crouching). The relaxation then keeps the columns' lengths and the cloth out of the legs.
Pure functions over numpy arrays (metres, world frame).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.capsules import PIECES

BACK = (0.7, 0.85)  # the shin's direction (knee to ankle) from this far behind to this (cosine with the pelvis's back):
# not to fully raised behind (a cross-legged shin, 0.66, runs back across under the other knee)
TILT = 0.3  # ... and this far above hanging straight down (its up component from -TILT to 0: not to fully raised)
BEHIND = 0.1  # metres: the ankle this far behind the hip (along the pelvis's back): fully behind
EASE = 0.02  # metres of cloth round the back shin beyond its widest capsule and the cloth's offset


def raised_behind(frames: tuple, k: int, ankle: np.ndarray) -> float:
    """How far (0..1) the shin of side ``k`` (0 left, 1 right) is raised behind the body, from the posed
    ``frames`` (``(F (5, 3, 3), O (5, 3))`` of :data:`~genb.render.dress.hang.SEGMENTS`) and its ``ankle``
    (3,): its direction's share towards the pelvis's back (:data:`BACK`), times how far it points above
    straight down, times how far the ankle is behind the hip (over :data:`BEHIND`: a cross-legged shin
    runs back under the other knee, its ankle in front of the hips)."""
    F, O = frames
    axis, back = F[2 + 2 * k][:, 0], F[0][:, 2]  # the pelvis frame's third column: the back (the rest body faces -y)
    behind = float((ankle - O[1 + 2 * k]) @ back)
    return float(np.clip((float(axis @ back) - BACK[0]) / (BACK[1] - BACK[0]), 0.0, 1.0) * np.clip((axis[2] + TILT) / TILT, 0.0, 1.0)
                 * np.clip(behind / BEHIND, 0.0, 1.0))


def wrap_back_shins(X: np.ndarray, weights: np.ndarray, theta: np.ndarray, frames: tuple, capsules: tuple,
                    offset: float) -> np.ndarray:
    """(rings, bins, 3) the skinned grid ``X`` with the cloth a raised back shin carries laid round it.

    Args:
        X: (rings, bins, 3) skinned loose grid. weights: (rings * bins, 5) its skin weights
            (:func:`~genb.render.dress.hang.skin_weights`; 2 the left shin, 4 the right).
        theta: (bins,) the rest grid's column angles (x to the left, y back). frames: the posed frames
            (:func:`raised_behind`). capsules: ``(A, B, R)`` the legs' capsules' starts (C, 3), ends (C, 3)
            and radii (C, SECTORS) (:func:`~genb.render.dress.capsules.leg_capsules`: per side a thigh's
            pieces then a shin's).
        offset: metres of cloth off the leg (the capsules' radii are the bare leg's).
    """
    F, _ = frames
    A, B, R = capsules
    out = X
    for k in (0, 1):
        knee, ankle = A[2 * PIECES * k + PIECES], B[2 * PIECES * (k + 1) - 1]
        f = weights[:, 2 + 2 * k].reshape(X.shape[:2]) * raised_behind(frames, k, ankle)  # (rings, bins)
        if not (f > 0).any():
            continue
        a, lateral, third = F[2 + 2 * k].T
        # the side's half turn of columns (left: -90..90 degrees, right: 90..270) over the whole turn
        # round the shin: the skirt's side on the shin's outer side, its middles on the inner side; the
        # rest back turns as the shin's frame turns it (to -third on either side)
        half = np.mod(theta - k * np.pi + np.pi, 2 * np.pi) - np.pi
        phi = np.clip(2.0 * half, -np.pi, np.pi)
        if k == 0:
            d = np.cos(phi)[:, None] * lateral - np.sin(phi)[:, None] * third
        else:
            d = -np.cos(phi)[:, None] * lateral + np.sin(phi)[:, None] * third
        s = (X - knee) @ a  # (rings, bins) along the shin from the knee
        span = max(float(np.linalg.norm(ankle - knee)), 1e-6)
        piece = 2 * PIECES * k + PIECES + np.clip((s / span * PIECES).astype(int), 0, PIECES - 1)
        r = R[piece].max(axis=-1) + offset + EASE
        wrapped = knee + s[..., None] * a + r[..., None] * d[None]
        out = out + f[..., None] * (wrapped - out)
    return out
