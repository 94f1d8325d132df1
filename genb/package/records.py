"""Per-person training records of one sample: pure functions over ``labels.npz`` arrays.

Both output formats (BEDLAM npz, 4D-Humans shards) are built from the
:class:`PersonRecords` of a sample, so they always agree with each other.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.render.labels.camera import in_frame
from genb.package.crops import bbox_valid, bedlam_keep
from genb.package.joints44 import body_model_slots, to_joints44

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
        center: (N, 2) float32 crop centre, pixels, by BEDLAM's definition (:mod:`genb.package.crops`:
            in-frame SMPL-X body joints for SMPL-X bodies, in-frame BODY25 keypoints otherwise;
            the amodal box where no joint is in frame).
        scale: (N,) float32 crop side / 200 (same definition).
        crop_joints: (N,) int64 joints in frame that the crop boxes.
        client_keep: (N,) bool, the people BEDLAM's own processing keeps (>= 12 joints in frame).
        bbox: (N, 4) float32 visible-mask box; bbox_full: (N, 4) amodal box.
        joints_2d: (N, J, 2) float32 projected native joints (SMPL-X order for SMPL-X bodies).
        joints_3d: (N, J, 3) float32 camera-frame native joints, metres.
        joints_conf: (N, J) float32 their 2D confidence (same rule as the keypoints).
        smpl: SMPL parameters fitted to the bodies (:mod:`genb.package.smpl_fit`), camera frame,
            or None when no SMPL model was given (then no format carries SMPL values).
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
    crop_joints: np.ndarray
    client_keep: np.ndarray
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
    joints_2d: np.ndarray
    joints_3d: np.ndarray
    joints_conf: np.ndarray
    smpl: dict[str, np.ndarray] | None = None

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
    H, W = (int(x) for x in labels["image_size"])
    joints2d = np.asarray(labels["joints2d"], np.float32)[keep]
    joints3d = np.asarray(labels["joints3d"], np.float32)[keep]
    joints_in = in_frame(joints2d, W, H) & (joints3d[..., 2] > 0)
    joints_conf = {"visible": labels["joints_vis"].astype(bool)[keep], "all": np.ones_like(joints_in)}.get(confidence, joints_in)
    # The crop by BEDLAM's definition: SMPL-X's 22 body joints (df_full_body.py: joints2d[:22]), else BODY25.
    crop_points = joints2d[:, :22] if body == "smplx" else np.asarray(labels["keypoints2d"], np.float32)[keep]
    center, scale, count = bbox_valid(crop_points, W, H)
    amodal_c = np.asarray(labels["center"], np.float32)[keep].reshape(-1, 2)
    amodal_s = np.asarray(labels["scale"], np.float32)[keep].reshape(-1)
    none_in = count == 0
    center[none_in], scale[none_in] = amodal_c[none_in], amodal_s[none_in]
    return PersonRecords(
        person_index=keep.astype(np.int64),
        keypoints_2d=to_joints44(labels["keypoints2d"][keep], conf2d),
        keypoints_3d=to_joints44(kp3d, np.ones(kp3d.shape[:2], np.float32)),
        center=center,
        scale=scale,
        crop_joints=count,
        client_keep=bedlam_keep(center, scale, count) & ~none_in,
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
        joints_2d=joints2d,
        joints_3d=joints3d,
        joints_conf=joints_conf.astype(np.float32),
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


def smpl_family_keypoints(rec: PersonRecords, model: str = "smpl") -> tuple[np.ndarray, np.ndarray]:
    """``keypoints_2d`` (N, 44, 3) and ``keypoints_3d`` (N, 44, 4) for a trainer whose body model is
    ``model`` (``"smpl"`` or ``"smplx"``): slots 1 and 8 hold that model's neck and pelvis
    (:func:`genb.package.joints44.body_model_slots`).

    The joints come from the SMPL fit where it succeeded (``model="smpl"``), else from the
    rendered SMPL-X body (whose first 22 joints are SMPL's); people with neither get
    confidence 0 in those two slots.
    """
    n = len(rec)
    joints = np.zeros((n, 24, 3), np.float32)
    has = np.zeros(n, bool)
    if rec.body_model == "smplx" and len(rec.joints_3d):
        joints[:, :22] = np.asarray(rec.joints_3d, np.float32)[:, :22]
        has[:] = True
    if model == "smpl" and rec.smpl is not None and "joints" in rec.smpl:
        ok = np.asarray(rec.smpl["ok"]).astype(bool)
        joints[ok] = np.asarray(rec.smpl["joints"], np.float32)[ok]
        has |= ok
    return body_model_slots(rec.keypoints_2d, rec.keypoints_3d, joints, has, rec.cam_int)
