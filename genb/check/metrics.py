"""Drift metrics: pure functions over arrays.

Every distance is in pixels divided by the person's **box size**, the longer
side of the person's visible ground-truth box (``labels["bbox"]``), so that a
score means the same for a person 40 px tall and one 400 px tall.
"""

from __future__ import annotations

import numpy as np


def box_size(bbox: np.ndarray) -> np.ndarray:
    """Longer side of boxes.

    Args:
        bbox: (..., 4) float, ``x0, y0, x1, y1`` in pixels.

    Returns:
        (...,) float, ``max(x1 - x0, y1 - y0)`` in pixels (0 for an empty box).
    """
    bbox = np.asarray(bbox, dtype=np.float64)
    return np.maximum(np.maximum(bbox[..., 2] - bbox[..., 0], bbox[..., 3] - bbox[..., 1]), 0.0)


def keypoint_errors(pred: np.ndarray, target: np.ndarray, valid: np.ndarray, size: float) -> np.ndarray:
    """Per-keypoint distance, normalised by box size, of the valid keypoints.

    Args:
        pred: (K, 2) float, predicted keypoints, pixels (NaN where not predicted).
        target: (K, 2) float, reference keypoints, pixels.
        valid: (K,) bool, which keypoints to compare.
        size: box size in pixels (> 0).

    Returns:
        (N,) float, distances of the N valid, predicted keypoints divided by ``size``.
    """
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    ok = np.asarray(valid, dtype=bool) & np.isfinite(pred).all(-1) & np.isfinite(target).all(-1)
    if size <= 0:
        raise ValueError(f"box size must be positive, got {size}")
    return np.linalg.norm(pred[ok] - target[ok], axis=-1) / float(size)


def keypoint_drift(pred: np.ndarray, target: np.ndarray, valid: np.ndarray, size: float) -> float:
    """Mean keypoint distance normalised by box size (NaN when no keypoint is valid).

    Args: as :func:`keypoint_errors`.

    Returns:
        float, mean over valid keypoints of ``|pred - target| / size`` (0.1 = a tenth of the box).
    """
    err = keypoint_errors(pred, target, valid, size)
    return float(err.mean()) if err.size else float("nan")


def pck(pred: np.ndarray, target: np.ndarray, valid: np.ndarray, size: float, alpha: float = 0.1) -> float:
    """Percentage of correct keypoints: fraction of valid keypoints within ``alpha * size`` pixels.

    Args:
        pred, target, valid, size: as :func:`keypoint_errors`.
        alpha: tolerance as a fraction of the box size.

    Returns:
        float in [0, 1] (NaN when no keypoint is valid).
    """
    err = keypoint_errors(pred, target, valid, size)
    return float((err <= alpha).mean()) if err.size else float("nan")


def mask_iou(mask_a: np.ndarray, mask_b: np.ndarray) -> float:
    """Intersection over union of two masks.

    Args:
        mask_a, mask_b: (H, W) bool.

    Returns:
        float in [0, 1]; 1 when both are empty (nothing to disagree on).
    """
    a = np.asarray(mask_a, dtype=bool)
    b = np.asarray(mask_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"mask shapes differ: {a.shape} vs {b.shape}")
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 1.0


def flow_drift(flow: np.ndarray, mask: np.ndarray, size: float, erode_px: int = 1) -> tuple[float, float]:
    """Displacement of a person's pixels under dense optical flow, normalised by box size.

    Args:
        flow: (H, W, 2) float32, flow from the render to the enhanced image, pixels
            (``flow[y, x] = (dx, dy)``: where pixel (x, y) of the render went).
        mask: (H, W) bool, the person's ground-truth visible mask.
        size: box size in pixels (> 0).
        erode_px: pixels removed from the mask border first (boundary flow is unreliable);
            the unreduced mask is used when erosion would leave nothing.

    Returns:
        ``(mean, p90)``: mean and 90th percentile of ``|flow| / size`` over the mask
        (NaN, NaN for an empty mask).
    """
    mask = np.asarray(mask, dtype=bool)
    if size <= 0:
        raise ValueError(f"box size must be positive, got {size}")
    if erode_px > 0 and mask.any():
        import cv2

        kernel = np.ones((2 * erode_px + 1, 2 * erode_px + 1), np.uint8)
        eroded = cv2.erode(mask.astype(np.uint8), kernel).astype(bool)
        if eroded.any():
            mask = eroded
    if not mask.any():
        return float("nan"), float("nan")
    mag = np.linalg.norm(np.asarray(flow, dtype=np.float32)[mask], axis=-1) / float(size)
    return float(mag.mean()), float(np.percentile(mag, 90))


def summarize(values: np.ndarray) -> dict[str, float]:
    """Distribution of a score: count, mean and percentiles of its finite values.

    Args:
        values: (N,) float (NaN = not measured).

    Returns:
        ``{"count", "mean", "p10", "median", "p90", "min", "max"}`` (NaN statistics when empty).
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        nan = float("nan")
        return {"count": 0, "mean": nan, "p10": nan, "median": nan, "p90": nan, "min": nan, "max": nan}
    return {
        "count": int(v.size), "mean": float(v.mean()), "p10": float(np.percentile(v, 10)),
        "median": float(np.median(v)), "p90": float(np.percentile(v, 90)),
        "min": float(v.min()), "max": float(v.max()),
    }
