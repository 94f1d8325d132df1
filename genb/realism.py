"""Realism of a set of images against real photographs: FID and KID.

The distances are torchmetrics' :class:`~torchmetrics.image.fid.FrechetInceptionDistance`
and :class:`~torchmetrics.image.kid.KernelInceptionDistance`. What changes from one
setup to another is the **feature extractor**, which is pluggable:

* ``"inception"``: the standard FID Inception-V3 (torchmetrics through
  ``torch-fidelity``). Its weights download at run time (about 100 MB, from the
  torch-fidelity GitHub release) unless ``inception_weights`` names a local file.
  Only numbers from this extractor are comparable with published FID/KID.
* ``"hf:<model id or folder>"``: any ``transformers`` vision backbone (DINOv2,
  CLIP vision, ViT, ...), loaded with ``from_pretrained`` from the hub or a local
  folder; the features are its pooled output.
* ``"random-cnn"``: a small convolutional network with fixed, seeded random
  weights. Needs no download; its distances rank image sets sensibly (a set
  against itself is ~0, against a shifted set is not) but are **not**
  comparable with published numbers.
* any ``torch.nn.Module`` with an integer ``num_features`` that maps a
  ``(B, 3, H, W)`` uint8 batch to ``(B, num_features)`` features (Python API).

When the asked-for extractor cannot be had (no ``torch-fidelity``, offline, no
weights), :func:`load_feature_extractor` falls back to the configured fallback and
says so; :class:`ExtractorInfo` records which extractor produced the numbers, and
why, next to every result.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genb import hub
from genb.errors import GenbError, short_reason
from genb.core.log import get_logger

logger = get_logger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


# ----------------------------------------------------------------------------- extractors


@dataclasses.dataclass
class ExtractorInfo:
    """Which feature extractor produced a realism number, recorded next to it."""

    name: str
    """What was used: ``inception``, ``hf:<id>``, ``random-cnn``, or a module's class name."""
    num_features: int
    """Length of one feature vector."""
    input_size: int
    """Images are resized to ``input_size x input_size`` before the extractor."""
    comparable: bool
    """True only for the standard FID Inception-V3: numbers comparable with published FID/KID."""
    requested: str = ""
    """What the config asked for (differs from ``name`` after a fallback)."""
    fallback_reason: str = ""
    """Why the requested extractor was not used; empty when it was."""

    def describe(self) -> str:
        text = f"{self.name} ({self.num_features} features, {self.input_size}px"
        text += ", comparable with published FID)" if self.comparable else ", NOT comparable with published FID)"
        if self.fallback_reason:
            text += f"; fallback from {self.requested!r}: {self.fallback_reason}"
        return text


class RandomConvFeatures(nn.Module):
    """A small CNN with fixed seeded random weights: a realism extractor that needs no download.

    Random convolutional features separate image distributions (colour, texture,
    structure statistics) well enough to rank image sets, but the distances are
    not comparable with Inception FID.

    Args:
        num_features: length of the output feature vector.
        width: channels of the first layer (doubled at each of the 4 stages).
        seed: seed of the weights; the same seed gives the same extractor everywhere.
    """

    def __init__(self, num_features: int = 256, width: int = 16, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        layers: list[nn.Module] = []
        c_in = 3
        for stage in range(4):
            c_out = width * 2**stage
            conv = nn.Conv2d(c_in, c_out, 3, stride=2, padding=1)
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * math.sqrt(2.0 / (9 * c_in)))
                conv.bias.zero_()
            layers += [conv, nn.ReLU()]
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(2 * c_in, num_features, bias=False)
        with torch.no_grad():
            self.head.weight.copy_(torch.randn(self.head.weight.shape, generator=gen) / math.sqrt(2 * c_in))
        self.num_features = num_features
        self.requires_grad_(False)
        self.eval()

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images: (B, 3, H, W) uint8 -> (B, num_features) float32."""
        x = images.float() / 127.5 - 1.0
        x = self.body(x)
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return self.head(pooled)


class HFVisionFeatures(nn.Module):
    """Pooled features of a ``transformers`` vision backbone (DINOv2, CLIP vision, ViT, ...).

    Loaded with ``AutoModel.from_pretrained`` from a hub id or a local folder; the
    normalisation mean/std come from its ``preprocessor_config.json`` when present
    (ImageNet's otherwise). For a CLIP checkpoint the vision tower is used.

    Args:
        name_or_path: hub model id or local folder.
        local_files_only: never reach the hub.
    """

    def __init__(self, name_or_path: str, local_files_only: bool = False):
        super().__init__()
        import json

        import transformers

        config = transformers.AutoConfig.from_pretrained(name_or_path, local_files_only=local_files_only)
        if hasattr(config, "vision_config") and getattr(config, "model_type", "") in ("clip", "siglip"):
            cls = transformers.CLIPVisionModel if config.model_type == "clip" else transformers.SiglipVisionModel
            model = cls.from_pretrained(name_or_path, local_files_only=local_files_only)
            vcfg = model.config
        else:
            model = transformers.AutoModel.from_pretrained(name_or_path, local_files_only=local_files_only)
            vcfg = model.config
        self.model = model.eval().requires_grad_(False)
        self.num_features = int(getattr(vcfg, "hidden_size", 0) or getattr(vcfg, "hidden_sizes", [0])[-1])
        self.input_size = int(getattr(vcfg, "image_size", 224) or 224)
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        pre = Path(name_or_path) / "preprocessor_config.json"
        if pre.is_file():
            data = json.loads(pre.read_text())
            mean, std = data.get("image_mean", mean), data.get("image_std", std)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images: (B, 3, H, W) uint8 -> (B, num_features) float32."""
        x = (images.float() / 255.0 - self.mean) / self.std
        x = x.to(next(self.model.parameters()).dtype)
        out = self.model(pixel_values=x)
        pooled = getattr(out, "pooler_output", None)
        if pooled is None or pooled.dim() != 2:
            pooled = out.last_hidden_state.mean(dim=1) if out.last_hidden_state.dim() == 3 else out.last_hidden_state.mean(dim=(2, 3))
        return pooled.float()


def _inception(weights_path: str | None) -> nn.Module:
    """torchmetrics' FID Inception-V3 (2048 features); downloads its weights unless given a file."""
    from torchmetrics.image.fid import NoTrainInceptionV3

    module = NoTrainInceptionV3(
        name="inception-v3-compat", features_list=["2048"], feature_extractor_weights_path=weights_path
    )
    module.num_features = 2048  # type: ignore[attr-defined]
    return module


def load_feature_extractor(
    spec: str | nn.Module,
    fallback: str = "random-cnn",
    inception_weights: str | None = None,
    device: str | torch.device = "cpu",
) -> tuple[nn.Module, ExtractorInfo]:
    """The feature extractor named by ``spec``, or ``fallback`` when it cannot be had.

    Args:
        spec: ``"inception"``, ``"hf:<id or folder>"``, ``"random-cnn"`` (or
            ``"random-cnn:<num_features>"``), or an ``nn.Module`` with ``num_features``.
        fallback: used when ``spec`` fails to load; ``"none"`` raises a GenbError instead.
        inception_weights: a local file of the FID Inception weights (offline machines).
        device: where the extractor runs.

    Returns:
        (module mapping (B, 3, S, S) uint8 to (B, F) features, its ExtractorInfo).
    """
    requested = spec if isinstance(spec, str) else type(spec).__name__
    try:
        module, info = _load_one(spec, inception_weights)
    except GenbError as e:
        if fallback in ("", "none", None) or fallback == spec:
            raise
        logger.warning("realism: could not use feature extractor %r (%s); falling back to %r",
                       requested, e.problem, fallback)
        module, info = _load_one(fallback, inception_weights)
        info.fallback_reason = e.problem
    info.requested = requested
    return module.to(device), info


def _load_one(spec: str | nn.Module, inception_weights: str | None) -> tuple[nn.Module, ExtractorInfo]:
    if isinstance(spec, nn.Module):
        n = getattr(spec, "num_features", None)
        if not isinstance(n, int):
            raise GenbError(
                f"feature extractor {type(spec).__name__} has no integer `num_features`",
                "give the module a `num_features` attribute: the length of its output features",
            )
        size = int(getattr(spec, "input_size", 299))
        return spec.eval(), ExtractorInfo(type(spec).__name__, n, size, comparable=False)
    name = spec.strip()
    if name == "inception":
        try:
            module = _inception(inception_weights)
        except ModuleNotFoundError:
            raise GenbError(
                "the FID Inception network needs the torch-fidelity package, which is not installed",
                "pip install torch-fidelity (it needs a torchvision matching your torch), "
                "or choose another --feature-extractor",
            ) from None
        except Exception as e:  # download failure: offline, proxy, missing file
            raise GenbError(
                f"the FID Inception weights could not be loaded ({type(e).__name__}: {e})",
                "connect to the internet once (they download to the torch hub cache), or give "
                "--inception-weights FILE (pt_inception-2015-12-05-6726825d.pth), "
                "or choose another --feature-extractor",
            ) from None
        return module, ExtractorInfo("inception", 2048, 299, comparable=True)
    if name.startswith("random-cnn"):
        n = int(name.split(":", 1)[1]) if ":" in name else 256
        return RandomConvFeatures(num_features=n), ExtractorInfo(name, n, 128, comparable=False)
    if name.startswith("hf:"):
        ident = name[3:]
        hub_id = not Path(ident).exists() and not ident.startswith((".", "/", "~")) and ident.count("/") <= 1
        local = hub_id and hub.local_only(ident, "config.json", "vision model", "--feature-extractor hf:", hub.offline_by_env())
        try:
            module = HFVisionFeatures(ident, local_files_only=local or (not hub_id and hub.offline_by_env()))
        except Exception as e:
            raise GenbError(
                f"could not load the vision model {ident!r} ({type(e).__name__}: {short_reason(e, 300)})",
                "give a transformers model id you can download, or a local folder saved with save_pretrained",
            ) from None
        return module, ExtractorInfo(name, module.num_features, module.input_size, comparable=False)
    raise GenbError(
        f"unknown feature extractor {spec!r}",
        "use inception, hf:<model id or folder>, or random-cnn[:<num_features>]",
    )


# ----------------------------------------------------------------------------- images


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly in ``folder`` or below it, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GenbError(f"reference folder {folder} does not exist", "give --reference a folder of real photographs")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
    if not files:
        raise GenbError(f"reference folder {folder} holds no images", f"put real photographs ({', '.join(IMAGE_SUFFIXES)}) in it")
    return files


def resize_batch(images: Sequence[np.ndarray], size: int) -> torch.Tensor:
    """Stack images of any sizes into one batch.

    Args:
        images: each (H, W, 3) uint8 RGB.
        size: side of the square every image is resized to (bicubic, aspect not kept,
            as clean-fid does).

    Returns:
        (B, 3, size, size) uint8.
    """
    import cv2

    out = np.stack([
        img if img.shape[:2] == (size, size) else
        cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA if img.shape[0] > size else cv2.INTER_CUBIC)
        for img in images
    ])
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()


# ----------------------------------------------------------------------------- the metric


@dataclasses.dataclass
class RealismScores:
    """FID and KID of one image set against the reference set."""

    fid: float
    """Fréchet distance between feature Gaussians (lower is more realistic)."""
    kid_mean: float
    """Kernel (polynomial MMD) distance, mean over subsets (lower is more realistic)."""
    kid_std: float
    """Spread of KID over subsets."""
    num_images: int
    """Images in the measured set."""
    num_reference: int
    """Images in the reference set."""


class RealismMeter:
    """FID/KID against a fixed reference set, with the reference features computed once.

    Args:
        extractor: an ``nn.Module`` with ``num_features`` (see :func:`load_feature_extractor`).
        info: what the extractor is; ``info.input_size`` is the side images are resized to.
        reference: the real images, each (H, W, 3) uint8 RGB.
        batch_size: images per extractor call.
        kid_subsets: KID subsets (torchmetrics ``subsets``).
        kid_subset_size: KID subset size; capped at the size of the smaller set.
        device: where features are computed.
    """

    def __init__(
        self,
        extractor: nn.Module,
        info: ExtractorInfo,
        reference: Iterable[np.ndarray],
        batch_size: int = 32,
        kid_subsets: int = 100,
        kid_subset_size: int = 1000,
        device: str | torch.device = "cpu",
    ):
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.kid import KernelInceptionDistance

        self.info = info
        self.batch_size = batch_size
        self.kid_subsets = kid_subsets
        self.kid_subset_size = kid_subset_size
        self.device = torch.device(device)
        # 1. the metrics share the extractor; real features are kept across resets. They run on one
        #    process (rank 0 of a sweep): no gathering of state from other ranks at compute().
        self.fid = FrechetInceptionDistance(feature=extractor, reset_real_features=False,
                                            sync_on_compute=False).to(self.device)
        with warnings.catch_warnings():  # "KID keeps all features in memory": known, 8 KB per image at 2048
            warnings.simplefilter("ignore", UserWarning)
            self.kid = KernelInceptionDistance(
                feature=extractor, subsets=kid_subsets, subset_size=kid_subset_size, reset_real_features=False,
                sync_on_compute=False,
            ).to(self.device)
        # 2. the reference features, once
        self.num_reference = self._update(reference, real=True)
        if self.num_reference < 2:
            raise GenbError(
                f"the reference set has {self.num_reference} image(s); FID needs at least 2",
                "put more real photographs in the --reference folder (hundreds for stable numbers)",
            )

    def _update(self, images: Iterable[np.ndarray], real: bool) -> int:
        n, batch = 0, []
        for img in images:
            batch.append(img)
            if len(batch) == self.batch_size:
                n += self._feed(batch, real)
                batch = []
        if batch:
            n += self._feed(batch, real)
        return n

    @torch.no_grad()
    def _feed(self, batch: list[np.ndarray], real: bool) -> int:
        x = resize_batch(batch, self.info.input_size).to(self.device)
        self.fid.update(x, real=real)
        self.kid.update(x, real=real)
        return len(batch)

    @torch.no_grad()
    def __call__(self, images: Iterable[np.ndarray]) -> RealismScores:
        """FID/KID of ``images`` (each (H, W, 3) uint8 RGB) against the reference."""
        # 1. fresh fake features
        self.fid.reset()
        self.kid.reset()
        n = self._update(images, real=False)
        if n < 2:
            raise GenbError(f"only {n} image(s) to measure; FID needs at least 2", "enhance more samples")
        # 2. distances; KID's subset size cannot exceed either set
        fid = float(self.fid.compute())
        self.kid.subset_size = max(2, min(self.kid_subset_size, n, self.num_reference))
        with torch.random.fork_rng(devices=[]):  # KID draws random subsets: make them repeatable
            torch.manual_seed(0)
            kid_mean, kid_std = (float(v) for v in self.kid.compute())
        return RealismScores(fid=max(fid, 0.0), kid_mean=kid_mean, kid_std=kid_std,
                             num_images=n, num_reference=self.num_reference)
