"""Held objects: the poses that hold something get it in their hands.

``carrying_box`` holds a box between the wrists, ``phone_call`` a phone at the raised hand and
``looking_at_phone`` a phone in front of both hands. Objects are placed from the posed
BODY25 keypoints (wrists, elbows) in the world frame, so they follow the sampled pose,
blend and mirroring; they are drawn like props (instance 0, part class ``held_object``),
occlude keypoints behind them and are listed in ``scene.json`` with the person who holds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.core.conventions import BODY25_INDEX, SCENE_PART_INDEX
from genb.render.scene.props import box_mesh

_I = BODY25_INDEX
HOLDING_POSES = ("carrying_box", "phone_call", "looking_at_phone")
_COLORS = {"box": [0.62, 0.47, 0.3], "phone": [0.08, 0.08, 0.09]}


def base_pose(name: str) -> str:
    """The key pose a sampled pose name starts from ('carrying_box~x:mirrored' -> 'carrying_box')."""
    return name.split("~")[0].split(":")[0]


def _frame(x: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(3, 3) rotation with columns x, y, z: x as given, z as close to ``up`` as possible."""
    x = x / max(float(np.linalg.norm(x)), 1e-9)
    z = up - x * float(up @ x)
    z = z / max(float(np.linalg.norm(z)), 1e-9)
    return np.stack([x, np.cross(z, x), z], axis=1)


def held_objects(pose_names: list[str], keypoints: np.ndarray) -> list[dict[str, Any]]:
    """Recipes of the objects held by people in holding poses.

    Args:
        pose_names: (P,) sampled pose names. keypoints: (P, 25, 3) BODY25 world keypoints, metres.
    Returns:
        one dict per object: ``type`` (box, phone), ``person`` index, ``center`` (3,) metres,
        ``rotation`` (3, 3) columns = the object's axes in the world, ``size`` [x, y, z] metres.
    """
    out = []
    up = np.array([0.0, 0.0, 1.0])
    for p, name in enumerate(pose_names):
        pose, k = base_pose(name), keypoints[p]
        lw, rw, le, re = k[_I["left_wrist"]], k[_I["right_wrist"]], k[_I["left_elbow"]], k[_I["right_elbow"]]
        if pose == "carrying_box":
            across = lw - rw
            width = max(0.2, float(np.linalg.norm(across)) - 0.06)
            fore = ((lw - le) + (rw - re)) / 2
            fore[2] = 0.0
            R = _frame(across, up)
            centre = (lw + rw) / 2 - 0.06 * fore / max(float(np.linalg.norm(fore)), 1e-9) + [0, 0, 0.04]
            out.append({"type": "box", "person": p, "center": centre.tolist(), "rotation": R.tolist(),
                        "size": [width, 0.3, 0.24]})
        elif pose in ("phone_call", "looking_at_phone"):
            if pose == "phone_call":  # the raised hand
                w, e = (lw, le) if lw[2] > rw[2] else (rw, re)
                fore = w - e
                centre = w + 0.06 * fore / max(float(np.linalg.norm(fore)), 1e-9)
            else:
                fore = ((lw - le) + (rw - re)) / 2
                centre = (lw + rw) / 2 + 0.04 * fore / max(float(np.linalg.norm(fore)), 1e-9)
            R = _frame(fore, up)  # long side along the forearm, face up
            out.append({"type": "phone", "person": p, "center": centre.tolist(), "rotation": R.tolist(),
                        "size": [0.15, 0.075, 0.012]})
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
