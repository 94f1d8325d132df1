"""``genb check RUN --noise 0.4``: measure how far enhanced samples drifted from their ground truth.

For every enhanced image ``RUN/enhanced/noise-<s>/NNNNNN.png`` the checker
measures, per person in their ground-truth box:

* ``keypoints``: a 2D pose estimator (ViTPose by default) on the enhanced image
  against the projected ground truth: ``keypoint_drift`` (mean error / box size)
  and ``pck`` (fraction within ``pck_alpha`` * box size);
* ``relative``: the same estimator on the original render against the enhanced
  image: ``relative_drift``, what the diffusion moved, not the estimator's error;
* ``mask``: SAM prompted with the box on the enhanced image against the
  ground-truth mask: ``mask_iou``;
* ``flow``: OpenCV dense optical flow render -> enhanced inside the ground-truth
  mask: ``flow_drift`` (mean displacement / box size); no learned weights.

It writes ``check/NNNNNN.json`` with the scores and the decision (rules in
:mod:`genb.check.decide`), then ``summary.csv``, ``summary.json`` and
``summary.png`` (:mod:`genb.check.summary`).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from genb.core.records.sequence import is_sequence_run
from genb.check.checker import Checker
from genb.check.config import CHECK_RUNTIME_FIELDS, CheckConfig
from genb.core.records.check import CheckRecord, read_decisions
from genb.check.summary import CheckSummary, write_summary
from genb.config import add_config_arguments, config_from_args, resolve_config
from genb.errors import GenbError
from genb.core.log import get_logger, progress
from genb.core.run import RunFolder, numbered
from genb.core.dist import cpu_threads
from genb.core.runner import StageContext, StageSpec, run_stage
from genb.sequence.gate import gate_sequence, is_sequence

__all__ = ["CheckConfig", "Checker", "run_check", "accepted_ids", "load_config", "add_arguments", "run"]

logger = get_logger(__name__)

def run_check(run: RunFolder | str, cfg: CheckConfig, checker: Checker | None = None,
              command: list[str] | None = None, ids: list[int] | None = None) -> CheckSummary:
    """Check every enhanced sample of one noise level (resumable, sharded by rank).

    Args:
        run: the run folder.
        cfg: the check config (``cfg.noise`` selects ``enhanced/noise-<s>/``).
        checker: a ready :class:`Checker` (else built from ``cfg``; reused by callers that
            check several noise levels).
        command: the command line to record in ``check.yaml``.
        ids: check exactly these samples in this process instead of this rank's share of the
            enhanced images (the sweep: what this rank just enhanced, so a job array's ranks
            check every sample whatever order they start in).

    Returns:
        The :class:`~genb.check.summary.CheckSummary` of every decision in the check folder
        (written to ``summary.csv``/``summary.json``/``summary.png`` by rank 0).
    """
    run = RunFolder(run) if not isinstance(run, RunFolder) else run
    run.require()
    enhanced_dir = run.enhanced_dir(cfg.noise)
    enhanced_ids = numbered(enhanced_dir, ".png")
    if not enhanced_ids:
        raise GenbError(f"no enhanced images in {enhanced_dir}",
                        f"run `genb enhance {run.root} --noise {cfg.noise}` first (or give the --noise it used)")
    check_dir = run.check_dir(cfg.noise)

    def record_path(i: int) -> Path:
        return check_dir / f"{run.sample_name(i)}.json"

    def setup(ctx: StageContext) -> Checker:
        # the checker's models load once, on this rank's device, before anything is written
        logger.info("check %s noise %.2f: %d enhanced samples, %d to check on this process",
                    run.root, cfg.noise, len(enhanced_ids), len(ctx.plan.todo))
        threads = cpu_threads(cfg.threads, ctx.device)
        if threads is not None:  # the same scores in one process or many, on any machine
            import torch

            torch.set_num_threads(threads)
        return checker if checker is not None else Checker(dataclasses.replace(cfg, device=ctx.device))

    def work(ctx: StageContext, todo: list[int]) -> int:
        for i in progress(todo, desc=f"check {cfg.noise:.2f}"):
            result = ctx.state(run.image(i), run.enhanced_image(cfg.noise, i),
                               run.labels(i), run.instances(i), sample=i)
            CheckRecord.from_json({**result.record, "noise": float(cfg.noise)}, record_path(i)).write(record_path(i))
            newly[0] += 1
        return newly[0]

    written: list[CheckSummary] = []
    newly = [0]

    def aggregate() -> None:
        if is_sequence(run):  # a sequence is accepted or rejected whole by its flicker (genb.sequence.gate)
            gate_sequence(run, cfg)
        written.append(write_summary(run, cfg.noise, num_enhanced=len(enhanced_ids), newly_checked=newly[0]))

    run_stage(StageSpec(
        name="check", folder=check_dir, record="check.yaml", config=cfg, command=command,
        items=lambda: enhanced_ids if ids is None else sorted(set(ids) & set(enhanced_ids)),
        is_done=lambda i: record_path(i).is_file(), split=ids is None,
        missing=lambda: sum(not record_path(i).is_file() for i in enhanced_ids),
        setup=setup, work=work, keep=CHECK_RUNTIME_FIELDS, device=cfg.device,
        redo=cfg.redo, redo_flag="--redo", what=f"check records in {check_dir}",
        outputs_exist=lambda: bool(numbered(check_dir, ".json")),
        aggregate=aggregate,
    ))
    summary = written[0] if written else write_summary(run, cfg.noise, num_enhanced=len(enhanced_ids), write=False)
    summary.newly_checked = newly[0]
    if written:
        logger.info("noise %.2f: %d/%d samples accepted (%.0f%%); summary in %s", cfg.noise, summary.num_accepted,
                    summary.num_checked, 100 * summary.acceptance_rate, check_dir)
    else:
        logger.info("noise %.2f: this rank's samples are checked; the summary is written once every rank is done",
                    cfg.noise)
    return summary


def accepted_ids(run: RunFolder | str, noise: float) -> list[int]:
    """Indices of the samples the checker accepted at one noise level (for packaging).

    Raises a :class:`GenbError` when the noise level was not checked.
    """
    run = RunFolder(run) if not isinstance(run, RunFolder) else run
    check_dir = run.check_dir(noise)
    decisions = read_decisions(check_dir)
    if not decisions:
        raise GenbError(f"no check decisions in {check_dir}", f"run `genb check {run.root} --noise {noise}` first")
    return sorted(i for i, ok in decisions.items() if ok)


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="the run folder (written by genb render, enhanced by genb enhance)")
    parser.add_argument("--preset", default=None,
                        help="thresholds preset: a name in configs/check/ (default, flow_only) or a YAML path")
    add_config_arguments(parser, CheckConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(CheckConfig, "check", args)
    if is_sequence_run(args.run):  # a sequence run: every sequence's frames (genb.sequence)
        from genb.sequence.gate import check_sequences

        return check_sequences(Path(args.run), cfg, run_check)
    summary = run_check(RunFolder(args.run), cfg)
    print(f"noise {cfg.noise:.2f}: accepted {summary.num_accepted}/{summary.num_checked} "
          f"({100 * summary.acceptance_rate:.1f}%) -> {summary.check_dir}")
    return 0


def load_config(preset: str | None = None, **overrides: Any) -> CheckConfig:
    """A CheckConfig from a preset (``default``, ``flow_only`` or a YAML path) and overrides."""
    return resolve_config(CheckConfig, "check", preset, overrides)
