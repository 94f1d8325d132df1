"""Pure statistics and the sweep table: spreads, accuracy rows, the recommendation, CSV and Markdown."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from typing import Any

import numpy as np

from genb.core.log import get_logger

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


def accuracy_measures() -> dict[str, tuple[str, ...]]:
    """:data:`ACCURACY_MEASURES` and the sweep column of every drift measure registered outside genb."""
    from genb.check.measures import DRIFT_MEASURES

    extra = {m.sweep: (m.scores[0],) for m in DRIFT_MEASURES if m.sweep and m.sweep not in ACCURACY_MEASURES}
    return {**ACCURACY_MEASURES, **extra}



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
    for measure, names in accuracy_measures().items():
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
    first += [f"{m}_{s}" for m in accuracy_measures() for s in STATS]
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
        w.writerow(["" if is_missing(r.get(c)) else _fmt_csv(r.get(c)) for c in cols])
    return buf.getvalue()


def is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _fmt_csv(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def markdown_text(rows: list[dict[str, Any]], rec: Recommendation, extractor: str, reference: str | None,
                  min_acceptance: float) -> str:
    """sweep.md: the table a person reads, with the extractor, reference and recommendation."""
    def num(v: Any, fmt: str = ".3g") -> str:
        return "—" if is_missing(v) else format(v, fmt)

    def dist(r: dict[str, Any], m: str) -> str:
        if is_missing(r.get(f"{m}_mean")):
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
        kid = "—" if is_missing(r.get("kid_mean")) else f"{r['kid_mean']:.4f} ± {r['kid_std']:.4f}"
        lines.append(
            f"| {r['noise']:.2f}{mark} | {r['num_accepted']}/{r['num_checked']} | {num(r['acceptance_rate'], '.0%')} "
            f"| {num(r.get('fid'), '.4g')} | {kid} | {dist(r, 'keypoint_drift')} | {dist(r, 'relative_drift')} "
            f"| {dist(r, 'silhouette_iou')} "
            f"| {dist(r, 'flow_displacement')} |"
        )
    lines += ["", "Spread is over people: mean ± std (median, 90th percentile). Units: "
              + "; ".join(f"{m.replace('_', ' ')}: {u}" for m, u in ACCURACY_UNITS.items()) + ".", ""]
    return "\n".join(lines)




def compare_modes(modes: dict[str, list[dict[str, Any]]]) -> tuple[str, str]:
    """modes.csv and modes.md: the rows of several enhance modes (e.g. whole-image and per-person)
    at the same levels, one row per (noise, mode), sorted by noise."""
    rows = sorted(({"mode": name, **r} for name, rs in modes.items() for r in rs), key=lambda r: (r["noise"], r["mode"]))
    cols = ["noise", "mode"] + [c for c in table_columns(rows) if c not in ("noise", "mode")]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if is_missing(r.get(c)) else _fmt_csv(r.get(c)) for c in cols])
    shown = ["noise", "mode", "acceptance_rate", "fid", "kid_mean"] + [
        f"{m}_median" for m in ACCURACY_MEASURES if any(not is_missing(r.get(f"{m}_median")) for r in rows)]
    lines = ["# Enhance modes side by side", "", "| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    for r in rows:
        lines.append("| " + " | ".join("—" if is_missing(r.get(c)) else
                                       (f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c])) for c in shown) + " |")
    return buf.getvalue(), "\n".join(lines) + "\n"
