"""A haircut's volume over the head: how much of the hair's thickness each part of the scalp keeps.

A uniform offset of the scalp reads as a helmet: real short cuts carry their length on the top and at
the front (the fringe, a quiff) and are cut short over the sides and the back, tapering down the nape
(a barber's taper); a cut over the ears keeps more on its sides but still less than on the top.
:func:`volume` gives that share per point from the direction of the point seen from the skull's centre
(scale-free: a child's head as an adult's), by hairline (:data:`SIDES`, :data:`NAPE`); a buzz cut keeps
one length (:func:`shaped`); long hair keeps it all (its locks, :mod:`genb.render.dress.hair_locks`, are
rooted on the shell's thickness).
Pure and deterministic; computed once per cached hair shell (:class:`genb.render.dress.hair.ShellStrands`).

Head frame: x to the person's left, y forward, z up, origin at the ears' midpoint, metres.
"""

from __future__ import annotations

import numpy as np

CENTRE = np.array([0.0, -0.01, 0.025])  # the skull's centre in the head frame, metres
# share of the thickness over the sides (above the ears) and low on the back of the head (the nape), per hairline
SIDES = {"short": 0.45, "medium": 0.72, "long": 1.0}
NAPE = {"short": 0.3, "medium": 0.68, "long": 1.0}
TOP_FROM, TOP_TO = 0.2, 0.72  # the top's share rises with the direction's height (its unit z) over these
FRONT_FROM, FRONT_TO = 0.45, 0.8  # ... and with how far it faces forward (the fringe keeps its length)
NAPE_FROM, NAPE_TO = 0.1, -0.45  # the nape's thinning comes in as the direction turns down the back
CLIPPED = 0.004  # metres: hair this short is clipped to one length all over (a buzz cut); the cut's shape comes in
# over as much again (whole from twice this)


def _smooth(x: np.ndarray, a: float, b: float) -> np.ndarray:
    t = np.clip((x - a) / (b - a), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def volume(head: np.ndarray, hairline: str) -> np.ndarray:
    """(N,) 0..1 share of the hair's thickness at head-frame points ``head`` (N, 3) for a ``hairline``:
    1 on the top and over the forehead, :data:`SIDES` over the sides, down to :data:`NAPE` low on the
    back (smoothsteps of the unit direction from :data:`CENTRE`; the nape's share fades in below the
    back of the head's widest line, so the cut tapers down to the nape's hairline)."""
    lo_side, lo_nape = SIDES.get(hairline, 1.0), NAPE.get(hairline, 1.0)
    d = np.asarray(head, np.float64) - CENTRE
    d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    top = np.maximum(_smooth(d[:, 2], TOP_FROM, TOP_TO), _smooth(d[:, 1], FRONT_FROM, FRONT_TO))
    back = _smooth(-d[:, 1], 0.2, 0.7) * _smooth(-d[:, 2], -NAPE_FROM, -NAPE_TO)  # low on the back
    low = lo_side + (lo_nape - lo_side) * back
    return low + (1.0 - low) * top


def shaped(share: np.ndarray, thickness: float) -> np.ndarray:
    """(N,) the :func:`volume` ``share`` a cut of ``thickness`` metres keeps: none of its shape (1 all over)
    up to :data:`CLIPPED` (a buzz cut is one length), all of it from twice that."""
    w = min(max((float(thickness) - CLIPPED) / CLIPPED, 0.0), 1.0)  # (plain floats: np.clip of a scalar, 90 us)
    return share if w >= 1.0 else 1.0 - (1.0 - share) * w
