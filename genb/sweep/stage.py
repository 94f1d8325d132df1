"""The sweep stage: enhance, check and measure each noise level, then write RUN/sweep/."""

from __future__ import annotations

import argparse
import dataclasses
import math
import shlex
from pathlib import Path
from typing import Any

import numpy as np

from genb.core.records.sequence import is_sequence_run
from genb.config import add_config_arguments, config_from_args, resolve_config
from genb.errors import GenbError
from genb.core.log import get_logger
from genb.core.records.check import CheckRecord
from genb.core.dist import pick_device
from genb.core.runner import Ranks, StageSpec, run_stage
from genb.core.records.enhance import EnhanceRecord
from genb.core.dist import dist_info
from genb.core.io import atomic_write_bytes, atomic_write_json, atomic_write_text, png_bytes, read_image
from genb.core.run import RunFolder, noise_name

from genb.sequence.gate import flicker_columns, flicker_markdown
from genb.sweep.pictures import contact_sheet, plot_png
from genb.sweep.table import Recommendation, is_missing, accuracy_row, csv_text, markdown_text, recommend

logger = get_logger(__name__)

PER_PERSON_ENHANCED = "enhanced-per-person"
"""Where the sweep's per-person arm keeps its enhanced levels (RUN/enhanced-per-person/noise-<s>/)."""

@dataclasses.dataclass
class SweepConfig:
    """What ``genb sweep`` measures and how."""

    noise: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8)
    """Noise levels (img2img strengths) to sweep, comma separated, each in 0..1."""
    reference: str | None = None
    """Folder of real photographs to measure realism (FID/KID) against; without it realism columns stay empty."""
    min_acceptance: float = 0.8
    """Acceptance-rate floor: the recommended level is the most realistic one at or above it."""
    feature_extractor: str = "inception"
    """Realism features: inception (standard FID; needs torch-fidelity, downloads weights), hf:<model id or folder>, or random-cnn[:N]."""
    fallback_extractor: str = "random-cnn"
    """Extractor used when --feature-extractor cannot be loaded (e.g. offline); none to stop with an error instead."""
    inception_weights: str | None = None
    """Local file of the FID Inception weights, for machines that cannot download them."""
    max_reference: int = 10000
    """At most this many reference images are read (sorted by path)."""
    kid_subsets: int = 100
    """Number of random subsets KID is averaged over."""
    kid_subset_size: int = 1000
    """KID subset size (capped at the size of the smaller image set)."""
    batch_size: int = 32
    """Images per feature-extractor call."""
    device: str = "auto"
    """Where realism features are computed: auto (the local GPU if any), cpu, cuda, cuda:N."""
    enhance_preset: str | None = None
    """Preset for genb enhance at every level (a name in configs/enhance/ or a YAML path)."""
    enhance_args: str = ""
    """More genb enhance flags for every level, as one string (write --enhance-args='--steps 20'); --noise is set by the sweep."""
    per_person_args: str | None = None
    """Also sweep the person-centric mode at the same levels: genb enhance --per-person plus these flags ('' for none), into RUN/enhanced-per-person/ with its own checks and RUN/sweep/per-person/; RUN/sweep/modes.csv and modes.md put both modes side by side."""
    check_preset: str | None = None
    """Preset for genb check at every level."""
    check_args: str = ""
    """More genb check flags for every level, as one string (write --check-args='...')."""
    contact_samples: int = 6
    """Rows of the contact sheet (the first samples of the run)."""
    contact_cell: int = 256
    """Longest side, in pixels, of one contact-sheet cell."""
    wait_timeout: float = 86400.0
    """Seconds rank 0 waits for the other processes' check files when no process group can be formed (job arrays)."""

    def validate(self) -> None:
        if not self.noise:
            raise GenbError("--noise is empty", "give the levels to sweep, e.g. --noise 0,0.2,0.4,0.6,0.8")
        bad = [s for s in self.noise if not 0.0 <= s <= 1.0]
        if bad:
            raise GenbError(f"noise levels must lie in 0..1, got {bad}", "use img2img strengths such as 0.2,0.4")
        if len({noise_name(s) for s in self.noise}) != len(self.noise):
            raise GenbError(f"--noise has repeated levels: {list(self.noise)}", "give each level once (2 decimals)")
        if not 0.0 <= self.min_acceptance <= 1.0:
            raise GenbError(f"--min-acceptance must lie in 0..1, got {self.min_acceptance}", "e.g. --min-acceptance 0.8")
        if self.reference is not None and not Path(self.reference).is_dir():
            raise GenbError(f"reference folder {self.reference} does not exist", "give --reference a folder of real photographs")
        for name in ("max_reference", "kid_subsets", "kid_subset_size", "batch_size", "contact_samples", "contact_cell"):
            if getattr(self, name) < 1:
                raise GenbError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")



# ----------------------------------------------------------------------------- the stage


def read_checks(run: RunFolder, noise: float, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The check records of ``ids`` at ``noise`` that exist, by sample index."""
    out = {}
    for i in ids:
        path = run.check_dir(noise) / f"{run.sample_name(i)}.json"
        if path.is_file():
            out[i] = CheckRecord.read(path).to_json()
    return out


def _stage_config(module: str, cls_name: str, stage: str, preset: str | None, args: str, noise: float):
    """Resolve a stage's config from a preset plus a flag string, with --noise set to ``noise``."""
    import importlib

    mod = importlib.import_module(module)
    cls = getattr(mod, cls_name)
    parser = argparse.ArgumentParser(prog=f"genb sweep --{stage}-args", add_help=False, exit_on_error=False)
    parser.add_argument("--preset", default=None)
    add_config_arguments(parser, cls)
    try:
        ns, unknown = parser.parse_known_args(shlex.split(args or ""))
    except argparse.ArgumentError as e:
        raise GenbError(f"--{stage}-args: {e}", f"give flags that `genb {stage}` takes") from None
    if unknown:
        raise GenbError(f"--{stage}-args has flags genb {stage} does not take: {' '.join(unknown)}",
                        f"see `genb {stage} --help`")
    overrides = {k: v for k, v in vars(ns).items() if v is not None and k != "preset"}
    overrides["noise"] = noise if noise > 0 else 1.0
    cfg = resolve_config(cls, stage, ns.preset or preset, overrides)
    # noise 0 (the un-noised baseline: enhance copies the render) is validated at a placeholder
    # level, since a stage may only accept (0, 1]; the checker measures it like any other level.
    return dataclasses.replace(cfg, noise=noise) if noise <= 0 else cfg


def _barrier(run: RunFolder, noises: list[float], ids: list[int], timeout: float) -> None:
    """Rank 0 waits until every process has finished enhance+check for every level (their files),
    under a launcher and for job arrays alike (:meth:`genb.core.runner.Ranks.finish`)."""
    ranks = Ranks.from_env()
    if ranks.world == 1 or not ranks.main:
        return

    def missing() -> int:
        return sum(len(set(ids) - set(read_checks(run, s, ids))) for s in noises)

    if not ranks.finish(missing, None, "check files", timeout=timeout, poll=min(5.0, max(0.1, timeout / 10))):
        raise GenbError(
            f"rank 0 waited {timeout:.0f}s and {missing()} check files are still missing",
            "make sure every shard ran (GENB_SHARD=i/n for all i), then run the sweep again with one process",
        )


def _enhanced_images(run: RunFolder, noise: float, ids: list[int]):
    for i in ids:
        path = run.enhanced_dir(noise) / f"{run.sample_name(i)}.png"
        if path.is_file():
            yield read_image(path)


def _provenance_steps(run: RunFolder, noise: float, ids: list[int]) -> float:
    steps = []
    for i in ids:
        path = run.enhanced_dir(noise) / f"{run.sample_name(i)}.json"
        if path.is_file():
            steps.append(float(EnhanceRecord.read(path).steps_run))
    return float(np.mean(steps)) if steps else math.nan


@dataclasses.dataclass
class SweepOutput:
    """What ``run_sweep`` measured (on rank 0; other ranks get ``rows=[]``)."""

    rows: list[dict[str, Any]]
    """One dict per noise level, the columns of sweep.csv."""
    recommendation: Recommendation | None
    """The recommended level and why."""
    extractor: str
    """Which feature extractor produced the realism numbers (or why there are none)."""
    out_dir: Path
    """RUN/sweep."""
    per_person: "SweepOutput | None" = None
    """With --per-person-args: the person-centric mode's sweep (RUN/sweep/per-person)."""


class SweepStage:
    """Enhance, check and measure a run at several noise levels.

    The feature extractor and the reference features are built once in ``__init__``
    (rank 0 only, and only with a reference folder), then reused for every level.

    Args:
        cfg: the sweep config.
        extractor: an ``nn.Module`` with ``num_features`` to use instead of ``cfg.feature_extractor``.
    """

    def __init__(self, cfg: SweepConfig, extractor: Any = None, device: str | None = None):
        self.cfg = cfg
        self.rank, self.world = dist_info()
        self.meter = None
        self.extractor_info = "none: no --reference given, realism not measured"
        if cfg.reference is not None and self.rank == 0:
            from genb.realism import RealismMeter, list_images, load_feature_extractor

            device = device or pick_device(cfg.device)
            module, info = load_feature_extractor(
                extractor if extractor is not None else cfg.feature_extractor,
                fallback=cfg.fallback_extractor, inception_weights=cfg.inception_weights, device=device,
            )
            files = list_images(cfg.reference)[: cfg.max_reference]
            logger.info("realism: %d reference images from %s; features: %s", len(files), cfg.reference,
                        info.describe())
            self.meter = RealismMeter(module, info, (read_image(p) for p in files), batch_size=cfg.batch_size,
                                      kid_subsets=cfg.kid_subsets, kid_subset_size=cfg.kid_subset_size,
                                      device=device)
            self.extractor_info = info.describe()
            self.extractor_record = dataclasses.asdict(info)

    def __call__(self, run: RunFolder, enhance: bool = True) -> SweepOutput:
        cfg = self.cfg
        out = self._sweep(run, enhance, cfg.enhance_args, run.root / "sweep")
        if cfg.per_person_args is not None:  # the person-centric mode, same levels, its own folders
            from genb.sweep.table import compare_modes

            arm = self._sweep(run.view(PER_PERSON_ENHANCED), enhance,
                              f"{cfg.enhance_args} --per-person {cfg.per_person_args}", out.out_dir / "per-person")
            out.per_person = arm
            if self.rank == 0:
                csv, md = compare_modes({"whole-image": out.rows, "per-person": arm.rows})
                atomic_write_text(out.out_dir / "modes.csv", csv)
                atomic_write_text(out.out_dir / "modes.md", md)
        return out

    def _sweep(self, run: RunFolder, enhance: bool, enhance_args: str, out_dir: Path) -> SweepOutput:
        """Enhance, check and measure every level of one mode into ``run``'s enhanced folder and ``out_dir``."""
        cfg = self.cfg
        run.require()
        ids = run.sample_ids()
        if not ids:
            raise GenbError(f"run {run.root} has no samples", "run `genb render` into it first")
        noises = [float(s) for s in cfg.noise]

        # 1. enhance and check every level (each process does its shard; both resume)
        if enhance:
            expected = self._enhance_and_check(run, ids, noises, enhance_args)
        else:
            expected = [i for i in ids if any((run.enhanced_dir(s) / f"{run.sample_name(i)}.png").is_file()
                                              for s in noises)]
        # 2. wait for every process; rank 0 measures and writes
        _barrier(run, noises, expected, cfg.wait_timeout)
        if self.rank != 0:
            return SweepOutput([], None, self.extractor_info, out_dir)

        # 3. one row per level: accuracy from the check records, realism from the images
        rows, decisions = [], {}
        for s in noises:
            checks = read_checks(run, s, ids)
            if not checks:
                raise GenbError(f"noise {s:.2f} has no check records in {run.check_dir(s)}",
                                f"run `genb check {run.root} --noise {s}` (or the sweep without skipping enhance)")
            decisions[s] = {i: bool(c.get("accepted")) for i, c in checks.items()}
            rows.append(self._row(run, s, ids, checks))
        if all(is_missing(r["steps_run"]) for r in rows):  # no enhance provenance (images made elsewhere)
            for r in rows:
                del r["steps_run"]

        # 4. recommendation, table, plot, contact sheet
        rec = recommend(rows, cfg.min_acceptance)
        self._write(run, out_dir, rows, rec, noises, ids, decisions)
        return SweepOutput(rows, rec, self.extractor_info, out_dir)

    def _enhance_and_check(self, run: RunFolder, ids: list[int], noises: list[float], enhance_args: str) -> list[int]:
        """Enhance and check every level (this process's shard; both resume). Returns the samples whose
        check records rank 0 waits for in a job array."""
        from genb.check.stage import Checker, run_check
        from genb.enhance.stage import run_enhance

        cfg = self.cfg
        expected = ids
        checker = None
        for s in noises:
            logger.info("sweep: noise %.2f: enhance", s)
            enhance_cfg = _stage_config("genb.enhance.stage", "EnhanceConfig", "enhance",
                                        cfg.enhance_preset, enhance_args, s)
            if getattr(enhance_cfg, "limit", None):
                expected = ids[: enhance_cfg.limit]
            share = run_enhance(run, enhance_cfg).mine
            logger.info("sweep: noise %.2f: check", s)
            check_cfg = _stage_config("genb.check.stage", "CheckConfig", "check",
                                      cfg.check_preset, cfg.check_args, s)
            if checker is None:  # the checker's models load once for every level
                checker = Checker(check_cfg)
            run_check(run, check_cfg, checker=checker, ids=share)  # what this rank enhanced: any start order
        return expected

    def _row(self, run: RunFolder, s: float, ids: list[int], checks: dict[int, Any]) -> dict[str, Any]:
        """One level's row: accuracy from its check records, realism from its images, steps run."""
        row: dict[str, Any] = {"noise": s, **accuracy_row(list(checks.values()))}
        if self.meter is not None:
            scores = self.meter(_enhanced_images(run, s, ids))
            row.update(fid=scores.fid, kid_mean=scores.kid_mean, kid_std=scores.kid_std,
                       num_realism_images=scores.num_images, num_reference=scores.num_reference)
        else:
            row.update(fid=math.nan, kid_mean=math.nan, kid_std=math.nan, num_realism_images=math.nan,
                       num_reference=math.nan)
        row["steps_run"] = _provenance_steps(run, s, ids)
        row.update(flicker_columns(run, s))  # a sequence: flicker per level (genb.sequence.gate)
        logger.info("sweep: noise %.2f: acceptance %.0f%%, FID %s", s, 100 * row["acceptance_rate"],
                    "—" if is_missing(row["fid"]) else f"{row['fid']:.4g}")
        return row

    def _write(self, run: RunFolder, out_dir: Path, rows: list[dict[str, Any]], rec: Any, noises: list[float],
               ids: list[int], decisions: dict[float, dict[int, bool]]) -> None:
        """``sweep.csv``, ``sweep.md``, ``sweep.png``, ``contact_sheet.png`` and ``sweep.json`` in ``out_dir``."""
        cfg = self.cfg
        atomic_write_text(out_dir / "sweep.csv", csv_text(rows))
        atomic_write_text(out_dir / "sweep.md",
                          markdown_text(rows, rec, self.extractor_info, cfg.reference, cfg.min_acceptance)
                          + flicker_markdown(rows))
        atomic_write_bytes(out_dir / "sweep.png", plot_png(rows, rec, cfg.min_acceptance, self.extractor_info))
        sheet = contact_sheet(run, noises, ids[: cfg.contact_samples], cfg.contact_cell, decisions)
        atomic_write_bytes(out_dir / "contact_sheet.png", png_bytes(sheet))
        atomic_write_json(out_dir / "sweep.json", {
            "rows": rows, "recommendation": dataclasses.asdict(rec), "min_acceptance": cfg.min_acceptance,
            "feature_extractor": self.extractor_info,
            "feature_extractor_record": getattr(self, "extractor_record", None),
            "reference": cfg.reference,
        })
        logger.info("sweep: recommended noise: %s — %s", "none" if rec.noise is None else f"{rec.noise:.2f}",
                    rec.reason)
        logger.info("sweep: wrote %s", out_dir)


def run_sweep(run: RunFolder, cfg: SweepConfig, extractor: Any = None, enhance: bool = True) -> SweepOutput:
    """Sweep ``cfg.noise`` on ``run``: enhance, check, measure; write RUN/sweep/.

    Args:
        run: a rendered run folder.
        cfg: the sweep config.
        extractor: an ``nn.Module`` with ``num_features`` replacing ``cfg.feature_extractor``.
        enhance: False to only measure levels that were already enhanced and checked.
    """
    run.require()  # before the reference features are computed
    ran = run_stage(StageSpec(
        name="sweep", folder=run.root / "sweep", record="sweep.yaml", config=cfg,
        items=lambda: [cfg.noise], is_done=lambda _: False, split=False, guard=False, redo=True, main_only=True,
        setup=lambda ctx: SweepStage(cfg, extractor=extractor, device=ctx.device),
        work=lambda ctx, _: ctx.state(run, enhance=enhance), device=cfg.device,
        missing=lambda: 0, what="the sweep's tables",
    ))
    return ran.result


# ----------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run folder written by genb render")
    parser.add_argument("--preset", default=None, help="sweep preset: a name in configs/sweep/ or a YAML path")
    parser.add_argument("--measure-only", action="store_true",
                        help="do not run enhance/check; measure the levels already in RUN/enhanced/")
    add_config_arguments(parser, SweepConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(SweepConfig, "sweep", args)
    if is_sequence_run(args.run):  # a sequence run (genb render --frames): one sequence at a time
        raise GenbError(f"{args.run} is a sequence run: genb sweep measures one sequence at a time",
                        f"give one of its sequences, e.g. `genb sweep {Path(args.run) / 'sequences' / '000000'}`")
    out = run_sweep(RunFolder(args.run), cfg, enhance=not args.measure_only)
    if out.rows:
        print(out.out_dir / "sweep.md")
    return 0

