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


# The SMPL joints the SMPL-family trainers put in the OpenPose neck and mid-hip slots: their
# joint maps (CameraHMR core/constants.py and 4D-Humans hmr2/models/smpl_wrapper.py,
# ``smpl_to_openpose``) take slot 1 from SMPL's neck (joint 12) and slot 8 from its pelvis
# (joint 0), where genb's BODY25 has the shoulders' and the hips' midpoints (1-3 cm away,
# 10-13 px at training crop size). SMPL-X's first 22 joints are SMPL's.
OP_NECK, OP_MID_HIP = BODY25_INDEX["neck"], BODY25_INDEX["mid_hip"]
SMPL_NECK, SMPL_PELVIS = 12, 0


def body_model_slots(keypoints_2d: np.ndarray, keypoints_3d: np.ndarray | None, joints3d: np.ndarray | None,
                     has: np.ndarray, cam_int: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Slots 1 (``op_neck``) and 8 (``op_mid_hip``) as SMPL-family trainers define them.

    Args:
        keypoints_2d: (N, 44, 3) pixels + confidence (:func:`to_joints44`).
        keypoints_3d: (N, 44, 4) camera frame + confidence, or None.
        joints3d: (N, >=13, 3) camera-frame SMPL (or SMPL-X) joints, metres, or None.
        has: (N,) bool, the rows of ``joints3d`` that hold a body (a successful fit).
        cam_int: (3, 3) intrinsics.
    Returns:
        Copies of ``keypoints_2d`` and ``keypoints_3d``: rows with a body get SMPL's neck and
        pelvis in slots 1 and 8 (projected for 2D; the confidence is kept, so the visibility rule
        still applies); rows without get confidence 0 there (a loss weighted by confidence skips them).
    """
    kp2 = np.array(keypoints_2d, np.float32, copy=True)
    kp3 = None if keypoints_3d is None else np.array(keypoints_3d, np.float32, copy=True)
    has = np.asarray(has, bool).reshape(len(kp2))
    slots = [OP_NECK, OP_MID_HIP]
    kp2[np.ix_(~has, slots, [2])] = 0.0
    if kp3 is not None:
        kp3[np.ix_(~has, slots, [3])] = 0.0
    if joints3d is None or not has.any():
        return kp2, kp3
    X = np.asarray(joints3d, np.float64)[has][:, [SMPL_NECK, SMPL_PELVIS]]  # (M, 2, 3)
    uvw = X @ np.asarray(cam_int, np.float64).T
    uv = uvw[..., :2] / np.where(np.abs(uvw[..., 2:]) > 1e-9, uvw[..., 2:], 1e-9)
    rows = np.flatnonzero(has)
    kp2[np.ix_(rows, slots, [0, 1])] = uv.astype(np.float32)
    if kp3 is not None:
        kp3[np.ix_(rows, slots, [0, 1, 2])] = X.astype(np.float32)
    return kp2, kp3
