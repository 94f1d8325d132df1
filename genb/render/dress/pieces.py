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
    rest = (v - origin) @ R
    return GarmentMesh(v, mesh_normals(v, f), f, hair_colors(color, rest), PART_INDEX["hair"], None,
                       f"hair:{hair['shape']}")


def brim(keypoints: np.ndarray, color: np.ndarray, t: float, cap: np.ndarray | None = None) -> GarmentMesh:
    """A cap's brim, 6 mm thick, at the front edge of the cap: ``cap`` (N, 3) the posed cap shell's vertices
    (its lowest point in front sets the brim's height, its outline there the brim's inner edge, tucked 6 mm
    inside it, so no forehead shows between cap and brim); without it, ``t`` metres over the scalp. It
    reaches 7.7 cm ahead and 2.5 cm at the sides, dipping a little; its underside is a shade darker."""
    origin, R = head_frame(keypoints)
    ang = np.linspace(-1.2, 1.2, 9)
    d = np.stack([np.sin(ang), np.cos(ang)], 1)
    z0, reach = 0.06 + t, np.hypot(0.085 * np.sin(ang), 0.07 + 0.025 * np.cos(ang))
    if cap is not None and len(cap):
        local = (np.asarray(cap, np.float64) - origin) @ R
        front = local[(local[:, 1] > 0.03) & (np.abs(local[:, 0]) < 0.05)]
        if len(front):
            z0 = float(front[:, 2].min()) + 0.004
            band = local[np.abs(local[:, 2] - z0) < 0.02]
            reach = (band[:, :2] @ d.T).max(axis=0) - 0.006
    length = 0.012 + 0.065 * np.cos(ang)
    inner = np.column_stack([d * reach[:, None], np.full(len(ang), z0)])
    outer = np.column_stack([d * (reach + length)[:, None], z0 - 0.006 - 0.012 * np.cos(ang)])
    n9, th = len(ang), 0.006
    top = np.concatenate([inner, outer])
    bottom = top - np.array([0.0, 0.0, th])
    strip = np.concatenate([[[i, n9 + i + 1, n9 + i], [i, i + 1, n9 + i + 1]] for i in range(n9 - 1)])  # faces up
    edge = np.concatenate([[[i, i + 1, n9 + i + 1], [i, n9 + i + 1, n9 + i]] for i in range(n9 - 1)])
    local = np.concatenate([top, bottom, outer, outer - np.array([0.0, 0.0, th])])
    f = np.concatenate([strip, strip[:, ::-1] + 2 * n9, edge + 4 * n9]).astype(np.uint32)
    v = (origin + local @ R.T).astype(np.float32)
    shade = np.repeat([0.9, 0.72, 0.8], [2 * n9, 2 * n9, 2 * n9])[:, None]
    return GarmentMesh(v, mesh_normals(v, f), f, (np.asarray(color, np.float32)[None] * shade).astype(np.float32),
                       PART_INDEX["headwear"], None, "cap:brim")


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
