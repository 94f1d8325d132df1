"""The checker's summary: acceptance rate and score distributions, as a table and a plot.

Files in ``RUN/enhanced/noise-<s>/check/``:

* ``summary.csv``: one row per person of every checked sample (sample, person,
  status, sample_accepted, every score);
* ``summary.json``: acceptance rate, person status counts, the rules that
  rejected, and the distribution (count, mean, p10, median, p90, min, max) of
  every score;
* ``summary.png``: one panel per score with its histogram for every checked
  noise level of the run and the threshold, plus acceptance rate against noise.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from genb.check.measures import all_rules, all_scores
from genb.check.metrics import summarize
from genb.core.records.check import read_check_records
from genb.core.run import is_sample_name
from genb.core.io import atomic_write_bytes, atomic_write_json, atomic_write_text
from genb.core.run import RunFolder

SCORES = all_scores()  # the built-in measures' (every registered measure's: all_scores())
THRESHOLDS = {r.score: r.threshold for r in all_rules()}


@dataclasses.dataclass
class CheckSummary:
    """The decisions of one noise level.

    Attributes:
        noise: the noise level.
        check_dir: where the decisions are.
        num_enhanced: enhanced images found.
        num_checked: samples with a decision.
        num_accepted: samples accepted.
        acceptance_rate: num_accepted / num_checked (NaN when nothing was checked).
        people: person status -> count (accepted, rejected, skipped).
        rejections: rule (e.g. ``relative_drift``) -> number of people it rejected.
        scores: score name -> (N,) float array over every checked person (NaN = not measured).
        distributions: score name -> {count, mean, p10, median, p90, min, max}.
        newly_checked: samples checked by this call on this process.
    """

    noise: float
    check_dir: Path
    num_enhanced: int
    num_checked: int
    num_accepted: int
    acceptance_rate: float
    people: dict[str, int]
    rejections: dict[str, int]
    scores: dict[str, np.ndarray]
    distributions: dict[str, dict[str, float]]
    newly_checked: int = 0

    def to_json(self) -> dict[str, Any]:
        d = {k: v for k, v in dataclasses.asdict(self).items() if k != "scores"}
        d["check_dir"] = str(self.check_dir)
        d["acceptance_rate"] = None if not np.isfinite(self.acceptance_rate) else self.acceptance_rate
        d["distributions"] = {k: {s: (None if isinstance(x, float) and not np.isfinite(x) else x) for s, x in v.items()}
                              for k, v in self.distributions.items()}
        return d


def load_records(check_dir: str | Path) -> list[dict[str, Any]]:
    """Every per-sample decision ``NNNNNN.json`` in a check folder, by sample index."""
    check_dir = Path(check_dir)
    if not check_dir.is_dir():
        return []
    # writes are atomic, so a corrupt record was edited or damaged outside genb: one error naming it
    return [r.to_json() for r in read_check_records(check_dir)]


_RULE = re.compile(r"^person \d+: (\w+) [-\d.]+ [<>]")


def summarize_records(records: list[dict[str, Any]], noise: float, check_dir: Path, num_enhanced: int) -> CheckSummary:
    """A :class:`CheckSummary` of per-sample decisions."""
    people = collections.Counter()
    rejections = collections.Counter()
    scores: dict[str, list[float]] = {s: [] for s in all_scores()}
    for r in records:
        for p in r["people"]:
            people[p["status"]] += 1
            if p["status"] == "skipped":
                continue
            for s in all_scores():
                v = p.get(s)
                scores[s].append(np.nan if v is None else float(v))
            if "rejections" in p:  # structured (genb >= this version)
                for r in p["rejections"]:
                    rejections[r["score"]] += 1
            else:  # records written before rejections were structured
                for reason in p["reasons"]:
                    m = _RULE.match(reason)
                    if m:
                        rejections[m.group(1)] += 1
    arrays = {s: np.asarray(v, np.float64) for s, v in scores.items()}
    n_acc = sum(bool(r["accepted"]) for r in records)
    return CheckSummary(
        noise=float(noise), check_dir=Path(check_dir), num_enhanced=num_enhanced, num_checked=len(records),
        num_accepted=n_acc, acceptance_rate=n_acc / len(records) if records else float("nan"),
        people=dict(people), rejections=dict(rejections), scores=arrays,
        distributions={s: summarize(a) for s, a in arrays.items()},
    )


def _csv(records: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["sample", "person", "status", "sample_accepted", "box_px", "vis_fraction", *all_scores(), "reasons"])
    for r in records:
        for p in r["people"]:
            writer.writerow([r["sample"], p["person"], p["status"], int(bool(r["accepted"])),
                             f"{p['box_px']:.1f}", f"{p['vis_fraction']:.3f}",
                             *("" if p.get(s) is None else f"{p[s]:.5f}" for s in all_scores()), "; ".join(p["reasons"])])
    return buf.getvalue()


def write_summary(run: RunFolder, noise: float, num_enhanced: int | None = None, write: bool = True,
                  newly_checked: int = 0) -> CheckSummary:
    """Summarise the decisions of one noise level; write summary.csv/json/png when ``write``.

    ``newly_checked``: the samples the calling process checked just now (recorded in summary.json).
    """
    check_dir = run.check_dir(noise)
    records = load_records(check_dir)
    if num_enhanced is None:
        num_enhanced = len([p for p in run.enhanced_dir(noise).glob("*.png") if is_sample_name(p.stem)])
    summary = summarize_records(records, noise, check_dir, num_enhanced)
    summary.newly_checked = newly_checked
    if write and records:
        atomic_write_text(check_dir / "summary.csv", _csv(records))
        info = summary.to_json()
        info["check_dir"] = str(check_dir.relative_to(run.root))  # content, not where the run lives
        info["thresholds"] = records[-1].get("thresholds", {})
        info["measures"] = records[-1].get("measures", [])
        atomic_write_json(check_dir / "summary.json", info)
        atomic_write_bytes(check_dir / "summary.png", plot_summary(run))
    return summary


def noise_levels(run: RunFolder) -> list[float]:
    """Noise levels of the run that have a check summary or decisions."""
    out = []
    for d in sorted((run.root / "enhanced").glob("noise-*")):
        try:
            level = float(d.name.split("-", 1)[1])
        except ValueError:
            continue
        if (d / "check").is_dir() and any(is_sample_name(p.stem) for p in (d / "check").glob("*.json")):
            out.append(level)
    return out


def _bins(values: np.ndarray, count: int = 20) -> np.ndarray:
    """Histogram bin edges over ``values``; a range too narrow for ``count`` float bins is widened."""
    lo, hi = float(values.min()), float(values.max())
    if not hi - lo > 1e-9 * max(1.0, abs(lo)):
        hi = lo + max(1e-6, 1e-3 * abs(lo))
    return np.linspace(lo, hi, count + 1)


def plot_summary(run: RunFolder) -> bytes:
    """PNG bytes: per-score histograms for every checked noise level, and acceptance rate against noise."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    levels = noise_levels(run)
    summaries = [summarize_records(load_records(run.check_dir(s)), s, run.check_dir(s), 0) for s in levels]
    thresholds: dict[str, Any] = {}
    for s in levels:
        recs = load_records(run.check_dir(s))
        if recs:
            thresholds.update(recs[-1].get("thresholds", {}))
    thresholds_of = {r.score: r.threshold for r in all_rules()}
    shown = [s for s in thresholds_of if any(np.isfinite(m.scores[s]).any() for m in summaries)]
    fig, axes = plt.subplots(1, len(shown) + 1, figsize=(3.2 * (len(shown) + 1), 3.0), squeeze=False)
    axes = axes[0]
    cmap = plt.get_cmap("viridis")
    for ax, score in zip(axes, shown):
        for k, m in enumerate(summaries):
            v = m.scores[score][np.isfinite(m.scores[score])]
            if v.size:
                ax.hist(v, bins=_bins(v), histtype="step", color=cmap(k / max(1, len(summaries) - 1)), label=f"{m.noise:.2f}")
        limit = thresholds.get(thresholds_of[score])
        if limit is not None and np.isfinite(limit) and limit > 0:
            ax.axvline(limit, color="red", linestyle="--", linewidth=1)
        ax.set_title(score, fontsize=9)
        ax.set_ylabel("people", fontsize=8)
        ax.tick_params(labelsize=7)
    if shown:
        axes[0].legend(title="noise", fontsize=7, title_fontsize=7)
    ax = axes[-1]
    ax.plot([m.noise for m in summaries], [100 * m.acceptance_rate for m in summaries], "o-")
    ax.set_xlabel("noise (strength)", fontsize=8)
    ax.set_ylabel("accepted samples (%)", fontsize=8)
    ax.set_ylim(-5, 105)
    ax.set_title("acceptance", fontsize=9)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()
