"""Ground materials at metric scale: tileable procedural albedo textures.

Each material is a function ``(rng, size) -> (size, size, 3) float32`` albedo (0..1)
of one tile that covers :data:`TILE_M` metres, so a paving brick, a floor tile or a
plank has its real size in the image. Everything is vectorised numpy/OpenCV.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

# Metres covered by one texture tile of each material.
TILE_M = {"grass": 2.0, "asphalt": 2.0, "concrete": 3.0, "paving": 1.2, "tiles": 1.2, "wood": 1.8,
          "dirt": 2.0, "sand": 2.0}
# Which materials are indoor floors and which are outdoor grounds.
OUTDOOR = ("grass", "asphalt", "concrete", "paving", "dirt", "sand")
INDOOR = ("tiles", "wood", "concrete")


def _noise(rng: np.random.Generator, size: int, octaves: tuple[tuple[int, float], ...]) -> np.ndarray:
    """(size, size) float32 tileable value noise in 0..1: random periodic grids of ``cells``
    per side, smoothly interpolated, summed with amplitudes ``amp``."""
    field = np.zeros((size, size), np.float32)
    for cells, amp in octaves:
        g = rng.random((cells, cells)).astype(np.float32)
        x = np.arange(size) * cells / size
        i0 = np.floor(x).astype(np.int64) % cells
        i1 = (i0 + 1) % cells
        t = x - np.floor(x)
        t = (t * t * (3 - 2 * t)).astype(np.float32)
        rows = g[i0] * (1 - t)[:, None] + g[i1] * t[:, None]  # along y
        field += amp * (rows[:, i0] * (1 - t)[None, :] + rows[:, i1] * t[None, :])
    field -= field.min()
    return field / max(float(field.max()), 1e-6)


def _mix(a, b, t):
    return np.asarray(a, np.float32) * (1 - t[..., None]) + np.asarray(b, np.float32) * t[..., None]


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) / 255.0 for i in (0, 2, 4)], np.float32)


def grass(rng, size):
    n = _noise(rng, size, ((4, 0.5), (16, 0.3), (64, 0.2)))
    base = _mix(_rgb("3b6426"), _rgb("6a9140"), n)
    blades = rng.random((size, size)).astype(np.float32)
    blades = cv2.GaussianBlur(np.pad(blades, 6, mode="wrap"), (0, 0), sigmaX=0.4, sigmaY=1.5)[6:-6, 6:-6]
    dry = np.clip((_noise(rng, size, ((3, 1.0),)) - 0.7) / 0.2, 0, 1)[..., None]
    base = base * (1 + dry * (np.array([1.25, 1.1, 0.8], np.float32) - 1))
    return base * (0.75 + 0.5 * blades[..., None]) * np.array([0.8, 0.72, 0.75], np.float32)  # lawn albedo, not lime


def asphalt(rng, size):
    n = _noise(rng, size, ((4, 0.6), (32, 0.4)))
    grit = rng.random((size, size)).astype(np.float32)
    img = _mix(_rgb("2f3032"), _rgb("4a4b4e"), 0.6 * n + 0.4 * grit)
    stones = (grit > 0.985)[..., None]
    return np.where(stones, img * 1.7, img)


def concrete(rng, size):
    n = _noise(rng, size, ((3, 0.5), (12, 0.3), (96, 0.2)))
    img = _mix(_rgb("8d8b85"), _rgb("b7b4ac"), n)
    # expansion joints every 1.5 m (half a tile)
    yy, xx = np.mgrid[0:size, 0:size] / size * 2.0
    joint = (np.minimum(np.abs(xx - np.rint(xx)), np.abs(yy - np.rint(yy))) < 0.006)[..., None]
    return np.where(joint, img * 0.55, img)


def paving(rng, size):
    """Running-bond bricks of 0.2 x 0.1 m (a 1.2 m tile holds 6 x 12)."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    row = np.floor(yy * 12)
    xs = xx * 6 + 0.5 * (row % 2)
    col = np.floor(xs)
    brick = rng.random((12, 7)).astype(np.float32)
    shade = brick[row.astype(int), (col.astype(int) % 6)]
    palette = [_rgb("8e5a45"), _rgb("a66e52"), _rgb("7b4c3b")] if rng.random() < 0.5 else \
        [_rgb("8f8c86"), _rgb("a9a59c"), _rgb("7c7a74")]
    img = _mix(palette[0], palette[1], shade) * (0.9 + 0.2 * _noise(rng, size, ((48, 1.0),))[..., None])
    mortar = ((np.abs(xs - np.rint(xs)) < 0.03) | (np.abs(yy * 12 - np.rint(yy * 12)) < 0.06))[..., None]
    return np.where(mortar, palette[2] * 0.7, img)


def tiles(rng, size):
    """Square floor tiles of 0.3, 0.4 or 0.6 m with grout and a colour variation per tile."""
    per = int(rng.choice([4, 3, 2]))  # tiles per 1.2 m
    yy, xx = np.mgrid[0:size, 0:size] / size * per
    tile = rng.random((per, per)).astype(np.float32)
    t = tile[np.floor(yy).astype(int) % per, np.floor(xx).astype(int) % per]
    colors = [("d9d4c7", "cfc8b8"), ("efefec", "e0dfda"), ("4a4845", "5c5955"), ("b9a58a", "a89276")]
    a, b = colors[int(rng.integers(len(colors)))]
    img = _mix(_rgb(a), _rgb(b), t) * (0.95 + 0.1 * _noise(rng, size, ((24, 1.0),))[..., None])
    grout = (np.minimum(np.abs(xx - np.rint(xx)), np.abs(yy - np.rint(yy))) < 0.008)[..., None]
    return np.where(grout, _rgb("8a867e"), img)


def wood(rng, size):
    """Planks 0.15 m wide (12 per 1.8 m tile) with grain and staggered ends."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    plank = np.floor(yy * 12).astype(int)
    offset = rng.random(12).astype(np.float32)
    xs = (xx + offset[plank]) * 1.5
    tone = rng.random((12, 3)).astype(np.float32)
    seg = np.floor(xs).astype(int) % 3
    t = tone[plank, seg]
    grain = 0.5 + 0.5 * np.sin(yy * 12 * 2 * np.pi * 3 + 6 * _noise(rng, size, ((6, 1.0),)) + plank)
    base = _mix(_rgb("7a4d2b"), _rgb("b07d4a"), 0.6 * t + 0.4 * grain)
    seam = ((np.abs(yy * 12 - np.rint(yy * 12)) < 0.04) | (np.abs(xs - np.rint(xs)) < 0.004))[..., None]
    return np.where(seam, base * 0.5, base)


def dirt(rng, size):
    n = _noise(rng, size, ((4, 0.5), (16, 0.3), (96, 0.2)))
    img = _mix(_rgb("5e4630"), _rgb("8f7253"), n)
    pebbles = (rng.random((size, size)) > 0.993)[..., None]
    return np.where(pebbles, img * 1.4, img) * (0.9 + 0.2 * rng.random((size, size, 1)).astype(np.float32))


def sand(rng, size):
    n = _noise(rng, size, ((3, 0.5), (10, 0.3), (64, 0.2)))
    # wind ripples, wavy and faint (strong straight ones read as corrugation at a distance)
    warp = _noise(rng, size, ((5, 0.6), (13, 0.4)))
    ripples = 0.5 + 0.5 * np.sin(np.mgrid[0:size, 0:size][0] / size * 2 * np.pi * 8 + 9 * warp)
    img = _mix(_rgb("c9b07a"), _rgb("e0cc9a"), 0.8 * n + 0.2 * ripples)
    return img * (0.93 + 0.14 * rng.random((size, size, 1)).astype(np.float32))


MATERIALS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "grass": grass, "asphalt": asphalt, "concrete": concrete, "paving": paving, "tiles": tiles, "wood": wood,
    "dirt": dirt, "sand": sand,
}


def ground_texture(material: str, seed: int, size: int = 256) -> np.ndarray:
    """(size, size, 3) uint8 tileable albedo of one ``TILE_M[material]`` metre tile."""
    rng = np.random.default_rng(seed)
    img = MATERIALS[material](rng, size)
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
