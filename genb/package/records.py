"""Per-person training records of one sample: pure functions over ``labels.npz`` arrays.

Both output formats (BEDLAM npz, 4D-Humans shards) are built from the
:class:`PersonRecords` of a sample, so they always agree with each other.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.package.joints44 import to_joints44

# BEDLAM's SMPL-X ``pose_cam`` layout (165 = 55 joints x 3, axis-angle):
# global_orient 0:3, body 3:66, jaw 66:69, left eye 69:72, right eye 72:75,
# left hand 75:120, right hand 120:165.
SMPLX_POSE_LAYOUT = (
    ("global_orient", 3), ("body_pose", 63), ("jaw_pose", 3), ("leye_pose", 3), ("reye_pose", 3),
    ("left_hand_pose", 45), ("right_hand_pose", 45),
)


@dataclasses.dataclass
class PersonRecords:
    """The people of one sample that go into the package (leading dim N <= P).

    Attributes:
        person_index: (N,) int64 index of each person in the sample's labels.
        keypoints_2d: (N, 44, 3) float32 pixels of the full image + confidence.
        keypoints_3d: (N, 44, 4) float32 camera frame, metres + confidence.
        center: (N, 2) float32 crop centre, pixels.
        scale: (N,) float32 crop side / 200.
        bbox: (N, 4) float32 visible-mask box; bbox_full: (N, 4) amodal box.
        vis_count: (N,) int64 visible BODY25 keypoints.
        gender: (N,) str.
        body_model: "anny" or "smplx" (or another model's name).
        params: the body model's native parameters in the camera frame, keys
            without the model prefix (``global_orient``, ``phenotypes`` ...), leading dim N.
        cam_int: (3, 3) float32; cam_ext: (4, 4) float32 world to camera.
        image_size: (2,) int (H, W).
        proj_verts: (N, V, 2) float32 pixels.
        dropped: people of the sample left out (too few visible keypoints).
    """

    person_index: np.ndarray
    keypoints_2d: np.ndarray
    keypoints_3d: np.ndarray
    center: np.ndarray
    scale: np.ndarray
    bbox: np.ndarray
    bbox_full: np.ndarray
    vis_count: np.ndarray
    gender: np.ndarray
    body_model: str
    params: dict[str, np.ndarray]
    cam_int: np.ndarray
    cam_ext: np.ndarray
    image_size: np.ndarray
    proj_verts: np.ndarray
    dropped: int

    def __len__(self) -> int:
        return len(self.person_index)


def keypoint_confidence(labels: dict[str, np.ndarray], rule: str) -> np.ndarray:
    """(P, 25) float32 confidence of each BODY25 keypoint.

    ``rule``: ``"in_frame"`` (1 inside the image, occluded or not: the ground
    truth is exact behind occluders, as in BEDLAM), ``"visible"`` (1 only when
    also not occluded) or ``"all"`` (1 everywhere, also outside the image).
    """
    vis = labels["keypoints_vis"].astype(bool)
    if rule == "visible":
        conf = vis
    elif rule == "all":
        conf = np.ones_like(vis)
    else:
        conf = labels["keypoints_in_frame"].astype(bool) if "keypoints_in_frame" in labels else vis
    return conf.astype(np.float32)


def person_records(labels: dict[str, np.ndarray], *, confidence: str = "in_frame",
                   min_visible_keypoints: int = 0) -> PersonRecords:
    """The packaged people of one sample.

    Args:
        labels: the arrays of the sample's ``labels.npz``.
        confidence: the 2D confidence rule (see :func:`keypoint_confidence`).
        min_visible_keypoints: people with fewer visible BODY25 keypoints are left out.
    """
    vis = labels["keypoints_vis"].astype(bool)
    vis_count = vis.sum(axis=1).astype(np.int64)
    keep = np.flatnonzero(vis_count >= min_visible_keypoints)
    P = len(vis)
    body = str(labels["body_model"])
    prefix = body + "_"
    params = {k[len(prefix):]: np.asarray(v)[keep] for k, v in labels.items() if k.startswith(prefix)}
    conf2d = keypoint_confidence(labels, confidence)[keep]
    kp3d = labels["keypoints3d"][keep]
    return PersonRecords(
        person_index=keep.astype(np.int64),
        keypoints_2d=to_joints44(labels["keypoints2d"][keep], conf2d),
        keypoints_3d=to_joints44(kp3d, np.ones(kp3d.shape[:2], np.float32)),
        center=np.asarray(labels["center"], np.float32)[keep].reshape(-1, 2),
        scale=np.asarray(labels["scale"], np.float32)[keep].reshape(-1),
        bbox=np.asarray(labels["bbox"], np.float32)[keep].reshape(-1, 4),
        bbox_full=np.asarray(labels["bbox_full"], np.float32)[keep].reshape(-1, 4),
        vis_count=vis_count[keep],
        gender=np.asarray(labels["gender"]).astype(str)[keep],
        body_model=body,
        params=params,
        cam_int=np.asarray(labels["cam_int"], np.float32),
        cam_ext=np.asarray(labels["cam_ext"], np.float32),
        image_size=np.asarray(labels["image_size"]).astype(np.int64),
        proj_verts=np.asarray(labels["proj_verts"], np.float32)[keep],
        dropped=int(P - len(keep)),
    )


def smplx_pose_cam(params: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 165) float32 SMPL-X axis-angle pose in BEDLAM's ``pose_cam`` layout.

    Parts missing from ``params`` (e.g. the eye poses, which genb does not
    animate) are zeros.
    """
    n = len(params["global_orient"])
    parts = []
    for name, dim in SMPLX_POSE_LAYOUT:
        v = params.get(name)
        parts.append(np.zeros((n, dim), np.float32) if v is None else np.asarray(v, np.float32).reshape(n, dim))
    return np.concatenate(parts, axis=1)


def smpl_body_pose(params: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 72) float32 SMPL-layout pose from SMPL-X parameters.

    SMPL and SMPL-X share their first 22 joints (pelvis to wrists) and their
    order, so ``global_orient`` and the 21 body joints are copied; SMPL's two
    hand joints (22, 23) have no SMPL-X counterpart and are zeros.
    """
    n = len(params["global_orient"])
    out = np.zeros((n, 72), np.float32)
    out[:, :3] = np.asarray(params["global_orient"], np.float32).reshape(n, 3)
    out[:, 3:66] = np.asarray(params["body_pose"], np.float32).reshape(n, 63)
    return out
