"""``--format gvhmr``: GVHMR's BEDLAM support files (sequence runs, SMPL-X bodies).

Followed: zju3dv/GVHMR at 44fbc19 (Sep 2024), ``hmr4d/dataset/bedlam/bedlam.py`` (``BedlamDatasetV2``),
``hmr4d/dataset/bedlam/utils.py`` (``mid2featname``) and ``hmr4d/utils/geo/hmr_global.py``
(``get_T_w2c_from_wcparams``, ``get_c_rootparam``). Under ``inputs/BEDLAM/hmr4d_support/`` it reads:

* ``smplpose_v2.pth`` (line 77, ``torch.load``): ``{mid: {...}}``, one entry per person track. The comment at line
  87 and ``_process_data`` (lines 131-141): ``pose`` (F, 66) = world ``global_orient`` (0:3) + SMPL-X
  ``body_pose`` (3:66), ``trans`` (F, 3) world ``transl``, ``beta`` (10,) (``.repeat(length, 1)``),
  ``global_orient_incam`` (F, 3), ``trans_incam`` (F, 3) with the camera-frame ``transl = trans_incam +
  cam_ext[:, :3, 3]`` ("bedlam convention"), ``cam_ext`` (F, 4, 4) and ``cam_int`` (F, 3, 3) (``K_fullimg``),
  ``skeleton`` (J, 3) of which line 149 reads row 0, the rest pelvis (``offset``). Every per-frame entry is a
  tensor with more than one dimension (line 110 slices those to the window). SMPL-X is GVHMR's
  ``make_smplx("supermotion")``: neutral, 10 betas, only the 21 body joints (hands are not read).
* The world is **Y up** (line 143: ``gravity_vec = [0, -1, 0]``, "BEDLAM is ay"); genb's Z-up world is rotated
  by -90 degrees about x (its ``tsf_axisangle['az->ay']``). GVHMR rebuilds ``T_w2c`` from the world and camera
  parameters (line 144, with the rest pelvis as ``offset``); ``cam_ext`` here is that same world-to-camera.
* ``mid_to_valid_range_all60.pt`` (line 58): ``{mid: (start, end)}`` frames ``[start, end)`` to sample
  60-120 frame windows from: here the longest run of frames in which BEDLAM's crop rule keeps the person
  (a track without such a frame has no range, so GVHMR never samples it).
* ``imgfeats/bedlam_all60/<mid2featname(mid)>`` (line 115): ``{"features": (L, 1024), "bbx_xys": (L, 3),
  "img_wh": (2,), "start_end": (s, e)}``. genb writes ``bbx_xys`` (centre x, y and square side in pixels: the
  crop of BEDLAM's rule, side = 200 * scale), ``img_wh`` and ``start_end``; **not** ``features``, the ViT
  features of GVHMR's own extractor on those crops (``hmr4d/utils/preproc/vitfeat_extractor.py``): add them
  before training.

``mid`` is ``genb/<name>/mp4/seq_<sequence>.mp4-p<person>f<first frame>`` so that ``mid2featname`` gives
``<name>/seq_<sequence>.mp4-p<person>f<first frame>.pt``. ``gvhmr/<name>.npz`` holds the same rows as numpy
(tracks contiguous; ``global_orient``/``transl`` the Y-up world root, ``cam_ext_gv`` that world to camera,
``cam_ext`` genb's own Z-up world to camera, ``pelvis_rest`` the rest pelvis). ``skeleton`` holds row 0 only (the one row the loader reads; genb does not keep SMPL-X's
other rest joints). Tracks shorter than the 60 frames GVHMR draws are written too (it then uses the whole range).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from genb.core.io import atomic_write_bytes
from genb.package import npz
from genb.package.records import PersonRecords
from genb.package.video import frame_rows, longest_run, tracked, warn_fps, world_from_camera

NAME = "gvhmr"
SUPPORT = "hmr4d_support"
MIDINDEX = "all60"


def unsupported(body_model: str, has_smpl: bool) -> str | None:
    if body_model != "smplx":
        return (f"GVHMR's BEDLAM loader reads SMPL-X parameters; {body_model} bodies have none "
                "(genb fits SMPL, not SMPL-X)")
    return None


def rows(rec: PersonRecords, imgname: str, sample_index: int) -> tuple[dict[str, np.ndarray], int]:
    """One frame's rows: every packaged person, camera- and world-frame SMPL-X root, the crop."""
    keep = np.arange(len(rec))
    out = frame_rows(rec, imgname, sample_index, keep)
    p = rec.params
    n = len(keep)
    orient_c = np.asarray(p["global_orient"], np.float64).reshape(n, 3)
    transl_c = np.asarray(p["transl"], np.float64).reshape(n, 3)
    pelvis_c = np.asarray(rec.joints_3d, np.float64)[:, 0].reshape(n, 3)
    orient_w, transl_w, ext = world_from_camera(orient_c, transl_c, pelvis_c, rec.cam_ext, "y_up")
    H, W = (int(x) for x in rec.image_size)
    out.update({
        "global_orient_incam": orient_c.astype(np.float32),
        "transl_incam": transl_c.astype(np.float32),
        "body_pose": np.asarray(p["body_pose"], np.float32).reshape(n, 63),
        "betas": np.asarray(p["betas"], np.float32).reshape(n, -1),
        "global_orient": orient_w.astype(np.float32), "transl": transl_w.astype(np.float32),
        "cam_ext_gv": ext.reshape(-1, 4, 4).astype(np.float32),
        "pelvis_rest": (pelvis_c - transl_c).astype(np.float32),
        "bbx_xys": np.concatenate([out["center"], 200.0 * out["scale"][:, None]], axis=1).astype(np.float32),
        "img_wh": np.tile(np.array([W, H], np.int64), (n, 1)),
    })
    return out, 0


def mid(name: str, sequence: int, person: int, first: int) -> str:
    return f"genb/{name}/mp4/seq_{sequence:06d}.mp4-p{person:02d}f{first:06d}"


def _torch_bytes(obj) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def track_files(name: str, rows_: dict[str, np.ndarray], track: np.ndarray) -> tuple[dict, dict, dict]:
    """``smplpose_v2`` entries, valid ranges and feature-file dicts (without features), keyed by ``mid``."""
    import torch

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(np.asarray(a, np.float32)))

    motions, ranges, feats = {}, {}, {}
    for k in np.unique(track):
        idx = np.flatnonzero(track == k)
        key = mid(name, int(rows_["sequence"][idx[0]]), int(rows_["person_index"][idx[0]]), int(rows_["frame"][idx[0]]))
        ext = rows_["cam_ext_gv"][idx].astype(np.float32)
        motions[key] = {
            "pose": t(np.concatenate([rows_["global_orient"][idx], rows_["body_pose"][idx]], axis=1)),
            "trans": t(rows_["transl"][idx]),
            "beta": t(rows_["betas"][idx[0], :10]),
            "skeleton": t(rows_["pelvis_rest"][idx[0]][None]),
            "global_orient_incam": t(rows_["global_orient_incam"][idx]),
            "trans_incam": t(rows_["transl_incam"][idx] - ext[:, :3, 3]),
            "cam_ext": t(ext),
            "cam_int": t(rows_["cam_int"][idx]),
        }
        start, end = longest_run(rows_["client_keep"][idx])
        if end > start:  # a track nobody could crop is written but never sampled
            ranges[key] = (int(start), int(end))
        feats[key] = {"bbx_xys": t(rows_["bbx_xys"][idx]), "img_wh": torch.from_numpy(rows_["img_wh"][idx[0]].copy()),
                      "start_end": (0, int(len(idx)))}
    return motions, ranges, feats


def write(path: str | Path, merged: dict[str, np.ndarray]) -> None:
    """``<name>.npz`` (numpy rows) and ``hmr4d_support/`` (``smplpose_v2.pth``, ``mid_to_valid_range_all60.pt``,
    ``imgfeats/bedlam_all60/<name>/*.pt`` without ``features``) next to it."""
    path = Path(path)
    name = path.stem
    support = path.parent / SUPPORT
    if len(merged.get("imgname", ())) == 0:
        npz.write_npz(path, merged)
        return
    warn_fps(merged, "GVHMR (BEDLAM's 30 fps)")
    rows_, track = tracked(merged, "track")
    npz.write_npz(path, rows_)
    motions, ranges, feats = track_files(name, rows_, track)
    atomic_write_bytes(support / "smplpose_v2.pth", _torch_bytes(motions))
    atomic_write_bytes(support / f"mid_to_valid_range_{MIDINDEX}.pt", _torch_bytes(ranges))
    for key, value in feats.items():
        scene, seqsubj = key.split("/")[-3], key.split("/")[-1]
        atomic_write_bytes(support / "imgfeats" / f"bedlam_{MIDINDEX}" / scene / f"{seqsubj}.pt", _torch_bytes(value))
