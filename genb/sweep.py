"""``genb sweep``: realism against ground-truth accuracy across noise levels.

For each noise level ``s`` the sweep runs ``genb enhance`` (img2img strength ``s``)
and ``genb check`` on the run (both resume: what exists is kept), then measures

* **realism**: FID and KID of the enhanced images against a folder of real
  photographs (``--reference``), with a pluggable feature extractor
  (:mod:`genb.realism`); the extractor used is written in every output;
* **accuracy**: from the checker's per-person scores: keypoint drift,
  silhouette IoU and flow displacement (mean, std, median, p90 over people) and
  the acceptance rate over samples.

Outputs in ``RUN/sweep/``: ``sweep.csv`` (one row per level), ``sweep.md`` (the
same as a Markdown table, with the recommendation), ``sweep.png`` (realism
against accuracy, one labelled point per level), ``contact_sheet.png`` (rows:
samples, columns: the render and each level, ground-truth skeleton overlaid),
``sweep.yaml`` (config, command, versions) and ``sweep.json`` (rows, extractor,
recommendation).

The recommended level is the most realistic one (lowest FID) whose acceptance
rate stays at or above ``--min-acceptance`` (:func:`recommend`).

Several processes (``accelerate launch -m genb sweep ...``): enhance and check
split the samples by ``RANK``/``WORLD_SIZE`` as they always do; after the last
level every process meets at a barrier (accelerate's ``PartialState`` when a
process group can be formed, i.e. under ``accelerate launch``/``torchrun``; for
job arrays without one, rank 0 waits until every sample's check file exists) and
rank 0 alone measures realism and writes the outputs.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import math
import os
import shlex
import time
from pathlib import Path
from typing import Any

import numpy as np

from genb.config import add_config_arguments, config_from_args, config_record, resolve_config
from genb.errors import GenbError
from genb.log import get_logger
from genb.store import (
    RunFolder, atomic_write_bytes, atomic_write_json, atomic_write_text, dist_info, noise_name, png_bytes, read_image,
)

logger = get_logger(__name__)

# Accuracy measures: column prefix -> names the checker may give the per-person score.
ACCURACY_MEASURES = {
    "keypoint_drift": ("keypoint_drift",),
    "relative_drift": ("relative_drift", "relative_keypoint_drift"),
    "silhouette_iou": ("mask_iou", "silhouette_iou", "iou"),
    "flow_displacement": ("flow_drift", "flow_displacement", "flow"),
}
ACCURACY_UNITS = {
    "keypoint_drift": "estimator on the enhanced image vs ground truth, fraction of box size, lower is better",
    "relative_drift": "estimator on the enhanced image vs the same estimator on the render, fraction of box size, "
                      "lower is better",
    "silhouette_iou": "IoU, higher is better",
    "flow_displacement": "fraction of box size, lower is better",
}
STATS = ("mean", "std", "median", "p90")


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


# ----------------------------------------------------------------------------- pure: statistics and the table


def spread(values: Any) -> dict[str, float]:
    """mean, std, median, p90 of the finite entries of ``values``; NaN for each when there are none.

    Args:
        values: (N,) numbers (None and NaN are skipped).
    """
    x = np.array([float(v) for v in values if v is not None], dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {k: math.nan for k in STATS}
    return {"mean": float(x.mean()), "std": float(x.std()), "median": float(np.median(x)),
            "p90": float(np.percentile(x, 90))}


def _person_value(person: dict[str, Any], names: tuple[str, ...]) -> float | None:
    scores = person.get("scores") if isinstance(person.get("scores"), dict) else {}
    for name in names:
        v = person.get(name, scores.get(name))
        if isinstance(v, dict):  # {"value": ..} or {"mean": ..}
            v = v.get("value", v.get("mean"))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


def accuracy_row(checks: list[dict[str, Any]]) -> dict[str, float]:
    """Accuracy columns of one level from its per-sample check records.

    Args:
        checks: one ``check/NNNNNN.json`` record per sample: ``{"accepted": bool,
            "people": [{"keypoint_drift": .., "mask_iou": .., "flow_drift": .., ...}]}``.

    Returns:
        ``num_checked``, ``num_accepted``, ``acceptance_rate``, ``num_people`` and, per
        measure in :data:`ACCURACY_MEASURES`, ``<measure>_{mean,std,median,p90}`` over people.
    """
    row: dict[str, float] = {
        "num_checked": len(checks),
        "num_accepted": sum(bool(c.get("accepted")) for c in checks),
    }
    row["acceptance_rate"] = row["num_accepted"] / len(checks) if checks else math.nan
    people = [p for c in checks for p in (c.get("people") or [])
              if isinstance(p, dict) and p.get("status") != "skipped"]
    row["num_people"] = len(people)
    for measure, names in ACCURACY_MEASURES.items():
        for stat, value in spread(_person_value(p, names) for p in people).items():
            row[f"{measure}_{stat}"] = value
    return row


@dataclasses.dataclass
class Recommendation:
    """The level the sweep recommends, and why."""

    noise: float | None
    """The recommended noise level; None when no level keeps the acceptance floor."""
    reason: str
    """One sentence a user reads."""


def recommend(rows: list[dict[str, Any]], min_acceptance: float, realism: str = "fid") -> Recommendation:
    """The most realistic level whose acceptance rate is at least ``min_acceptance``.

    Args:
        rows: one dict per level with ``noise``, ``acceptance_rate`` and the ``realism``
            column (lower is more realistic; NaN when not measured).
        min_acceptance: the floor, 0..1.
        realism: the column ranking realism.

    Without realism numbers (no reference), the highest noise level that keeps the
    floor is recommended, since more noise is what buys realism; ties in realism go
    to the lower noise.
    """
    def finite(v: Any) -> bool:
        return v is not None and isinstance(v, (int, float)) and math.isfinite(v)

    kept = [r for r in rows if finite(r.get("acceptance_rate")) and r["acceptance_rate"] >= min_acceptance]
    if not kept:
        measured = [r for r in rows if finite(r.get("acceptance_rate"))]
        if not measured:
            return Recommendation(None, "no level has an acceptance rate yet (did genb check run?)")
        best = max(measured, key=lambda r: (r["acceptance_rate"], -r["noise"]))
        return Recommendation(
            None,
            f"no level keeps acceptance >= {min_acceptance:.0%}; the highest is {best['acceptance_rate']:.0%} "
            f"at noise {best['noise']:.2f}: lower --min-acceptance, lower the noise, or loosen the check thresholds",
        )
    scored = [r for r in kept if finite(r.get(realism))]
    if scored:
        best = min(scored, key=lambda r: (r[realism], r["noise"]))
        return Recommendation(
            float(best["noise"]),
            f"noise {best['noise']:.2f} is the most realistic level ({realism.upper()} {best[realism]:.4g}) "
            f"that keeps acceptance >= {min_acceptance:.0%} ({best['acceptance_rate']:.0%})",
        )
    best = max(kept, key=lambda r: r["noise"])
    return Recommendation(
        float(best["noise"]),
        f"noise {best['noise']:.2f} is the highest level that keeps acceptance >= {min_acceptance:.0%} "
        f"({best['acceptance_rate']:.0%}); realism was not measured (give --reference to rank by FID)",
    )


def table_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Column order of sweep.csv: noise, counts, realism, accuracy, then anything else."""
    first = ["noise", "num_checked", "num_accepted", "acceptance_rate", "num_people", "fid", "kid_mean", "kid_std",
             "num_realism_images", "num_reference"]
    first += [f"{m}_{s}" for m in ACCURACY_MEASURES for s in STATS]
    seen = set(first)
    rest = [k for r in rows for k in r if k not in seen and not seen.add(k)]  # type: ignore[func-returns-value]
    return first + rest


def csv_text(rows: list[dict[str, Any]]) -> str:
    """sweep.csv: one row per level; empty cells for NaN."""
    cols = table_columns(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if _nan(r.get(c)) else _fmt_csv(r.get(c)) for c in cols])
    return buf.getvalue()


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _fmt_csv(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def markdown_text(rows: list[dict[str, Any]], rec: Recommendation, extractor: str, reference: str | None,
                  min_acceptance: float) -> str:
    """sweep.md: the table a person reads, with the extractor, reference and recommendation."""
    def num(v: Any, fmt: str = ".3g") -> str:
        return "—" if _nan(v) else format(v, fmt)

    def dist(r: dict[str, Any], m: str) -> str:
        if _nan(r.get(f"{m}_mean")):
            return "—"
        return (f"{r[f'{m}_mean']:.3f} ± {r[f'{m}_std']:.3f} "
                f"(med {r[f'{m}_median']:.3f}, p90 {r[f'{m}_p90']:.3f})")

    lines = [
        "# genb sweep: realism against accuracy",
        "",
        f"- realism features: {extractor}",
        f"- reference images: {reference or 'none given: realism not measured'}",
        f"- acceptance floor: {min_acceptance:.0%}",
        f"- **recommended noise: {'none' if rec.noise is None else f'{rec.noise:.2f}'}** — {rec.reason}",
        "",
        "| noise | accepted | acceptance | FID ↓ | KID ↓ | keypoint drift ↓ | relative drift ↓ | silhouette IoU ↑ "
        "| flow displacement ↓ |",
        "| ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |",
    ]
    for r in rows:
        mark = " ★" if rec.noise is not None and abs(r["noise"] - rec.noise) < 1e-9 else ""
        kid = "—" if _nan(r.get("kid_mean")) else f"{r['kid_mean']:.4f} ± {r['kid_std']:.4f}"
        lines.append(
            f"| {r['noise']:.2f}{mark} | {r['num_accepted']}/{r['num_checked']} | {num(r['acceptance_rate'], '.0%')} "
            f"| {num(r.get('fid'), '.4g')} | {kid} | {dist(r, 'keypoint_drift')} | {dist(r, 'relative_drift')} "
            f"| {dist(r, 'silhouette_iou')} "
            f"| {dist(r, 'flow_displacement')} |"
        )
    lines += ["", "Spread is over people: mean ± std (median, 90th percentile). Units: "
              + "; ".join(f"{m.replace('_', ' ')}: {u}" for m, u in ACCURACY_UNITS.items()) + ".", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- pictures


def plot_png(rows: list[dict[str, Any]], rec: Recommendation, min_acceptance: float, extractor: str) -> bytes:
    """sweep.png: realism (x) against each accuracy measure (y), one labelled point per level.

    Without FID numbers the x axis is the noise level and the title says so.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    have_fid = any(not _nan(r.get("fid")) for r in rows)
    xkey = "fid" if have_fid else "noise"
    panels = [("acceptance_rate", "acceptance rate ↑", None)]
    panels += [(f"{m}_mean", f"{m.replace('_', ' ')} ({'↑' if 'iou' in m else '↓'})", f"{m}_std")
               for m in ACCURACY_MEASURES if any(not _nan(r.get(f"{m}_mean")) for r in rows)]
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.6 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (ykey, ylabel, errkey) in zip(axes.flat, panels):
        pts = [r for r in rows if not _nan(r.get(xkey)) and not _nan(r.get(ykey))]
        xs = [r[xkey] for r in pts]
        ys = [r[ykey] for r in pts]
        if errkey:
            ax.errorbar(xs, ys, yerr=[r[errkey] for r in pts], fmt="none", ecolor="0.7", capsize=3, zorder=1)
        ax.plot(xs, ys, "-", color="0.8", zorder=1)
        ax.scatter(xs, ys, c=[r["noise"] for r in pts], cmap="viridis", vmin=0, vmax=1, s=40, zorder=2)
        for r, x, y in zip(pts, xs, ys):
            ax.annotate(f"s={r['noise']:.2f}", (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
            if rec.noise is not None and abs(r["noise"] - rec.noise) < 1e-9:
                ax.scatter([x], [y], s=180, facecolors="none", edgecolors="red", linewidths=1.5, zorder=3,
                           label="recommended")
        if ykey == "acceptance_rate":
            ax.axhline(min_acceptance, color="red", ls="--", lw=1, label=f"floor {min_acceptance:.0%}")
            ax.set_ylim(-0.05, 1.05)
            ax.legend(fontsize=7, loc="lower left")
        ax.set_xlabel("FID ↓ (realism)" if have_fid else "noise level (no --reference: realism not measured)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    fig.suptitle(f"realism vs accuracy, one point per noise level s (error bars: std over people)\n"
                 f"realism features: {extractor.split(';')[0]}", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def draw_skeletons(image: np.ndarray, keypoints2d: np.ndarray, visible: np.ndarray, thickness: int = 2) -> np.ndarray:
    """Every person's BODY25 ground-truth skeleton on a copy of ``image``, as ``genb show`` draws it.

    Args:
        image: (H, W, 3) uint8 RGB.
        keypoints2d: (P, 25, 2) pixels, OpenCV convention, in ``image``'s pixel grid.
        visible: (P, 25) bool; occluded keypoints are drawn as rings, their limbs thin and dim.
    """
    from genb.render.show import PERSON_COLORS, draw_skeleton

    out = np.ascontiguousarray(image.copy())
    for p, (kp, vis) in enumerate(zip(np.asarray(keypoints2d), np.asarray(visible, dtype=bool))):
        draw_skeleton(out, kp, vis, PERSON_COLORS[p % len(PERSON_COLORS)], thickness)
    return out


def contact_sheet(run: RunFolder, noises: list[float], ids: list[int], cell: int = 256,
                  decisions: dict[float, dict[int, bool]] | None = None) -> np.ndarray:
    """Rows: samples; columns: the render, then each noise level; ground-truth skeleton on every cell.

    Cells of rejected samples get a red frame, accepted ones green, unchecked none; a
    missing enhanced image is a grey cell.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    import cv2

    decisions = decisions or {}
    heads = ["render"] + [f"noise {s:.2f}" for s in noises]
    header, pad = 40, 4
    rows = []
    for i in ids:
        render = run.image(i)
        h, w = render.shape[:2]
        scale = cell / max(h, w)
        ch, cw = max(1, round(h * scale)), max(1, round(w * scale))
        labels = run.labels(i)
        kp = labels["keypoints2d"] if "keypoints2d" in labels else np.zeros((0, 25, 2))
        vis = labels["keypoints_vis"] if "keypoints_vis" in labels else np.zeros(kp.shape[:2], bool)
        cells = []
        for col, s in enumerate([None, *noises]):
            if s is None:
                img = render
            else:
                path = run.enhanced_dir(s) / f"{run.sample_name(i)}.png"
                img = read_image(path) if path.is_file() else None
            if img is None:
                tile = np.full((ch, cw, 3), 96, np.uint8)
            else:
                tile = cv2.resize(img, (cw, ch), interpolation=cv2.INTER_AREA)
                # keypoints are in render pixels; pixel centres map as (x + 0.5) * scale - 0.5
                k = (kp + 0.5) * np.array([cw / w, ch / h]) - 0.5 if len(kp) else kp
                tile = draw_skeletons(tile, k, vis, thickness=2 if cell >= 192 else 1)
            frame = np.full((ch + 2 * pad, cell + 2 * pad, 3), 255, np.uint8)
            accepted = decisions.get(s, {}).get(i) if s is not None else None
            x0 = pad + (cell - cw) // 2
            if accepted is not None:  # a coloured border around the tile
                frame[:, x0 - pad:x0 + cw + pad] = (40, 180, 60) if accepted else (220, 40, 40)
            frame[pad:pad + ch, x0:x0 + cw] = tile
            cells.append(frame)
        row = np.concatenate(cells, axis=1)
        label = np.full((row.shape[0], 70, 3), 255, np.uint8)
        cv2.putText(label, f"#{i}", (6, row.shape[0] // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        rows.append(np.concatenate([label, row], axis=1))
    body = np.concatenate(rows, axis=0)
    top = np.full((header, body.shape[1], 3), 255, np.uint8)
    for col, text in enumerate(heads):
        cv2.putText(top, text, (70 + col * (cell + 2 * pad) + pad, header - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(top, "ground-truth skeleton; frame: green accepted, red rejected", (6, 14),
                cv2.FONT_HERSHEY_SIMPLEX, 0.4, (80, 80, 80), 1, cv2.LINE_AA)
    return np.concatenate([top, body], axis=0)


# ----------------------------------------------------------------------------- the stage


def read_checks(run: RunFolder, noise: float, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The check records of ``ids`` at ``noise`` that exist, by sample index."""
    out = {}
    for i in ids:
        path = run.check_dir(noise) / f"{run.sample_name(i)}.json"
        if path.is_file():
            try:
                out[i] = json.loads(path.read_text())
            except json.JSONDecodeError:
                raise GenbError(f"check record {path} is corrupt", f"delete it and run genb check --noise {noise}") from None
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
    """Every process has finished enhance+check for every level (see the module docstring)."""
    rank, world = dist_info()
    if world == 1:
        return
    if "MASTER_ADDR" in os.environ or _dist_initialized():
        from accelerate import PartialState

        PartialState().wait_for_everyone()
        return
    if rank != 0:
        return
    # job array without a process group: wait for the files the other ranks write
    deadline = time.monotonic() + timeout
    while True:
        missing = sum(len(set(ids) - set(read_checks(run, s, ids))) for s in noises)
        if not missing:
            return
        if time.monotonic() > deadline:
            raise GenbError(
                f"rank 0 waited {timeout:.0f}s and {missing} check files are still missing",
                "make sure every shard ran (GENB_SHARD=i/n for all i), then run the sweep again with one process",
            )
        time.sleep(min(5.0, max(0.1, timeout / 10)))


def _dist_initialized() -> bool:
    try:
        import torch.distributed as td

        return td.is_available() and td.is_initialized()
    except ImportError:
        return False


def _device(name: str) -> str:
    import torch

    if name != "auto":
        return name
    if torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return "cpu"


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
            try:
                rec = json.loads(path.read_text())
            except json.JSONDecodeError:
                continue
            for key in ("steps_run", "num_steps_run", "steps"):
                if isinstance(rec.get(key), (int, float)):
                    steps.append(float(rec[key]))
                    break
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


class SweepStage:
    """Enhance, check and measure a run at several noise levels.

    The feature extractor and the reference features are built once in ``__init__``
    (rank 0 only, and only with a reference folder), then reused for every level.

    Args:
        cfg: the sweep config.
        extractor: an ``nn.Module`` with ``num_features`` to use instead of ``cfg.feature_extractor``.
    """

    def __init__(self, cfg: SweepConfig, extractor: Any = None):
        self.cfg = cfg
        self.rank, self.world = dist_info()
        self.meter = None
        self.extractor_info = "none: no --reference given, realism not measured"
        if cfg.reference is not None and self.rank == 0:
            from genb.realism import RealismMeter, list_images, load_feature_extractor

            device = _device(cfg.device)
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
        run.require()
        ids = run.sample_ids()
        if not ids:
            raise GenbError(f"run {run.root} has no samples", "run `genb render` into it first")
        noises = [float(s) for s in cfg.noise]
        out_dir = run.root / "sweep"

        # 1. enhance and check every level (each process does its shard; both resume)
        expected = ids  # the samples whose check records rank 0 waits for in a job array
        if enhance:
            from genb.check.stage import Checker, run_check
            from genb.enhance.stage import run_enhance

            checker = None
            for s in noises:
                logger.info("sweep: noise %.2f: enhance", s)
                enhance_cfg = _stage_config("genb.enhance.stage", "EnhanceConfig", "enhance",
                                            cfg.enhance_preset, cfg.enhance_args, s)
                if getattr(enhance_cfg, "limit", None):
                    expected = ids[: enhance_cfg.limit]
                run_enhance(run, enhance_cfg)
                logger.info("sweep: noise %.2f: check", s)
                check_cfg = _stage_config("genb.check.stage", "CheckConfig", "check",
                                          cfg.check_preset, cfg.check_args, s)
                if checker is None:  # the checker's models load once for every level
                    checker = Checker(check_cfg)
                run_check(run, check_cfg, checker=checker)

        # 2. wait for every process; rank 0 measures and writes
        if not enhance:
            expected = [i for i in ids if any((run.enhanced_dir(s) / f"{run.sample_name(i)}.png").is_file()
                                              for s in noises)]
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
            row: dict[str, Any] = {"noise": s, **accuracy_row(list(checks.values()))}
            if self.meter is not None:
                scores = self.meter(_enhanced_images(run, s, ids))
                row.update(fid=scores.fid, kid_mean=scores.kid_mean, kid_std=scores.kid_std,
                           num_realism_images=scores.num_images, num_reference=scores.num_reference)
            else:
                row.update(fid=math.nan, kid_mean=math.nan, kid_std=math.nan, num_realism_images=math.nan,
                           num_reference=math.nan)
            row["steps_run"] = _provenance_steps(run, s, ids)
            rows.append(row)
            logger.info("sweep: noise %.2f: acceptance %.0f%%, FID %s", s, 100 * row["acceptance_rate"],
                        "—" if _nan(row["fid"]) else f"{row['fid']:.4g}")

        if all(_nan(r["steps_run"]) for r in rows):  # no enhance provenance (images made elsewhere)
            for r in rows:
                del r["steps_run"]

        # 4. recommendation, table, plot, contact sheet
        rec = recommend(rows, cfg.min_acceptance)
        atomic_write_text(out_dir / "sweep.csv", csv_text(rows))
        atomic_write_text(out_dir / "sweep.md",
                          markdown_text(rows, rec, self.extractor_info, cfg.reference, cfg.min_acceptance))
        atomic_write_bytes(out_dir / "sweep.png", plot_png(rows, rec, cfg.min_acceptance, self.extractor_info))
        sheet = contact_sheet(run, noises, ids[: cfg.contact_samples], cfg.contact_cell, decisions)
        atomic_write_bytes(out_dir / "contact_sheet.png", png_bytes(sheet))
        atomic_write_json(out_dir / "sweep.json", {
            "rows": rows, "recommendation": dataclasses.asdict(rec), "min_acceptance": cfg.min_acceptance,
            "feature_extractor": self.extractor_info,
            "feature_extractor_record": getattr(self, "extractor_record", None),
            "reference": cfg.reference,
        })
        import yaml

        atomic_write_text(out_dir / "sweep.yaml", yaml.safe_dump(config_record(cfg), sort_keys=False))
        logger.info("sweep: recommended noise: %s — %s", "none" if rec.noise is None else f"{rec.noise:.2f}",
                    rec.reason)
        logger.info("sweep: wrote %s", out_dir)
        return SweepOutput(rows, rec, self.extractor_info, out_dir)


def run_sweep(run: RunFolder, cfg: SweepConfig, extractor: Any = None, enhance: bool = True) -> SweepOutput:
    """Sweep ``cfg.noise`` on ``run``: enhance, check, measure; write RUN/sweep/.

    Args:
        run: a rendered run folder.
        cfg: the sweep config.
        extractor: an ``nn.Module`` with ``num_features`` replacing ``cfg.feature_extractor``.
        enhance: False to only measure levels that were already enhanced and checked.
    """
    run.require()  # before the reference features are computed
    return SweepStage(cfg, extractor=extractor)(run, enhance=enhance)


# ----------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run folder written by genb render")
    parser.add_argument("--preset", default=None, help="sweep preset: a name in configs/sweep/ or a YAML path")
    parser.add_argument("--measure-only", action="store_true",
                        help="do not run enhance/check; measure the levels already in RUN/enhanced/")
    add_config_arguments(parser, SweepConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(SweepConfig, "sweep", args)
    out = run_sweep(RunFolder(args.run), cfg, enhance=not args.measure_only)
    if out.rows:
        print(out.out_dir / "sweep.md")
    return 0


__all__ = [
    "SweepConfig", "SweepStage", "SweepOutput", "Recommendation", "run_sweep", "recommend", "accuracy_row",
    "spread", "csv_text", "markdown_text", "plot_png", "contact_sheet", "draw_skeletons",
]
