"""Hair per pixel: strand albedo, strand relief and the hairline's blend into the skin, from strand
coordinates (u across the strands, v the distance to the hairline, metres; :mod:`genb.render.dress.hair`).

Strands are 1D noise across ``u`` stretched along the strand (each strand's value drifts slowly
along ``v``), in three octaves (fine strands ~0.9 mm, strands ~2.5 mm, clumps ~8 mm), each faded
to its mean once it is under a pixel (prefiltered: far hair shows its mean colour, never moire).
The strands of an octave are of irregular widths that drift along their length (u warped by a smooth
noise, :func:`strand_cells`), so no single stripe frequency dominates (a knit's ribs would); the
strands and clumps are round ridges (the relief) and the gaps between clumps lie in their shade.
Curls bend the strands: ``u`` is shifted by a wave along ``v`` whose phase is drawn per clump.
Near the hairline each strand stops at its own distance (a strand-scale ragged edge over a low
frequency wobble) and the skin shows between the last strands: no hard edge.
Pure, vectorised float32 functions (the same bits in every process).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.render.dress.fabric import _lin
from genb.render.dress.hair import CURLS, LOCK_TURN, LOCK_V
from genb.render.raster.colour import SRGB_TO_LINEAR
from genb.render.raster.procedural import fade, hash2

# (width m, length m, weight, ridge slope, gap shade): fine strands, strands, clumps
OCTAVES = ((0.0009, 0.035, 0.25, 0.0, 0.0), (0.0025, 0.07, 0.35, 0.3, 0.0), (0.008, 0.14, 0.4, 0.4, 0.35))
FUZZ = 0.5  # the hair's share at the very edge of its mesh
EDGE_NEAR, EDGE_FAR = 0.001, 0.01  # metres from the shell's edge where the strands stop (uniform per strand)
CLUMP_M = 0.008  # the curl's phase is drawn per clump of this width
LOCK_SHADE = 0.45  # darkening at a lock's sides (its flattened ring's edges)
# stubble: short hairs (0.6 mm across, 2.5 mm along), one octave
STUBBLE_OCTAVES = ((0.0006, 0.0025, 1.0, 0.2, 0.0),)
WARP, WARP_CELLS, WARP_ALONG = 1.8, 3.0, 0.05  # u warped by WARP strand widths of noise over WARP_CELLS strands, WARP_ALONG m


def curled_u(u: np.ndarray, v: np.ndarray, curl: str, seed: int) -> np.ndarray:
    """(N,) u bent by the curl's wave along v (phase per clump), metres."""
    amp, wavelength, _ = CURLS.get(curl, CURLS["straight"])
    if amp <= 0:
        return u
    c = np.floor(u / np.float32(CLUMP_M))
    phase = hash2(c, c, seed + 1)
    return u + np.float32(amp) * np.sin(np.float32(2 * np.pi) * (v / np.float32(wavelength) + phase))


def strand_cells(uc: np.ndarray, v: np.ndarray, width: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(cell, x)`` (N,) float32 of points ``uc``, ``v`` (metres across and along the strands) among
    strands of *irregular* widths around ``width`` metres: u is warped by a smooth noise over
    :data:`WARP_CELLS` strands across and :data:`WARP_ALONG` metres along (monotone across: each strand
    from ~0.5 to a few times ``width`` wide, drifting sideways along its length, so neighbours merge and
    part and no frequency dominates); ``cell`` the strand's index, ``x`` the position across it in [0, 1)."""
    t = uc / np.float32(width)
    g, h = t / np.float32(WARP_CELLS), v / np.float32(WARP_ALONG)
    i, j = np.floor(g), np.floor(h)
    f, e = g - i, h - j
    f, e = f * f * (3 - 2 * f), e * e * (3 - 2 * e)
    a, b = hash2(i, j, seed + 101), hash2(i + 1, j, seed + 101)
    c, d = hash2(i, j + 1, seed + 101), hash2(i + 1, j + 1, seed + 101)
    lo, hi = a + (b - a) * f, c + (d - c) * f
    w = t + np.float32(WARP) * (lo + (hi - lo) * e - np.float32(0.5))  # d/dt in 1 -+ 1.5 WARP / WARP_CELLS: monotone
    cell = np.floor(w)
    return cell, w - cell


def _octave(uc: np.ndarray, v: np.ndarray, footprint: np.ndarray, width: float, length: float, ridge: float,
            gaps: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One octave of strands (irregular, ~``width`` metres across, :func:`strand_cells`), faded out below
    a pixel (only the pixels where it shows are computed). Returns (N,) float32 each:

    - value in [0, 1]: per strand a value drifting along it (every ``length`` metres, offset per strand);
      0.5 where faded;
    - slope: each strand a round ridge of its own height (a half sine, peak slope ``ridge`` times a
      hashed 0.3..1) across it; 0 where faded or ``ridge`` is 0;
    - shade: 1 - ``gaps`` x height at the gap between two strands (the neighbours shade it), else 1.
    """
    n = len(uc)
    value, slope, shade = np.full(n, 0.5, np.float32), np.zeros(n, np.float32), np.ones(n, np.float32)
    k = fade(footprint, width)
    on = np.flatnonzero(k > 0)
    if not len(on):
        return value, slope, shade
    c, x = strand_cells(uc[on], v[on], width, seed)
    t = v[on] / np.float32(length) + hash2(c, c, seed)
    f = np.floor(t)
    s = t - f
    s = s * s * (3 - 2 * s)
    a, b = hash2(c, f, seed + 7), hash2(c, f + 1, seed + 7)
    ko = k[on]
    value[on] = 0.5 + (a + (b - a) * s - 0.5) * ko
    if ridge:
        height = np.float32(0.3) + np.float32(0.7) * hash2(c, c, seed + 13)
        slope[on] = np.float32(ridge) * height * np.cos(np.float32(np.pi) * x) * ko
        if gaps:
            edge = (np.float32(2) * x - np.float32(1)) ** 4  # 0 mid-ridge, 1 at the gap
            shade[on] = np.float32(1) - np.float32(gaps) * height * edge * ko
    return value, slope, shade


def _smooth_1d(x: np.ndarray, cell: float, seed: int) -> np.ndarray:
    """(N,) float32 smooth 1D value noise in [0, 1] over cells of ``cell`` metres."""
    t = x / np.float32(cell)
    i = np.floor(t)
    f = t - i
    f = f * f * (3 - 2 * f)
    a, b = hash2(i, i, seed), hash2(i + 1, i + 1, seed)
    return a + (b - a) * f


def strand_albedo(fabric: dict[str, Any], u: np.ndarray, v: np.ndarray,
                  footprint: np.ndarray, under: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hair at strand coordinates u, v (N,) metres, over a pixel ``footprint`` (N,) metres.

    ``under``: (N, 3) float32 linear, the colour pass's albedo there (facial hair blends into it).

    Returns:
        albedo (N, 3) float32 linear (hair blended into the skin at the hairline), slope (N,) float32
        the strands' height slope across them (dh/du, metres per metre), jitter (N,) float32 in
        [-0.5, 0.5] per strand (the highlight's shift), share (N,) float32 0..1 of hair (0: skin).
    """
    if fabric.get("facial"):  # a beard, a moustache, stubble (over the skin under it)
        return facial_albedo(fabric, u, v, footprint, under)
    seed = int(fabric.get("seed", 0)) & 0xFFFF
    curl = fabric.get("curl", "straight")
    uc = curled_u(u, v, curl, seed)
    k, slope, shade = _strands(uc, v, footprint, OCTAVES, seed)
    gain = (0.4 + 1.2 * k) * shade
    lock = np.flatnonzero(v >= np.float32(LOCK_V))
    if len(lock):  # a lock's sides lie in the shade of its own strands and its neighbours'
        side = np.cos(np.float32(2 * np.pi / LOCK_TURN) * u[lock]) ** 4
        gain[lock] *= np.float32(1) - np.float32(LOCK_SHADE) * side
    base = _lin(fabric["color"])
    hair = base[None, :] * gain[:, None]
    cell = np.floor(uc / np.float32(0.0025))
    jitter = hash2(cell, cell, seed + 3) - np.float32(0.5)
    share = np.ones(len(u), np.float32)
    near = np.flatnonzero(v < np.float32(EDGE_FAR + 0.003))  # only the hairline's pixels blend
    if len(near):
        share[near] = hairline_share(uc[near], v[near], footprint[near], seed)
        skin = SRGB_TO_LINEAR[np.clip(np.rint(np.asarray(fabric.get("skin", [0.6, 0.45, 0.35])) * 255), 0, 255).astype(int)]
        cover = 1.0 - (1.0 - share[near]) ** 2  # strands over the skin cover more than their share of its light
        hair[near] = skin[None, :] + (hair[near] - skin[None, :]) * cover[:, None]
    return hair.astype(np.float32), slope * share, jitter.astype(np.float32), share


def _strands(uc: np.ndarray, v: np.ndarray, footprint: np.ndarray, octaves: tuple,
             seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N,) float32 each: light and dark strands around the colour (the octaves' weighted values, mean
    0.5 x their weights), the strands' relief across them (each strand and each clump a round ridge of
    its own height and width) and the gaps between clumps in their shade (:func:`_octave` per octave)."""
    k = np.zeros_like(uc)
    slope = np.zeros_like(uc)
    shade = np.ones_like(uc)
    for i, (w, length, weight, ridge, gaps) in enumerate(octaves):
        value, sl, sh = _octave(uc, v, footprint, w, length, ridge, gaps, seed + 31 * i)
        k += np.float32(weight) * value
        slope += sl
        shade *= sh
    return k, slope, shade


def facial_albedo(fabric: dict[str, Any], u: np.ndarray, v: np.ndarray, footprint: np.ndarray,
                  under: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Facial hair (:mod:`genb.render.dress.facial_hair`) at strand coordinates u, v (N,) metres (u
    across strands running down the face, v from the shell's edge), over a pixel ``footprint`` (N,)
    metres, blended into the skin ``under`` it ((N, 3) float32 linear, the colour pass's; None: the
    record's ``skin``). Returns what :func:`strand_albedo` returns.

    The hair's share is the record's ``facial.density`` from ``facial.fade`` metres in, none at the edge
    (:func:`facial_share`: each fine strand stops at its own distance); stubble (``facial.short``) is
    short dashes (:data:`STUBBLE_OCTAVES`) whose own value modulates the share (a fine tint of hairs);
    a beard's strands are the scalp hair's :data:`OCTAVES`."""
    facial = fabric["facial"]
    seed = int(fabric.get("seed", 0)) & 0xFFFF
    short = bool(facial.get("short"))
    k, slope, shade = _strands(u, v, footprint, STUBBLE_OCTAVES if short else OCTAVES, seed + 977)
    hair = _lin(fabric["color"])[None, :] * ((0.4 + 1.2 * k) * shade)[:, None]
    share = facial_share(u, v, footprint, seed, float(facial["fade"])) * np.float32(facial["density"])
    if short:  # each dash a hair or bare skin (its value); under a pixel the mean
        share = np.clip(share * (np.float32(2) * k), 0.0, 1.0)
    if under is None:
        skin = SRGB_TO_LINEAR[np.clip(np.rint(np.asarray(fabric.get("skin", [0.6, 0.45, 0.35])) * 255), 0, 255).astype(int)]
        under = np.broadcast_to(skin.astype(np.float32), hair.shape)
    albedo = under + (hair - under) * share[:, None]
    jitter = hash2(np.floor(u / np.float32(0.0025)), np.floor(u / np.float32(0.0025)), seed + 3) - np.float32(0.5)
    return albedo.astype(np.float32), (slope * share).astype(np.float32), jitter.astype(np.float32), share.astype(np.float32)


def facial_share(u: np.ndarray, v: np.ndarray, footprint: np.ndarray, seed: int, width: float) -> np.ndarray:
    """(N,) float32 0..1 share of facial hair at ``v`` metres from its shell's edge: 0 on the edge, 1
    from ``width`` in; each fine strand (0.9 mm) starts at its own distance in [0, 0.6 ``width``] plus
    a smooth wobble along the edge (2 cm), its share rising over 0.4 ``width`` from there (a smoothstep);
    under a pixel the mean over the strands (prefiltered)."""
    cell = np.floor(u / np.float32(0.0009))
    w = np.float32(width)
    start = np.float32(0.6) * w * hash2(cell, cell, seed + 5) + np.float32(0.15) * w * (_smooth_1d(u, 0.02, seed + 11) - 0.5)
    start = np.maximum(start, np.float32(0))  # none on the edge itself
    own = np.clip((v - start) / (np.float32(0.4) * w), 0.0, 1.0)
    mean = np.clip((v - np.float32(0.1) * w) / (np.float32(0.9) * w), 0.0, 1.0)
    f = fade(footprint, 0.0009)
    s = mean + (own - mean) * f
    return (s * s * (np.float32(3) - np.float32(2) * s)).astype(np.float32)


def hairline_share(uc: np.ndarray, v: np.ndarray, footprint: np.ndarray, seed: int) -> np.ndarray:
    """(N,) float32 0..1 share of hair at distance v (metres) from the hairline: each fine strand
    (0.9 mm) stops at its own distance in [EDGE_NEAR, EDGE_FAR] (plus a smooth wobble over 2 cm along the line);
    where a strand is under a pixel the expected share (a ramp) replaces the strand's own edge."""
    cell = np.floor(uc / np.float32(0.0009))
    wobble = _smooth_1d(uc, 0.02, seed + 11) - 0.5
    stop = np.float32(EDGE_NEAR) + np.float32(EDGE_FAR - EDGE_NEAR) * hash2(cell, cell, seed + 5)
    lo, hi = np.float32(EDGE_NEAR), np.float32(EDGE_FAR)
    shift = np.float32(0.004) * wobble
    sharp = np.clip((v - stop - shift) / np.maximum(footprint, np.float32(5e-4)) + 0.5, 0.0, 1.0)
    mean = np.clip((v - lo - shift) / (hi - lo), 0.0, 1.0)
    f = fade(footprint, 0.0009)
    share = mean + (sharp - mean) * f
    # a fuzz of fine short hairs under and before the last strands: never bare skin on the hair's mesh
    # (it is lit as hair, off the skin: bare, it would read as a band of other skin)
    fuzz = np.float32(FUZZ) + np.float32(0.3) * np.clip((v - shift) / hi, 0.0, 1.0)
    return np.maximum(share, fuzz).astype(np.float32)
