"""Cloth coordinates of garment shells: where on the cloth each vertex is, in metres.

The renderer draws a patterned garment's pattern per pixel from these coordinates
(:mod:`genb.render.dress.fabric`, :mod:`genb.render.raster.texcoord_pass`); the colour pass gets the
pattern's mean colour per vertex. Coordinates are computed once per cached shell.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.fabric import TEXTURED, cloth_coordinates, pattern_mean, unroll_radii
from genb.render.dress.seams import seam_layout

_REGION_OF_PART = np.zeros(256, np.int64)
for _side, _r_arm, _r_leg in (("left", 1, 3), ("right", 2, 4)):
    for _p in ("upper_arm", "lower_arm", "hand"):
        _REGION_OF_PART[PART_INDEX[f"{_side}_{_p}"]] = _r_arm
    for _p in ("upper_leg", "lower_leg", "foot"):
        _REGION_OF_PART[PART_INDEX[f"{_side}_{_p}"]] = _r_leg
SKIRT_RADIUS_M = 0.18  # a loose shell's rest u is its angle times this (hang.hang_grid)


def region_centres(atlas) -> np.ndarray:
    """(5, 3) axis points (rest frame, relative to mid-hip) of the trunk, arms and legs: the mean of
    the trunk's, each upper arm's and each upper leg's rest vertices."""
    c = np.zeros((5, 3))
    for r, part in ((1, "left_upper_arm"), (2, "right_upper_arm"), (3, "left_upper_leg"), (4, "right_upper_leg")):
        c[r] = atlas.rest[atlas.parts == PART_INDEX[part]].mean(axis=0)
    c[0] = atlas.rest[atlas.parts == PART_INDEX["torso"]].mean(axis=0)
    c[0, 2] = 0.0
    for r in (1, 2):  # the arm's axis through the shoulder: its height and depth, not its middle
        c[r, 0] = 0.0
    return c


@dataclasses.dataclass
class ClothMap:
    """A piece's cloth coordinates over a topology split at its seams (N shell vertices, N' >= N).

    Attributes:
        index: (N',) int the shell vertex each map vertex copies (the first N are the shell's own).
        faces: (F, 3) int the shell's faces over the map vertices.
        uv: (N', 2) float64 cloth coordinates, metres: continuous over every face (a face that
            straddles the unrolled seam or two regions gets its own copies of the vertices, with the
            coordinates of its region's unrolling).
    """

    index: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    encoded: tuple | None = None  # (texcoord_0, color_0) of ``uv`` when computed once (fabric.encode_vertex_texcoords)
    seams: np.ndarray | None = None  # (6, 3) where its seams and edges lie (genb.render.dress.seams.seam_layout)


def _split(faces: np.ndarray, uv: np.ndarray, region: np.ndarray, rest: np.ndarray, centres: np.ndarray,
           radii: np.ndarray, turns: np.ndarray) -> ClothMap:
    """:class:`ClothMap` of a shell: a face over two regions takes the region of its first vertex (its
    other corners get that region's coordinates), a face across a region's unrolled seam gets its
    low corners one turn (``turns[region]`` metres) further along u."""
    f = np.asarray(faces, np.int64)
    n = len(uv)
    fr = region[f[:, 0]]
    cu = uv[f].copy()  # (F, 3, 2) per corner
    foreign = region[f] != fr[:, None]
    fi, ci = np.nonzero(foreign)
    for r in np.unique(fr[fi]):
        k = fr[fi] == r
        cu[fi[k], ci[k]] = cloth_coordinates(rest[f[fi[k], ci[k]]], np.full(int(k.sum()), r), centres, radii)
    T = turns[fr][:, None]
    u = cu[..., 0]
    low = (T > 0) & (u < u.max(axis=1, keepdims=True) - 0.5 * T)
    cu[..., 0] += np.where(low, T, 0.0)
    fi, ci = np.nonzero(foreign | low)
    faces_out = f.copy()
    faces_out[fi, ci] = n + np.arange(len(fi))
    return ClothMap(np.concatenate([np.arange(n), f[fi, ci]]), faces_out, np.concatenate([uv, cu[fi, ci]]))


def row_argmax(matrix) -> np.ndarray:
    """(R,) per row of a sparse matrix with positive entries in every row the column of its largest
    entry, the smallest such column on ties (as ``scipy``'s ``argmax(axis=1)``, vectorised: scipy's
    loops over rows in Python)."""
    m = matrix.tocsr(copy=True)
    m.sum_duplicates()  # canonical (sorted columns, no duplicates), as scipy's argmax makes it first
    counts = np.diff(m.indptr)
    rows = np.repeat(np.arange(m.shape[0]), counts)
    top = np.maximum.reduceat(m.data, m.indptr[:-1])
    hit = np.flatnonzero(m.data == top[rows])[::-1]  # reversed: the first in each row is written last
    out = np.zeros(m.shape[0], np.int64)
    out[rows[hit]] = m.indices[hit]
    return out


def shell_texcoords(shell, atlas, centres: np.ndarray) -> ClothMap:
    """The :class:`ClothMap` of a tight shell (cached on the shell's blend matrix: a copy of a cached
    shell with another ``extra``, as a flared trouser leg, shares it and its map)."""
    cached = getattr(shell.blend, "_genb_cloth_map", None)
    if cached is not None and cached[0] is shell.faces and cached[1] is shell.rest:
        return cached[2]
    dominant = row_argmax(shell.blend)
    region = _REGION_OF_PART[atlas.parts[dominant]]
    rest = np.asarray(shell.rest, np.float64)
    radii = unroll_radii(rest, region, centres)
    uv = cloth_coordinates(rest, region, centres, radii)
    turns = np.concatenate([2 * np.pi * radii, [0.0]])
    out = _split(shell.faces, uv, region, rest, centres, radii, turns)
    out.seams = seam_layout(uv, region, np.concatenate([radii, [SKIRT_RADIUS_M]]))
    shell.blend._genb_cloth_map = (shell.faces, shell.rest, out)
    return out


def skirt_texcoords(rest: np.ndarray, faces: np.ndarray) -> ClothMap:
    """The :class:`ClothMap` of a loose shell from its rest coordinates (angle x radius, 0, height)."""
    r = np.asarray(rest, np.float64)
    turns = np.array([0, 0, 0, 0, 0, 2 * np.pi * SKIRT_RADIUS_M])
    region = np.full(len(r), 5)
    uv = cloth_coordinates(r, region)
    out = _split(faces, uv, region, r, np.zeros((5, 3)), np.zeros(5), turns)
    out.seams = seam_layout(uv, region, np.full(6, SKIRT_RADIUS_M))
    return out


def textured(fabric: dict | None) -> bool:
    """Whether a garment record's pattern is drawn per pixel."""
    return bool(fabric) and fabric.get("pattern", "solid") in TEXTURED


def mean_colors(fabric: dict, n: int) -> np.ndarray:
    """(n, 3) float32 the fabric's mean colour for every vertex (the colour pass's share)."""
    return np.broadcast_to(pattern_mean(fabric), (n, 3)).copy()
