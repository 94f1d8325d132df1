"""Seams, hems, waistbands, stitching and buttons of garments, per pixel, from their cloth coordinates.

A garment's cloth coordinates (:func:`genb.render.dress.fabric.cloth_coordinates`) unroll each region
(trunk, arms, legs, a loose skirt) around its own axis and shift it by its row of
:data:`~genb.render.dress.fabric.REGION_OFFSETS`, so a pixel's (u, v) tells its region
(:func:`regions`) and where it lies on that region's pattern pieces: a tailor's seams sit at fixed
places there. In a region of unrolling radius R (metres):

- the trunk's side seams, continued over the shoulders (the coronal plane), at u = 0 (left) and
  u = +-pi R (right); a leg's outseam at u = 0 and its inseam at u = +-pi R; a skirt's side seams at
  u = 0 and pi R; a sleeve's underarm seam at u = +-pi R;
- hems: a turned-up edge stitched 2 cm above the lowest v of the trunk (a top's hem), a sleeve or a leg;
  a trousers' waistband (a 4 cm band at the trunk's top, stitched along both edges); a top's neckband;
- a shirt's or a closed coat's button placket down the front (u = pi R / 2) with buttons;
- pockets (jeans' back patch pockets and front openings, a shirt's chest pocket, a coat's flap
  pockets) and the sleeves' armhole seams: :mod:`genb.render.dress.pockets`.

:func:`seam_layout` records R and the lowest and highest v of every region of a piece (its
:class:`~genb.render.dress.texcoords.ClothMap` ``seams``); :func:`cloth_records` hands them to the
renderer with each garment record; :func:`apply_seams` shades the pixels: a groove at a seam (a
darker line and bent normals), the seam allowance's puff beside it, thread dashes for stitched lines
(denim: double rows of contrasting thread). Every profile is a Gaussian widened by the pixel's
footprint (the box filter's variance, the line's integral kept), and the whole detail fades out once a
pixel spans more than a few millimetres of cloth: far garments keep their bytes exactly.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from genb.render.dress.fabric import REGION_OFFSETS, _lin as _fabric_lin
from genb.render.dress.hood import draw_hood
from genb.render.dress.neckline import neckline_drop
from genb.render.dress.rib_bands import CUFF_BAND, TRUNK_BAND, ribbed
from genb.render.dress.pockets import buttoned, draw_armholes, draw_leg_pockets, draw_pockets
from genb.render.dress.seam_canvas import Canvas, band_ids, draw_lines

SEAMED = ("top", "coat", "dress", "bottom")  # garment kinds with seams (a registered kind: none unless listed)
FAR_M = 0.008  # metres of cloth per pixel from which no seam detail is drawn (the fades below are 0 there)
CONTRAST_THREAD = "c8903c"  # jeans' topstitching


def solid_seams(fabric: dict | None, detail: Any) -> bool:
    """Whether a solid garment goes per pixel for its seams: one of :data:`SEAMED` on a person dressed
    with ``seams`` (:class:`genb.render.dress.lod.Detail`: a close-up, about 2 mm of cloth per pixel)."""
    return bool(fabric) and fabric.get("kind") in SEAMED and bool(getattr(detail, "seams", False))


def seam_layout(uv: np.ndarray, region: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """(6, 3) float32 per region (trunk, left arm, right arm, left leg, right leg, skirt): its unrolling
    radius R, its lowest and highest v in its own coordinates (metres; NaN where a region is absent).

    Args:
        uv: (N, 2) the vertices' cloth coordinates (with the region offsets). region: (N,) int 0..5.
        radii: (6,) the unrolling radii.
    """
    out = np.full((6, 3), np.nan, np.float32)
    for r in range(6):
        v = uv[region == r, 1] - REGION_OFFSETS[r, 1]
        if len(v):
            out[r] = (radii[r], v.min(), v.max())
    return out


def cloth_records(people: list) -> dict:
    """{(instance, part id): garment record} of the pieces drawn per pixel (``fabric`` and ``uv``), a
    record with a layout (:func:`seam_layout`) gets a copy with ``seams``: the pieces' layouts of that
    key merged (a coat's shell and its tail). The outfit's own records are never changed."""
    out: dict = {}
    layouts: dict = {}
    for i, p in enumerate(people):
        for e in p.extras:
            if getattr(e, "fabric", None) is None:
                continue
            key = (i + 1, e.part)
            out[key] = e.fabric
            lay = getattr(getattr(e, "uv", None), "seams", None)
            if lay is not None and e.fabric.get("kind") in SEAMED:
                got = layouts.get(key)
                layouts[key] = lay if got is None else np.where(np.isnan(got), lay, got)
    for key, lay in layouts.items():
        out[key] = {**out[key], "seams": lay}
    return out


def regions(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(N,) int8 the region (0 trunk, 1, 2 arms, 3, 4 legs, 5 skirt) of cloth coordinates (N,) metres."""
    high, low = v > np.float32(1.15), v < np.float32(-1.0)
    right, skirt = u > np.float32(0.5), u < np.float32(-0.45)
    r = np.zeros(len(u), np.int8)
    r[high] = 1 + right[high]
    r[low] = np.where(skirt[low], 5, 3 + right[low])
    return r


_OFFSETS = REGION_OFFSETS.astype(np.float32)


def local_frame(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N,) int8 regions (:func:`regions`) of cloth coordinates (N,) float32 metres, and (N,), (N,) float32
    the coordinates less their region's offset (:data:`~genb.render.dress.fabric.REGION_OFFSETS`): each
    region's own frame, where its seams lie (and the two legs' and arms' patterns mirror each other)."""
    r = regions(u, v)
    off = _OFFSETS[r]
    with np.errstate(invalid="ignore"):
        return r, u - off[:, 0], v - off[:, 1]


@functools.lru_cache(maxsize=1024)
def _lin(hex_color: str) -> np.ndarray:
    """(3,) float32 linear RGB of an sRGB hex colour (:func:`genb.render.dress.fabric._lin`, cached; read-only)."""
    out = _fabric_lin(hex_color)
    out.setflags(write=False)
    return out


def _draw(c: Canvas, fabric: dict, lay: np.ndarray, r: np.ndarray, ul: np.ndarray, vl: np.ndarray) -> None:
    """The seams of one garment (``fabric``, layout ``lay``) at pixels of regions ``r`` and coordinates
    (``ul``, ``vl``) in their region's own frame (N,)."""
    kind, denim = fabric.get("kind"), fabric.get("pattern") == "denim"
    top = kind != "bottom"
    rows_of = np.arange(6)
    if top:
        rows_of[3:5] = 0  # a top's bits over the hips follow the trunk's rows
    hemmed = np.isfinite(lay[:, 0])
    hemmed[0] &= not np.isfinite(lay[5, 0])  # a bodice, a coat and a skirt's waistband meet their skirt at a seam
    tab = np.stack([np.pi * lay[:, 0], lay[rows_of, 1], lay[rows_of, 2]], 1).astype(np.float32)
    piR, lo = tab[r, 0], tab[r, 1]  # (NaN where the piece has no such region: nothing is drawn)
    k = np.rint(ul / piR)
    x = ul - piR * k  # metres across the nearest seam (a sleeve's: its underarm seam only, below)
    arm = np.flatnonzero((r - np.int8(1)).view(np.uint8) <= 1)  # regions 1 and 2
    if len(arm):
        ka = np.rint((ul[arm] - piR[arm]) / (2 * piR[arm]))
        x[arm] = ul[arm] - piR[arm] * (2 * ka + 1)
    ids = band_ids(x, c.fp, -0.009, 0.009)
    draw_lines(c, ids, x[ids], vl[ids], [("seam", 0.0)], "u")
    if denim and len(ids):  # flat-felled: two rows of thread beside the seam (not a jeans' outseam)
        outseam = (r[ids] >= 3) & (r[ids] <= 4) & (k[ids] == 0) & (kind == "bottom")
        f = ids[~outseam]
        draw_lines(c, f, x[f], vl[f], [("stitch", 3.0e-3), ("stitch", 9.5e-3)], "u")
    y = vl - lo  # metres above the lowest edge
    ids = band_ids(y, c.fp, -0.009, 0.035)
    if ribbed(fabric):  # a hoodie's or a sweater's rib bands, sewn on at their top: no turned-up hem (dress.rib_bands)
        ids = _rib_bands(c, ids, r, ul, y, hemmed)
    if len(ids):
        stitched = [("stitch", 0.012), ("stitch", 0.019)] if denim else [("stitch", 0.018)]
        h = hemmed[r[ids]]
        draw_lines(c, ids[h], y[ids[h]], ul[ids[h]], [("edge", 0.026)] + stitched, "v")
        draw_lines(c, ids[~h], y[ids[~h]], ul[ids[~h]], [("seam", 0.0)], "v")
    trunk = np.flatnonzero(r == 0)
    z = tab[0, 2] - vl[trunk]  # metres below the trunk's top
    if kind == "bottom":  # a waistband (on trousers' legs too: they run up to the waist, dress.texcoords)
        waist = np.flatnonzero((r == 0) | (r == 3) | (r == 4))
        z = tab[r[waist], 2] - vl[waist]
        ids = band_ids(z, c.fp[waist], 0.0, 0.049)
        draw_lines(c, waist[ids], z[ids], ul[waist[ids]], [("seam", 0.04), ("stitch", 0.005), ("stitch", 0.034)] +
               ([("stitch", 0.011)] if denim else []), "v")
    elif kind == "top" and not fabric.get("hood"):  # a neckband along the neckline (lower at the front)
        z = z - neckline_drop(np.sin(ul[trunk] * (np.float32(np.pi) / tab[0, 0])))  # sin of the chart's angle: front 1
        ids = band_ids(z, c.fp[trunk], 0.0, 0.027)
        draw_lines(c, trunk[ids], z[ids], ul[trunk[ids]], [("seam", 0.018), ("stitch", 0.011)], "v")
    if buttoned(fabric):  # a shirt, a closed jacket or coat
        _placket(c, trunk, ul[trunk] - tab[0, 0] / 2, vl[trunk], float(tab[0, 1]), float(tab[0, 2]), big=kind == "coat")
    draw_pockets(c, fabric, trunk, ul[trunk], vl[trunk], float(tab[0, 0]), float(tab[0, 2]), float(tab[0, 1]))
    if kind == "top" and fabric.get("hood"):  # the hood lying on the back (dress.hood)
        draw_hood(c, trunk, ul[trunk], vl[trunk], float(tab[0, 0]), float(tab[0, 2]))
    if kind == "bottom":  # trousers' pockets lie on their legs' charts
        legs = np.flatnonzero((r == 3) | (r == 4))
        draw_leg_pockets(c, fabric, legs, ul[legs], vl[legs], tab[r[legs], 0], tab[r[legs], 2])
    if len(arm):  # where the sleeves are sewn on
        draw_armholes(c, arm, ul[arm], vl[arm], tab[r[arm], 2])


def _rib_bands(c: Canvas, ids: np.ndarray, r: np.ndarray, ul: np.ndarray, y: np.ndarray, hemmed: np.ndarray) -> np.ndarray:
    """A ribbed top's waistband and cuffs (``y`` metres above a region's lowest edge, ``ul`` across): their
    ribs and the seam at their top, where the hemmed regions (trunk and hips, arms) have them; returns
    ``ids`` (the pixels near a lowest edge) less those on a band, whose hem is not drawn."""
    depth = np.where((r == 1) | (r == 2), np.float32(CUFF_BAND), np.float32(TRUNK_BAND))
    on = np.flatnonzero(hemmed[r] & (y < depth + c.fp))
    if len(on):
        c.ribs(on, ul[on], depth[on] - y[on])
    near = np.flatnonzero(hemmed[r] & (np.abs(y - depth) < np.float32(0.009) + c.fp))
    if len(near):
        draw_lines(c, near, y[near] - depth[near], ul[near], [("seam", 0.0)], "v")
    return ids[~hemmed[r[ids]]]


def _placket(c: Canvas, trunk: np.ndarray, p: np.ndarray, vl: np.ndarray, lo: float, hi: float, big: bool) -> None:
    """A button placket down the front of the trunk (``p``: metres from u = pi R / 2 at the ``trunk``
    pixels): its edge, two rows of stitches, buttons every 9 cm (a coat's: 11 cm, larger)."""
    step, radius = (0.11, 0.009) if big else (0.09, 0.0055)
    ids = band_ids(p, c.fp[trunk], -0.021, 0.025)
    ids = ids[vl[ids] < np.float32(hi - 0.02)]
    if not len(ids):
        return
    draw_lines(c, trunk[ids], p[ids], vl[ids], [("seam", 0.016), ("stitch", 0.012), ("stitch", -0.012)], "u")
    ids = ids[np.abs(p[ids]) < np.float32(radius) + c.fp[trunk[ids]]]
    first = np.float32(hi - 0.06)
    j = np.rint((first - vl[ids]) / np.float32(step))
    y = vl[ids] - (first - j * np.float32(step))
    keep = (j >= 0) & (first - j * np.float32(step) > np.float32(lo + 0.05))
    if keep.any():
        c.buttons(trunk[ids[keep]], p[ids[keep]], y[keep], radius)


def apply_seams(fabric: dict[str, Any], u: np.ndarray, v: np.ndarray, footprint: np.ndarray,
                albedo: Any, local: tuple | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Seams, hems, bands, stitching and buttons of one garment over N of its pixels.

    Args:
        fabric: the garment record with ``seams`` (:func:`cloth_records`); ``kind``, ``pattern``, ...;
            ``seam_weight`` (0..1, optional): the share of the detail drawn (a solid garment's, fading in).
        u, v: (N,) float32 cloth coordinates, metres. footprint: (N,) metres of cloth per pixel.
        albedo: the linear albedo of the fabric at (M,) of the N pixels, (M, 3) float32: ``albedo(indices)``.
        local: the N pixels' :func:`local_frame` where the caller has it already (a patterned garment's),
            else None (computed here for the near pixels alone).

    Returns (M,) the indices of the pixels changed, their new albedo (M, 3) and their slopes dh/du,
    dh/dv (M,), or None when no pixel is near enough (or the garment has no seams).
    """
    lay = fabric.get("seams")
    if lay is None or not len(footprint) or footprint.min() >= FAR_M:
        return None
    near = np.flatnonzero(footprint < np.float32(FAR_M))
    if len(near) == len(footprint):
        near, fp = None, footprint
        r, ul, vl = local_frame(u, v) if local is None else local
    else:
        fp = footprint[near]
        r, ul, vl = local_frame(u[near], v[near]) if local is None else (x[near] for x in local)
    c = Canvas(fp)
    with np.errstate(invalid="ignore"):
        _draw(c, fabric, lay, r, ul, vl)
    h = np.flatnonzero(c.hit)
    if not len(h):
        return None
    base = _lin(fabric["color"])
    thread = _lin(CONTRAST_THREAD) if fabric.get("pattern") == "denim" else base * np.float32(0.7)
    at = h if near is None else near[h]
    t = c.thread[h, None]
    under = albedo(at)
    alb = under * c.dark[h, None] * (1 - t) + thread[None] * t
    if c.button is not None:
        b = c.button[h, None]
        button = _lin("ece8de") if fabric.get("kind") == "top" else base * np.float32(0.45)  # a coat's: its own colour, darker
        alb = alb * (1 - b) + button[None] * b
    if c.cord is not None:  # a hoodie's drawstrings: a paler cord (on a pale hoodie, a darker), their aglets dark grey
        cord = base * np.float32(0.55) if base.mean() > 0.35 else base * np.float32(0.4) + _lin("ece8de") * np.float32(0.6)
        q = c.cord[h, None]
        a, t = np.minimum(q, 1.0), np.clip(q - 1.0, 0.0, 1.0)
        alb = alb * (1 - a) + (cord[None] * (1 - t) + _lin("3a3a3c")[None] * t) * a
    w = fabric.get("seam_weight")
    if w is not None and w < 1.0:  # a solid garment's seams fading in with the person's scale (dress.lod)
        w = np.float32(w)
        return at, (under + w * (alb - under)).astype(np.float32), c.su[h] * w, c.sv[h] * w
    return at, alb.astype(np.float32), c.su[h], c.sv[h]
