"""Decision rules: which person is checked, which score fails which threshold.

Every decision carries its reasons as sentences naming the person, the measure,
its value and the threshold, e.g. ``person 1: relative_drift 0.083 > max_relative_drift 0.050``.

Rules, in order:

1. **Eligibility** (per person). A person is ``skipped`` (not checked, and not
   counted against the sample) when

   * nothing of them is visible: ``mask_area == 0``;
   * they are too small: the longer side of their visible box is below ``min_box_px``;
   * they are mostly occluded or out of frame: ``vis_fraction < min_vis_fraction``.

2. **Measures** (per checked person). Each score is compared with its threshold
   (:func:`genb.check.measures.all_rules`); a score that could not be measured (NaN, e.g. fewer than
   ``min_keypoints`` visible keypoints) is noted and does not reject. A person
   fails when any measured score is past its threshold. A threshold of ``inf``
   (max rules) or ``0`` (min rules) switches a rule off.

3. **Sample**: rejected when any checked person is rejected; a sample where no
   person could be checked is rejected unless ``accept_unchecked`` is set.
"""

from __future__ import annotations

import math
from typing import Any

from genb.check.measures import Rule, all_rules, threshold_value  # noqa: F401 - Rule re-exported
from genb.core.records.check import Rejection

SKIPPED, ACCEPTED, REJECTED = "skipped", "accepted", "rejected"


# The built-in measures' rules (every registered measure's: genb.check.measures.all_rules()).
RULES = tuple(r for r in all_rules())


def eligibility(person: int, box_px: float, vis_fraction: float, mask_area: float, cfg: Any) -> str | None:
    """Why a person is not checked, or None when they are.

    Args:
        person: person index in the sample.
        box_px: longer side of the visible box, pixels.
        vis_fraction: fraction of the 25 keypoints visible, 0..1.
        mask_area: visible pixel count.
        cfg: a CheckConfig (``min_box_px``, ``min_vis_fraction``).
    """
    if mask_area <= 0:
        return f"person {person} skipped: not visible (mask_area 0)"
    if box_px < cfg.min_box_px:
        return f"person {person} skipped: too small (box {box_px:.0f} px < min_box_px {cfg.min_box_px:g})"
    if vis_fraction < cfg.min_vis_fraction:
        return (f"person {person} skipped: mostly occluded or out of frame "
                f"(vis_fraction {vis_fraction:.2f} < min_vis_fraction {cfg.min_vis_fraction:g})")
    return None


def person_rejections(person: int, scores: dict[str, float], measures: tuple[str, ...],
                      cfg: Any) -> tuple[list[Rejection], list[str]]:
    """The rules one checked person fails, structured, and the scores that could not be measured.

    Args: as :func:`decide_person`.

    Returns:
        ``(rejections, not_measured)``: one :class:`~genb.core.records.check.Rejection` per failed
        rule, and the names of the scores that were NaN or missing.
    """
    rejections: list[Rejection] = []
    not_measured: list[str] = []
    for rule in all_rules():
        if rule.measure not in measures:
            continue
        limit = threshold_value(cfg, rule.threshold)
        if (rule.kind == "max" and math.isinf(limit)) or (rule.kind == "min" and limit <= 0):
            continue
        value = scores.get(rule.score, float("nan"))
        if value is None or not math.isfinite(value):
            not_measured.append(rule.score)
        elif (rule.kind == "max" and value > limit) or (rule.kind == "min" and value < limit):
            rejections.append(Rejection(person, rule.score, float(value), rule.threshold, limit, rule.kind))
    return rejections, not_measured


def decide_person(person: int, scores: dict[str, float], measures: tuple[str, ...], cfg: Any) -> tuple[str, list[str]]:
    """Accept or reject one checked person from their scores.

    Args:
        person: person index.
        scores: score name -> value (NaN or missing = not measured).
        measures: the measures that were run (rules of other measures are ignored).
        cfg: a CheckConfig holding the thresholds named in :data:`RULES`.

    Returns:
        ``(status, reasons)``: ``"accepted"`` or ``"rejected"``, and one sentence per failed
        rule (and per score that could not be measured), derived from :func:`person_rejections`.
    """
    rejections, not_measured = person_rejections(person, scores, measures, cfg)
    reasons = [f"person {person}: {score} not measured" for score in not_measured]
    reasons += [r.sentence() for r in rejections]
    order = {r.score: k for k, r in enumerate(all_rules())}
    reasons.sort(key=lambda text: order.get(text.split(": ", 1)[1].split(" ", 1)[0], 0))
    return (REJECTED if rejections else ACCEPTED), reasons


def decide_sample(people: list[dict[str, Any]], cfg: Any) -> tuple[bool, list[str]]:
    """Accept or reject a sample from its people's statuses.

    Args:
        people: per-person records with ``"status"`` and ``"reasons"``.
        cfg: a CheckConfig (``accept_unchecked``).

    Returns:
        ``(accepted, reasons)``: reasons list every rejection and every skipped person.
    """
    reasons = [r for p in people for r in p["reasons"] if p["status"] != ACCEPTED or "not measured" in r]
    if any(p["status"] == REJECTED for p in people):
        return False, reasons
    if not any(p["status"] == ACCEPTED for p in people) and not cfg.accept_unchecked:
        what = "the sample has no people" if not people else "no person could be checked"
        return False, reasons + [f"{what} (accept_unchecked is off)"]
    return True, reasons
