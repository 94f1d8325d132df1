"""Cloth coordinates of garment shells: where on the cloth each vertex is, in metres.

The renderer draws a patterned garment's pattern per pixel from these coordinates
(:mod:`genb.render.fabric`, :mod:`genb.render.texcoord_pass`); the colour pass gets the
pattern's mean colour per vertex. Coordinates are computed once per cached shell.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.fabric import TEXTURED, cloth_coordinates, pattern_mean

_REGION_OF_PART = np.zeros(256, np.int64)
for _side, _r_arm, _r_leg in (("left", 1, 3), ("right", 2, 4)):
    for _p in ("upper_arm", "lower_arm", "hand"):
        _REGION_OF_PART[PART_INDEX[f"{_side}_{_p}"]] = _r_arm
    for _p in ("upper_leg", "lower_leg", "foot"):
        _REGION_OF_PART[PART_INDEX[f"{_side}_{_p}"]] = _r_leg
SKIRT_RADIUS_M = 0.18  # a loose shell's rest u is its angle times this (dresser._loose)


def region_centres(atlas) -> np.ndarray:
    """(5, 3) axis points (rest frame, relative to mid-hip) of the trunk, arms and legs: the mean of
    the trunk's, each upper arm's and each upper leg's rest vertices."""
    c = np.zeros((5, 3))
    for r, part in ((1, "left_upper_arm"), (2, "right_upper_arm"), (3, "left_upper_leg"), (4, "right_upper_leg")):
        c[r] = atlas.rest[atlas.parts == PART_INDEX[part]].mean(axis=0)
    c[0] = atlas.rest[atlas.parts == PART_INDEX["torso"]].mean(axis=0)
    c[0, 2] = 0.0
    for r in (1, 2):  # the arm's axis through the shoulder: its height and depth, not its middle
        c[r, 0] = 0.0
    return c


def shell_texcoords(shell, atlas, centres: np.ndarray) -> np.ndarray:
    """(G, 3) float64 per shell vertex: cloth u, v (metres) and the circumference of its region
    (where u wraps: :func:`genb.render.texcoord_pass.unwrap_seams`). Cached on the shell."""
    cached = getattr(shell, "_cloth_uv", None)
    if cached is not None:
        return cached
    blend = shell.blend.tocsr()
    dominant = np.asarray(blend.argmax(axis=1)).ravel()
    region = _REGION_OF_PART[atlas.parts[dominant]]
    uv = cloth_coordinates(shell.rest, region, centres)
    circ = np.zeros(len(uv))
    for r in range(5):
        ids = region == r
        if ids.any():
            q = shell.rest[ids] - centres[r]
            rad = np.hypot(q[:, 1], q[:, 2]) if r in (1, 2) else np.hypot(q[:, 0], q[:, 1])
            circ[ids] = 2 * np.pi * float(np.median(rad))
    out = np.concatenate([uv, circ[:, None]], axis=1)
    shell._cloth_uv = out
    return out


def skirt_texcoords(rest: np.ndarray) -> np.ndarray:
    """(N, 3) cloth coordinates of a loose shell from its rest coordinates (angle x radius, 0, height)."""
    r = np.asarray(rest, np.float64)
    return np.stack([r[:, 0], r[:, 2], np.full(len(r), 2 * np.pi * SKIRT_RADIUS_M)], axis=1)


def textured(fabric: dict | None) -> bool:
    """Whether a garment record's pattern is drawn per pixel."""
    return bool(fabric) and fabric.get("pattern", "solid") in TEXTURED


def mean_colors(fabric: dict, n: int) -> np.ndarray:
    """(n, 3) float32 the fabric's mean colour for every vertex (the colour pass's share)."""
    return np.broadcast_to(pattern_mean(fabric), (n, 3)).copy()
