"""The visibility rule on real rendered bodies of both models: heavy adults facing the camera, children,
a hip behind the other thigh (turned sideways) and a hip behind another person.

Each scene is rendered with the real rasterizer; the labels come from
``genb.render.labels.truth.visibility`` exactly as ``RenderStage.finish`` calls it.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from genb.render.labels import truth as L
from genb.render.bodies import rigid_transform_bodies
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov, to_camera
from genb.core.conventions import BODY25_INDEX, SEMANTIC_JOINTS
from genb.render.raster.meshes import Lighting, MeshLayer

HIPS = [BODY25_INDEX[k] for k in ("left_hip", "right_hip")]
W, H = 128, 160


@pytest.fixture(scope="module")
def rasters():
    """One rasterizer per body topology, built once for the module."""
    made = {}
    yield made
    for r in made.values():
        r.close()


def heavy_and_child(body):
    """Shape parameters of a heavy adult and of a child for either body model."""
    if body.name == "anny":
        #         gender age  muscle weight height proportions
        return np.array([[1.0, 0.7, 0.5, 1.0, 0.5, 0.5], [0.5, 0.1, 0.5, 0.5, 0.5, 0.5]], np.float32)
    betas = np.zeros((2, body.shape_dim), np.float32)
    betas[0, 1] = 6.0  # synthetic SMPL-X: beta1 thickens (7 cm more girth, 12 cm on the torso)
    betas[1, 0] = -8.0  # beta0 scales about the soles: a child-sized body
    return betas


def render_people(body, raster, shapes, yaw_deg, positions, arms_down=True):
    """Pose and place people (world Z up, facing -y at yaw 0), render from a camera at the origin looking +y."""
    P = len(shapes)
    rot = np.tile(np.eye(3), (P, len(SEMANTIC_JOINTS), 1, 1))
    if arms_down:  # arms along the body would cover the hips from the front: hold them out
        rot[:, SEMANTIC_JOINTS.index("left_shoulder")] = _rz(-60)
        rot[:, SEMANTIC_JOINTS.index("right_shoulder")] = _rz(60)
    posed = body.pose(shapes, rot)
    lift = -posed.vertices[:, :, 2].min(axis=1)
    R = np.stack([_rz(y) for y in yaw_deg])
    t = np.column_stack([np.asarray(positions, float), lift])
    world = rigid_transform_bodies(body, posed, R, t)
    K = intrinsics_from_fov(40, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 0.9]), camera_to_world_rotation(0, 0, 0))
    layers = [MeshLayer(v, np.full_like(v, 0.6)) for v in world.vertices]
    light = Lighting(np.array([0, 1.0, -1]), 0.7, np.ones(3), np.full(3, 0.3))
    out = raster.render(layers, K, ext, W, H, light, None)
    kp = to_camera(world.keypoints.astype(np.float64), ext)
    verts = to_camera(world.vertices.astype(np.float64), ext)
    faces = np.asarray(body.faces)
    start = time.perf_counter()
    res = L.visibility(kp, K, verts, faces, L.face_part_table(faces, np.asarray(body.vertex_parts)),
                       L.body25_own_parts(), out.depth, out.instances)
    res.update(seconds=time.perf_counter() - start, verts=verts, K=K)
    return res, out, kp


def _rz(deg):
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


@pytest.fixture(params=["anny", "smplx"])
def body(request, anny_body, smplx_body):
    return anny_body if request.param == "anny" else smplx_body


@pytest.fixture
def raster(body, rasters):
    from genb.render.raster.gl import Rasterizer

    if body.name not in rasters:
        rasters[body.name] = Rasterizer(body.faces, body.vertex_parts)
    return rasters[body.name]


def test_frontal_hips_of_a_heavy_adult_and_a_child_are_visible(body, raster):
    res, out, kp = render_people(body, raster, heavy_and_child(body), [0.0, 0.0], [[-0.45, 3.2], [0.45, 3.2]])
    assert res["in_frame"][:, HIPS].all()
    assert res["vis"][:, HIPS].all(), res["vis"][:, HIPS]
    # the heavy body's own surface is well in front of its hips: a fixed 2 cm tolerance alone would hide them
    uv = np.rint(res["uv"][0, HIPS]).astype(int)
    d = out.depth[uv[:, 1], uv[:, 0]]
    assert (d < kp[0, HIPS, 2] - 0.05).all() and (out.instances[uv[:, 1], uv[:, 0]] == 1).all()
    assert res["vis"][:, [BODY25_INDEX[k] for k in ("neck", "mid_hip", "nose")]].all()


def test_hip_behind_the_other_thigh_is_hidden(body, raster):
    # turned sideways: the right hip is on the far side, behind the left thigh
    res, out, kp = render_people(body, raster, heavy_and_child(body)[:1], [-90.0], [[0.0, 3.0]], arms_down=False)
    near, far = BODY25_INDEX["left_hip"], BODY25_INDEX["right_hip"]
    assert kp[0, far, 2] > kp[0, near, 2] + 0.1  # really behind
    assert res["in_frame"][0, [near, far]].all()
    assert res["vis"][0, near] and not res["vis"][0, far]
    assert res["self_occluded"][0, far]
    # the far knee and ankle are behind the near leg too; the near ones are seen
    for side in ("knee", "ankle"):
        assert res["vis"][0, BODY25_INDEX[f"left_{side}"]] and not res["vis"][0, BODY25_INDEX[f"right_{side}"]]


def test_hips_behind_another_person_are_hidden(body, raster):
    shapes = heavy_and_child(body)[[0, 0]]
    res, out, kp = render_people(body, raster, shapes, [0.0, 0.0], [[0.0, 3.0], [0.0, 5.5]])
    torso = [BODY25_INDEX[k] for k in ("neck", "mid_hip", "left_hip", "right_hip")]
    assert res["vis"][0, torso].all() and res["in_frame"][1, torso].all()
    assert not res["vis"][1, torso].any() and not res["self_occluded"][1, torso].any()
    uv = np.rint(res["uv"][1, torso]).astype(int)
    assert (out.instances[uv[:, 1], uv[:, 0]] == 1).all()
    # a person's own instance pixels (clothes/hair are drawn with its id) never hide it; objects (id 0) do
    depth, inst = out.depth.copy(), out.instances.copy()
    mid = BODY25_INDEX["mid_hip"]
    u, v = np.rint(res["uv"][0, mid]).astype(int)
    depth[v, u] = 0.5  # something 0.5 m from the camera at the front person's mid-hip pixel
    faces = np.asarray(body.faces)
    args = (res["K"], res["verts"], faces, L.face_part_table(faces, np.asarray(body.vertex_parts)), L.body25_own_parts())
    assert L.visibility(kp, *args, depth, inst)["vis"][0, mid]  # drawn with id 1: the person's own clothes
    inst[v, u] = 0
    assert not L.visibility(kp, *args, depth, inst)["vis"][0, mid]  # id 0 (an object) in front: occluded


def test_face_landmarks_are_hidden_from_behind_and_seen_from_the_front(body, raster):
    """The face's keypoints lie on the skin: from behind the head hides them (although the head is
    their own part), from the front they are visible; the hips (inside the body) are visible both ways."""
    face = [BODY25_INDEX[k] for k in ("nose", "left_eye", "right_eye")]
    shapes = heavy_and_child(body)
    res, _, _ = render_people(body, raster, shapes, [0.0, 180.0], [[-0.45, 3.2], [0.45, 3.2]])
    assert res["in_frame"][:, face].all()
    assert res["vis"][0, face].all() and not res["vis"][1, face].any()
    assert res["vis"][:, HIPS].all()


@pytest.mark.parametrize("spread", [3.0, 40.0, 300.0])
def test_ray_cast_candidates_are_exactly_the_faces_whose_box_holds_the_point(spread):
    """The candidate search (a summed-area table over a grid of the points) finds every (point, face)
    pair whose face's 2D box contains the point and no other, including points on cell borders and on
    box edges, for small and large people."""
    rng = np.random.default_rng(int(spread))
    F, N = 6000, 120
    centre = rng.uniform(0, 500, 2)
    a = centre + rng.normal(0, spread, (F, 2))
    lo = a - rng.exponential(spread / 30, (F, 2))
    hi = a + rng.exponential(spread / 30, (F, 2))
    uv = centre + rng.normal(0, spread, (N, 2))
    uv[:20] = np.round(uv[:20])  # on grid lines
    uv[20:30] = lo[:10]  # on the boxes' corners
    uv[30:40] = hi[10:20]
    n_idx, f_idx = L._candidate_pairs(uv, lo, hi)
    inside = ((uv[:, None, 0] >= lo[None, :, 0]) & (uv[:, None, 0] <= hi[None, :, 0])
              & (uv[:, None, 1] >= lo[None, :, 1]) & (uv[:, None, 1] <= hi[None, :, 1]))
    want_n, want_f = np.nonzero(inside)
    assert len(want_n) > N // 2  # the test has pairs to find
    np.testing.assert_array_equal(n_idx, want_n)
    np.testing.assert_array_equal(f_idx, want_f)
    # float32 points, each the corner of a point-sized float64 box: one precision inside, whatever
    # the caller passes, so every point finds at least its own box
    for _ in range(30):
        uv32 = (centre + rng.normal(0, spread, (40, 2)) + 1000).astype(np.float32)
        n_idx, f_idx = L._candidate_pairs(uv32, uv32.astype(np.float64), uv32.astype(np.float64))
        assert set(zip(range(40), range(40))) <= set(zip(n_idx.tolist(), f_idx.tolist()))


def test_points_box_is_each_persons_extent():
    rng = np.random.default_rng(4)
    uv = rng.normal(200.0, 30.0, (3, 500, 2))
    uv[1, 7] = (-40.0, 900.0)  # a vertex off the image still counts
    box = L.points_box(uv)
    assert box.dtype == np.float32 and box.shape == (3, 4)
    for p in range(3):
        want = [uv[p, :, 0].min(), uv[p, :, 1].min(), uv[p, :, 0].max(), uv[p, :, 1].max()]
        assert np.array_equal(box[p], np.array(want, np.float32))
    assert box[1, 0] == -40.0 and box[1, 3] == 900.0


@pytest.mark.parametrize("spread", [3.0, 40.0, 400.0])
def test_mesh_candidate_pairs_are_the_box_pairs(spread):
    """mesh_candidate_pairs (cells per vertex, boxes for the faces left) finds exactly the brute-force pairs of
    the faces' boxes, in _candidate_pairs' order, points on vertices and grid lines included."""
    from genb.render.labels.mesh_pairs import mesh_candidate_pairs

    rng = np.random.default_rng(int(spread) + 1)
    V, F, N = 3000, 6000, 129
    centre = rng.uniform(0, 500, 2)
    verts = centre + rng.normal(0, spread, (V, 2))
    faces = rng.integers(0, V, (F, 3))
    faces[:, 1] = np.minimum(faces[:, 0] + rng.integers(1, 4, F), V - 1)  # small, nearby triangles mostly
    uv = centre + rng.normal(0, spread, (N, 2))
    uv[:20] = np.round(uv[:20])
    uv[20:40] = verts[faces[:20, 0]]  # on vertices: their faces' box corners
    tri = verts[faces]
    lo, hi = tri.min(axis=1), tri.max(axis=1)
    n_idx, f_idx = mesh_candidate_pairs(uv, verts, np.ascontiguousarray(faces.T))
    want_n, want_f = L._candidate_pairs(uv, lo, hi)
    assert len(want_n) > 20
    np.testing.assert_array_equal(n_idx, want_n)
    np.testing.assert_array_equal(f_idx, want_f)
