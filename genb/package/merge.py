"""The package's output folder across ranks: each rank's share written as parts and a marker
(written last), and the merge of every rank's parts into the npz files, the shard index and the card."""

from __future__ import annotations

import collections
import concurrent.futures as cf
import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

import numpy as np

from genb.core.dist import shard
from genb.core.io import atomic_write_bytes, atomic_write_json
from genb.core.log import get_logger, progress
from genb.core.records.package import read_rank_marker, write_rank_marker
from genb.core.run import RunFolder
from genb.package import npz, wds
from genb.package.config import PackageConfig, imgname, npz_path
from genb.package.formats import PACKAGE_FORMATS
from genb.package.inputs import Selection
from genb.package.sample import PackageStage
from genb.package.stats import DatasetStats

logger = get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")

PARTS = ".parts"


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


def selection_digest(selection: Selection) -> str:
    return hashlib.sha256(json.dumps([selection.source, selection.ids]).encode()).hexdigest()[:16]


def selection_record(run: RunFolder, selection: Selection) -> dict[str, Any]:
    """The keys ``package.yaml`` adds to the settings record: the run and the selected samples."""
    return {
        "run": str(run.root.resolve()),
        "selection": {
            "source": selection.source, "noise": selection.noise, "samples": len(selection.ids),
            "checked": selection.num_checked, "accepted": selection.num_accepted,
            "include_rejected": selection.include_rejected, "digest": selection_digest(selection),
        },
    }


def part_name(kind: str, rank: int, world: int, ext: str) -> str:
    return f"{kind}-r{rank:02d}-of-{world:02d}.{ext}"


def package_rank(stage: PackageStage, out: Path, cfg: PackageConfig, selection: Selection,
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
        npz_parts[fmt] = part_name(fmt, rank, world, "npz")
        npz.write_npz(parts / npz_parts[fmt], npz.concat_rows(rows[fmt]) or npz.empty_rows())
    marker = {"rank": rank, "world": world, "samples": len(mine), "people": people,
              "shards": shards, "npz_parts": npz_parts, "stats": stats.s}
    write_rank_marker(out, rank, world, marker)
    return len(mine), people


def rank_markers(out: Path, world: int) -> list[dict[str, Any]] | None:
    """Every rank's marker, or None while some rank is still working."""
    markers = []
    for r in range(world):
        p = out / PARTS / part_name("done", r, world, "json")
        if not p.is_file():
            return None
        markers.append(read_rank_marker(out, p))
    return markers


def remove_unowned(out: Path, world: int, shard_names: list[str]) -> int:
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


def finalize(run: RunFolder, out: Path, cfg: PackageConfig, selection: Selection, markers: list[dict[str, Any]],
              formats: list[str], skipped: dict[str, str]) -> tuple[dict[str, Path], list[Path], Path | None]:
    """Merge the ranks' parts: the npz files, the shard index, the card. Idempotent (atomic writes)."""
    remove_unowned(out, len(markers), sorted(name for m in markers for name in m["shards"]))
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
