"""Framing: how big people are in the images and how much of them is in frame.

A preset states the framing it aims for in its YAML (``framing: "median_area>=0.15 kp12>=0.8"``);
:func:`framing_stats` measures it on rendered samples and :func:`meets` compares.
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from genb.render.scene import heads, outline

STAT_NAMES = ("median_area", "kp12")


def framing_stats(samples: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Framing statistics over people.

    Args:
        samples: per image, ``(mask_area (P,), keypoints_in_frame (P, 25))`` and the image
            size folded in as the area fractions: pass ``mask_area / (H * W)``.
    Returns:
        ``median_area``: the median person's visible mask as a fraction of the image;
        ``kp12``: the fraction of people with at least 12 of their 25 keypoints in frame.
    """
    areas, counts = [], []
    for area_frac, in_frame in samples:
        areas.extend(np.asarray(area_frac, float).tolist())
        counts.extend(np.asarray(in_frame).sum(axis=1).tolist())
    if not areas:
        return {"median_area": 0.0, "kp12": 0.0}
    return {"median_area": float(np.median(areas)), "kp12": float(np.mean(np.asarray(counts) >= 12))}


def parse_target(text: str) -> dict[str, float]:
    """'median_area>=0.15 kp12>=0.8' -> {'median_area': 0.15, 'kp12': 0.8} (lower bounds)."""
    out = {}
    for name, value in re.findall(r"(\w+)\s*>=\s*([0-9.]+)", text or ""):
        if name not in STAT_NAMES:
            raise ValueError(f"unknown framing statistic {name!r} (known: {', '.join(STAT_NAMES)})")
        out[name] = float(value)
    return out


def meets(stats: dict[str, float], target: str) -> list[str]:
    """The statistics of ``stats`` that fall short of ``target`` (empty when it is met)."""
    return [f"{k} {stats[k]:.3f} < {v}" for k, v in parse_target(target).items() if stats[k] < v]


# ----------------------------------------------------------------------------- contact and framing measures

KNEELING = ("kneeling", "kneeling_one_knee")


def _base_pose(name: str) -> str:
    return name.split(":")[0].split("~")[0]


def world_keypoints(labels: dict) -> np.ndarray:
    """(P, 25, 3) BODY25 keypoints in the world frame, from the camera-frame labels and ``cam_ext``."""
    ext = np.asarray(labels["cam_ext"], np.float64)
    kp = np.asarray(labels["keypoints3d"], np.float64)
    return (kp - ext[:3, 3]) @ ext[:3, :3]


def contact_report(labels: dict, scene: dict, lowest: np.ndarray | None = None) -> list[dict]:
    """Per person: pose, the support surface's height (a seat's top, else 0), and above it the
    knees' (lower of the two), the mid-hip's and, given ``lowest`` (P,) world z of each body's
    lowest vertex, the lowest point's height, metres."""
    from genb.core.conventions import BODY25_INDEX as I

    kp = world_keypoints(labels)
    seats = {o["seat_of"]: o["size"][2] for o in scene.get("objects", []) if "seat_of" in o}
    rows = []
    for p, person in enumerate(scene["people"]):
        surface = float(seats.get(p, 0.0))
        rows.append({
            "pose": _base_pose(person["pose"]), "surface": surface, "seated": p in seats,
            "knee": float(min(kp[p, I["left_knee"], 2], kp[p, I["right_knee"], 2])),
            "mid_hip": float(kp[p, I["mid_hip"], 2] - surface),
            "lowest": None if lowest is None else float(lowest[p]),
        })
    return rows


def summarise_contact(rows: list[dict]) -> dict:
    """Counts of floating and sunk people (thresholds: kneeling knees > 9 cm, sitting
    mid-hip > 25 cm above the support, any body's lowest point more than 2 cm off the ground)."""
    kneel = [r for r in rows if r["pose"] in KNEELING]
    sit = [r for r in rows if r["pose"].startswith("sitting")]
    low = [r["lowest"] for r in rows if r["lowest"] is not None]
    return {
        "people": len(rows), "kneeling": len(kneel), "sitting": len(sit),
        "seated_on_seats": sum(r["seated"] for r in rows),
        "kneeling_floating": sum(r["knee"] > 0.09 for r in kneel),
        "sitting_floating": sum(r["mid_hip"] > 0.25 for r in sit),
        "knee_max_m": round(max((r["knee"] for r in kneel), default=0.0), 3),
        "mid_hip_max_m": round(max((r["mid_hip"] for r in sit), default=0.0), 3),
        "sunk_or_floating_lowest": sum(abs(v) > 0.02 for v in low),
    }


def sample_framing(labels: dict, parts: np.ndarray, depth: np.ndarray, scene: dict) -> dict:
    """One rendered sample's framing: the best person's count of keypoints visible and in frame,
    the largest person's visible area fraction, whether the first person's torso is inside the
    frame horizontally, the sky fraction, the share covered by objects (not sky, ground or people)
    and by anything but sky and bare ground, the camera's height and pitch."""
    from genb.core.conventions import BODY25_INDEX as I, SCENE_PART_INDEX

    H, W = depth.shape
    vis = np.asarray(labels["keypoints_vis"]) & np.asarray(labels["keypoints_in_frame"])
    area = np.asarray(labels["mask_area"], float) / (H * W)
    torso = [I[n] for n in ("neck", "right_shoulder", "left_shoulder", "mid_hip", "right_hip", "left_hip")]
    uv = np.asarray(labels["keypoints2d"])
    inside = [bool(np.all((uv[p, torso, 0] >= 0) & (uv[p, torso, 0] <= W - 1))) for p in range(len(uv))]
    big = int(np.argmax(area)) if len(area) else -1
    sky = float(np.mean(depth <= 0))
    ground = parts == SCENE_PART_INDEX["ground"]
    person = (parts > 0) & (parts < 64)
    objects = (parts > SCENE_PART_INDEX["ground"]) & (depth > 0)
    return {
        "best_visible": int(vis.sum(axis=1).max()) if len(vis) else 0,
        "largest_area": float(area.max()) if len(area) else 0.0,
        "torso_inside": inside[big] if big >= 0 else False,
        "sky": sky, "objects": float(objects.mean()), "covered": float(1.0 - sky - ground.mean()),
        "person_share": float(person.mean()),
        "camera_height": float(scene["camera"]["position"][2]), "pitch": float(scene["camera"]["pitch_deg"]),
    }


def summarise_framing(rows: list[dict]) -> dict:
    """Shares over samples (the framing measures) and the coverage distribution."""
    q = lambda k: [round(float(x), 3) for x in np.percentile([r[k] for r in rows], [10, 25, 50, 75, 90])]  # noqa: E731
    return {
        "empty_lt13": sum(r["best_visible"] < 13 for r in rows),
        "redrawn": sum(r.get("first_best_visible", r["best_visible"]) < 13 for r in rows),
        "half_sky": float(np.mean([r["sky"] > 0.5 for r in rows])),
        "largest_lt3pct": float(np.mean([r["largest_area"] < 0.03 for r in rows])),
        "torso_inside": float(np.mean([r["torso_inside"] for r in rows])),
        "pitch_range": [round(min(r["pitch"] for r in rows), 1), round(max(r["pitch"] for r in rows), 1)],
        "objects_p10_25_50_75_90": q("objects"), "covered_p10_25_50_75_90": q("covered"),
        "camera_height_p10_50_90": [q("camera_height")[i] for i in (0, 2, 4)],
        "pitch_p10_50_90": [q("pitch")[i] for i in (0, 2, 4)],
        "largest_area_p10_50_90": [q("largest_area")[i] for i in (0, 2, 4)],
    }


# ----------------------------------------------------------------------------- framing before rendering


def sky_fraction(K: np.ndarray, cam_ext: np.ndarray, width: int, height: int, grid: int = 24) -> float:
    """Fraction of the image whose camera rays point above the horizon (on a ``grid`` x ``grid`` sample)."""
    u = (np.arange(grid) + 0.5) * width / grid - 0.5
    v = (np.arange(grid) + 0.5) * height / grid - 0.5
    uu, vv = np.meshgrid(u, v)
    rays = np.stack([uu, vv, np.ones_like(uu)], -1) @ np.linalg.inv(K).T @ cam_ext[:3, :3]  # world directions
    return float(np.mean(rays[..., 2] > 0))


def framed_people(keypoints_world: np.ndarray, vertices_world: np.ndarray, K: np.ndarray, cam_ext: np.ndarray,
                  width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How well each person is framed, before rendering.

    Args:
        keypoints_world: (P, 25, 3); vertices_world: (P, N, 3) a subset of each body's vertices.
    Returns:
        in_frame (P,) count of keypoints in front of the camera and inside the image,
        torso_inside (P,) bool: neck, shoulders and hips inside the image horizontally,
        box (P,) fraction of the image covered by the box of the vertices, clipped to it.
    """
    from genb.core.conventions import BODY25_INDEX as I

    def proj(x):
        c = x @ cam_ext[:3, :3].T + cam_ext[:3, 3]
        z = c[..., 2]
        uv = c[..., :2] / np.maximum(z, 1e-6)[..., None] * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]
        return uv, z > 0.05

    uv, front = proj(np.asarray(keypoints_world, np.float64))
    inside = front & (uv[..., 0] >= 0) & (uv[..., 0] <= width - 1) & (uv[..., 1] >= 0) & (uv[..., 1] <= height - 1)
    torso = [I[n] for n in ("neck", "right_shoulder", "left_shoulder", "mid_hip", "right_hip", "left_hip")]
    torso_in = np.all(front[:, torso] & (uv[:, torso, 0] >= 0) & (uv[:, torso, 0] <= width - 1), axis=1)
    vuv, vfront = proj(np.asarray(vertices_world, np.float64))
    lo = np.clip(np.where(vfront[..., None], vuv, np.inf).min(axis=1), 0, [width, height])
    hi = np.clip(np.where(vfront[..., None], vuv, -np.inf).max(axis=1), 0, [width, height])
    box = np.prod(np.maximum(hi - lo, 0), axis=1) / (width * height)
    return inside.sum(axis=1), torso_in, box


def hidden_by_nearer(keypoints_world: np.ndarray, nearer_vertices: np.ndarray, K: np.ndarray, cam_ext: np.ndarray,
                     width: int, height: int) -> int:
    """How many of one person's keypoints fall inside the convex outline of a nearer person (a cheap,
    conservative stand-in for the depth test before anything is rendered).

    Args:
        keypoints_world: (25, 3); nearer_vertices: (Q, N, 3) vertex subsets of the people in front.
    """
    return int(inside_outlines(keypoints_world, nearer_vertices, K, cam_ext, width).sum())


def inside_outlines(keypoints_world: np.ndarray, nearer_vertices: np.ndarray, K: np.ndarray, cam_ext: np.ndarray,
                    width: int) -> np.ndarray:
    """(N,) bool: which points fall inside the convex outline of any of the point sets ``nearer_vertices``
    (Q, M, 3) (people or objects in front), projected; :func:`hidden_by_nearer` counts them."""
    import cv2

    def proj(x):
        c = x @ cam_ext[:3, :3].T + cam_ext[:3, 3]
        return c[..., :2] / np.maximum(c[..., 2:], 1e-6) * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]

    pts = proj(np.asarray(keypoints_world, np.float64))
    hidden = np.zeros(len(pts), bool)
    for verts in np.asarray(nearer_vertices, np.float64):
        hull = cv2.convexHull(np.clip(proj(verts), -4 * width, 4 * width).astype(np.float32))
        hidden |= np.array([cv2.pointPolygonTest(hull, (float(u), float(v)), False) >= 0 for u, v in pts])
    return hidden


def hidden_by_meshes(points_world: np.ndarray, meshes: list[tuple[np.ndarray, np.ndarray]], K: np.ndarray,
                     cam_ext: np.ndarray, eps: float = 0.02) -> np.ndarray:
    """(N,) bool: which points a mesh hides from the camera (a ray cast, exact for the meshes given).

    For the things that come with a person after framing (the seat under them, the object in their
    hands): their backrest or box can hide the very person the camera was framed on.

    Args:
        points_world: (N, 3) world points, metres; meshes: (vertices (V, 3) world, faces (F, 3)) each.
        K: (3, 3); cam_ext: (4, 4) world to camera. eps: a hit within this many metres of the point
            does not count (a seat touching the body hides nothing of the keypoint inside it).
    """
    from genb.render.labels.truth import ray_mesh_hits

    R, t = np.asarray(cam_ext, np.float64)[:3, :3], np.asarray(cam_ext, np.float64)[:3, 3]
    pts = np.asarray(points_world, np.float64) @ R.T + t
    hidden = np.zeros(len(pts), bool)
    front = pts[:, 2] > 1e-3
    if not front.any():
        return hidden
    proj = lambda c: c[:, :2] / np.maximum(c[:, 2:], 1e-6) * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]  # noqa: E731
    sel = np.flatnonzero(front)
    dist = np.linalg.norm(pts[sel], axis=1)
    for verts, faces in meshes:
        v = np.asarray(verts, np.float64) @ R.T + t
        if not (v[:, 2] > 1e-3).any():
            continue
        v_uv = proj(np.where(v[:, 2:] > 1e-3, v, np.c_[v[:, :2], np.full(len(v), 1e-3)]))
        n_idx, _, tt = ray_mesh_hits(pts[sel], proj(pts[sel]), v, v_uv, np.asarray(faces, np.int64))
        before = tt < 1.0 - eps / dist[n_idx]
        hidden[sel[n_idx[before]]] = True
    return hidden


def aim_person(rng: np.random.Generator, cfg, camera, height: float, radius: float,
               tries: int = 48, crown: np.ndarray | None = None, yaw_deg: float | None = None,
               whole: np.ndarray | None = None) -> tuple[float, np.ndarray] | None:
    """A camera height and a ground position at which one person of ``height`` metres is framed as the
    preset wants, for the camera's drawn orientation and field of view (the camera moves up or down
    within ``camera_height``; its pitch, roll and yaw stay inside their ranges as drawn).

    Placement draws the feet's pixel and keeps the spot when the person's apparent height and head row
    fall inside the preset's ranges; for a short or crouching person under a camera above their head
    no spot may exist. Here the feet's row ``v`` and apparent height ``frac`` are drawn within the
    ranges (``v - frac`` in ``head_row``) and the camera height follows: the feet's depth along the
    ray through ``(u, v)`` is ``c * k(v)`` for a camera at height ``c``, so ``frac = fy h / (c k H)``.

    Args:
        camera: a :class:`genb.render.scene.CameraRecipe` (its position's height is not read).
        height, radius: the person's standing height and footprint radius, metres.
        crown: (M, 3) the person's crown in their rested frame (:func:`genb.render.scene.heads.crowns`): the
            head row is tested on the head's top at ``yaw_deg``, or at every yaw the person may be given
            after (None: on the body's top straight above the ground position).
        whole: (M, 3) the person's outline in their rested frame (:func:`genb.render.scene.outline.outlines`):
            kept inside the image too, at ``yaw_deg`` or at every yaw (None: not tested).
    Returns:
        (camera height (m), ground position (2,)) or None when no draw fits the ranges.
    """
    K, W, H = camera.K, camera.width, camera.height
    ext0 = np.asarray(camera.cam_ext, np.float64)  # (built once: the camera's height is all the tries change)
    R = ext0[:3, :3]
    M = R.T @ np.linalg.inv(K)  # pixel (x, y, 1) -> world ray direction
    c_lo, c_hi = cfg.camera_height
    f_lo, f_hi = cfg.person_height_frac
    for _ in range(tries):
        u = rng.uniform(0.3, 0.7)
        v = rng.uniform(*cfg.feet_row)
        # the head's row is about v - frac (exactly so at zero pitch): draw near that, then test exactly
        lo, hi = max(f_lo, v - cfg.head_row[1] - 0.1), min(f_hi, v - cfg.head_row[0] + 0.1)
        if lo > hi:
            continue
        frac = rng.uniform(lo, hi)
        w = M @ np.array([u * (W - 1), v * (H - 1), 1.0])
        if w[2] >= -1e-6:
            continue  # above the horizon: the feet never meet the ground
        k = float(R[2] @ w) / -w[2]  # the feet's camera depth per metre of camera height
        c = K[1, 1] * height / (frac * H * k)
        xy = np.array(camera.position[:2], np.float64) + c / -w[2] * w[:2]
        dist = float(np.linalg.norm(xy - camera.position[:2]))
        if not (c_lo <= c <= c_hi and radius + 0.4 <= dist <= cfg.max_distance):
            continue
        if crown is not None:
            ext = ext0.copy()
            ext[:3, 3] = -R @ np.array([*camera.position[:2], c], np.float64)  # the camera at height c
            lo_row, hi_row = heads.rows_over_yaws(crown, xy, K, ext, H, yaw_deg)
            if cfg.head_row[0] <= lo_row and hi_row <= cfg.head_row[1] and whole_at(cfg, whole, xy, K, ext, W, H, yaw_deg):
                return float(c), xy
            continue
        head = R @ (np.array([*xy, height]) - [*camera.position[:2], c])
        if head[2] > 0 and cfg.head_row[0] <= (head[1] / head[2] * K[1, 1] + K[1, 2]) / (H - 1) <= cfg.head_row[1]:
            if whole is None:
                return float(c), xy
            ext = ext0.copy()
            ext[:3, 3] = -R @ np.array([*camera.position[:2], c], np.float64)
            if whole_at(cfg, whole, xy, K, ext, W, H, yaw_deg):
                return float(c), xy
    return None


def whole_at(cfg, whole: np.ndarray | None, xy: np.ndarray, K: np.ndarray, ext: np.ndarray, W: int, H: int,
              yaw_deg: float | None) -> bool:
    """Whether the outline ``whole`` (None: not tested) of a person at ``xy`` is inside the image (the bottom
    edge only where ``feet_row`` keeps the feet in frame)."""
    if whole is None:
        return True
    bottom = 1.0 if cfg.feet_row[1] <= 1.0 else None
    return outline.inside_at_yaws(whole, xy, K, ext, W, H, 0.0, bottom, yaw_deg)
