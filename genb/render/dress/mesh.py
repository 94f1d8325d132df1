"""The meshes an outfit is made of: :class:`GarmentMesh` (one posed piece for the rasterizer),
small closed primitives (ellipsoid, box) and helpers shared by the garment, shoe and accessory
builders (which cloth lies outermost over a body vertex, a shell's hem strips)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.render.dress.shells import Shell, ring_faces
from genb.render.dress.vec import norm


@dataclasses.dataclass
class GarmentMesh:
    """One posed piece of an outfit, ready for the rasterizer.

    Attributes:
        vertices: (N, 3) float32 world frame, metres. normals: (N, 3) float32 unit.
        faces: (F, 3) uint32. colors: (N, 3) float32 albedo 0..1.
        part: part id (``conventions.PARTS``, >= 15).
        covered: (Fc,) int body faces this piece covers (for show-through checks), or None.
        name: what it is (e.g. ``"jeans"``, ``"hair:long"``).
        hides: (Fh,) int body faces it hides from every view (not drawn in the dressed passes), or None.
        hem: (N,) bool vertices of a hem (its edge and the strip turned back towards the skin), or None.
        uv: the cloth coordinates of a patterned garment (:class:`~genb.render.dress.texcoords.ClothMap`),
            or None: its pattern is then drawn per pixel (:mod:`genb.render.dress.fabric`) and ``colors``
            hold its mean.
        fabric: the garment record the pattern comes from (with ``uv``), or None.
        laid: (N,) bool vertices laid over a loose garment under it (:mod:`genb.render.dress.layering`:
            they take its shape, not the body's), or None.
        columns: a loose grid's columns round the ring (:func:`~genb.render.dress.hang.hang_grid`: its top ring
            is vertices 0..columns-1; 44, a fallen skirt's 132), 0 for any other piece.
    """

    vertices: np.ndarray
    normals: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    part: int
    covered: np.ndarray | None = None
    name: str = ""
    hides: np.ndarray | None = None
    hem: np.ndarray | None = None
    uv: Any = None
    fabric: dict | None = None
    laid: np.ndarray | None = None
    columns: int = 0


def body_vertex_rows(shell: Shell) -> np.ndarray:
    """(V,) per body vertex the shell vertex that sits on it alone (blend weight 1), or -1."""
    blend = shell.blend.tocsr()
    single = np.flatnonzero((np.diff(blend.indptr) == 1))
    single = single[blend.data[blend.indptr[single]] > 0.999]
    rows = np.full(blend.shape[1], -1, np.int64)
    rows[blend.indices[blend.indptr[single]]] = single
    return rows


def cloth_over_skin(vertices: np.ndarray, normals: np.ndarray, layers: list) -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) per body vertex the outermost cloth over it and (V, 3) that cloth's normal (the skin
    where no layer sits on the vertex). ``layers``: (shell, posed vertices, posed normals), any order."""
    P = np.asarray(vertices, np.float32).copy()
    N = np.asarray(normals, np.float32).copy()
    height = np.zeros(len(P), np.float32)
    for shell, v, n in layers:
        rows = body_vertex_rows(shell)
        on = np.flatnonzero(rows >= 0)
        h = np.einsum("ij,ij->i", v[rows[on]] - vertices[on], normals[on])
        out = h > height[on]
        ids = on[out]
        P[ids], N[ids], height[ids] = v[rows[ids]], n[rows[ids]], h[out]
    return P, N


_NEIGHBOURS: dict = {}  # (id(faces), region key) -> (faces, neighbour ids grouped per vertex, group starts, vertices)


def _neighbours(faces: np.ndarray, region: np.ndarray) -> tuple:
    """The neighbours over ``faces`` (F, 3) of each vertex of ``region`` (V,) bool that are in it too,
    grouped per vertex for ``reduceat`` (once a mesh and region)."""
    key = (id(faces), np.packbits(region).tobytes())
    got = _NEIGHBOURS.get(key)
    if got is None or got[0] is not faces:
        f = np.asarray(faces, np.int64)
        e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
        a, b = np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]])
        keep = region[a] & region[b]
        a, b = a[keep], b[keep]
        order = np.lexsort((b, a))
        a, b = a[order], b[order]
        rows, starts = np.unique(a, return_index=True)
        got = _NEIGHBOURS[key] = (faces, b, starts, rows)
    return got[1:]


def close_gaps(vertices: np.ndarray, normals: np.ndarray, P: np.ndarray, faces: np.ndarray, region: np.ndarray,
               rounds: int = 7) -> np.ndarray:
    """(V, 3) the outermost cloth ``P`` (:func:`cloth_over_skin`) with its narrow gaps spanned over the body's
    ``region`` (V,) bool: the cloth's height over the skin closed over the body's mesh (``faces``) by
    ``rounds`` rings (the largest of the neighbours' heights ``rounds`` times, then the least as often),
    so a gap up to about twice that many rings wide between two pieces of cloth (an open jacket's front)
    is spanned at their height while the cloth's outer edges stay where they are. ``vertices``,
    ``normals``: (V, 3) the posed body."""
    nb, starts, rows = _neighbours(faces, region)
    h = np.einsum("ij,ij->i", np.asarray(P, np.float64) - vertices, normals)
    closed = h.copy()
    for op in [np.maximum] * rounds + [np.minimum] * rounds:
        closed[rows] = op(closed[rows], op.reduceat(closed[nb], starts))
    up = closed > h + 0.001
    out = np.asarray(P, np.float32).copy()
    out[up] = (vertices[up] + normals[up] * closed[up, None]).astype(np.float32)
    return out


def shell_hem(shell: Shell) -> np.ndarray | None:
    """(G,) bool: a shell's hem strips (inner edges and the edges they hang from)."""
    if shell.twin is None:
        return None
    hem = shell.twin != np.arange(shell.num_vertices)
    hem[shell.twin[hem]] = True
    return hem


def wound_faces(shell: Shell) -> np.ndarray:
    """(F, 3) uint32 a shell's faces with its hem strips wound as the shell, for drawing (cached on its blend).

    :func:`~genb.render.dress.shells.build_shell` strings each strip along its open edge taken as a sorted
    vertex pair, so about half the strips run the other way from the shell's face on their edge: drawn with
    back faces culled, a sleeve's cuff seen end-on showed every other strip missing (dark spokes with the
    background between them; a coat's cuff at the wrist: 40 of its 80 strip faces). Here each strip face whose
    edge on the shell runs as the shell's own face runs it is turned over. The shell's own faces stay as they
    were (the dressing's steps that turn normals by their faces', :mod:`~genb.render.dress.seat_tent` and
    :mod:`~genb.render.dress.knee_clear`, took them so)."""
    cached = getattr(shell.blend, "_genb_wound", None)
    if cached is not None and cached[0] is shell.faces:
        return cached[1]
    f = np.asarray(shell.faces)
    out = f
    if shell.twin is not None:
        G = np.int64(shell.num_vertices)
        main = shell.twin == np.arange(shell.num_vertices)
        own = main[f].all(axis=1)
        F = f.astype(np.int64)
        edge = np.zeros(len(main), bool)
        edge[shell.twin[~main]] = True  # the open edges' vertices: only faces touching them can hold a strip's edge
        O = F[own & edge[f].any(axis=1)]
        keys = np.concatenate([O[:, i] * G + O[:, (i + 1) % 3] for i in range(3)])
        strip = np.flatnonzero(~own)
        same = np.zeros(len(strip), bool)
        for i in range(3):  # the strip face's edge on the shell (both ends the shell's own) runs as a shell face runs it
            a, b = F[strip, i], F[strip, (i + 1) % 3]
            same |= main[a] & main[b] & np.isin(a * G + b, keys)
        n = len(strip) // 2  # build_shell's strips: (a, b, b2) per open edge, then (a, b2, a2) in the same order
        if 2 * n == len(strip) and (F[strip[:n], 0] == F[strip[n:], 0]).all():
            same[n:] = same[:n]  # each quad's second face (one end on the shell only) turns with its first
        if same.any():
            out = f.copy()
            out[strip[same]] = f[strip[same]][:, ::-1]
    try:
        shell.blend._genb_wound = (shell.faces, out)
    except AttributeError:  # (a blend that takes no attributes: computed per call)
        pass
    return out


def nan_le(x: np.ndarray, t: float) -> np.ndarray:
    return np.nan_to_num(x, nan=np.inf) <= t


def nan_ge(x: np.ndarray, t: float) -> np.ndarray:
    return np.nan_to_num(x, nan=-np.inf) >= t


def mesh_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """(V, 3) float32 unit area-weighted vertex normals of a small mesh (vertices (V, 3), faces (F, 3)):
    :func:`genb.render.raster.meshes.vertex_normals` without an incidence matrix, bit for bit, its
    sums added per coordinate (numpy's quick ``add.at`` takes one-dimensional operands only; on whole
    rows it is several times slower)."""
    v = v.astype(np.float32)
    x, y, z = np.ascontiguousarray(v.T)
    a, b, c = np.asarray(f, np.int64).T
    ax, ay, az = x[a], y[a], z[a]
    ux, uy, uz = x[b] - ax, y[b] - ay, z[b] - az
    wx, wy, wz = x[c] - ax, y[c] - ay, z[c] - az
    fn = (uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx)  # np.cross, written out
    n = np.zeros_like(v)
    for corner in (a, b, c):
        for k in range(3):
            np.add.at(n[:, k], corner, fn[k])
    n /= np.maximum(norm(n, keepdims=True), 1e-12)
    return n


def ellipsoid(center: np.ndarray, axes: np.ndarray, radii: np.ndarray, rings: int = 7, bins: int = 12):
    """(N, 3) vertices and faces of an ellipsoid with ``axes`` (3, 3) columns and ``radii`` (3,)."""
    th = np.linspace(0.15, np.pi - 0.15, rings)
    ph = np.arange(bins) / bins * 2 * np.pi
    T, P = np.meshgrid(th, ph, indexing="ij")
    unit = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1).reshape(-1, 3)
    v = center + (unit * radii) @ axes.T
    return v.astype(np.float32), ring_faces(rings, bins)


def box(center: np.ndarray, axes: np.ndarray, half: np.ndarray):
    """(24, 3) vertices (split per face, flat normals) and (12, 3) faces of a box."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float64)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    v = np.concatenate([corners[list(q)] for q in quads]) * half
    f = np.concatenate([[[4 * i, 4 * i + 1, 4 * i + 2], [4 * i, 4 * i + 2, 4 * i + 3]] for i in range(6)])
    return (center + v @ axes.T).astype(np.float32), f.astype(np.uint32)
