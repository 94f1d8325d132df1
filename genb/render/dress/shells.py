"""Garment, shoe and hair shells over a body's own topology, and loose shells around the legs.

A *tight shell* is a subset of the body's faces, subdivided once (patterns and hems need
the finer grid), whose vertices are fixed sparse blends of body vertices: posed, each
sits ``thickness`` out along the posed body normal, so the shell follows every pose and
every body shape with the body's own deformation. Its open edges get a short rim back
towards the skin, so a cut reads as a hem.

:func:`loose_shell` is the cut of a loose garment (skirt, dress, coat tail): rings from the waist
down to the hem whose radius at each angle is the largest of the enclosed body vertices at or
above that height plus a margin. :mod:`genb.render.dress.hang` makes it around the hips and legs
carried back to a standing pose, then skins and relaxes it onto the posed body.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse

from genb.render.dress.edges import unique_rows as _unique_rows
from genb.render.dress.vec import norm, roll

if TYPE_CHECKING:
    from genb.render.dress.drape import Drape


@dataclasses.dataclass
class Shell:
    """A tight shell's topology over a body (G shell vertices, V body vertices).

    Attributes:
        blend: (G, V) sparse: shell vertex = blend @ body vertices (rows sum to 1).
        lift: (G,) fraction of the thickness a vertex is pushed out by (1 on the shell,
            ``rim`` on a hem's inner edge).
        extra: (G,) metres added to the offset (e.g. long hair bridging the neck), >= 0.
        faces: (Fg, 3) uint32 triangles over the shell vertices.
        covered: (Fc,) int indices of the body faces the shell covers.
        rest: (G, 3) rest-pose positions (pattern coordinates), metres.
        rest_normals: (G, 3) rest-pose normals.
        hidden: (Fh,) int body faces well inside the cut (``field <= -hide_margin``): the garment
            hides them where it covers them (the dressed passes draw them pushed back: raster.push_back).
        twin: (G,) int: for a hem's inner-edge vertex the shell vertex it hangs from, else itself.
        drape: the smoothed offset surface (:func:`drape_shell`), or None (the shell follows the skin).
        hug: (G,) the weight in [0, 1] of :func:`~genb.render.dress.armhole.hug_armholes` at each shell vertex
            (its neckline and armholes keep to the skin; a hem's inner edge: 0, it reads its twin's), or None (0).
    """

    blend: scipy.sparse.csr_matrix
    lift: np.ndarray
    extra: np.ndarray
    faces: np.ndarray
    covered: np.ndarray
    rest: np.ndarray
    rest_normals: np.ndarray
    hidden: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    twin: np.ndarray | None = None
    drape: "Drape | None" = None
    hug: np.ndarray | None = None

    @property
    def num_vertices(self) -> int:
        return self.blend.shape[0]


def _subdivision(local: np.ndarray, n: int) -> tuple[np.ndarray, scipy.sparse.csr_matrix]:
    """Split each triangle of ``local`` (F, 3) over n vertices into four: new faces and the
    (n + E, n) sparse blend giving every new vertex from the old ones."""
    e = np.sort(np.concatenate([local[:, [0, 1]], local[:, [1, 2]], local[:, [2, 0]]]), axis=1)
    edges, inv = _unique_rows(e, return_inverse=True)
    m01, m12, m20 = n + inv.reshape(3, -1)
    a, b, c = local.T
    faces = np.concatenate([np.stack([a, m01, m20], 1), np.stack([m01, b, m12], 1),
                            np.stack([m20, m12, c], 1), np.stack([m01, m12, m20], 1)])
    E = len(edges)
    rows = np.concatenate([np.arange(n), n + np.arange(E), n + np.arange(E)])
    cols = np.concatenate([np.arange(n), edges[:, 0], edges[:, 1]])
    vals = np.concatenate([np.ones(n), np.full(2 * E, 0.5)])
    return faces, scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(n + E, n))


def build_shell(atlas, field: np.ndarray, rim: float = 0.2, extra: np.ndarray | None = None,
                subdivide: bool = True, hide_margin: float | None = 0.12) -> Shell:
    """A :class:`Shell` over the body where ``field <= 0``, cut cleanly along ``field = 0``.

    Every body face with a vertex inside is kept; its outside vertices are moved along their
    edges to where the field crosses zero (the mean of the crossings on their edges to inside
    vertices), so a hem follows the cut line rather than the mesh's triangle edges.

    Args:
        field: (V,) per body vertex, <= 0 inside the garment (e.g. ``arm - sleeve``), linear-ish
            in the atlas coordinates.
        rim: offset fraction of a hem's inner edge (0 = down to the skin).
        extra: optional (V,) metres of extra offset per body vertex.
        subdivide: split each triangle into four (edge midpoints).
        hide_margin: body faces with every vertex at ``field <= -hide_margin`` are listed as
            ``hidden`` (None: none are).
    """
    all_faces = np.asarray(atlas.faces)
    V = len(atlas.parts)
    field = np.asarray(field, np.float64)
    inside = field <= 0
    face_ids = np.flatnonzero(inside[all_faces].any(axis=1))
    faces = all_faces[face_ids]
    used, local = np.unique(faces, return_inverse=True)
    local = local.reshape(-1, 3)
    n0 = len(used)
    # 1. Body vertex -> shell vertex blend: inside vertices as they are, outside ones on the cut.
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    e = _unique_rows(np.sort(e, axis=1))
    cross = inside[e[:, 0]] != inside[e[:, 1]]
    e = e[cross]
    i_in = np.where(inside[e[:, 0]], e[:, 0], e[:, 1])
    i_out = np.where(inside[e[:, 0]], e[:, 1], e[:, 0])
    t = np.clip(field[i_in] / np.minimum(field[i_in] - field[i_out], -1e-12), 0.0, 1.0)
    row_of = np.searchsorted(used, i_out)
    count = np.bincount(row_of, minlength=n0).astype(np.float64)
    keep = inside[used]
    rows = np.concatenate([np.flatnonzero(keep), row_of, row_of])
    cols = np.concatenate([used[keep], i_in, i_out])
    w = 1.0 / np.maximum(count[row_of], 1.0)
    vals = np.concatenate([np.ones(keep.sum()), (1 - t) * w, t * w])
    blend = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(n0, V))
    if subdivide and len(local):
        local, S = _subdivision(local, n0)
        blend = (S @ blend).tocsr()
    lift = np.ones(blend.shape[0])
    twin = np.arange(blend.shape[0])
    # 2. Hems: boundary edges (used by one face) get a strip down to ``rim`` of the thickness.
    if len(local):
        e = np.sort(np.concatenate([local[:, [0, 1]], local[:, [1, 2]], local[:, [2, 0]]]), axis=1)
        edges, counts = _unique_rows(e, return_counts=True)
        border = edges[counts == 1]
        if len(border):
            n1 = blend.shape[0]
            bverts, binv = np.unique(border, return_inverse=True)
            binv = binv.reshape(-1, 2) + n1
            blend = scipy.sparse.vstack([blend, blend[bverts]]).tocsr()
            lift = np.concatenate([lift, np.full(len(bverts), rim)])
            twin = np.concatenate([twin, bverts])
            a, b = border.T
            a2, b2 = binv.T
            local = np.concatenate([local, np.stack([a, b, b2], 1), np.stack([a, b2, a2], 1)])
    ext = np.zeros(blend.shape[0]) if extra is None else np.asarray(blend @ extra, np.float64)
    rest = np.asarray(blend @ atlas.rest)
    rn = np.asarray(blend @ atlas.normals)
    rn /= np.maximum(np.linalg.norm(rn, axis=1, keepdims=True), 1e-9)
    covered = face_ids[inside[faces].all(axis=1)]
    hidden = face_ids[(field[faces] <= -hide_margin).all(axis=1)] if hide_margin is not None else np.zeros(0, np.int64)
    return Shell(blend=blend, lift=lift, extra=ext, faces=local.astype(np.uint32), covered=covered,
                 rest=rest, rest_normals=rn, hidden=hidden, twin=twin)


def pose_shell(shell: Shell, vertices: np.ndarray, normals: np.ndarray, thickness: float,
               ease: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Posed shell vertices and normals.

    Args:
        vertices: (V, 3) posed body vertices, metres. normals: (V, 3) their unit normals.
        thickness: metres out from the skin (from the smoothed surface of a draped shell).
        ease: metres of room between the smoothed surface and the cloth (draped shells only;
            scaled per vertex by the drape's ``ease_scale``).
    Returns:
        (G, 3) float32 vertices and (G, 3) float32 unit normals.
    """
    if shell.drape is not None:
        from genb.render.dress.drape import pose_draped

        off = thickness * shell.lift + shell.extra + ease * shell.drape.ease_scale
        return pose_draped(shell, vertices, normals, off)
    n = np.asarray(shell.blend @ normals, np.float32)
    n /= np.maximum(norm(n, keepdims=True), 1e-9)
    v = np.asarray(shell.blend @ vertices, np.float32)
    off = (thickness * shell.lift + shell.extra).astype(np.float32)
    return v + off[:, None] * n, n


def ring_faces(rings: int, bins: int, closed: bool = True) -> np.ndarray:
    """(F, 3) uint32 triangles of a grid of ``rings`` x ``bins`` vertices (row-major), wrapping
    around the bins when ``closed``."""
    r, b = np.meshgrid(np.arange(rings - 1), np.arange(bins if closed else bins - 1), indexing="ij")
    r, b = r.ravel(), b.ravel()
    b1 = (b + 1) % bins
    i00, i01, i10, i11 = r * bins + b, r * bins + b1, (r + 1) * bins + b, (r + 1) * bins + b1
    return np.concatenate([np.stack([i00, i10, i11], 1), np.stack([i00, i11, i01], 1)]).astype(np.uint32)


def loose_shell(points: np.ndarray, z_top: float, z_hem: float, margin: float, flare: float = 0.0,
                rings: int = 14, bins: int = 44, open_front: np.ndarray | None = None,
                open_half_angle: float = 0.35, max_spread: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """A skirt-like shell enclosing ``points`` from ``z_top`` down to ``z_hem``.

    Ring ``k`` (height ``z_k``) is centred on the enclosed points near its height; its
    radius at each of ``bins`` angles is the largest radius of the points at or above the
    ring below it, in that angular sector and its neighbours, plus ``margin`` (plus
    ``flare`` times the distance below the top): radii never shrink going down, so every
    point above the hem lies inside the shell.

    Args:
        points: (N, 3) posed body vertices to enclose (world frame, metres, Z up).
        z_top, z_hem: heights of the waist ring and of the hem, metres (z_top > z_hem).
        open_front: optional (2,) unit xy direction the body faces: the shell is left open
            over ``open_half_angle`` radians around it (an open coat).
        max_spread: the radius grows at most this much (metres) beyond the waist ring's; points
            farther out (a seated person's thighs under a coat tail) are left outside.
    Returns:
        (rings * bins, 3) float32 vertices, (F, 3) uint32 faces, and (N,) bool: the points it encloses.
    """
    z = np.linspace(z_top, z_hem, rings)
    in_range = (points[:, 2] <= z_top + 0.02) & (points[:, 2] >= z_hem - 0.02)
    if not in_range.any():
        in_range[:] = True
    p = points[in_range]
    # 1. Ring centres: mean xy of the points near each ring's height, smoothed, filled down.
    band = np.clip(np.rint((z_top - p[:, 2]) / max(z_top - z_hem, 1e-6) * (rings - 1)), 0, rings - 1).astype(int)
    sums = np.zeros((rings, 2))
    for c in range(2):  # per coordinate: numpy's quick add.at takes 1-D operands (the same sums, the same bits)
        np.add.at(sums[:, c], band, p[:, c])
    cnt = np.bincount(band, minlength=rings).astype(float)
    centre = np.zeros((rings, 2))
    have = cnt > 0
    centre[have] = sums[have] / cnt[have, None]
    for k in range(rings):  # empty rings take the ring above's centre
        if not have[k]:
            centre[k] = centre[k - 1] if k > 0 else p[:, :2].mean(0)
    centre = np.cumsum(centre, 0) / np.arange(1, rings + 1)[:, None] * 0.5 + centre * 0.5  # lean to the top
    for _ in range(rings // 8):  # thin bands hold alternately more of one leg: no centre zigzag down the rings
        centre[1:-1] = 0.25 * centre[:-2] + 0.5 * centre[1:-1] + 0.25 * centre[2:]
    # 2. Radii: per (band, sector) maximum, widened over neighbouring bands and sectors, then
    #    a running maximum going down.
    d = p[:, :2] - centre[band]
    ang = np.mod(np.arctan2(d[:, 1], d[:, 0]), 2 * np.pi)
    sector = np.minimum((ang / (2 * np.pi) * bins).astype(int), bins - 1)
    rad = np.zeros((rings, bins))
    np.maximum.at(rad.reshape(-1), band * bins + sector, np.linalg.norm(d, axis=1))  # flat: numpy's quick 1-D path
    wide = np.maximum(rad, np.maximum(roll(rad, 1, 1), roll(rad, -1, 1)))
    wide[:-1] = np.maximum(wide[:-1], wide[1:])
    wide = np.maximum.accumulate(wide, axis=0)
    # smooth around the ring without ever going inside the running maximum
    smooth = (roll(wide, 1, 1) + 2 * wide + roll(wide, -1, 1)) / 4
    R = np.maximum(wide, smooth) / np.cos(np.pi / bins) + margin + flare * (z_top - z)[:, None]
    R = np.minimum(R, R[:1] + max_spread + flare * (z_top - z)[:, None])
    theta = (np.arange(bins) + 0.5) / bins * 2 * np.pi
    xy = centre[:, None, :] + R[..., None] * np.stack([np.cos(theta), np.sin(theta)], -1)[None]
    verts = np.concatenate([xy, np.broadcast_to(z[:, None, None], (rings, bins, 1))], -1).reshape(-1, 3)
    faces = ring_faces(rings, bins)
    inside = np.zeros(len(points), bool)  # the points the capped radii still enclose
    inside[np.flatnonzero(in_range)] = np.linalg.norm(d, axis=1) <= np.minimum(R[band, sector], R[np.minimum(band + 1, rings - 1), sector])
    if open_front is not None:
        fwd = np.arctan2(open_front[1], open_front[0])
        mid_angle = np.mod(theta + np.pi / bins - fwd + np.pi, 2 * np.pi) - np.pi  # angle of each quad's middle
        quad_bin = np.concatenate([np.tile(np.arange(bins), rings - 1)] * 2)
        keep = np.abs(mid_angle[quad_bin]) > open_half_angle
        # the top ring stays closed for a band at the waist (a coat's closed waist reads better)
        faces = faces[keep]
    return verts.astype(np.float32), faces, inside
