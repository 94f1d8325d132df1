"""The seat under a seated person's loose garments: coat tails, skirts and dresses lie on its top
and fall over its edges instead of through it.

A seated person sits on a prop (chair, stool, bench, crate, low wall, steps, or a floor sitter's
cushion: :func:`genb.render.scene.contact.seat_recipe`) whose top is at the lowest point of their
buttocks. The dresser knows it as a :class:`Seat` (:func:`seat_of`, from the placed recipe): its
footprint (a rectangle, or a disc for a stool or a cushion), its yaw and the height of its top (a
flight of steps: a staircase rising to the back; a chair's or a bench's backrest, which cloth leaves
through its nearest face). Loose garments (:mod:`~genb.render.dress.hang`)
are pushed out of its solid in every round of their relaxation and settling, as they are pushed out
of the legs, and once more at the end (:func:`push_out`): a cloth point inside the seat leaves it
upwards, onto the top plus :data:`CLEAR`, unless a side face is much nearer (:data:`SIDE_COST`: a
column hanging down behind the seat or between the calves in front of it leaves through that face),
so the cloth lies on the top within its footprint and falls over its edges. Under the buttocks the
cloth spreads hidden between them and the top.

Pure functions over numpy arrays (world frame, z up, metres).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

CLEAR = 0.004  # metres: cloth on a seat lies this far above its top (and this far off its sides)
SIDE_COST = 4.0  # a side face is taken over the top only when this many times nearer (2: a thin spike of cloth beside a thigh)
ROUND = ("stool", "cushion")  # seats with a round top (diameter: the recipe's width)
OVERHANG = {"low_wall": 0.04}  # metres a seat's top (the coping of a low wall) is wider and deeper than its size
# a backrest (scene.props' chair and bench): its front and back faces' distance in from the seat's back
# edge, and its top above the seat's top (metres; its bottom is taken at the seat's top)
BACKREST = {"chair": (0.0375, 0.0025, 0.44), "bench": (0.04, 0.0, 0.40)}
# a seat guessed under a seated person nobody gave one (a chair without its backrest): its width and depth, and its
# front edge ahead of the lowest buttock point (metres; scene.contact.seat_recipe's chair and SEAT_FRONT_M)
GUESS = (0.46, 0.42, 0.12)


@dataclasses.dataclass(frozen=True)
class Seat:
    """The solid a seated person sits on, as their loose garments see it.

    Attributes:
        centre: (2,) world xy of its footprint's centre, metres. yaw: radians; the seat's local x
            runs across it, its local +y to its back (the sitter's back).
        width, depth: metres along its local x and y (a round seat: its diameter is ``width``).
        top: metres, the height of its top (of the highest step). round: a disc, not a rectangle.
        steps: a flight of this many steps rising to the back (1: a flat top).
        fronts: a seat flight's step fronts (local y, bottom step first: the recipe's ``fronts``), or
            None: even treads.
        back: a backrest across the whole width at the back, as ``(front y, back y, top height)``
            (local metres; world height), or None.
        knees: ``(low x, high x)`` local: between them (a seated coat tail's knees) no cloth leaves through
            the front face, it goes up onto the top (the tail's back swings forward under the thighs into
            the seat, and went out between the knees as a crumpled flap;
            :func:`~genb.render.dress.coat_tail.seat_for`); None: anywhere.
        guessed: a chair guessed under a sitter nobody gave one (:func:`guess`).
    """

    centre: np.ndarray
    yaw: float
    width: float
    depth: float
    top: float
    round: bool = False
    steps: int = 1
    back: tuple | None = None
    fronts: tuple | None = None
    knees: tuple | None = None
    guessed: bool = False


def seat_of(recipe: dict | None) -> Seat | None:
    """The :class:`Seat` of a placed seat recipe (``type``, ``position``, ``yaw_deg``, ``size``:
    :func:`genb.render.scene.contact.place_recipe`), or None for None."""
    if recipe is None:
        return None
    L, D, H = (float(s) for s in recipe["size"])
    kind = recipe["type"]
    grow = OVERHANG.get(kind, 0.0)
    fronts = tuple(float(f) for f in recipe["fronts"]) if kind == "steps" and "fronts" in recipe else None
    steps = (len(fronts) if fronts else max(2, round(H / 0.16))) if kind == "steps" else 1  # scene.props' flight
    back = None
    if kind in BACKREST:
        front, rear, up = BACKREST[kind]
        back = (D / 2 - front, D / 2 - rear, H + up)
    return Seat(np.asarray(recipe["position"], np.float64), math.radians(float(recipe["yaw_deg"])), L + grow,
                D + grow, H, kind in ROUND, steps, back, fronts)


def guess(low: np.ndarray, back: np.ndarray) -> Seat:
    """The :class:`Seat` guessed under a seated person nobody gave one: a chair's box (:data:`GUESS`, no
    backrest) whose top is at their lowest buttock point ``low`` (3,) and whose front edge lies
    ``GUESS[2]`` ahead of it, its depth running along ``back`` (2,), the horizontal unit vector to their back."""
    width, depth, front = GUESS
    back = np.asarray(back, np.float64)
    xy = np.asarray(low, np.float64)[:2] + back * (depth / 2 - front)
    return Seat(xy, math.atan2(-float(back[0]), float(back[1])), width, depth, float(low[2]), guessed=True)


def person_seat(seats: list, person: int) -> Seat | None:
    """The :class:`Seat` of person ``person`` among placed seat recipes (``seat_of``: their index), or None."""
    for rec in seats or ():
        if rec.get("seat_of") == person:
            return seat_of(rec)
    return None


def local_xy(seat: Seat, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) x and (N,) y of world points ``P`` (N, 3) in the seat's frame (x across, y to its back)."""
    c, s = math.cos(seat.yaw), math.sin(seat.yaw)
    dx, dy = P[:, 0] - seat.centre[0], P[:, 1] - seat.centre[1]
    return c * dx + s * dy, -s * dx + c * dy


def top_height(seat: Seat, y: np.ndarray) -> np.ndarray:
    """(N,) metres: the height of the seat's top over local ``y`` (N,) (a flight of steps: the step
    there; a flat seat: its top)."""
    if seat.steps <= 1:
        return np.full(np.shape(y), seat.top)
    n = seat.steps
    if seat.fronts is not None:  # the steps whose front lies before y, the lowest always
        return seat.top * np.maximum((np.asarray(y)[..., None] >= np.asarray(seat.fronts)).sum(-1), 1) / n
    back = np.clip((seat.depth / 2 - y) / seat.depth, 0.0, 1.0)  # 0 at the back, 1 at the front
    return seat.top * np.minimum(np.floor(n * (1.0 - back)) + 1.0, n) / n


def _front_face(seat: Seat, z: np.ndarray) -> np.ndarray:
    """(N,) local y of the seat's front face at heights ``z`` (a flight of steps: the riser of the step
    at that height)."""
    if seat.steps <= 1:
        return np.full(np.shape(z), -seat.depth / 2)
    n = seat.steps
    k = np.clip(np.floor(z * n / seat.top), 0, n - 1)
    if seat.fronts is not None:
        return np.asarray(seat.fronts)[k.astype(np.int64)]
    return seat.depth / 2 - seat.depth * (n - k) / n


def push_out(P: np.ndarray, seat: Seat | None, clear: float = CLEAR) -> np.ndarray:
    """(N, 3) the cloth points ``P`` (N, 3) out of the seat's solid (grown by ``clear``): onto its
    top, or out of its nearest side face where that is :data:`SIDE_COST` times nearer than the top
    (the module's rule); points outside it unchanged. ``seat`` None: ``P`` itself."""
    if seat is None:
        return P
    if seat.back is None:
        return _off_box(P, seat, clear)
    # out of the backrest, then the box, then the backrest again (lifted onto the top near the back
    # edge, cloth would end inside the backrest standing on it)
    return _off_backrest(_off_box(_off_backrest(P, seat, clear), seat, clear), seat, clear)


def _off_box(P: np.ndarray, seat: Seat, clear: float) -> np.ndarray:
    """(N, 3) points ``P`` out of the seat's box (or disc, or flight of steps) by :func:`push_out`'s rule."""
    x, y = local_xy(seat, P)
    z = P[:, 2]
    half_w, half_d = seat.width / 2 + clear, seat.depth / 2 + clear
    if seat.round:
        r = np.hypot(x, y)
        inside = r < half_w
    else:
        inside = (np.abs(x) < half_w) & (np.abs(y) < half_d)
    up = top_height(seat, y) + clear - z
    inside &= (up > 0.0) & (z > 0.0)
    if not inside.any():
        return P
    k = np.flatnonzero(inside)
    x, y, z, up = x[k], y[k], z[k], up[k]
    if seat.round:
        side = (half_w - r[k])[:, None]
    else:
        side = np.stack([half_w - x, half_w + x, _front_gap(seat, x, y, z, clear), half_d - y], 1)
    j = np.argmin(side, axis=1)
    d = side[np.arange(len(k)), j]
    lift = up <= SIDE_COST * d
    out = P.copy()
    out[k[lift], 2] += up[lift]
    s = ~lift
    if s.any():  # out through the nearest side face, along the seat's axes (a disc: radially)
        if seat.round:
            rr = np.maximum(r[k[s]], 1e-9)
            lx, ly = x[s] / rr * d[s], y[s] / rr * d[s]
        else:
            lx = np.where(j[s] == 0, d[s], np.where(j[s] == 1, -d[s], 0.0))
            ly = np.where(j[s] == 2, -d[s], np.where(j[s] == 3, d[s], 0.0))
        c, sn = math.cos(seat.yaw), math.sin(seat.yaw)
        out[k[s], 0] += c * lx - sn * ly
        out[k[s], 1] += sn * lx + c * ly
    return out


def _front_gap(seat: Seat, x: np.ndarray, y: np.ndarray, z: np.ndarray, clear: float) -> np.ndarray:
    """(N,) metres from local points (``x``, ``y``, ``z``) in the seat to its front face plus ``clear``; inf
    between :attr:`Seat.knees` (no way out there)."""
    gap = y - _front_face(seat, z) + clear
    if seat.knees is None:
        return gap
    return np.where((x > seat.knees[0]) & (x < seat.knees[1]), np.inf, gap)


def _off_backrest(P: np.ndarray, seat: Seat, clear: float) -> np.ndarray:
    """(N, 3) points ``P`` (N, 3) out of the seat's backrest (grown by ``clear``) through its nearest
    face: its front (towards the sitter), its back or its top."""
    x, y = local_xy(seat, P)
    y0, y1, z1 = seat.back
    z = P[:, 2]
    inside = (np.abs(x) < seat.width / 2 + clear) & (y > y0 - clear) & (y < y1 + clear) & (z >= seat.top) & (z < z1 + clear)
    if not inside.any():
        return P
    k = np.flatnonzero(inside)
    exits = np.stack([y[k] - (y0 - clear), (y1 + clear) - y[k], z1 + clear - z[k]], 1)
    j = np.argmin(exits, axis=1)
    d = exits[np.arange(len(k)), j]
    ly = np.where(j == 0, -d, np.where(j == 1, d, 0.0))
    out = P.copy()
    out[k, 0] -= math.sin(seat.yaw) * ly
    out[k, 1] += math.cos(seat.yaw) * ly
    out[k, 2] += np.where(j == 2, d, 0.0)
    return out


def push_grid(X: np.ndarray, seat: Seat | None, clear: float = CLEAR) -> np.ndarray:
    """A loose grid ``X`` (rings, bins, 3) out of the seat (:func:`push_out`), in place; returns ``X``.
    Its top ring too: a skirt's waist is never on a seat, but a coat tail's top ring hangs from the
    coat's hem, which may reach under the buttocks (lifted onto the top, it stays hidden under them).
    ``seat`` None: nothing moves."""
    if seat is not None:
        X[...] = push_out(X.reshape(-1, 3), seat, clear).reshape(X.shape)
    return X


def under_thighs(X: np.ndarray, seat: Seat | None, knees: np.ndarray) -> np.ndarray:
    """(rings, bins, 3) a seated coat tail ``X`` (rings, bins, 3) with its points hanging under the thighs
    in front of the seat, below its top, behind the knees' line and between the knees (``knees``: (2, 3)
    world), laid on the seat's front edge: drawn back onto its front face (along its depth) and up onto the
    top there plus :data:`CLEAR`. The tail's back, skinned half to each thigh, swings forward under them
    into the seat; the seat's push sent it out through the front face (a side face wins when
    :data:`SIDE_COST` times nearer than the top) and it hung between the knees as a crumpled flap. A round
    seat, a guessed one, or None: ``X`` unchanged."""
    if seat is None or seat.round or seat.guessed:  # a guessed chair: the thighs sink into it, cloth on its edge ends inside them
        return X
    P = X.reshape(-1, 3)
    x, y = local_xy(seat, P)
    kx, ky = local_xy(seat, np.asarray(knees, np.float64).reshape(-1, 3))
    face = _front_face(seat, P[:, 2]) - CLEAR
    top = top_height(seat, face + 2 * CLEAR) + CLEAR  # the step behind the riser
    on = (y < face) & (y > ky.max()) & (x > kx.min()) & (x < kx.max()) & (np.abs(x) < seat.width / 2) & (P[:, 2] < top)
    if not on.any():
        return X
    dy = np.where(on, face + 2 * CLEAR - y, 0.0)
    out = P.copy()
    out[:, 0] -= math.sin(seat.yaw) * dy
    out[:, 1] += math.cos(seat.yaw) * dy
    out[on, 2] = top[on]
    return out.reshape(X.shape)
