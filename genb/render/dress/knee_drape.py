"""A skirt or a dress on folded knees (crouching, sitting on the ground with the knees drawn up) falls close
round the legs instead of standing out as a bell: a step of :func:`~genb.render.dress.hang.hang_grid` after
the relaxation, before the settling.

Skinned to the thighs, the cut's cone round each hip turns with a raised thigh: its outer half stood out
sideways from the thigh and the knee, 10-20 cm past them, and the relaxation's light gravity only let it
sag into a wide bell down to the ground (a knee-length dress knees up: a white bell all round the sitter,
the shins through its hem). Cloth hangs from what holds it up: seen from above it lies within the outline
of the legs and the hips above it. Here each vertex of the grid below the waist ring moves in horizontally,
along its direction from the vertical through the legs' middle (hips, knees and ankles: rays from one axis
never cross, so the cloth never folds over itself), to within :data:`MARGIN` of that outline (the convex
hull seen from above of the legs' and the hips' skin from :data:`SLACK` under it upwards, a circumscribed
:data:`DIRECTIONS`-gon, as :mod:`~genb.render.dress.curtain`'s), times how folded the knees are
(:func:`folded`). The settling then lays it on the skin. With a knee on the ground (:func:`~genb.render.dress.fall.low`)
and the other up (:func:`raised`: a lunge, kneeling on one knee) the same after the fall, on the raised leg's side
(:func:`ahead`), for a skirt or dress reaching below the knee (:func:`reaching`; a knee-length one ends about the
raised knee: nothing changes for it, bit for bit): the fall drops the cloth straight down, so the cut's cone round a raised front thigh stood past
the knee and fell round the shin as a sack (``tests/test_skirt_lunge.py``: below the higher knee on its side, mean
2.64 cm outside the outline over lunges and one-knee kneels x 4 bodies x a long skirt and dress on ccda6a9,
0.52 cm now). Standing, walking, on a chair, kneeling on both knees, cross-legged, legs out nothing changes (bit
for bit).

Pure functions over numpy arrays (world frame, metres, Z up).
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.settle import smooth

FOLD = (110.0, 120.0)  # degrees the flatter knee is bent (between hip to knee and knee to ankle): nothing at FOLD[0]
# or less (a chair 88, leaning forward on it 98, a run 97 at most), all of it at FOLD[1] or more (crouching 137,
# sitting on the ground with the knees up 127)
RAISED = (0.3, 0.45)  # the higher knee's height over the ground per leg length: a knee down and this one up (a lunge,
# kneeling on one knee 0.59-0.65), nothing at RAISED[0] or lower (kneeling 0.19-0.20, cross-legged 0.06, legs out 0.21-0.25)
LONG = (0.85, 0.95)  # the cloth's length down its columns per leg length: a skirt to below the knee, nothing at LONG[0]
# or shorter (a knee-length skirt 0.73-0.83 in lunges and one-knee kneels: it ends about the raised knee, no curtain
# hangs under it; the child's lunge's 0.88, a third), all of it at LONG[1] or longer (a skirt to the shin, bedlam seed 381
# sample 3's 0.97; to above the ankle or a long dress 1.14-1.25)
AHEAD = 0.1  # metres towards the raised knee from the legs' middle over which a lunge's cloth comes to move wholly
MARGIN = 0.03  # metres of cloth allowed outside the outline (its offset off the skin, its ease)
SLACK = 0.03  # metres: the outline at a height is that of the skin from this far under it upwards
SLICE = 0.01  # metres: the outline is taken per slice of this height
DIRECTIONS = 32  # the outline's support directions (a circumscribed 32-gon: within 0.5 % of its radius)
TRUNK = 0.35  # the hips' skin holds the cloth up to this trunk coordinate (0 hips, 1 shoulders; the waist 0.3)
EVERY = 3  # one skin vertex in this many holds the outline (about 1 cm apart)
SMOOTH = 3  # Jacobi rounds smoothing the moves over the grid (settle.smooth; 0: test_hang's sawtooth mean 4.75 %)
CELL = 0.02  # metres: cloth over skin within about this much (seen from above) rests on it and stays where it is
_IDS: dict = {}  # id(atlas) -> (atlas, its support_ids)


def folded(pc: dict) -> float:
    """How folded both knees are, 0 (standing, walking, running, sitting on a chair) to 1 (crouching, sitting on
    the ground with the knees up): the flatter of the two knees' bends (the angle between hip to knee and knee to
    ankle of the posed centres ``pc``, :func:`~genb.render.dress.hang.centres`) ramped over :data:`FOLD`."""
    bend = 180.0
    for side in ("left", "right"):
        u, w = pc[f"{side}_knee"] - pc[f"{side}_hip"], pc[f"{side}_ankle"] - pc[f"{side}_knee"]
        c = float(u @ w) / max(float(np.linalg.norm(u) * np.linalg.norm(w)), 1e-12)
        bend = min(bend, float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))))
    return float(np.clip((bend - FOLD[0]) / (FOLD[1] - FOLD[0]), 0.0, 1.0))


def raised(pc: dict, ground: float) -> float:
    """How high the higher knee stands, 0 (both knees low: kneeling, cross-legged, legs out) to 1 (a knee up: a
    lunge, kneeling on one knee): its height over the ``ground`` per leg length (hip to knee to ankle, the mean of
    the posed centres ``pc``' two legs) ramped over :data:`RAISED`."""
    top, legs = -9.0, 0.0
    for side in ("left", "right"):
        hip, knee, ankle = pc[f"{side}_hip"], pc[f"{side}_knee"], pc[f"{side}_ankle"]
        top = max(top, float(knee[2]) - ground)
        legs += 0.5 * float(np.linalg.norm(knee - hip) + np.linalg.norm(ankle - knee))
    return float(np.clip((top / max(legs, 1e-9) - RAISED[0]) / (RAISED[1] - RAISED[0]), 0.0, 1.0))


def reaching(X: np.ndarray, pc: dict) -> float:
    """How far a grid ``X`` (rings, bins, 3) reaches down the legs, 0 (to about the knee) to 1 (towards the
    ankle): the median over its columns of their length (the sum of their edges) per leg length (hip to knee to
    ankle, the mean of the posed centres ``pc``' two legs), ramped over :data:`LONG`. A knee-length skirt on a raised
    knee ends about it: moved in there, its few short rings turned back on themselves (``tests/test_hang.py``'s
    sawtooth, the child kneeling on one knee 7.6 -> 8.3 %) for no curtain to hang."""
    legs = 0.5 * sum(float(np.linalg.norm(pc[f"{s}_knee"] - pc[f"{s}_hip"]) + np.linalg.norm(pc[f"{s}_ankle"] - pc[f"{s}_knee"]))
                     for s in ("left", "right"))
    e = np.diff(np.asarray(X, np.float64), axis=0)
    col = np.sqrt(e[..., 0] ** 2 + e[..., 1] ** 2 + e[..., 2] ** 2).sum(axis=0)
    return float(np.clip((float(np.median(col)) / max(legs, 1e-9) - LONG[0]) / (LONG[1] - LONG[0]), 0.0, 1.0))


def ahead(points: np.ndarray, centre: np.ndarray, pc: dict) -> np.ndarray:
    """(K,) 0 to 1: how far the points (K, 3) lie towards the higher knee of the posed centres ``pc`` from the
    vertical through ``centre`` (3,), seen from above, ramped over :data:`AHEAD`: the raised leg's side, where the
    cloth hangs from the knee; the other leg's (a lunge's back shin in the hem's sleeve, :mod:`~genb.render.dress.stride`)
    keeps its place."""
    knee = max((pc["left_knee"], pc["right_knee"]), key=lambda k: float(k[2]))
    f = np.asarray(knee[:2] - centre[:2], np.float64)
    f /= max(float(np.hypot(f[0], f[1])), 1e-9)
    along = (points[:, 0] - centre[0]) * f[0] + (points[:, 1] - centre[1]) * f[1]
    return np.clip(along / AHEAD, 0.0, 1.0)


def lunge(X: np.ndarray, pc: dict, floor: float) -> float:
    """0 to 1: how much a grid ``X`` (rings, bins, 3) hangs from a raised knee: a knee on the ground
    (:func:`~genb.render.dress.fall.low`), the other up (:func:`raised`), the cloth long enough to hang below it
    (:func:`reaching`). ``pc``: the posed centres; ``floor``: the ground's height."""
    from genb.render.dress.fall import low

    up = low(pc, floor) * raised(pc, floor)
    return up * reaching(X, pc) if up > 0.0 else up


def support_ids(atlas) -> np.ndarray:
    """(S,) body vertex ids that hold a skirt up: the thighs, shins and the trunk under :data:`TRUNK`, one in
    :data:`EVERY`."""
    legs = np.isin(atlas.parts, [PART_INDEX[f"{s}_{p}_leg"] for s in ("left", "right") for p in ("upper", "lower")])
    hips = (atlas.parts == PART_INDEX["torso"]) & (atlas.torso < TRUNK)
    return np.flatnonzero(legs | hips)[::EVERY]


def _directions() -> np.ndarray:
    a = 2.0 * np.pi * np.arange(DIRECTIONS) / DIRECTIONS
    return np.stack([np.cos(a), np.sin(a)], axis=1)


def _along(p: np.ndarray, U: np.ndarray) -> np.ndarray:
    """(N, D) the horizontal part of ``p`` (N, 3) along each unit ``U`` (D, 2) (element-wise, not a BLAS
    product: the same bits on every CPU)."""
    return p[:, :1] * U[:, 0] + p[:, 1:2] * U[:, 1]


def outline(support: np.ndarray, z0: float, bins: int) -> np.ndarray:
    """(bins, DIRECTIONS) per slice of :data:`SLICE` from ``z0`` up, the support function (the farthest reach
    along each direction) of the ``support`` points (S, 3) from :data:`SLACK` under the slice upwards (-inf:
    none)."""
    own = np.full((bins, DIRECTIONS), -np.inf)
    b = np.clip(np.floor((support[:, 2] - z0) / SLICE).astype(np.int64), 0, bins - 1)
    np.maximum.at(own, b, _along(support, _directions()))
    out = np.maximum.accumulate(own[::-1], axis=0)[::-1]  # all that lies above
    for k in range(1, int(round(SLACK / SLICE)) + 1):  # and a little below
        out[k:] = np.maximum(out[k:], own[:-k])
    return out


def inward(points: np.ndarray, centre: np.ndarray, support: np.ndarray) -> np.ndarray:
    """(K,) metres each point (K, 3) lies outside the outline at its height (:func:`outline`) plus
    :data:`MARGIN`, along its horizontal direction to the vertical through ``centre`` (3,): how far it moves in
    along it to come within (0 inside, or where nothing lies above it; at most its distance to that vertical)."""
    K = len(points)
    if not K or not len(support):
        return np.zeros(K)
    z0 = float(min(points[:, 2].min(), support[:, 2].min()))
    bins = int(np.floor((max(points[:, 2].max(), support[:, 2].max()) - z0) / SLICE)) + 1
    U = _directions()
    H = outline(support, z0, bins)[np.clip(np.floor((points[:, 2] - z0) / SLICE).astype(np.int64), 0, bins - 1)]
    radial = points[:, :2] - centre[:2]
    r = np.sqrt(radial[:, 0] ** 2 + radial[:, 1] ** 2)
    d = radial / np.maximum(r, 1e-9)[:, None]
    along = d[:, :1] * U[:, 0] + d[:, 1:2] * U[:, 1]  # (K, D): how fast moving in nears each side
    over = _along(points, U) - H - MARGIN  # (K, D): how far outside each side
    t = np.where((along > 0.2) & np.isfinite(H), over / np.maximum(along, 0.2), 0.0)
    return np.clip(t.max(axis=1), 0.0, r)


def resting(points: np.ndarray, support: np.ndarray) -> np.ndarray:
    """(K,) bool the points (K, 3) that have skin under them: a ``support`` point (S, 3) lower than the point in
    its :data:`CELL` square seen from above or one of the eight around it (cloth lying on a thigh or a knee, or
    hanging under it: not beside the legs)."""
    lo = np.minimum(points[:, :2].min(axis=0), support[:, :2].min(axis=0)) - 2 * CELL
    n = np.floor((np.maximum(points[:, :2].max(axis=0), support[:, :2].max(axis=0)) - lo) / CELL).astype(np.int64) + 3
    low = np.full((n[0], n[1]), np.inf)
    ij = np.floor((support[:, :2] - lo) / CELL).astype(np.int64)
    np.minimum.at(low, (ij[:, 0], ij[:, 1]), support[:, 2])
    grown = low.copy()
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            grown[1:-1, 1:-1] = np.minimum(grown[1:-1, 1:-1], low[1 + di:n[0] - 1 + di, 1 + dj:n[1] - 1 + dj])
    ij = np.floor((points[:, :2] - lo) / CELL).astype(np.int64)
    return grown[ij[:, 0], ij[:, 1]] < points[:, 2]


def drape(X: np.ndarray, pc: dict, atlas, vertices: np.ndarray, floor: float, up: float | None = None) -> np.ndarray:
    """(rings, bins, 3) a skirt's or dress's relaxed grid ``X`` (rings, bins, 3) on folded knees (:func:`folded`)
    or with a knee on the ground and the other up (:func:`~genb.render.dress.fall.low` x :func:`raised` x :func:`reaching` x :func:`ahead`,
    after its fall: the larger share) moved in horizontally to the outline of
    the posed body ``vertices``' (V, 3) skin that holds it (:func:`support_ids` of the ``atlas``) above it
    (:func:`inward`), the waist ring kept; ``X`` itself (the same array) anywhere else. ``pc``: the posed
    centres; ``floor``: the ground's height; ``up``: :func:`lunge`'s share where the caller has it."""
    from genb.render.dress.fall import low

    down = low(pc, floor)
    bent, up = folded(pc) * (1.0 - down), lunge(X, pc, floor) if up is None else up
    if max(bent, up) <= 0.0:
        return X
    got = _IDS.get(id(atlas))
    if got is None or got[0] is not atlas:
        got = _IDS[id(atlas)] = (atlas, support_ids(atlas))
    support = np.asarray(vertices[got[1]], np.float64)
    centre = np.mean([pc[f"{s}_{j}"] for s in ("left", "right") for j in ("hip", "knee", "ankle")], axis=0)
    P = X[1:].reshape(-1, 3)
    radial = P - centre
    radial[:, 2] = 0.0
    d = radial / np.maximum(np.linalg.norm(radial, axis=1, keepdims=True), 1e-9)
    move = np.zeros(X.shape[:2] + (1,))
    share = np.maximum(bent, up * ahead(P, centre, pc)) if up > 0.0 else bent
    move[1:, :, 0] = np.where(resting(P, support), 0.0, share * inward(P, centre, support)).reshape(X[1:].shape[:2])
    move = smooth(move, SMOOTH)[1:, :, 0].reshape(-1)  # neighbours move together: no column turning back on itself
    Y = X.copy()
    Y[1:] = (P - move[:, None] * d).reshape(X[1:].shape)
    return Y
