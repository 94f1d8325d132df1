"""A daypack on the back: a body with depth, a domed back face, a rounded top, a front pocket and two
zips, built out from a panel that rests on the back (:func:`daypack`).

In the trunk's frame (:func:`~genb.render.dress.atlas.trunk_frame`: x to the left shoulder, y backward, z up
along the spine, origin at the neck) a grid of ``PACK_GRID`` nodes over the back (30 cm wide, 42 % of the
trunk long, from 8 cm under the neck) takes at each node the outermost point of the body and its cloth
around it plus ``BAG_GAP`` (:func:`back_panel`): the panel touches the skin or cloth without entering it and
bends with the spine in any pose. The outer face stands out of it by :func:`shape`: full across the middle,
rounding off to ``EDGE_M`` at its sides, its top and its base in quarter ellipses whose nodes are spaced by angle
(soft edges, not a box's), its width drawn in at the top corners; domed across and bulging a little down it.
A pocket on the lower outer face adds ``pocket_depth``; together they stand no further out than the pack
the framing outline assumes (:func:`genb.render.scene.outline.carried`: 0.025 + 0.105 m per 0.5 m of
trunk). Its outline scales with the trunk; what is metres on an adult (the border, the zips, 2.5 cm of the
depth) with a child's size (``fit``, :func:`~genb.render.dress.fit.size_scale`). Pure geometry.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.atlas import trunk_frame
from genb.render.dress.mesh import GarmentMesh, mesh_normals
from genb.render.dress.pieces import band, pillow

BAG_GAP = 0.006  # between a bag and the cloth it rests on, metres
PACK_GRID = (11, 15)  # a backpack's nodes across and down
REACH = 0.75  # a node rests on the outermost point within this many node spacings of it (under 1)
EDGE_M = 0.015  # the pack's depth along the border of its back panel (an adult's)
SIDE, TOP, BASE = 0.6, 0.7, 0.44  # shares of the half width and half height its sides, top and base round over
POCKET = (slice(2, 9), slice(8, 14))  # the front pocket's nodes of the outer face (across -0.6..0.6, down 0.14..0.86)
ZIP_WIDTH_M, ZIP_THICK_M, ZIP_LIFT_M = 0.01, 0.002, 0.002
CAP_M = 0.03  # the most a pack's back panel stands out of the outermost point of the trunk's own cover under it


def back_panel(surface: np.ndarray, keypoints: np.ndarray, torso: np.ndarray | None = None):
    """The pack's back panel: (origin (3,), R (3, 3), scale (trunk length / 0.5 m), and (nx, nz) grids X,
    Y, Z of its nodes in the trunk's frame), each node ``BAG_GAP`` out of the outermost point of
    ``surface`` (N, 3) within ``REACH`` node spacings of it, and raised where a point between nodes would
    pass through the triangles between them; but no more than ``CAP_M`` (+ ``BAG_GAP``) out of the outermost
    point of ``torso`` (M, 3) under the whole panel, where given (the torso's skin and the tops, coats and
    dresses over it: a coat's back falls straight from the shoulder blades over the small of the back, and
    bunches up behind a seated back): a limb behind the back (a hand, a lunge's raised back foot) does not
    pull a corner of the panel off it."""
    origin, R, length = trunk_frame(keypoints)
    scale = length / 0.5
    nx, nz = PACK_GRID
    width, height, top = 0.3 * min(scale, 1.1), 0.42 * scale, -0.08 * scale
    gx, gz = np.linspace(-width / 2, width / 2, nx), np.linspace(top, top - height, nz)
    hx, hz = width / (nx - 1), height / (nz - 1)

    def local(points):
        P = (np.asarray(points, np.float64) - origin) @ R
        return P[(np.abs(P[:, 0]) < width / 2 + hx) & (P[:, 2] < top + hz) & (P[:, 2] > top - height - hz) & (P[:, 1] > -0.02)]

    def filled(back):  # a node with no point in reach takes its neighbours' (the most of them), ring by ring
        for _ in range(nx + nz):
            if np.isfinite(back).all() or not np.isfinite(back).any():
                break
            pad = np.pad(back, 1, constant_values=-np.inf)
            near = np.max([pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]], axis=0)
            back = np.where(np.isfinite(back), back, near)
        return np.where(np.isfinite(back), back, 0.12)

    L = local(surface)
    X, Z = np.meshgrid(gx, gz, indexing="ij")
    Y = _clear_between_nodes(filled(_envelope(L, gx[0], top, hx, hz, (nx, nz))) + BAG_GAP, L, gx[0], top, hx, hz)
    if torso is not None:
        skin = _envelope(local(torso), gx[0], top, hx, hz, (nx, nz))
        if np.isfinite(skin).any():
            Y = np.minimum(Y, skin[np.isfinite(skin)].max() + CAP_M + BAG_GAP)
    return origin, R, scale, X, Y, Z


def _envelope(L: np.ndarray, x0: float, top: float, hx: float, hz: float, shape: tuple) -> np.ndarray:
    """(nx, nz) per node of the grid (x0 + i hx, top - j hz) the largest y of the points ``L`` (P, 3) within
    ``REACH`` node spacings of it across and down (-inf where none): each point is binned to the (at most two)
    columns and rows in reach (REACH < 1)."""
    s, t = (L[:, 0] - x0) / hx, (top - L[:, 2]) / hz
    back = np.full(shape, -np.inf)
    for i in (np.floor(s), np.floor(s) + 1):
        for j in (np.floor(t), np.floor(t) + 1):
            ok = (np.abs(s - i) <= REACH) & (np.abs(t - j) <= REACH) & (i >= 0) & (i < shape[0]) & (j >= 0) & (j < shape[1])
            np.maximum.at(back, (i[ok].astype(np.int64), j[ok].astype(np.int64)), L[ok, 1])
    return back


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


def total_depth(scale: float, fit: float = 1.0) -> float:
    """The most a pack (its pocket included) stands out of its back panel, metres: 13 cm for an adult's 0.5 m
    trunk (the outline's bound, :func:`genb.render.scene.outline.carried`); a child's 2.5 cm of it times its
    ``fit`` (:func:`~genb.render.dress.fit.size_scale`), the rest with its trunk."""
    return 0.025 * fit + 0.105 * scale


def pocket_depth(scale: float) -> float:
    """How far the front pocket stands out of the pack's outer face at its middle, metres."""
    return 0.03 * min(scale, 1.0)


def rounded(t: np.ndarray, zone: float) -> tuple[np.ndarray, np.ndarray]:
    """A rounded edge of a pack over its border's ``zone`` (a share of the half width or height): for nodes ``t``
    (their distance in from the border over the zone's, 0..1; past 1 inside the face) their place in from the
    border (a share of the half width: ``zone`` at ``t`` = 1, in step past it) and their share of the full depth:
    a quarter ellipse from the side wall to the face, its nodes evenly spaced by angle along it."""
    phi = np.clip(t, 0.0, 1.0) * (np.pi / 2)
    return np.where(t < 1.0, zone * (1.0 - np.cos(phi)), zone * t), np.sin(phi)


def shape(nx: int, nz: int, scale: float, fit: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(nx, nz) the main compartment's depth out of its back panel at each node (metres), and (nx, nz) each outer
    node's place across and down (u, w: shares of the panel's half width and height, -1..1, w -1 at the top; the
    panel's nodes are evenly spaced in both). Its sides round over ``SIDE`` of the half width, its top over ``TOP``
    of the half height and its base over ``BASE`` (:func:`rounded`), the top's width drawn in to 0.8 at its
    corners; domed across (1 - 0.3 u^2: 15 % less at u = +-0.7), bulging a little down it (1 - 0.08 w^2);
    ``EDGE_M`` (times ``fit``) along the border. (On 57b37cc each outer node stood over its panel node and the depth
    rose to two thirds or more one node in from the border: the side walls met the face in chamfers and the base
    in a box's edge, turning 70 degrees in one step.)"""
    u, w = np.meshgrid(np.linspace(-1, 1, nx), np.linspace(-1, 1, nz), indexing="ij")
    side_in, across = rounded((1 - np.abs(u)) / SIDE, SIDE)
    top_in, top = rounded((1 + w) / TOP, TOP)
    base_in, base = rounded((1 - w) / BASE, BASE)
    full, edge = total_depth(scale, fit) - pocket_depth(scale), EDGE_M * fit
    d = edge + (full - edge) * across * (1 - 0.3 * u ** 2) * top * base * (1 - 0.08 * w ** 2)
    uo = np.sign(u) * (1 - side_in) * (1 - 0.2 * (1 - top) * np.abs(u))
    return d, uo, np.where(w < 0, top_in - 1, 1 - base_in)


def _normals(G: np.ndarray) -> np.ndarray:
    """(nx, nz, 3) unit normals of a grid whose first index runs along +x and second down -z (they point +y)."""
    n = np.cross(np.gradient(G, axis=0), np.gradient(G, axis=1))
    return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)


def _at(G: np.ndarray, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(S, 3) a grid ``G`` (nx, nz, 3) at fractional node indices ``s``, ``t`` (S,), bilinear."""
    i = np.clip(np.floor(s).astype(np.int64), 0, G.shape[0] - 2)
    j = np.clip(np.floor(t).astype(np.int64), 0, G.shape[1] - 2)
    a, b = (s - i)[:, None], (t - j)[:, None]
    return (G[i, j] * (1 - a) * (1 - b) + G[i + 1, j] * a * (1 - b) + G[i, j + 1] * (1 - a) * b
            + G[i + 1, j + 1] * a * b)


def zip_paths(nx: int, nz: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fractional node indices (s, t) of the zips: the main one round the top (on row 2, the top's slope) and
    down both sides (columns 1 and nx - 2) to row 8, its corners rounded (radius one node); the pocket's
    across its top (its row 1, columns 0.6 to 5.4 of its 7)."""
    arc = np.linspace(0.0, np.pi / 2, 6)
    left = np.column_stack([np.full(12, 1.0), np.linspace(8.0, 3.0, 12)])
    corner = np.column_stack([2.0 - np.cos(arc), 3.0 - np.sin(arc)])
    top = np.column_stack([np.linspace(2.0, nx - 3.0, 14), np.full(14, 2.0)])
    main = np.concatenate([left, corner[1:], top[1:], (corner * [-1, 1] + [nx - 1, 0])[::-1][1:], left[::-1][1:] * [0, 1] + [nx - 2, 0]])
    pocket = np.column_stack([np.linspace(0.6, 5.4, 12), np.full(12, 1.0)])
    return [(main[:, 0], main[:, 1]), (pocket[:, 0], pocket[:, 1])]


def _zip(G: np.ndarray, s: np.ndarray, t: np.ndarray, fit: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A zip's band along a face ``G`` (nx, nz, 3) at fractional nodes ``s``, ``t``: ``ZIP_LIFT_M`` over it (its
    sizes times ``fit``)."""
    n = _at(_normals(G), s, t)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return band(_at(G, s, t) + ZIP_LIFT_M * fit * n, n, ZIP_WIDTH_M * fit, ZIP_THICK_M * fit)


def daypack(surface: np.ndarray, keypoints: np.ndarray, color: np.ndarray,
            torso: np.ndarray | None = None, fit: float = 1.0) -> tuple[list[GarmentMesh], np.ndarray]:
    """A daypack on the back resting on ``surface`` (N, 3): the body and the cloth on it, world frame
    (``torso`` (M, 3): the torso's skin and the tops, coats and dresses on it, :func:`back_panel`).

    Returns its meshes (part ``bag``: the pack ``backpack``, its pocket ``pocket_backpack`` a shade darker,
    the two zips ``zip_backpack`` dark) and (2, 3) where its straps' lower ends meet it: its lower corners
    (left, right), 2 cm up and 1.2 cm out along its side walls. Its outline scales with the trunk, what is
    metres on an adult (its border's and zips' sizes, a share of its depth) with ``fit``
    (:func:`~genb.render.dress.fit.size_scale`: 1 for every adult, to the bit)."""
    origin, R, scale, X, Y, Z = back_panel(surface, keypoints, torso)
    nx, nz = X.shape
    d, uo, wo = shape(nx, nz, scale, fit)
    inner = np.stack([X, Y, Z], -1)
    outer = np.stack([uo * X[-1, 0], Y + d, Z[0, 0] + (wo + 1) / 2 * (Z[0, -1] - Z[0, 0])], -1)
    sink = 0.004 * fit
    pin = outer[POCKET] - np.array([0.0, sink, 0.0])  # the pocket's back sinks 4 mm into the pack's face
    pu, pw = np.meshgrid(np.linspace(-1, 1, pin.shape[0]), np.linspace(-1, 1, pin.shape[1]), indexing="ij")
    prof = np.cbrt(np.clip((1 - np.abs(pu) ** 3) * (1 - np.abs(pw) ** 3), 0.0, 1.0))
    pout = outer[POCKET] + np.stack([0 * pu, sink + (pocket_depth(scale) - sink) * prof, 0 * pu], -1)
    (ms, mt), (ps, pt) = zip_paths(nx, nz)
    zips = [_zip(outer, ms, mt, fit), _zip(pout, ps, pt, fit)]
    world = lambda G: G @ R.T + origin  # noqa: E731
    out = []
    for (a, b), shade, name in [((inner, outer), 1.0, "backpack"), ((pin, pout), 0.88, "pocket_backpack"),
                                *[((z0, z1), 0.3, "zip_backpack") for z0, z1 in zips]]:
        v, f = pillow(world(a), world(b))
        col = np.broadcast_to(np.asarray(color, np.float32) * shade, v.shape).copy()
        out.append(GarmentMesh(v, mesh_normals(v, f), f, col, PART_INDEX["bag"], None, name))
    corners = inner[[-1, 0], -1] + np.array([0.0, 0.012, 0.02])
    return out, world(corners)
