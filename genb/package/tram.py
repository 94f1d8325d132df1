"""``--format tram``: TRAM's (VIMO's) ``bedlam_vid`` npz (sequence runs, SMPL fits: ``--smpl-dir``).

Followed: yufu-wang/tram at 4861c11 (Jun 2025), ``lib/datasets/video_dataset.py`` (``VideoDataset``, used by
``lib/get_videoloader.py`` with ``cropped=True``), ``data_config.py`` (``'bedlam_vid':
join(DATASET_NPZ_PATH, 'bedlam_vid.npz')``, images under ``DATASET_FOLDERS['bedlam_vid']``) and
``scripts/crop_datasets.py`` (which writes the crops the trainer reads: ``crops/{index:08d}.jpg`` by row):

* ``self.data = np.load(...)`` (line 42, no ``allow_pickle``: plain arrays only); ``imgname`` (N,) str relative to
  the image folder (``.astype(np.string_)``), ``center`` (N, 2), ``scale`` (N,) box side / 200 (lines 57-58; the
  crop of ``lib/utils/imutils.py crop``, SPIN's);
* ``img_focal`` (N,) and ``img_center`` (N, 2) (lines 68-71: one focal length, the principal point), ``orig_shape``
  (N, 2) = (H, W) (line 78; ``center_processing``: ``WH = orig_shape[::-1]``);
* ``pose`` (N, 72) SMPL axis-angle, camera frame, and ``shape`` (N, 10) (lines 95-96; ``pose_processing`` rotates
  ``pose[:3]`` with the crop), ``has_smpl`` (N,) (line 97-98: here 1 where the SMPL fit is within
  ``--smpl-max-error-mm``, else 0 and the frame still gives keypoints);
* ``S`` (N, 24, 4) camera-frame 3D joints + confidence (line 109 ``pose_3d``; ``lib/core/losses.py``
  ``keypoint_3d_loss`` compares them with the predicted ``[:, 25:]`` joints after subtracting the mean of
  joints 2 and 3, the hips) and ``part`` (N, 24, 3) pixels + confidence (line 123; appended after 25 zero
  OpenPose joints, line 441): SPIN's 24 joints (``lib/core/constants.py`` ``JOINT_NAMES[25:]``), filled from
  genb's exact 44 joints (:data:`genb.package.video.J24_FROM_44`; the six without a genb counterpart have
  confidence 0, as in :mod:`genb.package.joints44`);
* ``gender`` (N,) ``m``/``f``/``n`` (line 131; evaluation only);
* ``seqname`` (N,) one name per track (line 145, ``'bedlam' in self.dataset``), rows of a track contiguous and
  in frame order (``split_into_chunks``: ``np.unique(..., return_index=True)`` and ``np.split``);
* ``invalid`` (N,) int (line 487, ``'bedlam_vid' in self.dataset``): 1 where BEDLAM's crop rule drops the person
  (fewer than 12 body joints in frame); windows with an invalid frame are skipped.

``cam_R``, ``cam_t`` and ``trans`` (lines 84-87) are read when present but never used in training, and TRAM
learns no world trajectory from data (its world motion comes from SLAM): they are not written.
Register the file under a dataset name containing ``bedlam_vid`` (e.g. as ``bedlam_vid``), set its image
folder to the package folder and run TRAM's ``scripts/crop_datasets.py`` for the crops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genb.package import npz
from genb.package.records import PersonRecords
from genb.package.video import J24_FROM_44, frame_rows, gender_letter, reorder, smpl_rows, track_names, tracks

NAME = "tram"


def unsupported(body_model: str, has_smpl: bool) -> str | None:
    if not has_smpl:
        return "TRAM's loader reads SMPL `pose`/`shape`: it needs the SMPL fits (--smpl-dir)"
    return None


def rows(rec: PersonRecords, imgname: str, sample_index: int) -> tuple[dict[str, np.ndarray], int]:
    """One frame's rows (every packaged person; ``has_smpl`` 0 where the fit failed)."""
    keep = np.arange(len(rec))
    out = frame_rows(rec, imgname, sample_index, keep)
    fit = smpl_rows(rec, keep) if len(keep) and rec.smpl is not None else None
    n = len(keep)
    K = rec.cam_int.astype(np.float64)
    out.update({
        "img_focal": np.full(n, 0.5 * (K[0, 0] + K[1, 1]), np.float32),
        "img_center": np.repeat(K[None, :2, 2], n, axis=0).astype(np.float32),
        "orig_shape": np.repeat(rec.image_size[None], n, axis=0).astype(np.int64),
        "pose": fit["pose"] if fit else np.zeros((n, 72), np.float32),
        "shape": fit["betas"] if fit else np.zeros((n, 10), np.float32),
        "has_smpl": (np.asarray(rec.smpl["ok"]).astype(np.int64) if fit else np.zeros(n, np.int64)),
        "S": rec.keypoints_3d[:, J24_FROM_44].astype(np.float32),
        "part": rec.keypoints_2d[:, J24_FROM_44].astype(np.float32),
        "gender": gender_letter(rec.gender),
        "invalid": (~rec.client_keep.astype(bool)).astype(np.int64),
    })
    return out, 0


def write(path: str | Path, merged: dict[str, np.ndarray]) -> None:
    """The npz TRAM loads: rows ordered by track (``seqname``), frames ascending."""
    if len(merged.get("imgname", ())) == 0:
        npz.write_npz(path, merged)
        return
    order, track = tracks(merged)
    rows_ = reorder(merged, order)
    rows_["seqname"] = track_names(rows_, track)
    rows_["track"] = track
    npz.write_npz(path, rows_)
