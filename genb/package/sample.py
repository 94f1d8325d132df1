"""One sample packaged: :class:`PackageStage` turns a sample of a run into its records, npz rows and
WebDataset sample (built once per process), with the optional SMPL fit of its bodies."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.core.io import png_size
from genb.core.run import RunFolder
from genb.errors import GenbError
from genb.package import wds
from genb.package.config import PackageConfig, imgname
from genb.package.formats import PACKAGE_FORMATS
from genb.package.inputs import image_path
from genb.package.records import PersonRecords, person_records


@dataclasses.dataclass
class PackagedSample:
    """What :class:`PackageStage` made of one sample.

    Attributes:
        index: the sample index.
        labels: its ``labels.npz`` arrays.
        records: the packaged people.
        source_bytes: the source PNG's bytes (copied into ``OUT/images``).
        rows: ``{npz format: rows}`` of the npz formats written.
        dropped: ``{npz format: packaged people that format's client would drop}``.
        shard_sample: the WebDataset sample (None unless shards are written, or nobody is left).
    """

    index: int
    labels: dict[str, np.ndarray]
    records: PersonRecords
    source_bytes: bytes
    rows: dict[str, dict[str, np.ndarray]]
    dropped: dict[str, int]
    shard_sample: dict[str, Any] | None
    images: dict[str, bytes] | None = None
    """--crops: ``{imgname: bytes}`` written instead of the sample's own image."""
    shard_samples: list[dict[str, Any]] | None = None
    """--crops: one WebDataset sample per person crop (instead of ``shard_sample``)."""


class PackageStage:
    """Turns samples of one run into packaged records; build once per process.

    Args:
        run: the run folder.
        cfg: the resolved package config.
        source: ``"render"`` or ``"enhanced"`` (see :func:`select_samples`).
    """

    def __init__(self, run: RunFolder, cfg: PackageConfig, source: str, formats: list[str] | None = None):
        import cv2

        self.run, self.cfg, self.source = run, cfg, source
        self.formats = list(formats) if formats is not None else []
        self.fitter = self.body = None
        if cfg.smpl_dir:
            self.fitter, self.body = build_smpl_fitting(run, cfg)
        self._jpeg = [cv2.IMWRITE_JPEG_QUALITY, int(cfg.jpeg_quality)]

    def __call__(self, index: int) -> PackagedSample:
        """Package sample ``index``; depends only on the run's files for this index."""
        import cv2

        run, cfg = self.run, self.cfg
        # 1. Ground truth, and the people that go into the package.
        labels = run.labels(index)
        rec = person_records(labels, confidence=cfg.keypoint_confidence,
                             min_visible_keypoints=cfg.min_visible_keypoints)
        if self.fitter is not None and len(rec):
            rec.smpl = fit_smpl(self.fitter, self.body, rec, labels, cfg.smpl_max_error_mm)

        # 2. The image: it must have the size the labels were made for.
        path = image_path(run, index, self.source, cfg.noise)
        if not path.is_file():
            raise GenbError(f"image {path} of sample {index} does not exist",
                            "re-run the stage that writes it (it resumes and writes missing files only)")
        width, height = png_size(path)
        if (height, width) != tuple(int(x) for x in labels["image_size"]):
            raise GenbError(
                f"image {path} is {width}x{height} but its labels are for "
                f"{int(labels['image_size'][1])}x{int(labels['image_size'][0])}",
                "enhance at the render's image size (the labels' pixels would not match the image)",
            )
        source_bytes = path.read_bytes()
        if source_bytes[-12:][4:8] != b"IEND":  # cut short (a killed writer, a full disk): never package it
            raise GenbError(f"image {path} of sample {index} is truncated or corrupt",
                            f"delete {path} and re-run the stage that wrote it (it resumes and rewrites missing files)")
        if cfg.crops:  # one image per person: the saved per-person crops
            from genb.package.person_crops import package_crops

            rec, rows, dropped, images, shard_samples = package_crops(
                run, cfg, index, labels, rec, {fmt: PACKAGE_FORMATS.get(fmt).rows for fmt in self.formats})
            return PackagedSample(index=index, labels=labels, records=rec, source_bytes=source_bytes, rows=rows,
                                  dropped=dropped, shard_sample=None, images=images, shard_samples=shard_samples)

        # 3. The npz formats' rows.
        rows, dropped = {}, {}
        for fmt in self.formats:
            rows[fmt], dropped[fmt] = PACKAGE_FORMATS.get(fmt).rows(rec, imgname(index), index)

        # 4. The WebDataset sample (images with nobody left are not written).
        shard_sample = None
        if cfg.webdataset and len(rec):
            if cfg.image_format == "png":
                image_bytes, ext = source_bytes, "png"
            else:
                bgr = cv2.imdecode(np.frombuffer(source_bytes, np.uint8), cv2.IMREAD_COLOR)
                ok, buf = cv2.imencode(".jpg", bgr, self._jpeg)
                if not ok:
                    raise GenbError(f"could not encode {path} as JPEG")
                image_bytes, ext = buf.tobytes(), "jpg"
            masks = None
            if cfg.masks:
                instances = run.instances(index)
                masks = wds.instance_masks(instances, len(labels["keypoints_vis"]))
            people = wds.person_dicts(rec, index, cfg.noise, with_masks=cfg.masks)
            shard_sample = wds.shard_sample(wds.shard_key(index, cfg.noise), image_bytes, ext, people, masks)
        return PackagedSample(index=index, labels=labels, records=rec, source_bytes=source_bytes,
                              rows=rows, dropped=dropped, shard_sample=shard_sample)


def build_smpl_fitting(run: RunFolder, cfg: PackageConfig):
    """The SMPL fitter and the run's own body model (to replay each body's mesh), built once per process."""
    import yaml

    from genb.package.smpl_fit import FitConfig, SmplFitter
    from genb.render.bodies import load_body_model

    steps = cfg.smpl_fit_steps
    fitter = SmplFitter(cfg.smpl_dir, cfg.smpl_gender, cfg.smpl_allow_pickle,
                        FitConfig(joint_steps=max(1, steps // 3), surface_steps=max(1, steps - steps // 3)))
    record = yaml.safe_load((run.root / "render.yaml").read_text()) if (run.root / "render.yaml").is_file() else {}
    rcfg = (record or {}).get("config") or {}
    body_name = run.manifest.body_model or str(rcfg.get("body", "anny"))
    if body_name == "smplx" and not rcfg.get("smplx_dir"):
        raise GenbError(f"{run.root}/render.yaml names no --smplx-dir, needed to replay the SMPL-X bodies for the "
                        "SMPL fit", "package on the machine that rendered the run, or re-render it")
    body = load_body_model(body_name, smplx_dir=rcfg.get("smplx_dir"), gender=rcfg.get("smplx_gender", "neutral"),
                           anny_cache_dir=rcfg.get("anny_cache_dir"))
    return fitter, body


def fit_smpl(fitter, body, rec: PersonRecords, labels: dict[str, np.ndarray], max_error_mm: float) -> dict[str, np.ndarray]:
    """SMPL fitted to the packaged bodies of one sample (camera frame), with the fit error and ``ok``."""
    verts, _ = body.forward_params({k: np.asarray(v, np.float64) for k, v in rec.params.items()})
    keypoints = np.asarray(labels["keypoints3d"], np.float64)[rec.person_index]
    init = None
    if rec.body_model == "smplx":  # SMPL and SMPL-X share their first 22 joints: start from SMPL-X's pose
        init = np.zeros((len(rec), 72), np.float32)
        init[:, :3] = rec.params["global_orient"]
        init[:, 3:66] = np.asarray(rec.params["body_pose"]).reshape(len(rec), 63)
    out = fitter.fit(verts.astype(np.float64), np.asarray(body.faces, np.int64), keypoints, init)
    out.pop("vertices")
    out["ok"] = (out["v2s_mean_mm"] <= max_error_mm).astype(np.float32)
    return out
