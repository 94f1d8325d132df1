"""Places, not planes: a scene grammar that builds a place around the people.

Two tables drive it (:mod:`.kinds`), so a new kind touches one module only:

* :data:`PROP_KINDS` (:class:`PropKind`): an object kind is a typed recipe (size ranges, seg class,
  colours, words for the prompt) plus **one mesh builder** ``build(recipe) -> [((v, f, n), rgb), ...]``
  in the object's own frame (origin at its footprint centre, ``+y`` its back, ``z`` up). Register
  one with :func:`prop_kind`. :func:`genb.render.scene.props.prop_mesh` builds any registered kind.
* :data:`PLACE_KINDS` (:class:`PlaceKind`): a place kind (street, park, plaza, parking lot, field,
  beach, living room, office, gym) has its grounds, its backdrop and a ``build(ctx)`` that adds
  objects through :meth:`PlaceContext.add`, which keeps every object clear of people (their
  footprint circles), of the camera, of each other and of the framed person's sightline.

Every object is a recipe in ``scene.json`` (``objects``: type, position, yaw, size, colour, seed,
``place``), geometry with its own seg class (``conventions.SCENE_PARTS``), drawn with instance 0,
so it writes depth and occludes by the existing rule. The backdrop (skyline, tree line, hills)
stands 60-330 m away so the horizon is never empty; aerial perspective hazes it.
"""

from __future__ import annotations

import math

import numpy as np

from genb.render.scene import props as P
# importing the builders registers the kinds; outdoor places before indoor ones (the order of PLACE_KINDS)
from genb.render.scene.places import objects as _objects  # noqa: F401, I001
from genb.render.scene.places import outdoor as _outdoor  # noqa: F401, I001
from genb.render.scene.places import indoor as _indoor  # noqa: F401, I001
from genb.render.scene.places import room  # noqa: F401, I001  (a room's shell and daylight)
from genb.render.scene.places.context import PlaceContext
from genb.render.scene.places.kinds import (PLACE_KINDS, PROP_KINDS, PlaceKind, PropKind, casts_shadow, place_kind, prop_kind,
                                      prop_mesh, prop_meshes, recipe)

__all__ = ["PLACE_KINDS", "PROP_KINDS", "PlaceContext", "PlaceKind", "PropKind", "backdrop", "build_place", "casts_shadow",
           "choose_place", "describe", "place_kind", "prop_kind", "prop_mesh", "prop_meshes", "recipe", "room"]


def choose_place(rng: np.random.Generator, indoor: bool) -> PlaceKind:
    """One place kind (by weight) among the indoor or the outdoor ones."""
    kinds = [k for k in PLACE_KINDS.values() if k.indoor == indoor]
    w = np.array([k.weight for k in kinds])
    return kinds[int(rng.choice(len(kinds), p=w / w.sum()))]


def backdrop(rng: np.random.Generator, kinds: tuple[str, ...], camera_xy: np.ndarray, forward: np.ndarray) -> list[dict]:
    """Distant objects so the horizon is never empty: skyline blocks at 120-250 m, a tree line at 60-110 m,
    an arc of hills at 300 m, across the view (+-75 degrees)."""
    out = []
    head = math.atan2(forward[1], forward[0])
    yaw_to = lambda ang: math.degrees(ang) + 90.0  # noqa: E731  (front towards the camera)
    for kind in kinds:
        if kind == "hills":  # its arc is built around its own -y: turn that onto the view
            out.append(recipe(rng, "hills", camera_xy, math.degrees(head) + 90.0))
            continue
        n, (r0, r1) = {"skyline": (26, (120.0, 250.0)), "far_trees": (30, (60.0, 110.0))}[kind]
        for ang in head + np.linspace(-1.3, 1.3, n) + rng.normal(0, 0.03, n):
            rr = float(rng.uniform(r0, r1))
            out.append(recipe(rng, kind, camera_xy + rr * np.array([math.cos(ang), math.sin(ang)]), yaw_to(ang)))
    return out


def build_place(rng: np.random.Generator, kind: PlaceKind, camera_xy: np.ndarray, forward: np.ndarray,
                people_xy: np.ndarray, radii: np.ndarray, protect: int | None, fixed: list[dict],
                room: tuple | None = None) -> tuple[list[dict], list[dict]]:
    """The objects of one place around the people: (near objects, backdrop objects); each recipe carries
    ``place``. ``fixed``: objects already there (seats); ``room``: ((x0, y0), (x1, y1)) indoors."""
    ctx = PlaceContext(rng, np.asarray(camera_xy, float), np.asarray(forward, float), np.asarray(people_xy, float),
                       np.asarray(radii, float), protect, [P.footprint(r, 0.0) for r in fixed], room=room)
    kind.build(ctx)
    far = backdrop(rng, kind.backdrop, ctx.camera_xy, ctx.forward) if not kind.indoor else []
    for r in ctx.objects + far:
        r["place"] = kind.name
    return ctx.objects, far


def keep_dry(objects: list[dict], place_objects: list[dict]) -> list[dict]:
    """``objects`` less those standing in a place's water (a prop drawn before the beach's sea was)."""
    seas = [r for r in place_objects if r["type"] == "sea"]
    if not seas:
        return objects
    xy = np.array([o["position"] for o in objects], np.float64).reshape(-1, 2)
    wet = np.zeros(len(objects), bool)
    for r in seas:
        wet |= P.rect_circle_gap(np.asarray(r["position"], np.float64), tuple(r["size"][:2]), r["yaw_deg"], xy,
                                 np.zeros(len(xy))) <= 0
    return [o for o, w in zip(objects, wet) if not w or o["type"] == "sea" or "seat_of" in o]


def describe(kind: PlaceKind, objects: list[dict]) -> str:
    """The place in words for the prompt: ``on a city street, with buildings with windows, parked cars``."""
    words = []
    for r in objects:
        w = PROP_KINDS[r["type"]].words if r["type"] in PROP_KINDS else ""
        if w and w not in words:
            words.append(w)
    return kind.words + (", with " + ", ".join(words[:5]) if words else "")
