"""A shoe's outline and its sole (on the last of :mod:`genb.render.dress.shoes`).

The last's ends are rounded in plan (a heel counter's half round, a toe narrowing to a round tip, as
quarter ellipses of extra stations past the foot, :func:`end_stations`); the toe springs up in front of
the foot (:func:`toe_spring`: the sole's and the upper's bottom rise towards the tip, never under a foot
vertex); the sole is a flat-bottomed slab with a crisp edge between its side wall and its tread, the tread a
shade darker (:func:`sole_ring`, :data:`TREAD`); the upper below the sole's top is kept inside the sole
(:func:`into_sole`): from below a shoe shows only its tread, from the side a clean sole edge under the upper.
"""

from __future__ import annotations

import functools

import numpy as np

from genb.render.dress.shoe_loft import unit_ring

P_SOLE = 8.0  # the sole's superellipse exponent (boxy: a flat tread, straight side walls)
SOLE_N = 16  # points round the sole's superellipse, before the tread's corners are doubled
TREAD = 0.8  # the tread's shade of the sole's colour
HEEL_R, TOE_R = 0.016, 0.026  # how far the heel's and the toe's rounding reach past the end stations (adult), metres
HEEL_U = np.array([0.3, 0.6, 0.85])  # the heel's extra stations, as shares of HEEL_R behind the back station
TOE_ANGLES = np.radians([18.0, 36.0, 52.0, 66.0, 77.0, 85.0])  # the toe's rounding, evenly turning to the tip
TOE_U = np.sin(TOE_ANGLES)  # its stations, as shares of TOE_R in front of the front one (0.25 .. 0.95 evenly apart
# in u turned 10-20 degrees a station near the tip and closed at 0.31 of the width by a flat fan: a faceted toe)
BALL = 0.7  # where the toe spring starts, the share of the foot's length from the heel
UPPER_GAP = 0.003  # the upper's bottom over the sole's (from below, no coplanar surfaces)
WALL_GAP = 0.0012  # the upper inside the sole's side walls below its top


def end_stations(x: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray, int]:
    """The last's stations with the heel's and the toe's rounding: (S + 9,) positions along the foot,
    (S + 9,) width factors (1 on the foot's stations; a quarter ellipse past each end: the heel's half
    round down to 0.53 and the toe's to 0.09 of the end station's width), and how many are behind ``x``."""
    hu, tu = HEEL_U * HEEL_R * size, TOE_U * TOE_R * size
    xs = np.concatenate([x[0] - hu[::-1], x, x[-1] + tu])
    w = np.concatenate([np.sqrt(1 - HEEL_U[::-1] ** 2), np.ones(len(x)), np.sqrt(1 - TOE_U ** 2)])
    return xs, w, len(hu)


def tips(xs: np.ndarray, size: float) -> tuple[float, float]:
    """The end caps' tips: at the heel's and the toe's rounding's full reach."""
    return float(xs[0] - (1 - HEEL_U[-1]) * HEEL_R * size), float(xs[-1] + (1 - TOE_U[-1]) * TOE_R * size)


def toe_spring(xs: np.ndarray, low: np.ndarray, x0: float, L: float, spring: float) -> np.ndarray:
    """(S,) how far the shoe's bottom rises at ``xs``: ``spring`` at the front station, growing as the
    square of the way from :data:`BALL` of the foot, but never above ``low`` (S,) (the lowest foot vertex
    held by a station over the foot's lowest, inf past the foot) less 2 mm (the upper still holds the toes; in
    practice the rise is in front of them), and never falling towards the tip."""
    xa = x0 + BALL * L
    want = spring * np.clip((xs - xa) / max(xs[-1] - xa, 1e-6), 0.0, 1.0) ** 2
    allow = np.maximum(low - 0.002, 0.0)
    return np.minimum.accumulate(np.minimum(want, allow)[::-1])[::-1]


@functools.lru_cache(maxsize=None)
def sole_unit() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sole's unit ring (y, z), counter-clockwise seen from the toes, its two bottom corners doubled
    (a crisp edge: the wall's and the tread's points apart), and (n,) bool which points are the tread's."""
    uy, uz = unit_ring(SOLE_N, P_SOLE)
    a, b = 5 * SOLE_N // 8, 7 * SOLE_N // 8  # the bottom corners (225 and 315 degrees)
    order = np.r_[np.arange(a + 1), np.arange(a, b + 1), np.arange(b, SOLE_N)]
    tread = np.zeros(len(order), bool)
    tread[a + 1: b + 2] = True
    out = (uy[order], uz[order], tread)
    for q in out:
        q.flags.writeable = False
    return out


def sole_ring(yc: np.ndarray, bottom: np.ndarray, half: np.ndarray, height: float) -> np.ndarray:
    """(S, n, 2) the sole's rings: half widths ``half`` (S,) round ``yc`` (S,), from ``bottom`` (S,) up ``height``."""
    uy, uz, _ = sole_unit()
    h = 0.5 * height
    return np.stack([yc[:, None] + half[:, None] * uy, (bottom + h)[:, None] + h * uz], -1)


def meet_top(rings: np.ndarray, top: np.ndarray) -> np.ndarray:
    """(R, n, 2) the rings (R, n, 2) with, on each edge crossing the height ``top`` (R, 1), its end nearer the
    crossing moved onto it (along the edge): every ring meets the sole's top at one of its points, so the line
    where the upper leaves the sole runs from ring to ring along their points (not across the faces between
    them, a sawtooth where a ring's point just over the top faced its neighbour's just under it)."""
    y, z = rings[..., 0].copy(), rings[..., 1].copy()
    yn, zn = np.roll(y, -1, axis=1), np.roll(z, -1, axis=1)
    below = z < top
    cross = below != np.roll(below, -1, axis=1)
    t = np.where(cross, (top - z) / np.where(cross, zn - z, 1.0), 0.0)
    yt = y + t * (yn - y)
    near = cross & (t < 0.5)
    y[near], z[near] = yt[near], np.broadcast_to(top, z.shape)[near]
    far = np.roll(cross & (t >= 0.5), 1, axis=1)  # the edge's far end: the next point
    yt_far = np.roll(yt, 1, axis=1)
    y[far], z[far] = yt_far[far], np.broadcast_to(top, z.shape)[far]
    return np.stack([y, z], -1)


def into_sole(rings: np.ndarray, xf: np.ndarray, xs: np.ndarray, yc: np.ndarray, half: np.ndarray,
              bottom: np.ndarray, height: float) -> np.ndarray:
    """(R, n, 2) the upper's rings (at ``xf`` (R,)) meeting the sole's top at a point (:func:`meet_top`), and with
    every point below the sole's top moved inside the sole (its stations ``xs``, middles ``yc``, half widths
    ``half``, bottoms ``bottom``, ``height``): :data:`WALL_GAP` inside its side walls (rounded as its
    superellipse) and :data:`UPPER_GAP` over its tread."""
    yc_f, half_f, bot_f = (np.interp(xf, xs, q)[:, None] for q in (yc, half, bottom))
    h = 0.5 * height
    rings = meet_top(rings, bot_f + height)
    y, z = rings[..., 0], rings[..., 1]
    below = z < bot_f + height
    z = np.where(below, np.maximum(z, bot_f + UPPER_GAP), z)
    rel = np.clip(np.abs(z - bot_f - h) / h, 0.0, 1.0)
    wall = half_f * (1 - rel ** P_SOLE) ** (1 / P_SOLE) - WALL_GAP
    dy = y - yc_f
    y = np.where(below, yc_f + np.clip(dy, -np.maximum(wall, 0.0), np.maximum(wall, 0.0)), y)
    return np.stack([y, z], -1)
