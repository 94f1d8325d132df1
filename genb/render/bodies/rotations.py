"""Rotation helpers: pure numpy functions over stacks of 3x3 matrices (float64).

Euler angles follow the pose tables' convention: intrinsic ``XYZ`` in degrees,
``R = Rx(a) @ Ry(b) @ Rz(c)``.
"""

from __future__ import annotations

import numpy as np


def euler_xyz_to_matrix(angles_deg: np.ndarray) -> np.ndarray:
    """(..., 3) intrinsic XYZ Euler angles, degrees -> (..., 3, 3) rotations ``Rx @ Ry @ Rz``."""
    a = np.radians(np.asarray(angles_deg, np.float64))
    cx, cy, cz = np.cos(a[..., 0]), np.cos(a[..., 1]), np.cos(a[..., 2])
    sx, sy, sz = np.sin(a[..., 0]), np.sin(a[..., 1]), np.sin(a[..., 2])
    R = np.empty(a.shape[:-1] + (3, 3))
    R[..., 0, 0] = cy * cz
    R[..., 0, 1] = -cy * sz
    R[..., 0, 2] = sy
    R[..., 1, 0] = cx * sz + sx * sy * cz
    R[..., 1, 1] = cx * cz - sx * sy * sz
    R[..., 1, 2] = -sx * cy
    R[..., 2, 0] = sx * sz - cx * sy * cz
    R[..., 2, 1] = sx * cz + cx * sy * sz
    R[..., 2, 2] = cx * cy
    return R


def matrix_to_euler_xyz(R: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations -> (..., 3) intrinsic XYZ Euler angles in degrees (inverse of
    :func:`euler_xyz_to_matrix` for |b| < 90 degrees)."""
    R = np.asarray(R, np.float64)
    b = np.arcsin(np.clip(R[..., 0, 2], -1.0, 1.0))
    a = np.arctan2(-R[..., 1, 2], R[..., 2, 2])
    c = np.arctan2(-R[..., 0, 1], R[..., 0, 0])
    return np.degrees(np.stack([a, b, c], -1))


def axis_angle_to_matrix(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle (radians) -> (..., 3, 3) rotations (Rodrigues)."""
    v = np.asarray(rotvec, np.float64)
    theta = np.linalg.norm(v, axis=-1, keepdims=True)
    k = v / np.where(theta > 1e-12, theta, 1.0)
    K = np.zeros(v.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2] = -k[..., 2], k[..., 1]
    K[..., 1, 0], K[..., 1, 2] = k[..., 2], -k[..., 0]
    K[..., 2, 0], K[..., 2, 1] = -k[..., 1], k[..., 0]
    s, c = np.sin(theta)[..., None], np.cos(theta)[..., None]
    return np.eye(3) + s * K + (1.0 - c) * (K @ K)


def matrix_to_axis_angle(R: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations -> (..., 3) axis-angle in radians, angle in [0, pi]."""
    R = np.asarray(R, np.float64)
    # Via the unit quaternion: stable for every angle, including near pi.
    q = matrix_to_quaternion(R)
    w = np.clip(q[..., 0], -1.0, 1.0)
    xyz = q[..., 1:]
    sign = np.where(w < 0, -1.0, 1.0)[..., None]
    xyz, w = xyz * sign, np.abs(w)
    n = np.linalg.norm(xyz, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(n, w[..., None])
    return np.where(n > 1e-12, xyz / np.where(n > 1e-12, n, 1.0) * angle, 2.0 * xyz)


def matrix_to_quaternion(R: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations -> (..., 4) unit quaternions (w, x, y, z)."""
    R = np.asarray(R, np.float64)
    m00, m11, m22 = R[..., 0, 0], R[..., 1, 1], R[..., 2, 2]
    t = np.stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], -1)
    i = np.argmax(t, axis=-1)
    s = np.sqrt(np.maximum(np.take_along_axis(t, i[..., None], -1)[..., 0], 1e-300)) * 2.0
    q = np.empty(R.shape[:-2] + (4,))
    # One formula per largest diagonal term.
    cand = [
        np.stack([s / 4, (R[..., 2, 1] - R[..., 1, 2]) / s, (R[..., 0, 2] - R[..., 2, 0]) / s, (R[..., 1, 0] - R[..., 0, 1]) / s], -1),
        np.stack([(R[..., 2, 1] - R[..., 1, 2]) / s, s / 4, (R[..., 0, 1] + R[..., 1, 0]) / s, (R[..., 0, 2] + R[..., 2, 0]) / s], -1),
        np.stack([(R[..., 0, 2] - R[..., 2, 0]) / s, (R[..., 0, 1] + R[..., 1, 0]) / s, s / 4, (R[..., 1, 2] + R[..., 2, 1]) / s], -1),
        np.stack([(R[..., 1, 0] - R[..., 0, 1]) / s, (R[..., 0, 2] + R[..., 2, 0]) / s, (R[..., 1, 2] + R[..., 2, 1]) / s, s / 4], -1),
    ]
    for k in range(4):
        q = np.where((i == k)[..., None], cand[k], q)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def rotation_power(R: np.ndarray, fraction: float) -> np.ndarray:
    """(..., 3, 3) rotations scaled along their geodesic: same axis, ``fraction`` of the angle."""
    if fraction == 1.0:
        return np.asarray(R, np.float64)
    return axis_angle_to_matrix(matrix_to_axis_angle(R) * fraction)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) smallest rotation taking direction ``a`` (3,) onto direction ``b`` (3,)."""
    a = np.asarray(a, np.float64) / np.linalg.norm(a)
    b = np.asarray(b, np.float64) / np.linalg.norm(b)
    axis = np.cross(a, b)
    s, c = np.linalg.norm(axis), float(np.dot(a, b))
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        perp = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        return axis_angle_to_matrix(perp / np.linalg.norm(perp) * np.pi)
    return axis_angle_to_matrix(axis / s * np.arctan2(s, c))


def heading_free(R: np.ndarray, up: np.ndarray = np.array([0.0, 1.0, 0.0]), forward: np.ndarray = np.array([0.0, 0.0, 1.0])) -> np.ndarray:
    """(..., 3, 3) rotations with their heading (rotation about ``up``) removed, tilt kept.

    The heading is the angle of ``R @ forward`` projected on the plane normal to ``up``.
    """
    R = np.asarray(R, np.float64)
    f = R @ forward
    f = f - (f @ up)[..., None] * up
    side = np.cross(up, forward)
    yaw = np.arctan2(f @ side, f @ forward)
    return axis_angle_to_matrix(-yaw[..., None] * up) @ R
