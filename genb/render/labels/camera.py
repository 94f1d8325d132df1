"""Perspective camera geometry: pure functions over arrays.

Conventions (see :mod:`genb.core.conventions`): world Z up; camera frame
OpenCV (x right, y down, z forward); pixel centres at integer coordinates.
"""

from __future__ import annotations

import math

import numpy as np

from genb.core.conventions import CV_TO_GL


def intrinsics_from_fov(fov_x_deg: float, width: int, height: int) -> np.ndarray:
    """(3, 3) float64 K with square pixels and the principal point at the image centre.

    Args:
        fov_x_deg: horizontal field of view, degrees.
        width, height: image size, pixels.
    """
    fx = (width / 2.0) / math.tan(math.radians(fov_x_deg) / 2.0)
    return np.array([[fx, 0.0, (width - 1) / 2.0], [0.0, fx, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def vertical_fov_deg(K: np.ndarray, height: int) -> float:
    """Vertical field of view (degrees) of intrinsics ``K`` for an image ``height`` pixels tall."""
    return math.degrees(2.0 * math.atan((height / 2.0) / K[1, 1]))


def camera_to_world_rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """(3, 3) rotation whose columns are the camera's x (right), y (down), z (forward) axes in the world.

    Zero angles look along world +Y with the horizon level. Positive yaw turns left
    (counter-clockwise seen from above), positive pitch looks up, positive roll turns the
    image clockwise.
    """
    y, p, r = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    forward = np.array([-math.sin(y) * math.cos(p), math.cos(y) * math.cos(p), math.sin(p)])
    right0 = np.array([math.cos(y), math.sin(y), 0.0])
    up0 = np.cross(right0, forward)
    right = math.cos(r) * right0 - math.sin(r) * up0
    up = math.sin(r) * right0 + math.cos(r) * up0
    return np.stack([right, -up, forward], axis=1)


def extrinsics(position: np.ndarray, rotation_cw: np.ndarray) -> np.ndarray:
    """(4, 4) world-to-camera matrix of a camera at ``position`` (world, metres) with
    camera-to-world rotation ``rotation_cw`` (3, 3)."""
    ext = np.eye(4)
    ext[:3, :3] = rotation_cw.T
    ext[:3, 3] = -rotation_cw.T @ np.asarray(position, dtype=np.float64)
    return ext


def to_camera(points_world: np.ndarray, cam_ext: np.ndarray) -> np.ndarray:
    """(..., 3) world points -> (..., 3) camera-frame points (metres)."""
    return points_world @ cam_ext[:3, :3].T + cam_ext[:3, 3]


def project(points_cam: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame points -> (..., 2) pixel coordinates (OpenCV convention).

    Points must be in front of the camera (z > 0); z is clamped at 1e-6 to keep
    points behind it finite (they are then far outside the image).
    """
    z = np.maximum(points_cam[..., 2:3], 1e-6)
    uv = points_cam[..., :2] / z
    return uv @ K[:2, :2].T + K[:2, 2]


def gl_camera_pose(cam_ext: np.ndarray) -> np.ndarray:
    """(4, 4) camera-to-world pose of the OpenGL camera (pyrender) matching OpenCV ``cam_ext``."""
    return np.linalg.inv(cam_ext) @ CV_TO_GL


def gl_intrinsics(K: np.ndarray) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) for pyrender's IntrinsicsCamera so that its pixels match OpenCV ``K``.

    pyrender places pixel centres at half-integers; OpenCV at integers.
    """
    return float(K[0, 0]), float(K[1, 1]), float(K[0, 2]) + 0.5, float(K[1, 2]) + 0.5


def in_frame(uv: np.ndarray, width: int, height: int) -> np.ndarray:
    """(...) bool: pixel coordinates that fall on a pixel of a ``width`` x ``height`` image."""
    return (uv[..., 0] > -0.5) & (uv[..., 0] < width - 0.5) & (uv[..., 1] > -0.5) & (uv[..., 1] < height - 0.5)
