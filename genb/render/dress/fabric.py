"""Fabric patterns per pixel: metric texture coordinates through a GL pass, albedo and detail
normals evaluated in numpy, prefiltered by each pixel's footprint.

A garment's vertices carry cloth coordinates in metres (:func:`cloth_coordinates`: height and
arc length around the trunk, a limb or a skirt, so a 4 cm stripe is 4 cm on every body). The
*texcoord pass* (:mod:`genb.render.raster.texcoord_pass`) rasterizes them exactly, like the label pass
(no MSAA), into 8-bit RGBA: R, G the fine phase of (u, v) within :data:`FINE_PERIOD_M` (a
256-texel coordinate texture sampled NEAREST with REPEAT: 0.4 mm steps) and B, A the coarse
coordinates from vertex colours (2 cm steps over :data:`COARSE_RANGE_M`). :func:`decode_texcoords`
unwraps the two into metres per pixel (sub-millimetre, interpolated perspective-correctly by
the rasterizer, so stripes are straight lines on the cloth, not vertex samples).

:func:`pattern_albedo` turns (u, v, footprint) into linear albedo with analytic box filtering
(a square wave's coverage of the pixel's footprint; dots and noise fade to their mean once
smaller than a pixel), so far cloth shows the pattern's mean, never moire.
:func:`pattern_slopes` gives the cloth's height slopes (knit ribs, denim twill, weave), filtered
alike; :func:`genb.render.raster.detail.perturb_normals` bends the normals by them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.render.raster.colour import SRGB_TO_LINEAR

FINE_PERIOD_M = 0.1024  # metres per repeat of the 256-texel coordinate texture (0.4 mm per texel)
COARSE_RANGE_M = 5.12  # metres the 8-bit coarse channels span (2 cm steps)
ORIGIN_M = 2.56  # added to the cloth coordinates so they are positive
FADE_MAX = 4.0  # denim's worn streaks fade toward at most this many times its own colour (not grey on dark indigo)
TEXTURED = ("stripes", "checks", "denim", "knit", "print", "leather")  # drawn per pixel; solid stays per vertex
# (u, v) metres added to each region's cloth coordinates (trunk, left arm, right arm, left leg, right leg, loose
# skirt), so a pixel's coordinates tell its region (:func:`genb.render.dress.seams.regions`): the seams lie
# at fixed places in each region's own coordinates
REGION_OFFSETS = np.array([[0.0, 0.0], [0.0, 1.6], [1.0, 1.6], [0.0, -1.35], [1.0, -1.35], [-1.8, -1.35]])


# ----------------------------------------------------------------------------- coordinates
def encode_vertex_texcoords(uv_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-vertex attributes of the texcoord pass for cloth coordinates (N, 2) metres:
    ``texcoord_0`` (N, 2) float32 (in repeats of the fine texture) and ``color_0`` (N, 4) float32
    (1, 1, coarse u, coarse v)."""
    t = np.asarray(uv_m, np.float64) + ORIGIN_M
    col = np.ones((len(t), 4), np.float32)
    col[:, 2:] = np.clip(t / COARSE_RANGE_M, 0.0, 1.0)
    return (t / FINE_PERIOD_M).astype(np.float32), col


def coordinate_texture() -> np.ndarray:
    """(256, 256, 4) uint8 the fine coordinate texture: the texel at (s, t) = ((i + 0.5) / 256,
    (j + 0.5) / 256) holds (i, j, 255, 255) (pyrender uploads the array's rows bottom-up)."""
    i = np.arange(256, dtype=np.uint8)
    tex = np.full((256, 256, 4), 255, np.uint8)
    tex[..., 0] = i[None, :]
    tex[..., 1] = i[::-1, None]
    return tex


def decode_texcoords(rgba: np.ndarray) -> np.ndarray:
    """(N, 4) uint8 texcoord-pass pixels -> (N, 2) float32 cloth coordinates in metres."""
    fine = (rgba[:, :2].astype(np.float32) + 0.5) * np.float32(FINE_PERIOD_M / 256)
    coarse = rgba[:, 2:].astype(np.float32) * np.float32(COARSE_RANGE_M / 255)
    k = np.rint((coarse - fine) / np.float32(FINE_PERIOD_M))
    return (k * np.float32(FINE_PERIOD_M) + fine - np.float32(ORIGIN_M)).astype(np.float32)


def cloth_coordinates(rest: np.ndarray, region: np.ndarray, centres: np.ndarray | None = None,
                      radii: np.ndarray | None = None) -> np.ndarray:
    """(N, 2) float64 cloth coordinates (u across, v along; metres) of rest-pose garment vertices.

    Args:
        rest: (N, 3) rest-pose positions, metres, relative to mid-hip (x left, y back, z up).
        region: (N,) int 0 trunk, 1 left arm, 2 right arm, 3 left leg, 4 right leg, 5 already
            unrolled (``rest[:, 0]`` is u, ``rest[:, 2]`` is v: loose skirts).
        centres: (5, 3) axis points of the regions (default: the origin; arms and legs should
            pass their shoulder and hip-joint centres).
        radii: (5,) the unrolling cylinders' radii (default: per region the median distance of the
            given vertices from its axis, :func:`unroll_radii`).

    The trunk and the legs unroll around a vertical axis (v = height), the arms around the arm's
    axis (v = minus the distance from the shoulder, as if hanging; u around the arm), with u the
    arc length on a cylinder of the vertices' mean radius. The seam (where u jumps) lies at the
    right side of the trunk, under the arms and inside the legs; u = 0 at the trunk's left side and
    each leg's outside. Each region's coordinates are shifted by its :data:`REGION_OFFSETS` row.
    """
    rest = np.asarray(rest, np.float64)
    c = np.zeros((5, 3)) if centres is None else np.asarray(centres, np.float64)
    radii = unroll_radii(rest, region, c) if radii is None else radii
    uv = np.zeros((len(rest), 2))
    for r in range(6):
        ids = np.flatnonzero(region == r)
        if not len(ids):
            continue
        p = rest[ids]
        if r == 5:
            uv[ids] = p[:, [0, 2]] + REGION_OFFSETS[5]
            continue
        q = p - c[r]
        if r in (1, 2):  # arm along +-x: around it in (y, z), the seam under the arm (z < 0)
            ang = np.arctan2(q[:, 1], q[:, 2])
            along = -np.abs(q[:, 0]) + c[r, 2]
        else:  # around a vertical axis: the trunk's seam at its right side, each leg's inside
            sx = -1.0 if r == 4 else 1.0
            ang = np.arctan2(q[:, 1], sx * q[:, 0]) if r != 0 else np.arctan2(-q[:, 1], q[:, 0])
            along = p[:, 2]
        uv[ids, 0] = ang * float(radii[r]) + REGION_OFFSETS[r, 0]
        uv[ids, 1] = along + REGION_OFFSETS[r, 1]
    return uv


def unroll_radii(rest: np.ndarray, region: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(5,) per region (trunk, arms, legs) the median distance of its vertices from its axis, metres."""
    out = np.zeros(5)
    for r in range(5):
        q = np.asarray(rest, np.float64)[region == r] - centres[r]
        if len(q):
            out[r] = float(np.median(np.hypot(q[:, 1], q[:, 2]) if r in (1, 2) else np.hypot(q[:, 0], q[:, 1])))
    return out


from genb.render.raster.procedural import fade as _fade, hash2 as _hash2, square as _square, value_noise as _value_noise


def _lin(hex_color: str) -> np.ndarray:
    return SRGB_TO_LINEAR[np.array([int(hex_color[i:i + 2], 16) for i in (0, 2, 4)])].astype(np.float32)


# ----------------------------------------------------------------------------- albedo and slopes
def pattern_albedo(fabric: dict[str, Any], u: np.ndarray, v: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """(N, 3) float32 linear albedo of a fabric at cloth coordinates u, v (N,) metres, box-filtered
    over ``footprint`` (N,) metres (the pixel's size on the cloth).

    ``fabric``: the wardrobe's garment record (``color``, ``pattern``, ``pattern_scale``, ``color2``).
    """
    base, second = _lin(fabric["color"]), _lin(fabric.get("color2", fabric["color"]))
    pattern = fabric.get("pattern", "solid")
    s = np.float32(fabric.get("pattern_scale", 0.05))
    w = footprint / s
    if pattern == "stripes":
        k = _square(v / s, w, 0.4)
    elif pattern == "checks":
        k = 0.5 * (_square(v / s, w, 0.35) + _square(u / s, w, 0.35))
    elif pattern == "print":
        cx, cy = np.floor(u / s), np.floor(v / s)
        du, dv = u / s - cx - 0.5, v / s - cy - 0.5
        r = np.sqrt(du * du + dv * dv)
        edge = np.maximum(w, np.float32(1e-3))
        dot = np.clip((0.3 - r) / edge + 0.5, 0.0, 1.0) * (_hash2(cx, cy, 3) < 0.7)
        mean = np.float32(0.7 * np.pi * 0.09)
        k = mean + (dot - mean) * np.clip(1.5 - w / 0.6, 0.0, 1.0)
    elif pattern == "knit":
        rib = _square(u / (2 * s), w / 2, 0.5)  # light and dark halves of a rib
        heather = (_hash2(np.floor(u / 0.003), np.floor(v / 0.003), 5) < 0.2).astype(np.float32)
        k = 0.35 * (0.2 + (heather - 0.2) * _fade(footprint, 0.003))
        col = base[None] * (1 - k)[:, None] + second[None] * k[:, None]
        return _grain(col * (0.93 + 0.14 * rib)[:, None], u, v, footprint)
    elif pattern == "denim":
        twill = _square((u + v) / 0.0025, footprint / 0.0025, 0.5)  # the diagonal ridges of a 2/1 twill
        slub, _, _ = _value_noise(u * 3.0, v * 0.3, 0.02, 7)  # streaks along the warp
        # wear: soft lighter streaks along the leg (cells 6 cm around by 22 cm along), never blotches
        fade, _, _ = _value_noise(u * 1.5, v * 0.4, 0.09, 8)
        col = base[None] * (0.85 + 0.3 * twill + 0.12 * (slub - 0.5))[:, None]
        f = np.clip((fade - 0.45) * 0.35, 0.0, 0.12)[:, None]
        faded = np.minimum(_lin("c0ccdf"), base * np.float32(FADE_MAX))[None]  # a dark indigo fades to a lighter indigo
        return _grain(col * (1 - f) + f * faded, u, v, footprint)
    elif pattern == "leather":
        n, _, _ = _value_noise(u, v, 0.002, 9)
        return _grain(base[None] * (0.92 + 0.16 * (0.5 + (n - 0.5) * _fade(footprint, 0.002)))[:, None], u, v,
                      footprint)
    else:
        k = np.zeros_like(u)
    col = base[None] * (1 - k)[:, None] + second[None] * k[:, None]
    return _grain(col, u, v, footprint)


def _grain(col: np.ndarray, u: np.ndarray, v: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """A faint irregularity of the yarn (3 mm cells, +-3 %), fading to its mean below a pixel."""
    n = _hash2(np.floor(u / 0.003), np.floor(v / 0.003), 11)
    g = 1.0 + 0.06 * (n - 0.5) * _fade(footprint, 0.003)
    return (col * g[:, None]).astype(np.float32)


_MEANS: dict[tuple, np.ndarray] = {}


def pattern_mean(fabric: dict[str, Any]) -> np.ndarray:
    """(3,) float32 sRGB-encoded 0..1 mean albedo of a fabric (what a far pixel shows; the colour
    pass draws it per vertex, the texcoord pass adds the pattern per pixel). Cached."""
    key = tuple(str(fabric.get(k)) for k in ("color", "color2", "pattern", "pattern_scale"))
    if key not in _MEANS:
        if len(_MEANS) > 4096:
            _MEANS.clear()
        _MEANS[key] = _pattern_mean(fabric)
    return _MEANS[key]


def _pattern_mean(fabric: dict[str, Any]) -> np.ndarray:
    from genb.render.raster.colour import linear_to_srgb

    u = np.linspace(0.0, 0.5, 64, dtype=np.float32)
    uu, vv = np.meshgrid(u, u)
    lin = pattern_albedo(fabric, uu.ravel(), vv.ravel(), np.full(uu.size, 2.0, np.float32)).mean(axis=0)
    return linear_to_srgb(lin.astype(np.float32)).astype(np.float32)


def pattern_slopes(fabric: dict[str, Any], u: np.ndarray, v: np.ndarray,
                   footprint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,), (N,) float32 the cloth's height slopes dh/du, dh/dv (metres per metre) at u, v,
    each relief filtered by the pixel's footprint (a sinusoid's box filter, a sinc, cut at its
    first zero, so a relief finer than a pixel is exactly flat): knit ribs, denim's twill, a
    plain weave."""
    pattern = fabric.get("pattern", "solid")
    s = float(fabric.get("pattern_scale", 0.05))
    su = np.zeros_like(u)
    sv = np.zeros_like(u)

    def wave(x, period, amp):
        att = np.sinc(np.minimum(footprint / np.float32(period), 1.0))
        return amp * np.float32(2 * np.pi / period) * np.cos(x * np.float32(2 * np.pi / period)) * att

    if pattern == "knit":
        su += wave(u, 2 * s, 0.0006)
    elif pattern == "denim":
        t = wave(u + v, 0.0025, 0.0001)
        su += t
        sv += t
    else:
        su += wave(u, 0.0012, 0.00005)
        sv += wave(v, 0.0012, 0.00005)
    return su.astype(np.float32), sv.astype(np.float32)
