"""A shoulder bag hanging from its sash under gravity.

The sash (:mod:`genb.render.dress.sash`) runs from over the left shoulder to the right hip, where its two ends
(the front one and the back one) leave the body. The bag hangs from one of them on a short drop strap
(:attr:`Bag.drop` from the end to the bag's top): like a pendulum it takes the lowest place it can reach on that
strap, out of the body and the cloth, resting on the ground (or on the seat it is over) when the strap lets it
down that far. Standing it hangs beside the hip, against the thigh; bent over it hangs straight down under the
hip end, beside or in front of the legs, instead of staying rigid in the trunk's frame; sitting it rests on
the seat or the floor beside the hip.

The bag (a box, :func:`sized` to its wearer: :data:`HALF` and :data:`DROP` for an adult, a child's about 0.62 of
them) is first placed upright (:func:`place`): for each end and each of :data:`DIRECTIONS` horizontal directions
its flat back faces the end; from a free hang (straight under the end, the strap plumb) up to level with the
end, at heights :data:`STEP` apart, it is pushed out along that direction to the nearest place where no body or
cloth point lies within it (plus :data:`GAP`); the lowest place within the strap's reach and over the floor
wins (ties: the one nearest straight below its end), one that holds the strap more than :data:`MAX_SWING` from
plumb only where there is no other. The heights of all ends and directions are tried together, lowest first,
each direction's points projected when first needed, and none above the best place found (about 4.7 ms a
wearer, thread time, over 10 key poses x the 4 key bodies; 10.3 on d0d7369, which tried each direction's
heights in turn). Then it lies on what it rests on (:func:`lie`): turned about the vertical to face the plane
fitted behind its back and, where that plane faces up (a thigh, a buttock, a lap that comes out further down),
lying back from upright as far, brought in to it; where it faces down the bag hangs plumb.

Pure geometry on a few thousand points near the hip.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.dress import seat_cloth

DROP = 0.07  # metres from the sash's end to the middle of an adult's bag's top
HALF = np.array([0.11, 0.04, 0.09])  # an adult's bag's half sizes: across, thick, tall (metres)
GAP = 0.006  # metres between the bag and the body or cloth it rests on
DIRECTIONS = 8  # horizontal directions tried (45 degrees apart)
STEP = 0.02  # metres between the heights tried
NEAREST = 8  # points either side of the bag whose normals tell a hollow under cloth from the open
MAX_SWING = np.radians(60.0)  # a place that holds the strap further from plumb is a last resort
LIMBS = 1.33  # metres of arm and leg (BODY25, a side's two bones each, both sides' mean) of a 1.75 m adult
SMALLEST = 0.5  # the smallest bag's scale (a child's: about 0.62)
TURN = np.radians(45.0)  # the most a bag turns about the vertical to face what it rests on
TILT = np.radians(40.0)  # the most it lies back from upright on what it rests on
REACH_IN = 0.04  # metres a bag turned to lie on the surface may come in towards it
UP = np.array([0.0, 0.0, 1.0])


@dataclasses.dataclass(frozen=True)
class Bag:
    """A shoulder bag's size: ``half`` (3,) half sizes across, thick, tall and ``drop`` the strap from the
    sash's end to its top's middle, metres."""

    half: np.ndarray = dataclasses.field(default_factory=lambda: HALF.copy())
    drop: float = DROP


def sized(keypoints: np.ndarray) -> Bag:
    """The :class:`Bag` that fits a wearer with BODY25 ``keypoints`` (25, 3): :data:`HALF` and :data:`DROP` scaled
    by the arm's and leg's length over :data:`LIMBS` (at most 1, at least :data:`SMALLEST`; the four key
    bodies: child 0.62, average, heavy and tall 1). The bone lengths vary by about 2 % with the pose."""
    kp = np.asarray(keypoints, np.float64)
    bones = [("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist")]
    limbs = sum(np.linalg.norm(kp[K25[f"{s}_{a}"]] - kp[K25[f"{s}_{b}"]]) for a, b in bones for s in ("left", "right")) / 2
    scale = float(np.clip(round(float(limbs) / LIMBS, 3), SMALLEST, 1.0))
    return Bag(HALF * scale, DROP * scale)


def frame(out: np.ndarray) -> np.ndarray:
    """(3, 3) the bag's axes as columns (across, out, up) for a unit ``out`` (its back faces ``-out``; horizontal
    for a bag upright, leaning up for one lying back on what it rests on), right-handed (across = out x up,
    horizontal), so :func:`~genb.render.dress.mesh.box` faces outwards (5020a86's hip bag had up x out: a
    left-handed frame, its box inside out, drawn with its near faces culled)."""
    across = np.cross(out, UP)
    across /= max(float(np.linalg.norm(across)), 1e-12)
    return np.stack([across, out, np.cross(across, out)], 1)


def clear(t: np.ndarray, facing: np.ndarray, thick: float = HALF[1]) -> float:
    """The nearest distance ``s`` >= 0 along the bag's ``out`` axis from its starting place where its
    centre leaves the points at ``t`` (n,) (their ``out`` coordinates, ascending, of those within its across
    and up extent) outside it plus :data:`GAP` (``thick``: its half thickness), with the surface behind its back
    facing out and the one past its front facing back on average (the :data:`NEAREST` points on either side;
    ``facing`` (n,): the points' normals along ``out``): 0 where that holds there; it may be a gap between two
    limbs the bag fits in, not a hollow under cloth (a coat's tail draped off the knees). Past every point
    where none holds."""
    w = thick + GAP
    n = len(t)
    if not n:
        return 0.0
    room = np.empty(n, bool)
    room[:-1] = t[1:] - t[:-1] >= 2 * w  # past point i the bag fits before the next one
    room[-1] = True
    room &= t > -w
    s = np.empty(int(room.sum()) + 1)
    s[0] = 0.0
    s[1:] = t[room] + w  # where it starts, or just past a point
    b, c = np.searchsorted(t, s - w, side="right"), np.searchsorted(t, s + w)  # behind it: [:b], past it: [c:]
    sums = np.empty(n + 1)
    sums[0] = 0.0
    np.cumsum(facing, out=sums[1:])
    a, d = np.maximum(b - NEAREST, 0), np.minimum(c + NEAREST, n)
    back = sums[b] - sums[a]  # the nearest points' facing summed: its sign is their mean's
    front = sums[d] - sums[c]
    ok = (c <= b) & ((b == a) | (back >= 0.0)) & ((d == c) | (front <= 0.0))
    k = int(np.argmax(ok))
    return float(s[k]) if ok[k] else float(t[-1] + w)


def floor_under(c: np.ndarray, ground: float, seat) -> float:
    """Metres: the height the bag's bottom rests on at ``c`` (3,): the seat's top where its centre is
    over the seat (:class:`~genb.render.dress.seat_cloth.Seat`), else the ``ground``."""
    if seat is not None:
        x, y = seat_cloth.local_xy(seat, c[None])
        if abs(float(x[0])) < seat.width / 2 and abs(float(y[0])) < seat.depth / 2:
            return max(ground, float(seat_cloth.top_height(seat, y)[0]))
    return ground


def project(near: tuple, k: int, bag: Bag) -> tuple[np.ndarray, np.ndarray]:
    """The points a bag hanging with its back towards the ``k``-th of :data:`DIRECTIONS` (``out`` at
    ``2 pi k / DIRECTIONS`` from ``side`` towards ahead) could meet within its strap's reach, in its frame
    relative to its end ((m, 3): across, out, up; ascending along ``out``), and (m,) their normals along
    ``out``. ``near``: :func:`_around`'s points about that end."""
    a, b, z, na, nb = near
    phi = 2 * np.pi * k / DIRECTIONS
    co, si = np.cos(phi), np.sin(phi)
    y = co * a + si * b
    h = bag.half
    ok = (y > -h[1] - GAP) & (y < bag.drop + h[2] + 2 * h[1] + 2 * GAP)
    order = np.flatnonzero(ok)
    order = order[np.abs(si * a[order] - co * b[order]) < h[0] + GAP]  # across = out x up = -cos ahead + sin side
    order = order[np.argsort(y[order], kind="stable")]  # each height's points stay in order
    return np.stack([si * a[order] - co * b[order], y[order], z[order]], 1), co * na[order] + si * nb[order]


def _around(P: np.ndarray, N: np.ndarray, end: np.ndarray, side: np.ndarray, bag: Bag) -> tuple:
    """The points of ``P`` (n, 3) a bag hanging from ``end`` (3,) could meet in any direction: their
    coordinates along ``side``, ahead (up x side) and up from ``end``, and their normals' along side and ahead."""
    h = bag.half
    reach = bag.drop + h[2]
    D = P - end
    span = reach + 2 * h[1] + 2 * GAP + h[0] + GAP  # the farthest a point the bag meets lies horizontally
    ahead = np.cross(UP, side)
    a, b = D @ side, D @ ahead
    ok = (a * a + b * b < span * span) & (D[:, 2] > -reach - h[2] - GAP) & (D[:, 2] < 2 * h[2] + GAP)
    return a[ok], b[ok], D[ok, 2], N[ok] @ side, N[ok] @ ahead


def heights(end: np.ndarray, ground: float, seat, bag: Bag) -> np.ndarray:
    """The heights (metres from ``end``) an upright ``bag``'s centre is tried at, ascending, :data:`STEP` apart:
    from a free hang (or resting on the floor under ``end``) up to its middle level with ``end`` plus half its height."""
    h = bag.half
    reach = bag.drop + h[2]  # the strap's end to the bag's centre
    low = floor_under(end, ground, seat) + h[2] + GAP - end[2]  # resting on the floor under its end
    dz = np.arange(-reach, h[2] + 1e-9, STEP)
    return np.concatenate([[low], dz[dz > low]]) if low > -reach else dz


def place(L: np.ndarray, facing: np.ndarray, end: np.ndarray, out: np.ndarray, dz: float, ground: float,
          seat=None, bag: Bag = Bag()) -> np.ndarray | None:
    """(3,) the centre of the upright ``bag`` hanging from ``end`` (3,) with its back towards ``-out``
    (horizontal unit) at the height ``dz`` from ``end`` (:func:`heights`): pushed out along ``out`` to the
    nearest place out of the points ``L`` (its frame from ``end``, ascending along ``out``) with normals
    along ``out`` ``facing`` (:func:`project`, :func:`clear`); None where that is past its strap's reach of
    ``end`` or under the floor (:func:`floor_under`)."""
    h = bag.half
    reach = bag.drop + h[2]
    at = np.abs(L[:, 2] - dz) < h[2] + GAP
    s = clear(L[at, 1], facing[at], h[1])
    if s * s + dz * dz > reach * reach + 1e-12:
        return None
    c = end + s * out + dz * UP
    return c if c[2] >= floor_under(c, ground, seat) + h[2] + GAP - 1e-9 else None


def _score(c: np.ndarray, end: np.ndarray, e: int, k: int) -> tuple:
    """A place's rank (the lowest first): holding the strap past :data:`MAX_SWING`, height, reach out, end, direction."""
    s = float(np.hypot(*(c - end)[:2]))
    return (bool(np.arctan2(s, end[2] - c[2]) > MAX_SWING), round(float(c[2]), 4), round(s, 4), e, k)


def hang(P: np.ndarray, N: np.ndarray, ends: np.ndarray, side: np.ndarray, ground: float,
         seat=None, bag: Bag = Bag()) -> tuple[np.ndarray, np.ndarray, int]:
    """Where a shoulder bag hangs: ``(centre (3,), axes (3, 3) columns across/out/up, which end)``: the lowest
    place of an upright ``bag`` (:func:`place`), then turned to lie on what it rests on (:func:`lie`).

    Args:
        P: (n, 3) the body's and its cloth's points (world frame, metres; z up); N: (n, 3) their normals.
        ends: (E, 3) the sash's ends the bag may hang from (front hip end, back hip end).
        side: (3,) the wearer's right, horizontal unit: the first of the directions tried (ties go to it).
        ground: the ground's height. seat: what the wearer sits on, or None.
    """
    h = bag.half
    ends = np.asarray(ends, np.float64)
    pad = bag.drop + h[2] + np.hypot(h[0], 2 * h[1]) + 2 * GAP + REACH_IN  # as far as a bag within reach spans
    lo, hi = ends.min(0) - [pad, pad, pad + h[2]], ends.max(0) + [pad, pad, 2 * h[2] + GAP]
    near = np.flatnonzero(np.all((P > lo.astype(P.dtype)) & (P < hi.astype(P.dtype)), axis=1))
    P, N = np.asarray(P[near], np.float64), np.asarray(N[near], np.float64)
    phi = 2 * np.pi * np.arange(DIRECTIONS) / DIRECTIONS
    outs = np.cos(phi)[:, None] * side + np.sin(phi)[:, None] * np.cross(UP, side)
    around, queue = [_around(P, N, end, side, bag) for end in ends], []
    for e, end in enumerate(ends):
        queue += [(float(end[2] + dz), e, k, float(dz)) for dz in heights(end, ground, seat, bag) for k in range(DIRECTIONS)]
    best, seen, done = None, {}, set()
    for z, e, k, dz in sorted(queue):  # by height, all ends and directions together: the first place found
        if best is not None and not best[0][0] and z > best[1][2]:  # that holds its strap within MAX_SWING wins
            break  # no higher place can win
        if (e, k) in done:
            continue
        if (e, k) not in seen:  # projected when first looked at
            seen[e, k] = project(around[e], k, bag)
        c = place(*seen[e, k], ends[e], outs[k], dz, ground, seat, bag)
        if c is not None:
            done.add((e, k))
            if best is None or _score(c, ends[e], e, k) < best[0]:
                best = (_score(c, ends[e], e, k), c, outs[k], e)
    if best is None:  # nowhere within reach (not seen in the key poses): beside the lower end, level with it
        e = int(np.argmin(ends[:, 2]))
        L = (P - ends[e]) @ frame(side)
        at = np.flatnonzero((np.abs(L[:, 0]) < h[0] + GAP) & (np.abs(L[:, 2]) < h[2] + GAP))
        at = at[np.argsort(L[at, 1], kind="stable")]
        s = clear(L[at, 1], N[at] @ side, h[1])
        return ends[e] + s * side, frame(side), e
    c, axes = lie(P, N, best[1], best[2], bag, ground, seat)
    return c, axes, best[3]


def surface_normal(P: np.ndarray, c: np.ndarray, F: np.ndarray, half: np.ndarray) -> np.ndarray | None:
    """(3,) the unit normal, facing the bag, of the plane fitted to what lies behind a bag centred at ``c`` (3,)
    with axes ``F`` (3, 3) and half sizes ``half``: of the points ``P`` (n, 3) up to 5 cm behind its back, the
    nearest to it in each of 3 x 3 cells over its back; None where fewer than 4 cells, or not two rows and two
    columns of them, hold any."""
    L = (P - c) @ F
    x, y, z = L[:, 0], L[:, 1], L[:, 2]
    ok = (np.abs(x) < half[0]) & (np.abs(z) < half[2]) & (y < -half[1]) & (y > -half[1] - GAP - 0.05)
    cell = (np.minimum((x[ok] + half[0]) / (2 * half[0]) * 3, 2).astype(np.int64) * 3
            + np.minimum((z[ok] + half[2]) / (2 * half[2]) * 3, 2).astype(np.int64))
    top = np.full(9, -np.inf)
    np.maximum.at(top, cell, y[ok])  # each cell's surface: its point nearest the bag
    held = np.flatnonzero(np.isfinite(top))
    if len(held) < 4 or len(np.unique(held // 3)) < 2 or len(np.unique(held % 3)) < 2:
        return None
    X = np.stack([np.ones(len(held)), (held // 3 - 1.0) * (2 * half[0] / 3), (held % 3 - 1.0) * (2 * half[2] / 3)], 1)
    A = np.array([[math.fsum(X[:, i] * X[:, j]) for j in range(3)] for i in range(3)])  # exact sums, any CPU
    _, bx, bz = np.linalg.solve(A, [math.fsum(X[:, i] * top[held]) for i in range(3)])  # y = a + bx x + bz z
    n = F @ np.array([-bx, 1.0, -bz])  # facing the bag
    return np.round(n / np.linalg.norm(n), 6)


def _behind(P: np.ndarray, c: np.ndarray, F: np.ndarray, half: np.ndarray) -> float:
    """Metres from the back of a bag centred at ``c`` (3,) with axes ``F`` to the nearest of ``P`` behind it, in
    each of 3 x 3 cells over its back (at most 6 cm), averaged."""
    L = (P - c) @ F
    ok = (np.abs(L[:, 0]) < half[0]) & (np.abs(L[:, 2]) < half[2]) & (L[:, 1] < -half[1])
    cell = (np.minimum((L[ok, 0] + half[0]) / (2 * half[0]) * 3, 2).astype(np.int64) * 3
            + np.minimum((L[ok, 2] + half[2]) / (2 * half[2]) * 3, 2).astype(np.int64))
    top = np.full(9, -half[1] - 0.06)
    np.maximum.at(top, cell, L[ok, 1])
    return math.fsum(-half[1] - top) / 9.0  # exactly (no order of sums that depends on the CPU)


def lie(P: np.ndarray, N: np.ndarray, c: np.ndarray, out: np.ndarray, bag: Bag, ground: float,
        seat=None) -> tuple[np.ndarray, np.ndarray]:
    """``(centre (3,), axes (3, 3))`` of the upright ``bag`` at ``c`` (3,), its back towards ``-out``, turned to
    lie on what is behind it (:func:`surface_normal`): about the vertical to face it (at most :data:`TURN`)
    and, where that surface faces up (it comes out further down: a thigh, a buttock, a lap), back from upright
    as far as it does (at most :data:`TILT`); where it faces down the bag hangs plumb. Turned about its
    centre, then moved along its new ``out`` from :data:`REACH_IN` in to the nearest place where no point of
    ``P`` (n, 3) (normals ``N``) lies within it (:func:`clear`). Kept upright where that is more than
    :data:`REACH_IN` further out, does not bring its back as near the surface as it was, or sinks its bottom
    under the floor (standing on a seat or the ground)."""
    h = bag.half
    F0 = frame(out)
    d = P - c
    near = np.einsum("ij,ij->i", d, d) < (np.linalg.norm(h) + 2 * REACH_IN + GAP) ** 2  # all it could meet
    P, N = P[near], N[near]
    n = surface_normal(P, c, F0, h)
    if n is None or np.hypot(n[0], n[1]) < 1e-6:
        return c, F0
    flat = np.array([n[0], n[1], 0.0]) / np.hypot(n[0], n[1])
    yaw = np.clip(np.arctan2(np.cross(out, flat)[2], out @ flat), -TURN, TURN)
    horiz = np.cos(yaw) * out + np.sin(yaw) * np.cross(UP, out)
    tilt = float(np.clip(np.arctan2(n[2], np.hypot(n[0], n[1])), 0.0, TILT))
    F = frame(np.cos(tilt) * horiz + np.sin(tilt) * UP)
    o = F[:, 1]
    start = c - REACH_IN * o
    L = (P - start) @ F
    at = np.flatnonzero((np.abs(L[:, 0]) < h[0] + GAP) & (np.abs(L[:, 2]) < h[2] + GAP))
    at = at[np.argsort(L[at, 1], kind="stable")]
    s = clear(L[at, 1], N[at] @ o, h[1])
    centre = start + s * o
    bottom = centre[2] - h[2] * F[2, 2] - h[1] * abs(F[2, 1])  # its lowest edge
    if s > 2 * REACH_IN or bottom < floor_under(centre, ground, seat) + GAP - 1e-9 \
            or _behind(P, centre, F, h) > _behind(P, c, F0, h) + 1e-9:
        return c, F0
    return centre, F
