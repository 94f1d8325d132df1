"""The two registries of the scene grammar: object kinds (:data:`PROP_KINDS`, a typed recipe and one
mesh builder each) and place kinds (:data:`PLACE_KINDS`, grounds, backdrop and a builder each), the
recipe drawn from a kind, and the world-frame meshes of any recipe (:func:`prop_meshes`)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

import numpy as np

from genb.core.conventions import SCENE_PART_INDEX
from genb.render.scene import props as P



@dataclasses.dataclass(frozen=True)
class PropKind:
    """An object kind: size ranges (L, D, H) metres, seg class, colours (hex), prompt words, mesh builder,
    and whether it casts sun shadows (distant and huge objects do not: they would blur every shadow)."""

    name: str
    sizes: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    part: str
    colors: tuple[str, ...]
    build: Callable[[dict[str, Any]], list[tuple]]
    """``build(recipe) -> [(mesh, rgb) or (mesh, rgb, seg class of that piece), ...]`` in the object's frame."""
    words: str = ""
    casts_shadow: bool = True


PROP_KINDS: dict[str, PropKind] = {}


def prop_kind(name: str, sizes, part: str, colors, words: str = "", casts_shadow: bool = True):
    """Decorator registering a mesh builder as the object kind ``name``."""

    def register(fn):
        PROP_KINDS[name] = PropKind(name, tuple(tuple(s) for s in sizes), part, tuple(colors), fn, words, casts_shadow)
        return fn

    return register


def recipe(rng: np.random.Generator, kind: str, xy, yaw_deg: float, size=None, **extra) -> dict[str, Any]:
    """A JSON-able recipe of a registered kind (size drawn from its ranges unless given)."""
    k = PROP_KINDS[kind]
    size = [float(rng.uniform(*r)) for r in k.sizes] if size is None else [float(s) for s in size]
    return {"type": kind, "position": [float(xy[0]), float(xy[1])], "yaw_deg": float(yaw_deg), "size": size,
            "color": k.colors[int(rng.integers(len(k.colors)))], "seed": int(rng.integers(2**31)), **extra}


@dataclasses.dataclass(frozen=True)
class PlaceKind:
    """A kind of place: indoor or not, its ground materials, its backdrop kinds, prompt words, its builder."""

    name: str
    indoor: bool
    grounds: tuple[str, ...]
    build: Callable[[Any], None]
    """``build(ctx)`` with a :class:`genb.render.scene.places.context.PlaceContext`: adds the place's objects."""
    words: str
    backdrop: tuple[str, ...] = ()
    weight: float = 1.0


PLACE_KINDS: dict[str, PlaceKind] = {}


def place_kind(name: str, indoor: bool, grounds, words: str, backdrop=(), weight: float = 1.0):
    """Decorator registering a place builder ``build(ctx)``."""

    def register(fn):
        PLACE_KINDS[name] = PlaceKind(name, indoor, tuple(grounds), fn, words, tuple(backdrop), weight)
        return fn

    return register


def prop_meshes(recipe: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]:
    """World-frame meshes of an object recipe, one per seg class it holds (a building's windows and doors
    have their own), each as vertices (V, 3) float32, faces (F, 3) uint32, normals (V, 3) float32,
    colours (V, 3) float32 0..1 and the part id (``SCENE_PART_INDEX``). Any kind of
    :data:`PROP_KINDS` or of :data:`genb.render.scene.props.PROP_TYPES`."""
    if recipe["type"] in P.PROP_TYPES:
        pieces, part = P._pieces(recipe), P.PROP_TYPES[recipe["type"]][1]
    else:
        kind = PROP_KINDS[recipe["type"]]
        pieces, part = kind.build(recipe), kind.part
    yaw = math.radians(recipe["yaw_deg"])
    R = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
    t = np.array([*recipe["position"], 0.0])
    groups: dict[str, list] = {}
    for piece in pieces:
        groups.setdefault(piece[2] if len(piece) > 2 else part, []).append(piece[:2])
    out = []
    for name in sorted(groups, key=lambda n: SCENE_PART_INDEX[n]):  # a fixed order: the draw order never varies
        # the group's pieces joined first, then moved as one (one product instead of one per piece)
        meshes = [m for m, _ in groups[name]]
        counts = np.array([len(m[0]) for m in meshes])
        offsets = np.concatenate([[0], np.cumsum(counts[:-1])])
        fs = np.concatenate([np.asarray(f) + o for (_, f, _), o in zip(meshes, offsets)])
        vs = np.concatenate([np.asarray(m[0], np.float64) for m in meshes]) @ R.T + t
        ns = np.concatenate([np.asarray(m[2], np.float64) for m in meshes]) @ R.T
        cs = np.repeat(np.array([np.asarray(c, np.float32) for _, c in groups[name]], np.float32), counts, axis=0)
        out.append((vs.astype(np.float32), fs.astype(np.uint32), ns.astype(np.float32), cs, SCENE_PART_INDEX[name]))
    return out


def prop_mesh(recipe: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """World-frame mesh of a prop recipe with a single seg class (the first of :func:`prop_meshes`)."""
    return prop_meshes(recipe)[0]


def casts_shadow(recipe: dict[str, Any]) -> bool:
    """Whether an object goes into the sun's shadow map: a room's walls and ceiling only when the sun shines
    in through its windows (their ``casts_shadow``), not big or distant objects, nor flat overlays on the
    ground (the map is framed on its casters: a 300 m backdrop would blur every shadow)."""
    if recipe.get("room", False):
        return bool(recipe.get("casts_shadow", False))
    kind = PROP_KINDS.get(recipe["type"])
    return kind is None or kind.casts_shadow
