"""``genb package``'s settings: :class:`PackageConfig`, the formats a run is written in, and the names of what it writes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

from genb.errors import GenbError
from genb.package.formats import PACKAGE_FORMATS, WEBDATASET, format_choices

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
