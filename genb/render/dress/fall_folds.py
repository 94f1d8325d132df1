"""Folds of a fallen skirt or dress, and its hem laid cleanly on the ground: a step of
:func:`~genb.render.dress.hang.hang_grid` after the last touches, where :mod:`~genb.render.dress.fall` let the
cloth fall (a knee on the ground: kneeling, kneeling on one knee, cross-legged, legs out, a lunge).

The fall compresses the cloth (its columns and rings are never longer than at rest, shorter where the
ground or a thigh stopped them) but leaves it smooth: a hem that has more length than the circle it lies on
was simply shorter, the cloth a smooth bell of plaster. Real cloth there gathers into folds running down the
columns (fanning out radially on the ground from where the cloth leaves the legs) whose height takes up the
length to spare. Here, per vertex, the excess of the rest ring length over the fallen ring length (and half
the columns' excess) is turned into the height of :data:`COUNT` folds round the grid (a sinusoid of
wavelength ``w`` hides ``(pi A / w)^2`` of extra length: ``A = w / pi * sqrt(excess)``, at most
:data:`MAX_HEIGHT`), smoothed over the grid, none at the waist. The cloth is moved out along its normal by
that height (outwards only: off the legs; within :data:`NEAR` of the ground along the normal's horizontal
part, so the hem snakes over the ground instead of rising off it; the moves smoothed down the columns) and its normals are tilted by
:data:`NORMAL_GAIN` times the folds' slope round the ring (the shading and the normal control map show them).

Before the folds the cloth on the ground is laid cleanly: the settling and :func:`~genb.render.dress.fall.out_of_legs`'s
push out of a shin lying on the ground left cloth up to 43 mm under it (the ground then showed through the
cloth as specks), and the hem ring's vertices near the ground zig-zagged a few millimetres. Near the ground the
hem's last rings are smoothed round the ground (x and y) and every vertex is lifted onto the floor or over it
(:data:`LIFT`).
Measured by ``tests/test_fall_folds.py``. Pure functions over numpy arrays (metres, world frame, z up); about
0.9 ms per fallen garment (nothing for anyone else).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.settle import grid_normals, smooth

COUNT = 9  # folds round a skirt's grid (44 columns: one every 4.9; at 4 a little unevenness zig-zagged vertex to vertex)
UNEVEN = 0.5  # radians: the folds' phase wanders this much round the grid (uneven spacing)
MAX_HEIGHT = 0.018  # metres: the deepest fold
GAIN = 1.0  # share of the excess length the folds take up (the rest stays compressed)
NORMAL_GAIN = 2.5  # the normals tilt as for folds this much deeper than the cloth is moved
LIFT = 0.0  # metres: the fallen cloth lies this much over the floor (3 mm over the ground; 2 mm more lifted the cloth under
# a cross-legged sitter's shins into them: 10 of 874 covered leg vertices out of a dress, test_hang)
NEAR = 0.04  # metres over the floor: the cloth this low is on the ground (its hem smoothed)
SMOOTH = 6  # Jacobi rounds smoothing the length to spare over the grid (2: its vertex-to-vertex noise zig-zagged the folds)
COLUMN_ROUNDS = 3  # Jacobi rounds smoothing the folds' moves down the columns
HEM_RINGS = 3  # the last rings smoothed round the ring near the ground
HEM_ROUNDS = 4  # Jacobi rounds of that smoothing


def _ring_lengths(X: np.ndarray) -> np.ndarray:
    """(rings, bins) each vertex's mean length of its two ring edges."""
    L = np.linalg.norm(np.roll(X, -1, axis=1) - X, axis=-1)
    return 0.5 * (L + np.roll(L, 1, axis=1))


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
    the ring where they are within :data:`NEAR` of the ``floor`` (no zig-zag hem), every vertex :data:`LIFT`
    or more over it (none under the ground)."""
    X = X.copy()
    H = X[-HEM_RINGS:].copy()
    on = np.clip(1.0 - (H[..., 2] - floor) / NEAR, 0.0, 1.0)[..., None]
    for _ in range(HEM_ROUNDS):
        S = 0.25 * np.roll(H, 1, axis=1) + 0.5 * H + 0.25 * np.roll(H, -1, axis=1)
        H[..., :2] = H[..., :2] + on * (S[..., :2] - H[..., :2])  # round the ground, not up from it
    X[-HEM_RINGS:] = H
    X[1:, :, 2] = np.maximum(X[1:, :, 2], floor + LIFT)
    return X


def heights(X: np.ndarray, rest: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """(rings, bins) the folds' heights over the fallen grid ``X`` (metres, >= 0) and their slope round the
    ring (per metre), from its length to spare (:func:`excess`) against the ``rest`` grid; ``share``: 0 to 1,
    how far it fell (:func:`~genb.render.dress.fall.low`)."""
    rings, bins, _ = X.shape
    step = _ring_lengths(X)
    wave = step * bins / COUNT  # metres between two folds
    s = np.linspace(0.0, 1.0, rings)[:, None]
    e = smooth(excess(X, rest)[..., None], SMOOTH)[..., 0] * np.clip(4.0 * s, 0.0, 1.0)
    amp = np.minimum(wave / np.pi * np.sqrt(GAIN * e), MAX_HEIGHT) * share
    j = np.arange(bins) + 0.5
    phase = 2 * np.pi * COUNT * j / bins + UNEVEN * np.sin(2 * np.pi * 2 * j / bins + 0.7)  # a little uneven
    dphase = (2 * np.pi * COUNT / bins + UNEVEN * np.cos(2 * np.pi * 2 * j / bins + 0.7) * 2 * np.pi * 2 / bins) / np.maximum(step, 1e-9)
    return amp * 0.5 * (1.0 + np.cos(phase)), -amp * 0.5 * np.sin(phase) * dphase


def fold(X: np.ndarray, rest: np.ndarray, share: float, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """The finished grid ``X`` (rings, bins, 3) of a fallen skirt or dress laid on the ground (:func:`lay_hem`)
    and folded (:func:`heights` along :func:`~genb.render.dress.settle.grid_normals`): the grid and the slope
    vectors (rings, bins, 3) to tilt its normals by (:func:`tilt`). ``share``: :func:`~genb.render.dress.fall.low`
    (0: returned as it is, no slope); ``rest``: (rings, bins, 3) the rest grid; ``floor``: the ground's height."""
    if share <= 0.0:
        return X, np.zeros_like(X)
    X = lay_hem(X, floor)
    h, dh = heights(X, rest, share)
    N = grid_normals(X)
    around = np.roll(X, -1, axis=1) - np.roll(X, 1, axis=1)
    around /= np.maximum(np.linalg.norm(around, axis=-1, keepdims=True), 1e-12)
    flat = N.copy()
    flat[..., 2] = 0.0  # near the ground the hem snakes over it instead of rising (its valleys stay on it)
    on = np.clip(1.0 - (X[..., 2] - floor) / NEAR, 0.0, 1.0)[..., None]
    D = h[..., None] * (N + on * (flat - N))
    for _ in range(COLUMN_ROUNDS):  # smoothed down the columns: compressed columns' short edges do not turn back
        D[1:-1] = 0.25 * D[:-2] + 0.5 * D[1:-1] + 0.25 * D[2:]
    D = D + on * (0.25 * (np.roll(D, 1, axis=1) + np.roll(D, -1, axis=1)) - 0.5 * D)  # and round the ground once
    D[0] = 0.0  # the waist stays
    X = X + D
    X[1:, :, 2] = np.maximum(X[1:, :, 2], floor + LIFT)  # a fold on cloth facing down stays over the ground
    return X, NORMAL_GAIN * dh[..., None] * around


def tilt(normals: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """(G, 3) float32 unit ``normals`` (G, 3) tilted against the folds' ``slope`` vectors (G, 3)
    (their part across the normal)."""
    N = normals.astype(np.float64)
    t = slope - N * np.einsum("ij,ij->i", slope, N)[:, None]
    n = N - t
    return (n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)).astype(np.float32)
