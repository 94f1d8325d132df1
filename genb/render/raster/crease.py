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
within reach, counts fully; the ambient light lost is :data:`STRENGTH` / 8 of the taps' sum (the
floor of a 90-degree crease keeps about half, as a hemisphere's cosine-weighted view of it would).
The screen radius follows each pixel's depth (pixels grouped in :data:`LEVELS` of radii; the wider
levels looked at on a coarser grid, :data:`TAPS_PX`, and spread by a normalised blur over the
level's own pixels); a person whose radius is under :data:`MIN_PX` pixels gets nothing (the crease
is under a pixel). Computed at half resolution, like the coarse term. Pure numpy float32: the same
bytes in any process.

``tests/test_arm_crease.py`` (closeup framing, standing relaxed, one long-sleeved top, dark and light x
two bodies): the lit image's mean luminance within 3 px of the sleeve-trunk boundary over that 8-20 px
from it, 0.800 on 32b65fb -> 0.684 (per case 0.896/0.910/0.549/0.844 -> 0.730/0.790/0.444/0.770).
Cost: 2.8-9.9 ms a bedlam sample (512x384, thread CPU on the loaded 2-core machine, seed 390 samples
0-5: mean 5-6 ms, the coarse term beside it 2-3 ms), most of it the taps over a large person's pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from genb.core.conventions import PARTS
from genb.render.raster.normals import decode_normals

RADIUS_M = 0.05  # metres: how far across the screen a crease's neighbours are looked for
REACH = 2.0  # a neighbour farther than REACH * RADIUS_M (in 3-D) occludes nothing
BIAS = 0.2  # cosines under this count nothing (cloth relief, the mesh's facets)
STRENGTH = 2.5  # the ambient light lost: STRENGTH / 8 of the eight taps' summed occlusion (clipped to 1)
MIN_PX = 2.0  # pixels: a smaller screen radius is not drawn
TAPS_PX = 4  # pixels: a level of a wider radius is looked at on every (radius // TAPS_PX)-th row and column
LEVELS = (2, 3, 4, 6, 8, 11, 16, 22, 32)  # the screen radii (pixels, at half resolution) the pixels are grouped into


def _tap_offsets(r: int) -> list[tuple[int, int]]:
    """Eight screen offsets (dy, dx): four along the axes at ``r`` pixels, four diagonals at half ``r``."""
    h = max(1, int(round(r * 0.3536)))
    return [(-r, 0), (r, 0), (0, -r), (0, r), (-h, -h), (-h, h), (h, -h), (h, h)]


def _level_occlusion(X: np.ndarray, Y: np.ndarray, Z: np.ndarray, n: np.ndarray, at: np.ndarray, width: int,
                     r: int) -> np.ndarray:
    """(N,) float32 summed occlusion of the eight taps at radius ``r`` of the pixels at flat indices ``at`` (N,)
    of a padded image ``width`` wide whose camera-frame points are ``X``, ``Y``, ``Z`` (flat; Z 0: nothing);
    ``n`` (N, 3) their unit normals."""
    px, py, pz = X.take(at), Y.take(at), Z.take(at)
    nx, ny, nz = n[:, 0].copy(), n[:, 1].copy(), n[:, 2].copy()
    reach2 = np.float32(1.0 / (REACH * RADIUS_M) ** 2)
    occ = np.zeros(len(at), np.float32)
    for dy, dx in _tap_offsets(r):
        j = at + (dy * width + dx)
        qz = Z.take(j)
        vx, vy, vz = X.take(j) - px, Y.take(j) - py, qz - pz
        d2 = vx * vx
        d2 += vy * vy
        d2 += vz * vz
        cos = vx * nx
        cos += vy * ny
        cos += vz * nz
        cos /= np.sqrt(d2) + np.float32(1e-6)
        cos -= np.float32(BIAS)
        np.maximum(cos, 0.0, out=cos)
        fall = np.float32(1.0) - d2 * reach2
        np.maximum(fall, 0.0, out=fall)
        cos *= fall
        cos[qz <= 0] = 0.0  # no surface there
        occ += cos
    return occ * np.float32(1.0 / (1.0 - BIAS))


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
    """(h, w) float32 crease visibility of a (half-resolution) G-buffer, or None where no person pixel needs it:
    each level's pixels' taps gathered by flat index from the image padded by the largest radius, their sums
    blurred over the level's pixels alone (normalised: no fading at a person's outline)."""
    h, w = depth.shape
    person = (parts > 0) & (parts < len(PARTS)) & (depth > 0)
    rows, cols = np.nonzero(person)
    if not len(rows):
        return None
    radius = np.float32(RADIUS_M * K[0, 0]) / depth[rows, cols]
    keep = radius >= MIN_PX
    if not keep.any():
        return None
    rows, cols, radius = rows[keep], cols[keep], radius[keep]
    edges = np.sqrt(np.asarray(LEVELS[1:], np.float32) * np.asarray(LEVELS[:-1], np.float32))
    level = np.searchsorted(edges, radius)  # a pixel takes the level nearest its radius (geometrically)
    pad = LEVELS[int(level.max())]
    Z = np.zeros((h + 2 * pad, w + 2 * pad), np.float32)
    Z[pad:pad + h, pad:pad + w] = depth
    u = (np.arange(-pad, w + pad, dtype=np.float32) - np.float32(K[0, 2])) * np.float32(1 / K[0, 0])
    v = (np.arange(-pad, h + pad, dtype=np.float32) - np.float32(K[1, 2])) * np.float32(1 / K[1, 1])
    X, Y = (Z * u[None, :]).ravel(), (Z * v[:, None]).ravel()
    Z = Z.ravel()
    vis = np.ones((h, w), np.float32)
    for i in np.unique(level):
        r = LEVELS[int(i)]
        sel = level == i
        y, x = rows[sel], cols[sel]
        step = max(1, r // TAPS_PX)  # a wide radius looked at on a coarser grid: the same soft crease, a bounded cost
        on = ((y % step) == 0) & ((x % step) == 0) if step > 1 else np.ones(len(y), bool)
        ys, xs = y[on], x[on]
        if not len(ys):  # a level's few pixels all between its coarse grid's rows or columns: no crease drawn
            continue
        occ = _level_occlusion(X, Y, Z, decode_normals(normals_encoded[ys, xs]), (ys + pad) * (w + 2 * pad) + xs + pad,
                               w + 2 * pad, r)
        smooth = _smooth(occ, ys, xs, y, x, max(0.15 * r, 0.6 * step))
        vis[y, x] = np.clip(np.float32(1.0) - np.float32(STRENGTH / 8) * smooth, 0.0, 1.0)
    return vis


def _smooth(values: np.ndarray, y: np.ndarray, x: np.ndarray, ty: np.ndarray, tx: np.ndarray,
            sigma: float) -> np.ndarray:
    """(M,) ``values`` given at pixels (y, x) blurred over those pixels alone (normalised convolution, Gaussian
    ``sigma`` pixels, at least 0.6) and read at the pixels (ty, tx) (M,) (a subset's or their own), in their box."""
    y0, x0 = int(ty.min()), int(tx.min())
    shape = (int(ty.max()) - y0 + 1, int(tx.max()) - x0 + 1)
    img, wgt = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    img[y - y0, x - x0] = values
    wgt[y - y0, x - x0] = 1.0
    s = max(0.6, float(sigma))
    img, wgt = cv2.GaussianBlur(img, (0, 0), s), cv2.GaussianBlur(wgt, (0, 0), s)
    return img[ty - y0, tx - x0] / np.maximum(wgt[ty - y0, tx - x0], np.float32(1e-6))
