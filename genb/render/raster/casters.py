"""Coarse faces: a topology's faces over a quarter or so of its vertices (the sun's casters, the
colour pass's level of detail: :mod:`genb.render.raster.lod`).

The sun's depth pass (:meth:`genb.render.raster.gl.Rasterizer.build_shadow_pass`) only needs a
body's silhouette as the sun sees it, at the shadow map's texel (about 3 cm). Drawing the full
body (27k triangles for anny) there costs as much as drawing it in the colour pass. The coarse
faces here are built once per topology, from connectivity alone (no rest pose, so the same on
every run and worker): every vertex joins the cluster of its first unclaimed neighbour-or-self
(greedy, in vertex order), and each face is remapped to its corners' cluster centres; faces that
collapse are dropped, duplicates merged. A posed body's own vertex array then draws the coarse
surface (the centres are body vertices, so nothing is interpolated): the same surface to within
an edge or so, with about a quarter of the triangles.

Garment pieces (:class:`CoarsePieces`) are coarsened the same way with the vertices of their open
edges held in place (hems, cuts: they stay edge for edge), once per piece topology and kept.
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


def boundary_vertices(faces: np.ndarray, n_vertices: int) -> np.ndarray:
    """(V,) bool the vertices on an open edge (an edge of exactly one face): hems, cuts, openings."""
    faces = np.asarray(faces, np.int64)
    a, b = faces.ravel(), faces[:, [1, 2, 0]].ravel()
    code, count = np.unique(np.minimum(a, b) * n_vertices + np.maximum(a, b), return_counts=True)
    open_edges = code[count == 1]
    out = np.zeros(n_vertices, bool)
    out[open_edges // n_vertices] = True
    out[open_edges % n_vertices] = True
    return out


def cluster_centres(faces: np.ndarray, n_vertices: int, pinned: np.ndarray | None = None) -> np.ndarray:
    """(V,) int64 per vertex its cluster centre: every vertex, in vertex order, joins the cluster of
    its first unclaimed neighbour-or-self (greedy). Vectorised: the centres are the lexicographically
    first maximal independent set of the edge graph (a vertex is a centre iff none of its lower
    neighbours is), found in rounds that each settle every vertex whose lower neighbours are settled;
    a vertex that is no centre joins its lowest centre neighbour (the first to claim it).

    ``pinned``: (V,) bool vertices that stay their own cluster and claim no other (their edges are
    left out of the graph), or None."""
    import scipy.sparse

    faces = np.asarray(faces, np.int64)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    lo, hi = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
    keep = lo != hi
    if pinned is not None:
        keep &= ~pinned[lo] & ~pinned[hi]
    lo, hi = lo[keep], hi[keep]
    lower = scipy.sparse.csr_matrix((np.ones(len(lo), np.float32), (hi, lo)), shape=(n_vertices, n_vertices))
    lower.data[:] = 1.0  # (duplicate edges summed: one each)
    n_lower = np.diff(lower.indptr)
    state = np.zeros(n_vertices, np.int8)  # 0 open, 1 centre, 2 claimed
    while True:
        open_ = state == 0
        if not open_.any():
            break
        centres_below = lower @ (state == 1).astype(np.float32)
        claimed_below = lower @ (state == 2).astype(np.float32)
        state[open_ & (centres_below > 0)] = 2
        state[open_ & (centres_below == 0) & (claimed_below == n_lower)] = 1
    centre = np.arange(n_vertices, dtype=np.int64)
    is_centre = state == 1
    both = np.concatenate([np.stack([lo, hi], 1), np.stack([hi, lo], 1)])  # (vertex, neighbour)
    both = both[is_centre[both[:, 1]] & ~is_centre[both[:, 0]]]
    first = np.full(n_vertices, n_vertices, np.int64)
    np.minimum.at(first, both[:, 0], both[:, 1])
    centre[~is_centre] = first[~is_centre]
    return centre


def coarse_faces(faces: np.ndarray, n_vertices: int, keep_open_edges: bool = False) -> CoarseFaces:
    """The :class:`CoarseFaces` of a triangle mesh's ``faces`` ((F, 3) vertex ids, ``n_vertices`` vertices).

    ``keep_open_edges``: the vertices of open edges (:func:`boundary_vertices`) stay as they are, so
    the coarse surface keeps the mesh's hems and cuts exactly (a garment piece's edge does not draw in)."""
    faces = np.asarray(faces, np.int64)
    centre = cluster_centres(faces, n_vertices, boundary_vertices(faces, n_vertices) if keep_open_edges else None)
    mapped = centre[faces]
    alive = (mapped[:, 0] != mapped[:, 1]) & (mapped[:, 1] != mapped[:, 2]) & (mapped[:, 2] != mapped[:, 0])
    # one coarse face per vertex triple, whatever its rotation, in the first full face's winding
    alive_ids = np.flatnonzero(alive)
    a, b, c = mapped[alive_ids].T
    lo, hi = np.minimum(np.minimum(a, b), c), np.maximum(np.maximum(a, b), c)
    mid = a + b + c - lo - hi
    if n_vertices < 2_000_000:  # (one int64 per triple: n**3 < 2**63)
        code = (lo * n_vertices + mid) * n_vertices + hi  # the sorted triples' lexicographic order
    else:
        code = np.stack([lo, mid, hi], axis=1)
    _, first, inverse = np.unique(code, axis=0 if code.ndim == 2 else None, return_index=True, return_inverse=True)
    order = np.argsort(first)  # coarse faces in the order their first full face comes
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    of_face = np.full(len(faces), -1, np.int64)
    of_face[alive_ids] = rank[inverse.ravel()]
    coarse = np.ascontiguousarray(mapped[alive_ids[first[order]]], dtype=np.uint32)
    centres, local = np.unique(coarse, return_inverse=True)
    return CoarseFaces(faces=coarse, of_face=of_face, centres=centres.astype(np.int64),
                       local=np.ascontiguousarray(local.reshape(-1, 3), dtype=np.uint32))


PIECE_MIN_FACES = 400  # faces: a garment piece this dense may be drawn coarse (a strap or a brim stays as it is)
PIECE_MIN_KEPT = 0.15  # ... if its coarse faces keep at least this share of its faces (nothing collapsed away)
PIECE_MAX_KEPT = 0.6  # ... and at most this share (a narrow strip is all open edge: nothing to gain)


class CoarsePieces:
    """The coarse faces of garment pieces, by topology, built once per process and kept.

    A piece's open edges (hems, cuts) are kept exactly (``coarse_faces(..., keep_open_edges=True)``).
    Its faces come from a finite set of cuts (the dresser's shells): the same topology returns
    many times, often as the same array. Looked up by the array itself, else by a digest of its bytes.
    Whether a topology is drawn coarse depends on its faces alone, so every process chooses alike.

    Args:
        size: topologies kept (least recently used dropped).
    """

    def __init__(self, size: int = 512):
        import threading
        from collections import OrderedDict

        self._lock = threading.Lock()  # (one preparing thread in genb's pipeline; a lock costs nothing)
        self._size = size
        self._by_id: OrderedDict[int, tuple[np.ndarray, bytes]] = OrderedDict()
        self._by_digest: OrderedDict[bytes, CoarseFaces | None] = OrderedDict()

    def get(self, faces: np.ndarray, n_vertices: int) -> CoarseFaces | None:
        """The piece's :class:`CoarseFaces`, or None where it is drawn as it is (too sparse, or nothing to gain)."""
        with self._lock:
            return self._get(faces, n_vertices)

    def _get(self, faces: np.ndarray, n_vertices: int) -> CoarseFaces | None:
        import hashlib

        hit = self._by_id.get(id(faces))
        if hit is not None and hit[0] is faces:
            key = hit[1]
        else:
            a = np.ascontiguousarray(faces)
            h = hashlib.blake2b(digest_size=16)
            h.update(repr((a.dtype.str, a.shape, int(n_vertices))).encode())
            h.update(a.tobytes())
            key = h.digest()
            self._by_id[id(faces)] = (faces, key)  # (the array is held: its id is not reused while kept)
            if len(self._by_id) > self._size // 4:
                self._by_id.popitem(last=False)
        if key in self._by_digest:
            self._by_digest.move_to_end(key)
            return self._by_digest[key]
        coarse = None
        if len(faces) >= PIECE_MIN_FACES:
            c = coarse_faces(faces, n_vertices, keep_open_edges=True)
            if PIECE_MIN_KEPT * len(faces) <= len(c.faces) <= PIECE_MAX_KEPT * len(faces):
                coarse = c
        self._by_digest[key] = coarse
        if len(self._by_digest) > self._size:
            self._by_digest.popitem(last=False)
        return coarse


def caster_mesh(pr, node, body: CoarseFaces | None, material):
    """The pyrender mesh a colour-pass ``node`` casts with in the sun's pass, or None (it casts nothing).

    A fine body node (``genb_coarse_caster``: its posed vertices and shown faces) casts its coarse
    shown faces over the cluster centres (None if every shown face collapsed: its garments cast);
    a garment node with ``genb_caster_faces`` casts those (coarse) over its own vertices; any other
    node (props, a small person's meshes, already coarse) casts as it is drawn. The depth-only pass
    culls back faces whatever the material.

    Args:
        pr: the pyrender module. body: the body topology's :class:`CoarseFaces`. material: a flat material.
    """
    if hasattr(node, "genb_coarse_caster"):
        vertices, show = node.genb_coarse_caster
        faces = body.shown_local(show)
        if not len(faces):
            return None
        return pr.Mesh(primitives=[pr.Primitive(positions=vertices[body.centres], indices=faces, material=material)])
    if hasattr(node, "genb_caster_faces"):
        return pr.Mesh(primitives=[pr.Primitive(positions=node.mesh.primitives[0].positions, indices=node.genb_caster_faces,
                                                material=material)])
    return node.mesh
