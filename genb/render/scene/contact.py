"""Contact with the ground and with seats: which parts of a posed body carry it, and the rigid
tilt and lift that make exactly those parts rest on their surface.

A key pose declares its **support** in ``render/poses/key_poses.yaml`` (``support: [knees]``,
``[buttocks, feet]``, ...; standing poses default to ``[feet]``) and may ask for a **seat**
(``seat: true``): the person sits on a chair, bench, box, low wall or step whose top is put
exactly under the buttocks while the feet stand on the ground. A floor sitter whose buttocks still
hover above the ground after the tilt (heavy or tall bodies cross-legged or knees-up, whose knees or
feet reach the floor first) gets a floor cushion exactly under them (:func:`buttock_gaps`,
``seat_recipe(..., floor=True)``): the body's placement and ground truth are unchanged.

Pure functions over arrays. Support groups are vertex index sets of the body model, found
once from its rest pose (:func:`support_groups`); :func:`rest_on_support` finds, per person,
a small tilt (pitch and roll about the root, at most :data:`MAX_TILT_DEG`) and a lift that puts
the lowest vertex on ``z = 0`` with every required group touching it as nearly as possible.
Nothing sinks: the lift is always ``-min z`` over the whole tilted body.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from genb.core.conventions import BODY25_INDEX, PART_INDEX

MAX_TILT_DEG = 32.0
CUSHION_GAP_M = 0.05  # a floor sitter's buttocks higher than this above the ground get a cushion under them
SEAT_FRONT_M = 0.12  # a seat's front edge this far ahead of the lowest buttock point (under the thighs)
STEP_EDGE_M = 0.07  # a seat flight's top step: its front edge this far ahead (the thighs overhang it) ...
STEP_RISE_M = 0.16  # ... its steps rise about this much each ...
STEP_TREAD_M = (0.12, 0.3)  # ... their treads are this deep (min, max), metres ...
STEP_CLEAR_M = 0.04  # ... and their fronts stay this far from the legs (shoes, trouser legs)
TILT_COST_M_PER_DEG = 0.002  # how much extra gap (m) one degree of tilt is worth avoiding
GROUP_NAMES = ("feet", "left_foot", "right_foot", "knees", "left_knee", "right_knee", "shins", "buttocks",
               "thighs", "left_thigh", "right_thigh", "hands")


# BODY25 points of each foot; their mean is the foot's centre.
FOOT_POINTS = [[BODY25_INDEX[f"{side}_{n}"] for n in ("big_toe", "small_toe", "heel")] for side in ("left", "right")]
# BODY25 joints that rest on the ground in floor poses (sitting, kneeling), with how far the skin that
# touches lies below the joint (metres: a hip joint over the buttocks' underside, a knee over the kneecap)
GROUND_JOINTS = ((("left_hip", "right_hip"), 0.11), (("left_knee", "right_knee"), 0.05))
PALM_M = (0.08, 0.03)  # a palm's centre: this far on from the wrist along the forearm, this far below it
JOINT_REACH_M = 0.12  # a joint's darkening is gone once its skin is this high (a foot's: 0.25 m)


def ground_contacts(keypoints: np.ndarray) -> np.ndarray:
    """(P * 8, 3) points where posed people may touch the ground, for contact darkening: each foot's
    centre, then each hip and knee lowered by its :data:`GROUND_JOINTS` depth, then each palm
    (:data:`PALM_M`). The heights of all but the feet are stretched so that their darkening (which
    fades out 0.25 m up, :func:`genb.render.raster.shadows.contact_occlusion`) is gone
    :data:`JOINT_REACH_M` up: a standing person's, a child's knees included, darken nothing.

    Args:
        keypoints: (P, 25, 3) BODY25 keypoints, world frame (Z up), metres.
    """
    if not len(keypoints):
        return np.zeros((0, 3))
    points = [keypoints[:, FOOT_POINTS].mean(axis=2)]  # (P, 2, 3)
    for names, depth in GROUND_JOINTS:
        p = keypoints[:, [BODY25_INDEX[n] for n in names]].copy()
        p[..., 2] = (p[..., 2] - depth) * (0.25 / JOINT_REACH_M)
        points.append(p)
    for side in ("left", "right"):
        wrist, elbow = keypoints[:, BODY25_INDEX[f"{side}_wrist"]], keypoints[:, BODY25_INDEX[f"{side}_elbow"]]
        on = (wrist - elbow) / np.maximum(np.linalg.norm(wrist - elbow, axis=-1, keepdims=True), 1e-9)
        palm = wrist + PALM_M[0] * on
        palm[..., 2] = (palm[..., 2] - PALM_M[1]) * (0.25 / JOINT_REACH_M)
        points.append(palm[:, None])
    return np.concatenate(points, axis=1).reshape(-1, 3)


def support_groups(rest_vertices: np.ndarray, rest_keypoints: np.ndarray, vertex_parts: np.ndarray) -> dict[str, np.ndarray]:
    """Vertex index sets of the body's support groups, from one rest-pose body.

    Args:
        rest_vertices: (V, 3) a body in its rest pose, world frame (Z up, facing -Y), metres.
        rest_keypoints: (25, 3) its BODY25 keypoints. vertex_parts: (V,) part ids.
    Returns:
        name -> (N,) int vertex indices for ``left_foot``, ``right_foot``, ``feet``, ``left_knee``,
        ``right_knee``, ``knees`` (the skin within 9 cm of the knee joint), ``shins`` (lower legs),
        ``buttocks`` (torso and thighs below and behind the hip joints), ``hands``.
    """
    parts = np.asarray(vertex_parts)
    v = np.asarray(rest_vertices, np.float64)
    kp = np.asarray(rest_keypoints, np.float64)
    idx = lambda mask: np.flatnonzero(mask).astype(np.int64)  # noqa: E731
    g: dict[str, np.ndarray] = {}
    for side in ("left", "right"):
        g[f"{side}_foot"] = idx(parts == PART_INDEX[f"{side}_foot"])
        leg = (parts == PART_INDEX[f"{side}_upper_leg"]) | (parts == PART_INDEX[f"{side}_lower_leg"])
        knee = kp[BODY25_INDEX[f"{side}_knee"]]
        g[f"{side}_knee"] = idx(leg & (np.linalg.norm(v - knee, axis=1) < 0.09))
    g["feet"] = np.concatenate([g["left_foot"], g["right_foot"]])
    g["knees"] = np.concatenate([g["left_knee"], g["right_knee"]])
    g["shins"] = idx((parts == PART_INDEX["left_lower_leg"]) | (parts == PART_INDEX["right_lower_leg"]))
    hip = kp[BODY25_INDEX["mid_hip"]]
    seat_parts = (parts == PART_INDEX["torso"]) | (parts == PART_INDEX["left_upper_leg"]) | (parts == PART_INDEX["right_upper_leg"])
    near = np.linalg.norm(v[:, [0, 2]] - hip[[0, 2]], axis=1) < 0.25
    g["buttocks"] = idx(seat_parts & near & (v[:, 2] < hip[2] + 0.02) & (v[:, 1] > hip[1] - 0.02))
    for side in ("left", "right"):  # the back half of each thigh: what a body sits on besides the buttocks
        hip_s, knee_s = kp[BODY25_INDEX[f"{side}_hip"]], kp[BODY25_INDEX[f"{side}_knee"]]
        along = (v[:, 2] - knee_s[2]) / max(hip_s[2] - knee_s[2], 1e-6)
        axis_y = knee_s[1] + along * (hip_s[1] - knee_s[1])
        g[f"{side}_thigh"] = idx((parts == PART_INDEX[f"{side}_upper_leg"]) & (v[:, 1] > axis_y) & (along > 0.15))
    g["thighs"] = np.concatenate([g["left_thigh"], g["right_thigh"]])
    g["hands"] = idx((parts == PART_INDEX["left_hand"]) | (parts == PART_INDEX["right_hand"]))
    return g


def pose_support(name: str, table: dict) -> tuple[list[str], bool]:
    """Support groups and whether a seat goes under, for a sampled pose name.

    ``name`` is :meth:`PoseLibrary.sample`'s (``key~other:mirrored``): the key pose before ``~``
    decides, and a mirrored pose swaps left and right groups.

    Args:
        table: the ``poses`` mapping of ``key_poses.yaml``.
    """
    base = name.split(":")[0].split("~")[0]
    spec = table.get(base, {}) or {}
    groups = list(spec.get("support", ["feet"]))
    if name.endswith(":mirrored"):
        swap = {"left": "right", "right": "left"}
        groups = [swap[g.split("_", 1)[0]] + "_" + g.split("_", 1)[1] if g.split("_", 1)[0] in swap else g for g in groups]
    return groups, bool(spec.get("seat", False))


def _tilts(max_deg: float, step_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3, 3) rotations about world x (pitch) then y (roll) on a grid, and (T,) their angles (deg)."""
    a = np.radians(np.arange(-max_deg, max_deg + 1e-9, step_deg))
    px, py = (m.ravel() for m in np.meshgrid(a, a, indexing="ij"))
    cx, sx, cy, sy = np.cos(px), np.sin(px), np.cos(py), np.sin(py)
    R = np.zeros((len(px), 3, 3))
    # R = Ry(py) @ Rx(px)
    R[:, 0, 0], R[:, 0, 1], R[:, 0, 2] = cy, sy * sx, sy * cx
    R[:, 1, 1], R[:, 1, 2] = cx, -sx
    R[:, 2, 0], R[:, 2, 1], R[:, 2, 2] = -sy, cy * sx, cy * cx
    ang = np.degrees(np.arccos(np.clip(R[:, 2, 2], -1.0, 1.0)))  # how far the body's up axis leans
    keep = ang <= max_deg + 1e-9
    return R[keep], ang[keep]


def _best_tilt(z_of: callable, groups: list[np.ndarray], sub: np.ndarray, R: np.ndarray, ang: np.ndarray) -> int:
    """Index of the tilt in ``R`` that minimises the largest group gap plus the tilt's cost."""
    z_all = z_of(R, sub)  # (T, S)
    floor = z_all.min(axis=1)
    gap = np.max([z_of(R, gi).min(axis=1) for gi in groups], axis=0) - floor
    return int(np.argmin(gap + TILT_COST_M_PER_DEG * ang))


def _hull(v: np.ndarray, ix: np.ndarray) -> np.ndarray:
    """The indices among ``ix`` of the convex hull's vertices of ``v[ix]`` (all of ``ix`` when flat or tiny):
    the minimum of any linear function over ``v[ix]`` is attained on them."""
    from scipy.spatial import ConvexHull, QhullError

    ix = np.asarray(ix)
    if len(ix) < 8:
        return ix
    try:
        return ix[np.sort(ConvexHull(v[ix]).vertices)]
    except (QhullError, ValueError):
        return ix


def rest_on_support(vertices: np.ndarray, root: np.ndarray, groups: Sequence[Sequence[np.ndarray]],
                    free: Sequence[bool] | None = None,
                    max_tilt_deg: float = MAX_TILT_DEG) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per person, the tilt and lift that rest the body on its support groups.

    Args:
        vertices: (P, V, 3) posed bodies with zero yaw, root at ``root``, world axes, metres.
        root: (P, 3) the point the tilt turns about (the root joint).
        groups: per person, the index arrays of the groups that must touch the ground.
        free: (P,) whether a person may be tilted (poses with a declared support); default: those
            with more than one group. A standing person is only lifted: the lowest vertex carries it.
    Returns:
        rotation (P, 3, 3) (applied about ``root``), lift (P,) metres (``-min z`` of the tilted body,
        so nothing sinks) and gap (P,) metres: the largest group's lowest point above the ground.
    """
    P = len(vertices)
    rot = np.tile(np.eye(3), (P, 1, 1))
    lift, gap = np.zeros(P), np.zeros(P)
    coarse = _tilts(max_tilt_deg, 4.0)
    for p in range(P):
        v = np.asarray(vertices[p], np.float64) - root[p]
        gs = [np.asarray(g) for g in groups[p] if len(g)]
        if (len(gs) > 1 if free is None else bool(free[p]) and gs):
            # the floor over every 7th vertex (good to a few mm for the search); a linear height's minimum
            # over a point set lies on its convex hull: the search reads only the hulls' vertices
            sub = _hull(v, np.arange(0, len(v), 7))
            hs = [_hull(v, g) for g in gs]
            z_of = lambda R, ix: v[ix] @ R[:, 2, :].T  # noqa: E731  (T, N) -> transposed below
            z_of_t = lambda R, ix: z_of(R, ix).T  # noqa: E731
            k = _best_tilt(z_of_t, hs, sub, *coarse)
            # refine around the coarse optimum: +-3 degrees, 1 degree steps
            fine_R, fine_ang = _tilts(3.0, 1.0)
            cand = np.einsum("tij,jk->tik", fine_R, coarse[0][k])
            cand_ang = np.degrees(np.arccos(np.clip(cand[:, 2, 2], -1, 1)))
            keep = cand_ang <= max_tilt_deg + 1e-6
            keep[len(keep) // 2] = True  # the coarse optimum itself (no refinement) is always a candidate
            cand, cand_ang = cand[keep], cand_ang[keep]
            rot[p] = cand[_best_tilt(z_of_t, hs, sub, cand, cand_ang)]
        z = v @ rot[p][2]
        lift[p] = -(z.min() + root[p][2])
        gap[p] = max((z[g].min() - z.min() for g in gs), default=0.0)
    return rot, lift, gap


def buttock_gaps(vertices: np.ndarray, root: np.ndarray, rotation: np.ndarray, buttocks: np.ndarray) -> np.ndarray:
    """(P,) metres: how far each body's lowest buttock point stands above its lowest point once tilted
    by ``rotation`` (P, 3, 3) about ``root`` (P, 3) (as :func:`rest_on_support` returns), for
    ``vertices`` (P, V, 3) and the ``buttocks`` vertex indices."""
    z = ((np.asarray(vertices, np.float64) - root[:, None]) @ rotation[:, 2, :, None])[..., 0]
    return z[:, buttocks].min(axis=1) - z.min(axis=1)


def seat_recipe(rng: np.random.Generator, seat_vertices: np.ndarray, yaw_deg: float, radius: float,
                floor: bool = False, body: np.ndarray | None = None) -> dict:
    """A seat (``chair``, ``stool``, ``bench``, ``crate``, ``low_wall`` or ``steps``) whose top is under the
    lowest buttock point of a seated person, or with ``floor`` a ``cushion`` exactly that high (for a
    floor sitter whose buttocks hover).

    Args:
        seat_vertices: (N, 3) the person's buttock vertices in the world, placed (feet on the ground).
        yaw_deg: the person's yaw (the seat turns with them: its depth runs front to back).
        radius: the person's footprint radius (the seat stays within it sideways).
        body: (V, 3) the whole placed body; with it a flight of ``steps`` is built around the legs
            (:func:`step_fronts`: the buttocks on its top tread, the lower steps clear of the shins and
            feet, its ``fronts`` in the recipe); without it, a uniform flight (whose top step may lie
            behind the buttocks).
    Returns:
        a prop recipe (``props.place_props`` format) with ``seat_of`` set by the caller.
    """
    low = seat_vertices[np.argmin(seat_vertices[:, 2])]
    a = math.radians(yaw_deg)
    back = np.array([-math.sin(a), math.cos(a)])  # a body with yaw 0 faces -Y: its back is +Y, turned by yaw
    if floor:  # round: as wide as deep; its front edge 5 cm ahead of the lowest buttock point (the legs cross before it)
        size = float(max(min(rng.uniform(0.4, 0.55), 2 * radius * 0.9), 0.34))
        xy = low[:2] + back * (size / 2 - 0.05)
        return {"type": "cushion", "position": [float(xy[0]), float(xy[1])], "yaw_deg": float(yaw_deg),
                "size": [size, size, float(max(low[2], 0.0))], "seed": int(rng.integers(2**31))}
    height = float(max(low[2], 0.12))
    kinds = ["chair", "stool", "bench", "crate", "low_wall", "steps"] if height > 0.3 else ["crate", "steps", "low_wall"]
    kind = kinds[int(rng.integers(len(kinds)))]
    depth = {"chair": 0.42, "stool": 0.34, "bench": 0.42, "crate": 0.4, "low_wall": 0.3, "steps": 0.35}[kind]
    depth = float(depth * rng.uniform(0.9, 1.15))
    width = float(min(2 * radius * 0.9, {"chair": 0.46, "stool": 0.36, "bench": 1.4, "crate": 0.55,
                                             "low_wall": 1.8, "steps": 1.6}[kind] * rng.uniform(0.9, 1.1)))
    width = max(width, 0.34)
    # the seat's front edge a little ahead of the lowest buttock point, the rest behind it
    front = SEAT_FRONT_M
    extra = {}
    if kind == "steps" and body is not None:  # the top tread under the buttocks, the lower ones before the legs
        front = STEP_EDGE_M
        rel, z = np.asarray(body, np.float64)[:, :2] - low[:2], np.asarray(body, np.float64)[:, 2]
        ahead = -rel @ back
        # hands hanging lower than the top beside the buttocks (wider than them): the flight stays between them
        side = np.abs(rel @ [back[1], -back[0]])
        hips = float(np.abs((seat_vertices[:, :2] - low[:2]) @ [back[1], -back[0]]).max())
        beside = (z < height - 0.002) & (ahead < front) & (ahead > front - depth) & (side > hips)
        if beside.any():
            width = max(min(width, 2 * (float(side[beside].min()) - STEP_CLEAR_M)), 0.3)
        ahead = step_fronts(ahead, z, height)
        centre = (ahead[0] + front - depth) / 2  # ahead of the lowest buttock point: the flight's middle
        depth = float(ahead[0] - (front - depth))
        extra = {"fronts": [float(centre - a) for a in ahead]}
        xy = low[:2] - back * centre
    else:
        xy = low[:2] + back * (depth / 2 - front)
    return {"type": kind, "position": [float(xy[0]), float(xy[1])], "yaw_deg": float(yaw_deg),
            "size": [width, depth, height], "seed": int(rng.integers(2**31)), **extra}


def step_fronts(ahead: np.ndarray, z: np.ndarray, height: float) -> list[float]:
    """How far ahead of the lowest buttock point each step's front (riser) of a seat flight stands,
    bottom step first, the top step's at :data:`STEP_EDGE_M` (the sitter's buttocks on its tread).

    The flight rises evenly to ``height`` in as many steps as a :data:`STEP_RISE_M` rise gives, fewer
    (taller risers) where the legs leave no room: each lower step's front stays :data:`STEP_CLEAR_M`
    behind every body point lower than :data:`STEP_CLEAR_M` above its tread (the shins, calves and
    feet in front of the seat, with room for shoes and trouser legs), and every tread is at least
    ``STEP_TREAD_M[0]`` deep (at most ``STEP_TREAD_M[1]``). One step (a block) always fits.

    Args:
        ahead: (V,) metres each body point stands ahead of the lowest buttock point (along the
            sitter's facing). z: (V,) their heights above the ground, metres. height: the top, metres.
    Returns:
        n floats, metres ahead, non-increasing from the bottom step to the top one.
    """
    lo, hi = STEP_TREAD_M
    before = ahead > STEP_EDGE_M  # points over the ground in front of the top step (not on it)
    for n in range(max(1, round(height / STEP_RISE_M)), 0, -1):
        fronts = [STEP_EDGE_M]
        for k in range(n - 2, -1, -1):  # the tread of step k at height (k + 1) / n of the top
            low = before & (z < height * (k + 1) / n + STEP_CLEAR_M)
            room = float(ahead[low].min()) - STEP_CLEAR_M if low.any() else np.inf
            tread = min(room - fronts[-1], hi)
            if tread < lo:
                break
            fronts.append(fronts[-1] + tread)
        else:
            return fronts[::-1]
    raise AssertionError("one step always fits")


def place_recipe(recipe: dict, yaw_deg: float, xy: np.ndarray) -> dict:
    """A recipe made for a person at the origin with zero yaw (:func:`seat_recipe` before framing), moved with
    them: turned by ``yaw_deg`` about the origin, then shifted by ``xy`` (2,) metres."""
    a = math.radians(yaw_deg)
    x, y = recipe["position"]
    pos = [math.cos(a) * x - math.sin(a) * y + float(xy[0]), math.sin(a) * x + math.cos(a) * y + float(xy[1])]
    return {**recipe, "position": pos, "yaw_deg": float(recipe["yaw_deg"] + yaw_deg)}
