"""The renderer's speed-ups give the same bits as the plain computations they replace."""

import numpy as np
import pytest
import scipy.sparse

from genb.render.dress.drape import anchor_frames
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
from genb.render.raster.gl import Rasterizer
from genb.render.raster.meshes import GroundLayer, Lighting, MeshLayer


def test_anchor_frames_over_the_read_columns_equal_the_whole_blend():
    rng = np.random.default_rng(3)
    V, G = 500, 120
    blend = scipy.sparse.random(G, V, density=0.01, random_state=4, format="csr", dtype=np.float64)
    blend = blend + scipy.sparse.csr_matrix((np.ones(G), (np.arange(G), rng.integers(0, V, G))), shape=(G, V))
    v = rng.normal(size=(V, 3))
    n = rng.normal(size=(V, 3)).astype(np.float32)
    to = rng.integers(0, V, V)
    smooth = scipy.sparse.random(G, G, density=0.05, random_state=5, format="csr", dtype=np.float32)
    smooth = smooth + scipy.sparse.identity(G, dtype=np.float32, format="csr")
    for sm in (None, smooth):
        a, R = anchor_frames(blend, v, n, to, sm)
        # the computation before the speed-up: every body vertex gathered
        v32 = np.asarray(v, np.float32)
        x = np.asarray(blend @ np.concatenate([v32, n, v32[to] - v32], 1), np.float32)
        if sm is not None:
            x = np.asarray(sm @ x, np.float32)
        np.testing.assert_array_equal(a, x[:, :3])
        nn = x[:, 3:6] / np.maximum(np.linalg.norm(x[:, 3:6], axis=1, keepdims=True), 1e-9)
        np.testing.assert_array_equal(R[:, 2], nn)
        assert a.shape == (G, 3) and R.shape == (G, 3, 3)


def test_interleaved_vertex_buffer_is_pyrenders():
    import pyrender

    from genb.render.raster.upload import vertex_data

    rng = np.random.default_rng(0)
    pos = rng.normal(size=(50, 3)).astype(np.float32)
    for kw in ({"color_0": rng.random((50, 3))}, {"normals": rng.normal(size=(50, 3)), "texcoord_0": rng.random((50, 2))},
               {"color_0": rng.random((50, 4)).astype(np.float32)}):
        p = pyrender.Primitive(positions=pos, indices=np.arange(48).reshape(-1, 3), **kw)
        theirs = pos
        for a in (p.normals, p.tangents, p.texcoord_0, p.texcoord_1, p.color_0):
            if a is not None:
                theirs = np.hstack((theirs, a))
        data, sizes = vertex_data(p)
        np.testing.assert_array_equal(data, np.ascontiguousarray(theirs.flatten().astype(np.float32)))
        assert sum(sizes) * len(pos) == len(data)


@pytest.fixture(scope="module")
def two_people():
    verts = np.array([[-0.5, 0, 0], [0.5, 0, 0], [0.5, 0, 1.5], [-0.5, 0, 1.5], [0.0, 0, 0], [0.0, 0, 1.5]], np.float32)
    faces = np.array([[0, 4, 5], [0, 5, 3], [4, 1, 2], [4, 2, 5]])
    r = Rasterizer(faces, np.array([3, 4, 4, 3, 4, 3], np.uint8))
    W, H = 160, 120
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 0.8]), camera_to_world_rotation(0, 0, 0))
    light = Lighting(np.array([0.3, 1.0, -1.0]), 0.8, np.ones(3), np.full(3, 0.3))
    people = [MeshLayer(verts + np.array(p, np.float32), np.full((6, 3), 0.7, np.float32))
              for p in ((0.3, 3.0, 0.2), (-0.4, 4.5, 0.0))]
    passes = r.build_passes(people, K, ext, light, GroundLayer(np.full((8, 8, 3), 120, np.uint8), size=40.0))
    yield r, passes, light, W, H
    r.close()


def test_a_larger_sun_map_leaves_the_image_framebuffers_alone(two_people):
    """The sun's depth pass at twice the image's size draws into its own depth buffer: pyrender's
    framebuffers keep their size and identity (no rebuild), the next pass gives the same bits as
    before it, and the map covers what pyrender's own render of it covers."""
    r, passes, light, W, H = two_people
    colour_before, labels_before = r.run_passes([passes[0], passes[1]], W, H)
    inner = r._renderer_for(W, H)._renderer
    fbs = (inner._main_fb, inner._main_fb_ms, inner._main_fb_dims)
    shadow_pass, sun = r.build_shadow_pass(passes[0][0], light.direction, 2 * W, 2 * H)
    (ours,) = r.run_passes([shadow_pass], 2 * W, 2 * H)
    assert ours.shape == (2 * H, 2 * W) and ours.dtype == np.float32
    assert (inner._main_fb, inner._main_fb_ms, inner._main_fb_dims) == fbs
    again = r.run_passes([passes[1]], W, H)[0]
    assert (inner._main_fb, inner._main_fb_ms, inner._main_fb_dims) == fbs
    np.testing.assert_array_equal(again[0], labels_before[0])
    np.testing.assert_array_equal(again[1], labels_before[1])
    np.testing.assert_array_equal(r.run_passes([shadow_pass], 2 * W, 2 * H)[0], ours)  # the same bits again
    theirs = r._renderer_for(2 * W, 2 * H).render(shadow_pass[0], flags=shadow_pass[1])
    cast = theirs > 0
    assert cast.sum() > 400
    assert abs(int((ours > 0).sum()) - int(cast.sum())) <= 0.02 * cast.sum()
    lin = sun.linear_depth(ours)
    assert ((lin > 0) == (ours > 0)).all() and (lin[ours > 0] > sun.znear).all()


def test_row_argmax_is_scipys_on_ties_and_unsorted_columns():
    """The cloth map's dominant body vertex per shell vertex: the vectorised row argmax gives scipy's
    answer, ties and non-canonical storage (unsorted, duplicate entries) included."""
    import scipy.sparse as sp

    from genb.render.dress.texcoords import row_argmax

    rng = np.random.default_rng(0)
    for t in range(10):
        rows, cols = rng.integers(0, 40, 400), rng.integers(0, 30, 400)
        vals = np.round(rng.uniform(0.1, 1.0, 400) * 4) / 4  # many ties
        rows, cols, vals = np.r_[rows, np.arange(40)], np.r_[cols, np.zeros(40, int)], np.r_[vals, np.full(40, 0.05)]
        coo = sp.coo_matrix((vals, (rows, cols)), shape=(40, 30))  # duplicates summed only when made canonical
        expected = np.asarray(coo.tocsr().argmax(axis=1)).ravel()
        assert (row_argmax(coo) == expected).all(), t


def test_finish_on_two_threads_equals_rasterize_then_complete():
    """RenderStage.finish (visibility rays, then the image's shading, on a helper thread while the GL
    passes draw) gives the bytes of the plain rasterize() then complete() on every output."""
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    stage = RenderStage(RenderConfig(num_samples=3, seed=11, image_size=(160, 120), num_people=(2, 4)))
    try:
        for i in range(3):
            a = stage.finish(stage.prepare(i))
            prep = stage.prepare(i)
            b = stage.complete(prep, stage.rasterize(prep))
            assert sorted(a.images) == sorted(b.images) and sorted(a.labels) == sorted(b.labels)
            for k in a.images:
                np.testing.assert_array_equal(a.images[k], b.images[k], err_msg=k)
            for k in a.labels:
                np.testing.assert_array_equal(a.labels[k], b.labels[k], err_msg=k)
            np.testing.assert_array_equal(a.depth, b.depth)
            assert (a.images["body_instances"] > 0).any()
    finally:
        stage.close()
