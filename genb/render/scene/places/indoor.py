"""Indoor place builders: living room, office, gym, with furniture against the room's walls
(registration order is the draw order of :func:`genb.render.scene.places.choose_place`: keep it)."""

from __future__ import annotations

import math

import numpy as np

from genb.render.scene.places.context import PlaceContext, _scatter
from genb.render.scene.places import room as R
from genb.render.scene.places.kinds import place_kind, recipe


def _walls(ctx: PlaceContext) -> list[tuple[np.ndarray, float, float]]:
    """The room's walls as (centre of the inner face (2,), yaw making an object's back touch it, length)."""
    (x0, y0), (x1, y1) = ctx.room
    return [(np.array([(x0 + x1) / 2, y0]), 180.0, x1 - x0), (np.array([(x0 + x1) / 2, y1]), 0.0, x1 - x0),
            (np.array([x0, (y0 + y1) / 2]), 90.0, y1 - y0), (np.array([x1, (y0 + y1) / 2]), 270.0, y1 - y0)]


def _against_walls(ctx: PlaceContext, kind: str, n: int, flat: bool = False, tries: int = 10, **extra) -> None:
    """Objects with their backs on the walls (only walls the camera faces)."""
    walls = [w for w in _walls(ctx) if (w[0] - ctx.camera_xy) @ ctx.forward > 0.5]
    if not walls:
        return
    for _ in range(n):
        for _ in range(tries):
            centre, yaw, length = walls[int(ctx.rng.integers(len(walls)))]
            rec = recipe(ctx.rng, kind, (0, 0), yaw, **extra)
            L, D, _ = rec["size"]
            if L > length - 0.4:
                continue
            a = math.radians(yaw)
            along = np.array([math.cos(a), math.sin(a)])
            inward = -np.array([-math.sin(a), math.cos(a)])  # from the wall into the room (-y of the object)
            pos = centre + along * float(ctx.rng.uniform(-(length - L) / 2, (length - L) / 2)) + inward * (D / 2 + 0.01)
            rec["position"] = pos.tolist()
            if flat and not R.clear_of_windows(ctx, rec):
                continue
            if ctx.add(rec, flat=flat):
                break


def _room_common(ctx: PlaceContext) -> None:
    R.add_windows(ctx, int(ctx.rng.integers(2, 4)))
    _against_walls(ctx, "door", 1, flat=True)
    _against_walls(ctx, "picture", int(ctx.rng.integers(1, 4)), flat=True)


@place_kind("living_room", True, ("wood", "tiles"), "in a living room", (), 1.2)
def _living_room(ctx: PlaceContext) -> None:
    _room_common(ctx)
    _against_walls(ctx, "sofa", 1)
    _against_walls(ctx, "shelf", int(ctx.rng.integers(1, 3)))
    _scatter(ctx, "rug", 1, (1.5, 5.0), 6.0)
    _scatter(ctx, "table", 1, (2.0, 6.0), 6.0)
    _scatter(ctx, "chair", int(ctx.rng.integers(0, 3)), (2.0, 6.0), 6.0)


@place_kind("office", True, ("tiles", "concrete"), "in an office", (), 0.8)
def _office(ctx: PlaceContext) -> None:
    _room_common(ctx)
    _against_walls(ctx, "desk", int(ctx.rng.integers(1, 4)))
    _against_walls(ctx, "shelf", 1)
    _scatter(ctx, "chair", int(ctx.rng.integers(1, 3)), (2.0, 6.0), 6.0)


@place_kind("gym", True, ("wood", "concrete"), "in a gym", (), 0.6)
def _gym(ctx: PlaceContext) -> None:
    _room_common(ctx)
    _against_walls(ctx, "gym_rack", int(ctx.rng.integers(1, 3)))
    _scatter(ctx, "gym_mat", int(ctx.rng.integers(1, 4)), (1.5, 6.0), 6.0)
    _scatter(ctx, "bench_prop", 1, (2.0, 6.0), 6.0)

