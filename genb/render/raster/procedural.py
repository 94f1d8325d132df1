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


def corner_hashes(ix: np.ndarray, iy: np.ndarray, seed: int, hash_fn=None, dtype=np.int32) -> tuple[np.ndarray, ...]:
    """``hash_fn`` (default :func:`hash2`) at the four corners (ix, iy), (ix + 1, iy), (ix, iy + 1),
    (ix + 1, iy + 1) of integer cells (N,) (floats holding integers, or integers; as ``dtype``): the same
    values, hashed once per lattice point of the cells' bounding box and gathered when that box holds no
    more points than N (neighbouring pixels share their cells' corners). ``seed``: an int, or one per cell."""
    hash_fn = hash2 if hash_fn is None else hash_fn
    n = len(ix)
    jx, jy = ix.astype(dtype), iy.astype(dtype)
    if n == 0:
        return tuple(hash_fn(jx, jy, seed) for _ in range(4))
    x0, y0 = int(jx.min()), int(jy.min())
    nx, ny = int(jx.max()) - x0 + 2, int(jy.max()) - y0 + 2
    one = dtype(1)
    if nx * ny > n or np.ndim(seed):  # spread-out cells (or a seed per point): hash each corner directly
        return (hash_fn(jx, jy, seed), hash_fn(jx + one, jy, seed), hash_fn(jx, jy + one, seed),
                hash_fn(jx + one, jy + one, seed))
    gx = np.repeat(np.arange(x0, x0 + nx, dtype=dtype), ny)
    gy = np.tile(np.arange(y0, y0 + ny, dtype=dtype), nx)
    table = hash_fn(gx, gy, seed)  # (nx * ny,) row-major over (x, y)
    k = (jx - dtype(x0)).astype(np.intp) * ny
    k += jy - dtype(y0)
    return table.take(k), table.take(k + ny), table.take(k + 1), table.take(k + ny + 1)


def _cells(u: np.ndarray, v: np.ndarray, cell: float, seed: int) -> tuple:
    """A point's place in its noise cell: (fx, fy) the fractions, (sx, sy) their smoothstep, and the
    cell's four corner values (a, b, c, d) (:func:`corner_hashes`)."""
    x, y = u / np.float32(cell), v / np.float32(cell)
    ix, iy = np.floor(x), np.floor(y)
    fx, fy = x - ix, y - iy
    sx, sy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    return fx, fy, sx, sy, *corner_hashes(ix, iy, seed)


def _slopes(fx, fy, sx, sy, a, b, c, d, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """The noise's gradient (per metre) from :func:`_cells`' values."""
    dsx, dsy = 6 * fx * (1 - fx), 6 * fy * (1 - fy)
    cross = a - b - c + d
    gx = (b - a + cross * sy) * dsx / np.float32(cell)
    gy = (c - a + cross * sx) * dsy / np.float32(cell)
    return gx, gy


def value_noise(u: np.ndarray, v: np.ndarray, cell: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smooth value noise in [0, 1] over cells of ``cell`` metres and its gradient (per metre)."""
    fx, fy, sx, sy, a, b, c, d = _cells(u, v, cell, seed)
    n = a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy
    return (n, *_slopes(fx, fy, sx, sy, a, b, c, d, cell))


def noise_slopes(u: np.ndarray, v: np.ndarray, cell: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`value_noise`'s gradient alone (the same values; the noise itself not computed)."""
    return _slopes(*_cells(u, v, cell, seed), cell)


def smooth_noise(u: np.ndarray, v: np.ndarray, cell: float, seed: int) -> np.ndarray:
    """:func:`value_noise` without its gradient (the same values, fewer operations)."""
    _, _, sx, sy, a, b, c, d = _cells(u, v, cell, seed)
    top = a + (b - a) * sx
    return top + (c + (d - c) * sx - top) * sy


def fade(footprint: np.ndarray, size: float) -> np.ndarray:
    """1 where a feature of ``size`` metres spans several pixels, falling to 0 once it is under one."""
    return np.clip(1.5 - footprint / np.float32(0.5 * size), 0.0, 1.0)
