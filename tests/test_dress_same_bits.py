"""Dressing made cheaper with the same outputs (session 35): each rewrite against the formulation it replaced
(8699cdb's code, inlined here), bit for bit.

Measured over 67 people of two default bedlam renders (seeds 100 and 101, 8 samples each, recorded on 8699cdb;
the dress calls replayed, thread CPU, best of 3 runs alternated with 8699cdb's): every output array equal
(one hash over all of them, and over 31 people with every shell built afresh); ``Dresser.dress`` 18.2 ->
~16 ms a person (docs/render.md, "Cost"). On 8699cdb this file fails: ``vec.norm``, ``vec.length``,
``vec.roll``, ``drape._frames`` and ``shoes._local_faces`` do not exist."""

import numpy as np
import scipy.sparse

RNG = np.random.default_rng(35)


def _rows(shape, dtype):
    """Random vectors over six decades (where the order of a sum shows in its last bit)."""
    return (RNG.standard_normal(shape) * 10 ** RNG.uniform(-3, 3, shape)).astype(dtype)


def test_norm_length_roll_are_numpy_bit_for_bit():
    """vec.norm is np.linalg.norm(axis=-1) (rows, grids, strided views, keepdims), vec.length np.linalg.norm of a
    vector, vec.roll np.roll along an axis; a sum in the other order differs on ~8 % of these rows."""
    from genb.render.dress.vec import length, norm, roll

    for dtype in (np.float32, np.float64):
        x = _rows((20000, 9), dtype)
        for v in (x[:, 3:6], np.ascontiguousarray(x[:, 6:]), x.reshape(-1, 3).reshape(100, 600, 3)):
            assert np.array_equal(norm(v), np.linalg.norm(v, axis=-1))
            got = norm(v, keepdims=True)
            assert got.dtype == v.dtype and np.array_equal(got, np.linalg.norm(v, axis=-1, keepdims=True))
        s = x[:, 3:6] ** 2
        assert (np.sqrt(s[:, 0] + (s[:, 1] + s[:, 2])) != np.linalg.norm(x[:, 3:6], axis=-1)).mean() > 0.02
        for v in x[:500, :3]:
            assert length(v) == np.linalg.norm(v) and length(v).dtype == np.linalg.norm(v).dtype
    for shape, axis in (((24, 44, 3), 1), ((14,), 0), ((8,), 0), ((5, 7), 0), ((3, 4, 5), -1)):
        a = RNG.random(shape)
        for shift in (-2, -1, 1, 2, 9):
            assert np.array_equal(roll(a, shift, axis), np.roll(a, shift, axis=axis))


def _frames_8699cdb(x):
    """8699cdb's anchor_frames after its sparse products: x (G, 9) float32 -> anchors, (G, 3, 3) frames."""
    a, n, t = x[:, :3], x[:, 3:6], x[:, 6:]
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
    t -= n * np.einsum("ij,ij->i", t, n)[:, None]
    t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)
    R = np.empty((len(t), 3, 3), np.float32)
    R[:, 0], R[:, 2] = t, n
    R[:, 1, 0] = n[:, 1] * t[:, 2] - n[:, 2] * t[:, 1]
    R[:, 1, 1] = n[:, 2] * t[:, 0] - n[:, 0] * t[:, 2]
    R[:, 1, 2] = n[:, 0] * t[:, 1] - n[:, 1] * t[:, 0]
    return a, R


def test_posed_drape_equals_einsum_form():
    """drape.anchor_frames and pose_draped (frames and posed vertices per coordinate on contiguous columns)
    give 8699cdb's frames and its np.einsum("gij,gi->gj") vertices and normals, bit for bit."""
    import types

    from genb.render.dress import drape

    G, V = 3000, 5000
    blend = scipy.sparse.random(G, V, density=4 / V, random_state=1, format="csr", dtype=np.float32)
    blend.data[:] = RNG.random(len(blend.data)).astype(np.float32)
    smooth = scipy.sparse.random(G, G, density=30 / G, random_state=2, format="csr", dtype=np.float32)
    body_v, body_n = _rows((V, 3), np.float32), _rows((V, 3), np.float32)
    tangent_to = RNG.integers(0, V, V)
    x = drape._anchor_rows(blend, body_v, body_n, tangent_to, smooth)
    want_a, want_R = _frames_8699cdb(x.copy())
    got_a, got_R = drape.anchor_frames(blend, body_v, body_n, tangent_to, smooth)
    assert np.array_equal(got_a, want_a) and np.array_equal(got_R, want_R)
    d = types.SimpleNamespace(source=blend, smooth=smooth, tangent_to=tangent_to,
                              normal=_rows((G, 3), np.float32), disp=_rows((G, 3), np.float32) * 1e-3)
    off = RNG.random(G) * 0.01
    n = np.einsum("gij,gi->gj", want_R, d.normal)
    v = (want_a + np.einsum("gij,gi->gj", want_R, d.disp) + off[:, None].astype(np.float32) * n).astype(np.float32)
    got_v, got_n = drape.pose_draped(types.SimpleNamespace(drape=d), body_v, body_n, off)
    assert got_v.dtype == got_n.dtype == np.float32
    assert np.array_equal(got_v, v) and np.array_equal(got_n, n.astype(np.float32))


def _over_loose_8699cdb(vertices, loose, gap, rounds):
    from genb.render.dress.layering import MAX_PUSH, REACH, TENT

    X = np.asarray(vertices, np.float32)
    out = None
    for P, N, tree, top, up in [s for s in loose for _ in range(rounds)]:
        cur = X if out is None else out
        d, i = tree.query(cur, distance_upper_bound=REACH)
        near = np.flatnonzero(np.isfinite(d))
        j = i[near]
        rel = cur[near] - P[j]
        depth = gap - np.einsum("ij,ij->i", rel, N[j])
        move = (depth > 0) & (depth < MAX_PUSH) & ~(top[j] & (rel @ up > TENT))
        if move.any():
            out = X.copy() if out is None else out
            out[near[move]] += depth[move, None].astype(np.float32) * N[j[move]]
    return out


def test_over_loose_and_hair_push_look_only_at_what_moved():
    """layering.over_loose's later passes over a surface and hair_locks.push_out's later steps test only the
    points the pass before moved: the same points out as 8699cdb's passes over all of them."""
    from genb.render.dress.hair_locks import push_out
    from genb.render.dress.layering import GAP, loose_surface, over_loose

    ang = RNG.uniform(0, 2 * np.pi, 3000)
    z = RNG.uniform(-0.6, 0.0, 3000)
    skirt = np.stack([(0.2 - 0.2 * z) * np.cos(ang), (0.2 - 0.2 * z) * np.sin(ang), z], 1)
    normals = np.stack([np.cos(ang), np.sin(ang), np.zeros_like(z)], 1)
    surfaces = [loose_surface(skirt, normals, np.flatnonzero(z > -0.02)),
                loose_surface(skirt * 1.05, normals, np.flatnonzero(z > -0.02))]
    a2, z2 = RNG.uniform(0, 2 * np.pi, 4000), RNG.uniform(-0.5, 0.1, 4000)
    top = np.stack([0.2 * np.cos(a2) * (1 - 0.3 * z2), 0.2 * np.sin(a2) * (1 - 0.3 * z2), z2], 1).astype(np.float32)
    want = _over_loose_8699cdb(top, surfaces, GAP, 3)
    got = over_loose(top, surfaces, GAP, 3)
    assert want is not None and (np.abs(want - top).max(axis=1) > 0).sum() > 100
    assert np.array_equal(got, want)
    from scipy.spatial import cKDTree

    near = (cKDTree(skirt), skirt, normals)
    p = np.concatenate([skirt[:400] * 0.97, skirt[400:800] * 1.2])
    want_p, want_c = p.copy(), np.zeros_like(p)
    need = np.full(len(p), 0.012)
    for _ in range(3):  # 8699cdb's steps over every point
        dist, j = near[0].query(want_p, k=8, distance_upper_bound=0.042)
        valid = np.isfinite(dist)
        jj = np.where(valid, j, 0)
        short = np.where(valid, need[:, None] - np.einsum("cki,cki->ck", want_p[:, None] - skirt[jj], normals[jj]), -np.inf)
        best = np.argmax(short, axis=1)
        amount = short[np.arange(len(p)), best]
        push = amount > 0
        nb = normals[jj[np.arange(len(p)), best]]
        want_p[push] += amount[push, None] * nb[push]
        want_c[push] = nb[push]
    got_p, got_c = push_out(p, near, 0.012, k=8)
    assert np.array_equal(got_p, want_p) and np.array_equal(got_c, want_c) and want_c.any()


def test_shoe_covered_faces_on_the_foot():
    """shoes._local_faces: a foot's faces on its own vertices test the same faces as 8699cdb's mask over the body."""
    from genb.render.dress.shoes import _local_faces

    V = 2000
    faces = RNG.integers(0, V, (6000, 3)).astype(np.int32)
    ids = np.unique(RNG.integers(0, V, 700))
    faces[RNG.integers(0, 6000, 300)] = ids[RNG.integers(0, len(ids), (300, 3))]
    fids = np.flatnonzero(np.isin(faces, ids).all(axis=1))
    assert len(fids) > 200
    for _ in range(5):
        inside = RNG.random(len(ids)) < 0.7
        mask = np.zeros(V, bool)
        mask[ids] = inside
        assert np.array_equal(fids[inside[_local_faces(faces, ids, fids)].all(axis=1)], fids[mask[faces[fids]].all(axis=1)])
