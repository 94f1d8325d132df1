"""``--format genb``: genb's own npz, read by :class:`genb.data.PackagedDataset` (any body model).

One row per person, genb's names (no key borrows a client's name with another meaning):
``imgname`` (relative to the package folder), ``center``/``scale`` (BEDLAM's crop
definition, :mod:`genb.package.crops`; the amodal box only where no joint is in frame),
``keypoints_2d (N, 44, 3)`` (44-joint order, pixels + confidence), ``keypoints_3d
(N, 44, 4)`` (camera frame, metres + confidence), ``joints_2d``/``joints_3d`` (native
skeleton), ``bbox`` (visible mask), ``bbox_full`` (amodal), ``cam_int``, ``cam_ext``,
``image_size`` (H, W), ``proj_verts`` (genb's vertex subset), ``gender``,
``body_model``, ``sample_index``, ``person_index`` and the body model's native
parameters under its prefix (``smplx_*``, ``anny_*``), plus ``smpl_*`` where SMPL was fitted.
A sequence run's frames (:mod:`genb.package.frames`) add ``sequence``, ``frame`` (int64) and ``fps``.
"""

from __future__ import annotations

import numpy as np

from genb.package.records import PersonRecords

NAME = "genb"


def unsupported(body_model: str, has_smpl: bool) -> str | None:
    return None


def rows(rec: PersonRecords, imgname: str, sample_index: int) -> tuple[dict[str, np.ndarray], int]:
    n = len(rec)
    out: dict[str, np.ndarray] = {
        "imgname": np.array([imgname] * n, dtype=str),
        "center": rec.center,
        "scale": rec.scale,
        "cam_int": np.repeat(rec.cam_int[None], n, axis=0),
        "cam_ext": np.repeat(rec.cam_ext[None], n, axis=0),
        "keypoints_2d": rec.keypoints_2d,
        "keypoints_3d": rec.keypoints_3d,
        "joints_2d": rec.joints_2d,
        "joints_3d": rec.joints_3d,
        "proj_verts": rec.proj_verts,
        "gender": rec.gender.astype(str),
        "bbox": rec.bbox,
        "bbox_full": rec.bbox_full,
        "image_size": np.repeat(rec.image_size[None], n, axis=0),
        "sample_index": np.full(n, sample_index, np.int64),
        "person_index": rec.person_index,
        "body_model": np.array([rec.body_model] * n, dtype=str),
    }
    for k, v in rec.params.items():
        out[f"{rec.body_model}_{k}"] = np.asarray(v, np.float32)
    for k, v in (rec.smpl or {}).items():
        out[f"smpl_{k}"] = np.asarray(v, np.float32)
    if rec.frame is not None:
        seq, frame, fps = rec.frame
        out.update({"sequence": np.full(n, seq, np.int64), "frame": np.full(n, frame, np.int64),
                    "fps": np.full(n, fps, np.float64)})
    return out, 0
