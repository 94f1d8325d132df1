"""Crease occlusion: the ambient light a person's surface loses where another surface closes over it.

:func:`genb.render.raster.shading.screen_space_occlusion` compares depths 20 cm apart (at the
image's median depth) and blurs the result: a soft term for large forms, blind to a crease a few
centimetres wide. An arm hanging by the side meets the trunk in such a crease (the body model's
upper arm runs into the ribs, and the shells of a top's sleeve and trunk cross there in a V of about
90 degrees); lit by the sky alone, both walls of the V took their full ambient light and a dark
jacket's sleeves and sides read as one mass.

:func:`crease_visibility` sees the V: for each person pixel it takes the camera-frame points of
eight neighbours :data:`RADIUS_M` (and half that) away on the screen and counts those that rise over
its tangent plane (the cosine between its normal and the way to them, less :data:`BIAS`), fading out
with their distance (none past :data:`REACH`). Points on the same smooth surface lie on its tangent
plane and count nothing; the other wall of a crease, or a surface in front of an occluding edge
within reach, counts fully. The screen radius follows each pixel's depth (pixels grouped in
:data:`LEVELS` of radii, each level over its own box); a person whose radius is under
:data:`MIN_PX` pixels gets nothing (the crease is under a pixel). Pure numpy float32: the same bytes
in any process.
"""

from __future__ import annotations

import cv2
import numpy as np

from genb.core.conventions import PARTS
from genb.render.raster.normals import decode_normals

RADIUS_M = 0.05  # metres: how far across the screen a crease's neighbours are looked for
REACH = 2.0  # a neighbour farther than REACH * RADIUS_M (in 3-D) occludes nothing
BIAS = 0.2  # cosines under this count nothing (cloth relief, the mesh's facets)
STRENGTH = 2.5  # the ambient light lost when every neighbour closes over the pixel at full strength
MIN_PX = 2.0  # pixels: a smaller screen radius is not drawn
LEVELS = (2, 3, 4, 6, 8, 11, 16, 22, 32)  # the screen radii (pixels, at half resolution) the pixels are grouped into


def _tap_offsets(r: int) -> list[tuple[int, int]]:
    """Eight screen offsets (dy, dx): four along the axes at ``r`` pixels, four diagonals at half ``r``."""
    h = max(1, int(round(r * 0.3536)))
    return [(-r, 0), (r, 0), (0, -r), (0, r), (-h, -h), (-h, h), (h, -h), (h, h)]


def _points(depth: np.ndarray, K: np.ndarray, y0: int, x0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(h, w) float32 camera-frame x, y, z of a crop of the depth buffer starting at row ``y0``, column ``x0``."""
    h, w = depth.shape
    u = (np.arange(x0, x0 + w, dtype=np.float32) - np.float32(K[0, 2])) * np.float32(1 / K[0, 0])
    v = (np.arange(y0, y0 + h, dtype=np.float32) - np.float32(K[1, 2])) * np.float32(1 / K[1, 1])
    return depth * u[None, :], depth * v[:, None], depth


def _level_occlusion(depth: np.ndarray, normals: np.ndarray, K: np.ndarray, box: tuple, r: int) -> np.ndarray:
    """(h, w) float32 summed occlusion of the eight taps over the crop ``box`` (y0, y1, x0, x1) at radius ``r``;
    ``normals`` (h, w, 3) the crop's unit normals."""
    y0, y1, x0, x1 = box
    H, W = depth.shape
    # the crop padded by r on each side (clipped to the image; beyond it, no depth)
    py0, py1, px0, px1 = max(0, y0 - r), min(H, y1 + r), max(0, x0 - r), min(W, x1 + r)
    big = np.zeros((y1 - y0 + 2 * r, x1 - x0 + 2 * r), np.float32)
    big[py0 - (y0 - r):py1 - (y0 - r), px0 - (x0 - r):px1 - (x0 - r)] = depth[py0:py1, px0:px1]
    X, Y, Z = _points(big, K, y0 - r, x0 - r)
    h, w = y1 - y0, x1 - x0
    cx, cy, cz = X[r:r + h, r:r + w], Y[r:r + h, r:r + w], Z[r:r + h, r:r + w]
    n = normals  # (h, w, 3) the crop's
    nx, ny, nz = n[..., 0], n[..., 1], n[..., 2]
    reach2 = np.float32(1.0 / (REACH * RADIUS_M) ** 2)
    occ = np.zeros((h, w), np.float32)
    for dy, dx in _tap_offsets(r):
        sl = (slice(r + dy, r + dy + h), slice(r + dx, r + dx + w))
        vx, vy, vz = X[sl] - cx, Y[sl] - cy, Z[sl] - cz
        d2 = vx * vx
        d2 += vy * vy
        d2 += vz * vz
        cos = vx * nx
        cos += vy * ny
        cos += vz * nz
        cos /= np.sqrt(d2) + np.float32(1e-6)
        cos -= np.float32(BIAS)
        np.maximum(cos, 0.0, out=cos)
        cos *= np.float32(1.0 / (1.0 - BIAS))
        fall = np.float32(1.0) - d2 * reach2
        np.maximum(fall, 0.0, out=fall)
        cos *= fall
        cos[Z[sl] <= 0] = 0.0  # no surface there
        occ += cos
    return occ


def crease_visibility(depth: np.ndarray, normals_encoded: np.ndarray, parts: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(H, W) float32 ambient visibility of the people's creases (1 open; everything but people: 1), computed on
    every other row and column (:func:`_half`) and interpolated: a soft term, a quarter of the cost.

    Args:
        depth: (H, W) metric depth (0: nothing). normals_encoded: (H, W, 3) uint8 camera-frame normals
            (:mod:`genb.render.raster.normals`). parts: (H, W) uint8 part ids (people: under ``len(PARTS)``).
        K: (3, 3) intrinsics.
    """
    H, W = depth.shape
    K2 = np.array([[K[0, 0] / 2, 0.0, K[0, 2] / 2], [0.0, K[1, 1] / 2, K[1, 2] / 2], [0.0, 0.0, 1.0]])
    half = _half(np.ascontiguousarray(depth[::2, ::2], np.float32), normals_encoded[::2, ::2], parts[::2, ::2], K2)
    if half is None:
        return np.ones((H, W), np.float32)
    return cv2.resize(half, (half.shape[1] * 2, half.shape[0] * 2), interpolation=cv2.INTER_LINEAR)[:H, :W]


def _half(depth: np.ndarray, normals_encoded: np.ndarray, parts: np.ndarray, K: np.ndarray) -> np.ndarray | None:
    """(h, w) float32 crease visibility of a (half-resolution) G-buffer, or None where no person pixel needs it."""
    person = (parts > 0) & (parts < len(PARTS)) & (depth > 0)
    if not person.any():
        return None
    radius = np.zeros(depth.shape, np.float32)
    radius[person] = np.float32(RADIUS_M * K[0, 0]) / depth[person]
    person &= radius >= MIN_PX
    if not person.any():
        return None
    edges = np.sqrt(np.asarray(LEVELS[1:], np.float32) * np.asarray(LEVELS[:-1], np.float32))
    level = np.searchsorted(edges, radius)  # a pixel takes the level nearest its radius (geometrically)
    vis = np.ones(depth.shape, np.float32)
    for i, r in enumerate(LEVELS):
        mask = person & (level == i)
        if not mask.any():
            continue
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        box = (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
        normals = decode_normals(normals_encoded[box[0]:box[1], box[2]:box[3]])
        occ = _level_occlusion(depth, normals, K, box, r)
        occ = cv2.GaussianBlur(occ, (0, 0), max(0.6, 0.15 * r))  # the taps' pattern smoothed
        crop = vis[box[0]:box[1], box[2]:box[3]]
        keep = mask[box[0]:box[1], box[2]:box[3]]
        crop[keep] = np.clip(np.float32(1.0) - np.float32(STRENGTH / 8) * occ[keep], 0.0, 1.0)
    return vis
