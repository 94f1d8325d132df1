"""Skin colour in rendered images, per person: the measure that keeps skin from turning grey.

For every person of a sample, the mean sRGB colour of their visible skin: the pixels of the
image whose ``parts.png`` class is a body part (head, torso, limbs, hands, feet: clothes,
hair and accessories have their own classes) and whose ``instances.png`` id is the person's.
:func:`skin_table` summarises a run folder: the share of people whose skin has R > G > B,
dark tones' (Monk 9-10) mean max channel in daylight, light tones' (Monk 1-3) mean R - B, by
sky kind. ``python bench/skin_colour.py RUN`` prints it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from genb.core.conventions import PARTS

BODY_PARTS = np.array([i for i, n in enumerate(PARTS) if n in (
    "head", "torso", "left_upper_arm", "right_upper_arm", "left_lower_arm", "right_lower_arm", "left_hand",
    "right_hand", "left_upper_leg", "right_upper_leg", "left_lower_leg", "right_lower_leg", "left_foot", "right_foot")])
DAYLIGHT = ("clear", "hazy")
DARK_TONES = ("monk-09", "monk-10")
LIGHT_TONES = ("monk-01", "monk-02", "monk-03")


def person_skin(image: np.ndarray, parts: np.ndarray, instances: np.ndarray, scene: dict[str, Any],
                min_pixels: int = 40) -> list[dict[str, Any]]:
    """One row per person with at least ``min_pixels`` skin pixels: index, tone, sky kind, mean RGB."""
    skin = np.isin(parts, BODY_PARTS)
    kind = (scene.get("sky") or {}).get("setting") or scene.get("background", {}).get("kind", "?")
    rows = []
    for p, person in enumerate(scene["people"]):
        m = skin & (instances == p + 1)
        if int(m.sum()) < min_pixels:
            continue
        rgb = image[m].astype(np.float64).mean(axis=0)
        rows.append({"person": p, "tone": person["appearance"]["skin_tone"], "sky": kind, "pixels": int(m.sum()),
                     "rgb": [round(float(x), 1) for x in rgb]})
    return rows


def run_rows(run: str | Path) -> list[dict[str, Any]]:
    """:func:`person_skin` rows of every sample of a run folder."""
    import cv2

    rows = []
    for d in sorted((Path(run) / "samples").iterdir()):
        if not (d / "scene.json").exists():
            continue
        image = cv2.imread(str(d / "image.png"))[..., ::-1]
        parts = cv2.imread(str(d / "parts.png"), cv2.IMREAD_UNCHANGED)
        inst = cv2.imread(str(d / "instances.png"), cv2.IMREAD_UNCHANGED)
        for r in person_skin(image, parts, inst, json.loads((d / "scene.json").read_text())):
            rows.append({"sample": d.name, **r})
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The measures over rows: people, share with R > G > B, dark tones' max channel in daylight,
    light tones' R - B."""
    rgb = np.array([r["rgb"] for r in rows]).reshape(-1, 3)
    ordered = (rgb[:, 0] > rgb[:, 1]) & (rgb[:, 1] > rgb[:, 2])
    dark = np.array([r["tone"] in DARK_TONES and r["sky"] in DAYLIGHT for r in rows], bool)
    light = np.array([r["tone"] in LIGHT_TONES for r in rows], bool)
    return {
        "people": len(rows),
        "r_gt_g_gt_b": float(ordered.mean()) if len(rows) else float("nan"),
        "dark_daylight_n": int(dark.sum()),
        "dark_daylight_max_channel": float(rgb[dark].max(axis=1).mean()) if dark.any() else float("nan"),
        "light_n": int(light.sum()),
        "light_r_minus_b": float((rgb[light, 0] - rgb[light, 2]).mean()) if light.any() else float("nan"),
    }


def skin_table(run: str | Path) -> str:
    """A text table of :func:`summarise` for all people and by sky kind."""
    rows = run_rows(run)
    lines = [f"{'sky':<12}{'people':>7}{'R>G>B':>8}{'dark n':>8}{'dark max':>10}{'light n':>9}{'light R-B':>11}"]
    groups = [("all", rows)] + [(k, [r for r in rows if r["sky"] == k]) for k in sorted({r["sky"] for r in rows})]
    for name, g in groups:
        s = summarise(g)
        lines.append(f"{name:<12}{s['people']:>7}{100 * s['r_gt_g_gt_b']:>7.0f}%{s['dark_daylight_n']:>8}"
                     f"{s['dark_daylight_max_channel']:>10.1f}{s['light_n']:>9}{s['light_r_minus_b']:>11.1f}")
    return "\n".join(lines)
