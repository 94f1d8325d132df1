"""Crop boxes (``center``, ``scale``) by each client's own definition: pure functions.

BEDLAM's ``data_processing/df_full_body.py`` (``get_bbox_valid``, used at its
``get_params``: ``get_bbox_valid(joints2d[:22], rescale=SCALE_FACTOR_BBOX, ...)``
with ``SCALE_FACTOR_BBOX = 1.2``) boxes the projected SMPL-X body joints that lie
in the image (``0 <= x <= W`` and ``0 <= y <= H``), takes ``scale`` = the longer
box side / 200 x 1.2 and the box centre, and drops a person when fewer than 12
of the 22 joints are in the image or the centre is negative. CameraHMR trains on
npz files made by that same script, so its crops follow the same definition.
genb's own amodal box (all projected vertices, possibly off-image) stays in
``labels.npz`` as ``bbox_full`` / ``center`` / ``scale``.
"""

from __future__ import annotations

import numpy as np

BEDLAM_RESCALE = 1.2  # df_full_body.py: SCALE_FACTOR_BBOX
BEDLAM_MIN_JOINTS = 12  # df_full_body.py: `if num_vis_joints < 12: continue`


def bbox_valid(uv: np.ndarray, width: int, height: int, rescale: float = BEDLAM_RESCALE
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BEDLAM's ``get_bbox_valid`` over a batch: crop centre, scale and joint count.

    Args:
        uv: (N, J, 2) projected joints, pixels.
        width, height: image size, pixels.
        rescale: box padding factor.
    Returns:
        center (N, 2) float32, scale (N,) float32 (box side / 200 x rescale) and
        count (N,) int64 of in-image joints; people with none get center (-1, -1), scale -1.
    """
    uv = np.asarray(uv, np.float64)
    valid = (uv[..., 0] >= 0) & (uv[..., 0] <= width) & (uv[..., 1] >= 0) & (uv[..., 1] <= height)
    count = valid.sum(axis=1).astype(np.int64)
    big = np.where(valid[..., None], uv, np.inf)
    small = np.where(valid[..., None], uv, -np.inf)
    none = count == 0
    lo, hi = big.min(axis=1), small.max(axis=1)
    lo[none], hi[none] = 0.0, 0.0  # no joint in frame: no box (below)
    center = np.where(count[:, None] > 0, (lo + hi) / 2, -1.0)
    side = np.where(count > 0, np.max(hi - lo, axis=1), -1.0)
    scale = np.where(count > 0, side / 200.0 * rescale, -1.0)
    return center.astype(np.float32), scale.astype(np.float32), count


def bedlam_keep(center: np.ndarray, scale: np.ndarray, count: np.ndarray,
                min_joints: int = BEDLAM_MIN_JOINTS) -> np.ndarray:
    """(N,) bool: the people BEDLAM's ``df_full_body.py`` keeps (centre >= 0, scale > 0, >= 12 joints in frame)."""
    return (center[:, 0] >= 0) & (center[:, 1] >= 0) & (scale > 0) & (count >= min_joints)


def hand_boxes(uv: np.ndarray, rescale: float = BEDLAM_RESCALE) -> tuple[np.ndarray, np.ndarray]:
    """Crop centre (N, 2) and scale (N,) of the box around each person's hand joints (not clipped to the image).

    Args:
        uv: (N, J, 2) projected hand joints (wrist and fingers), pixels.
    """
    lo, hi = uv.min(axis=1), uv.max(axis=1)
    return ((lo + hi) / 2).astype(np.float32), (np.max(hi - lo, axis=1) / 200.0 * rescale).astype(np.float32)
