"""``EnhanceConfig``: every setting of ``genb enhance`` (flags, presets in configs/enhance/)."""

from __future__ import annotations

import collections.abc
import dataclasses
import math
import typing
from typing import Literal

from genb.core.controls import CONTROL_MAPS
from genb.errors import GenbError

class _ControlFiles(collections.abc.Mapping):
    """Control name (as in ``--controls``) -> the sample file it reads (``samples/NNNNNN/<file>.png``),
    for every map registered in :data:`genb.core.controls.CONTROL_MAPS` (read live)."""

    def __getitem__(self, name: str) -> str:
        if name not in CONTROL_MAPS:
            raise KeyError(name)
        return CONTROL_MAPS.get(name).file

    def __iter__(self):
        return iter(CONTROL_MAPS.names())

    def __len__(self) -> int:
        return len(CONTROL_MAPS)


CONTROL_FILES = _ControlFiles()

RUNTIME_FIELDS = frozenset({
    "batch_size", "device", "compile", "channels_last", "attention", "check", "threads", "model_dir",
    "offline", "limit", "check_preset", "person_batch_size",
})
"""Fields that may change between a run and its resumption: they do not change what a sample is."""


@dataclasses.dataclass
class EnhanceConfig:
    """How ``genb enhance`` re-renders a run's samples with a ControlNet img2img pipeline."""

    noise: float = 0.4
    """Noise level = img2img strength in [0, 1]: 0 keeps the render, 1 ignores it. Outputs go to RUN/enhanced/noise-<s>/."""
    noise_person: float | None = None
    """The people's own strength in [0, 1]. Without --per-person: region-aware mode (people, instances.png > 0, get it inside the whole-image pass, e.g. 0.2 with --noise 0.6). With --per-person: the strength of the person crops (unset = --noise). Unset and no --per-person = one strength everywhere."""
    region_dilate: int = 4
    """Region-aware mode: grow the people's mask by this many pixels before it is used."""
    per_person: bool = False
    """Person-centric mode: after the whole-image pass at --noise, re-render each person in a square crop around them at --person-size (the model's resolution) at --noise-person, and paste it back inside the person's feathered mask, far to near."""
    person_size: int = 512
    """Per-person mode: side of a person's crop as the model sees it, pixels (512 for SD-1.5, 1024 for SDXL)."""
    person_context: float = 1.25
    """Per-person mode: the crop's side is this times the longer side of the person's amodal box (bbox_full)."""
    person_min_size: int = 32
    """Per-person mode: people whose amodal box is smaller than this (longer side, full-image pixels) keep the whole-image result."""
    person_dilate: int = 8
    """Per-person mode: the person's silhouette (instances.png) is grown by this many pixels for pasting back."""
    person_feather: int = 6
    """Per-person mode: width in pixels of the paste's linear fade at the edge of the grown mask (0 = hard edge)."""
    person_source: Literal["whole", "render"] = "whole"
    """Per-person mode: crop the whole-image result (whole) or the render (render) as the crops' img2img input."""
    person_batch_size: int = 4
    """Per-person mode: crops handed to the stage together, from any samples of the batch. Each crop still goes through the model in its own call, so its bytes do not depend on it."""
    save_crops: bool = False
    """Per-person mode: keep each person's enhanced crop at model resolution in crops/ with its K, box and keypoints (JSON), for genb package --crops."""
    detail: tuple[str, ...] = ()
    """Per-person mode: detail passes after each person's crop: face, hands (placed from the ground-truth keypoints)."""
    detail_size: int | None = None
    """Detail passes: side of a face/hand crop as the model sees it, pixels; unset = --person-size."""
    detail_noise: float | None = None
    """Detail passes: their strength in [0, 1]; unset = the person crops' strength."""
    detail_min_size: int = 12
    """Detail passes: faces/hands whose square is smaller than this (full-image pixels) are left as they are."""
    steps: int = 30
    """Scheduler steps of the full (strength 1) schedule; img2img runs floor(steps x noise) of them."""
    steps_run: int | None = None
    """Fix the number of denoising steps actually run, at every noise level (steps becomes ceil(N / noise)), so a sweep compares like with like."""
    seed: int | None = None
    """Seed of the per-sample noise (sample i uses (seed, i)); unset = the run's seed."""
    noise_warp: bool = True
    """On a sequence's frames (genb render --frames): warp the initial noise along the exact flow from frame to
    frame (temporally consistent); --no-noise-warp draws each frame's noise on its own."""
    cross_frame_attention: bool = False
    """On a sequence's frames: every frame's self-attention (UNet and ControlNets) also attends to the key frame's
    keys and values (the sequence's first frame; Text2Video-Zero style), each frame in a call of batch 2 [key, frame]
    (about twice the compute per frame). The key frame itself is made as without it. Not with --per-person."""
    architecture: Literal["sd15", "sdxl"] = "sd15"
    """Model family: sd15 (StableDiffusionControlNetImg2ImgPipeline) or sdxl (its SDXL variant)."""
    base_model: str = "stable-diffusion-v1-5/stable-diffusion-v1-5"
    """Base model: a Hugging Face hub id, a local folder, or 'tiny' (random weights, images are noise)."""
    base_revision: str | None = None
    """Hub revision (branch, tag or commit) of the base model; unset = main."""
    vae_model: str | None = None
    """Replacement VAE (hub id or folder), e.g. madebyollin/sdxl-vae-fp16-fix for SDXL in fp16; unset = the base model's."""
    controls: tuple[str, ...] = ("depth", "normal", "pose")
    """Control maps to condition on, in order: any of depth, normal, pose, seg, edges (a Multi-ControlNet when several)."""
    depth_model: str | None = None
    """ControlNet for control_depth.png (hub id or folder); unset = the map's registered model for --architecture."""
    normal_model: str | None = None
    """ControlNet for control_normal.png (hub id or folder); unset = the map's registered model for --architecture."""
    pose_model: str | None = None
    """ControlNet for control_pose.png (hub id or folder); unset = the map's registered model for --architecture."""
    seg_model: str | None = None
    """ControlNet for control_seg.png (hub id or folder); unset = the map's registered model for --architecture."""
    edges_model: str | None = None
    """ControlNet for control_edges.png (hub id or folder); unset = the map's registered model for --architecture."""
    control_models: tuple[str, ...] = ()
    """ControlNets of control maps registered outside genb (and overrides of the built-in ones), as name=MODEL pairs."""
    control_scales: tuple[float, ...] = (1.0,)
    """ControlNet conditioning scale, one per control in --controls order (or one for all)."""
    control_start: tuple[float, ...] = (0.0,)
    """Fraction of the steps run at which each control starts acting (one per control, or one for all)."""
    control_end: tuple[float, ...] = (1.0,)
    """Fraction of the steps run at which each control stops acting (one per control, or one for all)."""
    prompt_template: str | None = None
    """Prompt templates: a YAML file (keys: prompt, person, people_join, setting), or a template string with {people} and {setting}; unset = the built-in ones."""
    negative_prompt: str = ("cartoon, render, cgi, 3d, painting, drawing, blurry, deformed, extra limbs, "
                            "missing limbs, bad anatomy, lowres, watermark, text")
    """Negative prompt (what the images should not look like)."""
    guidance_scale: float = 7.5
    """Classifier-free guidance scale (1 turns guidance off and halves the compute)."""
    scheduler: Literal["default", "ddim", "unipc", "dpm", "euler", "pndm"] = "default"
    """Sampler: default = the base model's own scheduler."""
    batch_size: int = 4
    """Samples read, enhanced and written together (I/O and scheduling). Each sample still goes through the model in its own call, so its bytes do not depend on it (docs/architecture.md)."""
    device: str = "auto"
    """Torch device: auto = cuda:LOCAL_RANK when CUDA is available, else cpu."""
    dtype: Literal["auto", "fp32", "fp16", "bf16"] = "auto"
    """Compute precision: auto = fp16 on CUDA, fp32 on CPU."""
    attention: Literal["sdpa", "xformers"] = "sdpa"
    """Attention kernel: torch SDPA (default) or xformers (CUDA, if installed)."""
    channels_last: bool = True
    """Use channels-last memory format for the UNet and ControlNets on CUDA (ignored on CPU)."""
    compile: bool = False
    """torch.compile the UNet and ControlNets (CUDA; the first batch is slow)."""
    threads: int | None = None
    """torch CPU threads per process; unset = 1 on CPU (CUDA: torch's default). A CPU run's bytes follow the thread count, so the default does not follow the machine or the number of processes; more threads are quicker and give other (equally valid) bytes."""
    model_dir: str | None = None
    """Local folder with downloaded models: a model id X is looked up as <dir>/X, then <dir>/<name after the slash>."""
    offline: bool = False
    """Never reach the hub (also on when HF_HUB_OFFLINE=1): models must be cached or in --model-dir."""
    limit: int | None = None
    """Only enhance the first N samples of the run (for trials)."""
    check: bool = False
    """Run `genb check` on the enhanced samples afterwards (needs genb.check)."""
    check_preset: str | None = None
    """With --check: the checker's preset (a name in configs/check/ or a YAML path); unset = its defaults."""

    def validate(self) -> None:
        """Raise :class:`GenbError` for settings that cannot work."""
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            if typing.get_origin(hints[f.name]) is typing.Literal and getattr(self, f.name) not in typing.get_args(hints[f.name]):
                flag = "--" + f.name.replace("_", "-")
                raise GenbError(f"{flag} {getattr(self, f.name)!r} is not one of {', '.join(typing.get_args(hints[f.name]))}",
                                f"give {flag} one of those")
        for name in ("noise", "noise_person", "detail_noise"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and 0.0 <= value <= 1.0):
                flag = "--" + name.replace("_", "-")
                raise GenbError(f"{flag} {value} is outside [0, 1] (it is the img2img strength)",
                                f"give {flag} between 0 (keep the render) and 1 (ignore it), e.g. 0.4")
        if self.steps < 1:
            raise GenbError(f"--steps {self.steps} must be at least 1", "give e.g. --steps 30")
        if self.steps_run is not None and self.steps_run < 1:
            raise GenbError(f"--steps-run {self.steps_run} must be at least 1", "give e.g. --steps-run 10, or leave it unset")
        if self.batch_size < 1:
            raise GenbError(f"--batch-size {self.batch_size} must be at least 1", "give e.g. --batch-size 4")
        if self.region_dilate < 0:
            raise GenbError(f"--region-dilate {self.region_dilate} must be >= 0", "give a number of pixels, e.g. 4")
        self._validate_per_person()
        if not self.controls:
            raise GenbError("--controls is empty", f"give one or more of {', '.join(CONTROL_FILES)}")
        unknown = [c for c in self.controls if c not in CONTROL_FILES]
        if unknown:
            raise GenbError(f"unknown control(s) {', '.join(unknown)} in --controls",
                            f"use names from: {', '.join(CONTROL_FILES)}")
        if len(set(self.controls)) != len(self.controls):
            raise GenbError(f"--controls {','.join(self.controls)} names a control twice", "name each control once")
        for c in self.controls:
            if not self.control_model(c):
                raise GenbError(f"control {c!r} has no ControlNet model for --architecture {self.architecture}",
                                f"give --{c}-model (or --control-models {c}=MODEL: hub id or folder), "
                                f"or drop {c} from --controls")
        bad = [pair for pair in self.control_models if "=" not in pair or pair.split("=", 1)[0] not in CONTROL_MAPS]
        if bad:
            raise GenbError(f"--control-models {','.join(bad)}: each entry is NAME=MODEL with a known control name",
                            f"e.g. --control-models depth=lllyasviel/control_v11f1p_sd15_depth; names: {', '.join(CONTROL_FILES)}")
        for name in ("control_scales", "control_start", "control_end"):
            self.per_control(name)
        for s, e in zip(self.per_control("control_start"), self.per_control("control_end")):
            if not 0.0 <= s < e <= 1.0:
                raise GenbError(f"control start {s} / end {e} must satisfy 0 <= start < end <= 1",
                                "fix --control-start / --control-end")
        if self.threads is not None and self.threads < 1:
            raise GenbError(f"--threads {self.threads} must be at least 1", "give e.g. --threads 1")
        if self.limit is not None and self.limit < 0:
            raise GenbError(f"--limit {self.limit} must be >= 0", "give a number of samples")

    def control_model(self, name: str) -> str | None:
        """The ControlNet of control ``name``: ``--control-models name=MODEL``, else its ``--<name>-model``
        field when set (built-in maps), else ``tiny`` with the tiny base model, else the model the map
        registered for ``--architecture`` (:data:`genb.core.controls.CONTROL_MAPS`)."""
        given = dict(pair.split("=", 1) for pair in self.control_models if "=" in pair)
        if name in given:
            return given[name]
        if getattr(self, f"{name}_model", None):
            return getattr(self, f"{name}_model")
        if self.base_model == "tiny":
            return "tiny"
        return CONTROL_MAPS.get(name).models.get(self.architecture)

    def _validate_per_person(self) -> None:
        for name in ("person_size", "person_min_size", "person_batch_size", "detail_min_size"):
            if getattr(self, name) < 1:
                flag = "--" + name.replace("_", "-")
                raise GenbError(f"{flag} {getattr(self, name)} must be at least 1", f"give a positive {flag}")
        if self.detail_size is not None and self.detail_size < 8:
            raise GenbError(f"--detail-size {self.detail_size} is too small", "give e.g. --detail-size 512, or leave it unset")
        if not (math.isfinite(self.person_context) and self.person_context >= 1.0):
            raise GenbError(f"--person-context {self.person_context} must be >= 1 (the crop holds the whole person)",
                            "give e.g. --person-context 1.25")
        if self.person_dilate < 0 or self.person_feather < 0:
            raise GenbError(f"--person-dilate {self.person_dilate} and --person-feather {self.person_feather} must be >= 0",
                            "give numbers of pixels, e.g. --person-dilate 8 --person-feather 6")
        unknown = [d for d in self.detail if d not in ("face", "hands")]
        if unknown:
            raise GenbError(f"unknown detail pass(es) {', '.join(unknown)} in --detail", "use face, hands or both")
        if self.per_person and self.cross_frame_attention:
            raise GenbError("--cross-frame-attention works on whole frames; --per-person crops have no key frame to attend to",
                            "drop --per-person (the whole-image pass gets it), or drop --cross-frame-attention")
        if not self.per_person and (self.detail or self.save_crops):
            raise GenbError("--detail and --save-crops work on person crops: they need --per-person",
                            "add --per-person (or drop --detail / --save-crops)")

    @property
    def crop_noise(self) -> float:
        """Per-person mode: the strength of the person crops (--noise-person, else --noise)."""
        return self.noise if self.noise_person is None else self.noise_person

    @property
    def detail_strength(self) -> float:
        """Per-person mode: the strength of the face/hand crops (--detail-noise, else the crops')."""
        return self.crop_noise if self.detail_noise is None else self.detail_noise

    def whole_image_config(self) -> "EnhanceConfig":
        """The config of the whole-image pass: itself, or without the per-person settings in per-person mode
        (there --noise-person is the crops' strength, not a region of the whole image)."""
        if not self.per_person:
            return self
        return dataclasses.replace(self, noise_person=None, per_person=False, detail=(), save_crops=False)

    def crop_config(self, strength: float) -> "EnhanceConfig":
        """The config of a crop pass at ``strength``: a plain (one-region) pass of the same models."""
        return dataclasses.replace(self, noise=strength, noise_person=None, per_person=False, detail=(),
                                   save_crops=False, cross_frame_attention=False, batch_size=self.person_batch_size, check=False)

    def per_control(self, name: str) -> list[float]:
        """``control_scales`` / ``control_start`` / ``control_end`` with one value per control."""
        values = list(getattr(self, name))
        if len(values) == 1:
            values = values * len(self.controls)
        if len(values) != len(self.controls):
            flag = "--" + name.replace("_", "-")
            raise GenbError(f"{flag} has {len(values)} values for {len(self.controls)} controls ({','.join(self.controls)})",
                            "give one value for all, or one per control in --controls order")
        return [float(v) for v in values]

    @property
    def needs_model(self) -> bool:
        """False when every region's strength is 0: the outputs are the renders, no model is loaded."""
        if self.per_person:
            return max(self.noise, self.crop_noise, self.detail_strength if self.detail else 0.0) > 0.0
        return max(self.noise, self.noise_person or 0.0) > 0.0
