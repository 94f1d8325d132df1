"""``--format wham``: WHAM's BEDLAM training labels (sequence runs, SMPL fits: ``--smpl-dir``).

Followed: yohanshin/WHAM at 2b54f77 (Apr 2024), ``lib/data/datasets/bedlam.py`` (``BEDLAMDataset``),
whose base ``lib/data/_dataset.py`` cuts the windows. WHAM publishes no BEDLAM preprocessing
(``docs/DATASET.md``: "Process BEDLAM dataset: Will be updated"), so the keys are what the loader reads:

* ``self.labels = joblib.load(label_pth)`` (bedlam.py line 23), ``label_pth`` =
  ``dataset/parsed_data/bedlam_train_<backbone>.pth`` (``configs/constants.py`` ``BEDLAM_LABEL``): a dict of
  **torch tensors**, one row per person-frame (every key is ``.clone()``-d and sliced ``[start:end+1]``).
* ``vid`` (N,) integer tensor (bedlam.py line 138): rows of one track are contiguous (``_dataset.py``
  ``prepare_video_batch``, lines 24-42: ``np.unique(vid_name, return_index=True)``, then ``np.split`` at the first indices; tracks shorter than
  ``SEQLEN + 1`` are skipped; windows of ``SEQLEN + 1`` frames, stride ``n_frames // 4``).
* ``pose`` (N, 72) SMPL axis-angle in the **camera** frame (``load_params``, lines 132-135: ``reshape(-1, 24, 3)``),
  ``betas`` (N, >=10) (``[:, :10]``), ``c_trans`` (N, 3) camera-frame ``transl`` (``forward_smpl``: ``transl=target['transl']``;
  ``kp3d = joints + offset`` are the SMPL joints of that pose and translation).
* ``root`` (N, 3) axis-angle world orientation and ``w_trans`` (N, 3) world translation (lines 72-75:
  ``vel_root = pose_root[:-1].T @ (w_trans[1:] - w_trans[:-1])``). WHAM's world is Y down: its AMASS
  preprocessing (``lib/data_utils/amass_utils.py`` line 25, ``zup2ydown``) rotates Z up to Y down, so genb's world is
  rotated the same way (:data:`genb.package.video.AXES` ``y_down``).
* ``extrinsics`` (N, 4, 4) world-to-camera (``load_camera``, lines 109-120: ``R = extrinsics[:, :3, :3]``;
  ``cam_angvel = R[:-1] @ R[1:].T`` times **30** ("BEDLAM is 30-fps"): package 30 fps sequences with
  ``--frame-step 1``), ``intrinsics`` (N, 3, 3) (``width, height = K[0, 0, 2] * 2, K[0, 1, 2] * 2``: genb's
  principal point is ((W-1)/2, (H-1)/2), so WHAM reads a size one pixel short).
* ``bbox`` (N, 3) centre x, y and box side in pixels (line 38-39: ``bbox[:, 2] / 200``; read, then replaced by the
  normalizer's box from the keypoints).
* ``features`` (N, 1024): the ViT backbone's image features (line 54: ``labels['features'][...]``).
  **Not written**: they come from WHAM's own backbone on the images (``lib/models/preproc/extractor.py``
  ``FeatureExtractor.run``, which takes ``(cx, cy, bbox[:, 2] / 200)``); add them under ``features`` before training.

Files: ``wham/<name>.npz`` the rows as numpy (tracks contiguous, plus genb's ``track``, ``sequence``,
``frame``, ``fps``, ``imgname``, ...), and ``wham/<name>.pth``, the loader's dict of tensors written with
``pickle`` (protocol 4), which ``joblib.load`` reads (it unpickles plain pickle files). Rows: people whose
SMPL fit is within ``--smpl-max-error-mm`` and whom BEDLAM's crop rule keeps (12 of the 22 body joints in
frame, :mod:`genb.package.crops`); a frame without splits the track. A sequence packaged at another rate than
30 fps (``--frame-step``) is written with a warning.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from genb.core.io import atomic_write_bytes
from genb.package import npz
from genb.package.records import PersonRecords
from genb.package.video import frame_rows, smpl_rows, tracked, warn_fps, world_from_camera

NAME = "wham"
WHAM_KEYS = ("vid", "pose", "betas", "c_trans", "root", "w_trans", "extrinsics", "intrinsics", "bbox")


def unsupported(body_model: str, has_smpl: bool) -> str | None:
    if not has_smpl:
        return "WHAM's loader regenerates SMPL from `pose`/`betas`: it needs the SMPL fits (--smpl-dir)"
    return None


def rows(rec: PersonRecords, imgname: str, sample_index: int) -> tuple[dict[str, np.ndarray], int]:
    """One frame's rows (people with a successful SMPL fit), and how many packaged people are left out."""
    ok = np.asarray(rec.smpl["ok"]).astype(bool) if rec.smpl is not None else np.zeros(len(rec), bool)
    keep = np.flatnonzero(ok & rec.client_keep.astype(bool))  # BEDLAM's crop rule, as its own labels
    out = frame_rows(rec, imgname, sample_index, keep)
    fit = smpl_rows(rec, keep) if len(keep) else {"pose": np.zeros((0, 72), np.float32),
                                                  "betas": np.zeros((0, 10), np.float32),
                                                  "transl": np.zeros((0, 3), np.float32),
                                                  "pelvis": np.zeros((0, 3), np.float32)}
    root, w_trans, ext = world_from_camera(fit["pose"][:, :3], fit["transl"], fit["pelvis"], rec.cam_ext, "y_down")
    out.update({
        "pose": fit["pose"], "betas": fit["betas"], "c_trans": fit["transl"],
        "root": root.astype(np.float32), "w_trans": w_trans.astype(np.float32),
        "extrinsics": ext.reshape(-1, 4, 4).astype(np.float32), "intrinsics": out["cam_int"],
        "bbox": np.concatenate([out["center"], 200.0 * out["scale"][:, None]], axis=1).astype(np.float32),
        "gender": np.array([str(g) for g in rec.gender[keep]], dtype=str),
    })
    return out, len(rec) - len(keep)


def write(path: str | Path, merged: dict[str, np.ndarray]) -> None:
    """``<name>.npz`` (numpy rows, tracks contiguous) and ``<name>.pth`` (WHAM's dict of tensors)."""
    import torch

    path = Path(path)
    if len(merged.get("imgname", ())) == 0:
        npz.write_npz(path, merged)
        atomic_write_bytes(path.with_suffix(".pth"), pickle.dumps({}, protocol=4))
        return
    warn_fps(merged, "WHAM (cam_angvel * 30, lib/data/datasets/bedlam.py line 120)")
    rows_, track = tracked(merged, "vid")
    npz.write_npz(path, rows_)
    labels = {k: torch.from_numpy(np.ascontiguousarray(rows_[k])) for k in WHAM_KEYS}
    atomic_write_bytes(path.with_suffix(".pth"), pickle.dumps(labels, protocol=4))
