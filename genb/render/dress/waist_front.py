"""A skirt's front stays in front of the waist: its waistband level round the waist and no cloth
of its front over the back of the waist when the hips are flexed.

In front, the thighs carry a loose garment's cloth from :data:`~genb.render.dress.hang.FRONT_LIFT`
above the hip joints (a flexed hip lifts the cloth over the groin with the thigh). A child's waist
ring sits only 4-7 cm above the hip joints (an adult's 9-17 cm), so the thighs carried the front of
the waistband too; and a hip flexed past a right angle turns cloth that lies above the hip joint
over the top of the hip to the back (its top face then faces the belly: the cloth on it is pinched
between thigh and belly, and pushing it out of the thigh or the trunk carried it through to the
back of the waist, a strip of the front over the back). Two steps, pure numpy (metres, world frame):

1. :func:`keep_waistband`: the pelvis carries the top ring, its weight fading to the thighs'
   over :data:`KEEP` below it (the waistband stays level round the waist).
2. :func:`keep_front`: after the settling, cloth of the front columns that lies behind the waist
   ring's centre by more than :data:`LIMIT` of the waist's depth goes forward along the waist's
   front, to the first place where it is outside the skin or just under it (pinched between thigh
   and belly, where real cloth is hidden too), not further in front than the body lets it.
"""

from __future__ import annotations

import numpy as np

KEEP = 0.03  # metres: under the top ring the pelvis's weight fades to the skinning's over this much
LIMIT = 0.3  # share of the waist's depth behind its centre that the front's cloth may reach
FRONT = np.radians(75.0)  # columns within this angle of the front are the front's
BAND = (-0.2, 0.3)  # metres under and over the waist ring's centre where the front is kept in front
STEP = 0.005  # metres: the forward march's step
HIDDEN = 0.003  # metres: cloth at most this deep under the skin counts as on it (pinched, hidden)


def keep_waistband(W: np.ndarray, z: np.ndarray, z_top: float, keep: float | None = None) -> np.ndarray:
    """(G, 5) skinning weights ``W`` (G, 5) over the lower body's segments (pelvis first) with the
    pelvis's weight raised to 1 at the top ring (rest heights ``z`` (G,) metres, the top ring at
    ``z_top``), fading to ``W``'s own over ``keep`` metres under it; the legs' weights scaled down
    to match (rows still sum to 1)."""
    p = np.clip(1.0 - (z_top - z) / (KEEP if keep is None else keep), 0.0, 1.0)
    pelvis = np.maximum(W[:, 0], p)
    rest = 1.0 - W[:, 0]
    scale = np.where(rest > 1e-12, (1.0 - pelvis) / np.maximum(rest, 1e-12), 0.0)
    out = W * scale[:, None]
    out[:, 0] = pelvis
    return out


def waist_frame(ring: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The waist ring's frame from its vertices ``ring`` (bins, 3) (angles as the rest grid's: x to
    the left, y back): centre (3,), unit back (3,), depth (metres from the centre to the back's
    middle), unit up (3,) (the ring's normal, the winding's way)."""
    bins = len(ring)
    c = ring.mean(axis=0)
    theta = (np.arange(bins) + 0.5) / bins * 2 * np.pi
    back = ring[np.abs(theta - np.pi / 2) < 0.5].mean(axis=0) - c
    depth = float(np.linalg.norm(back))
    back = back / max(depth, 1e-9)
    up = np.linalg.svd(ring - c)[2][2]
    up = up * np.sign(up @ np.cross(ring[0] - c, ring[bins // 4] - c))
    return c, back, depth, up


def keep_front(X: np.ndarray, tree, points: np.ndarray, normals: np.ndarray, limit: float | None = None) -> np.ndarray:
    """(rings, bins, 3) the settled grid ``X`` with its front's cloth kept in front of the waist.

    Args:
        X: (rings, bins, 3) a loose grid (ring 0 the waist; columns at the rest grid's angles).
        tree, points, normals: a cKDTree of the trunk's and legs' skin ``points`` (M, 3) and their
            unit outward ``normals`` (M, 3).
        limit: share of the waist's depth behind its centre the front's cloth may reach.
    Returns:
        a copy of ``X`` where each front vertex (within :data:`FRONT` of the front, within
        :data:`BAND` of the waist's height) behind ``limit`` of the depth has gone forward along the
        waist's front to ``limit``, then on in :data:`STEP` steps to the first place at most
        :data:`HIDDEN` under the skin (its nearest skin vertex's normal), at most the waist's depth.
    """
    limit = LIMIT if limit is None else limit
    rings, bins, _ = X.shape
    c, back, depth, up = waist_frame(X[0])
    theta = (np.arange(bins) + 0.5) / bins * 2 * np.pi
    cols = np.flatnonzero(np.abs(theta - 1.5 * np.pi) < FRONT)
    P = X[1:, cols].reshape(-1, 3)
    b, h = (P - c) @ back, (P - c) @ up
    bad = np.flatnonzero((b > limit * depth) & (h > BAND[0]) & (h < BAND[1]))
    if not len(bad):
        return X
    steps = np.arange(int(np.ceil(depth / STEP)) + 1) * STEP  # (K,)
    start = P[bad] - ((b[bad] - limit * depth)[:, None]) * back  # on the limit's plane
    Q = start[:, None, :] - steps[None, :, None] * back  # (n, K, 3)
    _, i = tree.query(Q.reshape(-1, 3))
    under = -np.einsum("ij,ij->i", Q.reshape(-1, 3) - points[i], normals[i]).reshape(len(bad), len(steps))
    ok = under <= HIDDEN
    k = np.where(ok.any(axis=1), ok.argmax(axis=1), 0)
    out = X.copy()
    moved = P.copy()
    moved[bad] = Q[np.arange(len(bad)), k]
    out[1:, cols] = moved.reshape(rings - 1, len(cols), 3)
    return out
