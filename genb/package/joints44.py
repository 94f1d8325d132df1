"""The 44-joint order of SPIN / 4D-Humans / TokenHMR / CameraHMR, and how genb fills it.

The order is OpenPose BODY_25 (25 joints, genb's own keypoint order) followed by
the first 19 of SPIN's 24 "ground truth" joints (``constants.JOINT_NAMES`` in
SPIN, 4D-Humans ``hmr2/datasets/image_dataset.py`` ``extra_permutation`` and
CameraHMR ``core/constants.py`` ``NUM_JOINTS = 44``). Those loaders flip
images with :data:`FLIP_PERMUTATION`.

Every body model genb renders provides BODY_25 keypoints (see
``genb.core.conventions.BODY25``), so the 44 joints are filled the same way
for anny and SMPL-X:

* joints 0-24: the BODY_25 keypoints themselves;
* the 12 limb joints of the extra set (ankles, knees, hips, wrists, elbows,
  shoulders) and ``pelvis_mpii``: the same anatomical joint in BODY_25
  (``SOURCES`` says which). The LSP hips and the MPII pelvis come from a
  regressor in SPIN; genb uses the BODY_25 hips and their midpoint (OpenPose
  ``MidHip``), the same joints 4D-Humans uses for its ``OP RHip``/``OP LHip``/
  ``OP MidHip`` (an approximation, documented in docs/package.md);
* ``neck_lsp``, ``head_top_lsp``, ``thorax_mpii``, ``spine_h36m``, ``jaw_h36m``,
  ``head_h36m``: defined by dataset-specific regressors that have no exact
  counterpart in genb's ground truth. They are written as zeros with
  confidence 0, so losses weighted by confidence ignore them.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25, BODY25_INDEX

# The 19 extra joints, in SPIN's order (its names in the comments).
EXTRA19 = (
    "right_ankle",    # Right Ankle
    "right_knee",     # Right Knee
    "right_hip_lsp",  # Right Hip
    "left_hip_lsp",   # Left Hip
    "left_knee",      # Left Knee
    "left_ankle",     # Left Ankle
    "right_wrist",    # Right Wrist
    "right_elbow",    # Right Elbow
    "right_shoulder", # Right Shoulder
    "left_shoulder",  # Left Shoulder
    "left_elbow",     # Left Elbow
    "left_wrist",     # Left Wrist
    "neck_lsp",       # Neck (LSP)
    "head_top_lsp",   # Top of Head (LSP)
    "pelvis_mpii",    # Pelvis (MPII)
    "thorax_mpii",    # Thorax (MPII)
    "spine_h36m",     # Spine (H36M)
    "jaw_h36m",       # Jaw (H36M)
    "head_h36m",      # Head (H36M)
)

# All 44 names: BODY_25 names prefixed "op_", then the extra joints.
JOINTS44 = tuple(f"op_{n}" for n in BODY25) + EXTRA19
NUM_JOINTS = len(JOINTS44)

# Where each of the 44 joints comes from: a BODY25 keypoint name, or None (not provided).
SOURCES: dict[str, str | None] = {f"op_{n}": n for n in BODY25}
SOURCES.update({
    "right_ankle": "right_ankle", "right_knee": "right_knee", "right_hip_lsp": "right_hip",
    "left_hip_lsp": "left_hip", "left_knee": "left_knee", "left_ankle": "left_ankle",
    "right_wrist": "right_wrist", "right_elbow": "right_elbow", "right_shoulder": "right_shoulder",
    "left_shoulder": "left_shoulder", "left_elbow": "left_elbow", "left_wrist": "left_wrist",
    "neck_lsp": None, "head_top_lsp": None, "pelvis_mpii": "mid_hip", "thorax_mpii": None,
    "spine_h36m": None, "jaw_h36m": None, "head_h36m": None,
})

# Index into BODY25 of each of the 44 joints, -1 where genb provides none.
FROM_BODY25 = np.array([BODY25_INDEX[SOURCES[n]] if SOURCES[n] else -1 for n in JOINTS44], np.int64)
PROVIDED = FROM_BODY25 >= 0

# Left/right flip permutation used by the 4D-Humans and CameraHMR loaders.
_BODY_FLIP = [0, 1, 5, 6, 7, 2, 3, 4, 8, 12, 13, 14, 9, 10, 11, 16, 15, 18, 17, 22, 23, 24, 19, 20, 21]
_EXTRA_FLIP = [5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13, 14, 15, 16, 17, 18]
FLIP_PERMUTATION = _BODY_FLIP + [25 + i for i in _EXTRA_FLIP]


def to_joints44(points: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Put BODY25 points into the 44-joint order with a confidence column.

    Args:
        points: (P, 25, D) BODY25 keypoints (D = 2 for pixels, 3 for camera-frame metres).
        confidence: (P, 25) float or bool, per BODY25 keypoint.
    Returns:
        (P, 44, D + 1) float32: points, then confidence; joints genb does not
        provide are zeros with confidence 0.
    """
    points = np.asarray(points, np.float32)
    P, _, D = points.shape
    out = np.zeros((P, NUM_JOINTS, D + 1), np.float32)
    src = FROM_BODY25[PROVIDED]
    out[:, PROVIDED, :D] = points[:, src]
    out[:, PROVIDED, D] = np.asarray(confidence, np.float32)[:, src]
    return out
