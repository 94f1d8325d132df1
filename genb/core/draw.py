"""Drawing helpers shared by the stages (``genb show``, the checker's overlays, the sweep's sheets).

Pure functions: an image in, a new (or the same, when said) image out; (H, W, 3) uint8 RGB.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.core.conventions import BODY25_LIMBS, OPENPOSE18_FROM_BODY25, OPENPOSE18_LIMBS
from genb.errors import GenbError

try:  # cv2 is a dependency; imported lazily by callers that only need the constants
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None  # type: ignore[assignment]

PERSON_COLORS = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
                 (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


def draw_skeleton(image: np.ndarray, keypoints2d: np.ndarray, visible: np.ndarray, color: tuple[int, int, int],
                  thickness: int = 2) -> np.ndarray:
    """Draw one BODY25 skeleton: visible keypoints filled, occluded ones as hollow rings.

    Args:
        image: (H, W, 3) uint8 RGB, drawn on in place and returned.
        keypoints2d: (25, 2) pixels. visible: (25,) bool.
    """
    pts = np.round(keypoints2d).astype(int)
    for a, b in BODY25_LIMBS:
        both = visible[a] and visible[b]
        cv2.line(image, tuple(pts[a]), tuple(pts[b]), color if both else tuple(c // 2 for c in color),
                 thickness if both else 1, cv2.LINE_AA)
    for j, (x, y) in enumerate(pts):
        cv2.circle(image, (x, y), thickness + 1, color, -1 if visible[j] else 1, cv2.LINE_AA)
    return image


def draw_ground_truth(image: np.ndarray, labels: dict[str, np.ndarray], instances: np.ndarray | None = None) -> np.ndarray:
    """Overlay every person's skeleton, visible-mask box and mask outline on a copy of ``image``."""
    out = image.copy()
    t = max(1, round(min(out.shape[:2]) / 256))
    for p in range(len(labels["keypoints2d"])):
        color = PERSON_COLORS[p % len(PERSON_COLORS)]
        if instances is not None:
            contours, _ = cv2.findContours((instances == p + 1).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(out, contours, -1, color, 1, cv2.LINE_AA)
        x0, y0, x1, y1 = labels["bbox"][p]
        if x1 > x0:
            cv2.rectangle(out, (int(x0), int(y0)), (int(x1), int(y1)), color, 1)
        draw_skeleton(out, labels["keypoints2d"][p], labels["keypoints_vis"][p], color, t)
    return out


def contact_sheet(tiles: list[np.ndarray], captions: list[str], columns: int = 4, tile_width: int = 256) -> np.ndarray:
    """Tiles fitted (keeping aspect) into ``tile_width`` x 3/4 ``tile_width`` cells, centred and
    captioned, in a grid on dark grey: landscape and portrait images share one row height."""
    if not tiles:
        raise GenbError("nothing to draw", "check that the run folder holds samples")
    box_h = tile_width * 3 // 4
    resized = []
    for t in tiles:
        s = min(tile_width / t.shape[1], box_h / t.shape[0])
        size = (max(1, round(t.shape[1] * s)), max(1, round(t.shape[0] * s)))
        resized.append(cv2.resize(t, size, interpolation=cv2.INTER_AREA))
    cell_h = box_h + 18
    rows = (len(resized) + columns - 1) // columns
    sheet = np.full((rows * cell_h, columns * tile_width, 3), 32, np.uint8)
    for k, (r, cap) in enumerate(zip(resized, captions)):
        y, x = (k // columns) * cell_h, (k % columns) * tile_width
        dx = (tile_width - r.shape[1]) // 2
        sheet[y : y + r.shape[0], x + dx : x + dx + r.shape[1]] = r
        cv2.putText(sheet, _fit(cap, tile_width - 8), (x + 4, y + cell_h - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (235, 235, 235), 1, cv2.LINE_AA)
    return sheet




def _fit(text: str, width: int) -> str:
    """``text`` cut (with "..") to fit ``width`` pixels in the caption font."""
    def w(t: str) -> int:
        return cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)[0][0]

    if w(text) <= width:
        return text
    while len(text) > 1 and w(text + "..") > width:
        text = text[:-1]
    return text + ".."


# ----------------------------------------------------------------------------- check decisions

GT_COLOR = (0, 220, 0)
DETECTED_COLOR = (255, 40, 40)
STATUS_COLOR = {"accepted": (0, 200, 0), "rejected": (255, 0, 0), "skipped": (160, 160, 160)}


def _skeleton(img: np.ndarray, kp: np.ndarray, ok: np.ndarray, color: tuple[int, int, int], thickness: int) -> None:

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
