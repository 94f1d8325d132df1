"""``genb enhance RUN --noise 0.4``: re-render a run's samples with a noise-conditioned ControlNet img2img.

Every sample's render is noised to strength ``s`` and denoised by a diffusers
ControlNet img2img pipeline conditioned on the sample's control maps (depth,
normals, OpenPose by default) and a prompt built from its scene recipe. Outputs::

    RUN/enhanced/noise-<s>/NNNNNN.png    (H, W, 3) uint8 RGB, same size and pixel grid as the render
    RUN/enhanced/noise-<s>/NNNNNN.json   provenance: models + commits, seed, strength, steps run, controls, prompt
    RUN/enhanced/noise-<s>/enhance.yaml  resolved config, command line, package versions

:class:`~genb.enhance.enhancer.EnhanceStage` holds the pipeline (loaded once per process);
:func:`run_enhance` does this process's share of a run (``RANK``/``WORLD_SIZE``),
skipping samples already done. Sample ``i`` uses a torch generator seeded from
``(seed, i)`` only and goes through the pipeline in its own fixed-shape call, so its
bytes do not depend on the batch it falls in or on the number of processes (at one
thread count: docs/architecture.md, "Same bytes").
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from genb.config import add_config_arguments, config_from_args
from genb.core.io import atomic_write_bytes, png_bytes, png_size
from genb.core.log import get_logger, progress
from genb.core.records import sequence as seq_records
from genb.core.records.enhance import EnhanceRecord
from genb.core.records.run import image_sizes
from genb.core.resume import digest_files
from genb.core.run import RunFolder, is_sample_name
from genb.core.runner import StageContext, StageSpec, run_stage
from genb.enhance.config import RUNTIME_FIELDS, EnhanceConfig
from genb.enhance.enhancer import TINY_WARNING, EnhanceOutput, EnhanceStage, get_stage
from genb.enhance.inputs import EnhanceInput
from genb.errors import GenbError

__all__ = ["EnhanceConfig", "EnhanceStage", "EnhanceInput", "EnhanceOutput", "EnhanceSummary", "run_enhance",
           "add_arguments", "run"]

logger = get_logger(__name__)

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
    mine: list[int] = dataclasses.field(default_factory=list)
    """The samples of this process's share (written now or before)."""

    @property
    def images_per_second(self) -> float:
        return self.enhanced / self.seconds if self.seconds > 0 else float("nan")


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
    _require_sequence(run, cfg)
    out_dir = run.enhanced_dir(cfg.noise)
    all_ids = run.sample_ids()
    if not all_ids:
        raise GenbError(f"{run.root} has no samples", f"run `genb render {run.root}` first")
    ids = all_ids[: cfg.limit] if cfg.limit is not None else all_ids
    wanted = set(ids)
    seed = run.manifest.seed

    def to_write(batch: list[int]) -> list[int]:
        return [i for i in batch if i in wanted and not _is_done(out_dir, run.sample_name(i))]

    state: dict[str, Any] = {}

    def setup(ctx: StageContext) -> None:
        # 2. The models, on this rank's device (a missing one stops here, before anything is written).
        stage_cfg = dataclasses.replace(cfg.whole_image_config(), device=ctx.device)
        state["stage"] = get_stage(stage_cfg, seed)
        state["stage"].noise_source = _noise_source(run, cfg, state["stage"])
        state["stage"].key_frame = _key_frame(run, all_ids, cfg, state["stage"])
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
    summary = EnhanceSummary(out_dir, written, mine - written, time.perf_counter() - start, steps,
                             sorted(i for b in ran.plan.mine for i in b if i in wanted))
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


def _require_sequence(run: RunFolder, cfg: EnhanceConfig) -> None:
    """--cross-frame-attention off a sequence's frames: one clear error (nothing is written)."""
    from genb.sequence.noise import is_sequence_run

    if cfg.cross_frame_attention and not is_sequence_run(run):
        raise GenbError(f"--cross-frame-attention works on a sequence's frames; {run.root} is not a sequence",
                        "give a run of `genb render --frames T` (or one of its sequences/NNNNNN), "
                        "or drop --cross-frame-attention")


def _key_frame(run: RunFolder, ids: list[int], cfg: EnhanceConfig, stage: EnhanceStage) -> EnhanceInput | None:
    """--cross-frame-attention: the sequence's first frame, read once (None when off or no model runs)."""
    if not cfg.cross_frame_attention or stage.loaded is None:
        return None
    return EnhanceInput.read(run, ids[0], cfg.whole_image_config(), stage.templates)


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
        from genb.enhance.person_tasks import PersonData

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
    if seq_records.is_sequence_run(args.run):  # a sequence run: each sequence's frames (genb.sequence)
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
