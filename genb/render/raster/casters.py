"""Coarse sun-shadow casters: a body topology's faces over a quarter or so of its vertices.

The sun's depth pass (:meth:`genb.render.raster.gl.Rasterizer.build_shadow_pass`) only needs a
body's silhouette as the sun sees it, at the shadow map's texel (about 3 cm). Drawing the full
body (27k triangles for anny) there costs as much as drawing it in the colour pass. The coarse
faces here are built once per topology, from connectivity alone (no rest pose, so the same on
every run and worker): every vertex joins the cluster of its first unclaimed neighbour-or-self
(greedy, in vertex order), and each face is remapped to its corners' cluster centres; faces that
collapse are dropped, duplicates merged. A posed body's own vertex array then draws the coarse
surface (the centres are body vertices, so nothing is interpolated): the same surface to within
an edge or so, with about a quarter of the triangles.
"""

from __future__ import annotations

import dataclasses

import numpy as np


COARSE_MIN_FACES = 5000  # faces: a topology this dense (a body model's, edges of 1-2 cm) casts coarse; a
# coarser one (a test's box) would lose its shape, and draws in full


@dataclasses.dataclass(frozen=True)
class CoarseFaces:
    """A topology's coarse faces.

    Attributes:
        faces: (Fc, 3) uint32 indices into the full body's vertices (cluster centres).
        of_face: (F,) int64 the coarse face each full face became, -1 for collapsed faces.
        centres: (Vc,) int64 the full vertices the coarse faces use, ascending.
        local: (Fc, 3) uint32 the coarse faces as indices into ``centres`` (draw them over
            ``vertices[centres]``: a quarter of the vertices to move, push back and upload).
    """

    faces: np.ndarray
    of_face: np.ndarray
    centres: np.ndarray
    local: np.ndarray

    def shown_mask(self, show: np.ndarray | None) -> np.ndarray | None:
        """(Fc,) bool the coarse faces of which at least one full face is in ``show`` ((F,) bool; None: all, returns None)."""
        if show is None:
            return None
        keep = np.zeros(len(self.faces), bool)
        ids = self.of_face[show]
        keep[ids[ids >= 0]] = True
        return keep

    def shown(self, show: np.ndarray | None) -> np.ndarray:
        """(K, 3) the coarse faces of which at least one full face is in ``show`` ((F,) bool; None: all)."""
        keep = self.shown_mask(show)
        return self.faces if keep is None else self.faces[keep]

    def shown_local(self, show: np.ndarray | None) -> np.ndarray:
        """:meth:`shown`'s faces as indices into ``centres``."""
        keep = self.shown_mask(show)
        return self.local if keep is None else self.local[keep]


def coarse_faces(faces: np.ndarray, n_vertices: int) -> CoarseFaces:
    """The :class:`CoarseFaces` of a triangle mesh's ``faces`` ((F, 3) vertex ids, ``n_vertices`` vertices)."""
    faces = np.asarray(faces, np.int64)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.unique(np.sort(np.concatenate([edges, edges[:, ::-1]]), axis=1), axis=0)
    pairs = np.concatenate([edges, edges[:, ::-1]])
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    start = np.searchsorted(pairs[:, 0], np.arange(n_vertices + 1))
    nbrs = pairs[:, 1].tolist()
    centre = [-1] * n_vertices
    for v in range(n_vertices):  # once per topology (~10 ms for anny's 14k vertices)
        if centre[v] < 0:
            centre[v] = v
            for u in nbrs[start[v]:start[v + 1]]:
                if centre[u] < 0:
                    centre[u] = v
    mapped = np.asarray(centre, np.int64)[faces]
    alive = (mapped[:, 0] != mapped[:, 1]) & (mapped[:, 1] != mapped[:, 2]) & (mapped[:, 2] != mapped[:, 0])
    # one coarse face per vertex triple, whatever its rotation, in the first full face's winding
    key = np.sort(mapped, axis=1)
    alive_ids = np.flatnonzero(alive)
    _, first, inverse = np.unique(key[alive_ids], axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # coarse faces in the order their first full face comes
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    of_face = np.full(len(faces), -1, np.int64)
    of_face[alive_ids] = rank[inverse.ravel()]
    coarse = np.ascontiguousarray(mapped[alive_ids[first[order]]], dtype=np.uint32)
    centres, local = np.unique(coarse, return_inverse=True)
    return CoarseFaces(faces=coarse, of_face=of_face, centres=centres.astype(np.int64),
                       local=np.ascontiguousarray(local.reshape(-1, 3), dtype=np.uint32))
