"""``--format camerahmr``: CameraHMR's convention, SMPL body and SMPL-X hands variants.

**Body** (``camerahmr/<name>.npz``), as pixelite1201/CameraHMR
``core/datasets/dataset_train.py`` (``DatasetTrain.__init__``) reads it:
``body_pose = pose_cam[:, :NUM_PARAMS_SMPL*3]`` (24 SMPL joints = 72 values),
``betas = shape[:, :NUM_BETAS]`` (10 **SMPL** betas), ``keypoints = gtkps[:, :NUM_JOINTS]``
(44-joint order, :mod:`genb.package.joints44`), ``cam_int``, ``cam_ext`` and
``translation = cam_ext[:, 3]; translation[:3] += trans_cam`` (``__getitem__``); its
trainer regenerates 3D ground truth with SMPL from these. So ``pose_cam``/``shape``
must be SMPL parameters: genb writes the SMPL fit of each body
(:mod:`genb.package.smpl_fit`) and refuses the format without SMPL model files
(never SMPL-X or anny values in SMPL slots). ``smpl_v2s_mean_mm``/``smpl_v2s_max_mm``
record each fit's vertex-to-surface error; fits past ``--smpl-max-error-mm`` are dropped.

**Hands** (``camerahmr/<name>-hands.npz``, SMPL-X bodies), as
``core/datasets/dataset_train_hands.py`` reads it: ``lh_c``/``rh_c`` (N, 2) and
``lh_s``/``rh_s`` (N,) hand crop centres and scales (box of the projected wrist and
finger joints x 1.2 / 200), SMPL-X ``pose_cam`` (N, 165) sliced ``[:3]``, ``[3:66]``,
``[75:120]``, ``[120:165]``, ``shape`` SMPL-X betas zero-padded to ``NUM_BETAS_SMPLX = 16``,
``gtkps`` (N, 44, 3) read whole (its ``FLIP_KEYPOINT_PERMUTATION`` has 44 entries,
``NUM_JOINTS_SMPLX = 44`` in its ``core/constants.py``), ``trans_cam``, ``cam_int``, ``cam_ext``.

Crops: CameraHMR trains on npz files made by BEDLAM's ``df_full_body.py``, so
``center``/``scale`` follow BEDLAM's definition (:mod:`genb.package.crops`) and people
it drops are dropped (counted in the card).
"""

from __future__ import annotations

import numpy as np

from genb.package.bedlam import gender_codes, pad_betas
from genb.package.crops import hand_boxes
from genb.package.records import PersonRecords, smpl_family_keypoints, smplx_pose_cam

NAME = "camerahmr"
HANDS = "camerahmr-hands"
NUM_BETAS = 10  # core/constants.py NUM_BETAS
NUM_BETAS_SMPLX = 16  # core/constants.py NUM_BETAS_SMPLX
# SMPL-X joint indices (smplx.joint_names.JOINT_NAMES): wrists, then 15 finger joints per hand.
LEFT_HAND = np.r_[20, 25:40]
RIGHT_HAND = np.r_[21, 40:55]


def unsupported(body_model: str, has_smpl: bool) -> str | None:
    if not has_smpl:
        return ("CameraHMR reads `pose_cam[:, :72]` and `shape[:, :10]` as SMPL parameters and genb has no SMPL "
                "fit for this run (no SMPL model files)")
    return None


def unsupported_hands(body_model: str, has_smpl: bool) -> str | None:
    if body_model != "smplx":
        return f"CameraHMR's hand loader needs SMPL-X `pose_cam`, `shape` and hand joints; {body_model} bodies have none"
    return None


def _common(rec: PersonRecords, keep: np.ndarray, imgname: str, sample_index: int) -> dict[str, np.ndarray]:
    n = len(keep)
    return {
        "imgname": np.array([imgname] * n, dtype=str),
        "center": rec.center[keep],
        "scale": rec.scale[keep],
        "gtkps": rec.keypoints_2d[keep],
        "cam_int": np.repeat(rec.cam_int[None], n, axis=0),
        "cam_ext": np.repeat(rec.cam_ext[None], n, axis=0),
        "gender": gender_codes(rec.gender[keep]),
        "image_size": np.repeat(rec.image_size[None], n, axis=0),
        "sample_index": np.full(n, sample_index, np.int64),
        "person_index": rec.person_index[keep],
    }


def rows(rec: PersonRecords, imgname: str, sample_index: int) -> tuple[dict[str, np.ndarray], int]:
    """SMPL body rows (people BEDLAM's crop rule drops, and failed fits, are left out)."""
    smpl = rec.smpl if rec.smpl is not None else _no_fit(len(rec))  # a sample with nobody to fit
    keep = np.flatnonzero(rec.client_keep & smpl["ok"].astype(bool))
    out = _common(rec, keep, imgname, sample_index)
    out["gtkps"] = smpl_family_keypoints(rec, "smpl")[0][keep]  # slots 1, 8: the fit's neck and pelvis
    out.update({
        "pose_cam": np.concatenate([smpl["global_orient"][keep], smpl["body_pose"][keep]], axis=1).astype(np.float32),
        "shape": np.asarray(smpl["betas"][keep, :NUM_BETAS], np.float32),
        "trans_cam": (smpl["transl"][keep] - rec.cam_ext[None, :3, 3]).astype(np.float32),
        "smpl_v2s_mean_mm": smpl["v2s_mean_mm"][keep].astype(np.float32),
        "smpl_v2s_max_mm": smpl["v2s_max_mm"][keep].astype(np.float32),
    })
    return out, len(rec) - len(keep)


def _no_fit(n: int) -> dict[str, np.ndarray]:
    z = lambda *s: np.zeros((n, *s), np.float32)  # noqa: E731
    return {"global_orient": z(3), "body_pose": z(69), "betas": z(10), "transl": z(3), "v2s_mean_mm": z(),
            "v2s_max_mm": z(), "ok": z(), "joints": z(24, 3)}


def hands_rows(rec: PersonRecords, imgname: str, sample_index: int) -> tuple[dict[str, np.ndarray], int]:
    """SMPL-X hands rows."""
    keep = np.flatnonzero(rec.client_keep)
    p = {k: np.asarray(v)[keep] for k, v in rec.params.items()}
    out = _common(rec, keep, imgname, sample_index)
    out["gtkps"] = smpl_family_keypoints(rec, "smplx")[0][keep]  # slots 1, 8: SMPL-X's neck and pelvis
    lh_c, lh_s = hand_boxes(rec.joints_2d[keep][:, LEFT_HAND])
    rh_c, rh_s = hand_boxes(rec.joints_2d[keep][:, RIGHT_HAND])
    out.update({
        "pose_cam": smplx_pose_cam(p) if len(keep) else np.zeros((0, 165), np.float32),
        "shape": pad_betas(p["betas"], NUM_BETAS_SMPLX) if len(keep) else np.zeros((0, NUM_BETAS_SMPLX), np.float32),
        "trans_cam": (np.asarray(p["transl"], np.float32) - rec.cam_ext[None, :3, 3]).astype(np.float32),
        "lh_c": lh_c, "lh_s": lh_s, "rh_c": rh_c, "rh_s": rh_s,
    })
    return out, len(rec) - len(keep)
