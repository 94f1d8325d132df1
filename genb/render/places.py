"""Places, not planes: a scene grammar that builds a place around the people.

Two tables drive it, so a new kind touches this file only:

* :data:`PROP_KINDS` (:class:`PropKind`): an object kind is a typed recipe (size ranges, seg class,
  colours, words for the prompt) plus **one mesh builder** ``build(recipe) -> [((v, f, n), rgb), ...]``
  in the object's own frame (origin at its footprint centre, ``+y`` its back, ``z`` up). Register
  one with :func:`prop_kind`. :func:`genb.render.props.prop_mesh` builds any registered kind.
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

import dataclasses
import math
from typing import Any, Callable

import numpy as np

from genb.render import props as P

Mesh = tuple[np.ndarray, np.ndarray, np.ndarray]


# ----------------------------------------------------------------------------- object kinds


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


def _rgb(c: str) -> list[float]:
    return [int(c[i : i + 2], 16) / 255.0 for i in (0, 2, 4)]


def _shade(col: list[float], f: float) -> list[float]:
    return [min(1.0, c * f) for c in col]


def _box(size, at) -> Mesh:
    return P.box_mesh(np.asarray(size, float), np.asarray(at, float))


@prop_kind("building", ((6, 14), (8, 12), (6, 24)), "building",
           ("b9a48c", "a8553f", "d8cfc0", "8c8f94", "c4a77d", "e0d6c2", "7d6a5a"), "buildings with windows", casts_shadow=False)
def _building(r):
    """A facade (its front is -y) with a grid of windows, a door or two, some balconies and a roof edge."""
    L, D, H = r["size"]
    col = _rgb(r["color"])
    rng = np.random.default_rng(r["seed"])
    out = [(_box([L, D, H], [0, 0, 0]), col), (_box([L + 0.3, D + 0.3, 0.3], [0, 0, H]), _shade(col, 0.75))]
    floors = max(1, int(H / 3.0))
    cols = max(1, int(L / 2.4))
    glass = [0.16, 0.2, 0.26] if rng.random() < 0.6 else [0.32, 0.38, 0.44]
    xs = (np.arange(cols) + 0.5) * L / cols - L / 2
    balcony = rng.random() < 0.4
    for k in range(1, floors):
        z = k * 3.0 + 0.8
        for x in xs:
            out.append((_box([1.1, 0.08, 1.5], [x, -D / 2 - 0.04, z]), glass, "window"))
            if balcony and k % 2 == 0:
                out.append((_box([1.6, 0.9, 0.12], [x, -D / 2 - 0.45, z - 0.85]), _shade(col, 0.8)))
                out.append((_box([1.6, 0.05, 0.9], [x, -D / 2 - 0.88, z - 0.73]), [0.15, 0.15, 0.16]))
    door = float(rng.choice(xs))
    out.append((_box([1.2, 0.1, 2.3], [door, -D / 2 - 0.05, 0]), _rgb("4a3426"), "door"))
    for x in xs:
        if abs(x - door) > 1.0:
            out.append((_box([1.6, 0.08, 1.8], [x, -D / 2 - 0.04, 0.6]), glass, "window"))  # shop windows
    return out


@prop_kind("sedan", ((4.2, 4.8), (1.75, 1.9), (1.38, 1.5)), "car",
           ("a4262c", "1f3f77", "d8d8d8", "2b2b2b", "5b6e7d", "c7b08b", "3d5c3a", "e8e8e8"), "parked cars")
def _sedan(r):
    """A car: a body with a bonnet and a boot, a cabin narrowed at its top, windows, four wheels, lights."""
    L, D, H = r["size"]
    col = _rgb(r["color"])
    wheel = 0.33
    out = []
    body_h = H * 0.42
    out.append((_box([L, D, body_h], [0, 0, wheel * 0.75]), col))
    cab_l, cab_h = L * 0.48, H - wheel * 0.75 - body_h
    v, f, n = P.box_mesh(np.array([cab_l, D * 0.9, cab_h]), np.array([-0.04 * L, 0, wheel * 0.75 + body_h]))
    top = v[:, 2] > wheel * 0.75 + body_h + 1e-6
    v = v.copy()
    v[top, 0] *= 0.72  # slanted screens: the roof is shorter than the cabin's base
    v[top, 1] *= 0.9
    out.append(((v, f, _normals(v, f)), [0.1, 0.12, 0.15]))
    out.append((_box([cab_l * 0.6, D * 0.92, 0.04], [-0.04 * L, 0, H - 0.03]), col))  # roof panel, 1 cm proud (no tie)
    for x in (-0.33 * L, 0.33 * L):
        for y in (-D / 2 + 0.14, D / 2 - 0.14):
            cv, cf, cn = P.cylinder_mesh(wheel, 0.22, np.zeros(3), segments=14)
            rx = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # +90 degrees about x: the axle along -y
            out.append(((cv @ rx.T + [x, y + 0.11, wheel], cf, cn @ rx.T), [0.04, 0.04, 0.04]))
    for sx, c in ((L / 2, [1.0, 0.95, 0.8]), (-L / 2, [0.7, 0.05, 0.05])):
        for y in (-D / 2 + 0.3, D / 2 - 0.3):
            out.append((_box([0.05, 0.3, 0.12], [sx, y, wheel * 0.75 + body_h * 0.65]), c))
    return out


def _normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """(V, 3) area-weighted vertex normals."""
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, f[:, k], fn)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)


@prop_kind("street_lamp", ((0.14, 0.18), (0.14, 0.18), (4.5, 6.0)), "lamp", ("3a3d40", "2b2f33", "5a5d60"), "street lamps")
def _lamp(r):
    L, _, H = r["size"]
    col = _rgb(r["color"])
    return [(P.cylinder_mesh(L / 2, H, np.zeros(3)), col), (_box([0.08, 1.2, 0.08], [0, -0.55, H - 0.1]), col),
            (_box([0.3, 0.5, 0.14], [0, -1.05, H - 0.22]), [0.95, 0.93, 0.85])]


@prop_kind("sign", ((0.6, 0.9), (0.06, 0.08), (2.2, 2.8)), "sign", ("1f5fa8", "c0392b", "2e8b57", "e0b000"), "street signs")
def _sign(r):
    L, D, H = r["size"]
    return [(P.cylinder_mesh(0.04, H, np.zeros(3)), [0.5, 0.5, 0.52]), (_box([L, D, 0.6 * L], [0, -0.05, H - 0.6 * L]), _rgb(r["color"]))]


@prop_kind("leafy_tree", ((3.0, 6.0), (3.0, 6.0), (5.0, 10.0)), "tree", ("4f7d33", "3e6b2a", "5d8a3c", "6b8e3a"), "trees")
def _leafy_tree(r):
    """A trunk with a few branches and a crown of overlapping foliage clusters."""
    L, D, H = r["size"]
    rng = np.random.default_rng(r["seed"])
    col = _rgb(r["color"])
    trunk = 0.12 + 0.02 * H
    out = [(P.cylinder_mesh(trunk, H * 0.55, np.zeros(3)), _rgb("5a4330"))]
    crown_z = H * 0.62
    for k in range(6):
        off = rng.normal(0, 1, 3) * [L * 0.18, D * 0.18, (H - crown_z) * 0.15]
        s = rng.uniform(0.45, 0.7)
        out.append((P.blob_mesh([L / 2 * s, D / 2 * s, (H - crown_z) * s * 0.8], [off[0], off[1], crown_z + off[2]],
                                int(rng.integers(2**31)), coarse=k > 2), _shade(col, rng.uniform(0.85, 1.15))))
    return out


@prop_kind("hedge", ((2.0, 6.0), (0.6, 1.0), (0.8, 1.5)), "hedge", ("3f6a2c", "355a26", "4e7a35"), "hedges")
def _hedge(r):
    L, D, H = r["size"]
    col = _rgb(r["color"])
    n = max(2, int(L / 0.9))
    out = [(_box([L, D * 0.9, H * 0.8], [0, 0, 0]), col)]
    for x in np.linspace(-L / 2 + D / 2, L / 2 - D / 2, n):
        out.append((P.blob_mesh([D / 2, D / 2, H * 0.3], [x, 0, H * 0.75], int(r["seed"] + x * 100) % 2**31, coarse=True),
                    _shade(col, 1.08)))
    return out


@prop_kind("curb", ((4.0, 10.0), (0.15, 0.2), (0.12, 0.15)), "sidewalk", ("b0aca4", "9c9890"), "curbs")
def _curb(r):
    L, D, H = r["size"]
    return [(_box([L, D, H], [0, 0, 0]), _rgb(r["color"]))]


@prop_kind("strip", ((4.0, 40.0), (1.5, 4.0), (0.008, 0.012)), "sidewalk", ("a8a49c", "b9b2a6", "8d8a84"), "sidewalks",
           casts_shadow=False)
def _strip(r):
    """A flat strip on the ground (sidewalk, park path): 1 cm thick, people may stand on it. It takes
    shadows but casts none (nor do markings): as a caster its tens of metres would widen the sun's frame."""
    L, D, H = r["size"]
    return [(_box([L, D, H], [0, 0, 0]), _rgb(r["color"]))]


@prop_kind("marking", ((2.0, 3.0), (0.12, 0.15), (0.006, 0.008)), "road_marking", ("eeeeea", "e8c547"), "road markings",
           casts_shadow=False)
def _marking(r):
    L, D, H = r["size"]
    return [(_box([L, D, H], [0, 0, 0]), _rgb(r["color"]))]


@prop_kind("fountain", ((3.0, 5.0), (3.0, 5.0), (0.45, 0.6)), "planter", ("b8b2a6", "9a968e"), "a fountain")
def _fountain(r):
    L, _, H = r["size"]
    col = _rgb(r["color"])
    return [(P.cylinder_mesh(L / 2, H, np.zeros(3), segments=24), col),
            (P.cylinder_mesh(L / 2 - 0.2, H + 0.01, np.zeros(3), segments=24), [0.35, 0.5, 0.6]),
            (P.cylinder_mesh(0.25, H + 1.2, np.zeros(3)), col)]


@prop_kind("sofa", ((1.7, 2.4), (0.85, 1.0), (0.8, 0.95)), "sofa", ("6b4f3a", "3c4a5c", "8a8f7a", "a0522d", "5a5a5a"), "a sofa")
def _sofa(r):
    L, D, H = r["size"]
    col = _rgb(r["color"])
    return [(_box([L, D, 0.42], [0, 0, 0]), col), (_box([L, 0.22, H - 0.42], [0, D / 2 - 0.11, 0.42]), col),
            (_box([0.2, D, 0.62], [-L / 2 + 0.1, 0, 0]), _shade(col, 0.9)), (_box([0.2, D, 0.62], [L / 2 - 0.1, 0, 0]), _shade(col, 0.9)),
            (_box([L - 0.45, D - 0.3, 0.12], [0, -0.1, 0.42]), _shade(col, 1.1))]


@prop_kind("table", ((0.9, 1.8), (0.6, 0.9), (0.72, 0.76)), "table", ("8b6a45", "d9cbb3", "3a3a3a", "a07d52"), "a table")
def _table(r):
    L, D, H = r["size"]
    col = _rgb(r["color"])
    out = [(_box([L, D, 0.04], [0, 0, H - 0.04]), col)]
    for x in (-L / 2 + 0.05, L / 2 - 0.05):
        for y in (-D / 2 + 0.05, D / 2 - 0.05):
            out.append((_box([0.05, 0.05, H - 0.04], [x, y, 0]), _shade(col, 0.6)))
    return out


@prop_kind("shelf", ((0.8, 1.6), (0.3, 0.4), (1.6, 2.1)), "shelf", ("8b6a45", "e6e0d4", "3a3a3a"), "shelves with books")
def _shelf(r):
    L, D, H = r["size"]
    col = _rgb(r["color"])
    rng = np.random.default_rng(r["seed"])
    out = [(_box([L, 0.02, H], [0, D / 2 - 0.01, 0]), col)]
    for x in (-L / 2 + 0.01, L / 2 - 0.01):
        out.append((_box([0.02, D, H], [x, 0, 0]), col))
    levels = np.linspace(0, H - 0.02, 5)
    for z in levels:
        out.append((_box([L, D, 0.02], [0, 0, z]), col))
    for z0, z1 in zip(levels[:-1], levels[1:]):  # a row of books on every board
        x = -L / 2 + 0.04
        while x < L / 2 - 0.08:
            w = float(rng.uniform(0.03, 0.07))
            h = float(min(rng.uniform(0.6, 0.95) * (z1 - z0), z1 - z0 - 0.03))
            out.append((_box([w, D * 0.8, h], [x + w / 2, 0.02, z0 + 0.02]), list(rng.uniform(0.15, 0.8, 3))))
            x += w + 0.005
    return out


@prop_kind("rug", ((1.6, 3.0), (1.2, 2.2), (0.006, 0.008)), "rug", ("8a2f2f", "2f4f6f", "c8b48c", "5a6e4a", "7a5a8a"), "a rug")
def _rug(r):
    L, D, H = r["size"]
    col = _rgb(r["color"])
    return [(_box([L, D, H], [0, 0, 0]), col), (_box([L * 0.8, D * 0.75, H + 0.002], [0, 0, 0]), _shade(col, 1.25))]


@prop_kind("wall_window", ((1.0, 2.0), (0.04, 0.05), (1.2, 1.6)), "window", ("dfe9f2", "cfe0ee"), "windows")
def _wall_window(r):
    """A window on a wall (its back, +y, on the wall): a bright pane in a frame, raised 0.9 m."""
    L, D, H = r["size"]
    return [(_box([L + 0.12, D, H + 0.12], [0, 0, 0.84]), [0.92, 0.92, 0.9]),
            (_box([L, D + 0.01, H], [0, -0.005, 0.9]), _rgb(r["color"]))]


@prop_kind("door", ((0.85, 1.0), (0.05, 0.06), (2.0, 2.15)), "door", ("6b4a32", "e6e0d4", "8a8f94"), "a door")
def _door(r):
    L, D, H = r["size"]
    return [(_box([L, D, H], [0, 0, 0]), _rgb(r["color"])), (_box([0.04, D + 0.04, 0.04], [L * 0.38, 0, 1.0]), [0.8, 0.75, 0.5])]


@prop_kind("picture", ((0.4, 1.2), (0.03, 0.04), (0.3, 0.9)), "picture", ("c0392b", "2e8b57", "1f5fa8", "e0b000", "6a4c93"), "pictures on the walls")
def _picture(r):
    L, D, H = r["size"]
    rng = np.random.default_rng(r["seed"])
    out = [(_box([L, D, H], [0, 0, 1.4]), [0.12, 0.1, 0.08])]
    out.append((_box([L - 0.08, D + 0.01, H - 0.08], [0, -0.005, 1.44]), _rgb(r["color"])))
    out.append((_box([(L - 0.08) * 0.5, D + 0.02, (H - 0.08) * 0.4], [rng.uniform(-0.1, 0.1) * L, -0.01, 1.5]),
                list(rng.uniform(0.2, 0.9, 3))))
    return out


@prop_kind("desk", ((1.2, 1.6), (0.7, 0.8), (0.73, 0.76)), "table", ("d9cbb3", "8b6a45", "e6e6e6"), "desks with monitors")
def _desk(r):
    L, D, H = r["size"]
    out = _table(r)
    out.append((_box([0.55, 0.05, 0.34], [0, D / 2 - 0.2, H + 0.08]), [0.05, 0.05, 0.06]))
    out.append((_box([0.08, 0.08, 0.08], [0, D / 2 - 0.18, H]), [0.2, 0.2, 0.2]))
    return out


@prop_kind("gym_rack", ((1.2, 2.0), (1.0, 1.4), (2.0, 2.3)), "equipment", ("2b2b2b", "3a3d40", "8a1c1c"), "gym equipment")
def _gym_rack(r):
    L, D, H = r["size"]
    col = _rgb(r["color"])
    out = []
    for x in (-L / 2, L / 2):
        for y in (-D / 2, D / 2):
            out.append((_box([0.07, 0.07, H], [x, y, 0]), col))
    out.append((_box([L + 0.4, 0.04, 0.04], [0, -D / 2, H * 0.62]), [0.7, 0.7, 0.72]))
    for x in (-L / 2 - 0.2, L / 2 + 0.2):
        cv, cf, cn = P.cylinder_mesh(0.22, 0.05, np.zeros(3), segments=16)
        ry = np.array([[0, 0, 1.0], [0, 1.0, 0], [-1.0, 0, 0]])  # +90 degrees about y: the plate's axis along x
        out.append(((cv @ ry.T + [x, -D / 2, H * 0.62], cf, cn @ ry.T), [0.08, 0.08, 0.08]))
    return out


@prop_kind("gym_mat", ((1.6, 2.0), (0.8, 1.0), (0.02, 0.03)), "equipment", ("1f3f77", "2b2b2b", "3d5c3a"), "exercise mats")
def _gym_mat(r):
    L, D, H = r["size"]
    return [(_box([L, D, H], [0, 0, 0]), _rgb(r["color"]))]


@prop_kind("skyline", ((10, 30), (10, 30), (15, 90)), "building", ("9aa3ad", "b3aa9c", "8c8f94", "c9c3b6", "7d8590"),
           "a city skyline", casts_shadow=False)
def _skyline(r):
    L, D, H = r["size"]
    rng = np.random.default_rng(r["seed"])
    col = _rgb(r["color"])
    out = [(_box([L, D, H], [0, 0, 0]), col)]
    if rng.random() < 0.5:
        out.append((_box([L * 0.6, D * 0.6, H * 0.25], [0, 0, H]), _shade(col, 0.9)))
    return out


@prop_kind("far_trees", ((8, 20), (6, 12), (8, 16)), "tree", ("3e6b2a", "4f7d33", "355a26"), "a tree line", casts_shadow=False)
def _far_trees(r):
    L, D, H = r["size"]
    rng = np.random.default_rng(r["seed"])
    col = _rgb(r["color"])
    return [(P.blob_mesh([L / 4, D / 2, H / 2 * s], [x, 0, H / 2 * s], int(rng.integers(2**31)), coarse=True), _shade(col, s))
            for x, s in zip(np.linspace(-L / 2.5, L / 2.5, 3), rng.uniform(0.75, 1.1, 3))]


@prop_kind("hills", ((600, 600), (1, 1), (15, 45)), "backdrop", ("6f7f5a", "7d8a6a", "8a8f7a", "8c8a70"), "hills on the horizon",
           casts_shadow=False)
def _hills(r):
    """An arc of low hills 300 m out, across 200 degrees around its -y axis (the view)."""
    L, _, H = r["size"]
    rng = np.random.default_rng(r["seed"])
    a = np.radians(np.linspace(-100, 100, 81)) - math.pi / 2
    h = H * (0.55 + 0.45 * np.sin(a * rng.uniform(2, 5) + rng.uniform(0, 6)) * np.sin(a * rng.uniform(5, 9) + rng.uniform(0, 6)))
    R = L / 2
    base = np.stack([R * np.cos(a), R * np.sin(a), np.full_like(a, -2.0)], 1)
    top = np.stack([(R + 40) * np.cos(a), (R + 40) * np.sin(a), h], 1)
    v = np.concatenate([base, top])
    n = len(a)
    i = np.arange(n - 1)
    f = np.concatenate([np.stack([i, i + n, i + 1], 1), np.stack([i + 1, i + n, i + n + 1], 1)])
    # one side only, facing the centre (the camera): two coincident sides would tie in depth
    centre = v[f].mean(axis=1)
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    flip = np.einsum("ij,ij->i", fn[:, :2], -centre[:, :2]) < 0
    f[flip] = f[flip][:, ::-1]
    return [((v, f, _normals(v, f)), _rgb(r["color"]))]


# ----------------------------------------------------------------------------- placing objects


@dataclasses.dataclass
class PlaceContext:
    """What a place builder sees and the objects it adds (all world frame, metres).

    Attributes:
        camera_xy (2,), forward (2,) unit viewing direction on the ground; people_xy (P, 2), radii (P,);
        protect: the framed person's index (no object in their sightline), or None;
        quads: footprints already taken; objects: the recipes added so far; room: indoor walls' box.
    """

    rng: np.random.Generator
    camera_xy: np.ndarray
    forward: np.ndarray
    people_xy: np.ndarray
    radii: np.ndarray
    protect: int | None
    quads: list
    objects: list = dataclasses.field(default_factory=list)
    room: tuple | None = None
    _circles: list = dataclasses.field(default_factory=list)

    @property
    def right(self) -> np.ndarray:
        return np.array([self.forward[1], -self.forward[0]])

    def depth_of_people(self) -> float:
        """How far ahead (along the view) the farthest person stands; 3 m with nobody."""
        if not len(self.people_xy):
            return 3.0
        return float(np.max((self.people_xy - self.camera_xy) @ self.forward + self.radii))

    def at(self, ahead: float, side: float) -> np.ndarray:
        """The ground point ``ahead`` metres along the view and ``side`` metres to its right."""
        return self.camera_xy + ahead * self.forward + side * self.right

    def yaw_facing_camera(self, extra: float = 0.0) -> float:
        """Yaw that turns an object's front (-y) towards the camera (its back away): a yaw of ``a`` turns
        local -y onto ``(sin a, -cos a)``, which must be ``-forward``."""
        return math.degrees(math.atan2(self.forward[1], self.forward[0])) - 90.0 + extra

    def add(self, rec: dict[str, Any], clear: float = 0.15, flat: bool = False) -> bool:
        """Add a recipe if its footprint keeps ``clear`` metres from everyone, the camera, the framed
        person's sightline and (unless ``flat``: strips, rugs, markings) the other objects."""
        L, D, _ = rec["size"]
        xy = np.asarray(rec["position"], float)
        if not flat:
            if len(self.people_xy) and np.any(P.rect_circle_gap(xy, (L, D), rec["yaw_deg"], self.people_xy, self.radii) < clear):
                return False
            if P.rect_circle_gap(xy, (L, D), rec["yaw_deg"], self.camera_xy[None], np.array([0.6]))[0] < 0:
                return False
            quad = P._corners(xy, (L, D), rec["yaw_deg"])
            if self.quads:  # only footprints whose circumcircles reach this one's need the exact test
                if len(self._circles) != len(self.quads):
                    self._circles = [(q.mean(axis=0), float(np.linalg.norm(q[0] - q[2])) / 2) for q in self.quads]
                c = np.array([ci[0] for ci in self._circles])
                r = np.array([ci[1] for ci in self._circles])
                near = np.flatnonzero(np.linalg.norm(c - xy, axis=1) < r + math.hypot(L, D) / 2 + 0.05)
                if any(P.rects_overlap(quad, self.quads[i], 0.05) for i in near):
                    return False
            if self.protect is not None and len(self.people_xy) and P.rects_overlap(
                    quad, P._corridor(self.camera_xy, self.people_xy[self.protect], self.radii[self.protect])):
                return False
            self.quads.append(quad)
        self.objects.append(rec)
        return True


def _row(ctx: PlaceContext, kind: str, ahead: float, spacing: tuple[float, float], span: float,
         yaw_extra: float = 0.0, jitter: float = 0.0, **extra) -> None:
    """A row of objects across the view at ``ahead`` metres, from -span to span sideways."""
    side = -span + ctx.rng.uniform(0, spacing[0])
    while side < span:
        rec = recipe(ctx.rng, kind, ctx.at(ahead + ctx.rng.normal(0, jitter), side), ctx.yaw_facing_camera(yaw_extra), **extra)
        ctx.add(rec)
        side += float(ctx.rng.uniform(*spacing))


def _scatter(ctx: PlaceContext, kind: str, n: int, ahead: tuple[float, float], side: float, tries: int = 12, **extra) -> None:
    for _ in range(n):
        for _ in range(tries):
            a = float(ctx.rng.uniform(*ahead))
            rec = recipe(ctx.rng, kind, ctx.at(a, float(ctx.rng.uniform(-side, side)) * a / 10.0),
                         float(ctx.rng.uniform(0, 360)), **extra)
            if ctx.add(rec):
                break


# ----------------------------------------------------------------------------- place kinds


@dataclasses.dataclass(frozen=True)
class PlaceKind:
    """A kind of place: indoor or not, its ground materials, its backdrop kinds, prompt words, its builder."""

    name: str
    indoor: bool
    grounds: tuple[str, ...]
    build: Callable[[PlaceContext], None]
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
            if ctx.add(rec, flat=flat):
                break


def _room_common(ctx: PlaceContext) -> None:
    _against_walls(ctx, "wall_window", int(ctx.rng.integers(1, 4)), flat=True)
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


# the older props as kinds too (their builder is props._pieces), under names that place builders use
for _legacy, _name in (("bench", "bench_prop"), ("planter", "planter_prop"), ("fence", "fence_prop"), ("crate", "crate_prop"),
                       ("chair", "chair")):
    _ranges, _part, _ = P.PROP_TYPES[_legacy]
    PROP_KINDS[_name] = PropKind(_name, _ranges, _part, tuple(P._COLORS[_legacy]),
                                 (lambda legacy: (lambda r: P._pieces({**r, "type": legacy})))(_legacy),
                                 {"bench": "benches", "planter": "planters", "fence": "a fence", "crate": "crates",
                                  "chair": "chairs"}[_legacy])


# ----------------------------------------------------------------------------- a whole place


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


def describe(kind: PlaceKind, objects: list[dict]) -> str:
    """The place in words for the prompt: ``on a city street, with buildings with windows, parked cars``."""
    words = []
    for r in objects:
        w = PROP_KINDS[r["type"]].words if r["type"] in PROP_KINDS else ""
        if w and w not in words:
            words.append(w)
    return kind.words + (", with " + ", ".join(words[:5]) if words else "")
