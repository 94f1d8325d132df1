"""Ground relief: detail normals of the ground materials, per pixel, prefiltered.

The ground is the plane ``z = 0`` with a tiled albedo texture (:mod:`genb.render.materials`).
:func:`ground_slopes` gives the height field's slopes (dh/dx, dh/dy, world metres per metre)
of each material at world points, aligned with the texture's own joints: paving bricks and
floor tiles with bevelled edges and a slight tilt each, concrete slabs' joints, planks' seams,
lumps of grass, dirt and sand, asphalt's grit. Each relief fades out where the pixel's
footprint on the ground approaches its size, so the far ground is flat (no shimmer, no moire).
:func:`apply_ground_relief` bends the ground pixels' encoded normals by them (the shading and
the normal control map alike; depth and labels stay exact). Pure, vectorised functions.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import SCENE_PART_INDEX
from genb.render.raster.procedural import fade as _fade, hash2 as _hash2, noise_slopes as _noise_slopes


def _cells(a: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer cell and signed metres from the cell's centre of coordinates ``a`` in cells of ``length``."""
    c = np.floor(a)
    return c, (a - c - 0.5) * np.float32(length)


def _bevel(offset: np.ndarray, half: float, bevel: float, depth: float) -> np.ndarray:
    """d h / d offset of a slab's rounded edge: ``-depth * g^2`` within ``bevel`` of the edge at
    ``|offset| = half`` (g = 1 at the edge, 0 inside)."""
    g = np.clip(1.0 - (np.float32(half) - np.abs(offset)) / np.float32(bevel), 0.0, 1.0)
    return np.float32(-2 * depth / bevel) * g * np.sign(offset)


def _slabs(sx: np.ndarray, sy: np.ndarray, width: float, height: float, fp: np.ndarray, seed: int,
           bevel: float, depth: float, tilt: float, row_shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Slopes along (sx, sy) metres of rectangular slabs ``width`` x ``height`` (rows shifted by
    ``row_shift`` of a slab every other row): bevelled edges and a random tilt per slab."""
    row, oy = _cells(sy / np.float32(height), height)
    shifted = sx / np.float32(width) + np.float32(row_shift) * (row % 2)
    col, ox = _cells(shifted, width)
    edge = _fade(fp, bevel)
    gx = _bevel(ox, 0.5 * width, bevel, depth) * edge
    gy = _bevel(oy, 0.5 * height, bevel, depth) * edge
    lean = np.float32(tilt) * _fade(fp, min(width, height))
    gx += (_hash2(col, row, seed) - 0.5) * 2 * lean
    gy += (_hash2(col, row, seed + 1) - 0.5) * 2 * lean
    return gx, gy


def _lumps(x: np.ndarray, y: np.ndarray, fp: np.ndarray, octaves: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Slopes of value-noise bumps: ``octaves`` of (cell metres, height metres), each evaluated only
    where it has not faded out (a footprint under three quarters of its cell)."""
    gx = np.zeros_like(x)
    gy = np.zeros_like(x)
    for k, (cell, height) in enumerate(octaves):
        ids = np.flatnonzero(fp < np.float32(0.75 * cell))
        if not len(ids):
            continue
        if len(ids) == len(x):  # every point (the near ground's coarse octaves): no gathers
            dx, dy = _noise_slopes(x, y, cell, seed + 31 * k)
            w = np.float32(height) * _fade(fp, cell)
            gx += w * dx
            gy += w * dy
            continue
        dx, dy = _noise_slopes(x[ids], y[ids], cell, seed + 31 * k)
        w = np.float32(height) * _fade(fp[ids], cell)
        gx[ids] += w * dx
        gy[ids] += w * dy
    return gx, gy


def ground_slopes(material: str, xy: np.ndarray, footprint: np.ndarray, tile: float, origin: np.ndarray,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(N,), (N,) float32 slopes dh/dx, dh/dy of the ground's relief at world points.

    Args:
        material: ``materials.MATERIALS`` name. xy: (N, 2) world metres. footprint: (N,) metres per pixel.
        tile: metres per texture repeat. origin: (2,) world xy of the texture's (0, 0) corner.
        seed: the ground texture's seed (tiles' size and planks' offsets follow it, as the albedo's).
    """
    s = (xy[:, 0] - np.float32(origin[0])) / np.float32(tile)
    t = (xy[:, 1] - np.float32(origin[1])) / np.float32(tile)
    # the texture's array coordinates: columns along s, rows down from t = 1 (pyrender uploads bottom-up)
    col_m = (s - np.floor(s)) * np.float32(tile)
    row_m = (np.ceil(t) - t) * np.float32(tile)
    fp = footprint.astype(np.float32)
    x, y = xy[:, 0].astype(np.float32), xy[:, 1].astype(np.float32)
    sign_y = np.float32(-1.0)  # rows run against world y
    if material == "paving":
        gx, gr = _slabs(col_m, row_m, tile / 6, tile / 12, fp, seed, 0.012, 0.004, 0.02, 0.5)
        return gx, sign_y * gr
    if material == "tiles":
        per = int(np.random.default_rng(seed).choice([4, 3, 2]))
        gx, gr = _slabs(col_m, row_m, tile / per, tile / per, fp, seed, 0.006, 0.0015, 0.006)
        return gx, sign_y * gr
    if material == "concrete":
        gx, gr = _slabs(col_m, row_m, tile / 2, tile / 2, fp, seed, 0.01, 0.003, 0.004)
        lx, ly = _lumps(x, y, fp, ((0.6, 0.004), (0.05, 0.0004)), seed)
        return gx + lx, sign_y * gr + ly
    if material == "wood":
        plank = np.floor(row_m / np.float32(tile / 12))
        offset = np.random.default_rng(seed).random(12).astype(np.float32)
        along = col_m + offset[plank.astype(np.int64) % 12] * np.float32(tile)
        gx, gr = _slabs(along, row_m, tile / 1.5, tile / 12, fp, seed, 0.004, 0.001, 0.004)
        return gx, sign_y * gr
    octaves = {"grass": ((0.35, 0.012), (0.06, 0.006), (0.015, 0.002)),
               "dirt": ((0.5, 0.015), (0.08, 0.004), (0.02, 0.0015)),
               "sand": ((0.7, 0.02), (0.12, 0.004)),
               "asphalt": ((1.5, 0.005), (0.012, 0.0006))}.get(material, ())
    return _lumps(x, y, fp, octaves, seed)


def apply_ground_relief(out, K: np.ndarray, cam_ext: np.ndarray, material: str, tile: float,
                        origin: np.ndarray, seed: int) -> int:
    """Bend the ground pixels' normals of a :class:`genb.render.raster.gl.RasterOutput` (in place) by
    :func:`ground_slopes`. Returns the number of ground pixels."""
    from genb.render.raster.normals import encode_normals

    H, W = out.depth.shape
    flat = np.flatnonzero(((out.parts == SCENE_PART_INDEX["ground"]) & (out.depth > 0)).ravel())
    if not len(flat):
        return 0
    u = (flat % W).astype(np.float32)
    v = (flat // W).astype(np.float32)
    z = out.depth.ravel()[flat]
    x = (u - np.float32(K[0, 2])) * np.float32(1 / K[0, 0])
    y = (v - np.float32(K[1, 2])) * np.float32(1 / K[1, 1])
    R = cam_ext[:3, :3].astype(np.float32)
    t = cam_ext[:3, 3].astype(np.float32)
    px, py, pz = x * z - t[0], y * z - t[1], z - t[2]
    world = np.stack([R[0, 0] * px + R[1, 0] * py + R[2, 0] * pz,  # R^T (p - t): world x, y
                      R[0, 1] * px + R[1, 1] * py + R[2, 1] * pz], axis=1)
    centre = -cam_ext[:3, :3].T @ cam_ext[:3, 3]
    # the footprint: one pixel over the cosine between the ray and the plane's normal (height / distance)
    footprint = z * np.sqrt(x * x + y * y + 1) * (z / np.float32(K[0, 0] * max(abs(centre[2]), 1e-3)))
    footprint = np.minimum(footprint, z / np.float32(K[0, 0] * 0.02))
    gx, gy = ground_slopes(material, world, footprint, tile, origin, seed)
    moved = np.flatnonzero((gx != 0) | (gy != 0))
    if not len(moved):
        return len(flat)
    gx, gy = gx[moved], gy[moved]
    inv = np.float32(1) / np.sqrt(gx * gx + gy * gy + np.float32(1))  # the unit world normal (-gx, -gy, 1) * inv
    n_cam = np.empty((len(moved), 3), np.float32)
    for k in range(3):  # R n_world, column by column
        n_cam[:, k] = (R[k, 2] - R[k, 0] * gx - R[k, 1] * gy) * inv
    nrm = out.normals.reshape(-1, 3)
    nrm[flat[moved]] = encode_normals(n_cam)
    out.normals = nrm.reshape(H, W, 3)
    return len(flat)
