"""Rigid pieces of an outfit, built from the posed keypoints: buns and ponytails, a cap's brim,
a backpack. Each returns one :class:`~genb.render.dress.mesh.GarmentMesh` in the world frame."""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.atlas import head_frame, trunk_frame
from genb.render.dress.hair import outward
from genb.render.dress.materials import hair_colors
from genb.render.dress.mesh import GarmentMesh, ellipsoid, mesh_normals
from genb.render.dress.ponytail import ponytail_mesh
from genb.render.dress.vec import norm


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


BAG_GAP = 0.006  # between a bag and the cloth it rests on, metres
PACK_GRID = (7, 9)  # a backpack's nodes across and down
REACH = 0.6  # a node rests on the outermost point within this many node spacings of it


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


def _clear_between_nodes(y: np.ndarray, L: np.ndarray, x0: float, top: float, hx: float, hz: float) -> np.ndarray:
    """(nx, nz) panel depths ``y`` raised so that the panel between its nodes (the triangles :func:`pillow`
    draws: (a, b, c) and (a, c, d) per cell) lies ``BAG_GAP`` out of every point of ``L`` (P, 3) in the
    trunk's frame: a node's envelope sees only the points near it, and a bulge between two nodes would
    pass through the flat panel. The corners of each triangle under a point are raised by the point's
    shortfall (their weights sum to one: one pass clears every point)."""
    nx, nz = y.shape
    s, t = (L[:, 0] - x0) / hx, (top - L[:, 2]) / hz
    i, j = np.floor(s).astype(np.int64), np.floor(t).astype(np.int64)
    ok = (i >= 0) & (i < nx - 1) & (j >= 0) & (j < nz - 1)
    if not ok.any():
        return y
    i, j, s, t, need = i[ok], j[ok], s[ok] - i[ok], t[ok] - j[ok], L[ok, 1] + BAG_GAP
    upper = s >= t  # triangle (a, b, c) = ((i, j), (i+1, j), (i+1, j+1)); else (a, c, d) with d = (i, j+1)
    ya, yc = y[i, j], y[i + 1, j + 1]
    yo = np.where(upper, y[i + 1, j], y[i, j + 1])  # b or d
    h = np.where(upper, ya + s * (yo - ya) + t * (yc - yo), ya + t * (yo - ya) + s * (yc - yo))
    short = np.maximum(need - h, 0.0)
    lift = np.zeros_like(y)
    for ci, cj in ((i, j), (i + 1, j + 1), (np.where(upper, i + 1, i), np.where(upper, j, j + 1))):
        np.maximum.at(lift, (ci, cj), short)
    return y + lift


def backpack_mesh(surface: np.ndarray, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A backpack whose front panel follows the back it rests on.

    In the trunk's frame (:func:`~genb.render.dress.atlas.trunk_frame`), a grid of ``PACK_GRID`` nodes
    over the back (30 cm wide, 42 % of the trunk long, from 8 cm under the neck) takes at each node the
    outermost point of ``surface`` around it (within ``REACH`` node spacings: an envelope) plus
    ``BAG_GAP``: the panel touches the skin or cloth without entering it and bends with the spine in any
    pose. The outer face bulges up to 13 cm (scaled with the trunk), rounded at the edges.

    Args:
        surface: (N, 3) the body and the cloth over it, world frame, metres.
        keypoints: (25, 3) BODY25. Returns (M, 3) float32 vertices, (F, 3) uint32 faces.
    """
    origin, R, length = trunk_frame(keypoints)
    scale = length / 0.5
    nx, nz = PACK_GRID
    width, height, top = 0.3 * min(scale, 1.1), 0.42 * scale, -0.08 * scale
    gx, gz = np.linspace(-width / 2, width / 2, nx), np.linspace(top, top - height, nz)
    hx, hz = width / (nx - 1), height / (nz - 1)
    L = (np.asarray(surface, np.float64) - origin) @ R
    L = L[(np.abs(L[:, 0]) < width / 2 + hx) & (L[:, 2] < top + hz) & (L[:, 2] > top - height - hz) & (L[:, 1] > -0.02)]
    near = (np.abs(L[None, None, :, 0] - gx[:, None, None]) <= REACH * hx) & (np.abs(L[None, None, :, 2] - gz[None, :, None]) <= REACH * hz)
    back = np.where(near, L[None, None, :, 1], -np.inf).max(axis=2) if len(L) else np.full((nx, nz), -np.inf)
    back = np.where(np.isfinite(back), back, back[np.isfinite(back)].max() if np.isfinite(back).any() else 0.12)
    y_in = _clear_between_nodes(back + BAG_GAP, L, gx[0], top, hx, hz)
    u, w = np.meshgrid(np.linspace(-1, 1, nx), np.linspace(-1, 1, nz), indexing="ij")
    bulge = 0.025 + 0.105 * scale * np.sqrt(np.clip((1 - np.abs(u) ** 4) * (1 - np.abs(w) ** 4), 0.0, 1.0))
    X, Z = np.meshgrid(gx, gz, indexing="ij")
    inner = np.stack([X, y_in, Z], -1)
    outer = np.stack([X, y_in + bulge, Z], -1)
    v, f = pillow(inner @ R.T + origin, outer @ R.T + origin)
    return v, f


def bag(kind: str, vertices: np.ndarray, keypoints: np.ndarray, color: np.ndarray, outer: float = 0.0,
        surface: np.ndarray | None = None) -> GarmentMesh:
    """A backpack (``kind``) on the back, resting on ``surface`` (N, 3): the body and the cloth on it
    (default: the body, ``outer`` metres of cloth assumed over it). A shoulder bag hangs from its sash
    (:mod:`genb.render.dress.bag_hang`)."""
    if surface is None:
        n = vertices - vertices.mean(0)
        surface = vertices + outer * n / np.maximum(norm(n, keepdims=True), 1e-9)
    v, f = backpack_mesh(surface, keypoints)
    n = mesh_normals(v, f)
    col = np.broadcast_to(color, v.shape).copy()
    return GarmentMesh(v, n, f, col, PART_INDEX["bag"], None, kind)
