"""A subdivided shell's drape from its coarse cut's: the smoothing is computed once, on the coarse
shell (:func:`~genb.render.dress.drape.drape_shell`), and interpolated over the finer one with Loop's
subdivision weights (a subdivided shell only carries finer patterns)."""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse

from genb.render.dress.drape import Drape
from genb.render.dress.edges import unique_rows


def loop_weights(faces: np.ndarray, n: int) -> scipy.sparse.csr_matrix:
    """(n + E, n) sparse Loop subdivision weights of a triangle mesh over n vertices, rows in the
    order of :func:`~genb.render.dress.shells._subdivision` (old vertices, then edge points):
    interpolating with them gives a smooth surface where midpoints would leave flat facets."""
    e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    opposite = np.concatenate([faces[:, 2], faces[:, 0], faces[:, 1]])
    edges, inv, counts = unique_rows(e, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    E = len(edges)
    border = counts == 1
    # edge points: 3/8 (a + b) + 1/8 (c + d) inside; the midpoint on a border
    rows = [n + np.repeat(np.arange(E), 2), n + inv]
    cols = [edges.ravel(), opposite]
    vals = [np.repeat(np.where(border, 0.5, 0.375), 2), np.where(border[inv], 0.0, 0.125)]
    # old vertices: (1 - k beta) v + beta * neighbours inside; 3/4 v + 1/8 each border neighbour on a
    # border; a corner where two fans of the cut touch (four or more border edges, e.g. hair under a
    # cap's edge) stays where it is (1/8 per border neighbour would sum past 1 and scale it off the body)
    n_border = np.bincount(edges[border].ravel(), minlength=n)
    on_border = n_border > 0
    crease = n_border == 2
    both = np.concatenate([edges, edges[:, ::-1]])
    b2 = np.concatenate([border, border])
    k = np.bincount(both[:, 0], minlength=n).astype(np.float64)
    beta = np.where(k > 3, 3.0 / (8.0 * np.maximum(k, 1)), 3.0 / 16.0)
    w_nb = np.where(on_border[both[:, 0]], np.where(b2 & crease[both[:, 0]], 0.125, 0.0), beta[both[:, 0]])
    self_w = np.where(on_border, np.where(crease, 0.75, 1.0), 1.0 - k * beta)
    rows += [both[:, 0], np.arange(n)]
    cols += [both[:, 1], np.arange(n)]
    vals += [w_nb, self_w]
    return scipy.sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n + E, n))


def refine_drape(fine, coarse, hem_pull: float = 0.5):
    """The drape (and a hugged band's lift and weight) of ``fine`` (``coarse``'s cut, subdivided once) from ``coarse``'s:
    its values at every vertex interpolated with Loop's weights, its frames built on the coarse points (the
    smoothing is computed once, on the coarse shell; a subdivided shell only carries finer patterns)."""
    d = coarse.drape
    nc = d.source.shape[0]
    faces = coarse.faces.astype(np.int64)
    S = loop_weights(faces[(faces < nc).all(axis=1)], nc)
    G = fine.num_vertices
    twin = fine.twin
    nf = S.shape[0]
    if int((twin == np.arange(G)).sum()) != nf:
        raise ValueError("fine is not coarse's shell subdivided once")
    rows = np.where(twin == np.arange(G), np.arange(G), twin)  # hems' inner edges: their twins' rows
    Sg = S[rows].tocsr()
    normal = np.asarray(Sg @ d.normal[:nc], np.float64)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    pull = np.where(twin == np.arange(G), 1.0, hem_pull)
    drape = Drape(disp=(np.asarray(Sg @ d.disp[:nc]) * pull[:, None]).astype(np.float32), normal=normal.astype(np.float32),
                  ease_scale=(np.asarray(Sg @ d.ease_scale[:nc]) * pull).astype(np.float32), tangent_to=d.tangent_to,
                  source=d.source, smooth=(Sg @ d.smooth[:nc]).tocsr().astype(np.float32))
    lift = np.asarray(Sg @ coarse.lift[:nc], np.float64)  # the coarse lift (a hugged band: dress.armhole)
    lift = np.where((twin == np.arange(G)) & (lift < 1.0 - 1e-6), np.minimum(fine.lift, lift), fine.lift)
    hug = None if coarse.hug is None else np.where(twin == np.arange(G), np.asarray(Sg @ coarse.hug[:nc], np.float64), 0.0)
    return dataclasses.replace(fine, drape=drape, lift=lift, hug=hug)
