"""Cutting a garment's triangles along clean lines, so its cloth coordinates change chart only there.

A garment's cloth coordinates (:func:`genb.render.dress.fabric.cloth_coordinates`) unroll each region
(trunk, arms, legs, a skirt) around its own axis. Where a triangle spans two regions, or the unrolled
seam of one (where u jumps by a turn), giving the whole triangle one region's coordinates puts the
jump on the triangle edges: a staircase of one chart's pattern into the other's. Here such triangles
are *cut* along the level set of a field instead (a plane such as the armhole or the centre line, or
the seam's u), so a chart ends on a straight line through the triangles: the line a tailor sews.

The cut pieces lie in their triangles' planes: each new point is a convex combination of shell
vertices (``mix``), posed with the shell every frame (:func:`positions`), and the rasterized surface
is the one the other passes draw. Pure functions over numpy arrays; built once per cached shell.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse


@dataclasses.dataclass
class Cut:
    """A triangle mesh over N vertices and P - N points cut on its edges.

    Attributes:
        faces: (F, 3) int triangles over the P points. source: (F,) int the face of the mesh before the
            last cut each comes from. side: (F,) int8 +1 / -1 the side of the last cut it lies on.
        mix: (P - N, N) csr: each cut point as a convex combination of the N vertices.
        attrs: (F, 3, K) float64 per corner attributes, linear along the cut edges (rest positions,
            cloth coordinates): a cut point's are its edge's, interpolated in that face.
    """

    faces: np.ndarray
    source: np.ndarray
    side: np.ndarray
    mix: scipy.sparse.csr_matrix
    attrs: np.ndarray
    n: int

    @classmethod
    def of(cls, faces: np.ndarray, n: int, attrs: np.ndarray) -> "Cut":
        """An uncut mesh of ``n`` vertices (``faces`` (F, 3), ``attrs`` (F, 3, K) per corner)."""
        f = np.asarray(faces, np.int64)
        return cls(f, np.arange(len(f)), np.zeros(len(f), np.int8),
                   scipy.sparse.csr_matrix((0, n)), np.asarray(attrs, np.float64), n)


def cut(mesh: Cut, values: np.ndarray) -> Cut:
    """Cut every triangle whose corner ``values`` (F, 3) (the field minus its level; consistent on shared
    edges) have both signs, along their zero line: a corner alone on its side makes three triangles,
    a corner at zero between two of opposite signs two. Triangles with all values >= 0 or <= 0 stay
    whole. Returns the cut mesh; ``side`` is the sign of the field over each triangle."""
    c = np.asarray(values, np.float64)
    s = np.sign(c).astype(np.int8)
    mixed = (s > 0).any(axis=1) & (s < 0).any(axis=1)
    whole = np.flatnonzero(~mixed)
    side_whole = np.where(c[whole].sum(axis=1) >= 0, 1, -1).astype(np.int8)
    m = np.flatnonzero(mixed)
    sm = s[m]
    zero = (sm == 0).any(axis=1)
    # the odd corner: the zero one, else the one whose sign the other two do not share
    odd = np.where(zero, np.argmax(sm == 0, axis=1), np.argmax((sm != np.roll(sm, -1, axis=1)) & (sm != np.roll(sm, 1, axis=1)), axis=1))
    rot = (odd[:, None] + np.arange(3)[None]) % 3
    f = np.take_along_axis(mesh.faces[m], rot, axis=1)
    cv = np.take_along_axis(c[m], rot, axis=1)
    at = np.take_along_axis(mesh.attrs[m], rot[..., None], axis=1)
    sr = np.take_along_axis(sm, rot, axis=1)
    P = mesh.n + mesh.mix.shape[0]
    # the edges cut: (a, b) and (a, c) for a lone corner a, (b, c) for a zero corner
    za, nz = np.flatnonzero(zero), np.flatnonzero(~zero)
    e_faces = np.concatenate([nz, nz, za])
    e_from = np.concatenate([np.zeros(len(nz), int), np.zeros(len(nz), int), np.ones(len(za), int)])
    e_to = np.concatenate([np.ones(len(nz), int), np.full(len(nz), 2), np.full(len(za), 2)])
    p, q = f[e_faces, e_from], f[e_faces, e_to]
    t = cv[e_faces, e_from] / (cv[e_faces, e_from] - cv[e_faces, e_to])  # from p toward q
    lo, hi = np.minimum(p, q), np.maximum(p, q)
    t_lo = np.where(p == lo, t, 1.0 - t)
    keys, first, inverse = np.unique(lo * P + hi, return_index=True, return_inverse=True)
    new_ids = P + inverse.ravel()
    mix = _mix_rows(mesh, lo[first], hi[first], t_lo[first])
    a_new = at[e_faces, e_from] * (1 - t)[:, None] + at[e_faces, e_to] * t[:, None]  # (E, K) in that face
    x = np.full((len(m), 2), -1, np.int64)  # per cut face its (one or two) new points
    ax = np.zeros((len(m), 2, at.shape[2]))
    x[nz, 0], x[nz, 1], x[za, 0] = new_ids[: len(nz)], new_ids[len(nz): 2 * len(nz)], new_ids[2 * len(nz):]
    ax[nz, 0], ax[nz, 1], ax[za, 0] = a_new[: len(nz)], a_new[len(nz): 2 * len(nz)], a_new[2 * len(nz):]
    A, B, C = f[:, 0], f[:, 1], f[:, 2]
    aA, aB, aC, aX, aY = at[:, 0], at[:, 1], at[:, 2], ax[:, 0], ax[:, 1]
    # lone corner: (a, x, y) on a's side, (x, b, c) and (x, c, y) on the others'
    pieces = [(nz, (A, x[:, 0], x[:, 1]), (aA, aX, aY), sr[:, 0]),
              (nz, (x[:, 0], B, C), (aX, aB, aC), sr[:, 1]),
              (nz, (x[:, 0], C, x[:, 1]), (aX, aC, aY), sr[:, 1]),
              (za, (A, B, x[:, 0]), (aA, aB, aX), sr[:, 1]),  # zero corner: (a, b, x) and (a, x, c)
              (za, (A, x[:, 0], C), (aA, aX, aC), sr[:, 2])]
    faces = [mesh.faces[whole]] + [np.stack([v[k] for v in vs], 1) for k, vs, _, _ in pieces]
    attrs = [mesh.attrs[whole]] + [np.stack([v[k] for v in vs], 1) for k, _, vs, _ in pieces]
    source = [whole] + [m[k] for k, _, _, _ in pieces]
    side = [side_whole] + [sd[k] for k, _, _, sd in pieces]
    return Cut(np.concatenate(faces), np.concatenate(source), np.concatenate(side).astype(np.int8),
               scipy.sparse.vstack([mesh.mix, mix]).tocsr(), np.concatenate(attrs), mesh.n)


def _mix_rows(mesh: Cut, p: np.ndarray, q: np.ndarray, t: np.ndarray) -> scipy.sparse.csr_matrix:
    """(E, N) the points (1 - t) * point p + t * point q as combinations of the mesh's N vertices."""
    n = mesh.n
    E = len(p)
    unit = scipy.sparse.identity(n, format="csr")
    table = scipy.sparse.vstack([unit, mesh.mix]).tocsr() if mesh.mix.shape[0] else unit
    wp = scipy.sparse.diags(1.0 - t) @ table[p] if E else scipy.sparse.csr_matrix((0, n))
    wq = scipy.sparse.diags(t) @ table[q] if E else scipy.sparse.csr_matrix((0, n))
    return (wp + wq).tocsr()


def positions(index: np.ndarray, mixed, vertices: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
    """(N', 3) float32 posed positions of a map's vertices (or of ``ids`` among them): each copies the
    shell vertex ``index`` names, or, for the rows of ``mixed`` ((rows (M,), (M, N) csr)), is that
    combination of the shell's ``vertices`` (N, 3)."""
    v = np.asarray(vertices, np.float32)
    out = v[index if ids is None else index[ids]]
    if mixed is not None and len(mixed[0]):
        rows, matrix = mixed
        got = (matrix @ v.astype(np.float64)).astype(np.float32)
        if ids is None:
            out[rows] = got
        else:
            where = np.full(len(index), -1, np.int64)
            where[ids] = np.arange(len(ids))
            k = where[rows]
            out[k[k >= 0]] = got[k >= 0]
    return out
