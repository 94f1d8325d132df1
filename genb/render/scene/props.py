"""Procedural props: boxes, walls, fences, benches, bollards, steps, planters, trees, bushes,
parked-car-sized blocks and indoor rooms, placed on the ground without touching anyone.

A prop is a JSON-able recipe (``type``, ``position`` [x, y] metres, ``yaw_deg``, ``size``
[length, depth, height] metres, ``color``), listed in ``scene.json``, and a mesh built from
it (:func:`genb.render.scene.places.prop_mesh`, which builds any kind): vertices, faces, normals and colours in the world frame, and its
part class (``conventions.SCENE_PARTS``). Footprints are oriented rectangles on the ground;
a prop is kept only when its footprint clears every person's footprint circle and every
other prop (:func:`place_props`). Some props are put between the camera and a person, so
they occlude parts of them.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np


# type -> (size ranges L, D, H in metres, part class, can stand in front of people)
PROP_TYPES: dict[str, tuple[tuple[tuple[float, float], ...], str, bool]] = {
    "crate": (((0.4, 0.9), (0.4, 0.8), (0.3, 0.9)), "box", True),
    "wall": (((1.5, 5.0), (0.15, 0.3), (0.6, 1.3)), "wall", True),
    "fence": (((1.5, 4.0), (0.05, 0.08), (0.9, 1.3)), "fence", True),
    "bench": (((1.2, 2.0), (0.4, 0.55), (0.42, 0.48)), "bench", True),
    "bollard": (((0.12, 0.25), (0.12, 0.25), (0.6, 1.0)), "pole", True),
    "pole": (((0.08, 0.15), (0.08, 0.15), (2.5, 4.5)), "pole", False),
    "steps": (((1.5, 3.0), (0.9, 1.5), (0.3, 0.6)), "step", True),
    "planter": (((0.6, 1.2), (0.6, 1.2), (0.4, 0.7)), "planter", True),
    "bush": (((0.7, 1.4), (0.7, 1.4), (0.6, 1.2)), "plant", True),
    "tree": (((2.0, 4.0), (2.0, 4.0), (4.0, 7.0)), "tree", False),
    "car": (((3.9, 4.7), (1.7, 1.9), (1.4, 1.6)), "car", True),
    # seats (put under seated people by genb.render.scene.contact; not drawn at random)
    "chair": (((0.42, 0.5), (0.4, 0.48), (0.4, 0.5)), "chair", False),
    "stool": (((0.32, 0.4), (0.32, 0.4), (0.4, 0.7)), "chair", False),
    "low_wall": (((1.5, 3.0), (0.28, 0.4), (0.35, 0.6)), "wall", False),
    "cushion": (((0.4, 0.55), (0.4, 0.55), (0.04, 0.3)), "chair", False),  # a floor cushion (pouf) under a floor sitter
}
SEAT_TYPES = ("chair", "stool", "bench", "crate", "low_wall")
INDOOR_TYPES = ("crate", "bench", "steps")  # no planted pots nor street bollards in a room
_COLORS = {
    "crate": ["8b6a45", "a07d52", "b8935f", "6f7b55"], "wall": ["9a968e", "b5a58f", "8c5a46", "c9c3b6"],
    "fence": ["6b5437", "585c60", "2f3a2f"], "bench": ["7b5533", "5a3b22", "4d5560"], "bollard": ["3a3a3a", "8f8f8a", "c9a227"],
    "pole": ["4a4d50", "6a6d70"], "steps": ["a39f97", "8f8b84"], "planter": ["8f8b84", "6e6258", "a8a299"],
    "bush": ["3f6a2c", "4e7a35", "355a26"], "tree": ["4f7d33", "3e6b2a", "5d8a3c"],
    "chair": ["7b5533", "3a3a3a", "c8c2b8", "8a2f2f", "2f4f6f"], "stool": ["7b5533", "4a4d50", "b08a5a"],
    "low_wall": ["9a968e", "b5a58f", "a39f97"], "cushion": ["8a2f2f", "2f4f6f", "c8a46a", "5b6e4d", "6b4f7a", "b9b2a5"],
    "car": ["a4262c", "1f3f77", "d8d8d8", "2b2b2b", "5b6e7d", "c7b08b", "3d5c3a"],
}


def _hex(c: str) -> list[float]:
    return [int(c[i : i + 2], 16) / 255.0 for i in (0, 2, 4)]


# ----------------------------------------------------------------------------- meshes

_BOX_FACES = np.array([  # per face: 4 corner indices of the unit cube (counter-clockwise seen from outside)
    [1, 3, 2, 0], [6, 7, 5, 4], [4, 5, 1, 0], [3, 7, 6, 2], [2, 6, 4, 0], [5, 7, 3, 1]])
_CUBE = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (0.0, 1.0)])


def box_mesh(size: np.ndarray, center: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An axis-aligned box standing on ``center`` (its bottom face's centre), flat-shaded.

    Returns vertices (24, 3), faces (12, 3) int, normals (24, 3)."""
    v = _BOX_V * np.asarray(size, np.float64) + np.asarray(center, np.float64)
    return v, _BOX_F.copy(), _BOX_N.copy()  # a positive scale keeps an axis-aligned box's face normals


def _unit_box() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    quads = _CUBE[_BOX_FACES]  # (6, 4, 3)
    n = np.cross(quads[:, 1] - quads[:, 0], quads[:, 2] - quads[:, 0])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    base = np.arange(6)[:, None] * 4
    f = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]]).reshape(-1, 3)
    return quads.reshape(-1, 3), f, np.repeat(n, 4, axis=0)


_BOX_V, _BOX_F, _BOX_N = _unit_box()


def cylinder_mesh(radius: float, height: float, center: np.ndarray, segments: int = 12):
    """A vertical cylinder on ``center`` (bottom centre), smooth sides and a flat top."""
    ring, faces, normals = _cylinder_parts(segments)
    side = np.concatenate([ring * radius, ring * radius + [0, 0, height]]) + center
    top = np.concatenate([ring * radius + [0, 0, height], [[0, 0, height]]]) + center
    return np.concatenate([side, top]), faces.copy(), normals.copy()


@functools.lru_cache(maxsize=8)
def _cylinder_parts(segments: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cylinder's unit ring (segments, 3), faces and normals: the same for every cylinder of
    ``segments`` (built once; a street has dozens of poles)."""
    a = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([np.cos(a), np.sin(a), np.zeros_like(a)], axis=1)
    i = np.arange(segments)
    j = (i + 1) % segments
    side_f = np.concatenate([np.stack([i, j, j + segments], 1), np.stack([i, j + segments, i + segments], 1)])
    top_f = np.stack([i, j, np.full(segments, segments)], 1) + 2 * segments
    n = np.concatenate([ring, ring, np.tile([0.0, 0.0, 1.0], (segments + 1, 1))])
    ring.setflags(write=False)
    return ring, np.concatenate([side_f, top_f]), n


def _icosphere(levels: int = 2) -> tuple[np.ndarray, np.ndarray]:
    t = (1 + 5 ** 0.5) / 2
    v = np.array([[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
                  [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]], float)
    f = np.array([[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4], [11, 10, 2],
                  [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5],
                  [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]])
    for _ in range(levels):  # subdivide twice: 320 faces (once: 80)
        edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        uniq, inv = np.unique(edges, axis=0, return_inverse=True)
        mids = (v[uniq[:, 0]] + v[uniq[:, 1]]) / 2
        m = inv.reshape(3, -1).T + len(v)
        v = np.concatenate([v, mids])
        f = np.concatenate([np.stack([f[:, 0], m[:, 0], m[:, 2]], 1), np.stack([f[:, 1], m[:, 1], m[:, 0]], 1),
                            np.stack([f[:, 2], m[:, 2], m[:, 1]], 1), m])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v, f


_SPHERE_V, _SPHERE_F = _icosphere()
_COARSE_V, _COARSE_F = _icosphere(1)


def blob_mesh(radii: np.ndarray, center: np.ndarray, seed: int, coarse: bool = False):
    """A lumpy ellipsoid (bush, tree canopy): a displaced icosphere with smooth normals (``coarse``: 80
    faces instead of 320, for distant or small blobs)."""
    sv, sf = (_COARSE_V, _COARSE_F) if coarse else (_SPHERE_V, _SPHERE_F)
    lumps = np.random.default_rng(seed).normal(size=(6, 3))
    lumps /= _row_norms(lumps)
    bump = 1 + 0.12 * np.add.reduce(np.exp(-8 * (1 - sv @ lumps.T)), axis=1)
    radii = np.asarray(radii)
    v = sv * bump[:, None] * radii + center
    n = sv / radii
    n /= _row_norms(n)
    return v, sf.copy(), n


def _row_norms(x: np.ndarray) -> np.ndarray:
    """(N, 1) the rows' lengths: ``np.linalg.norm(x, axis=1, keepdims=True)``'s own sums, without its
    checks (a scene has a hundred blobs)."""
    return np.sqrt(np.add.reduce(x * x, axis=1, keepdims=True))


# ----------------------------------------------------------------------------- props


def _pieces(recipe: dict[str, Any]) -> list[tuple[tuple, list[float]]]:
    """The prop's meshes in its own frame (origin at its footprint centre), with their colours."""
    L, D, H = recipe["size"]
    kind, col = recipe["type"], _hex(recipe["color"])
    dark = [c * 0.35 for c in col]
    out = []
    if kind in ("crate", "wall", "steps"):
        if kind == "steps":  # a flight of n steps rising along +y: even treads, or a seat's (its "fronts")
            n = len(recipe["fronts"]) if "fronts" in recipe else max(2, round(H / 0.16))
            for k in range(n):
                depth = D / 2 - recipe["fronts"][k] if "fronts" in recipe else D * (n - k) / n
                out.append((box_mesh([L, depth, H * (k + 1) / n - H * k / n], [0, D / 2 - depth / 2, H * k / n]), col))
        else:
            out.append((box_mesh([L, D, H], [0, 0, 0]), col))
    elif kind == "fence":
        posts = max(2, int(L / 1.2) + 1)
        for x in np.linspace(-L / 2, L / 2, posts):
            out.append((box_mesh([0.08, 0.08, H], [x, 0, 0]), col))
        for z in (0.3 * H, 0.8 * H):
            out.append((box_mesh([L, D, 0.1], [0, 0, z]), col))
    elif kind == "bench":
        out.append((box_mesh([L, D, 0.05], [0, 0, H - 0.05]), col))
        out.append((box_mesh([L, 0.04, 0.35], [0, D / 2 - 0.02, H + 0.05]), col))
        for x in (-L / 2 + 0.1, L / 2 - 0.1):
            out.append((box_mesh([0.06, D * 0.9, H - 0.05], [x, 0, 0]), dark))
    elif kind == "chair":  # seat, four legs, a backrest at the back (+y)
        out.append((box_mesh([L, D, 0.04], [0, 0, H - 0.04]), col))
        for x in (-L / 2 + 0.03, L / 2 - 0.03):
            for y in (-D / 2 + 0.03, D / 2 - 0.03):
                out.append((box_mesh([0.035, 0.035, H - 0.04], [x, y, 0]), dark))
        out.append((box_mesh([L, 0.035, 0.42], [0, D / 2 - 0.02, H + 0.02]), col))
        for x in (-L / 2 + 0.03, L / 2 - 0.03):
            out.append((box_mesh([0.035, 0.035, 0.05], [x, D / 2 - 0.02, H - 0.03]), dark))
    elif kind == "stool":
        out.append((cylinder_mesh(L / 2, 0.05, np.array([0, 0, H - 0.05])), col))
        out.append((cylinder_mesh(0.03, H - 0.05, np.zeros(3)), dark))
        out.append((cylinder_mesh(L / 2.6, 0.02, np.zeros(3)), dark))
    elif kind == "cushion":  # a round pouf: the sides, a slightly smaller top a shade lighter
        out.append((cylinder_mesh(L / 2, max(H - 0.015, 0.005), np.zeros(3), segments=20), col))
        out.append((cylinder_mesh(L / 2 - 0.015, min(0.015, H), np.array([0, 0, max(H - 0.015, 0.0)]), segments=20),
                    [min(1.0, c * 1.1) for c in col]))
    elif kind == "low_wall":
        out.append((box_mesh([L, D, H - 0.05], [0, 0, 0]), col))
        out.append((box_mesh([L + 0.04, D + 0.04, 0.05], [0, 0, H - 0.05]), [min(1.0, c * 1.15) for c in col]))
    elif kind in ("bollard", "pole"):
        out.append((cylinder_mesh(L / 2, H, np.zeros(3)), col))
    elif kind == "planter":
        out.append((box_mesh([L, D, H], [0, 0, 0]), col))
        out.append((blob_mesh([L * 0.42, D * 0.42, 0.35], [0, 0, H + 0.1], recipe["seed"]), _hex("4a7a32")))
    elif kind == "bush":
        out.append((blob_mesh([L / 2, D / 2, H / 2], [0, 0, H / 2], recipe["seed"]), col))
    elif kind == "tree":
        trunk_h = H * 0.45
        out.append((cylinder_mesh(0.12 + 0.02 * H, trunk_h + 0.5, np.zeros(3)), _hex("5a4330")))
        out.append((blob_mesh([L / 2, D / 2, (H - trunk_h) / 2], [0, 0, trunk_h + (H - trunk_h) / 2], recipe["seed"]), col))
    elif kind == "car":
        clearance = 0.18
        out.append((box_mesh([L, D, H * 0.45], [0, 0, clearance]), col))
        out.append((box_mesh([L * 0.55, D * 0.86, H - clearance - H * 0.45], [-0.05 * L, 0, clearance + H * 0.45]),
                    [0.12, 0.14, 0.17]))
        for x in (-0.32 * L, 0.32 * L):
            for y in (-D / 2 + 0.12, D / 2 - 0.12):
                out.append((box_mesh([0.62, 0.22, 0.62], [x, y, 0]), [0.05, 0.05, 0.05]))
    return out


# ----------------------------------------------------------------------------- placement


def _corners(xy: np.ndarray, size: tuple[float, float], yaw_deg: float) -> np.ndarray:
    a = math.radians(yaw_deg)
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * np.asarray(size) / 2
    return half @ R.T + xy


def rect_circle_gap(center: np.ndarray, size: tuple[float, float], yaw_deg: float, points: np.ndarray,
                    radii: np.ndarray) -> np.ndarray:
    """(N,) distance between an oriented rectangle (footprint) and N circles; negative = overlap."""
    a = math.radians(yaw_deg)
    local = (np.asarray(points) - center) @ np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    half = np.asarray(size) / 2
    outside = np.maximum(np.abs(local) - half, 0.0)
    return np.linalg.norm(outside, axis=1) - radii


def rects_overlap(a: np.ndarray, b: np.ndarray, gap: float = 0.0) -> bool:
    """Whether two convex quads (4, 2) overlap (separating axis test), grown by ``gap``."""
    ca, cb = a.mean(axis=0), b.mean(axis=0)  # far apart: their circumcircles do not even touch
    ra, rb = np.abs(a - ca).max() * 1.415, np.abs(b - cb).max() * 1.415
    d = ca - cb
    if d[0] * d[0] + d[1] * d[1] > (ra + rb + gap) ** 2:
        return False
    e = np.concatenate([np.roll(a, -1, axis=0) - a, np.roll(b, -1, axis=0) - b])  # (8, 2) both quads' edges
    axes = np.stack([-e[:, 1], e[:, 0]], 1) / np.maximum(np.sqrt((e * e).sum(axis=1)), 1e-9)[:, None]
    pa, pb = a @ axes.T, b @ axes.T  # (4, 8) projections on every edge's normal at once
    return not bool(np.any((pa.max(axis=0) + gap < pb.min(axis=0)) | (pb.max(axis=0) + gap < pa.min(axis=0))))


def _recipe(rng: np.random.Generator, kind: str, xy: np.ndarray, yaw: float) -> dict[str, Any]:
    ranges, _, _ = PROP_TYPES[kind]
    size = [float(rng.uniform(*r)) for r in ranges]
    if kind in ("bollard", "pole", "tree", "bush"):
        size[1] = size[0] if kind != "bush" else size[1]
    return {"type": kind, "position": [float(xy[0]), float(xy[1])], "yaw_deg": float(yaw), "size": size,
            "color": _COLORS[kind][int(rng.integers(len(_COLORS[kind])))], "seed": int(rng.integers(2**31))}


def box_corners(recipe: dict[str, Any]) -> np.ndarray:
    """(8, 3) world corners of a recipe's bounding box (its footprint, from the ground to its height)."""
    quad = footprint(recipe, 0.0)
    return np.concatenate([np.column_stack([quad, np.zeros(4)]), np.column_stack([quad, np.full(4, recipe["size"][2])])])


def _corridor(a: np.ndarray, b: np.ndarray, half_width: float) -> np.ndarray:
    """(4, 2) the rectangle around the segment a -> b, ``half_width`` to each side (a sightline)."""
    d = np.asarray(b, np.float64) - a
    n = np.array([-d[1], d[0]]) / max(float(np.linalg.norm(d)), 1e-9) * half_width
    return np.array([a - n, b - n, b + n, a + n])


def finish_recipe(rng: np.random.Generator, recipe: dict[str, Any]) -> dict[str, Any]:
    """A recipe with its colour drawn (and a seed when it has none), for objects placed by rule."""
    colors = _COLORS[recipe["type"]]
    return {**recipe, "color": recipe.get("color") or colors[int(rng.integers(len(colors)))],
            "seed": int(recipe.get("seed", rng.integers(2**31)))}


def footprint(recipe: dict[str, Any], margin: float = 0.1) -> np.ndarray:
    """(4, 2) corners of a recipe's oriented footprint, grown by ``margin`` on each axis."""
    L, D, _ = recipe["size"]
    return _corners(np.asarray(recipe["position"], np.float64), (L + margin, D + margin), recipe["yaw_deg"])


def place_props(rng: np.random.Generator, count: int, occluders: int, camera_xy: np.ndarray, forward_xy: np.ndarray,
                people_xy: np.ndarray, people_radii: np.ndarray, max_distance: float, indoor: bool,
                tries: int = 60, fixed: list[dict[str, Any]] = (), protect: int | None = None,
                allow=None) -> list[dict[str, Any]]:
    """Sample ``count`` prop recipes on the ground, ``occluders`` of them between the camera and a person.

    Args:
        camera_xy: (2,) camera position. forward_xy: (2,) unit horizontal viewing direction.
        people_xy: (P, 2) people's positions; people_radii: (P,) their footprint radii, metres.
        fixed: objects already there (seats, a place's buildings): new props keep clear of them.
        protect: index of a person who stays in view: with ``allow`` (a recipe -> bool test that the
            person stays framed behind it), every prop must pass it; without, no occluder aims at them and
            no prop's footprint crosses the corridor from the camera to them.
    """
    others = [p for p in range(len(people_xy)) if p != protect or allow is not None]
    kinds = INDOOR_TYPES if indoor else tuple(k for k in PROP_TYPES if k not in ("chair", "stool", "low_wall", "cushion"))
    front = tuple(k for k in kinds if PROP_TYPES[k][2] and k not in ("pole",))
    placed: list[dict[str, Any]] = []
    quads: list[np.ndarray] = [footprint(r, 0.0) for r in fixed]
    for k in range(count):
        occluder = k < occluders and len(others) > 0
        kind = front[int(rng.integers(len(front)))] if occluder else kinds[int(rng.integers(len(kinds)))]
        for _ in range(tries):
            if occluder:
                p = others[int(rng.integers(len(others)))]
                to_p = people_xy[p] - camera_xy
                dist = float(np.linalg.norm(to_p))
                xy = camera_xy + to_p * rng.uniform(0.45, 0.85) + np.array([-to_p[1], to_p[0]]) / max(dist, 1e-6) * rng.normal(0, 0.3)
                yaw = math.degrees(math.atan2(to_p[1], to_p[0])) + 90 + rng.normal(0, 15)
            else:
                ang = math.atan2(forward_xy[1], forward_xy[0]) + rng.uniform(-0.7, 0.7)
                r = rng.uniform(3.0, max_distance * 0.8) * (1.5 if kind in ("tree", "pole") else 1.0)
                xy = camera_xy + r * np.array([math.cos(ang), math.sin(ang)])
                yaw = rng.uniform(0, 180)
            rec = _recipe(rng, kind, xy, yaw)
            L, D, H = rec["size"]
            foot = (L + 0.1, D + 0.1) if kind != "car" else (L, D)
            if np.linalg.norm(xy - camera_xy) < 1.2 + max(L, D) / 2:
                continue  # keep clear of the camera
            if len(people_xy) and np.any(rect_circle_gap(xy, foot, yaw, people_xy, people_radii) < 0.1):
                continue
            quad = _corners(xy, foot, yaw)
            if any(rects_overlap(quad, q, 0.2) for q in quads):
                continue
            if protect is not None and (not allow(rec) if allow is not None else
                                        rects_overlap(quad, _corridor(camera_xy, people_xy[protect], people_radii[protect]))):
                continue
            placed.append(rec)
            quads.append(quad)
            break
    return placed


def room_walls(rng: np.random.Generator, camera_xy: np.ndarray, people_xy: np.ndarray) -> list[dict[str, Any]]:
    """Four walls (``wall`` recipes, 2.6-3.2 m tall) enclosing the camera and everyone, 1-3 m clear of them."""
    pts = np.vstack([camera_xy[None], people_xy]) if len(people_xy) else camera_xy[None]
    lo = pts.min(axis=0) - rng.uniform(1.0, 3.0, size=2)
    hi = pts.max(axis=0) + rng.uniform(1.5, 3.5, size=2)
    H, T = float(rng.uniform(2.6, 3.2)), 0.15
    color = ["d8d2c4", "c9d1d6", "e6dfcf", "b9b3a6", "d9c7b0"][int(rng.integers(5))]
    (x0, y0), (x1, y1) = lo, hi
    cx, cy, w, d = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    walls = [([cx, y0 - T / 2], 0.0, w + 2 * T), ([cx, y1 + T / 2], 0.0, w + 2 * T),
             ([x0 - T / 2, cy], 90.0, d), ([x1 + T / 2, cy], 90.0, d)]
    return [{"type": "wall", "position": [float(p[0]), float(p[1])], "yaw_deg": yaw, "size": [float(length), T, H],
             "color": color, "seed": 0, "room": True} for p, yaw, length in walls]
