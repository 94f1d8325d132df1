"""A shoe's profile along the foot: a low, round toe box and a smooth outline (on the last of
:mod:`genb.render.dress.shoes`).

The top line over the toes is the foot's own upper envelope plus the upper's room (:func:`top_envelope`:
the least station heights whose straight lines between stations, as the loft draws them, pass over every
held foot vertex; not each station raised to its neighbours' highest vertex, which stood 5 mm over the
falling toes); the toe spring raises the upper's bottom but not its top over the foot; past the toes the
nose falls as a quarter ellipse to the sole's top at the tip (:func:`nose_heights`: its height over the sole's
top too, so the toe is rounded in profile as in plan; a nose still 7 mm over the sole at the tip closed with a flat
face). Seen from
above, the last's width and its sides change along the foot by at most :data:`SLOPE` (:func:`slope_limited`:
each station's half width raised to what its neighbours' allow), not in steps of up to 5 cm between two
stations, which drew the sole's outline as a staircase.
"""

from __future__ import annotations

import numpy as np

NOSE_ROOM = 0.007  # the upper's height over the sole's top at the tip, adult, metres
SLOPE = 0.3  # the most a side of the last moves out per metre along the foot


def slope_limited(q: np.ndarray, x: np.ndarray, slope: float = SLOPE) -> np.ndarray:
    """(S,) the least values over ``q`` (S,) at stations ``x`` (S,) that change by at most ``slope`` per metre
    between stations: ``max_j q_j - slope |x_i - x_j|`` (so never less than ``q``)."""
    return (q[None, :] - slope * np.abs(x[:, None] - x[None, :])).max(1)


def top_envelope(xv: np.ndarray, zv: np.ndarray, x: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """(S,) the least heights at evenly spaced stations ``x`` (S,) whose straight lines between stations hold
    every vertex (``xv``, ``zv`` (N,), within the stations' span) under them: each station's highest nearest
    vertex (``fill`` (S,) where it has none), then both stations around a vertex still over the line raised by
    its excess (one pass suffices: raising both ends by it raises the line there by it)."""
    S, dx = len(x), x[1] - x[0]
    k = np.clip(np.round((xv - x[0]) / dx).astype(np.int64), 0, S - 1)
    q = np.full(S, -np.inf)
    np.maximum.at(q, k, zv)
    q = np.where(np.isfinite(q), q, fill)
    i = np.clip(np.floor((xv - x[0]) / dx).astype(np.int64), 0, S - 2)
    w = np.clip((xv - x[i]) / dx, 0.0, 1.0)
    over = np.maximum(zv - (q[i] * (1 - w) + q[i + 1] * w), 0.0)
    up = np.zeros(S)
    np.maximum.at(up, i, over)
    np.maximum.at(up, i + 1, over)
    return q + up


def nose_heights(height: np.ndarray, ends: np.ndarray, nf: int, floor: float, sole: float) -> np.ndarray:
    """(S,) the upper's height over its bottom at each station: ``height`` (S,) over the foot's stations, and
    past the toes (the last ``nf`` stations, ``ends`` (S,) their width factors, a quarter ellipse
    ``sqrt(1 - u^2)``) the last foot station's height falling as ``floor + (h - floor) * ends`` towards
    ``floor`` (the sole's top plus :data:`NOSE_ROOM`), and that room too (``sole`` the sole's top): at the tip
    the sole's top; the others keep theirs."""
    out = height.copy()
    if nf:
        h = height[-nf - 1]
        e = ends[-nf:]
        out[-nf:] = sole + (floor - sole) * e + max(h - floor, 0.0) * e
    return out
