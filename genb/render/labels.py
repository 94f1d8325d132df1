"""Ground-truth labels: pure functions over arrays.

Everything here is computed from the posed geometry, the camera and the
rendered depth/instance buffers; nothing is estimated.
"""

from __future__ import annotations

import numpy as np

from genb.render.camera import in_frame, project


def keypoint_visibility(points_cam: np.ndarray, uv: np.ndarray, depth: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Which points are in frame, and which are also not occluded.

    A point is visible when it projects onto a pixel of the image and the depth
    buffer there is not nearer than the point's own depth minus ``tolerance``
    (keypoints sit inside the body, so the body's own surface is within
    ``tolerance`` in front of them).

    Args:
        points_cam: (..., 3) camera-frame points, metres.
        uv: (..., 2) their pixel coordinates.
        depth: (H, W) metric depth buffer (camera z, metres; 0 = nothing hit).
        tolerance: metres.
    Returns:
        (visible, in_frame): two (...) bool arrays.
    """
    H, W = depth.shape
    inside = in_frame(uv, W, H) & (points_cam[..., 2] > 0)
    u = np.clip(np.rint(uv[..., 0]), 0, W - 1).astype(np.int64)
    v = np.clip(np.rint(uv[..., 1]), 0, H - 1).astype(np.int64)
    d = depth[v, u]
    unoccluded = (d <= 0) | (d >= points_cam[..., 2] - tolerance)
    return inside & unoccluded, inside


def mask_boxes(instances: np.ndarray, num_people: int) -> tuple[np.ndarray, np.ndarray]:
    """Tight boxes and pixel counts of each person's visible mask.

    Args:
        instances: (H, W) uint8, p + 1 where person p is visible.
        num_people: P.
    Returns:
        boxes (P, 4) float32 ``x0, y0, x1, y1`` in pixel coordinates of the
        outer pixel edges (all -1 for a person with no visible pixel), and
        areas (P,) int64.
    """
    boxes = np.full((num_people, 4), -1.0, np.float32)
    areas = np.bincount(instances.ravel(), minlength=num_people + 1)[1 : num_people + 1].astype(np.int64)
    for p in range(num_people):
        if areas[p] == 0:
            continue
        mask = instances == p + 1
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        boxes[p] = (cols[0] - 0.5, rows[0] - 0.5, cols[-1] + 0.5, rows[-1] + 0.5)
    return boxes, areas


def points_box(uv: np.ndarray) -> np.ndarray:
    """(P, 4) float32 box ``x0, y0, x1, y1`` of (P, N, 2) pixel coordinates (may leave the image)."""
    return np.concatenate([uv.min(axis=1), uv.max(axis=1)], axis=1).astype(np.float32)


def center_scale(boxes: np.ndarray, padding: float = 1.2) -> tuple[np.ndarray, np.ndarray]:
    """BEDLAM/HMR crop parameters of boxes: centre (P, 2) and ``scale = side / 200`` (P,).

    The side is the longer box side times ``padding``.
    """
    center = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) * padding
    return center.astype(np.float32), (side / 200.0).astype(np.float32)


def project_with_visibility(points_cam: np.ndarray, K: np.ndarray, depth: np.ndarray, tolerance: float) -> dict[str, np.ndarray]:
    """Project (P, N, 3) camera-frame points; return ``uv``, ``vis`` and ``in_frame``."""
    uv = project(points_cam, K)
    vis, inside = keypoint_visibility(points_cam, uv, depth, tolerance)
    return {"uv": uv.astype(np.float32), "vis": vis, "in_frame": inside}
