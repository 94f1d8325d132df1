"""The BEDLAM / CameraHMR annotation file: one ``.npz`` with one row per person.

Keys (N = number of people; BEDLAM's ``data_processing/df_full_body.py`` writes
the same names, CameraHMR's ``core/datasets/dataset_train.py`` reads them):

===============  ==============  ===================================================
key              shape           meaning
===============  ==============  ===================================================
imgname          (N,) str        image path relative to the folder holding the npz
center           (N, 2)          crop centre, pixels
scale            (N,)            crop side / 200 (square around the amodal box x 1.2)
cam_int          (N, 3, 3)       intrinsics of the full image (never of a crop)
cam_ext          (N, 4, 4)       world to camera
gtkps            (N, 44, 3)      2D keypoints in the 44-joint order, pixels + confidence
proj_verts       (N, V, 2)       genb's fixed vertex subset projected, pixels
gender           (N,) str        female | male | neutral
pose_cam         (N, 165)        SMPL-X only: axis-angle, camera frame, BEDLAM layout
shape            (N, B)          SMPL-X only: betas
trans_cam        (N, 3)          SMPL-X only: translation such that
                                 ``smplx(pose_cam, shape, trans_cam) + cam_ext[:3, 3]``
                                 are the camera-frame vertices (BEDLAM's convention,
                                 CameraHMR adds ``cam_ext[:, 3]`` the same way)
===============  ==============  ===================================================

genb adds ``keypoints_3d (N, 44, 4)`` (camera frame, metres + confidence),
``bbox``/``bbox_full (N, 4)``, ``image_size (N, 2)`` (H, W), ``sample_index``,
``person_index``, ``body_model`` and the body model's native parameters under
their own prefix (``smplx_expression``, ``anny_phenotypes``,
``anny_bone_rotations``, ``anny_root``). For anny bodies ``pose_cam``, ``shape``
and ``trans_cam`` are absent: anny is not SMPL-X and genb does not fake a fit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genb.package.records import PersonRecords, smplx_pose_cam
from genb.store import atomic_write_bytes, npz_bytes



def bedlam_rows(rec: PersonRecords, imgname: str, sample_index: int) -> dict[str, np.ndarray]:
    """The npz rows of one sample's packaged people (leading dim N)."""
    n = len(rec)
    rows: dict[str, np.ndarray] = {
        "imgname": np.array([imgname] * n, dtype=str),
        "center": rec.center,
        "scale": rec.scale,
        "cam_int": np.repeat(rec.cam_int[None], n, axis=0),
        "cam_ext": np.repeat(rec.cam_ext[None], n, axis=0),
        "gtkps": rec.keypoints_2d,
        "keypoints_3d": rec.keypoints_3d,
        "proj_verts": rec.proj_verts,
        "gender": rec.gender.astype(str),
        "bbox": rec.bbox,
        "bbox_full": rec.bbox_full,
        "image_size": np.repeat(rec.image_size[None], n, axis=0),
        "sample_index": np.full(n, sample_index, np.int64),
        "person_index": rec.person_index,
        "body_model": np.array([rec.body_model] * n, dtype=str),
    }
    if rec.body_model == "smplx":
        rows["pose_cam"] = smplx_pose_cam(rec.params)
        rows["shape"] = np.asarray(rec.params["betas"], np.float32)
        rows["trans_cam"] = (np.asarray(rec.params["transl"], np.float32) - rec.cam_ext[None, :3, 3]).astype(np.float32)
        if "expression" in rec.params:
            rows["smplx_expression"] = np.asarray(rec.params["expression"], np.float32)
    else:
        for k, v in rec.params.items():
            rows[f"{rec.body_model}_{k}"] = np.asarray(v, np.float32)
    return rows


def concat_rows(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate row dicts and sort rows by (sample_index, person_index)."""
    chunks = [c for c in chunks if len(c.get("imgname", ())) > 0]
    if not chunks:
        return {}
    keys = list(chunks[0])
    out = {k: np.concatenate([c[k] for c in chunks], axis=0) for k in keys}
    order = np.lexsort((out["person_index"], out["sample_index"]))
    return {k: v[order] for k, v in out.items()}


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an npz atomically and deterministically."""
    atomic_write_bytes(path, npz_bytes(arrays))


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
