"""Outdoor place builders: street, park, plaza, parking lot, field, beach (registration order is
the draw order of :func:`genb.render.scene.places.choose_place`: keep it)."""

from __future__ import annotations

from genb.render.scene.places.context import PlaceContext, _row, _scatter
from genb.render.scene.places.kinds import place_kind, recipe


@place_kind("street", False, ("asphalt", "paving", "concrete"), "on a city street", ("skyline",), 1.6)
def _street(ctx: PlaceContext) -> None:
    """Facades behind the people, a sidewalk with a curb before them, the road with markings and
    parked cars, lamps, signs and trees along the sidewalk."""
    far = ctx.depth_of_people()
    facade = far + float(ctx.rng.uniform(3.5, 9.0))
    span = 40.0
    side = -span
    while side < span:  # facades: buildings shoulder to shoulder
        rec = recipe(ctx.rng, "building", (0, 0), ctx.yaw_facing_camera())
        L, D, _ = rec["size"]
        rec["position"] = ctx.at(facade + D / 2, side + L / 2).tolist()
        ctx.add(rec, clear=0.5)
        side += L + float(ctx.rng.uniform(0.0, 0.6))
    walk = float(ctx.rng.uniform(2.5, 4.0))
    ctx.add(recipe(ctx.rng, "strip", ctx.at(facade - walk / 2, 0), ctx.yaw_facing_camera(), size=[2 * span, walk, 0.01]), flat=True)
    curb_at = facade - walk - 0.1
    side = -span
    while side < span:
        ctx.add(recipe(ctx.rng, "curb", ctx.at(curb_at, side + 3.0), ctx.yaw_facing_camera(), size=[6.0, 0.18, 0.13]))
        side += 6.0
    lane = curb_at - float(ctx.rng.uniform(4.5, 6.0))
    if lane > 1.5:  # the road's centre line between the camera and the curb
        side = -span
        while side < span:
            ctx.add(recipe(ctx.rng, "marking", ctx.at(lane, side), ctx.yaw_facing_camera(), size=[3.0, 0.13, 0.007]), flat=True)
            side += 6.0
    _row(ctx, "sedan", curb_at - 1.2, (5.5, 9.0), span, yaw_extra=0.0)
    _row(ctx, "street_lamp", facade - walk + 0.5, (14.0, 22.0), span, yaw_extra=0.0)
    _row(ctx, "leafy_tree", facade - walk + 0.9, (8.0, 14.0), span)
    _scatter(ctx, "sign", 1, (far, facade - 1), 6.0)


@place_kind("park", False, ("grass", "dirt"), "in a park", ("far_trees", "hills"), 1.3)
def _park(ctx: PlaceContext) -> None:
    far = ctx.depth_of_people()
    ctx.add(recipe(ctx.rng, "strip", ctx.at(far * ctx.rng.uniform(0.4, 1.0), 0), ctx.yaw_facing_camera(ctx.rng.uniform(-40, 40)),
                   size=[60.0, float(ctx.rng.uniform(1.8, 3.0)), 0.01], color="b8a888"), flat=True)
    _row(ctx, "hedge", far + float(ctx.rng.uniform(2, 5)), (3.0, 7.0), 18.0, jitter=0.5)
    _row(ctx, "leafy_tree", far + float(ctx.rng.uniform(5, 12)), (5.0, 10.0), 35.0, jitter=2.0)
    _scatter(ctx, "leafy_tree", 3, (4.0, far + 4.0), 12.0)
    for _ in range(int(ctx.rng.integers(1, 3))):
        _scatter(ctx, "bench_prop", 1, (3.0, far + 2.0), 8.0)


@place_kind("plaza", False, ("paving", "concrete"), "on a town square", ("skyline",), 1.0)
def _plaza(ctx: PlaceContext) -> None:
    far = ctx.depth_of_people()
    back = far + float(ctx.rng.uniform(8, 16))
    side = -45.0
    while side < 45.0:
        rec = recipe(ctx.rng, "building", (0, 0), ctx.yaw_facing_camera())
        L, D, _ = rec["size"]
        rec["position"] = ctx.at(back + D / 2, side + L / 2).tolist()
        ctx.add(rec, clear=0.5)
        side += L + float(ctx.rng.uniform(0, 0.4))
    _scatter(ctx, "fountain", 1, (4.0, back - 3), 8.0)
    _scatter(ctx, "street_lamp", 3, (3.0, back - 1), 12.0)
    _scatter(ctx, "planter_prop", 3, (3.0, back - 1), 10.0)
    _scatter(ctx, "bench_prop", 2, (3.0, back - 1), 10.0)
    _scatter(ctx, "leafy_tree", 2, (5.0, back - 2), 14.0)


@place_kind("parking_lot", False, ("asphalt",), "in a parking lot", ("skyline", "far_trees"), 0.8)
def _parking(ctx: PlaceContext) -> None:
    far = ctx.depth_of_people()
    for row, ahead in enumerate((far + 2.5, far + 9.0)):
        side = -25.0
        while side < 25.0:
            rec = recipe(ctx.rng, "sedan", ctx.at(ahead, side), ctx.yaw_facing_camera(90.0 + ctx.rng.normal(0, 3)))
            if ctx.rng.random() < 0.8:
                ctx.add(rec)
            ctx.add(recipe(ctx.rng, "marking", ctx.at(ahead, side + 1.3), ctx.yaw_facing_camera(90.0), size=[5.0, 0.12, 0.007]), flat=True)
            side += 2.6
    _row(ctx, "street_lamp", far + 6.0, (15.0, 20.0), 25.0)
    _row(ctx, "building", far + 20.0, (14.0, 22.0), 45.0)


@place_kind("field", False, ("grass", "dirt"), "in an open field", ("far_trees", "hills"), 0.7)
def _field(ctx: PlaceContext) -> None:
    far = ctx.depth_of_people()
    _row(ctx, "fence_prop", far + float(ctx.rng.uniform(4, 10)), (3.0, 4.5), 20.0)
    _row(ctx, "leafy_tree", far + float(ctx.rng.uniform(15, 30)), (6.0, 12.0), 60.0, jitter=4.0)


@place_kind("beach", False, ("sand",), "on a beach", ("hills",), 0.5)
def _beach(ctx: PlaceContext) -> None:
    far = ctx.depth_of_people()
    _scatter(ctx, "crate_prop", 2, (3.0, far + 3), 10.0)
    _row(ctx, "leafy_tree", far + float(ctx.rng.uniform(20, 40)), (6.0, 12.0), 50.0, jitter=3.0)

