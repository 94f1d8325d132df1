"""A coat's or a jacket's shell pressed onto the seat its wearer sits on: no cloth under the buttocks below the
seat's top.

A tight shell is the body's skin pushed out by the cloth's offset (a coat's 4-7 cm over a shirt and trousers)
along the skin's normals. Seated, the normals under the buttocks and the thighs face the ground, and the
coat's seat and the top of its tail (hung from the shell's hem, :mod:`~genb.render.dress.coat_join`) stood
that far under the buttocks' lowest point: inside the chair, or below where one would be. Real cloth there
is pressed between the body and the seat and lies on the seat's top.

Posed, with a seat (the :class:`~genb.render.dress.seat_cloth.Seat` the renderer put under the person, or,
seated without one, a chair guessed under the buttocks: :func:`~genb.render.dress.coat_tail.seat_for`), each
vertex of the shell's seat and hips (:func:`~genb.render.dress.bridge.seat_zone` at
:data:`~genb.render.dress.bridge.SEAT_TOP`: the trunk below the small of the back and the thighs' top third)
inside the seat's solid leaves it as a coat's tail does (:func:`~genb.render.dress.seat_cloth.push_out`: up
onto the top, or out of a much nearer side face); its normals turn as its faces turned. What lies beside the
seat still falls past its edges. Measured (``tests/test_coat_seat.py``: the chair key poses x child, average,
heavy, tall, a closed coat over a shirt and trousers): on the renderer's seat the coat's deepest point inside
its solid 17.9-63.2 mm per case on 15423f4 (the shell), 0 now; without a seat, under the buttocks below their
lowest point, 45.5-124.7 mm (shell 0-67.3, tail 38.4-124.7), 0 now. 0.17 ms a seated coat (median).

Pure functions over numpy arrays (world frame, metres) and a per-shell plan built once.
"""

from __future__ import annotations

import numpy as np

from genb.render.dress import seat_cloth

PRESS_MIN_WEIGHT = 0.05  # shell vertices with less of the seat zone than this stay as they are
_PLANS: dict = {}  # id(shell) -> (shell, plan)
_ZONES: dict = {}  # id(atlas) -> (atlas, the seat zone)


def plan(shell, zone: np.ndarray) -> tuple | None:
    """How moving a shell's seat vertices moves its mesh (:func:`~genb.render.dress.seat_tent.moves` of its
    own vertices with more than :data:`PRESS_MIN_WEIGHT` of the body's ``zone`` (V,)), built once (cached by
    the shell). None: the shell does not reach the zone."""
    from genb.render.dress.seat_tent import moves, zone_vertices

    got = _PLANS.get(id(shell))
    if got is not None and got[0] is shell:
        return got[1]
    ids, _ = zone_vertices(shell, zone, PRESS_MIN_WEIGHT)
    out = moves(shell, ids) if len(ids) else None
    _PLANS[id(shell)] = (shell, out)
    return out


def press(mv: tuple, vertices: np.ndarray, normals: np.ndarray, seat) -> None:
    """A posed shell's seat vertices out of ``seat``'s solid (:func:`~genb.render.dress.seat_cloth.push_out`),
    in place: ``vertices`` (G, 3), and the moved ones' ``normals`` (G, 3) turned as their faces turned
    (:func:`~genb.render.dress.seat_tent.displace`). ``mv``: :func:`plan`'s."""
    from genb.render.dress.seat_tent import displace

    touched, _, src, _, _ = mv
    P = np.asarray(vertices[touched], np.float64)
    step = np.where((src >= 0)[:, None], seat_cloth.push_out(P, seat) - P, 0.0)
    if not (np.abs(step) > 1e-6).any():
        return
    displace(vertices, normals, mv, lambda v, n: step)


def lay(wearer, shell, mesh, seat) -> None:
    """A coat's or a jacket's posed shell ``mesh`` (a :class:`~genb.render.dress.mesh.GarmentMesh` of
    ``shell``) out of the ``seat`` (a :class:`~genb.render.dress.seat_cloth.Seat`, or None: nothing) its
    ``wearer`` sits on (:func:`press`, in place)."""
    if seat is None:
        return
    from genb.render.dress.bridge import SEAT_TOP, seat_zone

    d = wearer.dresser
    got = _ZONES.get(id(d.atlas))
    if got is None or got[0] is not d.atlas:
        got = _ZONES[id(d.atlas)] = (d.atlas, seat_zone(d.atlas, d.is_leg, SEAT_TOP))
    mv = plan(shell, got[1])
    if mv is not None:
        press(mv, mesh.vertices, mesh.normals, seat)
