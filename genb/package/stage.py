"""``genb package``: hand the accepted samples to HPS trainers in the formats they already read.

``genb package RUN --noise 0.4 --format all|genb|bedlam|camerahmr|camerahmr-hands|humandata|webdataset OUT``
writes::

    OUT/
      README.md                       dataset card (counts, plots, licence, commands, versions)
      card/*.png                      its plots
      package.yaml                    this command's config, command line, versions, selection
      images/000012.png               the images, at the npz files' ``imgname`` paths (relative to OUT)
      genb/genb-n040.npz              genb's own npz (genb.data.PackagedDataset), any body model
      bedlam/genb-n040.npz            BEDLAM's trainer convention (SMPL-X bodies)
      camerahmr/genb-n040.npz         CameraHMR's convention (SMPL fits; needs --smpl-dir)
      camerahmr/genb-n040-hands.npz   CameraHMR's SMPL-X hands loader (SMPL-X bodies)
      humandata/genb-n040.npz         mmhuman3d HumanData (SMPLer-X, SMPLest-X, AiOS; SMPL-X bodies)
      webdataset/genb-r00-000000.tar  4D-Humans / TokenHMR shards (one writer per process)
      webdataset/index.json           shard names and sample counts
      .parts/                         per-process results, merged once every process is done

``--format all`` writes every format this run can carry; the card lists the ones it
cannot and why. Naming one such format explicitly is an error.

:class:`PackageStage` turns one sample into its records (built once per
process); :func:`run_package` splits the samples over ranks
(``RANK``/``WORLD_SIZE``), writes them in sample order, and whichever process
finishes last merges the per-process parts. An output folder that is complete
for the same settings is left as it is (resumable); one made with other
settings is refused.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, TypeVar

import numpy as np

from genb.config import add_config_arguments, config_from_args
from genb.errors import GenbError
from genb.core.log import get_logger, progress
from genb.package import npz, wds
from genb.package.formats import PACKAGE_FORMATS, WEBDATASET, format_choices
from genb.package.frames import open_frames
from genb.package.inputs import Selection, image_path, select_samples
from genb.package.records import PersonRecords, person_records
from genb.package.stats import DatasetStats
from genb.core.dist import dist_info, shard
from genb.core.io import atomic_write_bytes, atomic_write_json, png_size
from genb.core.records.package import read_rank_marker, write_rank_marker
from genb.core.run import RunFolder
from genb.core.runner import StageSpec, run_stage

logger = get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")

PARTS = ".parts"
# Settings that may differ between invocations on the same output folder.
RESUMABLE_FIELDS = ("workers",)


@dataclasses.dataclass
class PackageConfig:
    noise: float = 0.0
    """Noise level of the enhanced images to package; 0 packages the renders themselves."""
    source: Literal["auto", "render", "enhanced"] = "auto"
    """Which images: auto (renders at --noise 0, enhanced images otherwise), render, or enhanced.
    --source render --noise 0.4 packages the renders of the samples accepted at 0.4."""
    format: str = dataclasses.field(default="all", metadata={"choices": format_choices})
    """Output format: genb (genb's own npz), bedlam (BEDLAM trainer npz, SMPL-X runs), camerahmr (CameraHMR npz,
    SMPL fits), camerahmr-hands (CameraHMR's SMPL-X hands npz), humandata (mmhuman3d HumanData for SMPLer-X/AiOS,
    SMPL-X runs), webdataset (4D-Humans/TokenHMR shards), one registered in genb.package.formats.PACKAGE_FORMATS,
    or all (every format this run can carry)."""
    include_rejected: bool = False
    """Package every sample, also those the checker rejected (or that were never checked)."""
    keypoint_confidence: Literal["in_frame", "visible", "all"] = "in_frame"
    """2D keypoint confidence: 1 for keypoints inside the image (in_frame), only unoccluded ones (visible), or all."""
    min_visible_keypoints: int = 4
    """Leave out people with fewer visible (in frame, unoccluded) BODY25 keypoints."""
    image_format: Literal["jpg", "png"] = "jpg"
    """Image format inside the shards: jpg (re-encoded, small) or png (the lossless source bytes)."""
    jpeg_quality: int = 95
    """JPEG quality of shard images, 1-100."""
    shard_maxcount: int = 1000
    """Samples (images) per shard at most."""
    shard_maxsize_mb: float = 1000.0
    """Shard size in MB after which a new shard is started."""
    masks: bool = True
    """Write each image's person masks as <key>.detection.npz (read by 4D-Humans for mask-aware crops)."""
    smpl_dir: str | None = None
    """Folder with your SMPL model file SMPL_NEUTRAL.npz: genb then fits SMPL (pose, betas, camera frame) to every
    body, for the formats that need SMPL (camerahmr; webdataset body_pose/betas). Without it SMPL fields are absent."""
    smpl_gender: Literal["neutral", "male", "female"] = "neutral"
    """Which SMPL model file to fit (SMPL_<GENDER>.npz)."""
    smpl_allow_pickle: bool = False
    """Also read the official SMPL_<GENDER>.pkl. A .pkl is a Python pickle, which can run arbitrary code when loaded:
    use this only with files you trust (better: convert it once to .npz)."""
    smpl_max_error_mm: float = 15.0
    """SMPL fits whose mean vertex-to-surface error exceeds this (mm) are dropped from camerahmr and carry
    has_body_pose = has_betas = 0 in the shards."""
    smpl_fit_steps: int = 240
    """Optimisation steps of the SMPL fit (a third on keypoints, the rest on the surface)."""
    card: bool = True
    """Write the dataset card README.md with its plots."""
    workers: int = 2
    """Threads reading and encoding images in this process (writing stays in sample order)."""
    frame_step: int = 1
    """Sequence runs (genb render --frames): package every k-th frame of each sequence as a sample (1: every frame)."""
    crops: bool = False
    """Package the per-person crops kept by `genb enhance --per-person --save-crops` instead of the full images: one image per person at the model's resolution, its keypoints, boxes, center/scale in the crop's pixels and cam_int = the crop's K (people without a crop are left out)."""

    def validate(self) -> None:
        if self.format not in format_choices():
            raise GenbError(f"--format must be one of {', '.join(format_choices())}, got {self.format!r}",
                            "e.g. --format all")
        if self.noise < 0 or self.noise > 1:
            raise GenbError(f"--noise is a level in [0, 1], got {self.noise}", "e.g. --noise 0.4")
        if self.source == "enhanced" and self.noise == 0:
            raise GenbError("--source enhanced needs the noise level of the enhanced images",
                            "give --noise (e.g. --noise 0.4), or --source render to package the renders")
        if not 1 <= self.jpeg_quality <= 100:
            raise GenbError(f"--jpeg-quality is 1-100, got {self.jpeg_quality}", "e.g. --jpeg-quality 95")
        if self.shard_maxcount < 1:
            raise GenbError(f"--shard-maxcount must be at least 1, got {self.shard_maxcount}", "e.g. --shard-maxcount 1000")
        if self.shard_maxsize_mb <= 0:
            raise GenbError(f"--shard-maxsize-mb must be positive, got {self.shard_maxsize_mb}", "e.g. --shard-maxsize-mb 1000")
        if not 0 <= self.min_visible_keypoints <= 25:
            raise GenbError(f"--min-visible-keypoints is 0-25, got {self.min_visible_keypoints}", "e.g. 4")
        if self.workers < 1:
            raise GenbError(f"--workers must be at least 1, got {self.workers}", "e.g. --workers 2")
        if self.smpl_max_error_mm <= 0:
            raise GenbError(f"--smpl-max-error-mm must be positive, got {self.smpl_max_error_mm}", "e.g. 15")
        if self.smpl_fit_steps < 3:
            raise GenbError(f"--smpl-fit-steps must be at least 3, got {self.smpl_fit_steps}", "e.g. 240")
        if self.crops and (self.noise == 0 or self.source == "render"):
            raise GenbError("--crops packages enhanced per-person crops: it needs --noise of an enhanced level",
                            "give e.g. --noise 0.4 (enhanced with --per-person --save-crops), or drop --crops")

    @property
    def webdataset(self) -> bool:
        return self.format in ("all", WEBDATASET)


def resolve_formats(cfg: PackageConfig, body_model: str, has_smpl: bool,
                    sequences: bool = False) -> tuple[list[str], dict[str, str]]:
    """The npz formats to write for this run, and ``{format: why not}`` for those it cannot carry.

    Raises GenbError when the one format asked for cannot be written.
    """
    chosen, skipped = [], {}
    for spec in PACKAGE_FORMATS:
        name = spec.name
        if cfg.format not in ("all", name):
            continue
        why = spec.unsupported(body_model, has_smpl) or (None if sequences or not spec.video else
                                                          "a video format: it needs a sequence run (genb render --frames)")
        if why is None:
            chosen.append(name)
        elif cfg.format == name:
            raise GenbError(f"--format {name}: {why}", spec.fix)
        else:
            skipped[name] = why
    return chosen, skipped


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


@dataclasses.dataclass
class PackageSummary:
    """What :func:`run_package` did (this process), and where the merged outputs are.

    ``seconds`` times selecting and packaging this process's samples; ``total_seconds``
    adds the merge and the dataset card (None paths: another process merges).
    """

    out: Path
    packaged: int
    skipped: bool
    seconds: float
    people: int
    npz: Path | None
    shards: list[Path]
    card: Path | None
    total_seconds: float = 0.0
    npz_files: dict[str, Path] = dataclasses.field(default_factory=dict)

    @property
    def samples_per_second(self) -> float:
        return self.packaged / self.seconds if self.seconds > 0 else float("nan")


def imgname(index: int) -> str:
    """Image path of a sample relative to ``OUT`` (the npz files' ``imgname``)."""
    return f"images/{index:06d}.png"


def dataset_name(cfg: PackageConfig, source: str) -> str:
    """The package's default dataset name, e.g. ``genb-n040`` (``genb-render-n040`` for renders at noise > 0).

    BEDLAM and CameraHMR rotate every image of a dataset whose name contains ``closeup``
    (BEDLAM ``train/dataset/dataset.py``: ``if self.is_train and 'closeup' in self.dataset``)
    and split dataset lists on ``_`` (``VAL_DS.split('_')``), so the name has neither.
    """
    tag = "render-" if source == "render" and cfg.noise > 0 else ""
    return f"genb-{tag}n{round(cfg.noise * 100):03d}"


def npz_path(out: Path, cfg: PackageConfig, source: str, fmt: str) -> Path:
    spec = PACKAGE_FORMATS.get(fmt)
    return out / spec.folder / f"{dataset_name(cfg, source)}{spec.suffix}.npz"


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
    body_name = str(run.manifest.get("body_model", rcfg.get("body", "anny")))
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


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` threads, results in input order, a bounded number in flight."""
    if workers <= 1:
        yield from map(fn, items)
        return
    with cf.ThreadPoolExecutor(workers) as pool:
        window: collections.deque = collections.deque()
        for item in items:
            window.append(pool.submit(fn, item))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


# ----------------------------------------------------------------------------- the output folder


def selection_digest(selection: Selection) -> str:
    return hashlib.sha256(json.dumps([selection.source, selection.ids]).encode()).hexdigest()[:16]


def _selection_record(run: RunFolder, selection: Selection) -> dict[str, Any]:
    """The keys ``package.yaml`` adds to the settings record: the run and the selected samples."""
    return {
        "run": str(run.root.resolve()),
        "selection": {
            "source": selection.source, "noise": selection.noise, "samples": len(selection.ids),
            "checked": selection.num_checked, "accepted": selection.num_accepted,
            "include_rejected": selection.include_rejected, "digest": selection_digest(selection),
        },
    }


def _part_name(kind: str, rank: int, world: int, ext: str) -> str:
    return f"{kind}-r{rank:02d}-of-{world:02d}.{ext}"


def _package_rank(stage: PackageStage, out: Path, cfg: PackageConfig, selection: Selection,
                  rank: int, world: int, formats: list[str]) -> tuple[int, int]:
    """Package this rank's share; writes the rank's parts and, last, its marker. Returns (samples, people)."""
    parts = out / PARTS
    mine = shard(selection.ids, rank, world)
    stats = DatasetStats()
    rows: dict[str, list[dict[str, np.ndarray]]] = {f: [] for f in formats}
    sink = wds.ShardSink(out / "webdataset", rank, cfg.shard_maxcount, cfg.shard_maxsize_mb * 1e6) if cfg.webdataset else None
    people = 0
    try:
        for sample in progress(ordered_map(stage, mine, cfg.workers), total=len(mine), desc="package"):
            stats.add(sample.labels, sample.records)
            people += len(sample.records)
            stats.add_formats(sample.rows, sample.dropped)
            for fmt, r in sample.rows.items():
                rows[fmt].append(r)
            if sample.rows:
                for name, data in (sample.images or {imgname(sample.index): sample.source_bytes}).items():
                    target = out / name
                    if not target.is_file():
                        atomic_write_bytes(target, data)
            if sink is not None:
                for shard_sample in sample.shard_samples or ([sample.shard_sample] if sample.shard_sample else []):
                    sink.write(shard_sample)
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    shards = sink.close() if sink is not None else {}
    npz_parts = {}
    for fmt in formats:
        npz_parts[fmt] = _part_name(fmt, rank, world, "npz")
        npz.write_npz(parts / npz_parts[fmt], npz.concat_rows(rows[fmt]) or npz.empty_rows())
    marker = {"rank": rank, "world": world, "samples": len(mine), "people": people,
              "shards": shards, "npz_parts": npz_parts, "stats": stats.s}
    write_rank_marker(out, rank, world, marker)
    return len(mine), people


def _rank_markers(out: Path, world: int) -> list[dict[str, Any]] | None:
    """Every rank's marker, or None while some rank is still working."""
    markers = []
    for r in range(world):
        p = out / PARTS / _part_name("done", r, world, "json")
        if not p.is_file():
            return None
        markers.append(read_rank_marker(out, p))
    return markers


def _remove_unowned(out: Path, world: int, shard_names: list[str]) -> int:
    """Remove what an earlier package into ``out`` with another process count left and this one does
    not own: other worlds' rank parts and markers, shards not in the new index. Returns how many."""
    removed = 0
    for p in (out / PARTS).glob("*-r*-of-*.*"):
        if not p.name.endswith(f"-of-{world:02d}{p.suffix}"):
            p.unlink(missing_ok=True)
            removed += 1
    keep = set(shard_names)
    for p in (out / "webdataset").glob("*.tar"):
        if p.name not in keep:
            p.unlink(missing_ok=True)
            removed += 1
    if removed:
        logger.info("removed %d file(s) of an earlier package into %s made with another process count", removed, out)
    return removed


def _finalize(run: RunFolder, out: Path, cfg: PackageConfig, selection: Selection, markers: list[dict[str, Any]],
              formats: list[str], skipped: dict[str, str]) -> tuple[dict[str, Path], list[Path], Path | None]:
    """Merge the ranks' parts: the npz files, the shard index, the card. Idempotent (atomic writes)."""
    _remove_unowned(out, len(markers), sorted(name for m in markers for name in m["shards"]))
    npz_files: dict[str, Path] = {}
    for fmt in formats:
        chunks = [npz.load_npz(out / PARTS / m["npz_parts"][fmt]) for m in markers]
        npz_files[fmt] = npz_path(out, cfg, selection.source, fmt)
        PACKAGE_FORMATS.get(fmt).write(npz_files[fmt], npz.concat_rows(chunks) or npz.empty_rows())
    shard_paths: list[Path] = []
    if cfg.webdataset:
        shards = {name: n for m in markers for name, n in m["shards"].items()}
        names = sorted(shards)
        shard_paths = [out / "webdataset" / n for n in names]
        atomic_write_json(out / "webdataset" / "index.json", {
            "shards": [{"name": n, "samples": shards[n]} for n in names],
            "samples": sum(shards.values()),
            "people": sum(m["people"] for m in markers),
            "key_format": "genb_n<noise*100:03d>_<sample:06d>",
            "members": ["jpg" if cfg.image_format == "jpg" else "png", "data.pyd"] + (["detection.npz"] if cfg.masks else []),
        })
    card_path = None
    if cfg.card:
        from genb.package.card import write_card

        stats = DatasetStats.merge([m["stats"] for m in markers])
        card_path = write_card(out, run, cfg, selection, stats, npz_files, shard_paths, skipped)
    return npz_files, shard_paths, card_path


def run_package(run: RunFolder | str, out: str | Path, cfg: PackageConfig) -> PackageSummary:
    """Package the selected samples of ``run`` into ``out`` (this process's share, then the merge)."""
    run = open_frames(run, cfg.frame_step, cfg.crops)  # a sequence run's frames are its samples
    out = Path(out)
    start = time.perf_counter()
    # 1. What to package, and an output folder that agrees with it.
    selection = select_samples(run, cfg.noise, cfg.source, cfg.include_rejected)
    if out.resolve() in (run.root.resolve(), run.samples_dir.resolve(), (run.root / "enhanced").resolve()):
        raise GenbError(f"the output folder {out} is inside the run's own data", "give a separate output folder")
    body_model = str(run.manifest.get("body_model", "anny"))
    formats, skipped_formats = resolve_formats(cfg, body_model, has_smpl=bool(cfg.smpl_dir), sequences=hasattr(run, "locate"))
    if cfg.crops:
        from genb.package.person_crops import require_crops

        require_crops(run, cfg.noise)
    rank, world = dist_info()
    rate = selection.acceptance_rate
    logger.info("packaging %d %s samples of %s (noise %.2f%s) as %s into %s",
                len(selection.ids), selection.source, run.root, cfg.noise,
                f", {100 * rate:.0f}% accepted" if rate is not None else "", cfg.format, out)

    def marker(r: int) -> Path:
        return out / PARTS / _part_name("done", r, world, "json")

    # 2. This rank's share (one item per rank), unless it is already done; whoever sees every rank
    #    done merges (the same bytes whoever does it); rank 0 of a launched group waits first.
    merged: list[tuple] = []
    ran = run_stage(StageSpec(
        name="package", folder=out, record="package.yaml", config=cfg, keep=RESUMABLE_FIELDS,
        items=lambda: range(world), is_done=lambda r: marker(r).is_file(),
        setup=lambda ctx: PackageStage(run, cfg, selection.source, formats),
        work=lambda ctx, todo: _package_rank(ctx.state, out, cfg, selection, rank, world, formats),
        inputs=lambda: {"the selected samples (the run or its checker decisions)": selection_digest(selection)},
        record_extra=_selection_record(run, selection), markers=("package.yaml",), ours="a genb package folder",
        outputs_exist=lambda: any((out / PARTS).glob("done-*.json")), folders=(out / PARTS,),
        clean=[out, out / PARTS, out / "images", out / "card", *(out / PACKAGE_FORMATS.get(f).folder for f in formats)],
        aggregate=lambda: merged.append(_finalize(run, out, cfg, selection, _rank_markers(out, world), formats,
                                                  skipped_formats)),
        what=f"rank parts in {out / PARTS}",
    ))
    packaged, people = ran.result or (0, 0)
    skipped = ran.result is None
    if skipped:
        logger.info("rank %d of %d already packaged (%s); nothing to do", rank, world, marker(rank))
    package_seconds = time.perf_counter() - start
    npz_files, shard_paths, card_path = {}, [], None
    if merged:
        npz_files, shard_paths, card_path = merged[0]
    summary = PackageSummary(out=out, packaged=packaged, skipped=skipped, seconds=package_seconds, people=people,
                             npz=next(iter(npz_files.values()), None), shards=shard_paths, card=card_path,
                             total_seconds=time.perf_counter() - start, npz_files=npz_files)
    if packaged:
        logger.info("done: %d samples, %d people in %.2f s (%.1f samples/s; %.1f s with the merge and card)",
                    packaged, people, summary.seconds, summary.samples_per_second, summary.total_seconds)
    return summary


# ----------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN", help="the run folder written by `genb render`")
    parser.add_argument("out", metavar="OUT", help="output folder for the package (created; a complete one is kept)")
    parser.add_argument("--preset", help="a preset of configs/package/ (default) or a YAML file")
    add_config_arguments(parser, PackageConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(PackageConfig, "package", args)
    summary = run_package(args.run_dir, args.out, cfg)
    where = [str(p) for p in (*summary.npz_files.values(), summary.card) if p] + ([f"{len(summary.shards)} shard(s)"] if summary.shards else [])
    print(f"packaged {summary.packaged} samples ({summary.people} people) -> {summary.out}"
          + (f": {', '.join(where)}" if where else ""))
    return 0
