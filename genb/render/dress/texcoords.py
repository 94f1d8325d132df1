"""Cloth coordinates of garment shells: where on the cloth each vertex is, in metres.

The renderer draws a patterned garment's pattern per pixel from these coordinates
(:mod:`genb.render.dress.fabric`, :mod:`genb.render.raster.texcoord_pass`); the colour pass gets the
pattern's mean colour per vertex. Coordinates are computed once per cached shell (and stored with it).

Charts (the regions a pattern is unrolled in: trunk, arms, legs, skirt) meet only on clean lines where
a garment has a seam: their triangles are cut there (:mod:`genb.render.dress.charts`). A top is its trunk
(hips and hem band included) and its arms, cut at the armhole planes; trousers and shorts are two legs
up to the waist, cut at the centre line (the rise); every unrolled seam (u = +-pi R) is cut on its line.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.charts import Cut, cut
from genb.render.dress.fabric import REGION_OFFSETS, TEXTURED, cloth_coordinates, pattern_mean, unroll_radii
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
    """A piece's cloth coordinates over a topology cut at its seams (N shell vertices, N' >= N).

    Attributes:
        index: (N',) int the shell vertex each map vertex copies (the first N are the shell's own).
        faces: (F, 3) int the shell's faces over the map vertices (cut along the charts' edges:
            :mod:`genb.render.dress.charts`).
        uv: (N', 2) float64 cloth coordinates, metres: continuous over every face (a face never spans
            two charts: where the charts meet the faces are cut along the seam, and the points there
            get a copy per chart).
        mixed: (rows (M,), (M, K) int, (M, K) float64) the map vertices that are points cut on the shell's
            edges, as combinations of K of its vertices (indices, weights) (:func:`genb.render.dress.charts.positions`); None: none.
        region: (N',) int8 each map vertex's region (0 trunk, 1, 2 arms, 3, 4 legs, 5 skirt; -1 unused).
    """

    index: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    encoded: tuple | None = None  # (texcoord_0, color_0) of ``uv`` when computed once (fabric.encode_vertex_texcoords)
    seams: np.ndarray | None = None  # (6, 3) where its seams and edges lie (genb.render.dress.seams.seam_layout)
    mixed: tuple | None = None
    region: np.ndarray | None = None


def chart_lines(atlas) -> tuple[float, float, float]:
    """Where a tight shell's charts meet, in the rest frame (metres, relative to mid-hip): the armholes'
    distance from the centre line (|x|, the shoulder joint plus 15 % of the upper arm), the height
    below which no arm begins (halfway up the trunk) and the crotch's height (the trunk's lowest point)."""
    kp = atlas.keypoints
    sh, el = kp[K25["left_shoulder"], 0], kp[K25["left_elbow"], 0]
    z_mid = 0.5 * (kp[K25["neck"], 2] + kp[K25["mid_hip"], 2])
    return float(sh + 0.15 * (el - sh)), float(z_mid), float(atlas.rest[atlas.parts == PART_INDEX["torso"], 2].min())


def straighten(rest: np.ndarray, region: np.ndarray, atlas, centres: np.ndarray) -> np.ndarray:
    """(N, 3) rest positions with each limb's bend taken out, so a limb unrolls around its own axis: a
    leg's points shifted across (x, y) by where the polyline hip - knee - ankle lies at their height
    (relative to where it lies at the leg's centre), an arm's across (y, z) by the shoulder - elbow -
    wrist polyline at their |x|. Heights and |x| (the ``v`` of the unrolling) are unchanged; the trunk
    and everything above a hip or inside a shoulder are not moved."""
    out = np.array(rest, np.float64)
    kp = atlas.keypoints
    for r, side in ((1, "left"), (2, "right"), (3, "left"), (4, "right")):
        sel = np.flatnonzero(region == r)
        if not len(sel):
            continue
        if r >= 3:
            line = kp[[K25[f"{side}_{j}"] for j in ("hip", "knee", "ankle")]]
            along, cols, ref = -line[:, 2], [0, 1], -centres[r, 2]
            t = -out[sel, 2]
        else:
            line = kp[[K25[f"{side}_{j}"] for j in ("shoulder", "elbow", "wrist")]]
            along, cols = np.abs(line[:, 0]), [1, 2]
            ref = 0.5 * (along[0] + along[1])
            t = np.abs(out[sel, 0])
        for c in cols:
            shift = np.interp(t, along, line[:, c]) - np.interp(ref, along, line[:, c])
            out[sel, c] -= shift
    return out


def _region_cuts(faces: np.ndarray, rest: np.ndarray, atlas) -> tuple[Cut, np.ndarray]:
    """The shell cut into regions along clean lines, and each face's region (F',).

    The arms begin at the armhole planes |x| = x_cut (:func:`chart_lines`); a shell that runs down the
    legs (below the crotch: trousers, shorts) is two legs up to the waist, left and right of the centre
    line x = 0 (the rise), so the inseams, the crotch and the rise form one seam and no trunk chart
    sits in the crotch; everything else is the trunk (a top's hips, a skirt's waistband)."""
    x_cut, z_mid, z_crotch = chart_lines(atlas)
    mesh = Cut.of(faces, len(rest), rest[np.asarray(faces, np.int64)])
    p = mesh.attrs
    mesh = cut(mesh, np.abs(p[..., 0]) - x_cut - 4.0 * np.maximum(z_mid - p[..., 2], 0.0))
    centre_x = mesh.attrs[..., 0].mean(axis=1)
    region = np.where(mesh.side > 0, np.where(centre_x > 0, 1, 2), 0)
    if rest[:, 2].min() < z_crotch - 0.02:
        mesh = cut(mesh, np.where(region[:, None] == 0, mesh.attrs[..., 0], 1.0))
        region = np.where(region[mesh.source] == 0, np.where(mesh.side > 0, 3, 4), region[mesh.source])
    return mesh, region


def _seam_cuts(mesh: Cut, region: np.ndarray, uv: np.ndarray, turns: np.ndarray, upper: np.ndarray) -> tuple[Cut, np.ndarray]:
    """Cut the faces across a region's unrolled seam (corners a turn apart in u) along the seam line
    u = ``upper[region]`` (the top of the region's u range), so the seam is a straight line on the cloth,
    not the faces' staircase. Returns the cut mesh (``attrs``: cloth coordinates (F', 3, 2), each face's
    within the region's range) and its faces' regions."""
    T = turns[region][:, None]
    u = uv[..., 0]
    straddle = (T[:, 0] > 0) & (np.ptp(u, axis=1) > 0.5 * T[:, 0])
    low = straddle[:, None] & (u < u.max(axis=1, keepdims=True) - 0.5 * T)
    uv = uv.copy()
    uv[..., 0] += np.where(low, T, 0.0)
    values = np.where(straddle[:, None], uv[..., 0] - upper[region][:, None], 1.0)
    out = cut(dataclasses.replace(mesh, attrs=uv), values)
    beyond = straddle[out.source] & (out.side > 0)
    out.attrs[beyond, :, 0] -= turns[region[out.source]][beyond, None]
    return out, region[out.source]


def _cloth_map(mesh: Cut, region: np.ndarray, radii: np.ndarray) -> ClothMap:
    """The :class:`ClothMap` of a cut mesh whose faces carry their corners' cloth coordinates."""
    n, P = mesh.n, mesh.points
    pid, cu = mesh.faces.ravel(), mesh.attrs.reshape(-1, 2)
    creg = np.repeat(region, 3)
    uniq, first = np.unique(pid, return_index=True)
    own, oreg = np.zeros((P, 2)), np.full(P, -1, np.int8)
    own[uniq], oreg[uniq] = cu[first], creg[first]
    differ = np.flatnonzero((np.abs(cu - own[pid]) > 1e-9).any(axis=1))
    index = np.arange(P)
    index[n:] = mesh.mix[0][:, 0]
    faces = pid.copy()
    faces[differ] = P + np.arange(len(differ))
    point = np.concatenate([np.arange(P), pid[differ]])
    rows = np.flatnonzero(point >= n)
    mixed = (rows, mesh.mix[0][point[rows] - n], mesh.mix[1][point[rows] - n]) if len(rows) else None
    uv = np.concatenate([own, cu[differ]])
    reg = np.concatenate([oreg, creg[differ]]).astype(np.int8)
    out = ClothMap(index[point], faces.reshape(-1, 3), uv, mixed=mixed, region=reg)
    out.seams = seam_layout(uv, reg, radii)
    return out


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
    shell with another ``extra``, as a flared trouser leg, shares it and its map). The unrolling radii
    are each region's by the shell vertices' dominant body parts (the scale of the patterns); the
    charts are cut along clean lines (:func:`_region_cuts`, :func:`_seam_cuts`)."""
    cached = getattr(shell.blend, "_genb_cloth_map", None)
    if cached is not None and cached[0] is shell.faces and cached[1] is shell.rest:
        return cached[2]
    dominant = _REGION_OF_PART[atlas.parts[row_argmax(shell.blend)]]
    rest = np.asarray(shell.rest, np.float64)
    radii = unroll_radii(straighten(rest, dominant, atlas, centres), dominant, centres)
    mesh, region = _region_cuts(shell.faces, rest, atlas)
    corners = straighten(mesh.attrs.reshape(-1, 3), np.repeat(region, 3), atlas, centres)
    uv = cloth_coordinates(corners, np.repeat(region, 3), centres, radii).reshape(-1, 3, 2)
    turns = np.concatenate([2 * np.pi * radii, [0.0]])
    mesh, region = _seam_cuts(mesh, region, uv, turns, REGION_OFFSETS[:, 0] + 0.5 * turns)
    out = _cloth_map(mesh, region, np.concatenate([radii, [SKIRT_RADIUS_M]]))
    shell.blend._genb_cloth_map = (shell.faces, shell.rest, out)
    return out


def skirt_texcoords(rest: np.ndarray, faces: np.ndarray) -> ClothMap:
    """The :class:`ClothMap` of a loose shell from its rest coordinates (angle x radius, 0, height; the
    angle in [0, 2 pi): its seam where the angle wraps, the left side)."""
    r = np.asarray(rest, np.float64)
    turns = np.array([0, 0, 0, 0, 0, 2 * np.pi * SKIRT_RADIUS_M])
    f = np.asarray(faces, np.int64)
    region = np.full(len(f), 5)
    uv = cloth_coordinates(r, np.full(len(r), 5))[f]
    mesh = Cut.of(f, len(r), uv)
    mesh, region = _seam_cuts(mesh, region, uv, turns, REGION_OFFSETS[:, 0] + turns)
    return _cloth_map(mesh, region, np.full(6, SKIRT_RADIUS_M))


def textured(fabric: dict | None) -> bool:
    """Whether a garment record's pattern is drawn per pixel."""
    return bool(fabric) and fabric.get("pattern", "solid") in TEXTURED


def mean_colors(fabric: dict, n: int) -> np.ndarray:
    """(n, 3) float32 the fabric's mean colour for every vertex (the colour pass's share)."""
    return np.broadcast_to(pattern_mean(fabric), (n, 3)).copy()
