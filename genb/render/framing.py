"""Framing: how big people are in the images and how much of them is in frame.

A preset states the framing it aims for in its YAML (``framing: "median_area>=0.15 kp12>=0.8"``);
:func:`framing_stats` measures it on rendered samples and :func:`meets` compares.
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

STAT_NAMES = ("median_area", "kp12")


def framing_stats(samples: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Framing statistics over people.

    Args:
        samples: per image, ``(mask_area (P,), keypoints_in_frame (P, 25))`` and the image
            size folded in as the area fractions: pass ``mask_area / (H * W)``.
    Returns:
        ``median_area``: the median person's visible mask as a fraction of the image;
        ``kp12``: the fraction of people with at least 12 of their 25 keypoints in frame.
    """
    areas, counts = [], []
    for area_frac, in_frame in samples:
        areas.extend(np.asarray(area_frac, float).tolist())
        counts.extend(np.asarray(in_frame).sum(axis=1).tolist())
    if not areas:
        return {"median_area": 0.0, "kp12": 0.0}
    return {"median_area": float(np.median(areas)), "kp12": float(np.mean(np.asarray(counts) >= 12))}


def parse_target(text: str) -> dict[str, float]:
    """'median_area>=0.15 kp12>=0.8' -> {'median_area': 0.15, 'kp12': 0.8} (lower bounds)."""
    out = {}
    for name, value in re.findall(r"(\w+)\s*>=\s*([0-9.]+)", text or ""):
        if name not in STAT_NAMES:
            raise ValueError(f"unknown framing statistic {name!r} (known: {', '.join(STAT_NAMES)})")
        out[name] = float(value)
    return out


def meets(stats: dict[str, float], target: str) -> list[str]:
    """The statistics of ``stats`` that fall short of ``target`` (empty when it is met)."""
    return [f"{k} {stats[k]:.3f} < {v}" for k, v in parse_target(target).items() if stats[k] < v]
