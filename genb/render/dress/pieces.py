"""Rigid pieces of an outfit, built from the posed keypoints: buns and ponytails, a cap's brim,
bags. Each returns one :class:`~genb.render.dress.mesh.GarmentMesh` in the world frame."""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.atlas import head_frame, trunk_frame
from genb.render.dress.materials import hair_colors
from genb.render.dress.mesh import GarmentMesh, box, ellipsoid, mesh_normals
from genb.render.dress.shells import ring_faces

TORSO = PART_INDEX["torso"]


def hair_piece(hair: dict, keypoints: np.ndarray, t: float) -> GarmentMesh:
    """A bun (an ellipsoid) or a ponytail (a tapered tube hanging from the back of the head) in
    the head's frame, ``t`` metres out of the scalp (the hair's thickness)."""
    origin, R = head_frame(keypoints)
    color = hair["color"]
    if hair["shape"] == "bun":
        c = origin + R @ np.array([0.0, -0.095 - t, 0.075])
        v, f = ellipsoid(c, R, np.array([0.045, 0.04, 0.04]))
    else:  # ponytail: a tapered tube from the back of the head, hanging down
        start = origin + R @ np.array([0.0, -0.1 - t, 0.03])
        down = -R[:, 1] * 0.35 + np.array([0.0, 0.0, -1.0])
        down /= np.linalg.norm(down)
        rings, bins, length = 6, 10, 0.24
        s = np.linspace(0, 1, rings)
        centres = start + np.outer(s * length, down) - np.outer(s * (1 - s) * 0.05, R[:, 1])
        radius = 0.028 * (1 - 0.65 * s) + 0.004
        u = np.cross(down, R[:, 0])
        u /= np.linalg.norm(u)
        ph = np.arange(bins) / bins * 2 * np.pi
        ring = np.cos(ph)[:, None] * R[:, 0] + np.sin(ph)[:, None] * u
        v = (centres[:, None] + radius[:, None, None] * ring[None]).reshape(-1, 3).astype(np.float32)
        f = ring_faces(rings, bins)
    rest = (v - origin) @ R
    return GarmentMesh(v, mesh_normals(v, f), f, hair_colors(color, rest), PART_INDEX["hair"], None,
                       f"hair:{hair['shape']}")


def brim(keypoints: np.ndarray, color: np.ndarray, t: float) -> GarmentMesh:
    """A cap's brim over the forehead, ``t`` metres over the scalp."""
    origin, R = head_frame(keypoints)
    ang = np.linspace(-1.2, 1.2, 9)
    inner = np.stack([0.085 * np.sin(ang), 0.07 + 0.025 * np.cos(ang), np.full_like(ang, 0.06 + t)], 1)
    outer = np.stack([0.095 * np.sin(ang), 0.08 + 0.075 * np.cos(ang), np.full_like(ang, 0.045 + t)], 1)
    local = np.concatenate([inner, outer])
    v = (origin + local @ R.T).astype(np.float32)
    n9 = len(ang)
    f = np.concatenate([[[i, n9 + i, n9 + i + 1], [i, n9 + i + 1, i + 1]] for i in range(n9 - 1)]).astype(np.uint32)
    return GarmentMesh(v, mesh_normals(v, f), f, np.broadcast_to(color * 0.9, v.shape).copy(), PART_INDEX["headwear"],
                       None, "cap:brim")


def bag(atlas, kind: str, vertices: np.ndarray, keypoints: np.ndarray, color: np.ndarray, outer: float = 0.0) -> GarmentMesh:
    """A backpack on the back (``outer`` metres of cloth under it) or a small bag at the right hip."""
    origin, R, length = trunk_frame(keypoints)
    a = atlas
    trunk = vertices[a.parts == TORSO].astype(np.float64) - origin
    if kind == "backpack":
        height = 0.42 * length / 0.5
        band = (trunk @ R[:, 2] < -0.08) & (trunk @ R[:, 2] > -0.08 - height)
        back = float((trunk[band] @ R[:, 1]).max()) if band.any() else 0.12
        c = origin + R @ np.array([0.0, back + outer + 0.072, -0.08 - height / 2])
        v, f = box(c, R, np.array([0.15, 0.07, height / 2]))
    else:  # a small bag at the right hip, hanging from the sash
        hip = keypoints[K25["right_hip"]].astype(np.float64)
        side = float((trunk @ -R[:, 0]).max())
        c = hip - R[:, 0] * 0.09 + R @ np.array([-(side - 0.05 + outer), 0.0, -0.1])
        v, f = box(c, R, np.array([0.04, 0.11, 0.09]))
    n = mesh_normals(v, f)
    col = np.broadcast_to(color, v.shape).copy()
    return GarmentMesh(v, n, f, col, PART_INDEX["bag"], None, kind)
