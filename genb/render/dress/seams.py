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
- a shirt's or a closed coat's button placket down the front (u = pi R / 2) with buttons.

:func:`seam_layout` records R and the lowest and highest v of every region of a piece (its
:class:`~genb.render.dress.texcoords.ClothMap` ``seams``); :func:`cloth_records` hands them to the
renderer with each garment record; :func:`apply_seams` shades the pixels: a groove at a seam (a
darker line and bent normals), the seam allowance's puff beside it, thread dashes for stitched lines
(denim: double rows of contrasting thread). Every profile is a Gaussian widened by the pixel's
footprint (the box filter's variance, the line's integral kept), and the whole detail fades out once a
pixel spans more than a few millimetres of cloth: far garments keep their bytes exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.render.dress.fabric import REGION_OFFSETS
from genb.render.raster.procedural import fade, square

SEAMED = ("top", "coat", "dress", "bottom")  # garment kinds with seams (a registered kind: none unless listed)
FAR_M = 0.008  # metres of cloth per pixel from which no seam detail is drawn (the fades below are 0 there)
SEAM_FADE_M = 0.0107  # fade(fp, SEAM_FADE_M): grooves and edges whole up to 2.7 mm per pixel, gone at 8 mm
CONTRAST_THREAD = "c8903c"  # jeans' topstitching
MM = np.float32(0.001)


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


def _gauss(x: np.ndarray, sigma: float, fp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A unit-height Gaussian line exp(-(x / sigma)^2) box-filtered over ``fp`` (a Gaussian of the
    summed variance, its integral kept): value and derivative in x (per metre)."""
    s2 = np.float32(sigma * sigma) + fp * fp * np.float32(1 / 6)
    e = np.exp(-(x * x) / s2) * (np.float32(sigma) / np.sqrt(s2))
    return e, np.float32(-2) * x / s2 * e


def _lin(hex_color: str) -> np.ndarray:
    from genb.render.raster.colour import SRGB_TO_LINEAR

    return SRGB_TO_LINEAR[np.array([int(hex_color[i:i + 2], 16) for i in (0, 2, 4)])].astype(np.float32)


class _Canvas:
    """The seam detail accumulated over N pixels: albedo factor, thread cover, height slopes."""

    def __init__(self, fp: np.ndarray):
        n = len(fp)
        self.fp, self.dark, self.thread = fp, np.ones(n, np.float32), np.zeros(n, np.float32)
        self.su, self.sv = np.zeros(n, np.float32), np.zeros(n, np.float32)
        self.button, self.button_cover = None, None

    def _slope(self, ids, axis: str, d: np.ndarray) -> None:
        (self.su if axis == "u" else self.sv)[ids] += d

    def seam(self, ids, x, axis: str, sign: float = 1.0) -> None:
        """A sewn seam at x = 0 (metres across it, N'): a groove, darker, with the allowance's puff beside it."""
        fp = self.fp[ids]
        g, dg = _gauss(x, 1.0e-3, fp)
        p1, dp1 = _gauss(x - 3.5 * MM, 1.8e-3, fp)
        p2, dp2 = _gauss(x + 3.5 * MM, 1.8e-3, fp)
        f = fade(fp, SEAM_FADE_M)
        self.dark[ids] *= 1 - np.float32(0.35) * g * f
        self._slope(ids, axis, (np.float32(-0.35e-3) * dg + np.float32(0.2e-3) * (dp1 + dp2)) * f * np.float32(sign))

    def edge(self, ids, x, axis: str) -> None:
        """The inner edge of a turned-up hem or a band at x = 0: a faint step."""
        fp = self.fp[ids]
        g, dg = _gauss(x, 1.5e-3, fp)
        f = fade(fp, SEAM_FADE_M)
        self.dark[ids] *= 1 - np.float32(0.12) * g * f
        self._slope(ids, axis, np.float32(-0.15e-3) * dg * f)

    def stitch(self, ids, x, y, axis: str) -> None:
        """A row of thread dashes along x = 0 (``y``: metres along it)."""
        fp = self.fp[ids]
        g, dg = _gauss(x, 0.35e-3, fp)
        dash = square(y * np.float32(1 / 3.2e-3), fp * np.float32(1 / 3.2e-3), 0.72)
        f = fade(fp, 0.005)
        self.thread[ids] = np.maximum(self.thread[ids], np.float32(0.9) * g * dash * f)
        self._slope(ids, axis, np.float32(0.12e-3) * dg * dash * f)

    def buttons(self, ids, x, y, radius: float) -> None:
        """Round buttons centred at x = 0, y = 0 (metres, N'): their cover and a domed relief."""
        fp = self.fp[ids]
        rho = np.sqrt(x * x + y * y)
        cover = np.clip((np.float32(radius) - rho) / np.maximum(fp, np.float32(1e-5)) + 0.5, 0.0, 1.0)
        f = fade(fp, 2 * radius)
        if self.button is None:
            self.button = np.zeros(len(self.fp), np.float32)
        self.button[ids] = np.maximum(self.button[ids], cover * f)
        inside = np.float32(-2 * 0.25 / radius) * cover * f  # a dome 1/4 of the radius high
        self.su[ids] += inside * x / np.float32(radius)
        self.sv[ids] += inside * y / np.float32(radius)


def _near(x: np.ndarray, fp: np.ndarray, reach: float) -> np.ndarray:
    return np.flatnonzero(np.abs(x) < np.float32(reach) + fp)


def _rows(c: _Canvas, y: np.ndarray, along: np.ndarray, lines: list, sel: np.ndarray | None = None) -> None:
    """Draw horizontal ``lines`` [(kind, offset m)] at v offsets ``y`` (N,) (``sel``: only those pixels)."""
    for kind, at in lines:
        ids = _near(y - np.float32(at), c.fp, 0.009)
        if sel is not None:
            ids = ids[sel[ids]]
        if len(ids):
            getattr(c, kind)(ids, *((y[ids] - np.float32(at), along[ids], "v") if kind == "stitch" else
                                    (y[ids] - np.float32(at), "v")))


def _draw(c: _Canvas, fabric: dict, lay: np.ndarray, r: np.ndarray, ul: np.ndarray, vl: np.ndarray) -> None:
    """The seams of one garment (``fabric``, layout ``lay``) at pixels of regions ``r`` and coordinates
    (``ul``, ``vl``) in their region's own frame (N,)."""
    kind, denim = fabric.get("kind"), fabric.get("pattern") == "denim"
    top = kind != "bottom"
    rows = np.where(top & ((r == 3) | (r == 4)), 0, r)  # a top's bits over the hips follow the trunk's rows
    R, lo, hi = lay[r, 0], lay[rows, 1], lay[rows, 2]
    ok = np.isfinite(R) & np.isfinite(lo)
    arm = (r == 1) | (r == 2)
    piR = np.float32(np.pi) * np.where(ok, R, np.float32(1))
    k = np.rint(np.where(arm, (ul - piR) / (2 * piR), ul / piR))
    x = np.where(arm, ul - piR - 2 * piR * k, ul - piR * k)  # metres across the nearest seam
    ids = _near(np.where(ok, x, np.inf), c.fp, 0.009)
    if len(ids):
        c.seam(ids, x[ids], "u")
        if denim:  # flat-felled: two rows of thread beside the seam (not a jeans' outseam)
            felled = ids[~((r[ids] >= 3) & (r[ids] <= 4) & (k[ids] == 0) & (kind == "bottom"))]
            for at in (3.0e-3, 9.5e-3):
                got = felled[np.abs(x[felled] - np.float32(at)) < np.float32(2e-3) + c.fp[felled]]
                c.stitch(got, x[got] - np.float32(at), vl[got], "u")
    y = np.where(ok, vl - lo, np.inf)  # metres above the lowest edge
    stitched = [("stitch", 0.012), ("stitch", 0.019)] if denim else [("stitch", 0.018)]
    hemmed = ok & ~((r == 0) & top & np.isfinite(lay[5, 0]))  # a dress bodice and a coat meet their skirt
    _rows(c, y, ul, [("edge", 0.026)] + stitched, hemmed)
    _rows(c, y, ul, [("seam", 0.0)], ok & ~hemmed)
    z = np.where(ok & (r == 0), hi - vl, np.inf)  # metres below the trunk's top
    if kind == "bottom":  # a waistband
        _rows(c, z, ul, [("seam", 0.04), ("stitch", 0.005), ("stitch", 0.034)] + ([("stitch", 0.011)] if denim else []))
    elif kind == "top" and not fabric.get("hood"):  # a neckband
        _rows(c, z, ul, [("seam", 0.018), ("stitch", 0.011)])
    if kind in ("top", "coat") and fabric.get("sleeve", -1) > 1.5 and not fabric.get("open"):
        _placket(c, x, ul, vl, lo, hi, r, piR, big=kind == "coat")


def _placket(c: _Canvas, x, ul, vl, lo, hi, r, piR, big: bool) -> None:
    """A button placket down the front of the trunk (u = pi R / 2): its edge, two rows of stitches,
    buttons every 9 cm (a coat's: 11 cm, larger)."""
    p = np.where(r == 0, ul - piR / 2, np.inf)
    lines = [("seam", 0.016), ("stitch", 0.012), ("stitch", -0.012)]
    for kind, at in lines:
        ids = _near(p - np.float32(at), c.fp, 0.006)
        ids = ids[vl[ids] < hi[ids] - np.float32(0.02)]
        if len(ids):
            getattr(c, kind)(ids, *((p[ids] - np.float32(at), vl[ids], "u") if kind == "stitch" else
                                    (p[ids] - np.float32(at), "u")))
    step, radius = (0.11, 0.009) if big else (0.09, 0.0055)
    ids = _near(p, c.fp, radius)
    if not len(ids):
        return
    first = hi[ids] - np.float32(0.06)
    j = np.rint((first - vl[ids]) / np.float32(step))
    y = vl[ids] - (first - j * np.float32(step))
    keep = (j >= 0) & (first - j * np.float32(step) > lo[ids] + np.float32(0.05))
    c.buttons(ids[keep], p[ids][keep], y[keep], radius)


def apply_seams(fabric: dict[str, Any], u: np.ndarray, v: np.ndarray, footprint: np.ndarray,
                albedo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Seams, hems, bands, stitching and buttons of one garment over N of its pixels.

    Args:
        fabric: the garment record with ``seams`` (:func:`cloth_records`); ``kind``, ``pattern``, ...
        u, v: (N,) float32 cloth coordinates, metres. footprint: (N,) metres of cloth per pixel.
        albedo: (N, 3) float32 linear albedo of the fabric there (changed in place).

    Returns (albedo, slopes dh/du (N,), dh/dv (N,)), or None when no pixel is near enough (or the
    garment has no seams).
    """
    lay = fabric.get("seams")
    if lay is None or not len(footprint) or footprint.min() >= FAR_M:
        return None
    near = np.flatnonzero(footprint < np.float32(FAR_M))
    c = _Canvas(footprint[near])
    r = regions(u[near], v[near])
    off = REGION_OFFSETS.astype(np.float32)
    _draw(c, fabric, lay, r, u[near] - off[r, 0], v[near] - off[r, 1])
    alb = albedo[near] * c.dark[:, None]
    base = _lin(fabric["color"])
    thread = _lin(CONTRAST_THREAD) if fabric.get("pattern") == "denim" else base * np.float32(0.7)
    t = c.thread[:, None]
    alb = alb * (1 - t) + thread[None] * t
    if c.button is not None:
        b = c.button[:, None]
        button = _lin("ece8de") if fabric.get("kind") == "top" else base * np.float32(0.45)  # a coat's: its own colour, darker
        alb = alb * (1 - b) + button[None] * b
    albedo[near] = alb
    su = np.zeros(len(u), np.float32)
    sv = np.zeros(len(u), np.float32)
    su[near], sv[near] = c.su, c.sv
    return albedo, su, sv
