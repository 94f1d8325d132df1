"""Rigid pieces of an outfit, built from the posed keypoints: buns and ponytails, a cap's brim,
bags. Each returns one :class:`~genb.render.dress.mesh.GarmentMesh` in the world frame."""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.atlas import head_frame, trunk_frame
from genb.render.dress.hair import outward
from genb.render.dress.materials import hair_colors
from genb.render.dress.mesh import GarmentMesh, box, ellipsoid, mesh_normals
from genb.render.dress.shells import ring_faces

TORSO = PART_INDEX["torso"]


PONYTAIL_NODES, PONYTAIL_LENGTH = 8, 0.24


def ponytail_chain(start: np.ndarray, R: np.ndarray, radius: np.ndarray, surface=None) -> np.ndarray:
    """(N, 3) centres of a ponytail's nodes, metres: a chain of :data:`PONYTAIL_LENGTH` leaving the
    back of the head (head frame ``R``) and bending under gravity, each node kept its ``radius``
    (N,) plus 1 cm off the outermost surface it falls on (``surface``: (P, 3) points and (P, 3)
    unit normals, e.g. the cloth over the back; None: falls freely), so it rests on the shoulders
    and back instead of passing through them."""
    n = len(radius)
    seg = PONYTAIL_LENGTH / (n - 1)
    down = np.array([0.0, 0.0, -1.0])
    heading = -R[:, 1] * 0.8 + down * 0.6  # leaves the head backwards, then gravity takes over
    heading /= np.linalg.norm(heading)
    nodes = [np.asarray(start, np.float64)]
    for k in range(1, n):
        heading = heading * 0.45 + down
        heading /= np.linalg.norm(heading)
        p = nodes[-1] + seg * heading
        if surface is not None:
            P, N = surface
            need = radius[k] + 0.01
            for _ in range(4):  # out of every surface point near it (along that point's normal)
                near = ((P - p) ** 2).sum(1) < (need + 0.02) ** 2
                if not near.any():
                    break
                short = need - np.einsum("ij,ij->i", p - P[near], N[near])
                i = int(np.argmax(short))
                if short[i] <= 0:
                    break
                p = p + short[i] * N[near][i]
            d = p - nodes[-1]  # the hair may stretch a little over the shoulders, no more
            p = nodes[-1] + d * min(1.0, 1.25 * seg / max(np.linalg.norm(d), 1e-9))
            heading = (p - nodes[-1]) / max(np.linalg.norm(p - nodes[-1]), 1e-9)
        nodes.append(p)
    return np.stack(nodes)


def hair_piece(hair: dict, keypoints: np.ndarray, t: float, surface=None) -> GarmentMesh:
    """A bun (an ellipsoid) or a ponytail (a tapered tube from the back of the head, falling under
    gravity onto ``surface``: see :func:`ponytail_chain`) in the head's frame, ``t`` metres out of
    the scalp (the hair's thickness)."""
    origin, R = head_frame(keypoints)
    color = hair["color"]
    if hair["shape"] == "bun":
        c = origin + R @ np.array([0.0, -0.095 - t, 0.075])
        v, f = ellipsoid(c, R, np.array([0.045, 0.04, 0.04]))
    else:  # ponytail: a tapered tube from the back of the head, falling onto the back
        rings, bins = PONYTAIL_NODES, 10
        s = np.linspace(0, 1, rings)
        radius = 0.028 * (1 - 0.65 * s) + 0.004
        start = origin + R @ np.array([0.0, -0.1 - t, 0.03])
        centres = ponytail_chain(start, R, radius, surface)
        tangent = np.gradient(centres, axis=0)
        tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
        side = R[:, 0] - (tangent @ R[:, 0])[:, None] * tangent
        side /= np.maximum(np.linalg.norm(side, axis=1, keepdims=True), 1e-9)
        other = np.cross(tangent, side)
        ph = np.arange(bins) / bins * 2 * np.pi
        ring = np.cos(ph)[None, :, None] * side[:, None] + np.sin(ph)[None, :, None] * other[:, None]
        v = (centres[:, None] + radius[:, None, None] * ring).reshape(-1, 3).astype(np.float32)
        f = ring_faces(rings, bins)
        inside = np.repeat(centres, bins, axis=0)
    if hair["shape"] == "bun":
        inside = np.broadcast_to(c, v.shape)
    f = outward(v, f, inside)  # faces outwards (the label pass culls back faces)
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
