"""Folds of a fallen skirt or dress, and its hem laid cleanly on the ground: a step of
:func:`~genb.render.dress.hang.hang_grid` after the last touches, where :mod:`~genb.render.dress.fall` let the
cloth fall (a knee on the ground: kneeling, kneeling on one knee, cross-legged, legs out, a lunge); and the
folds of a coat's tail lying on the ground (crouching, sitting with the knees up: :func:`fold_tail`).

The fall compresses the cloth (its columns and rings are never longer than at rest, shorter where the
ground or a thigh stopped them) but leaves it smooth: a hem that has more length than the circle it lies on
was simply shorter, the cloth a smooth bell of plaster. Real cloth there gathers into folds running down the
columns (fanning out radially on the ground from where the cloth leaves the legs) whose height takes up the
length to spare, a few centimetres to about 10 cm apart. The grid's 44 columns are 3-6 cm apart on a fallen
hem (9 folds round it were 16-53 cm apart), so the finished grid is first refined round the ring
(:func:`refine`: 132 columns, a spline through the grid's own vertices). Then, per vertex, the excess of the
rest ring length over the fallen ring length (and half the columns' excess) is turned into the height of
:data:`COUNT` folds round the grid (a sinusoid of wavelength ``w`` hides ``(pi A / w)^2`` of extra length:
``A = w / pi * sqrt(excess)``, at most :data:`MAX_HEIGHT`), smoothed over the grid, none at the waist. The cloth
is moved out along its normal by that height (outwards only: off the legs; within :data:`NEAR` of the ground
along the normal's horizontal part, so the hem snakes over the ground instead of rising off it; the moves
smoothed down the columns) and its normals are tilted by :data:`NORMAL_GAIN` times the folds' slope round the
ring (the shading and the normal control map show them). Measured over ``test_skirt_fall``'s 40 cases: 21 folds
round the hem (18-25), 11.7 cm apart (6.8-19.4).

Before the folds the cloth on the ground is laid cleanly: the settling and :func:`~genb.render.dress.fall.out_of_legs`'s
push out of a shin lying on the ground left cloth up to 43 mm under it (the ground then showed through the
cloth as specks), and the hem ring's vertices near the ground zig-zagged a few millimetres (the feet lift the
cloth: 3, 7, 5, 5, 6, 3 mm round the ring). Near the ground the hem's last rings are smoothed round the ground
(x and y; their heights too where they lie within :data:`FLAT` of the floor) and every vertex is lifted onto the
floor or over it (:data:`LIFT`).

A coat's tail on the ground lay there as a flat sheet: where it lies within :data:`NEAR` of the ground it is
refined the same way (its slit and open front cut straight) and folded by the same heights, ridges along its
normals (up from the ground).
Measured by ``tests/test_fall_folds.py`` and ``tests/test_coat_folds.py``. Pure functions over numpy arrays
(metres, world frame, z up); about 2 ms per fallen garment (nothing for anyone else, the same bytes).
"""


from __future__ import annotations

import numpy as np

from genb.render.dress.settle import grid_normals, smooth
from genb.render.dress.vec import norm, roll

SUB = 3  # the fallen grid's columns are refined this many times round the ring (44 -> 132) before it is folded
COUNT = 27  # folds round the refined grid (132 columns: one every 4.9; at 4 a little unevenness zig-zagged vertex to vertex)
UNEVEN = 0.5  # radians: the folds' phase wanders this much round the grid (uneven spacing)
MAX_HEIGHT = 0.018  # metres: the deepest fold
GAIN = 1.0  # share of the excess length the folds take up (the rest stays compressed)
NORMAL_GAIN = 2.5  # the normals tilt as for folds this much deeper than the cloth is moved
LIFT = 0.0  # metres: the fallen cloth lies this much over the floor (3 mm over the ground; 2 mm more lifted the cloth under
# a cross-legged sitter's shins into them: 10 of 874 covered leg vertices out of a dress, test_hang)
NEAR = 0.04  # metres over the floor: the cloth this low is on the ground (its hem smoothed)
FLAT = 0.012  # metres over the floor: a hem vertex and its two neighbours this low have their heights smoothed too
# (the feet lift the cloth a few millimetres: 3, 7, 5, 5, 6, 3 mm zig-zagged round the ring)
SMOOTH = 6  # Jacobi rounds smoothing the length to spare over the grid (2: its vertex-to-vertex noise zig-zagged the folds)
COLUMN_ROUNDS = 3  # Jacobi rounds smoothing the folds' moves down the columns
HEM_RINGS = 3  # the last rings smoothed round the ring near the ground
HEM_ROUNDS = 4  # Jacobi rounds of that smoothing


def _ring_lengths(X: np.ndarray) -> np.ndarray:
    """(rings, bins) each vertex's mean length of its two ring edges."""
    L = norm(roll(X, -1, axis=1) - X)
    return 0.5 * (L + roll(L, 1, axis=1))


def _column_lengths(X: np.ndarray) -> np.ndarray:
    """(rings, bins) each vertex's mean length of its column edges (one at the waist and the hem)."""
    L = np.linalg.norm(np.diff(X, axis=0), axis=-1)
    out = np.empty(X.shape[:2])
    out[0], out[-1] = L[0], L[-1]
    out[1:-1] = 0.5 * (L[:-1] + L[1:])
    return out


def excess(X: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(rings, bins) the cloth's length to spare at each vertex of the fallen grid ``X`` (rings, bins, 3):
    the rest ring length over the fallen one, less 1 (0 where not compressed), plus half the columns'."""
    ring = np.maximum(_ring_lengths(rest) / np.maximum(_ring_lengths(X), 1e-9) - 1.0, 0.0)
    col = np.maximum(_column_lengths(rest) / np.maximum(_column_lengths(X), 1e-9) - 1.0, 0.0)
    return ring + 0.5 * col


def lay_hem(X: np.ndarray, floor: float) -> np.ndarray:
    """(rings, bins, 3) the fallen grid ``X`` laid on the ground: its last :data:`HEM_RINGS` rings smoothed round
    the ring where they are within :data:`NEAR` of the ``floor`` (no zig-zag hem: x and y towards the neighbours'
    mean; the height too where the vertex and its neighbours are within :data:`FLAT` of the floor: the
    millimetres the feet lift the cloth by do not zig-zag, and cloth lifted higher is not pulled down or up), every vertex :data:`LIFT` or more over it (none under the ground)."""
    X = X.copy()
    H = X[-HEM_RINGS:].copy()
    on = np.clip(1.0 - (H[..., 2] - floor) / NEAR, 0.0, 1.0)[..., None]
    for _ in range(HEM_ROUNDS):
        S = 0.25 * roll(H, 1, axis=1) + 0.5 * H + 0.25 * roll(H, -1, axis=1)
        H[..., :2] = H[..., :2] + on[..., :1] * (S[..., :2] - H[..., :2])  # round the ground
        top = np.maximum(np.maximum(roll(H[..., 2], 1, axis=1), roll(H[..., 2], -1, axis=1)), H[..., 2])
        H[..., 2] += np.clip(1.0 - (top - floor) / FLAT, 0.0, 1.0) * (S[..., 2] - H[..., 2])  # and its height on the ground
    X[-HEM_RINGS:] = H
    X[1:, :, 2] = np.maximum(X[1:, :, 2], floor + LIFT)
    return X


def refine(X: np.ndarray, sub: int = SUB, closed: np.ndarray | None = None) -> np.ndarray:
    """(rings, bins * sub, 3) the grid ``X`` (rings, bins, 3) with ``sub`` columns for each of its own: a periodic
    Catmull-Rom spline round each ring (through the grid's own vertices, column ``j * sub``). ``closed``: the
    ring edges there are ((rings, bins) or (bins,) bool, edge j to j + 1; None: all): an edge missing or next to
    a missing one (a coat's slit, an open front) is cut straight (no spline through the other side's panel),
    and the top ring always is (it lies on a coat's hem, :mod:`~genb.render.dress.coat_join`)."""
    rings, bins, _ = X.shape
    P0, P1, P2, P3 = roll(X, 1, axis=1), X, roll(X, -1, axis=1), roll(X, -2, axis=1)
    on = np.ones((rings, bins), bool) if closed is None else np.broadcast_to(closed, (rings, bins))
    straight = ~(on & roll(on, 1, axis=1) & roll(on, -1, axis=1))
    straight[0] = True
    out = np.empty((rings, bins, sub, 3))
    for s in range(sub):
        t = s / sub
        out[:, :, s] = P1 + 0.5 * t * ((P2 - P0) + t * ((2 * P0 - 5 * P1 + 4 * P2 - P3) + t * (3 * (P1 - P2) + P3 - P0)))
        out[:, :, s][straight] = (P1 + t * (P2 - P1))[straight]
    return out.reshape(rings, bins * sub, 3)


def heights(X: np.ndarray, rest: np.ndarray, share, count: int = COUNT) -> tuple[np.ndarray, np.ndarray]:
    """(rings, bins) the folds' heights over the fallen grid ``X`` (metres, >= 0) and their slope round the
    ring (per metre), from its length to spare (:func:`excess`) against the ``rest`` grid; ``share``: 0 to 1,
    how far it fell (:func:`~genb.render.dress.fall.low`; or per vertex, (rings, bins)); ``count``: folds
    round the ring."""
    rings, bins, _ = X.shape
    step = _ring_lengths(X)
    wave = step * bins / count  # metres between two folds
    s = np.linspace(0.0, 1.0, rings)[:, None]
    e = smooth(excess(X, rest)[..., None], SMOOTH)[..., 0] * np.clip(4.0 * s, 0.0, 1.0)
    amp = np.minimum(wave / np.pi * np.sqrt(GAIN * e), MAX_HEIGHT) * share
    j = np.arange(bins) + 0.5
    phase = 2 * np.pi * count * j / bins + UNEVEN * np.sin(2 * np.pi * 2 * j / bins + 0.7)  # a little uneven
    dphase = (2 * np.pi * count / bins + UNEVEN * np.cos(2 * np.pi * 2 * j / bins + 0.7) * 2 * np.pi * 2 / bins) / np.maximum(step, 1e-9)
    return amp * 0.5 * (1.0 + np.cos(phase)), -amp * 0.5 * np.sin(phase) * dphase


def fold(X: np.ndarray, rest: np.ndarray, share: float, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """The finished grid ``X`` (rings, bins, 3) of a fallen skirt or dress laid on the ground (:func:`lay_hem`),
    refined round the ring (:func:`refine`: bins * :data:`SUB` columns) and folded (:func:`heights` along
    :func:`~genb.render.dress.settle.grid_normals`): the grid (rings, bins * SUB, 3) and the slope vectors
    (same shape) to tilt its normals by (:func:`tilt`). ``share``: :func:`~genb.render.dress.fall.low`
    (0: returned as it is, no slope); ``rest``: (rings, bins, 3) the rest grid; ``floor``: the ground's height."""
    if share <= 0.0:
        return X, np.zeros_like(X)
    X, rest = refine(lay_hem(X, floor)), refine(rest)
    h, dh = heights(X, rest, share)
    N = grid_normals(X)
    around = roll(X, -1, axis=1) - roll(X, 1, axis=1)
    around /= np.maximum(norm(around, keepdims=True), 1e-12)
    flat = N.copy()
    flat[..., 2] = 0.0  # near the ground the hem snakes over it instead of rising (its valleys stay on it)
    on = np.clip(1.0 - (X[..., 2] - floor) / NEAR, 0.0, 1.0)[..., None]
    D = h[..., None] * (N + on * (flat - N))
    for _ in range(COLUMN_ROUNDS):  # smoothed down the columns: compressed columns' short edges do not turn back
        D[1:-1] = 0.25 * D[:-2] + 0.5 * D[1:-1] + 0.25 * D[2:]
    D = D + on * (0.25 * (roll(D, 1, axis=1) + roll(D, -1, axis=1)) - 0.5 * D)  # and round the ground once
    D[0] = 0.0  # the waist stays
    X = X + D
    X[1:, :, 2] = np.maximum(X[1:, :, 2], floor + LIFT)  # a fold on cloth facing down stays over the ground
    return X, NORMAL_GAIN * dh[..., None] * around


def fold_tail(X: np.ndarray, rest: np.ndarray, floor, closed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A coat's tail ``X`` (rings, bins, 3) whose back lies on the ground (crouching, sitting with the knees up)
    folded where it lies there (within :data:`NEAR` of the ground, ``floor``'s lowest: a float or (rings, bins)):
    refined round the ring (:func:`refine`, its ring edges ``closed``: a slit, an open front), :data:`COUNT`
    folds round it (:func:`heights` from its length to spare against ``rest``, times its share on the ground
    smoothed over the grid), ridges along its normals (up from the ground, out of the curtain falling onto it),
    smoothed down the columns, none at the top ring; the grid (rings, bins * :data:`SUB`, 3) and the slope
    vectors to tilt its normals by (:func:`tilt`). A tail off the ground: returned as it is, no slope."""
    ground = float(np.min(floor))
    if not (X[1:, :, 2] < ground + NEAR).any():
        return X, np.zeros_like(X)
    X, rest = refine(X, SUB, closed), refine(rest, SUB, closed)
    on = np.clip(1.0 - (X[..., 2] - ground) / NEAR, 0.0, 1.0)
    on[0] = 0.0
    h, dh = heights(X, rest, smooth(on[..., None], SMOOTH)[..., 0])
    D = h[..., None] * grid_normals(X)
    for _ in range(COLUMN_ROUNDS):
        D[1:-1] = 0.25 * D[:-2] + 0.5 * D[1:-1] + 0.25 * D[2:]
    D[0] = 0.0
    X = X + D
    X[1:, :, 2] = np.maximum(X[1:, :, 2], ground + LIFT)
    around = roll(X, -1, axis=1) - roll(X, 1, axis=1)
    around /= np.maximum(norm(around, keepdims=True), 1e-12)
    return X, NORMAL_GAIN * dh[..., None] * around


def tilt(normals: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """(G, 3) float32 unit ``normals`` (G, 3) tilted against the folds' ``slope`` vectors (G, 3)
    (their part across the normal)."""
    N = normals.astype(np.float64)
    t = slope - N * np.einsum("ij,ij->i", slope, N)[:, None]
    n = N - t
    return (n / np.maximum(norm(n, keepdims=True), 1e-12)).astype(np.float32)
