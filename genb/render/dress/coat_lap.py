"""A seated coat's tail laid on the lap: its front comes down onto the thighs instead of standing off them.

Seated (:func:`~genb.render.dress.coat_tail.on_chair`), a coat's tail hangs from the shell's hem ring
(:mod:`~genb.render.dress.coat_join`), which in front runs across the hip crease; the rings below it were
kept out of the thighs' capsules and the skin but nothing drew them down: the front panels went on forward
from the hem nearly level, a flat sheet 6-10 cm over the thighs (a child's sitting_relaxed), their cut edges
and the slit between them seen from above and the front, the knees showing under them. Here each vertex of
the tail in front of the hips drops straight down to :data:`CLEAR` over the highest skin of the legs under
it (within :data:`REACH` across), the drop faded in over :data:`FADE` of cloth below the top ring (which stays on the hem)
and smoothed around each ring (at most :data:`DEEPEST`), so the cloth past a thigh's side follows it down part of the way;
the drop is then softened over the grid (:func:`_soften`: without it the side past the thigh stood up as a
jagged sheet). Never up,
never below its clearance over the skin. :func:`over_cloth` then raises it over the trousers or skirt worn
under it (the dresser, with their posed meshes): seen from above, lap points whose tail lay within 2 mm of
the trousers or under them (flecks of trousers through it), 63 of 849 -> 13 (tests/test_coat_lap.py;
trousers 1.6 cm thick: a third of the lap -> a few %). Before the lap, :func:`hug` draws the sides in round the hips and thighs (no wings spread on the seat).
Pure functions over numpy arrays (posed frame, z up, metres).
"""

from __future__ import annotations

import numpy as np

CLEAR = 0.03  # metres over the skin: trousers (1.2-1.7 cm), the coat's own thickness and the chords between its columns
REACH = 0.02  # metres across: the skin under a point is the skin within this of its vertical
FADE = 0.08  # metres of cloth down a column from the top ring over which the drop comes in
AHEAD = 0.04  # metres in front of the hip joints over which the front's share ramps in
DEEPEST = 0.1  # metres: the most a point drops (past the knees the cloth would find the shins and feet)
CELL = 0.01  # metres: the leg skin's height map's squares
OVER = 0.008  # metres the tail keeps over the cloth under it (over_cloth): its own half thickness and a gap
HIGHEST = 0.045  # metres: the most the tail is raised over the cloth (over_cloth)
SPREAD = 2  # passes of over_cloth's lift spread to its grid neighbours
SMOOTH = 3  # passes of averaging the drop with each point's two ring neighbours


def lay(X: np.ndarray, points: np.ndarray, keypoints: np.ndarray, clear: float = CLEAR, fade: float = FADE) -> np.ndarray:
    """(rings, bins, 3) the seated tail ``X`` (rings, bins, 3; ring 0 on the coat's hem, kept) with its front
    laid on the thighs (see the module). ``points``: (N, 3) the posed legs' skin; ``keypoints``: (25, 3)
    BODY25 (the hips' line gives the front); ``clear``: metres it keeps over the skin, ``fade``: metres of cloth
    down a column over which the drop comes in (a skirt's lap, :mod:`~genb.render.dress.seat_lap`: its own offset,
    from lower under the waist)."""
    X = np.asarray(X, np.float64)
    rings, bins, _ = X.shape
    if rings < 2 or not len(points):
        return X
    ahead, low = _ahead(X, keypoints)
    front = np.clip(ahead / AHEAD, 0.0, 1.0) * low
    P = np.asarray(points, np.float64)
    support = np.full(rings * bins, -np.inf)
    on = np.ravel(front > 0)
    support[on] = _support(X.reshape(-1, 3)[on], P)
    support = support.reshape(rings, bins)
    drop = np.where(np.isfinite(support), np.maximum(X[..., 2] - (support + clear), 0.0), np.nan)
    allowed = np.where(np.isfinite(support), drop, np.inf)
    drop = _smooth(np.where(front > 0, drop, 0.0))
    edge = np.linalg.norm(np.diff(X, axis=0), axis=-1)
    down = np.vstack([np.zeros((1, bins)), np.cumsum(edge, axis=0)])  # cloth down each column from the top ring
    drop = np.minimum(np.minimum(drop, allowed), DEEPEST) * front * np.clip(down / fade, 0.0, 1.0)
    drop = np.minimum(_soften(drop), allowed)  # no steps between the lap and the sides
    Y = X.copy()
    Y[..., 2] -= drop
    return Y


def hug(X: np.ndarray, body: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(rings, bins, 3) the seated, settled tail ``X`` (rings, bins, 3; ring 0 on the coat's hem, kept) with its sides
    drawn in round the hips and thighs: each point outside their outline seen from above plus
    :data:`~genb.render.dress.coat_hang.LEG_CLEAR` (or outside the hem ring's own reach) moved in horizontally onto it,
    its column lowered to keep its edges' lengths (:func:`~genb.render.dress.coat_flare.cap`; the seat's push at the
    end lays what went into the seat on its top). The rest cut stands the coat's margin off the hips (its stacked thickness
    and ease over the outermost layer's, 10-13 cm) and seated the leg capsules keep it there; the sides rotated forward
    with the thighs lay on the seat as flat wings, 12-19 cm past the thighs (tests/test_coat_wings.py). ``body``:
    (n, 3) the trunk's and legs' skin; ``keypoints``: (25, 3) BODY25."""
    from genb.core.conventions import BODY25_INDEX as K25
    from genb.render.dress.coat_flare import cap
    from genb.render.dress.coat_hang import LEG_CLEAR

    kp = np.asarray(keypoints, np.float64)
    return cap(X, body, 0.5 * (kp[K25["left_hip"], :2] + kp[K25["right_hip"], :2]), LEG_CLEAR)


def _ahead(X: np.ndarray, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rings, bins) metres each point of the tail ``X`` lies in front of the hips (along the way the person
    faces, horizontally) and (rings, bins) bool: whether it is less than 30 cm below the hips."""
    from genb.core.conventions import BODY25_INDEX as K25
    from genb.render.dress.coat_tail import _back

    hip, back = _back(keypoints)
    h = np.asarray(keypoints, np.float64)[[K25["left_hip"], K25["right_hip"]], 2].mean()
    return -((X[..., 0] - hip[0]) * back[0] + (X[..., 1] - hip[1]) * back[1]), X[..., 2] > h - 0.3


def over_cloth(X: np.ndarray, cloth: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
    """(rings, bins, 3) the laid tail ``X`` (rings, bins, 3, :func:`lay`'s) with its front raised where it lies
    under or within :data:`OVER` of the cloth worn under it (``cloth``: (N, 3) the trousers' or skirt's posed
    vertices): straight up to :data:`OVER` over the highest of it within :data:`REACH` across (if that is less than
    :data:`HIGHEST` up: the cloth over a shin the tail hangs in front of is the thigh's), the lift spread
    over the grid (never lowered; ring 0, on the coat's hem, kept). :func:`lay` drops the tail to
    :data:`CLEAR` over the skin; trousers with their ease and their filled seat stand up to 3 cm off it, and
    the tail met them there (13 % of the lap's points seen from above, a third with 1.6 cm trousers). None
    where nothing is raised."""
    X = np.asarray(X, np.float64)
    rings, bins, _ = X.shape
    if rings < 2 or not len(cloth):
        return None
    ahead, low = _ahead(X, keypoints)
    front = np.ravel((ahead > 0) & low)
    front[:bins] = False
    need = np.zeros(rings * bins)
    need[front] = np.maximum(_support(X.reshape(-1, 3)[front], np.asarray(cloth, np.float64)) + OVER - X.reshape(-1, 3)[front, 2], 0.0)
    need = np.where(need < HIGHEST, need, 0.0).reshape(rings, bins)  # higher: another part's cloth (a thigh over a shin)
    if not (need > 0).any():
        return None
    lift = need
    for _ in range(SPREAD):  # spread over the grid, never below what is needed
        lift = np.maximum(lift, _soften(lift))
    lift[0] = 0.0
    Y = X.copy()
    Y[..., 2] += lift
    return Y


def _support(Q: np.ndarray, P: np.ndarray) -> np.ndarray:
    """(M,) the highest z of the leg skin ``P`` (N, 3) within :data:`REACH` across of each point of ``Q`` (M, 3)
    (a height map of :data:`CELL` squares, its maximum over the squares within :data:`REACH`); -inf where none.
    The legs' skin is under the cloth over them."""
    out = np.full(len(Q), -np.inf)
    if not len(Q) or not len(P):
        return out
    lo = Q[:, :2].min(axis=0) - REACH
    n = int(np.ceil(REACH / CELL))
    shape = (np.ceil((Q[:, :2].max(axis=0) + REACH - lo) / CELL).astype(int) + 1 + 2 * n)
    ij = np.floor((P[:, :2] - lo) / CELL).astype(int) + n
    ok = (ij >= 0).all(axis=1) & (ij < shape).all(axis=1)
    H = np.full(shape, -np.inf)
    np.maximum.at(H, (ij[ok, 0], ij[ok, 1]), P[ok, 2])
    D = H.copy()
    for a in range(-n, n + 1):  # the maximum over the squares within REACH
        for b in range(-n, n + 1):
            D[n:-n, n:-n] = np.maximum(D[n:-n, n:-n], H[n + a:shape[0] - n + a, n + b:shape[1] - n + b])
    q = np.floor((Q[:, :2] - lo) / CELL).astype(int) + n
    return D[q[:, 0], q[:, 1]]


def _soften(d: np.ndarray) -> np.ndarray:
    """(rings, bins) the drop ``d`` averaged :data:`SMOOTH` times with its four grid neighbours (around the ring and
    down the column; ring 0 stays where it is, the last ring takes its own in place of the one below)."""
    d = np.asarray(d, np.float64).copy()
    for _ in range(SMOOTH):
        below = np.vstack([d[1:], d[-1:]])
        above = np.vstack([d[:1], d[:-1]])
        e = (d + np.roll(d, 1, axis=1) + np.roll(d, -1, axis=1) + above + below) / 5.0
        e[0] = d[0]
        d = e
    return d


def _smooth(d: np.ndarray) -> np.ndarray:
    """(rings, bins) the drop ``d`` averaged :data:`SMOOTH` times with each point's two ring neighbours (a
    point with no skin under it, NaN, takes its neighbours' mean; 0 when they have none either)."""
    d = np.asarray(d, np.float64)
    for _ in range(SMOOTH):
        stack = np.stack([d, np.roll(d, 1, axis=1), np.roll(d, -1, axis=1)])
        ok = np.isfinite(stack)
        s = np.where(ok, stack, 0.0).sum(axis=0)
        n = ok.sum(axis=0)
        d = np.where(n > 0, s / np.maximum(n, 1), np.nan)
    return np.nan_to_num(d, nan=0.0)
