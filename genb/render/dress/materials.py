"""Fabric, hair and skin colours per vertex, procedural at metric scale.

The colour pass shades per vertex, so patterns are evaluated at the (subdivided) garment
vertices from their rest-pose positions in metres: a pattern stays put on the cloth in every
pose, and its repeat is the same number of centimetres on a child and on an adult.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.render.dress.fabric import FADE_MAX


def hex_rgb(hex_color: str) -> np.ndarray:
    """'a4262c' -> (3,) float32 in 0..1."""
    return np.array([int(hex_color[i : i + 2], 16) / 255.0 for i in (0, 2, 4)], np.float32)


def hash_noise(p: np.ndarray, seed: float = 0.0) -> np.ndarray:
    """(N,) pseudo-random values in [0, 1) of (N, 3) positions (a fixed function, no state)."""
    x = np.sin(p @ np.array([12.9898, 78.233, 37.719]) * 10.0 + seed * 17.17) * 43758.5453
    return (x - np.floor(x)).astype(np.float32)


_NOISE: dict = {}  # (kind, id(points)) -> (points, noise): the last points asked, most recent last
NOISE_KEPT = 64  # a person's shells' rest points come again for the next people (the same cached arrays)


def _kept_noise(kind: str, p: np.ndarray, make) -> np.ndarray:
    """``make(p)`` of the points ``p``, kept for the :data:`NOISE_KEPT` points last asked (least recently asked
    out first): a cached shell's rest points are the same array person after person, so its noise is made once
    (the same function of the same points: the same values). Read-only."""
    key = (kind, id(p))
    got = _NOISE.pop(key, None)
    if got is None or got[0] is not p:
        got = (p, make(p))
        got[1].setflags(write=False)
        if len(_NOISE) >= NOISE_KEPT:
            _NOISE.pop(next(iter(_NOISE)))
    _NOISE[key] = got
    return got[1]


def _axes(rest: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) along (height, metres) and across (the horizontal coordinate that faces the normal)."""
    across = np.where(np.abs(normals[:, 1]) >= np.abs(normals[:, 0]), rest[:, 0], rest[:, 1])
    return rest[:, 2], across


def fabric_colors(fabric: dict[str, Any], rest: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(N, 3) float32 albedo of a fabric (``color``, ``pattern``, ``pattern_scale``, ``color2``)
    at rest-pose positions (N, 3) metres with rest normals (N, 3)."""
    base = hex_rgb(fabric["color"])
    pattern = fabric.get("pattern", "solid")
    s = float(fabric.get("pattern_scale", 0.05))
    second = hex_rgb(fabric.get("color2", fabric["color"]))
    along, across = _axes(rest, normals)
    n = _kept_noise("fabric", rest, hash_noise)
    if pattern == "stripes":
        t = (along / s) % 1.0
        band = (t < 0.4).astype(np.float32)[:, None]
        col = base * (1 - band) + second * band
    elif pattern == "checks":
        a = ((along / s) % 1.0 < 0.35).astype(np.float32)
        b = ((across / s) % 1.0 < 0.35).astype(np.float32)
        k = (0.5 * (a + b))[:, None]
        col = base * (1 - k) + second * k
    elif pattern == "denim":
        col = base * (0.88 + 0.22 * n)[:, None]
        fade = np.clip((hash_noise(np.floor(rest / 0.08)) - 0.6) * 0.5, 0, 0.2)[:, None]
        col = col * (1 - fade) + fade * np.minimum(np.array([0.75, 0.8, 0.88], np.float32), base * np.float32(FADE_MAX ** (1 / 2.2)))  # sRGB: dark indigo fades to lighter indigo
    elif pattern == "knit":
        rib = 0.07 * np.sign(np.sin(across / (2 * s) * 2 * np.pi))
        heather = (n < 0.2).astype(np.float32)[:, None] * 0.35
        col = (base * (1 - heather) + second * heather) * (0.95 + rib)[:, None]
    elif pattern == "print":
        cell = np.floor(np.stack([along / s, across / s, np.zeros_like(along)], 1))
        local = np.stack([along / s, across / s], 1) - cell[:, :2] - 0.5
        dot = (np.linalg.norm(local, axis=1) < 0.3) & (hash_noise(cell, 3.0) < 0.7)
        col = np.where(dot[:, None], second, base)
    else:  # solid, with a faint weave irregularity
        col = np.broadcast_to(base, rest.shape).copy()
    col = col * (0.97 + 0.06 * n)[:, None]
    return np.clip(col, 0.0, 1.0).astype(np.float32)


def hair_colors(color: str, rest: np.ndarray) -> np.ndarray:
    """(N, 3) float32 hair albedo: the colour with strand-scale light and dark streaks."""
    base = hex_rgb(color)
    streak = _kept_noise("hair", rest, lambda p: hash_noise(np.floor(p * np.array([80.0, 80.0, 12.0]))))
    return np.clip(base * (0.8 + 0.45 * streak)[:, None], 0, 1).astype(np.float32)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB in 0..1 -> CIE L*a*b* (D65)."""
    c = np.asarray(rgb, np.float64)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = lin @ np.array([[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]])
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def color_distance(hex_a: str, hex_b: str) -> float:
    """Perceptual distance (CIE76 Delta E) between two sRGB hex colours: about 2 is just
    noticeable, under ~25 a garment reads as the same colour as skin."""
    return float(np.linalg.norm(srgb_to_lab(hex_rgb(hex_a)) - srgb_to_lab(hex_rgb(hex_b))))
