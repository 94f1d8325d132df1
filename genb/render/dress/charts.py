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


@dataclasses.dataclass
class Cut:
    """A triangle mesh over N vertices and P - N points cut on its edges.

    Attributes:
        faces: (F, 3) int triangles over the P points. source: (F,) int the face of the mesh before the
            last cut each comes from. side: (F,) int8 +1 / -1 the side of the last cut it lies on.
        mix: ((P - N, K) int, (P - N, K) float64): each cut point as a convex combination of K of the N
            vertices (indices, weights; K doubles with every cut that crosses an edge between cut points).
        attrs: (F, 3, K) float64 per corner attributes, linear along the cut edges (rest positions,
            cloth coordinates): a cut point's are its edge's, interpolated in that face.
    """

    faces: np.ndarray
    source: np.ndarray
    side: np.ndarray
    mix: tuple
    attrs: np.ndarray
    n: int

    @classmethod
    def of(cls, faces: np.ndarray, n: int, attrs: np.ndarray) -> "Cut":
        """An uncut mesh of ``n`` vertices (``faces`` (F, 3), ``attrs`` (F, 3, K) per corner)."""
        f = np.asarray(faces, np.int64)
        return cls(f, np.arange(len(f)), np.zeros(len(f), np.int8),
                   (np.zeros((0, 1), np.int64), np.zeros((0, 1))), np.asarray(attrs, np.float64), n)

    @property
    def points(self) -> int:
        """P: the vertices and the cut points."""
        return self.n + len(self.mix[0])


def cut(mesh: Cut, values: np.ndarray) -> Cut:
    """Cut every triangle whose corner ``values`` (F, 3) (the field minus its level; consistent on shared
    edges) have both signs, along their zero line: a corner alone on its side makes three triangles,
    a corner at zero between two of opposite signs two. Triangles with all values >= 0 or <= 0 stay
    whole. Returns the cut mesh; ``side`` is the sign of the field over each triangle."""
    c = np.asarray(values, np.float64)
    s = np.sign(c).astype(np.int8)
    mixed = (s > 0).any(axis=1) & (s < 0).any(axis=1)
    if not mixed.any():  # nothing to cut: the same mesh, each face on its side
        side = np.where(c.sum(axis=1) >= 0, 1, -1).astype(np.int8)
        return dataclasses.replace(mesh, source=np.arange(len(c)), side=side)
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
    P = mesh.points
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
               _stack(mesh.mix, mix), np.concatenate(attrs), mesh.n)


def _rows(mesh: Cut, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(E, K) indices and weights of points ``p`` (E,) as combinations of the mesh's vertices."""
    idx, w = mesh.mix
    K = idx.shape[1]
    cut_pt = p >= mesh.n
    j = np.where(cut_pt, p - mesh.n, 0)
    out_i = np.where(cut_pt[:, None], idx[j] if len(idx) else 0, np.pad(p[:, None], ((0, 0), (0, K - 1))))
    out_w = np.where(cut_pt[:, None], w[j] if len(w) else 0.0, np.pad(np.ones((len(p), 1)), ((0, 0), (0, K - 1))))
    return out_i, out_w


def _mix_rows(mesh: Cut, p: np.ndarray, q: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points (1 - t) * point p + t * point q as combinations of the mesh's vertices; K doubles only
    where both ends are cut points (else the two rows share their width)."""
    (ip, wp), (iq, wq) = _rows(mesh, p), _rows(mesh, q)
    i, w = np.concatenate([ip, iq], 1), np.concatenate([wp * (1 - t)[:, None], wq * t[:, None]], 1)
    keep = np.flatnonzero((w != 0).any(axis=0))  # columns used by some row
    return i[:, keep], w[:, keep]


def _stack(a: tuple, b: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Two (index, weight) tables one above the other, the narrower padded with zero weights."""
    K = max(a[0].shape[1], b[0].shape[1])
    pad = [(np.pad(i, ((0, 0), (0, K - i.shape[1]))), np.pad(w, ((0, 0), (0, K - w.shape[1])))) for i, w in (a, b)]
    return np.concatenate([pad[0][0], pad[1][0]]), np.concatenate([pad[0][1], pad[1][1]])


def positions(index: np.ndarray, mixed, vertices: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
    """(N', 3) float32 posed positions of a map's vertices (or of ``ids`` among them): each copies the
    shell vertex ``index`` names, or, for the rows of ``mixed`` ((rows (M,), (M, K) indices, (M, K)
    weights)), is that combination of the shell's ``vertices`` (N, 3)."""
    v = np.asarray(vertices, np.float32)
    out = v[index if ids is None else index[ids]]
    if mixed is not None and len(mixed[0]):
        rows, idx, w = mixed
        if ids is not None:
            where = np.full(len(index), -1, np.int64)
            where[ids] = np.arange(len(ids))
            k = where[rows]
            ok = k >= 0
            rows, idx, w = k[ok], idx[ok], w[ok]
        out[rows] = np.einsum("mk,mkd->md", w.astype(np.float32), v[idx])
    return out
