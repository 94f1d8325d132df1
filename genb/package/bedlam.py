"""``--format bedlam``: BEDLAM's own trainer convention (SMPL-X bodies only).

Every key means what BEDLAM's loader reads it as (pixelite1201/BEDLAM
``train/dataset/dataset.py``, ``DatasetHMR.__init__`` / ``__getitem__``) and what its
``data_processing/df_full_body.py`` (``get_params`` and the ``np.savez`` at its end) writes:

===============  ==============  ==========================================================
key              shape           meaning (and where BEDLAM reads it)
===============  ==============  ==========================================================
imgname          (N,) str        image path relative to the package folder (``DATASET_FOLDERS``)
center, scale    (N, 2), (N,)    ``get_bbox_valid`` of the in-frame SMPL-X body joints x 1.2 / 200
                                 (:mod:`genb.package.crops`); people with < 12 in frame are dropped
pose_cam         (N, 165)        SMPL-X axis-angle, camera frame; the loader takes
                                 ``pose_cam[:, :NUM_JOINTS_SMPLX*3]`` (22 joints) for training
shape            (N, 11)         SMPL-X betas padded to the 11 of BEDLAM's neutral model
                                 (the loader pads 10 -> 11 itself: ``np.hstack(... zeros ...)``)
trans_cam        (N, 3)          ``translation = cam_ext[:, 3]; translation[:3] += trans_cam``:
                                 ``smplx(pose_cam, shape) + that`` are camera-frame vertices
gtkps            (N, 55, 3)      projected SMPL-X joints in SMPL-X order (df_full_body.py:
                                 ``project(joints3d, ...)``), pixels + confidence; the loader
                                 reads ``gtkps[:, :24]`` and pairs them with predicted SMPL-X joints
cam_int          (N, 3, 3)       full-image intrinsics (``focal_length = cam_int[0, 0], [1, 1]``)
cam_ext          (N, 4, 4)       world to camera
gender           (N,) str        ``'m'`` / ``'f'`` (``0 if str(g) == 'm' else 1``); ``'n'`` neutral
===============  ==============  ==========================================================

``proj_verts`` is **not** written: BEDLAM's is (N, 437, 3) from its own downsampling
matrix; genb's fixed vertex subset goes under ``genb_proj_verts`` (N, V, 2), a key BEDLAM
never reads (it falls back to zeros). genb also adds ``sample_index``, ``person_index``,
``image_size`` and ``smplx_expression``. The SMPL-X parameters are for the SMPL-X model
file the run was rendered with (``flat_hand_mean=True``, as BEDLAM's models).
"""

from __future__ import annotations

import numpy as np

from genb.package.records import PersonRecords, smplx_pose_cam

NAME = "bedlam"
NUM_BETAS = 11  # BEDLAM's neutral SMPL-X: num_betas=11 (df_full_body.py, smplx_model_neutral)
GENDER_CODES = {"male": "m", "female": "f", "neutral": "n"}


def unsupported(body_model: str, has_smpl: bool) -> str | None:
    """Why this run cannot be written in this format (None: it can)."""
    if body_model != "smplx":
        return (f"BEDLAM's loader needs SMPL-X `pose_cam`/`shape` and SMPL-X joints in `gtkps`; "
                f"{body_model} bodies have neither (genb does not fake a SMPL-X fit)")
    return None


def gender_codes(gender: np.ndarray) -> np.ndarray:
    """genb's ``female``/``male``/``neutral`` as BEDLAM's ``f``/``m``/``n``."""
    return np.array([GENDER_CODES.get(str(g), "n") for g in gender], dtype=str)


def pad_betas(betas: np.ndarray, n: int) -> np.ndarray:
    """(N, n) float32 betas, zero-padded (never truncated: extra non-zero betas would change the body)."""
    betas = np.asarray(betas, np.float32)
    if betas.shape[1] > n and np.abs(betas[:, n:]).max() > 0:
        raise ValueError(f"{betas.shape[1]} betas do not fit in {n}")
    out = np.zeros((len(betas), n), np.float32)
    k = min(n, betas.shape[1])
    out[:, :k] = betas[:, :k]
    return out


def rows(rec: PersonRecords, imgname: str, sample_index: int) -> tuple[dict[str, np.ndarray], int]:
    """The npz rows of one sample, and how many packaged people BEDLAM's rule drops."""
    keep = np.flatnonzero(rec.client_keep)
    n = len(keep)
    p = {k: np.asarray(v)[keep] for k, v in rec.params.items()}
    out = {
        "imgname": np.array([imgname] * n, dtype=str),
        "center": rec.center[keep],
        "scale": rec.scale[keep],
        "pose_cam": smplx_pose_cam(p) if n else np.zeros((0, 165), np.float32),
        "shape": pad_betas(p["betas"], NUM_BETAS) if n else np.zeros((0, NUM_BETAS), np.float32),
        "trans_cam": (np.asarray(p["transl"], np.float32) - rec.cam_ext[None, :3, 3]).astype(np.float32),
        "gtkps": np.concatenate([rec.joints_2d[keep], rec.joints_conf[keep, :, None]], axis=2).astype(np.float32),
        "cam_int": np.repeat(rec.cam_int[None], n, axis=0),
        "cam_ext": np.repeat(rec.cam_ext[None], n, axis=0),
        "gender": gender_codes(rec.gender[keep]),
        "genb_proj_verts": rec.proj_verts[keep],
        "image_size": np.repeat(rec.image_size[None], n, axis=0),
        "sample_index": np.full(n, sample_index, np.int64),
        "person_index": rec.person_index[keep],
    }
    if "expression" in p:
        out["smplx_expression"] = np.asarray(p["expression"], np.float32)
    return out, len(rec) - n
