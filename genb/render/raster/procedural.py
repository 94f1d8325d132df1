"""Prefiltered procedural primitives at metric scale: box-filtered square waves, integer hashes,
smooth value noise with its gradient, and a footprint fade. Shared by the cloth patterns
(:mod:`genb.render.dress.fabric`) and the ground's relief (:mod:`genb.render.raster.relief`).
Pure, vectorised float32 functions (a fixed 32-bit hash: the same bits in every process)."""

from __future__ import annotations

import numpy as np


def square(x: np.ndarray, w: np.ndarray, duty: float) -> np.ndarray:
    """Fraction of [x - w/2, x + w/2] where frac(x) < duty (a box-filtered square wave)."""
    w = np.maximum(w, np.float32(1e-4))

    def integral(t):
        f = np.floor(t)
        return f * np.float32(duty) + np.minimum(t - f, np.float32(duty))

    return np.clip((integral(x + 0.5 * w) - integral(x - 0.5 * w)) / w, 0.0, 1.0)


def hash2(ix: np.ndarray, iy: np.ndarray, seed: int) -> np.ndarray:
    """(N,) float32 in [0, 1) from integer cells (a fixed 32-bit integer hash, no state)."""
    with np.errstate(over="ignore"):
        h = (ix.astype(np.int32).view(np.uint32) * np.uint32(73856093)) ^ \
            (iy.astype(np.int32).view(np.uint32) * np.uint32(19349663)) ^ np.uint32((seed * 83492791) & 0xFFFFFFFF)
        h ^= h >> np.uint32(13)
        h *= np.uint32(1274126177)
        h ^= h >> np.uint32(16)
    return (h >> np.uint32(8)).astype(np.float32) * np.float32(1 / 0x1000000)


def value_noise(u: np.ndarray, v: np.ndarray, cell: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smooth value noise in [0, 1] over cells of ``cell`` metres and its gradient (per metre)."""
    x, y = u / np.float32(cell), v / np.float32(cell)
    ix, iy = np.floor(x), np.floor(y)
    fx, fy = x - ix, y - iy
    sx, sy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    dsx, dsy = 6 * fx * (1 - fx), 6 * fy * (1 - fy)
    a, b = hash2(ix, iy, seed), hash2(ix + 1, iy, seed)
    c, d = hash2(ix, iy + 1, seed), hash2(ix + 1, iy + 1, seed)
    n = a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy
    gx = (b - a + (a - b - c + d) * sy) * dsx / np.float32(cell)
    gy = (c - a + (a - b - c + d) * sx) * dsy / np.float32(cell)
    return n, gx, gy


def smooth_noise(u: np.ndarray, v: np.ndarray, cell: float, seed: int) -> np.ndarray:
    """:func:`value_noise` without its gradient (the same values, fewer operations)."""
    x, y = u / np.float32(cell), v / np.float32(cell)
    ix, iy = np.floor(x), np.floor(y)
    fx, fy = x - ix, y - iy
    sx, sy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    a, b = hash2(ix, iy, seed), hash2(ix + 1, iy, seed)
    c, d = hash2(ix, iy + 1, seed), hash2(ix + 1, iy + 1, seed)
    top = a + (b - a) * sx
    return top + (c + (d - c) * sx - top) * sy


def fade(footprint: np.ndarray, size: float) -> np.ndarray:
    """1 where a feature of ``size`` metres spans several pixels, falling to 0 once it is under one."""
    return np.clip(1.5 - footprint / np.float32(0.5 * size), 0.0, 1.0)
