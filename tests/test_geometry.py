"""Pure geometry: cameras, projection, visibility, boxes and control maps."""

import numpy as np
import pytest

from genb.render.labels import truth as L
from genb.render.labels import maps
from genb.render.labels.camera import (
    camera_to_world_rotation, extrinsics, in_frame, intrinsics_from_fov, project, to_camera, vertical_fov_deg,
)


def test_intrinsics_match_field_of_view():
    K = intrinsics_from_fov(60.0, 640, 480)
    # the image edges (pixel-edge coordinates -0.5 and W-0.5) are at +-30 degrees
    half = np.degrees(np.arctan((640 / 2) / K[0, 0]))
    assert half == pytest.approx(30.0)
    assert K[0, 2] == pytest.approx(319.5) and K[1, 2] == pytest.approx(239.5)
    assert vertical_fov_deg(K, 480) < 60.0


def test_camera_axes_follow_the_documented_conventions():
    R = camera_to_world_rotation(0, 0, 0)
    np.testing.assert_allclose(R[:, 2], [0, 1, 0], atol=1e-12)  # looks along +Y
    np.testing.assert_allclose(R[:, 1], [0, 0, -1], atol=1e-12)  # image down = world down
    np.testing.assert_allclose(np.linalg.det(R), 1.0)
    assert camera_to_world_rotation(0, 20, 0)[2, 2] > 0  # positive pitch looks up
    assert camera_to_world_rotation(90, 0, 0)[0, 2] < -0.99  # positive yaw turns left (towards -X)
    for angles in [(10, -20, 3), (200, 5, -7)]:
        R = camera_to_world_rotation(*angles)
        np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-12)


def test_projection_of_a_point_in_front_of_the_camera():
    K = intrinsics_from_fov(50.0, 200, 100)
    ext = extrinsics(np.array([0.0, 0.0, 1.5]), camera_to_world_rotation(0, 0, 0))
    # a point straight ahead at eye height lands on the principal point
    uv = project(to_camera(np.array([[0.0, 5.0, 1.5]]), ext), K)
    np.testing.assert_allclose(uv[0], K[:2, 2], atol=1e-9)
    # a point 1 m to the right and 0.5 m lower at 5 m depth
    uv = project(to_camera(np.array([[1.0, 5.0, 1.0]]), ext), K)
    np.testing.assert_allclose(uv[0], [K[0, 2] + K[0, 0] * 1 / 5, K[1, 2] + K[1, 1] * 0.5 / 5], atol=1e-9)
    assert in_frame(np.array([[-0.49, 0.0], [199.49, 99.0], [-0.51, 0], [10, 99.6]]), 200, 100).tolist() == [True, True, False, False]


def test_ray_mesh_hits_and_self_occlusion_against_a_square():
    K = np.array([[100.0, 0, 50], [0, 100.0, 50], [0, 0, 1]])
    # a 1 m square at z = 2 (part 1), and points behind, beside and in front of it
    verts = np.array([[-0.5, -0.5, 2.0], [0.5, -0.5, 2.0], [0.5, 0.5, 2.0], [-0.5, 0.5, 2.0]])
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    pts = np.array([[0.1, 0.2, 5.0], [2.0, 0.0, 5.0], [0.0, 0.0, 1.0]])
    uv = project(pts, K)
    n, f, t = L.ray_mesh_hits(pts, uv, verts, project(verts, K), faces)
    assert n[t < 1].tolist() == [0] and t[t < 1] == pytest.approx([0.4])  # the first's ray crosses z = 2 at t = 2/5
    assert set(n[t > 1].tolist()) == {2} and t[t > 1] == pytest.approx(2.0)  # beyond the third point: t > 1
    face_parts = np.zeros((2, 15), bool)
    face_parts[:, 1] = True
    own = np.zeros((3, 15), bool)
    occluded, z_own = L.self_occlusion(pts, uv, verts, project(verts, K), faces, face_parts, own)
    assert occluded.tolist() == [True, False, False]
    own[0, 1] = True  # the square is the first point's own surface: it no longer hides it
    occluded, z_own = L.self_occlusion(pts, uv, verts, project(verts, K), faces, face_parts, own)
    assert occluded.tolist() == [False, False, False] and z_own[0] == pytest.approx(2.0)
    # the depth buffer (b): nearer than the own surface hides, unless the pixel is the person's own
    depth = np.full((100, 100), 1.5, np.float32)
    inst = np.zeros((100, 100), np.uint8)
    res = L.visibility(pts[None], K, verts[None], faces, face_parts, own, depth, inst)
    assert res["vis"].tolist() == [[False, False, True]] and res["in_frame"].all()
    inst[:] = 1
    assert L.visibility(pts[None], K, verts[None], faces, face_parts, own, depth, inst)["vis"].tolist() == [[True, True, True]]


def test_mask_boxes_and_center_scale():
    inst = np.zeros((20, 30), np.uint8)
    inst[5:10, 3:13] = 1
    inst[0:2, 0:2] = 2
    boxes, areas = L.mask_boxes(inst, 3)
    np.testing.assert_allclose(boxes[0], [2.5, 4.5, 12.5, 9.5])
    assert areas.tolist() == [50, 4, 0]
    assert (boxes[2] == -1).all()
    c, s = L.center_scale(np.array([[0.0, 0.0, 100.0, 200.0]]), padding=1.0)
    np.testing.assert_allclose(c[0], [50, 100])
    assert s[0] == pytest.approx(1.0)


def test_depth_control_is_bright_near_and_black_where_empty():
    depth = np.array([[0.0, 1.0, 4.0]], np.float32)
    img = maps.depth_control(depth)
    assert img.shape == (1, 3, 3)
    assert img[0, 0, 0] == 0 and img[0, 1, 0] == 255 and img[0, 2, 0] == 0


def test_normal_control_colours():
    n = np.zeros((1, 4, 3), np.float32)
    n[0, 0] = [0, 0, -1]  # facing the camera
    n[0, 1] = [-1, 0, 0]  # facing left
    n[0, 2] = [0, -1, 0]  # facing up
    encoded = np.rint((n + 1) * 127.5).astype(np.uint8)
    hit = np.array([[True, True, True, False]])
    img = maps.normal_control(encoded, hit)
    assert img[0, 0].tolist() == [127, 127, 255]
    assert img[0, 1].tolist() == [255, 127, 127]
    assert img[0, 2].tolist() == [127, 255, 127]
    assert img[0, 3].tolist() == [0, 0, 0]


def test_pose_control_draws_only_visible_keypoints():
    kp = np.tile(np.array([[50.0, 50.0]]), (1, 25, 1))
    kp[0, :, 0] += np.arange(25) * 3
    vis = np.zeros((1, 25), bool)
    blank = maps.pose_control(kp, vis, 100, 200)
    assert blank.max() == 0
    vis[0, [2, 3]] = True  # right shoulder and elbow: one limb
    drawn = maps.pose_control(kp, vis, 100, 200)
    assert drawn.max() > 0
    assert drawn[:, 120:].max() == 0  # nothing near the invisible keypoints far to the right
