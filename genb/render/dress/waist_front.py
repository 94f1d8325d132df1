"""A skirt's front stays in front of the waist: no cloth of its front over the back of the waist
when the hips are flexed (sitting, crouching, kneeling, lunging; a child the most).

In front, the thighs carry a loose garment's cloth from :data:`~genb.render.dress.hang.FRONT_LIFT`
(18 cm) above the hip joints: a flexed hip lifts the cloth over the groin with the thigh. A child's
waist ring sits only 5-7 cm above the hip joints (an adult's 9-17 cm), so the thighs carry the
front of the waistband too, and a hip flexed past a right angle turns cloth that lies above the
hip joint over the top of the hip towards the back: the thigh's top face then faces the belly, the
cloth on it is pinched between thigh and belly, and pushing it out of the thigh's capsule
(:func:`~genb.render.dress.hang.relax`) and out along the nearest skin's normal
(:mod:`~genb.render.dress.settle`, where the nearest skin is the back's) carried it through to
the back of the waist: a strip of the front over the back, over a slit.

:func:`keep_front` is the last word on it, after the settling: cloth of the front columns that
lies behind the body's waist centre by more than :data:`LIMIT` of the waist's depth goes forward
along the waist's front (the posed pelvis's frame) to that plane, then on in :data:`STEP` steps to
the first place where it is outside the skin or at most :data:`HIDDEN` under it (pinched between
thigh and belly, where real cloth is hidden too): the waistband's front on the belly, the cloth of
the groin in the fold of the hip. Vectorised numpy, one k-d tree query; metres, world frame.
Tried first and not kept: the pelvis carrying the top ring (the waistband level round the waist)
lets a crouch's raised thighs out over the waist ring (test_hang: 20 % of a child's thigh through
the skirt crouching, the lap 0.96 covered).
"""

from __future__ import annotations

import numpy as np

LIMIT = 0.3  # share of the waist's depth behind its centre that the front's cloth may reach
FRONT = np.radians(75.0)  # columns within this angle of the front are the front's
BAND = (-0.2, 0.3)  # metres under and over the waist's centre (along the pelvis's up) where the front is kept
STEP = 0.005  # metres: the forward march's step
REACH = 2.0  # the march goes at most this many waist depths forward from the limit's plane
HIDDEN = 0.003  # metres: cloth at most this deep under the skin counts as on it (pinched, hidden)


def waist_frame(ring: np.ndarray, pelvis: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The body's waist frame: centre (3,) of its waist ring's vertices ``ring`` (k, 3), unit back
    (3,) and up (3,) from the posed pelvis frame ``pelvis`` (3, 3) (columns: up, to the left, back:
    :func:`~genb.render.dress.hang._frames`), depth (metres from the centre to the ring's back)."""
    c = ring.astype(np.float64).mean(axis=0)
    back, up = pelvis[:, 2], pelvis[:, 0]
    return c, back, float(((ring.astype(np.float64) - c) @ back).max()), up


def keep_front(X: np.ndarray, tree, points: np.ndarray, normals: np.ndarray, frame: tuple) -> np.ndarray:
    """(rings, bins, 3) the settled grid ``X`` with its front's cloth kept in front of the waist.

    Args:
        X: (rings, bins, 3) a loose grid (ring 0 the waist; columns at the rest grid's angles,
            x to the left, y back: :func:`~genb.render.dress.hang.hang_grid`).
        tree, points, normals: a cKDTree of the trunk's and legs' skin ``points`` (M, 3) and their
            unit outward ``normals`` (M, 3).
        frame: ``(centre, back, depth, up)`` of :func:`waist_frame`.
    Returns:
        ``X`` (a copy where any moved) with each front vertex (within :data:`FRONT` of the front,
        within :data:`BAND` of the waist's height) behind :data:`LIMIT` of the depth moved forward
        along the waist's front to that plane, then on to the first :data:`STEP` at most
        :data:`HIDDEN` under the skin (its nearest skin vertex's normal), at most :data:`REACH`
        depths on (none there: the shallowest).
    """
    c, back, depth, up = frame
    rings, bins, _ = X.shape
    theta = (np.arange(bins) + 0.5) / bins * 2 * np.pi
    cols = np.flatnonzero(np.abs(theta - 1.5 * np.pi) < FRONT)
    P = X[:, cols].reshape(-1, 3)
    b, h = (P - c) @ back, (P - c) @ up
    bad = np.flatnonzero((b > LIMIT * depth) & (h > BAND[0]) & (h < BAND[1]))
    if not len(bad):
        return X
    steps = np.arange(int(np.ceil(REACH * depth / STEP)) + 1) * STEP  # (K,)
    start = P[bad] - (b[bad] - LIMIT * depth)[:, None] * back  # on the limit's plane
    Q = (start[:, None, :] - steps[None, :, None] * back).reshape(-1, 3)  # (n * K, 3)
    _, i = tree.query(Q)
    under = -np.einsum("ij,ij->i", Q - points[i], normals[i]).reshape(len(bad), len(steps))
    ok = under <= HIDDEN
    k = np.where(ok.any(axis=1), ok.argmax(axis=1), under.argmin(axis=1))
    P[bad] = Q.reshape(len(bad), len(steps), 3)[np.arange(len(bad)), k]
    out = X.copy()
    out[:, cols] = P.reshape(rings, len(cols), 3)
    return out
