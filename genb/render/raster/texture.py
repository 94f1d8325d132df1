"""Procedural detail in world space, prefiltered: what a repeating texture tile cannot give.

The ground's albedo is a tileable texture of 1-3 m (:mod:`genb.render.scene.materials`); repeated
to the horizon, its tile shows as a regular pattern. :func:`ground_variation` multiplies it
by value noise at metric scales that do not divide the tile (1.7, 5.3 and 19 m: patches of
wear, damp, dust), evaluated per pixel from the pixel's world position in the deferred pass.
Each octave fades out where a pixel's footprint on the ground approaches its cell size
(:func:`prefilter_weight`), so the far ground is the noise's mean: no aliasing, no moire.
Pure, vectorised functions (hash-based noise: no tables, the same bits everywhere).
"""

from __future__ import annotations

import numpy as np

from genb.render.raster.procedural import corner_hashes

# (cell size in metres, amplitude) of the ground's large-scale variation
GROUND_OCTAVES = ((19.0, 0.10), (5.3, 0.07), (1.7, 0.05))


def _hash(ix: np.ndarray, iy: np.ndarray, seed: int) -> np.ndarray:
    """float32 pseudo-random values in [0, 1) of integer lattice points (a fixed integer hash)."""
    h = (ix.astype(np.int64) * 73856093) ^ (iy.astype(np.int64) * 19349663) ^ (np.asarray(seed, np.int64) * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    h = h ^ (h >> 16)
    return ((h & 0xFFFF).astype(np.float32)) * np.float32(1 / 65536)


def value_noise(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """(N,) float32 smooth value noise in [0, 1) at coordinates (N,) measured in cells."""
    fx, fy = np.floor(x), np.floor(y)
    tx, ty = (x - fx).astype(np.float32), (y - fy).astype(np.float32)
    tx = tx * tx * (3 - 2 * tx)
    ty = ty * ty * (3 - 2 * ty)
    ix, iy = fx.astype(np.int64), fy.astype(np.int64)
    a, b, c, d = corner_hashes(ix, iy, seed, _hash, np.int64)  # once per lattice point where pixels share cells
    return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty


def prefilter_weight(footprint_m: np.ndarray, cell_m: float) -> np.ndarray:
    """(N,) float32 weight of an octave: 1 while a pixel's footprint is under a fifth of the
    cell, 0 from half a cell on (a smaller cell than that would alias)."""
    t = np.clip((footprint_m * np.float32(1 / cell_m) - 0.2) * np.float32(1 / 0.3), 0.0, 1.0)
    return (1.0 - t * t * (3 - 2 * t)).astype(np.float32)


def ground_variation(xy: np.ndarray, footprint_m: np.ndarray, seed: int) -> np.ndarray:
    """(N, 3) float32 albedo multipliers (mean 1) of ground points.

    Args:
        xy: (N, 2) world positions on the ground, metres. footprint_m: (N,) the longer side of each
            pixel's footprint on the ground, metres. seed: the ground texture's seed.
    """
    x, y = xy[:, 0].astype(np.float64), xy[:, 1].astype(np.float64)
    total = np.zeros(len(x), np.float32)
    for k, (cell, amp) in enumerate(GROUND_OCTAVES):
        n = value_noise(x / cell, y / cell, seed + 7 * k) - np.float32(0.5)
        total += np.float32(2 * amp) * n * prefilter_weight(footprint_m, cell)
    # darker patches are a little more saturated (damp), lighter ones a little greyer (dust)
    return (1.0 + total[:, None] * np.array([1.0, 1.05, 1.15], np.float32)[None, :]).astype(np.float32)


# (cell size in metres, amplitude) of the mottling of props' painted, concrete, wooden surfaces
SURFACE_OCTAVES = ((0.7, 0.07), (0.18, 0.05), (0.045, 0.035))


def surface_variation(points: np.ndarray, normals: np.ndarray, footprint_m: np.ndarray, strength: np.ndarray,
                      seed: int = 11) -> np.ndarray:
    """(N,) float32 albedo multipliers (mean 1) of object surfaces: value noise projected along
    each point's dominant normal axis (planar walls, boxes and steps get an undistorted pattern),
    its octaves prefiltered by the footprint.

    Args:
        points, normals: (N, 3) world positions (metres) and unit normals. footprint_m: (N,)
            pixel footprints, metres. strength: (N,) amplitude scale per point (0: none).
    """
    axis = np.argmax(np.abs(normals), axis=1)
    a = np.where(axis == 0, points[:, 1], points[:, 0]).astype(np.float64)
    b = np.where(axis == 2, points[:, 1], points[:, 2]).astype(np.float64)
    total = np.zeros(len(points), np.float32)
    by_axis = [np.flatnonzero(axis == ax) for ax in range(3)]  # one seed per group: corners hashed once per lattice point
    for k, (cell, amp) in enumerate(SURFACE_OCTAVES):
        w = prefilter_weight(footprint_m, cell)
        for ax, group in enumerate(by_axis):
            ids = group[w.take(group) > 0]  # where the octave has faded out it adds nothing (the same bits)
            if len(ids):
                n = value_noise(a.take(ids) / cell, b.take(ids) / cell, seed + 13 * k + 101 * ax) - np.float32(0.5)
                total[ids] += np.float32(2 * amp) * n * w.take(ids)
    return (1.0 + total * strength).astype(np.float32)
