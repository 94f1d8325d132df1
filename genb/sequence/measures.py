"""Measures of a rendered sequence's motion: foot sliding, people apart, people clear of props.

Everything is re-derived from the saved record (``sequence.npz``'s world-frame body parameters
replayed through the body model, ``scene.json``'s props), never from the planner's own arrays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genb.core.records.scene import read_scene
from genb.sequence import gait


def world_vertices(body, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """(T, P, V, 3) world-frame vertices replayed from ``world_<body>_<param>`` of ``sequence.npz``."""
    prefix = f"world_{body.name}_"
    keys = [k for k in arrays if k.startswith(prefix)]
    T, P = arrays[keys[0]].shape[:2]
    params = {k[len(prefix):]: np.asarray(arrays[k]).reshape(T * P, *arrays[k].shape[2:]) for k in keys}
    verts, _ = body.forward_params(params)
    return np.asarray(verts, np.float64).reshape(T, P, -1, 3)


def inside_props(vertices: np.ndarray, objects: list[dict[str, Any]]) -> int:
    """How many of ``vertices`` (N, 3) lie inside a prop's oriented box (footprint ``size`` x, y around
    ``position``, turned by ``yaw_deg``, from the ground up to ``size`` z). Room walls are skipped."""
    n = 0
    for obj in objects:
        if obj.get("room") or "size" not in obj or "position" not in obj:
            continue
        sx, sy, sz = obj["size"]
        a = np.radians(obj.get("yaw_deg", 0.0))
        d = vertices[:, :2] - np.asarray(obj["position"], np.float64)
        u = d @ np.array([np.cos(a), np.sin(a)])
        v = d @ np.array([-np.sin(a), np.cos(a)])
        n += int(np.sum((np.abs(u) < sx / 2) & (np.abs(v) < sy / 2) & (vertices[:, 2] < sz)))
    return n


def sequence_measures(body, folder: str | Path, contact_m: float = 0.01) -> dict[str, Any]:
    """Foot sliding (m per frame), the closest two people came (m), body vertices inside props.

    Returns:
        ``foot_slide_max``: the largest move of a foot vertex in contact on two consecutive frames;
        ``stance_slide_max``: the same for the foot carrying the weight (the better planted foot);
        ``min_person_gap_m``: the smallest horizontal distance between two people's vertices;
        ``vertices_in_props``: body vertices inside a prop's box, summed over frames.
    """
    from genb.sequence.plan import foot_vertices

    folder = Path(folder)
    arrays = dict(np.load(folder / "sequence.npz"))
    V = world_vertices(body, arrays)
    feet = foot_vertices(body)
    T, P = V.shape[:2]
    slide, stance = [], []
    for p in range(P):
        per_foot = np.stack([gait.foot_slide(V[:, p], f, contact_m) for f in feet], axis=1)
        slide.append(per_foot.max())
        stance.append(per_foot.min(axis=1).max())
    gap = np.inf
    sub = slice(None, None, 25)  # every 25th vertex: distances to a few cm
    for t in range(T):
        for p in range(P):
            for q in range(p + 1, P):
                d = np.linalg.norm(V[t, p, sub, None, :2] - V[t, q, None, sub, :2], axis=-1)
                gap = min(gap, float(d.min()))
    objects = read_scene(folder / "samples" / "000000" / "scene.json").objects or []
    inside = sum(inside_props(V[t].reshape(-1, 3), objects) for t in range(T))
    return {"foot_slide_max": float(max(slide)), "stance_slide_max": float(max(stance)),
            "min_person_gap_m": gap, "vertices_in_props": inside, "people": P, "frames": T}
