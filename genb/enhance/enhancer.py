"""The enhancer: a noise-conditioned ControlNet img2img pipeline over batches of samples.

:class:`EnhanceStage` holds the pipeline (loaded once per process; :func:`get_stage` keeps it
keyed on what was loaded, so a sweep over noise levels loads it once) and enhances a batch of
:class:`~genb.enhance.inputs.EnhanceInput`: sample ``i`` uses a torch generator seeded from
``(seed, i)`` only and goes through the pipeline in its own fixed-shape call, so its bytes do
not depend on the batch it falls in (docs/architecture.md, "Same bytes"). The run over a run
folder is :mod:`genb.enhance.stage`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np

from genb.core.dist import cpu_threads
from genb.core.log import get_logger
from genb.core.seeds import sample_seed
from genb.enhance.config import CONTROL_FILES, EnhanceConfig
from genb.enhance.inputs import EnhanceInput
from genb.enhance.prompts import load_templates
from genb.enhance.regions import RegionHold, RegionPlan, StepCounter, latent_weights, person_mask
from genb.enhance.schedule import steps_for

logger = get_logger(__name__)

TINY_WARNING = ("the tiny preset uses a random-weight model: its images are NOISE, not enhanced renders. "
                "It is for smoke runs, tests and benchmarks; use --preset sd15 (or sdxl) for real images")


@dataclasses.dataclass
class EnhanceOutput:
    """What one call of :class:`EnhanceStage` made."""

    images: list[np.ndarray]
    """(H, W, 3) uint8 RGB per sample, same size as its render."""
    records: list[dict[str, Any]]
    """Provenance per sample (written as NNNNNN.json)."""
    latents: Any = None
    """(B, C, h, w) float32 numpy: the final latents before decoding (padded grid); None when no model ran."""


def sample_torch_seed(seed: int, index: int) -> int:
    """The torch generator seed of sample ``index``: depends only on ``(seed, index)``."""
    return int(sample_seed(seed, index, "enhance").generate_state(1, np.uint64)[0] % (2**63 - 1))


class EnhanceStage:
    """The ControlNet img2img re-renderer. Loads the pipeline once; call it on batches.

    Args:
        cfg: the resolved config.
        seed: seed of the per-sample noise (the run's seed unless ``cfg.seed`` is set).
        loaded: an already loaded :class:`~genb.enhance.models.LoadedPipeline` to use
            (else it is loaded here when ``cfg`` needs a model).
    """

    noise_source: Any = None
    """A sequence run's :class:`genb.sequence.noise.NoiseWarper` (None: each sample's own noise)."""
    key_frame: EnhanceInput | None = None
    """With --cross-frame-attention on a sequence: the key frame every other frame attends to (None: off)."""

    def __init__(self, cfg: EnhanceConfig, seed: int = 0, loaded: Any = None):
        import torch

        self.cfg = cfg
        self.seed = cfg.seed if cfg.seed is not None else seed
        self.templates = load_templates(cfg.prompt_template)
        # 1. The schedule: full length and steps run at the pipeline's (largest) strength.
        top = max(cfg.noise, cfg.noise_person if cfg.noise_person is not None else cfg.noise)
        self.num_inference_steps = steps_for(cfg.steps_run, top) if cfg.steps_run and top > 0 else cfg.steps
        self.plan = RegionPlan.make(cfg.noise, cfg.noise_person if cfg.noise_person is not None else cfg.noise,
                                    self.num_inference_steps)
        # 2. The pipeline (not when nothing is denoised).
        self.loaded = None
        if cfg.needs_model and self.plan.steps_run > 0:
            from genb.enhance.models import load_pipeline

            self.loaded = loaded if loaded is not None else load_pipeline(cfg)
            if self.loaded.tiny and loaded is None:
                logger.warning("WARNING: %s", TINY_WARNING)
            pipe = self.loaded.pipe
            self.multiple = pipe.vae_scale_factor * 2 ** (len(pipe.unet.config.block_out_channels) - 1)
            self.scales = cfg.per_control("control_scales")
            self.starts = cfg.per_control("control_start")
            self.ends = cfg.per_control("control_end")
            self.models = [s.record() for s in self.loaded.sources]
            threads = cpu_threads(cfg.threads, self.loaded.device)
            if threads is not None:
                torch.set_num_threads(threads)

    def record(self, index: int, prompt: str, steps: int) -> dict[str, Any]:
        """The provenance of one sample."""
        cfg = self.cfg
        rec: dict[str, Any] = {
            "index": index, "noise": cfg.noise, "strength": self.plan.pipeline_strength,
            "seed": self.seed, "torch_seed": sample_torch_seed(self.seed, index),
            "steps_run": steps, "num_inference_steps": self.num_inference_steps,
            "prompt": prompt, "negative_prompt": cfg.negative_prompt, "guidance_scale": cfg.guidance_scale,
            "region_mode": cfg.noise_person is not None and cfg.noise_person != cfg.noise,
        }
        if rec["region_mode"]:
            rec["region"] = {"noise_person": cfg.noise_person, "noise_background": cfg.noise,
                             "dilate_px": cfg.region_dilate, "held": self.plan.held,
                             "steps_run": self.plan.region_steps() if steps else {"person": 0, "background": 0}}
        if self.loaded is not None and steps:
            rec.update({
                "architecture": cfg.architecture, "models": self.models,
                "scheduler": type(self.loaded.pipe.scheduler).__name__,
                "dtype": str(self.loaded.dtype).replace("torch.", ""), "device": self.loaded.device,
                "controls": [{"name": c, "file": CONTROL_FILES[c] + ".png", "scale": s, "start": a, "end": b}
                             for c, s, a, b in zip(cfg.controls, self.scales, self.starts, self.ends)],
                "random_weights": self.loaded.tiny,
            })
        else:
            rec["note"] = "noise 0 (or 0 steps): the render, unchanged; no model was run"
        return rec

    def __call__(self, batch: list[EnhanceInput]) -> EnhanceOutput:
        """Enhance samples of the same image size.

        Each sample goes through the pipeline in its own call of one fixed shape (one image, its
        controls, its prompt and the negative prompt), whatever the batch holds: the kernels a
        BLAS picks depend on the batch dimension, so a sample's bytes would otherwise depend on
        its batch (docs/architecture.md, "Same bytes"). The batch is a unit of reading, writing
        and scheduling only. (With --cross-frame-attention a frame's call is ``[key frame, frame]``,
        again one fixed shape whatever the batch.)
        """
        # 1. Nothing to denoise: the renders as they are.
        if self.loaded is None:
            return EnhanceOutput([s.image.copy() for s in batch], [self.record(s.index, s.prompt, 0) for s in batch])
        H, W = batch[0].image.shape[:2]
        if any(s.image.shape[:2] != (H, W) for s in batch):
            raise ValueError("a batch must hold samples of one image size")
        done = [self._enhance_one(s) for s in batch]
        latents = [lat for _, _, lat in done]
        return EnhanceOutput([img for img, _, _ in done], [rec for _, rec, _ in done],
                             np.concatenate(latents) if all(lat is not None for lat in latents) else None)

    def _enhance_one(self, s: EnhanceInput) -> tuple[np.ndarray, dict[str, Any], np.ndarray | None]:
        """One sample through the pipeline: its (H, W, 3) uint8 image, its record and its
        (1, C, h, w) float32 final latents (None if the loop ran no step).

        Alone (batch 1); with cross-frame attention (:attr:`key_frame` set) a frame other than the
        key frame goes in a call of batch 2 ``[key frame, frame]`` (genb.enhance.cross_frame).
        """
        key = self.key_frame
        paired = key is not None and s.torch_seed is None and s.index != key.index
        img, steps, latents = self._call([key, s] if paired else [s])
        record = self.record(s.index, s.prompt, steps)
        if key is not None and s.torch_seed is None and steps:
            record["cross_frame"] = {"key_frame": key.index, "paired": paired}
        return img, record, latents

    def _call(self, rows: list[EnhanceInput]) -> tuple[np.ndarray, int, np.ndarray | None]:
        """``rows`` (one image size) through the pipeline in one call; the last row's (H, W, 3) uint8
        image, the steps run and its (1, C, h, w) float32 final latents (None if no step ran)."""
        import torch

        cfg, plan, pipe = self.cfg, self.plan, self.loaded.pipe
        s = rows[-1]
        H, W = s.image.shape[:2]
        # 2. Pad to a size the UNet takes (crop back after), as (B, 3, H, W) tensors in [0, 1].
        Hp, Wp = (math.ceil(H / self.multiple) * self.multiple, math.ceil(W / self.multiple) * self.multiple)
        pad = ((0, Hp - H), (0, Wp - W), (0, 0))

        def tensor(images: list[np.ndarray], mode: str) -> Any:
            arr = np.stack([np.pad(i, pad, mode=mode) if (Hp, Wp) != (H, W) else i for i in images])
            return torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2).float().div_(255.0)

        image = tensor([r.image for r in rows], "reflect")
        controls = [tensor([r.controls[c] for r in rows], "constant") for c in range(len(s.controls))]
        # 3. Each row's own generator, seeded from (seed, index) only.
        generators = [torch.Generator("cpu").manual_seed(sample_torch_seed(self.seed, r.index) if r.torch_seed is None
                                                         else r.torch_seed) for r in rows]
        # 4. Region-aware mode: the held region's weight on the latent grid.
        mask = None
        if plan.held:
            f = pipe.vae_scale_factor
            masks = [person_mask(r.instances, cfg.region_dilate) for r in rows]
            mask = masks[-1]
            weights = np.stack([latent_weights(np.pad(m, pad[:2], mode="edge"), (Hp // f, Wp // f)) for m in masks])
            if plan.held == "background":
                weights = 1.0 - weights
            callback = RegionHold(plan, torch.from_numpy(weights)[:, None])
        else:
            callback = StepCounter()
        # 5. The pipeline.
        kwargs = dict(
            prompt=[r.prompt for r in rows], negative_prompt=[cfg.negative_prompt] * len(rows),
            image=image, control_image=controls if len(controls) > 1 else controls[0],
            strength=plan.pipeline_strength, num_inference_steps=self.num_inference_steps,
            guidance_scale=cfg.guidance_scale, height=Hp, width=Wp, generator=generators,
            controlnet_conditioning_scale=self.scales if len(self.scales) > 1 else self.scales[0],
            control_guidance_start=self.starts if len(self.starts) > 1 else self.starts[0],
            control_guidance_end=self.ends if len(self.ends) > 1 else self.ends[0],
            callback_on_step_end=callback, output_type="np",
        )
        with torch.inference_mode(), contextlib.ExitStack() as hooks:
            if isinstance(callback, RegionHold):
                hooks.enter_context(callback.capture(pipe))
            if self.noise_source is not None:  # a sequence: noise warped along the flow (genb.sequence.noise)
                hooks.enter_context(self.noise_source.override(pipe, rows))
            if len(rows) == 2:  # [key frame, frame]: cross-frame attention (genb.enhance.cross_frame)
                from genb.enhance.cross_frame import key_frame_attention

                hooks.enter_context(key_frame_attention(pipe))
            out = pipe(**kwargs).images
        # 6. Back to uint8 at the render's size; a region at strength 0 gets the render's pixels back.
        img = (np.clip(out[-1, :H, :W], 0.0, 1.0) * 255.0).round().astype(np.uint8)
        if mask is not None:
            if cfg.noise_person == 0.0:
                img[mask] = s.image[mask]
            elif cfg.noise == 0.0:
                img[~mask] = s.image[~mask]
        latents = callback.latents[-1:].float().cpu().numpy() if callback.latents is not None else None
        return img, callback.steps, latents


_MODEL_FIELDS = ("architecture", "base_model", "base_revision", "vae_model", "controls", "depth_model", "normal_model",
                 "pose_model", "seg_model", "edges_model", "control_models", "scheduler", "device", "dtype", "attention",
                 "channels_last", "compile", "model_dir", "offline")
_LOADED: dict[tuple, Any] = {}


def get_stage(cfg: EnhanceConfig, seed: int) -> EnhanceStage:
    """An :class:`EnhanceStage` for ``cfg``; the models are loaded once per process and kept
    (a sweep calling :func:`run_enhance` at several noise levels loads them once)."""
    if not cfg.needs_model:
        return EnhanceStage(cfg, seed, loaded=None)
    # keyed on what is loaded: every model field and each control's resolved ControlNet
    key = tuple(str(getattr(cfg, f)) for f in _MODEL_FIELDS) + tuple(str(cfg.control_model(c)) for c in cfg.controls)
    if key not in _LOADED:
        from genb.enhance.models import load_pipeline

        _LOADED.clear()  # one set of models in memory at a time
        _LOADED[key] = load_pipeline(cfg)
    return EnhanceStage(cfg, seed, loaded=_LOADED[key])
