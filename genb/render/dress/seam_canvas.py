"""The canvas seams, hems, pockets and stitching are drawn on, per pixel (:mod:`genb.render.dress.seams`,
:mod:`genb.render.dress.pockets`): grooves, edges, thread dashes and buttons accumulated as an albedo
factor, a thread cover and height slopes, each profile a Gaussian widened by the pixel's footprint (the
box filter's variance, its integral kept) and faded out once a pixel spans too much cloth."""

from __future__ import annotations

import numpy as np

from genb.render.raster.procedural import fade, square

SEAM_FADE_M = 0.0107  # fade(fp, SEAM_FADE_M): grooves and edges whole up to 2.7 mm per pixel, gone at 8 mm
MM = np.float32(0.001)
RIB_PERIOD = 0.004  # metres: one rib and one groove of a knitted band (a 1x1 rib of a sweatshirt's cuff)
RIB_DEPTH = 0.0003  # metres: the ribs' relief (half their height)


def _gauss(x: np.ndarray, sigma: float, fp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A unit-height Gaussian line exp(-(x / sigma)^2) box-filtered over ``fp`` (a Gaussian of the
    summed variance, its integral kept): value and derivative in x (per metre)."""
    s2 = np.float32(sigma * sigma) + fp * fp * np.float32(1 / 6)
    e = np.exp(-(x * x) / s2) * (np.float32(sigma) / np.sqrt(s2))
    return e, np.float32(-2) * x / s2 * e


class Canvas:
    """The seam detail accumulated over N pixels: albedo factor, thread cover, height slopes."""

    def __init__(self, fp: np.ndarray):
        n = len(fp)
        self.fp, self.dark, self.thread = fp, np.ones(n, np.float32), np.zeros(n, np.float32)
        self.su, self.sv = np.zeros(n, np.float32), np.zeros(n, np.float32)
        self.button, self.cord, self.hit = None, None, np.zeros(n, bool)

    def _slope(self, ids, axis: str, d: np.ndarray) -> None:
        (self.su if axis == "u" else self.sv)[ids] += d
        self.hit[ids] = True

    def seam(self, ids, x, axis: str) -> None:
        """A sewn seam at x = 0 (metres across it, N'): a groove, darker, with the allowance's puff beside it."""
        fp = self.fp[ids]
        g, dg = _gauss(x, 1.0e-3, fp)
        p1, dp1 = _gauss(x - 3.5 * MM, 1.8e-3, fp)
        p2, dp2 = _gauss(x + 3.5 * MM, 1.8e-3, fp)
        f = fade(fp, SEAM_FADE_M)
        self.dark[ids] *= 1 - np.float32(0.35) * g * f
        self._slope(ids, axis, (np.float32(-0.35e-3) * dg + np.float32(0.2e-3) * (dp1 + dp2)) * f)

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
        self.hit[ids] = True
        inside = np.float32(-2 * 0.25 / radius) * cover * f  # a dome 1/4 of the radius high
        self.su[ids] += inside * x / np.float32(radius)
        self.sv[ids] += inside * y / np.float32(radius)

    def cords(self, ids, x, y, radius: float, length: float) -> None:
        """A round cord lying along x = 0 (a hoodie's drawstring) from y = 0 to ``length`` (metres, N'):
        its cover, a rounded relief and a soft shadow either side; its last 2 cm an aglet (cover 2)."""
        fp = self.fp[ids]
        ax = np.abs(x)
        end = np.clip((np.float32(length) - y) / np.maximum(fp, np.float32(1e-5)) + 0.5, 0.0, 1.0)
        cover = np.clip((np.float32(radius) - ax) / np.maximum(fp, np.float32(1e-5)) + 0.5, 0.0, 1.0) * end
        cover *= (y > 0.0)
        f = fade(fp, SEAM_FADE_M)
        if self.cord is None:
            self.cord = np.zeros(len(self.fp), np.float32)
        tip = np.where(y > np.float32(length - 0.02), np.float32(2.0), np.float32(1.0))
        self.cord[ids] = np.maximum(self.cord[ids], cover * f * tip)
        g, _ = _gauss(ax - np.float32(radius), 1.2e-3, fp)
        self.dark[ids] *= 1 - np.float32(0.3) * g * end * (1 - cover) * f
        self.su[ids] += np.float32(-1.2) * cover * f * x / np.float32(radius)  # a dome half the radius high
        self.hit[ids] = True


    def ribs(self, ids, x, below) -> None:
        """A knitted rib band's wales (a hem's waistband or a cuff) at pixels ``below`` metres under the band's
        top (N'; ``x`` metres across the wales): a sinusoidal relief of period :data:`RIB_PERIOD`, its grooves
        darker, box-filtered over the footprint (a sinc, cut at its first zero: none once a pixel spans a rib)."""
        fp = self.fp[ids]
        k = np.float32(2 * np.pi / RIB_PERIOD)
        att = np.sinc(np.minimum(fp / np.float32(RIB_PERIOD), 1.0)).astype(np.float32)
        on = np.clip(below / np.maximum(fp, np.float32(1e-3)) + 0.5, 0.0, 1.0)
        c, sn = np.cos(x * k), np.sin(x * k)
        self.dark[ids] *= 1 - np.float32(0.14) * (np.float32(0.5) - np.float32(0.5) * c) * att * on
        self._slope(ids, "u", np.float32(-RIB_DEPTH) * k * sn * att * on)


def band_ids(y: np.ndarray, fp: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """(M,) indices of the pixels whose ``y`` (N,) lies within [lo, hi] widened by a pixel's footprint."""
    return np.flatnonzero(np.abs(y - np.float32(0.5 * (lo + hi))) < np.float32(0.5 * (hi - lo)) + fp)


def draw_lines(c: Canvas, ids: np.ndarray, y: np.ndarray, along: np.ndarray, lines: list, axis: str) -> None:
    """Draw ``lines`` [(kind, offset m)] across ``y`` (M,) at pixels ``ids`` (``along``: metres along them)."""
    fp = c.fp[ids]
    for kind, at in lines:
        d = y - np.float32(at)
        k = np.flatnonzero(np.abs(d) < np.float32(0.009 if kind != "stitch" else 0.002) + fp)
        if len(k):
            if kind == "stitch":
                c.stitch(ids[k], d[k], along[k], axis)
            else:
                getattr(c, kind)(ids[k], d[k], axis)
