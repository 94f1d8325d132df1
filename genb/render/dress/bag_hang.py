"""A shoulder bag hanging from its sash under gravity.

The sash (:mod:`genb.render.dress.sash`) runs from over the left shoulder to the right hip, where its two ends
(the front one and the back one) leave the body. The bag hangs from one of them on a short drop strap
(:data:`DROP` from the end to the bag's top): like a pendulum it takes the lowest place it can reach on that
strap, out of the body and the cloth, resting on the ground (or on the seat it is over) when the strap lets it
down that far. Standing it hangs beside the hip, against the thigh; bent over it hangs straight down under the
hip end, beside or in front of the legs, instead of staying rigid in the trunk's frame; sitting it rests on
the seat or the floor beside the hip.

The bag stays upright (a box ``HALF`` in half sizes: across, thick, tall). For each end and each of
:data:`DIRECTIONS` horizontal directions its flat back faces the end; from a free hang (straight under the
end, the strap plumb) up to level with the end, at heights :data:`STEP` apart, it is pushed out along that
direction to the nearest place where no body or cloth point lies within it (plus :data:`GAP`); the lowest
height where that place is within the strap's reach and over the floor is the direction's place. Of them,
the lowest wins (ties: the one nearest straight below its end), a place that holds the strap more than
:data:`MAX_SWING` from plumb only where there is no other (an upright box held out that far would need a
support under it that is not looked for). Seated on a low seat or crouched the bag rests on the seat or
the ground beside the hip, the strap slack.

Pure geometry on a few thousand points near the hip.
"""

from __future__ import annotations

import numpy as np

from genb.render.dress import seat_cloth

DROP = 0.07  # metres from the sash's end to the middle of the bag's top
HALF = np.array([0.11, 0.04, 0.09])  # the bag's half sizes: across, thick, tall (metres)
GAP = 0.006  # metres between the bag and the body or cloth it rests on
DIRECTIONS = 8  # horizontal directions tried (45 degrees apart)
STEP = 0.02  # metres between the heights tried
NEAREST = 8  # points either side of the bag whose normals tell a hollow under cloth from the open
MAX_SWING = np.radians(60.0)  # a place that holds the strap further from plumb is a last resort
UP = np.array([0.0, 0.0, 1.0])


def frame(out: np.ndarray) -> np.ndarray:
    """(3, 3) the bag's axes as columns (across, out, up) for a horizontal unit ``out`` (its back faces
    ``-out``), right-handed (across = out x up), so :func:`~genb.render.dress.mesh.box` faces outwards (5020a86's
    hip bag had up x out: a left-handed frame, its box inside out, drawn with its near faces culled)."""
    return np.stack([np.cross(out, UP), out, UP], 1)


def clear(t: np.ndarray, facing: np.ndarray) -> float:
    """The nearest distance ``s`` >= 0 along the bag's ``out`` axis from straight under its end where its
    centre leaves the points at ``t`` (n,) (their ``out`` coordinates, ascending, of those within its across
    and up extent) outside it plus :data:`GAP`, with the surface behind its back facing out and the one past
    its front facing back on average (the :data:`NEAREST` points on either side; ``facing`` (n,): the
    points' normals along ``out``): 0 where that holds there; it may be a gap between two limbs the bag
    fits in, not a hollow under cloth (a coat's tail draped off the knees). Past every point where none
    holds."""
    w = HALF[1] + GAP
    n = len(t)
    room = np.append(np.diff(t) >= 2 * w, True) & (t > -w)  # past point i the bag fits before the next one
    s = np.concatenate([[0.0], t[room] + w])  # straight under, or just past a point
    b, c = np.searchsorted(t, s - w, side="right"), np.searchsorted(t, s + w)  # behind it: [:b], past it: [c:]
    sums = np.concatenate([[0.0], np.cumsum(facing)])
    a, d = np.maximum(b - NEAREST, 0), np.minimum(c + NEAREST, n)
    back = sums[b] - sums[a]  # the nearest points' facing summed: its sign is their mean's
    front = sums[d] - sums[c]
    ok = (c <= b) & ((b == a) | (back >= 0.0)) & ((d == c) | (front <= 0.0))
    return float(s[int(np.argmax(ok))]) if ok.any() else (float(t[-1] + w) if n else 0.0)


def floor_under(c: np.ndarray, ground: float, seat) -> float:
    """Metres: the height the bag's bottom rests on at ``c`` (3,): the seat's top where its centre is
    over the seat (:class:`~genb.render.dress.seat_cloth.Seat`), else the ``ground``."""
    if seat is not None:
        x, y = seat_cloth.local_xy(seat, c[None])
        if abs(float(x[0])) < seat.width / 2 and abs(float(y[0])) < seat.depth / 2:
            return max(ground, float(seat_cloth.top_height(seat, y)[0]))
    return ground


def project(P: np.ndarray, N: np.ndarray, end: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points of ``P`` (n, 3) a bag hanging from ``end`` (3,) with its back towards ``-out`` could meet
    within its strap's reach, in its frame relative to ``end`` ((m, 3): across, out, up; ascending along
    ``out``), and (m,) their normals (of ``N`` (n, 3)) along ``out``."""
    reach = DROP + HALF[2]
    L = (P - end) @ frame(out)
    ok = (np.abs(L[:, 0]) < HALF[0] + GAP) & (L[:, 1] > -HALF[1] - GAP) & (L[:, 1] < reach + 2 * HALF[1] + 2 * GAP) \
        & (L[:, 2] > -reach - HALF[2] - GAP) & (L[:, 2] < 2 * HALF[2] + GAP)
    order = np.flatnonzero(ok)[np.argsort(L[ok, 1], kind="stable")]  # each height's points stay in order
    return L[order], N[order] @ out


def place(L: np.ndarray, facing: np.ndarray, end: np.ndarray, out: np.ndarray, ground: float, seat=None,
          top: float = np.inf, first: bool = False) -> np.ndarray | None:
    """(3,) the lowest centre (heights :data:`STEP` apart, from a free hang or from resting on the floor
    under ``end`` up to the bag's middle level with ``end`` plus half its height) of the bag hanging from
    ``end`` (3,) with its back towards ``-out`` (horizontal unit), out of the points ``L`` with normals along
    ``out`` ``facing`` (:func:`project`, :func:`clear`), on or over the floor (:func:`floor_under`) and
    within its strap's reach of ``end``; None where there is none at or under the height ``top``
    (``first``: at the lowest height only)."""
    reach = DROP + HALF[2]  # the strap's end to the bag's centre
    low = floor_under(end, ground, seat) + HALF[2] + GAP - end[2]  # resting on the floor under its end
    heights = np.arange(-reach, HALF[2] + 1e-9, STEP)
    heights = np.concatenate([[low], heights[heights > low]]) if low > -reach else heights
    for dz in heights[:1] if first else heights[heights <= top - end[2]]:
        at = np.abs(L[:, 2] - dz) < HALF[2] + GAP
        s = clear(L[at, 1], facing[at])
        if s * s + dz * dz > reach * reach + 1e-12:
            continue
        c = end + s * out + dz * UP
        if c[2] >= floor_under(c, ground, seat) + HALF[2] + GAP - 1e-9:
            return c
    return None


def hang(P: np.ndarray, N: np.ndarray, ends: np.ndarray, side: np.ndarray, ground: float,
         seat=None) -> tuple[np.ndarray, np.ndarray, int]:
    """Where a shoulder bag hangs: ``(centre (3,), axes (3, 3) columns across/out/up, which end)``.

    Args:
        P: (n, 3) the body's and its cloth's points (world frame, metres; z up); N: (n, 3) their normals.
        ends: (E, 3) the sash's ends the bag may hang from (front hip end, back hip end).
        side: (3,) the wearer's right, horizontal unit: the first of the directions tried (ties go to it).
        ground: the ground's height. seat: what the wearer sits on, or None.
    """
    P = np.asarray(P, np.float64)
    ends = np.asarray(ends, np.float64)
    pad = DROP + HALF[2] + np.hypot(HALF[0], 2 * HALF[1]) + 2 * GAP  # as far as a bag within reach spans
    lo, hi = ends.min(0) - [pad, pad, pad + HALF[2]], ends.max(0) + [pad, pad, 2 * HALF[2] + GAP]
    near = np.all((P > lo) & (P < hi), axis=1)
    P, N = P[near], np.asarray(N, np.float64)[near]
    phi = 2 * np.pi * np.arange(DIRECTIONS) / DIRECTIONS
    ahead = np.cross(UP, side)
    best, later, seen = None, [], {}
    for first in (True, False):  # every lowest place first: a higher one is looked for only where it could win
        for e, k in ([(e, k) for e in range(len(ends)) for k in range(DIRECTIONS)] if first else later):
            out = np.cos(phi[k]) * side + np.sin(phi[k]) * ahead
            if first:
                seen[e, k] = project(P, N, ends[e], out)
            top = best[1][2] if best is not None and not best[0][0] else np.inf  # no higher place can win
            c = place(*seen[e, k], ends[e], out, ground, seat, top, first)
            if c is None:
                later += [(e, k)] if first else []
                continue
            s = float(np.hypot(*(c - ends[e])[:2]))
            swing = np.arctan2(s, ends[e][2] - c[2])
            score = (bool(swing > MAX_SWING), round(float(c[2]), 4), round(s, 4), e, k)
            if best is None or score < best[0]:
                best = (score, c, out, e)
    if best is None:  # nowhere within reach (not seen in the key poses): beside the lower end, level with it
        e = int(np.argmin(ends[:, 2]))
        L = (P - ends[e]) @ frame(side)
        at = np.flatnonzero((np.abs(L[:, 0]) < HALF[0] + GAP) & (np.abs(L[:, 2]) < HALF[2] + GAP))
        at = at[np.argsort(L[at, 1], kind="stable")]
        s = clear(L[at, 1], N[at] @ side)
        return ends[e] + s * side, frame(side), e
    return best[1], frame(best[2]), best[3]
