"""4D-Humans / TokenHMR WebDataset shards: ``<key>.jpg`` + ``<key>.data.pyd`` (+ masks).

Each sample (one image) holds:

* ``<key>.jpg`` (or ``.png``): the image; 4D-Humans reads it with
  ``wds.WebDataset(urls).decode('rgb8').rename(jpg='jpg;jpeg;png')``;
* ``<key>.data.pyd``: a pickled list with one dict per person:
  ``keypoints_2d (44, 3)`` pixels of the full image + confidence,
  ``keypoints_3d (44, 4)`` camera frame, metres + confidence, ``center (2,)``,
  ``scale (2,)`` (box side / 200, twice; BEDLAM's crop definition, as TokenHMR's
  BEDLAM shards), ``body_pose (72,)`` and ``betas (10,)`` **SMPL** parameters,
  ``has_body_pose ()``, ``has_betas ()`` and ``extra_info`` (a dict: full-image
  camera, box, native body parameters, SMPL fit error, ...);
* ``<key>.detection.npz`` (optional): ``masks (P, H, W)`` bool, one per person of
  the sample; ``extra_info['detection_npz_idx']`` indexes it, as 4D-Humans' loader expects.

SMPL parameters come only from an SMPL fit (:mod:`genb.package.smpl_fit`, with the
user's SMPL files): then ``has_body_pose = has_betas = 1``, so 4D-Humans' standard
filters keep them (``hmr2/datasets/image_dataset.py``, ``load_tars_as_webdataset``:
``poses_betas_simultaneous`` sets both flags to ``has_body_pose and has_betas``, and
``SUPPRESS_BETAS_THRESH = 3`` clears ``has_betas`` when any ``|beta| > 3``). Without a
fit both are 0 and ``body_pose``/``betas`` are zeros: keypoint-only supervision (SMPL-X
or anny values are never put into SMPL slots; they stay in ``extra_info``).

Shards are written by :class:`ShardSink`: one writer per process, shards named
with the rank, rolled by count and size (``webdataset.ShardWriter``), members in
sample order with fixed tar metadata, so the same inputs give the same bytes.
"""

from __future__ import annotations

import os
import pickle
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from genb.core.io import npz_bytes
from genb.package.records import PersonRecords, smpl_family_keypoints
from genb.core.io import TMP_PREFIX

PICKLE_PROTOCOL = 4
NUM_BETAS = 10


def shard_key(index: int, noise: float) -> str:
    """The WebDataset key of a sample: no dots (webdataset splits names at the first dot)."""
    return f"genb_n{round(noise * 100):03d}_{index:06d}"


def person_dicts(rec: PersonRecords, sample_index: int, noise: float, with_masks: bool) -> list[dict[str, Any]]:
    """The per-person dicts of ``<key>.data.pyd`` (see the module docstring)."""
    n = len(rec)
    body_pose = np.zeros((n, 72), np.float32)
    betas = np.zeros((n, NUM_BETAS), np.float32)
    has = np.zeros(n, np.float32)
    if rec.smpl is not None:
        ok = rec.smpl["ok"].astype(bool)
        body_pose[ok] = np.concatenate([rec.smpl["global_orient"], rec.smpl["body_pose"]], axis=1)[ok]
        betas[ok] = rec.smpl["betas"][ok, :NUM_BETAS]
        has[ok] = 1.0
    H, W = (int(x) for x in rec.image_size)
    keypoints_2d, keypoints_3d = smpl_family_keypoints(rec, "smpl")  # slots 1, 8: SMPL's neck and pelvis
    out = []
    for i in range(n):
        extra: dict[str, Any] = {
            "dataset": "genb",
            "sample_index": int(sample_index),
            "person_index": int(rec.person_index[i]),
            "noise": float(noise),
            "cam_int": rec.cam_int.copy(),
            "cam_ext": rec.cam_ext.copy(),
            "image_size": np.array([H, W], np.int64),
            "bbox": rec.bbox[i].copy(),
            "bbox_full": rec.bbox_full[i].copy(),
            "gender": str(rec.gender[i]),
            "body_model": rec.body_model,
            # native parameters (SMPL-X betas are not SMPL betas): here, never in body_pose/betas
            **{f"{rec.body_model}_{k}": np.asarray(v[i], np.float32).copy() for k, v in rec.params.items()},
        }
        if rec.smpl is not None:
            extra["smpl_v2s_mean_mm"] = float(rec.smpl["v2s_mean_mm"][i])
            extra["smpl_v2s_max_mm"] = float(rec.smpl["v2s_max_mm"][i])
            extra["smpl_transl"] = np.asarray(rec.smpl["transl"][i], np.float32).copy()
        if with_masks:
            extra["detection_npz_idx"] = int(rec.person_index[i])
        out.append({
            "keypoints_2d": keypoints_2d[i].copy(),
            "keypoints_3d": keypoints_3d[i].copy(),
            "center": rec.center[i].copy(),
            "scale": np.array([rec.scale[i], rec.scale[i]], np.float32),
            "body_pose": body_pose[i].copy(),
            "betas": betas[i].copy(),
            "has_body_pose": np.array(has[i], np.float32),
            "has_betas": np.array(has[i], np.float32),
            "extra_info": extra,
        })
    return out


def shard_sample(key: str, image_bytes: bytes, image_ext: str, people: list[dict[str, Any]],
                 masks: np.ndarray | None = None) -> dict[str, Any]:
    """A WebDataset sample dict of bytes, ready for ``TarWriter.write``."""
    sample: dict[str, Any] = {
        "__key__": key,
        image_ext: image_bytes,
        "data.pyd": pickle.dumps(people, protocol=PICKLE_PROTOCOL),
    }
    if masks is not None:
        sample["detection.npz"] = npz_bytes({"masks": masks.astype(bool)}, compress=True)
    return sample


def instance_masks(instances: np.ndarray, num_people: int) -> np.ndarray:
    """(P, H, W) bool visible mask of each person from an instance map (p + 1 for person p)."""
    return instances[None] == (np.arange(num_people, dtype=instances.dtype)[:, None, None] + 1)


class ShardSink:
    """One process's shard writer: ``<prefix>-r<rank>-<n>.tar`` rolled by count and size.

    Shards are written into a temporary folder and moved into ``out_dir`` by
    :meth:`close`, so a killed process leaves no partial shard under the final names.

    Args:
        out_dir: the folder receiving the shards.
        rank: this process's rank (goes into the shard names).
        maxcount: samples per shard at most.
        maxsize: bytes per shard at most (a shard is closed once it passes this).
        prefix: shard name prefix.
    """

    def __init__(self, out_dir: str | Path, rank: int, maxcount: int, maxsize: float, prefix: str = "genb"):
        import webdataset as wds

        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.out_dir.glob(f"{TMP_PREFIX}r{rank:02d}-*"):  # left by a killed run of this rank
            shutil.rmtree(stale, ignore_errors=True)
        self.tmp = self.out_dir / f"{TMP_PREFIX}r{rank:02d}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.tmp.mkdir()
        self.pattern = f"{prefix}-r{rank:02d}-%06d.tar"
        self.counts: dict[str, int] = {}
        self._writer = wds.ShardWriter(
            str(self.tmp / self.pattern), maxcount=maxcount, maxsize=maxsize, verbose=0,
            encoder=False, mtime=0, user="genb", group="genb", mode=0o444,
        )

    def write(self, sample: dict[str, Any]) -> None:
        self._writer.write(sample)
        name = Path(self._writer.fname).name
        self.counts[name] = self.counts.get(name, 0) + 1

    def close(self) -> dict[str, int]:
        """Finish the last shard, move the shards into place; ``{shard name: samples}``."""
        self._writer.close()
        for name in self.counts:
            os.replace(self.tmp / name, self.out_dir / name)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return dict(self.counts)

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
