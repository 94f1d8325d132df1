"""Held objects: the poses that hold something get it in their hands.

``carrying_box`` holds a box between the palms, ``phone_call`` a phone in the raised hand and
``looking_at_phone`` a phone in both hands. The hands that hold something curl their fingers
(:func:`hand_grips`, applied by the body model, so the curl is in the recorded pose). Objects are
placed from the posed body in the world frame, so they follow the sampled pose, blend and mirroring:
a box's sides touch the hands lying flat on them, its front face lies ahead of the fingertips and
its back face in front of the torso (``CLEARANCE_M``, room for clothes); a phone lies on the palm,
as close as the curled fingers allow. Without vertices (or for a body model that has no palm mask)
the placement falls back to the wrists and elbows. Objects are drawn like props (instance 0, part
class ``held_object``), occlude keypoints behind them and are listed in ``scene.json`` with the
person who holds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.core.conventions import BODY25_INDEX, SCENE_PART_INDEX
from genb.render.scene.props import box_mesh

_I = BODY25_INDEX
HOLDING_POSES = ("carrying_box", "phone_call", "looking_at_phone")
_COLORS = {"box": [0.62, 0.47, 0.3], "phone": [0.08, 0.08, 0.09]}
GAP_M = 0.003  # between a palm and the object it touches
CLEARANCE_M = 0.035  # between the body and a carried box: room for the clothes over the skin
PHONE_SIZE = [0.15, 0.075, 0.012]
NEAR_M = 0.03  # hand vertices further than this beside a phone's footprint cannot touch it
BOX_HEIGHT_M = 0.24
MIN_BOX_DEPTH_M = 0.08
BOX_DEPTH_RATIO = 0.55  # a carried carton is at least this deep for its width (moving boxes: 0.6-1) ...
MAX_BOX_DEPTH_M = 0.4  # ... up to this depth, the extra ahead of the fingertips
SLEEVE_M = 0.0  # between a forearm and the side of a box
REACH_M = 0.02  # a carried box's front face lies this far ahead of the hands' fingertips
FINGER_SINK_M = 0.003  # a finger or thumb lying on a box's side face may press this far into it
FLUSH_DEPTH_M = MIN_BOX_DEPTH_M  # a box at least this deep rests on the palms, stopping in front of forearms that come further in


def base_pose(name: str) -> str:
    """The key pose a sampled pose name starts from ('carrying_box~x:mirrored' -> 'carrying_box')."""
    return name.split("~")[0].split(":")[0]


def hand_grips(pose_names: list[str]) -> list[dict[str, str] | None]:
    """Per person the hands that hold something and their grip (``grips.GRIP_CURLS``), or None.

    ``phone_call`` holds the phone in the right hand (the left one when the pose is mirrored).
    """
    out: list[dict[str, str] | None] = []
    for name in pose_names:
        pose = base_pose(name)
        if pose == "carrying_box":
            out.append({"left": "box", "right": "box"})
        elif pose == "looking_at_phone":
            out.append({"left": "phone", "right": "phone"})
        elif pose == "phone_call":
            out.append({"left" if name.endswith(":mirrored") else "right": "phone"})
        else:
            out.append(None)
    return out


def takes_grips(body: Any) -> bool:
    """Whether a body model's ``pose`` curls fingers (takes ``grips=``); a user's model may not."""
    import inspect

    return "grips" in inspect.signature(body.pose).parameters


def _frame(x: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(3, 3) rotation with columns x, y, z: x as given, z as close to ``up`` as possible."""
    x = x / max(float(np.linalg.norm(x)), 1e-9)
    z = up - x * float(up @ x)
    z = z / max(float(np.linalg.norm(z)), 1e-9)
    return np.stack([x, np.cross(z, x), z], axis=1)


def box_depth(points: np.ndarray, center: np.ndarray, rotation: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(N,) signed depth of points in an oriented box: > 0 inside (distance to the nearest face),
    < 0 outside (minus the distance to the box). points (N, 3), center (3,), rotation (3, 3) with the
    box's axes as columns, size (3,) full extents; metres."""
    local = (np.asarray(points, np.float64) - center) @ rotation
    margin = np.asarray(size, np.float64) / 2 - np.abs(local)
    inside = margin.min(axis=1)
    return np.where(inside > 0, inside, -np.linalg.norm(np.maximum(-margin, 0.0), axis=1))


def _slid_depth(local: np.ndarray, offsets: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(O, N) :func:`box_depth` of points ``local`` (N, 3), in a box's axes about its starting centre,
    for the box slid by each of ``offsets`` (O,) metres along its own z axis."""
    half = (np.asarray(size) / 2).astype(local.dtype)
    mxy = half[:2] - np.abs(local[:, :2])  # (N, 2): unchanged by the slide
    mz = half[2] - np.abs(local[None, :, 2] - offsets[:, None])  # (O, N)
    inside = np.minimum(mxy.min(axis=1)[None], mz)
    out_xy = np.sum(np.maximum(-mxy, 0.0) ** 2, axis=1)[None]
    return np.where(inside > 0, inside, -np.sqrt(out_xy + np.maximum(-mz, 0.0) ** 2))


def _forearm_halves(k: np.ndarray, forearms_local: list[np.ndarray], c0: np.ndarray, R: np.ndarray) -> list[np.ndarray]:
    """Per side (left, right) a (n,) bool mask of the forearm points (box-local, (n, 3)) in the half next
    to the wrist (the other half, at the elbow, bounds the box's back face)."""
    out = []
    for s, (e, w) in enumerate(((_I["left_elbow"], _I["left_wrist"]), (_I["right_elbow"], _I["right_wrist"]))):
        elbow, wrist = (k[e] - c0) @ R, (k[w] - c0) @ R
        t = (forearms_local[s] - elbow) @ (wrist - elbow) / max(float(np.sum((wrist - elbow) ** 2)), 1e-9)
        out.append(t > 0.5)
    return out


def _at_hand(palm: np.ndarray, hand: np.ndarray, sign: float) -> float:
    """A side face's x on a flat hand: ``GAP_M`` off the palm, no finger or thumb point pressing more
    than ``FINGER_SINK_M`` into it. palm, hand: (n, 3) box-local points; sign +1 for the right hand
    (the face x0 = its largest x), -1 for the left one (x1 = its smallest x)."""
    return sign * max(float((sign * palm[:, 0]).max()) + GAP_M, float((sign * hand[:, 0]).max()) - FINGER_SINK_M)


def _side_faces(at: tuple[float, float], arms: list[np.ndarray], y_front: float,
                z0: float, z1: float) -> tuple[float, float, float]:
    """The box's side faces x0 (right), x1 (left) and a cap on its back face: each side face rests on its
    hand (``at``: x0, x1 from :func:`_at_hand`) where the forearm comes further in only behind
    ``FLUSH_DEPTH_M`` of box (the back face then stops in front of it); else it lies along the forearm
    (``SLEEVE_M``).

    arms: per side (left, right) the forearm's points (n, 3) next to the wrist; box-local (x across to
    the left hand, y backward, z up), metres."""
    y_cap = np.inf
    faces = []
    for at_palm, arm, sign in ((at[0], arms[1], 1.0), (at[1], arms[0], -1.0)):
        arm = arm[(arm[:, 2] > z0) & (arm[:, 2] < z1)]
        inside = arm[sign * arm[:, 0] > sign * at_palm - SLEEVE_M]
        if not len(inside) or inside[:, 1].min() - SLEEVE_M >= y_front + FLUSH_DEPTH_M:
            faces.append(at_palm)
            y_cap = min(y_cap, inside[:, 1].min() - SLEEVE_M if len(inside) else np.inf)
        else:
            faces.append(sign * max(sign * at_palm, (sign * arm[:, 0]).max() + SLEEVE_M))
    return faces[0], faces[1], y_cap


def _place_box(k: np.ndarray, v: np.ndarray, hands: np.ndarray, palms: np.ndarray, forearms: np.ndarray) -> dict[str, Any]:
    """A box between the palms: sides at the palms, the hands flat on them (the fingers and thumb lying
    forward along the side faces), its front face ``REACH_M`` ahead of the fingertips, back clear of the body;
    a wide box reaches further forward, to ``BOX_DEPTH_RATIO`` of its width (at most ``MAX_BOX_DEPTH_M``).

    k: (25, 3) keypoints; v: (V, 3) vertices; hands, palms, forearms: (2, V) bool masks, row 0 the left
    side. The box keeps ``CLEARANCE_M`` from every other vertex; where a forearm comes in further than
    the palm, the box stops in front of it (:func:`_side_faces`). Returns the recipe (see held_objects).
    """
    lw, rw = k[_I["left_wrist"]], k[_I["right_wrist"]]
    R = _frame(lw - rw, np.array([0.0, 0.0, 1.0]))
    c0 = (lw + rw) / 2
    to_local = lambda m: (v[m] - c0) @ R  # noqa: E731  x across (to the left hand), y backward, z up
    left, right = to_local(palms[0]), to_local(palms[1])
    zc = float(np.concatenate([left[:, 2], right[:, 2]]).mean())
    z0, z1 = zc - 0.45 * BOX_HEIGHT_M, zc + 0.55 * BOX_HEIGHT_M
    fore = [to_local(forearms[s]) for s in (0, 1)]
    halves = _forearm_halves(k, fore, c0, R)
    hand = to_local(hands.any(axis=0))
    hand = hand[(hand[:, 2] > z0) & (hand[:, 2] < z1)]
    y_front = float(hand[:, 1].min()) - REACH_M  # ahead of every fingertip and thumb
    at = (_at_hand(right, to_local(hands[1]), 1.0), _at_hand(left, to_local(hands[0]), -1.0))
    x0, x1, y_cap = _side_faces(at, [fore[s][halves[s]] for s in (0, 1)], y_front, z0, z1)
    if x1 - x0 < 0.15:  # palms too close for a box between them: keep a narrow one
        mid = (x0 + x1) / 2
        x0, x1 = mid - 0.075, mid + 0.075

    def in_slab(p: np.ndarray) -> np.ndarray:
        return (p[:, 0] > x0) & (p[:, 0] < x1) & (p[:, 2] > z0) & (p[:, 2] < z1)

    # back face: in front of the body over the footprint
    body = to_local(~(hands | forearms).any(axis=0))
    body = body[in_slab(body) & (body[:, 1] > y_front)]
    elbow_half = np.concatenate([fore[s][~halves[s]] for s in (0, 1)])
    elbow_half = elbow_half[in_slab(elbow_half) & (elbow_half[:, 1] > y_front)]
    y_back = min(body[:, 1].min() - CLEARANCE_M if len(body) else y_front + 0.3,
                 elbow_half[:, 1].min() - SLEEVE_M if len(elbow_half) else np.inf, y_cap)
    y_back = max(y_back, y_front + MIN_BOX_DEPTH_M)
    # a carton at least BOX_DEPTH_RATIO as deep as it is wide: wide hands hold its back, the rest reaches forward
    y_front = min(y_front, y_back - min(BOX_DEPTH_RATIO * (x1 - x0), MAX_BOX_DEPTH_M))
    centre_local = np.array([(x0 + x1) / 2, (y_front + y_back) / 2, (z0 + z1) / 2])
    return {"type": "box", "center": (c0 + R @ centre_local).tolist(), "rotation": R.tolist(),
            "size": [float(x1 - x0), float(y_back - y_front), BOX_HEIGHT_M]}


def _palm_plane(v: np.ndarray, hands: np.ndarray, palms: np.ndarray, side: int,
                wrist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A hand's palm centre (3,), its normal (3,) toward the palmar side (where the fingers curl) and
    the direction from the wrist (3,) to the fingers' centre (3,). Without separate finger vertices
    (no palm mask) the normal turns up."""
    palm = v[palms[side]].astype(np.float64)
    centre = palm.mean(axis=0)
    normal = np.linalg.svd(palm - centre, full_matrices=False)[2][2]
    rest = hands[side] & ~palms[side]
    if rest.any():
        fingers = v[rest].astype(np.float64).mean(axis=0)
        return centre, (normal if normal @ (fingers - centre) >= 0 else -normal), fingers - wrist
    return centre, (normal if normal[2] >= 0 else -normal), centre - wrist


def _place_phone(k: np.ndarray, v: np.ndarray, hands: np.ndarray, palms: np.ndarray, sides: list[int]) -> dict[str, Any]:
    """A phone on the palm(s) of the holding hand(s): of a few placements (on each holding palm, long
    side toward the fingers; with both hands also face up across them or along the forearms, over both
    palms or one), each slid along its normal, the one nearest a palm with no hand vertex inside (where
    none is clear, the least deep).

    k: (25, 3) keypoints; v: (V, 3) vertices; hands, palms: (2, V) bool masks, row 0 left;
    sides: the holding hands (0 left, 1 right). Returns the recipe (see held_objects).
    """
    palm_mask = palms[sides].any(axis=0)
    palm = v[palm_mask].astype(np.float64)
    grip = np.concatenate([palm, v[hands[sides].any(axis=0) & ~palm_mask]]).astype(np.float64)  # palm rows first
    candidates = []  # (centre, normal, long side)
    for s in sides:
        c, n, fingers = _palm_plane(v, hands, palms, s, k[_I["left_wrist"] if s == 0 else _I["right_wrist"]])
        candidates.append((c, n, fingers))
    if len(sides) == 2:
        up = np.array([0.0, 0.0, 1.0])
        fore = (k[_I["left_wrist"]] - k[_I["left_elbow"]]) + (k[_I["right_wrist"]] - k[_I["right_elbow"]])
        for c in (palm.mean(axis=0), *(v[palms[s]].mean(axis=0) for s in sides)):
            candidates += [(c, up, k[_I["left_wrist"]] - k[_I["right_wrist"]]), (c, up, fore)]
    size = np.array(PHONE_SIZE)
    offsets = (np.arange(-0.03, 0.06, 0.003) + size[2] / 2 + GAP_M).astype(np.float32)
    best = (np.inf, None, None)
    for c, normal, along in candidates:
        along = along - normal * (along @ normal)
        x = along / max(float(np.linalg.norm(along)), 1e-9)
        R = np.stack([x, np.cross(normal, x), normal], axis=1)
        # slide along the normal: of the offsets where no hand vertex is inside the phone, the one nearest the palms
        local = ((grip - c) @ R).astype(np.float32)
        near = np.all(np.abs(local[:, :2]) < size[:2] / 2 + NEAR_M, axis=1)  # only these can touch it
        depth = _slid_depth(local[near], offsets, size)  # (O, n)
        on_palm = depth[:, : int(near[:len(palm)].sum())]  # palm rows first
        gap = -on_palm.max(axis=1) if on_palm.shape[1] else np.full(len(offsets), NEAR_M)
        deepest = depth.max(axis=1, initial=-1.0)
        score = np.where(deepest < 0.002, gap, 1.0 + deepest)  # else the least deep (never chosen over a clear one)
        i = int(np.argmin(score))
        if best[1] is None or score[i] < best[0]:
            best = (score[i], R, c + offsets[i] * normal)
    _, R, at = best
    return {"type": "phone", "center": at.tolist(), "rotation": R.tolist(), "size": size.tolist()}


def _fallback(pose: str, k: np.ndarray) -> dict[str, Any] | None:
    """The object placed from the wrists and elbows alone (no vertices to rest it against)."""
    up = np.array([0.0, 0.0, 1.0])
    lw, rw, le, re = k[_I["left_wrist"]], k[_I["right_wrist"]], k[_I["left_elbow"]], k[_I["right_elbow"]]
    if pose == "carrying_box":
        across = lw - rw
        width = max(0.2, float(np.linalg.norm(across)) - 0.06)
        fore = ((lw - le) + (rw - re)) / 2
        fore[2] = 0.0
        centre = (lw + rw) / 2 - 0.06 * fore / max(float(np.linalg.norm(fore)), 1e-9) + [0, 0, 0.04]
        return {"type": "box", "center": centre.tolist(), "rotation": _frame(across, up).tolist(),
                "size": [width, 0.3, BOX_HEIGHT_M]}
    if pose == "phone_call":  # the raised hand
        w, e = (lw, le) if lw[2] > rw[2] else (rw, re)
        fore = w - e
        centre = w + 0.06 * fore / max(float(np.linalg.norm(fore)), 1e-9)
    else:
        fore = ((lw - le) + (rw - re)) / 2
        centre = (lw + rw) / 2 + 0.04 * fore / max(float(np.linalg.norm(fore)), 1e-9)
    return {"type": "phone", "center": centre.tolist(), "rotation": _frame(fore, up).tolist(), "size": list(PHONE_SIZE)}


def held_objects(pose_names: list[str], keypoints: np.ndarray, vertices: np.ndarray | None = None,
                 body: Any = None) -> list[dict[str, Any]]:
    """Recipes of the objects held by people in holding poses.

    Args:
        pose_names: (P,) sampled pose names. keypoints: (P, 25, 3) BODY25 world keypoints, metres.
        vertices: (P, V, 3) the posed bodies (world frame, metres), with ``body`` the body model
            (its ``vertex_parts`` and ``palm_mask``): the object then rests against the palms.
            Without them the object is placed from the wrists and elbows.
    Returns:
        one dict per object: ``type`` (box, phone), ``person`` index, ``center`` (3,) metres,
        ``rotation`` (3, 3) columns = the object's axes in the world, ``size`` [x, y, z] metres.
    """
    from genb.core.conventions import PART_INDEX

    out = []
    grips = hand_grips(pose_names)
    exact = vertices is not None and body is not None
    if exact:
        parts = body.vertex_parts
        hands = np.stack([parts == PART_INDEX["left_hand"], parts == PART_INDEX["right_hand"]])
        palm_mask = getattr(body, "palm_mask", None)
        palms = hands & palm_mask if palm_mask is not None else hands
        forearms = np.stack([parts == PART_INDEX["left_lower_arm"], parts == PART_INDEX["right_lower_arm"]])
    for p, (name, grip) in enumerate(zip(pose_names, grips)):
        if grip is None:
            continue
        pose, k = base_pose(name), np.asarray(keypoints[p], np.float64)
        if not exact:
            rec = _fallback(pose, k)
        elif pose == "carrying_box":
            v = np.asarray(vertices[p], np.float64)
            rec = _place_box(k, v, hands, palms, forearms)
        else:
            rec = _place_phone(k, np.asarray(vertices[p], np.float64), hands, palms,
                               [("left", "right").index(s) for s in grip])
        out.append({"type": rec["type"], "person": p, **{key: rec[key] for key in ("center", "rotation", "size")}})
    return out


def held_mesh(recipe: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """World-frame mesh of a held object: vertices, faces, normals, colours, part id (as places.prop_mesh)."""
    sx, sy, sz = recipe["size"]
    v, f, n = box_mesh([sx, sy, sz], [0.0, 0.0, -sz / 2])  # centred on its middle
    R = np.asarray(recipe["rotation"])
    v = v @ R.T + np.asarray(recipe["center"])
    n = n @ R.T
    c = np.tile(np.asarray(_COLORS[recipe["type"]], np.float32), (len(v), 1))
    return (v.astype(np.float32), f.astype(np.uint32), n.astype(np.float32), c, SCENE_PART_INDEX["held_object"])
