"""The rasterizer against independent geometry: a quad at a known place."""

import numpy as np
import pytest

from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov, project, to_camera
from genb.render.raster.gl import Rasterizer
from genb.render.raster.normals import decode_normals
from genb.render.raster.meshes import GroundLayer, Lighting, MeshLayer, vertex_normals


@pytest.fixture(scope="module")
def quad_raster():
    # a 1 m x 1.5 m quad facing -Y (towards a camera looking along +Y), split in two parts
    verts = np.array([[-0.5, 0, 0], [0.5, 0, 0], [0.5, 0, 1.5], [-0.5, 0, 1.5], [0.0, 0, 0], [0.0, 0, 1.5]], np.float32)
    faces = np.array([[0, 4, 5], [0, 5, 3], [4, 1, 2], [4, 2, 5]])
    parts = np.array([3, 4, 4, 3, 4, 3], np.uint8)
    r = Rasterizer(faces, parts)
    yield r, verts, faces
    r.close()


def _render(r, verts, W=160, H=120, pos=(0.3, 3.0, 0.2)):
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 0.8]), camera_to_world_rotation(0, 0, 0))
    v = verts + np.array(pos, np.float32)
    light = Lighting(np.array([0.0, 1.0, -1.0]), 0.8, np.ones(3), np.full(3, 0.3))
    return r.render([MeshLayer(v, np.full_like(v, 0.7))], K, ext, W, H, light, None), K, ext, v


def test_vertex_normals_of_a_flat_quad_face_the_camera(quad_raster):
    _, verts, faces = quad_raster
    n = vertex_normals(verts, faces)
    np.testing.assert_allclose(n, np.tile([0, -1, 0], (6, 1)), atol=1e-6)


def test_vertex_normals_are_the_same_bits_for_every_index_type():
    from genb.render.raster.meshes import vertex_face_incidence

    rng = np.random.default_rng(3)
    v = rng.normal(size=(300, 3)).astype(np.float32)
    f = rng.integers(0, 300, (700, 3))
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    ref = np.zeros_like(v)
    for k in range(3):
        np.add.at(ref, f[:, k], fn)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    inc = vertex_face_incidence(f, len(v))
    for faces in (f.astype(np.uint32), f.astype(np.int32), f, np.asfortranarray(f), f.astype(np.uint32)[::1]):
        plain, sparse = vertex_normals(v, faces), vertex_normals(v, faces, inc)
        np.testing.assert_allclose(plain, ref, atol=1e-5)
        assert np.array_equal(plain, vertex_normals(v, f)) and np.array_equal(sparse, vertex_normals(v, f, inc))


def test_mask_matches_projected_corners_to_half_a_pixel(quad_raster):
    r, verts, _ = quad_raster
    out, K, ext, v = _render(r, verts)
    uv = project(to_camera(v[:4].astype(np.float64), ext), K)
    ys, xs = np.nonzero(out.instances == 1)
    # pixel centres inside the projected quad are covered; the mask's extent matches
    assert xs.min() == pytest.approx(np.ceil(uv[:, 0].min() - 1e-9), abs=1)
    assert xs.max() == pytest.approx(np.floor(uv[:, 0].max()), abs=1)
    assert abs((xs.min() - 0.5) - uv[:, 0].min()) <= 1.0 and abs((xs.max() + 0.5) - uv[:, 0].max()) <= 1.0
    assert abs((ys.min() - 0.5) - uv[:, 1].min()) <= 1.0 and abs((ys.max() + 0.5) - uv[:, 1].max()) <= 1.0


def test_depth_is_metric_camera_z(quad_raster):
    r, verts, _ = quad_raster
    out, K, ext, v = _render(r, verts)
    hit = out.instances == 1
    # the quad is parallel to the image plane at y = 3: camera z = 3 everywhere on it
    np.testing.assert_allclose(out.depth[hit], 3.0, atol=2e-3)
    assert (out.depth[~hit] == 0).all()


def test_parts_and_normals(quad_raster):
    r, verts, _ = quad_raster
    out, K, ext, v = _render(r, verts)
    ys, xs = np.nonzero(out.instances == 1)
    mid_x = project(to_camera(np.array([[0.3, 3.0, 1.0]]), ext), K)[0, 0]
    left = out.parts[ys[xs < mid_x - 2], xs[xs < mid_x - 2]]
    right = out.parts[ys[xs > mid_x + 2], xs[xs > mid_x + 2]]
    assert set(np.unique(left)) == {3} and set(np.unique(right)) == {4}
    # camera-frame normal of a surface facing the camera is -z
    inner = decode_normals(out.normals)[ys[len(ys) // 2], xs[len(xs) // 2]]
    np.testing.assert_allclose(inner, [0, 0, -1], atol=0.02)


def test_one_renderer_serves_several_image_sizes(quad_raster):
    r, verts, _ = quad_raster
    a, *_ = _render(r, verts, 160, 120)
    b, *_ = _render(r, verts, 96, 128)
    assert a.color.shape == (120, 160, 3) and b.color.shape == (128, 96, 3)
    assert b.instances.any()


def test_normals_of_people_and_ground_in_the_camera_frame(quad_raster):
    r, verts, _ = quad_raster
    W, H = 160, 120
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 0.8]), camera_to_world_rotation(10, -20, 3))
    v = verts + np.array([-0.5, 3.0, 0.0], np.float32)
    ground = GroundLayer(np.full((8, 8, 3), 128, np.uint8))
    out = r.render([MeshLayer(v, np.full_like(v, 0.7))], K, ext, W, H,
                   Lighting(np.array([0.0, 1.0, -1.0]), 0.8, np.ones(3), np.full(3, 0.3)), ground)
    n = decode_normals(out.normals)
    on_ground = (out.depth > 0) & (out.instances == 0)
    on_quad = out.instances == 1
    assert on_ground.mean() > 0.2 and on_quad.sum() > 50
    np.testing.assert_allclose(n[on_ground].mean(0), ext[:3, :3] @ [0, 0, 1], atol=0.02)
    np.testing.assert_allclose(np.median(n[on_quad], axis=0), ext[:3, :3] @ [0, -1, 0], atol=0.03)
    assert (out.normals[out.depth == 0] == 0).all()


def test_passes_match_pyrenders_own_render_calls(quad_raster):
    """genb's pass path (single-sampled label and depth passes, no unused readbacks) gives what
    pyrender's OffscreenRenderer.render gives on the same scenes: label maps bit for bit, depth
    within the 24-bit buffer's precision, the colour pass's pixels exactly."""
    r, verts, _ = quad_raster
    W, H = 160, 120
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 0.8]), camera_to_world_rotation(0, 0, 0))
    light = Lighting(np.array([0.3, 1.0, -1.0]), 0.8, np.ones(3), np.full(3, 0.3))
    ground = GroundLayer(np.full((8, 8, 3), 120, np.uint8), size=40.0)
    people = [MeshLayer(verts + np.array(p, np.float32), np.full((6, 3), 0.7, np.float32))
              for p in ((0.3, 3.0, 0.2), (-0.4, 4.5, 0.0))]
    passes = r.build_passes(people, K, ext, light, ground)
    shadow_pass, sun = r.build_shadow_pass(passes[0][0], light.direction, W, H)
    passes = [passes[0], shadow_pass, passes[1]]
    ours = r.run_passes(passes, W, H)
    renderer = r._renderer_for(W, H)
    theirs = [renderer.render(scene, flags=flags, seg_node_map=seg) for scene, flags, seg in passes]
    assert ours[0][1] is None  # the colour pass's depth is not read back
    np.testing.assert_array_equal(ours[0][0], theirs[0][0])
    assert (ours[2][0][..., 0] > 0).sum() > 500  # both people are in the label pass
    np.testing.assert_array_equal(ours[2][0], theirs[2][0])
    hit = theirs[2][1] > 0
    np.testing.assert_array_equal(ours[2][1] > 0, hit)
    np.testing.assert_allclose(ours[2][1][hit], theirs[2][1][hit], rtol=1e-4)
    cast = theirs[1] > 0
    assert cast.sum() > 100
    # the sun's map: the same casters, sampled at pixel centres instead of a multisample position
    assert abs(int((ours[1] > 0).sum()) - int(cast.sum())) <= 0.02 * cast.sum()
    both = cast & (ours[1] > 0)
    gap = np.abs(sun.linear_depth(ours[1])[both] - sun.linear_depth(theirs[1])[both])
    assert np.median(gap) < 0.5 * sun.texel_m  # metres along the sun's rays: within half a texel's slope


def test_compact_keeps_the_triangles_over_only_the_vertices_they_use():
    from genb.render.raster.meshes import compact

    rng = np.random.default_rng(5)
    v = rng.normal(size=(500, 3)).astype(np.float32)
    faces = rng.integers(100, 300, (80, 3)).astype(np.uint32)
    ids, local = compact(faces, len(v))
    assert local.dtype == np.uint32 and local.shape == faces.shape
    np.testing.assert_array_equal(v[ids][local], v[faces])  # the same corners, in the same order
    np.testing.assert_array_equal(ids, np.unique(faces))  # only the vertices the faces use, in index order
