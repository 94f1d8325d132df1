"""``genb enhance RUN --noise 0.4``: re-render a run's samples with a noise-conditioned ControlNet img2img.

Every sample's render is noised to strength ``s`` and denoised by a diffusers
ControlNet img2img pipeline conditioned on the sample's control maps (depth,
normals, OpenPose by default) and a prompt built from its scene recipe. Outputs::

    RUN/enhanced/noise-<s>/NNNNNN.png    (H, W, 3) uint8 RGB, same size and pixel grid as the render
    RUN/enhanced/noise-<s>/NNNNNN.json   provenance: models + commits, seed, strength, steps run, controls, prompt
    RUN/enhanced/noise-<s>/enhance.yaml  resolved config, command line, package versions

:class:`EnhanceStage` holds the pipeline (loaded once per process);
:func:`run_enhance` does this process's share of a run (``RANK``/``WORLD_SIZE``),
skipping samples already done. Sample ``i`` uses a torch generator seeded from
``(seed, i)`` only and goes through the pipeline in its own fixed-shape call, so its
bytes do not depend on the batch it falls in or on the number of processes (at one
thread count: docs/architecture.md, "Same bytes").
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from genb.config import add_config_arguments, config_from_args
from genb.enhance.config import CONTROL_FILES, RUNTIME_FIELDS, EnhanceConfig
from genb.enhance.inputs import EnhanceInput
from genb.core.records.enhance import EnhanceRecord
from genb.enhance.prompts import load_templates
from genb.enhance.regions import RegionHold, RegionPlan, StepCounter, latent_weights, person_mask
from genb.enhance.schedule import steps_for
from genb.errors import GenbError
from genb.core.log import get_logger, progress
from genb.core.io import atomic_write_bytes, png_bytes, png_size
from genb.core.records.run import image_sizes
from genb.core.run import RunFolder, is_sample_name
from genb.core.resume import digest_files
from genb.core.runner import StageContext, StageSpec, run_stage
from genb.core.seeds import sample_seed
from genb.core.dist import cpu_threads

__all__ = ["EnhanceConfig", "EnhanceStage", "EnhanceInput", "EnhanceOutput", "EnhanceSummary", "run_enhance",
           "add_arguments", "run"]

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
        and scheduling only.
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
        """One sample through the pipeline, alone: its (H, W, 3) uint8 image, its record and its
        (1, C, h, w) float32 final latents (None if the loop ran no step)."""
        import torch

        cfg, plan, pipe = self.cfg, self.plan, self.loaded.pipe
        H, W = s.image.shape[:2]
        # 2. Pad to a size the UNet takes (crop back after), as (1, 3, H, W) tensors in [0, 1].
        Hp, Wp = (math.ceil(H / self.multiple) * self.multiple, math.ceil(W / self.multiple) * self.multiple)
        pad = ((0, Hp - H), (0, Wp - W), (0, 0))

        def tensor(image: np.ndarray, mode: str) -> Any:
            arr = np.pad(image, pad, mode=mode) if (Hp, Wp) != (H, W) else image
            return torch.from_numpy(np.ascontiguousarray(arr)[None]).permute(0, 3, 1, 2).float().div_(255.0)

        image = tensor(s.image, "reflect")
        controls = [tensor(c, "constant") for c in s.controls]
        # 3. The sample's own generator, seeded from (seed, index) only.
        generator = torch.Generator("cpu").manual_seed(sample_torch_seed(self.seed, s.index) if s.torch_seed is None
                                                       else s.torch_seed)
        # 4. Region-aware mode: the held region's weight on the latent grid.
        mask = None
        if plan.held:
            mask = person_mask(s.instances, cfg.region_dilate)
            f = pipe.vae_scale_factor
            weights = latent_weights(np.pad(mask, pad[:2], mode="edge"), (Hp // f, Wp // f))[None]
            if plan.held == "background":
                weights = 1.0 - weights
            callback = RegionHold(plan, torch.from_numpy(weights)[:, None])
        else:
            callback = StepCounter()
        # 5. The pipeline.
        kwargs = dict(
            prompt=[s.prompt], negative_prompt=[cfg.negative_prompt],
            image=image, control_image=controls if len(controls) > 1 else controls[0],
            strength=plan.pipeline_strength, num_inference_steps=self.num_inference_steps,
            guidance_scale=cfg.guidance_scale, height=Hp, width=Wp, generator=[generator],
            controlnet_conditioning_scale=self.scales if len(self.scales) > 1 else self.scales[0],
            control_guidance_start=self.starts if len(self.starts) > 1 else self.starts[0],
            control_guidance_end=self.ends if len(self.ends) > 1 else self.ends[0],
            callback_on_step_end=callback, output_type="np",
        )
        with torch.inference_mode(), contextlib.ExitStack() as hooks:
            if isinstance(callback, RegionHold):
                hooks.enter_context(callback.capture(pipe))
            if self.noise_source is not None:  # a sequence: noise warped along the flow (genb.sequence.noise)
                hooks.enter_context(self.noise_source.override(pipe, [s]))
            out = pipe(**kwargs).images
        # 6. Back to uint8 at the render's size; a region at strength 0 gets the render's pixels back.
        img = (np.clip(out[0, :H, :W], 0.0, 1.0) * 255.0).round().astype(np.uint8)
        if mask is not None:
            if cfg.noise_person == 0.0:
                img[mask] = s.image[mask]
            elif cfg.noise == 0.0:
                img[~mask] = s.image[~mask]
        latents = callback.latents.float().cpu().numpy() if callback.latents is not None else None
        return img, self.record(s.index, s.prompt, callback.steps), latents


# ----------------------------------------------------------------------------- running a whole run


@dataclasses.dataclass
class EnhanceSummary:
    """What :func:`run_enhance` did in this process."""

    out_dir: Path
    """RUN/enhanced/noise-<s>."""
    enhanced: int
    """Samples written by this process."""
    skipped: int
    """Samples of this process's share that were already done."""
    seconds: float
    """Wall time of this process's share, model loading included."""
    steps_run: int
    """Denoising steps per sample."""

    @property
    def images_per_second(self) -> float:
        return self.enhanced / self.seconds if self.seconds > 0 else float("nan")


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


def _is_done(out_dir: Path, name: str) -> bool:
    return (out_dir / f"{name}.json").is_file() and (out_dir / f"{name}.png").is_file()


def _batches(run: RunFolder, ids: list[int], size: int) -> list[list[int]]:
    """The run's batches, formed from fixed positions: ``index // size``, split by image size.

    A batch is the same samples whatever the number of ranks, ``--limit`` or what is
    done already, so each sample's bytes do not depend on how the run was split or resumed
    (a batch with any sample to do is computed whole; only the missing ones are written).
    """
    groups: dict[tuple[int, tuple[int, int]], list[int]] = {}
    sizes = image_sizes(run.manifest)
    for i in ids:
        path = run.sample_dir(i) / "image.png"
        hw = _image_size(path)
        if hw not in sizes:  # a replaced render of another size would be enhanced beside maps of the run's
            run.sized(np.empty((*hw, 0), np.uint8), path)  # raises the run's one error for a wrong size
        groups.setdefault((i // size, hw), []).append(i)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0], groups[k][0]))]


def _image_size(path: Path) -> tuple[int, int]:
    """(H, W) of a PNG from its header (no decoding); a missing or non-PNG file is one clear error."""
    width, height = png_size(path)
    return height, width


def _write(out_dir: Path, name: str, image: np.ndarray, record: dict[str, Any]) -> None:
    atomic_write_bytes(out_dir / f"{name}.png", png_bytes(image))
    EnhanceRecord.from_json(record).write(out_dir / f"{name}.json")  # written last: marks the sample done


def input_digests(cfg: EnhanceConfig) -> dict[str, str]:
    """Content digests of the input files that shape an enhanced image: the prompt template file
    (model weights are recorded by revision in each provenance record)."""
    template = cfg.prompt_template
    if template and template.endswith((".yaml", ".yml")) and Path(template).is_file():
        return {"prompt_template": digest_files([template])}
    return {}


def run_enhance(run: RunFolder | str | Path, cfg: EnhanceConfig) -> EnhanceSummary:
    """Enhance this process's share of ``run`` at ``cfg.noise``; samples already done are skipped."""
    start = time.perf_counter()
    run = RunFolder(run) if not isinstance(run, RunFolder) else run
    # 1. The run and what to enhance: batches formed from fixed positions (a batch is the same
    #    samples whatever the number of ranks, --limit or what is already done).
    run.require()
    cfg.validate()
    out_dir = run.enhanced_dir(cfg.noise)
    all_ids = run.sample_ids()
    if not all_ids:
        raise GenbError(f"{run.root} has no samples", f"run `genb render {run.root}` first")
    ids = all_ids[: cfg.limit] if cfg.limit is not None else all_ids
    wanted = set(ids)
    seed = int(run.manifest.get("seed", 0))

    def to_write(batch: list[int]) -> list[int]:
        return [i for i in batch if i in wanted and not _is_done(out_dir, run.sample_name(i))]

    state: dict[str, Any] = {}

    def setup(ctx: StageContext) -> None:
        # 2. The models, on this rank's device (a missing one stops here, before anything is written).
        stage_cfg = dataclasses.replace(cfg.whole_image_config(), device=ctx.device)
        state["stage"] = get_stage(stage_cfg, seed)
        state["stage"].noise_source = _noise_source(run, cfg, state["stage"])
        if cfg.per_person:
            from genb.enhance.per_person import PersonPass

            state["person"] = PersonPass(dataclasses.replace(cfg, device=ctx.device), seed, get_stage)
        if state["stage"].loaded is not None and state["stage"].loaded.tiny:
            logger.warning("WARNING: %s", TINY_WARNING)

    def work(ctx: StageContext, batches: list[list[int]]) -> int:
        todo = [i for b in batches for i in to_write(b)]
        logger.info("enhancing %d of %d samples at noise %.2f into %s (%d process(es))",
                    len(todo), len(ids), cfg.noise, out_dir, ctx.ranks.world)
        written = _enhance_batches(run, out_dir, cfg, batches, to_write, state["stage"], state.get("person"))
        if state.get("person") is not None:
            state["person"].finish(out_dir, lambda name: _is_done(out_dir, name))
        return written

    def outputs_exist() -> bool:
        return out_dir.is_dir() and any(p.suffix == ".png" and is_sample_name(p.stem) for p in out_dir.iterdir())

    ran = run_stage(StageSpec(
        name="enhance", folder=out_dir, record="enhance.yaml", config=cfg,
        items=lambda: [b for b in _batches(run, all_ids, cfg.batch_size) if wanted.intersection(b)],
        is_done=lambda b: not to_write(b), setup=setup, work=work, keep=RUNTIME_FIELDS,
        inputs=lambda: input_digests(cfg), outputs_exist=outputs_exist, device=cfg.device,
        missing=lambda: sum(not _is_done(out_dir, run.sample_name(i)) for i in ids),
        what=f"enhanced images in {out_dir}",
    ))
    mine = sum(len(wanted.intersection(b)) for b in ran.plan.mine)
    written = ran.result or 0
    stage = state.get("stage")
    steps = stage.plan.steps_run if stage is not None and stage.loaded is not None else 0
    summary = EnhanceSummary(out_dir, written, mine - written, time.perf_counter() - start, steps)
    done = len(ids) - sum(not _is_done(out_dir, run.sample_name(i)) for i in ids)
    logger.info("done: %d enhanced, %d skipped in %.1f s (%.2f images/s, %d steps each); %d/%d samples in %s",
                summary.enhanced, summary.skipped, summary.seconds, summary.images_per_second, summary.steps_run,
                done, len(ids), out_dir)
    # 3. Optionally check, once every rank is done.
    if cfg.check:
        if ran.complete:
            _run_check(run, cfg)
        else:
            logger.warning("--check: not every sample is enhanced yet (another rank is still running); run "
                           "`genb check %s --noise %s` once every rank has finished", run.root, cfg.noise)
    return summary


def _noise_source(run: RunFolder, cfg: EnhanceConfig, stage: EnhanceStage) -> Any:
    """A sequence's frames with --noise-warp: the warped noise chain (genb.sequence.noise); else None."""
    from genb.sequence.noise import NoiseWarper, is_sequence_run

    if not cfg.noise_warp or stage.loaded is None or not is_sequence_run(run):
        return None
    return NoiseWarper(run, stage.seed, stage.loaded.pipe.vae_scale_factor)


def _enhance_batches(run: RunFolder, out_dir: Path, cfg: EnhanceConfig, batches: list[list[int]],
                     to_write: Any, stage: EnhanceStage, person: Any) -> int:
    """Enhance ``batches`` batch by batch; reading the next batch and PNG encoding overlap the compute.

    A batch is computed whole and only its members ``to_write`` gives are written. Returns how many.
    """
    written = 0
    total = sum(len(to_write(b)) for b in batches)
    pending: list[concurrent.futures.Future] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        reads = pool.submit(_read_batch, run, batches[0], cfg, stage.templates, person)
        bar = progress(total=total, desc=f"enhance {cfg.noise:.2f}", iterable=None)
        for b in range(len(batches)):
            inputs = reads.result()
            if b + 1 < len(batches):
                reads = pool.submit(_read_batch, run, batches[b + 1], cfg, stage.templates, person)
            out = stage(inputs)
            if person is not None:  # --per-person: the crops, pasted onto the whole-image result
                out = person(out_dir, inputs, out)
            write = set(to_write(batches[b]))
            for s, image, record in zip(inputs, out.images, out.records):
                if s.index not in write:
                    continue  # computed to keep the batch whole; already done (or beyond --limit)
                pending.append(pool.submit(_write, out_dir, run.sample_name(s.index), image, record))
            while pending and (pending[0].done() or len(pending) > 2 * cfg.batch_size):
                pending.pop(0).result()  # raises a write error here; bounds the images held in memory
            written += len(write)
            bar.update(len(write))
        for f in pending:
            f.result()
        bar.close()
    return written


def _read_batch(run: RunFolder, indices: list[int], cfg: EnhanceConfig, templates: dict[str, Any],
                person: Any = None) -> list[EnhanceInput]:
    inputs = [EnhanceInput.read(run, i, cfg.whole_image_config(), templates) for i in indices]
    if person is not None:  # --per-person: the sample's labels, masks and controls, and its crops planned
        from genb.enhance.per_person import PersonData

        for s in inputs:
            s.people = PersonData.read(run, s.index, cfg, render=s.image)
            person.prepare(s.index, s.people)
    return inputs


def _run_check(run: RunFolder, cfg: EnhanceConfig) -> None:
    """``--check``: run the checker at the same noise level (genb.check is imported only now)."""
    try:
        from genb.check.stage import CheckConfig, run_check
    except ImportError as e:
        raise GenbError(f"--check needs the checker (genb.check), which is not available here ({e})",
                        f"run `genb check {run.root} --noise {cfg.noise}` once it is installed, or drop --check") from None
    from genb.config import resolve_config

    run_check(run, resolve_config(CheckConfig, "check", cfg.check_preset, {"noise": cfg.noise}))


# ----------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run folder written by `genb render`")
    parser.add_argument("--preset", default=None,
                        help="a preset of configs/enhance/ (sd15 = default models, sdxl, tiny = random weights) or a YAML file")
    add_config_arguments(parser, EnhanceConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(EnhanceConfig, "enhance", args)
    if (Path(args.run) / "sequences.json").is_file():  # a sequence run: each sequence's frames (genb.sequence)
        from genb.show.sequence import sequence_folders

        for folder in sequence_folders(Path(args.run)):
            run_enhance(RunFolder(folder), cfg)
        from genb.sequence.noise import flicker_report

        report = flicker_report(args.run, cfg.noise)
        if "mean" in report:
            logger.info("flicker (mean |frame - next frame warped back by the flow|, 0..255): render %.2f, "
                        "enhanced %.2f", report["mean"]["render"], report["mean"]["enhanced"])
        return 0
    run_enhance(RunFolder(args.run), cfg)
    return 0
