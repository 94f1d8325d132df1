"""Draw a check decision on an image, so that a user sees why a sample was rejected."""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.core.conventions import OPENPOSE18_FROM_BODY25, OPENPOSE18_LIMBS

GT_COLOR = (0, 220, 0)
DETECTED_COLOR = (255, 40, 40)
STATUS_COLOR = {"accepted": (0, 200, 0), "rejected": (255, 0, 0), "skipped": (160, 160, 160)}


def _skeleton(img: np.ndarray, kp: np.ndarray, ok: np.ndarray, color: tuple[int, int, int], thickness: int) -> None:
    import cv2

    op = kp[OPENPOSE18_FROM_BODY25]
    op_ok = ok[OPENPOSE18_FROM_BODY25]
    for a, b in OPENPOSE18_LIMBS:
        if op_ok[a] and op_ok[b]:
            cv2.line(img, tuple(int(round(v)) for v in op[a]), tuple(int(round(v)) for v in op[b]), color, thickness,
                     cv2.LINE_AA)
    for k in np.flatnonzero(ok):
        cv2.circle(img, tuple(int(round(v)) for v in kp[k]), thickness + 1, color, -1, cv2.LINE_AA)


def overlay_check(image: np.ndarray, labels: dict[str, np.ndarray], record: dict[str, Any]) -> np.ndarray:
    """The image with ground truth (green) and detected pose (red) drawn, boxes coloured by decision.

    Args:
        image: (H, W, 3) uint8 RGB, usually the enhanced image.
        labels: the sample's labels (``keypoints2d``, ``keypoints_vis``, ``bbox``).
        record: the sample's check record (``check/NNNNNN.json``).

    Returns:
        (H, W, 3) uint8 RGB copy with: each person's box in green (accepted), red (rejected)
        or grey (skipped); ground-truth visible keypoints and skeleton in green; detected
        keypoints and skeleton in red; a yellow line from each ground-truth keypoint to its
        detection; the first reason of each rejected or skipped person written in its box,
        and ACCEPTED/REJECTED in the top-left corner.
    """
    import cv2

    img = np.ascontiguousarray(image.copy())
    h = img.shape[0]
    thickness = max(1, int(round(h / 256)))
    font = 0.3 + 0.1 * (h / 256)
    kp_gt = np.asarray(labels["keypoints2d"], np.float64).reshape(-1, 25, 2)
    vis = np.asarray(labels["keypoints_vis"], bool).reshape(-1, 25)
    bbox = np.asarray(labels["bbox"], np.float64).reshape(-1, 4)
    for person in record.get("people", []):
        p = person["person"]
        color = STATUS_COLOR.get(person["status"], (255, 255, 0))
        x0, y0, x1, y1 = (int(round(v)) for v in bbox[p])
        cv2.rectangle(img, (x0, y0), (x1, y1), color, thickness)
        _skeleton(img, kp_gt[p], vis[p], GT_COLOR, thickness)
        detected = person.get("keypoints_detected")
        if detected:
            det = np.array([[np.nan, np.nan] if k is None else k for k in detected], np.float64)
            ok = np.isfinite(det).all(-1)
            for k in np.flatnonzero(ok & vis[p]):
                cv2.line(img, tuple(int(round(v)) for v in kp_gt[p, k]), tuple(int(round(v)) for v in det[k]),
                         (255, 220, 0), 1, cv2.LINE_AA)
            _skeleton(img, det, ok, DETECTED_COLOR, thickness)
        if person["status"] != "accepted" and person["reasons"]:
            text = person["reasons"][0].split(": ", 1)[-1]
            cv2.putText(img, text[:48], (max(0, x0), min(h - 4, max(10, y0 - 3))), cv2.FONT_HERSHEY_SIMPLEX, font,
                        color, 1, cv2.LINE_AA)
    verdict = "ACCEPTED" if record.get("accepted") else "REJECTED"
    cv2.putText(img, verdict, (4, int(14 * (0.5 + font))), cv2.FONT_HERSHEY_SIMPLEX, font * 1.3,
                STATUS_COLOR["accepted" if record.get("accepted") else "rejected"], thickness, cv2.LINE_AA)
    return img
