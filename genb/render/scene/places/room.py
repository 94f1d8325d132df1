"""A room's shell and its daylight: walls with window openings, a ceiling, windows (frame and glass),
and the sun that enters through them.

The room is four ``room_wall`` objects and a ``ceiling`` (``room: True`` in ``scene.json``). A window
(``wall_window``, :mod:`genb.render.scene.places.objects`) sits in an opening cut through its wall
(:func:`cut_openings`: the wall's recipe lists its ``openings``), so its glass (class ``glass``) is the
only thing between the room and the outside. :func:`daylight` then chooses the light: most rooms get
the sun through one of their windows (walls and ceiling cast sun shadows, so a bright patch of the
window's shape falls on the floor and on whoever stands in it, and the ambient light is dimmer and
comes from the window side); the others keep a lamp from above. Either way the glass shows the
outside sky (the sky recipe's ``outside``). All functions are pure functions of their arguments.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genb.render.scene import props as P
from genb.render.scene.places.context import PlaceContext
from genb.render.scene.places.kinds import prop_kind, recipe

WALL_T = 0.15  # metres: the walls' thickness (genb.render.scene.props.room_walls)
SILL_M = (0.8, 1.0)  # metres: a window's sill above the floor
SUN_PROB = 0.7  # share of rooms with windows whose sun comes in through one of them


def _box(size, at):
    return P.box_mesh(np.asarray(size, float), np.asarray(at, float))


@prop_kind("room_wall", ((1.0, 30.0), (0.15, 0.15), (2.6, 3.2)), "wall", ("d8d2c4",))
def _room_wall(r: dict[str, Any]) -> list:
    """A wall (length along x, thickness along y, from the floor up) with rectangular openings: the
    recipe's ``openings`` [[x centre, sill z, width, height], ...] in its own frame. The wall is cut into
    full-height piers between the openings and a piece below and above each."""
    L, T, H = r["size"]
    col = P._hex(r["color"])
    out, x = [], -L / 2
    for cx, z0, w, h in sorted(r.get("openings", [])):
        a, b = cx - w / 2, cx + w / 2
        if a > x:
            out.append((_box([a - x, T, H], [(a + x) / 2, 0, 0]), col))
        out.append((_box([w, T, z0], [cx, 0, 0]), col))
        out.append((_box([w, T, H - z0 - h], [cx, 0, z0 + h]), col))
        x = b
    if x < L / 2:
        out.append((_box([L / 2 - x, T, H], [(L / 2 + x) / 2, 0, 0]), col))
    return out


@prop_kind("ceiling", ((1.0, 30.0), (1.0, 30.0), (0.12, 0.12)), "ceiling", ("efece6", "e8e4dc", "f2f0ea"))
def _ceiling(r: dict[str, Any]) -> list:
    """A slab over the room: its underside at ``z`` (the walls' height), as wide as the walls' outer faces."""
    L, D, H = r["size"]
    return [(_box([L, D, H], [0, 0, float(r.get("z", 2.8))]), P._hex(r["color"]))]


def room_shell(rng: np.random.Generator, camera_xyz: np.ndarray, people_xy: np.ndarray) -> tuple[list[dict], tuple]:
    """The four walls (``room_wall`` recipes, ``room: True``) around the camera and everyone, at least
    0.4 m higher than the camera, and the room's inner box ((x0, y0), (x1, y1))."""
    walls = P.room_walls(rng, np.asarray(camera_xyz[:2], float), people_xy)
    top = max(walls[0]["size"][2], float(camera_xyz[2]) + 0.4)
    for w in walls:
        w.update(type="room_wall", size=[w["size"][0], WALL_T, top], openings=[])
    T = WALL_T
    box = ((walls[2]["position"][0] + T / 2, walls[0]["position"][1] + T / 2),
           (walls[3]["position"][0] - T / 2, walls[1]["position"][1] - T / 2))
    return walls, box


def inside(objects: list[dict], box: tuple) -> list[dict]:
    """The objects whose footprints lie inside the room's inner box (props are drawn before the room is)."""
    (x0, y0), (x1, y1) = box
    keep = []
    for o in objects:
        q = P.footprint(o, 0.0)
        if (q[:, 0] >= x0).all() and (q[:, 0] <= x1).all() and (q[:, 1] >= y0).all() and (q[:, 1] <= y1).all():
            keep.append(o)
    return keep


def ceiling(walls: list[dict], box: tuple) -> dict:
    """The ceiling recipe over a room from :func:`room_shell` (listed last: it covers every footprint)."""
    (x0, y0), (x1, y1) = box
    return {"type": "ceiling", "position": [(x0 + x1) / 2, (y0 + y1) / 2], "yaw_deg": 0.0,
            "size": [x1 - x0 + 2 * WALL_T, y1 - y0 + 2 * WALL_T, 0.12], "z": float(walls[0]["size"][2]),
            "color": "efece6", "seed": 0, "room": True}


def _inner_walls(box: tuple) -> list[tuple[np.ndarray, float, float]]:
    """(centre of the inner face (2,), yaw turning an object's back (+y) onto the wall, length) of each wall,
    in the order of :func:`genb.render.scene.props.room_walls` (y0, y1, x0, x1)."""
    (x0, y0), (x1, y1) = box
    return [(np.array([(x0 + x1) / 2, y0]), 180.0, x1 - x0), (np.array([(x0 + x1) / 2, y1]), 0.0, x1 - x0),
            (np.array([x0, (y0 + y1) / 2]), 90.0, y1 - y0), (np.array([x1, (y0 + y1) / 2]), 270.0, y1 - y0)]


def outward(yaw_deg: float) -> np.ndarray:
    """(2,) unit direction out of the room through a wall whose objects have yaw ``yaw_deg`` (their +y)."""
    a = math.radians(yaw_deg)
    return np.array([-math.sin(a), math.cos(a)])


def add_windows(ctx: PlaceContext, n: int, behind_prob: float = 0.4, tries: int = 10) -> None:
    """``n`` windows on the walls the camera faces (and, with ``behind_prob``, one on the wall behind it),
    each in the middle of its wall's thickness, apart from each other and from the corners. A strip
    0.5 m deep in front of each stays free of furniture (nothing stands against a window)."""
    if ctx.room is None:
        return
    walls = list(enumerate(_inner_walls(ctx.room)))
    ahead = [w for w in walls if (w[1][0] - ctx.camera_xy) @ ctx.forward > 0.5]
    behind = [w for w in walls if (w[1][0] - ctx.camera_xy) @ ctx.forward < -0.5]
    plan = [ahead] * n + ([behind] if behind and ctx.rng.random() < behind_prob else [])
    for choice in plan:
        if not choice:
            continue
        for _ in range(tries):
            k, (centre, yaw, length) = choice[int(ctx.rng.integers(len(choice)))]
            rec = recipe(ctx.rng, "wall_window", (0, 0), yaw)
            L, _, H = rec["size"]
            if L > length - 1.2:
                continue
            along = np.array([math.cos(math.radians(yaw)), math.sin(math.radians(yaw))])
            x = float(ctx.rng.uniform(-(length - L) / 2 + 0.5, (length - L) / 2 - 0.5))
            pos = centre + along * x + outward(yaw) * (WALL_T / 2)
            if any(o.get("wall") == k and abs(o["along"] - x) < (o["size"][0] + L) / 2 + 0.4
                   for o in ctx.objects if o["type"] == "wall_window"):
                continue
            rec.update(position=pos.tolist(), size=[L, WALL_T, H], sill=float(ctx.rng.uniform(*SILL_M)), wall=k,
                       along=x)
            ctx.add(rec, flat=True)
            ctx.quads.append(P._corners(centre + along * x - outward(yaw) * 0.25, (L + 0.2, 0.5), yaw))
            break


def clear_of_windows(ctx: PlaceContext, rec: dict) -> bool:
    """Whether a flat object on a wall (a door, a picture) keeps 0.15 m from every window on that wall."""
    xy = np.asarray(rec["position"], float)
    for o in ctx.objects:
        if o["type"] != "wall_window" or abs(((o["yaw_deg"] - rec["yaw_deg"]) + 180) % 360 - 180) > 1:
            continue
        a = math.radians(o["yaw_deg"])
        d = xy - np.asarray(o["position"], float)
        if abs(d @ np.array([math.cos(a), math.sin(a)])) < (o["size"][0] + rec["size"][0]) / 2 + 0.15:
            return False
    return True


def cut_openings(walls: list[dict], objects: list[dict]) -> None:
    """Cut each window's opening (its width, from its sill up its height) through its wall (in place)."""
    for o in objects:
        if o["type"] == "wall_window" and "wall" in o:
            L, _, H = o["size"]
            walls[o["wall"]]["openings"].append([_wall_x(walls[o["wall"]], o), float(o["sill"]), float(L), float(H)])


def _wall_x(wall: dict, window: dict) -> float:
    """The window's centre along its wall, in the wall's own frame (x along its length)."""
    a = math.radians(wall["yaw_deg"])
    d = np.asarray(window["position"], float) - np.asarray(wall["position"], float)
    return float(d @ np.array([math.cos(a), math.sin(a)]))


def _outside_sky(rng: np.random.Generator, sunny: bool, azimuth: float, elevation: float) -> dict[str, Any]:
    """The sky seen through the windows (a sky recipe of :mod:`genb.render.scene.sky` without lighting)."""
    setting = ("clear" if rng.random() < 0.7 else "hazy") if sunny else "overcast"
    return {"setting": setting, "sun_azimuth_deg": azimuth, "sun_elevation_deg": elevation,
            "turbidity": float(rng.uniform(2.0, 3.2) if setting == "clear" else rng.uniform(4.0, 6.5)),
            "cloud_cover": float(rng.uniform(0.0, 0.5)) if sunny else 0.0, "cloud_seed": int(rng.integers(2**31))}


def daylight(rng: np.random.Generator, sky_recipe: dict[str, Any], windows: list[dict],
             camera_xy: np.ndarray | None = None, forward: np.ndarray | None = None) -> dict[str, Any]:
    """The indoor sky recipe with the room's daylight (a new dict; ``sky_recipe`` is an ``indoor`` one).

    With windows, in :data:`SUN_PROB` of rooms the sun shines in through one of them (``daylight.sun``):
    its azimuth within 35 degrees of that window's outward normal, 22-48 degrees up, as strong as
    outdoors; the ambient is a quarter to a third of a lamp-lit room's and comes from the window side
    (``daylight.window_azimuth_deg``, :func:`genb.render.raster.probe.light_probe`). Otherwise the lamp
    from above stays. ``outside`` is the sky the windows show. Given the camera (``camera_xy``, ``forward``),
    the sun comes in by a window ahead of it in 80 % of rooms that have one (its patch falls in view)."""
    from genb.render.scene.sky import sun_color

    rec = dict(sky_recipe)
    if not windows:
        return rec
    pool = windows
    if camera_xy is not None and forward is not None:
        ahead = [w for w in windows if (np.asarray(w["position"]) - camera_xy) @ forward > 0.5]
        if ahead and rng.random() < 0.8:
            pool = ahead
    w = pool[int(rng.integers(len(pool)))]
    out = outward(w["yaw_deg"])
    window_az = math.degrees(math.atan2(out[1], out[0]))
    if rng.random() < SUN_PROB:
        az, el = window_az + float(rng.uniform(-35, 35)), float(rng.uniform(22, 48))
        a, e = math.radians(az), math.radians(el)
        toward = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
        rec["lighting"] = {"direction": (-toward).tolist(), "intensity": float(rng.uniform(0.9, 1.05)),
                           "color": sun_color(el).tolist(),
                           "ambient": (np.array([0.96, 0.98, 1.0]) * float(rng.uniform(0.13, 0.2))).tolist()}
        rec.update(sun_azimuth_deg=az % 360, sun_elevation_deg=el)
        rec["daylight"] = {"sun": True, "window_azimuth_deg": window_az % 360}
        rec["outside"] = _outside_sky(rng, True, az % 360, el)
    else:
        rec["daylight"] = {"sun": False, "window_azimuth_deg": window_az % 360}
        rec["outside"] = _outside_sky(rng, False, float(rng.uniform(0, 360)), float(rng.uniform(30, 60)))
    return rec


def open_to_sun(points: np.ndarray, toward: np.ndarray, windows: list[dict], margin: float = 0.25) -> np.ndarray:
    """(N,) bool: whether the ray from each point (N, 3) toward the sun (``toward``, (3,) unit) could pass one
    of the windows' openings, grown by ``margin`` metres, on both faces of its frame (any ray through an
    opening crosses both). In a closed room the others meet a wall or the ceiling: they are in shadow."""
    out = np.zeros(len(points), bool)
    p = np.asarray(points, np.float32)
    for w in windows:
        L, T, H = w["size"]
        s = float(w["sill"])
        a = math.radians(w["yaw_deg"])
        ax, ay = np.float32(math.cos(a)), np.float32(math.sin(a))
        t = np.array([toward[0] * math.cos(a) + toward[1] * math.sin(a),
                      -toward[0] * math.sin(a) + toward[1] * math.cos(a), toward[2]])
        if t[1] <= 1e-6:
            continue  # the sun is on the room's side of this wall
        dx, dy = p[:, 0] - np.float32(w["position"][0]), p[:, 1] - np.float32(w["position"][1])
        x, y = dx * ax + dy * ay, -dx * ay + dy * ax
        ok = np.ones(len(p), bool)
        for face in (-(T + 0.04) / 2, (T + 0.04) / 2):
            k = (np.float32(face) - y) * np.float32(1.0 / t[1])
            qx, qz = x + k * np.float32(t[0]), p[:, 2] + k * np.float32(t[2])
            ok &= (np.abs(qx) < L / 2 + margin) & (qz > s - margin) & (qz < s + H + margin)
        out |= ok
    return out


def light_room(rng: np.random.Generator, sky_recipe: dict, walls: list[dict], room: tuple, near: list[dict],
                   objects: list[dict], background: dict, cam_xy: np.ndarray, forward: np.ndarray) -> dict:
    """A room's windows cut through its walls, its daylight (:func:`daylight`)
    and its ceiling (appended to ``objects``); with the sun in, walls and ceiling cast sun shadows.
    Returns the sky recipe."""
    cut_openings(walls, near)
    sky_recipe = daylight(rng, sky_recipe, [o for o in near if o["type"] == "wall_window"], cam_xy, forward)
    sunlit = bool(sky_recipe.get("daylight", {}).get("sun"))
    top = ceiling(walls, room)
    objects.append(top)
    for rec in walls + [top]:
        rec["casts_shadow"] = sunlit
    if sunlit and "description" in background:
        background["description"] += ", sunlight falling in through a window"
    return sky_recipe
