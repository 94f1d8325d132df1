"""The preparing half's quicker forms give the same bits as the plain ones they replace."""

import numpy as np

from genb.render.dress.capsules import capsule_terms, push_out
from genb.render.dress.mesh import mesh_normals
from genb.render.raster.meshes import vertex_normals
from genb.render.scene import props
from genb.render.scene.places.kinds import prop_meshes


def test_mesh_normals_bit_for_bit():
    rng = np.random.default_rng(3)
    for V, F, dtype in ((40, 90, np.float64), (300, 600, np.float32)):
        v = rng.normal(size=(V, 3)).astype(dtype)
        f = rng.integers(0, V, (F, 3)).astype(np.uint32)
        got = mesh_normals(v, f)
        assert got.dtype == np.float32 and np.array_equal(got, vertex_normals(v, f.astype(np.int64)))
        assert np.allclose(np.linalg.norm(got[np.isin(np.arange(V), f)], axis=1), 1.0, atol=1e-5)


def test_cylinder_mesh_from_cached_parts_is_fresh():
    v1, f1, n1 = props.cylinder_mesh(0.2, 1.5, np.array([1.0, 2.0, 0.0]), segments=10)
    f1[:] = 0  # a caller's edit never reaches the next cylinder
    n1[:] = 0
    v2, f2, n2 = props.cylinder_mesh(0.2, 1.5, np.array([1.0, 2.0, 0.0]), segments=10)
    assert np.array_equal(v1, v2) and f2.max() == len(v2) - 1 == 30 and np.allclose(np.linalg.norm(n2, axis=1), 1.0)
    assert np.allclose(np.linalg.norm(v2[:10, :2] - [1.0, 2.0], axis=1), 0.2) and np.allclose(v2[10:20, 2], 1.5)


def test_prop_meshes_group_transform():
    """A bench (several pieces of two shades): the pieces moved as one group land where each alone would."""
    rec = {"type": "bench", "size": [1.6, 0.5, 0.45], "color": "8b5a2b", "yaw_deg": 30.0, "position": [2.0, -1.0], "seed": 5}
    (v, f, n, c, part), = prop_meshes(rec)
    pieces = props._pieces(rec)
    yaw = np.radians(30.0)
    R = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    want = np.concatenate([p[0][0] @ R.T + [2.0, -1.0, 0.0] for p in pieces]).astype(np.float32)
    assert np.array_equal(v, want) and len(f) == sum(len(p[0][1]) for p in pieces) and f.max() == len(v) - 1
    assert np.array_equal(c[-1], np.asarray(pieces[-1][1], np.float32)) and c.dtype == np.float32


def test_push_out_with_gathered_terms():
    rng = np.random.default_rng(5)
    A = rng.normal(size=(6, 3))
    B = A + rng.normal(size=(6, 3)) * 0.3
    F = np.tile(np.eye(3), (6, 1, 1))
    R = rng.uniform(0.05, 0.2, (6, 8))
    cand = rng.integers(0, 6, (40, 3))
    X = A[cand[:, 0]] + 0.4 * (B - A)[cand[:, 0]] + rng.normal(size=(40, 3)) * 0.05  # most inside their first capsule
    want = push_out(X, A, B, F, R, cand)
    assert np.array_equal(push_out(X, A, B, F, R, cand, capsule_terms(A, B, F, cand)), want)
    assert not np.array_equal(want, X)  # some points were inside a capsule
