"""The sun pass's coarse body casters (genb.render.raster.casters)."""

import numpy as np
import trimesh

from genb.render.raster.casters import coarse_faces


def _sphere():
    m = trimesh.creation.icosphere(subdivisions=4, radius=0.2)  # 5120 faces, edges ~1.2 cm
    return np.asarray(m.vertices), np.asarray(m.faces)


def _shadow_area(vertices, faces, axis=2):
    """Area of the mesh's orthographic shadow along ``axis`` (front faces only: a closed surface's outline)."""
    tri = vertices[faces]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    n = np.cross(b - a, c - a)[:, axis] / 2
    return n[n > 0].sum()


def test_coarse_faces_keep_the_silhouette_with_a_fraction_of_the_triangles():
    v, f = _sphere()
    c = coarse_faces(f, len(v))
    assert len(c.faces) < 0.35 * len(f)
    assert c.faces.dtype == np.uint32 and c.faces.max() < len(v)
    full, coarse = _shadow_area(v, f), _shadow_area(v, c.faces.astype(np.int64))
    assert abs(coarse - full) / full < 0.03  # the sun sees nearly the same outline
    # closed stays closed: every edge of the coarse surface borders exactly two faces
    e = np.sort(np.concatenate([c.faces[:, [0, 1]], c.faces[:, [1, 2]], c.faces[:, [2, 0]]]), axis=1)
    _, counts = np.unique(e, axis=0, return_counts=True)
    assert (counts == 2).all()
    # the winding follows the full faces: outward normals stay outward
    tri = v[c.faces.astype(np.int64)]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    assert (np.einsum("ij,ij->i", normal, tri.mean(axis=1)) > 0).all()


def test_shown_keeps_the_coarse_faces_of_shown_faces_only_and_is_deterministic():
    v, f = _sphere()
    c = coarse_faces(f, len(v))
    assert np.array_equal(c.shown(None), c.faces)
    show = v[f].mean(axis=1)[:, 2] > 0.05  # the upper cap only
    part = c.shown(show)
    assert 0 < len(part) < len(c.faces)
    assert (v[part.astype(np.int64)].mean(axis=1)[:, 2] > 0.0).all()  # nothing from the lower half
    assert np.array_equal(coarse_faces(f, len(v)).faces, c.faces)


def _greedy_centres(faces, n):
    """The clustering's definition, one vertex at a time (a reference for the vectorised one)."""
    nbrs = [set() for _ in range(n)]
    for a, b, c in faces:
        nbrs[a] |= {b, c}
        nbrs[b] |= {a, c}
        nbrs[c] |= {a, b}
    centre = [-1] * n
    for v in range(n):
        if centre[v] < 0:
            centre[v] = v
            for u in sorted(nbrs[v]):
                if centre[u] < 0:
                    centre[u] = v
    return np.array(centre)


def test_vectorised_clusters_are_the_greedy_ones():
    from genb.render.raster.casters import cluster_centres

    v, f = _sphere()
    rng = np.random.default_rng(3)
    perm = rng.permutation(len(v))  # a vertex order with no locality: many rounds
    for faces, n in ((f, len(v)), (perm[f], len(v)), (f[: len(f) // 3], len(v))):  # closed, shuffled, open (isolated vertices)
        np.testing.assert_array_equal(cluster_centres(faces, n), _greedy_centres(faces, n))


def test_coarse_pieces_by_topology_skip_sparse_and_collapsing_pieces():
    from genb.render.raster.casters import PIECE_MIN_FACES, CoarsePieces

    v, f = _sphere()
    pieces = CoarsePieces(size=4)
    c = pieces.get(f, len(v))
    assert c is not None and np.array_equal(c.faces, coarse_faces(f, len(v), keep_open_edges=True).faces)
    assert pieces.get(f, len(v)) is c  # the same array: looked up by itself
    assert pieces.get(f.copy(), len(v)) is c  # an equal copy: by its bytes
    assert pieces.get(f[: PIECE_MIN_FACES - 1], len(v)) is None  # too few faces to coarsen
    strip = np.array([[i, i + 1, i + 2] if i % 2 == 0 else [i + 1, i, i + 2] for i in range(600)])  # a ribbon
    assert pieces.get(strip, 602) is None  # all open edge: nothing to coarsen


def test_piece_faces_lay_the_pieces_out_as_concat_extras():
    from types import SimpleNamespace

    from genb.render.raster.casters import CoarsePieces
    from genb.render.raster.lod import piece_faces

    v, f = _sphere()
    strap = SimpleNamespace(vertices=np.zeros((4, 3)), faces=np.array([[0, 1, 2], [0, 2, 3]], np.uint32))
    shirt = SimpleNamespace(vertices=v, faces=f.astype(np.uint32))
    pieces = CoarsePieces()
    out = piece_faces([strap, shirt], pieces)
    np.testing.assert_array_equal(out[:2], strap.faces)  # drawn as it is
    np.testing.assert_array_equal(out[2:], coarse_faces(f, len(v), keep_open_edges=True).faces + 4)  # coarse, after the strap
    assert piece_faces([strap], pieces) is None  # nothing to coarsen: the full faces serve


def test_open_edges_kept_exactly():
    from genb.render.raster.casters import boundary_vertices

    v, f = _sphere()
    cap = f[v[f].mean(axis=1)[:, 2] > 0.05]  # an open cap: a skirt's hem, say
    def open_edges(faces):
        e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
        u, n = np.unique(e, axis=0, return_counts=True)
        return u[n == 1]
    hem = open_edges(cap)
    assert len(hem) > 20 and boundary_vertices(cap, len(v)).sum() == len(np.unique(hem))
    kept = coarse_faces(cap, len(v), keep_open_edges=True)
    assert len(kept.faces) < 0.5 * len(cap)
    np.testing.assert_array_equal(open_edges(kept.faces.astype(np.int64)), hem)  # the same hem, edge for edge
    loose = coarse_faces(cap, len(v))
    assert not np.array_equal(open_edges(loose.faces.astype(np.int64)), hem)  # (without: the hem draws in)
