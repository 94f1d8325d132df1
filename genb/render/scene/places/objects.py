"""Object mesh builders: one registered :class:`~genb.render.scene.places.kinds.PropKind` each (buildings,
cars, lamps, trees, furniture, the distant backdrop), in the object's own frame (origin at its
footprint centre, ``+y`` its back, ``z`` up), and the older props registered as kinds too."""

from __future__ import annotations

import math

import numpy as np

from genb.core.conventions import SCENE_PART_INDEX
from genb.render.raster.shading import set_part_material
from genb.render.scene import props as P
from genb.render.scene.places.kinds import PROP_KINDS, PropKind, prop_kind

Mesh = tuple[np.ndarray, np.ndarray, np.ndarray]


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
        for c in range(3):  # per coordinate: numpy's quick add.at takes 1-D operands (the same sums, the same bits)
            np.add.at(n[:, c], f[:, k], fn[:, c])
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


@prop_kind("wall_window", ((1.0, 2.0), (0.15, 0.15), (1.1, 1.5)), "window", ("f2f2ee", "e6e2da", "5a4a3c", "3a3d40"),
           "windows")
def _wall_window(r):
    """A window in its wall's opening (:mod:`genb.render.scene.places.room`; origin in the middle of the wall's
    thickness, the room on its -y side): a frame 2 cm proud of both faces, a mullion and a transom on wide
    ones, and the glass (class ``glass``: the outside is composited onto it) in the middle."""
    L, T, H = r["size"]
    s = float(r.get("sill", 0.9))
    col, f, d = _rgb(r["color"]), 0.06, T + 0.04
    out = [(_box([f, d, H], [-L / 2 + f / 2, 0, s]), col), (_box([f, d, H], [L / 2 - f / 2, 0, s]), col),
           (_box([L - 2 * f, d, f], [0, 0, s + H - f]), col), (_box([L - 2 * f, d + 0.04, f], [0, -0.02, s]), col)]
    if L > 1.3:
        out.append((_box([0.05, 0.06, H - 2 * f], [0, 0, s + f]), col))
    out.append((_box([L - 2 * f, 0.06, 0.05], [0, 0, s + 0.62 * H]), col))
    out.append((_box([L - 2 * f, 0.01, H - 2 * f], [0, 0, s + f]), [0.8, 0.86, 0.9], "glass"))
    return out


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


# the older props as kinds too (their builder is props._pieces), under names that place builders use
for _legacy, _name in (("bench", "bench_prop"), ("planter", "planter_prop"), ("fence", "fence_prop"), ("crate", "crate_prop"),
                       ("chair", "chair")):
    _ranges, _part, _ = P.PROP_TYPES[_legacy]
    PROP_KINDS[_name] = PropKind(_name, _ranges, _part, tuple(P._COLORS[_legacy]),
                                 (lambda legacy: (lambda r: P._pieces({**r, "type": legacy})))(_legacy),
                                 {"bench": "benches", "planter": "planters", "fence": "a fence", "crate": "crates",
                                  "chair": "chairs"}[_legacy])



def _flat_band(x0: float, x1: float, y0: float, y1: float, z: float) -> Mesh:
    """A horizontal quad facing up, metres."""
    v = np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]], np.float64)
    return v, np.array([[0, 1, 2], [0, 2, 3]], np.int64), np.tile([0.0, 0.0, 1.0], (4, 1))


SEA_LEVEL_M = 0.03  # the water's surface above the sand (never coincident with the ground plane)
set_part_material(SCENE_PART_INDEX["water"], roughness=0.18, specular=0.02)  # glossy: the sky and sun reflect


@prop_kind("sea", ((2400, 2400), (400, 460), (SEA_LEVEL_M, SEA_LEVEL_M)), "water", ("2a6f86", "1f5f7a", "2d7d8c"),
           "the sea", casts_shadow=False)
def _sea(r):
    """The sea from the shoreline (its front edge, -y) to the horizon: bands of water from shallow turquoise
    to deep blue, foam along the shore and on one breaking wave. Flat (it takes shadows, casts none)."""
    L, D, H = r["size"]
    deep = np.asarray(_rgb(r["color"]))
    shallow = deep * 0.55 + np.array([0.42, 0.62, 0.6]) * 0.45
    rng = np.random.default_rng(r["seed"])
    edges = np.array([0.0, 2.0, 6.0, 15.0, 40.0, 100.0, D])
    out = []
    for k in range(len(edges) - 1):
        t = min(1.0, edges[k] / 40.0)
        col = shallow * (1 - t) + deep * t * (0.85 if k == len(edges) - 2 else 1.0)
        out.append((_flat_band(-L / 2, L / 2, -D / 2 + edges[k], -D / 2 + edges[k + 1], H), col.tolist()))
    foam = [0.88, 0.9, 0.88]
    out.append((_flat_band(-L / 2, L / 2, -D / 2, -D / 2 + float(rng.uniform(0.4, 0.9)), H + 0.004), foam))
    wave = float(rng.uniform(2.5, 5.0))
    out.append((_flat_band(-L / 2, L / 2, -D / 2 + wave, -D / 2 + wave + float(rng.uniform(0.2, 0.5)), H + 0.004), foam))
    return out
