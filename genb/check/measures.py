"""Drift measures: one spec per measure drives the checker, its decisions, summaries and the sweep table.

A :class:`DriftMeasure` names the measure (``--measures``), the per-person scores it
writes into ``check/NNNNNN.json``, its threshold rules, and (for measures added from
outside genb) how to compute the scores. The four built-in measures are computed by
:class:`genb.check.checker.Checker` itself, sharing their models (one pose estimator
for ``keypoints`` and ``relative``).

Adding one (see docs/architecture.md, "How to add")::

    from genb.check.measures import DRIFT_MEASURES, DriftMeasure, Rule

    def color_shift(inputs):  # per checked person: {score: value}
        return [{"color_shift": float(abs(inputs.enhanced[m].mean() - inputs.render[m].mean()) / 255)}
                for m in inputs.masks]

    DRIFT_MEASURES.register(DriftMeasure(
        "color", scores=("color_shift",), compute=color_shift,
        rules=(Rule("color_shift", "max", "max_color_shift", "color"),),
        defaults={"max_color_shift": 0.2}, sweep="color_shift"))

A threshold that is not a :class:`~genb.check.stage.CheckConfig` field takes its
default from ``defaults`` and is set with ``--thresholds max_color_shift=0.1``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from genb.core.registry import Registry
from genb.errors import GenbError


@dataclasses.dataclass(frozen=True)
class Rule:
    """One threshold rule: ``score`` must be ``<=`` (kind "max") or ``>=`` (kind "min") the threshold."""

    score: str
    kind: str
    threshold: str
    """The threshold's name: a CheckConfig field, or a key of the measure's ``defaults``."""
    measure: str


@dataclasses.dataclass
class MeasureInputs:
    """What a measure sees of one sample: only the people that are checked."""

    render: np.ndarray
    """(H, W, 3) uint8 RGB, the original render."""
    enhanced: np.ndarray
    """(H, W, 3) uint8 RGB, the enhanced image (resized to the render's size)."""
    labels: dict[str, np.ndarray]
    """The sample's labels.npz arrays."""
    people: list[int]
    """Indices of the checked people."""
    boxes: np.ndarray
    """(N, 4) float64 visible boxes x0, y0, x1, y1 (pixels) of the checked people."""
    sizes: np.ndarray
    """(N,) float64 box sizes (longer side, pixels)."""
    masks: np.ndarray
    """(N, H, W) bool ground-truth visible masks of the checked people."""


@dataclasses.dataclass(frozen=True)
class DriftMeasure:
    """One drift measure."""

    name: str
    """Its name in ``--measures``."""
    scores: tuple[str, ...]
    """Per-person scores it writes (summaries and ``summary.csv`` show each)."""
    rules: tuple[Rule, ...] = ()
    """Threshold rules on its scores (a person fails when any is broken)."""
    compute: Callable[[MeasureInputs], list[dict[str, float]]] | None = None
    """``compute(inputs) -> [{score: value}]`` per checked person (NaN: not measured); None for built-ins."""
    defaults: dict[str, float] = dataclasses.field(default_factory=dict)
    """Default values of thresholds that are not CheckConfig fields."""
    sweep: str | None = None
    """Column prefix of its main score in the sweep table (None: not in the sweep table)."""
    doc: str = ""
    estimators: tuple[str, ...] = ()
    """What the checker loads for it (once, whatever the number of measures needing it): ``pose`` (the 2D
    pose estimator), ``segmenter`` (SAM), ``flow`` (optical flow); a plugin's ``compute`` may need none."""
    units: str = ""
    """The units of its scores, for tables and docs."""


DRIFT_MEASURES: Registry[DriftMeasure] = Registry("drift measure")

for _m in (
    DriftMeasure("keypoints", ("keypoint_drift", "pck"),
                 (Rule("keypoint_drift", "max", "max_keypoint_drift", "keypoints"),
                  Rule("pck", "min", "min_pck", "keypoints")),
                 doc="2D pose estimator on the enhanced image vs the projected ground truth",
                 estimators=("pose",), units="fraction of the box side; pck a fraction of keypoints"),
    DriftMeasure("relative", ("relative_drift",), (Rule("relative_drift", "max", "max_relative_drift", "relative"),),
                 doc="the same estimator on the render vs on the enhanced image", estimators=("pose",),
                 units="fraction of the box side"),
    DriftMeasure("mask", ("mask_iou",), (Rule("mask_iou", "min", "min_mask_iou", "mask"),),
                 doc="SAM prompted with the box vs the ground-truth mask", estimators=("segmenter",), units="IoU"),
    DriftMeasure("flow", ("flow_drift", "flow_drift_p90"), (Rule("flow_drift", "max", "max_flow_drift", "flow"),),
                 doc="dense optical flow render -> enhanced inside the mask", estimators=("flow",),
                 units="fraction of the box side"),
):
    DRIFT_MEASURES.register(_m)

BUILTIN_MEASURES = DRIFT_MEASURES.names()


def all_rules() -> tuple[Rule, ...]:
    """Every registered measure's rules, in registration order."""
    return tuple(r for m in DRIFT_MEASURES for r in m.rules)


def all_scores() -> tuple[str, ...]:
    """Every registered measure's scores, in registration order."""
    return tuple(s for m in DRIFT_MEASURES for s in m.scores)


def threshold_value(cfg: Any, name: str) -> float:
    """The value of threshold ``name``: ``--thresholds name=value``, else the CheckConfig field, else a measure's default."""
    for pair in getattr(cfg, "thresholds", ()) or ():
        key, _, value = pair.partition("=")
        if key == name:
            try:
                return float(value)
            except ValueError:
                raise GenbError(f"--thresholds {pair}: {value!r} is not a number", f"e.g. --thresholds {key}=0.1") from None
    if hasattr(cfg, name):
        return float(getattr(cfg, name))
    for m in DRIFT_MEASURES:
        if name in m.defaults:
            return float(m.defaults[name])
    raise GenbError(f"no threshold named {name!r}", "give it with --thresholds NAME=VALUE")
