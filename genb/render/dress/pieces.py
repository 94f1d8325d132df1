"""Rigid pieces of an outfit, built from the posed keypoints: buns and ponytails, a cap's brim (each one
:class:`~genb.render.dress.mesh.GarmentMesh` in the world frame), and :func:`pillow`, the closed mesh between
two grids that a backpack and its straps are made of (:mod:`genb.render.dress.daypack`)."""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.atlas import head_frame
from genb.render.dress.hair import outward
from genb.render.dress.materials import hair_colors
from genb.render.dress.mesh import GarmentMesh, ellipsoid, mesh_normals
from genb.render.dress.ponytail import ponytail_mesh


def hair_piece(hair: dict, keypoints: np.ndarray, t: float, surface=None) -> GarmentMesh:
    """A bun (an ellipsoid) or a ponytail (a tube from a tie on the back of the head, falling under
    gravity onto ``surface``: see :func:`genb.render.dress.ponytail.ponytail_mesh`) in the head's frame,
    ``t`` metres out of the scalp (the hair's thickness)."""
    origin, R = head_frame(keypoints)
    color = hair["color"]
    if hair["shape"] == "bun":
        c = origin + R @ np.array([0.0, -0.095 - t, 0.075])
        v, f = ellipsoid(c, R, np.array([0.045, 0.04, 0.04]))
    else:  # ponytail: gathered at a tie, widening, then narrowing to a soft tip, falling onto the back
        v, f, inside = ponytail_mesh(origin, R, t, surface)
    if hair["shape"] == "bun":
        inside = np.broadcast_to(c, v.shape)
    f = outward(v, f, inside)  # faces outwards (the label pass culls back faces)
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
    if np.linalg.det(R) < 0:  # the head's frame is left-handed: wound in it, every face would face in
        f = np.ascontiguousarray(f[:, ::-1])  # (the label pass culls back faces: it saw through the brim)
    v = (origin + local @ R.T).astype(np.float32)
    shade = np.repeat([0.9, 0.72, 0.8], [2 * n9, 2 * n9, 2 * n9])[:, None]
    return GarmentMesh(v, mesh_normals(v, f), f, (np.asarray(color, np.float32)[None] * shade).astype(np.float32),
                       PART_INDEX["headwear"], None, "cap:brim")


def pillow(inner: np.ndarray, outer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A closed mesh between two (nx, nz, 3) grids of the same layout: the inner and outer faces and
    the walls along their borders. Returns (2 nx nz, 3) vertices and (F, 3) faces facing out."""
    nx, nz = inner.shape[:2]
    n = nx * nz
    idx = np.arange(n).reshape(nx, nz)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    grid = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    ring = np.concatenate([idx[:, 0], idx[-1, 1:], idx[-2::-1, -1], idx[0, -2:0:-1]])  # the border, in order
    r0, r1 = ring, np.roll(ring, -1)
    walls = np.concatenate([np.stack([r0, r1, r1 + n], 1), np.stack([r0, r1 + n, r0 + n], 1)])
    f = np.concatenate([grid[:, ::-1], grid + n, walls]).astype(np.int64)
    v = np.concatenate([inner.reshape(-1, 3), outer.reshape(-1, 3)]).astype(np.float64)
    tri = v[f] - v.mean(0)
    if np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() < 0:  # signed volume: face out
        f = f[:, ::-1]
    return v.astype(np.float32), np.ascontiguousarray(f, np.uint32)


def band(path: np.ndarray, normals: np.ndarray, width: float, thick: float) -> tuple[np.ndarray, np.ndarray]:
    """A flat band along ``path`` (S, 3) whose inner face lies on it: ``width`` across (perpendicular to the
    path and to its ``normals`` (S, 3), unit, pointing away from what it lies on), ``thick`` out along the
    normals. Returns its inner and outer grids, (2, S, 3) each, for :func:`pillow`."""
    p, n = np.asarray(path, np.float64), np.asarray(normals, np.float64)
    across = np.cross(np.gradient(p, axis=0), n)
    across /= np.maximum(np.linalg.norm(across, axis=1, keepdims=True), 1e-12)
    inner = np.stack([p - across * width / 2, p + across * width / 2])
    return inner, inner + thick * n[None]
