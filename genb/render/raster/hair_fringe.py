"""Hair's fringe: the last millimetres of hair at its silhouette thin out, strand by strand.

A hair mesh (scalp shell, lock, ponytail) ends in a hard polygon edge; real hair ends in strands
that cover less and less of what lies behind them. :func:`soften_hair_edges` gives the hair pixels
within :data:`FRINGE_M` of the hair's outline (in the image: against the background, the face, the
neck, the clothes) a coverage below one and blends them with the pixel outside the hair down the
distance's slope (what the thinning strands let through). The coverage ramps in over the fringe's width in pixels
and is offset per strand (a hash of the strand coordinate ``u``), so strands end at their own
distance: a ragged, soft outline at the tips of locks, around a short cut and at the nape.

Where what lies outside is more than :data:`OCCLUDER_M` nearer than the hair (a hand, a brim, another
person in front), the outline is the occluder's and stays sharp; at the hairline (forehead, temples,
nape) the strand texture already thins the hair into the skin (:func:`genb.render.dress.hair_texture.hairline_share`)
and the fringe leaves it.
Appearance only: the masks, part ids and depth keep the mesh's outline. A head whose fringe is
under :data:`MIN_PX` pixels wide is left as it is (nothing is computed). Pure, vectorised; the same
bits in every process.
"""

from __future__ import annotations

import numpy as np

from genb.render.raster.procedural import hash2

FRINGE_M = 0.006  # metres of thinning hair inside the outline
MAX_PX, MIN_PX = 4.0, 0.6  # the fringe's width in pixels is clipped to MAX_PX; under MIN_PX: none
RAGGED = 0.9  # spread of the strands' own offsets (in units of the fringe's width)
OCCLUDER_M = 0.015  # what lies outside the hair's outline this much nearer than the hair occludes it: no fringe
STRAND_M, CELL_PX = 0.0009, 1.5  # a fine strand's width, metres (the offsets' cell across the strands, at least CELL_PX)


def fringe_coverage(dist_px: np.ndarray, width_px: np.ndarray, u: np.ndarray, metres_per_px: np.ndarray,
                    jitter: np.ndarray, across: np.ndarray) -> np.ndarray:
    """(N,) float32 0..1 coverage of hair pixels ``dist_px`` (N,) pixels inside the hair's outline (1:
    the outermost pixel) for a fringe ``width_px`` (N,) pixels wide.

    ``across`` (N,) 0..1: how squarely the strands meet the outline (1: they end there, at a lock's tip
    or a cut's edge; 0: they run along it, at a lock's side). Where they end, each strand (cells of
    :data:`STRAND_M` or :data:`CELL_PX` pixels across ``u`` (N,) metres, mixed with the per-strand
    ``jitter`` (N,) in [-0.5, 0.5]) stops at its own distance (offsets up to +-RAGGED/2 of a width that
    grows to 1.5 times); where they run along it, a plain ramp half as wide (a soft side)."""
    cell = np.floor(u / np.maximum(metres_per_px * np.float32(CELL_PX), np.float32(STRAND_M)))
    h = hash2(cell, np.floor((jitter + np.float32(0.5)) * 64), 29) - np.float32(0.5)
    w = width_px * (np.float32(0.5) + across)
    ramp = (dist_px - np.float32(0.5)) / w + np.float32(RAGGED) * across * h
    return np.clip(ramp, 0.0, 1.0).astype(np.float32)


def soften_hair_edges(image: np.ndarray, strands, depth: np.ndarray, K: np.ndarray) -> int:
    """Thin the hair out at its outline, in place; returns the number of pixels changed.

    Args:
        image: (H, W, 3) float composite (the lit image over its background), sRGB 0..255.
        strands: :class:`genb.render.raster.strands.StrandPixels` of the hair pixels (needs ``u``), or None.
        depth: (H, W) metric depth. K: (3, 3) intrinsics.
    """
    import cv2

    if strands is None or strands.u is None or not len(strands.flat):
        return 0
    H, W = depth.shape
    mpp = depth.ravel()[strands.flat].astype(np.float32) / np.float32(K[0, 0])  # metres per pixel
    width = np.minimum(np.float32(FRINGE_M) / np.maximum(mpp, np.float32(1e-6)), np.float32(MAX_PX))
    live = np.flatnonzero(width >= np.float32(MIN_PX))
    if not len(live):
        return 0
    rows, cols = np.divmod(strands.flat, W)
    r0, r1 = max(int(rows[live].min()) - 1, 0), min(int(rows[live].max()) + 2, H)
    c0, c1 = max(int(cols[live].min()) - 1, 0), min(int(cols[live].max()) + 2, W)
    inside = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
    hair = np.zeros((r1 - r0, c1 - c0), np.uint8)
    hair[rows[inside] - r0, cols[inside] - c0] = 1
    dist = cv2.distanceTransform(hair, cv2.DIST_L2, cv2.DIST_MASK_3)
    # the band: live hair pixels within their fringe's width of the outline
    lr, lc = rows[live] - r0, cols[live] - c0
    d = dist[lr, lc]
    band = np.flatnonzero(d < np.float32(0.5) + width[live] * np.float32(1.5 * (1 + 0.5 * RAGGED)))  # beyond: coverage 1
    if not len(band):
        return 0
    at, br, bc, d = live[band], lr[band], lc[band], d[band]
    gx, gy = _gradient(dist, br, bc)
    cover = fringe_coverage(d, width[at], strands.u[at], mpp[at], strands.jitter[at], _across(gx, gy, strands.tangent[at]))
    # what the thinning strands let through: the pixel outside the hair d pixels down the distance's slope
    g = np.sqrt(gx * gx + gy * gy)
    g = np.where(g > 1e-6, g, np.float32(1))
    qr = np.clip(np.rint(br - gy / g * d).astype(np.int64), 0, r1 - r0 - 1)
    qc = np.clip(np.rint(bc - gx / g * d).astype(np.int64), 0, c1 - c0 - 1)
    # left as it is: a thin gap (the pixel down the slope is hair again) and an occluder's edge (what lies
    # outside is in front of the hair: the outline is the occluder's, a hand's, a brim's, another person's)
    dq = depth[r0:r1, c0:c1][qr, qc]
    free = (hair[qr, qc] == 0) & ((dq <= 0) | (dq > depth[r0:r1, c0:c1][br, bc] - np.float32(OCCLUDER_M)))
    free &= strands.share[at] >= np.float32(1)  # the hairline thins into the skin in the texture already
    at, br, bc, qr, qc, cover = at[free], br[free], bc[free], qr[free], qc[free], cover[free]
    view = image[r0:r1, c0:c1]
    behind = view[qr, qc]
    view[br, bc] = behind + (view[br, bc] - behind) * cover[:, None]
    return len(at)


def _gradient(dist: np.ndarray, r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,), (N,) float32 central differences of ``dist`` (h, w) along x and y at pixels ``r``, ``c``
    (one-sided at the crop's border)."""
    h, w = dist.shape
    gx = dist[r, np.minimum(c + 1, w - 1)] - dist[r, np.maximum(c - 1, 0)]
    gy = dist[np.minimum(r + 1, h - 1), c] - dist[np.maximum(r - 1, 0), c]
    return gx, gy


def _across(gx: np.ndarray, gy: np.ndarray, tangent: np.ndarray) -> np.ndarray:
    """(N,) float32 0..1 |cos| between the strands' image direction (camera-frame ``tangent`` (N, 3),
    its x, y) and the outline's normal (the distance's gradient ``gx``, ``gy`` (N,))."""
    t = tangent[:, :2]
    dot = np.abs(t[:, 0] * gx + t[:, 1] * gy)
    norm = np.sqrt((t * t).sum(1) * (gx * gx + gy * gy))
    return np.where(norm > 1e-6, dot / np.maximum(norm, np.float32(1e-6)), np.float32(0.5)).astype(np.float32)
