"""Pockets and armhole seams of garments, per pixel, in the trunk's and the sleeves' cloth coordinates.

Drawn by :func:`genb.render.dress.seams.apply_seams` with its canvas (the same grooves, hem edges and
thread dashes, box-filtered over the pixel's footprint and faded out at a distance):

- jeans: two patch pockets on the seat (one on each leg's back, their tops 7 cm below the waist:
  stitched sides and bottom, a hemmed top with a double row of thread) and the curved openings of
  the front pockets (a quarter circle from the waistband to the outseam); trousers: the curved
  openings only (both on the legs' charts, which run up to the waist);
- shirts (a top with long sleeves and a placket, :func:`buttoned`): a patch pocket on the left chest;
- coats: a flap pocket on either hip of the trunk (a welt line and the flap's stitched edge);
- hoodies (any hooded top): a kangaroo pocket low on the front (a sewn top and bottom, slanted hand
  openings, :func:`_kangaroo`) and the hood's two drawstrings down from the front of the neckline
  (:data:`CORD`), sized with the trunk's radius (a child's smaller);
- every sleeve: its armhole seam, a ring where the sleeve is sewn to the body (:data:`ARMHOLE_M` out
  from the sleeve's innermost point along the arm).

The trunk's u is the arc length around it from its left side (u = 0; its front's middle at pi R / 2, its
back's at -pi R / 2) on a cylinder of its median radius R, so it runs about 0.8 of the way across the
front and the back (placements and widths across are set in u); its v is the height (metres), highest
at the garment's top (``hi``).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.neckline import neckline_drop
from genb.render.dress.seam_canvas import draw_lines

ARMHOLE_M = 0.06  # metres from the sleeve's innermost v (the armpit) to its armhole seam along the arm
PULLOVERS = ("sweater", "hoodie")  # long-sleeved tops pulled over the head: no placket, no chest pocket
CORD = (0.045, 0.23, 0.0032)  # a hoodie's drawstrings: off the front's middle, long, round (metres, R 0.14 m)
KANGAROO = (0.075, 0.26, 0.10, 0.165, 0.12)  # its pocket: bottom and top above the hem, half-widths at
# the top and the bottom, the height where the slanted openings end (metres, for a trunk radius 0.14 m)
OPENING_SIDE_M = 0.165  # a front opening's circle: centred this far in front of the side (radius 9.5 cm)


def _patch(c, ids: np.ndarray, s: np.ndarray, z: np.ndarray, width: float, height: float, double: bool) -> None:
    """A patch pocket at the pixels ``ids``: ``s`` metres across from its middle, ``z`` metres below its
    top (M,): stitched sides and bottom, a turned-down top edge stitched once (``double``: twice)."""
    fp = c.fp[ids]
    half = np.float32(width / 2)
    inside = (z > -fp) & (z < np.float32(height) + fp)
    side = inside & (np.abs(np.abs(s) - half) < np.float32(0.01) + fp)
    k = np.flatnonzero(side)
    x = np.abs(s[k]) - half  # metres out from the pocket's side (< 0 inside)
    draw_lines(c, ids[k], x, z[k], [("seam", 0.0), ("stitch", -0.004)], "u")
    across = np.abs(s) < half + fp
    k = np.flatnonzero(across & (np.abs(z - np.float32(height)) < np.float32(0.01) + fp))
    draw_lines(c, ids[k], z[k] - np.float32(height), s[k], [("seam", 0.0), ("stitch", -0.004)], "v")
    k = np.flatnonzero(across & (z > -fp) & (z < np.float32(0.03) + fp))
    draw_lines(c, ids[k], z[k], s[k], [("edge", 0.0), ("edge", 0.02), ("stitch", 0.016)] +
           ([("stitch", 0.011)] if double else []), "v")


def _opening(c, ids: np.ndarray, s: np.ndarray, z: np.ndarray, denim: bool, side: float) -> None:
    """A front pocket's curved opening: a quarter circle centred at the side (``side`` metres from the
    front's middle along ``s``) 4 cm below the top (``z``), from the waistband 7 cm off the middle down
    to the side seam."""
    radius = np.float32(min(max(side - 0.07, 0.04), 0.12))
    ds, dz = s - np.float32(side), z - np.float32(0.04)
    quarter = (ds < 0.0) & (dz > 0.0)
    rho = np.sqrt(ds * ds + dz * dz) - radius
    k = np.flatnonzero(quarter & (np.abs(rho) < np.float32(0.01) + c.fp[ids]))
    draw_lines(c, ids[k], rho[k], s[k] + z[k], [("seam", 0.0), ("stitch", -0.005)] +
           ([("stitch", -0.011)] if denim else []), "u")


def buttoned(fabric: dict) -> bool:
    """Whether a garment buttons down the front (a placket; a shirt's chest pocket): a long-sleeved
    top or coat, closed, not a pullover (:data:`PULLOVERS`, any hooded top)."""
    return fabric.get("kind") in ("top", "coat") and fabric.get("sleeve", -1) > 1.5 and not fabric.get("open") and \
        not fabric.get("hood") and fabric.get("type") not in PULLOVERS


def _kangaroo(c, ids: np.ndarray, s: np.ndarray, y: np.ndarray, k: float) -> None:
    """A hoodie's kangaroo pocket at the pixels ``ids``: ``s`` metres across from the front's middle, ``y``
    above the hem (M,); ``k`` its scale. Sewn along its top and bottom and down its sides below the
    hand openings, which slant out and down from the top's ends (a folded edge stitched once)."""
    y0, y1, w1, w0, yo = (np.float32(k * q) for q in KANGAROO)
    a, fp = np.abs(s), c.fp[ids]
    for at, w, inward in ((y0, w0, 1.0), (y1, w1, -1.0)):  # the bottom seam (its stitches above), the top's
        m = np.flatnonzero((a < w + fp) & (np.abs(y - at) < np.float32(0.01) + fp))
        draw_lines(c, ids[m], np.float32(inward) * (y[m] - at), s[m], [("seam", 0.0), ("stitch", -0.004)], "v")
    m = np.flatnonzero((y > y0 - fp) & (y < yo) & (np.abs(a - w0) < np.float32(0.01) + fp))
    draw_lines(c, ids[m], a[m] - w0, y[m], [("seam", 0.0), ("stitch", -0.004)], "u")
    d = np.array([w0 - w1, yo - y1], np.float32)  # the opening: from (w1, y1) to (w0, yo)
    n = np.float32(np.hypot(*d))
    t = ((a - w1) * d[0] + (y - y1) * d[1]) / (n * n)
    x = ((a - w1) * d[1] - (y - y1) * d[0]) / n  # metres out of the pocket (< 0 inside)
    m = np.flatnonzero((t > -0.02) & (t < 1.02) & (np.abs(x) < np.float32(0.012) + fp))
    draw_lines(c, ids[m], x[m], t[m] * n, [("seam", 0.0), ("edge", -0.002), ("stitch", -0.007)], "u")


def draw_pockets(c, fabric: dict, trunk: np.ndarray, ul: np.ndarray, vl: np.ndarray, pi_r: float, hi: float,
                 lo: float = float("nan")) -> None:
    """The pockets of one garment at its ``trunk`` pixels (ids), coordinates ``ul``, ``vl`` (M,) in the
    trunk's own frame; ``pi_r``: pi times its unrolling radius; ``hi``, ``lo``: its highest and lowest v
    (metres)."""
    kind = fabric.get("kind")
    if not len(trunk) or not np.isfinite(pi_r):
        return
    z = np.float32(hi) - vl  # metres below the top
    front = ul - np.float32(pi_r / 2)  # metres from the front's middle (+: towards the right side)
    if kind == "top" and buttoned(fabric):  # a shirt's chest pocket
        s = front + np.float32(0.075)  # the wearer's left: towards u = 0
        k = np.flatnonzero((np.abs(s) < np.float32(0.06)) & (z > np.float32(0.12)) & (z < np.float32(0.3)))
        _patch(c, trunk[k], s[k], z[k] - np.float32(0.14), 0.09, 0.13, False)
    elif kind == "coat":  # flap pockets low on either side of the front
        lo = np.float32(np.nanmin(vl)) if len(vl) else np.float32(0.0)
        y = vl - lo
        for sgn in (-1.0, 1.0):
            s = np.float32(sgn) * front - np.float32(0.16)
            k = np.flatnonzero((np.abs(s) < np.float32(0.08)) & (y > np.float32(0.02)) & (y < np.float32(0.16)))
            _patch(c, trunk[k], s[k], np.float32(0.13) - y[k], 0.13, 0.055, False)
    elif kind == "top" and fabric.get("hood") and np.isfinite(lo):
        k = float(np.clip(pi_r / np.pi / 0.14, 0.7, 1.25))  # a child's pocket and cords smaller
        near = np.flatnonzero(np.abs(front) < np.float32(0.2 * k))
        y = vl[near] - np.float32(lo)
        _kangaroo(c, trunk[near], front[near], y, k)
        off, length, radius = CORD
        down = z[near] - neckline_drop(np.float32(1.0))  # metres below the front of the neckline
        for sgn in (-1.0, 1.0):
            x = front[near] - np.float32(sgn * off * k)
            m = np.flatnonzero((np.abs(x) < np.float32(radius + 0.006) + c.fp[trunk[near]]) & (down < np.float32(length * k)))
            c.cords(trunk[near[m]], x[m], down[m], radius, length * k)


def draw_leg_pockets(c, fabric: dict, legs: np.ndarray, ul: np.ndarray, vl: np.ndarray, pi_r: np.ndarray,
                     hi: np.ndarray) -> None:
    """Trousers' pockets at their ``legs`` pixels (ids), coordinates ``ul``, ``vl`` (M,) in each leg's own
    frame (trousers are two legs up to the waist, :mod:`genb.render.dress.texcoords`: u = 0 at the
    outseam, the leg's front middle at -pi R / 2, its back's at +pi R / 2); ``pi_r``, ``hi`` (M,): pi
    times the leg's unrolling radius and its highest v. Both bottoms get the curved front openings
    (from the waistband, :data:`OPENING_SIDE_M` - radius in front of the outseam, down to it); jeans
    a patch pocket centred on each leg's back (each buttock), its top 7 cm below the waist."""
    if not len(legs) or fabric.get("kind") != "bottom":
        return
    z = hi - vl  # metres below the waist
    near = np.flatnonzero(z < np.float32(0.24))
    u, zz, pr = ul[near], z[near], pi_r[near]
    denim = fabric.get("pattern") == "denim"
    front = near[(u < 0.0) & (zz < np.float32(0.17)) & (-u < np.float32(OPENING_SIDE_M + 0.01))]
    _opening(c, legs[front], np.float32(OPENING_SIDE_M) + ul[front], z[front], denim, OPENING_SIDE_M)
    if denim or "jean" in fabric.get("type", ""):
        back = ul[near] - pr / np.float32(2)  # metres from the leg's back middle
        k = near[(np.abs(back) < np.float32(0.07)) & (zz > np.float32(0.05))]
        _patch(c, legs[k], ul[k] - pi_r[k] / np.float32(2), z[k] - np.float32(0.07), 0.11, 0.145, True)


def draw_armholes(c, arm: np.ndarray, ul: np.ndarray, vl: np.ndarray, top: np.ndarray) -> None:
    """The armhole seams at the sleeve pixels ``arm`` (ids): a ring :data:`ARMHOLE_M` out along the arm
    from each sleeve's highest v (``top`` (M,), its armpit end), with a row of stitches on the sleeve."""
    y = vl - (top - np.float32(ARMHOLE_M))  # metres towards the body from the seam
    k = np.flatnonzero(np.abs(y) < np.float32(0.01) + c.fp[arm])
    draw_lines(c, arm[k], y[k], ul[k], [("seam", 0.0), ("stitch", -0.006)], "v")
