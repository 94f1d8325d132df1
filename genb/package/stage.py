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
import dataclasses
import time
from pathlib import Path

from genb.config import add_config_arguments, config_from_args
from genb.core.dist import dist_info
from genb.core.log import get_logger
from genb.core.run import RunFolder
from genb.core.runner import StageSpec, run_stage
from genb.errors import GenbError
from genb.package.config import RESUMABLE_FIELDS, PackageConfig, resolve_formats
from genb.package.formats import PACKAGE_FORMATS
from genb.package.frames import open_frames, select_frames
from genb.package.inputs import select_samples
from genb.package.merge import PARTS, finalize, package_rank, part_name, rank_markers, selection_digest, selection_record
from genb.package.sample import PackageStage

__all__ = ["PackageConfig", "PackageStage", "PackageSummary", "run_package", "add_arguments", "run"]

logger = get_logger(__name__)


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


def run_package(run: RunFolder | str, out: str | Path, cfg: PackageConfig) -> PackageSummary:
    """Package the selected samples of ``run`` into ``out`` (this process's share, then the merge)."""
    run = open_frames(run, cfg.frame_step, cfg.crops)  # a sequence run's frames are its samples
    out = Path(out)
    start = time.perf_counter()
    # 1. What to package, and an output folder that agrees with it.
    select = select_frames if hasattr(run, "locate") else select_samples  # a sequence's frames, sequence by sequence
    selection = select(run, cfg.noise, cfg.source, cfg.include_rejected)
    if out.resolve() in (run.root.resolve(), run.samples_dir.resolve(), (run.root / "enhanced").resolve()):
        raise GenbError(f"the output folder {out} is inside the run's own data", "give a separate output folder")
    body_model = run.manifest.body_model or "anny"
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
        return out / PARTS / part_name("done", r, world, "json")

    # 2. This rank's share (one item per rank), unless it is already done; whoever sees every rank
    #    done merges (the same bytes whoever does it); rank 0 of a launched group waits first.
    merged: list[tuple] = []
    ran = run_stage(StageSpec(
        name="package", folder=out, record="package.yaml", config=cfg, keep=RESUMABLE_FIELDS,
        items=lambda: range(world), is_done=lambda r: marker(r).is_file(),
        setup=lambda ctx: PackageStage(run, cfg, selection.source, formats),
        work=lambda ctx, todo: package_rank(ctx.state, out, cfg, selection, rank, world, formats),
        inputs=lambda: {"the selected samples (the run or its checker decisions)": selection_digest(selection)},
        record_extra=selection_record(run, selection), markers=("package.yaml",), ours="a genb package folder",
        outputs_exist=lambda: any((out / PARTS).glob("done-*.json")), folders=(out / PARTS,),
        clean=[out, out / PARTS, out / "images", out / "card", *(out / PACKAGE_FORMATS.get(f).folder for f in formats)],
        aggregate=lambda: merged.append(finalize(run, out, cfg, selection, rank_markers(out, world), formats,
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
