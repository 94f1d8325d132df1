"""A coat's tail hangs close round the hips instead of flaring out like a bell.

The tail's rest cut (:func:`~genb.render.dress.shells.loose_shell`) is the hips' and legs' widest radius
per sector plus the cloth's margin, its flare and its flutes, around the rest body's legs, which stand
apart (knees 5 cm wider than the hips each side); skinned to the thighs it grows more. Standing, its hem
stood 93-126 mm (median per person) outside the hips' and legs' outline seen from above, 7-8 cm of it the
coat's own standoff at the hips; a lunge's sides up to 264 mm. Now 65-83 mm standing, at most 118 anywhere
(``tests/test_coat_hang.py``).

Here, on the skinned grid (before it is relaxed), each ring below the top is kept within an outline seen
from above (:func:`cap`): per direction (a circumscribed :data:`DIRECTIONS`-gon) the farther of the body's
trunk and legs from the ring's height up to the tail's top plus the cloth's ``margin``, and the tail's own
top ring (the coat's hem), plus :data:`SLOPE` per metre below the top. A point outside it moves in
horizontally, towards the hip joints' vertical, to it; each column then keeps its edges' lengths (the
cloth it gave in comes down). Inwards only, never inside the body's outline plus the margin.

Pure functions over numpy arrays (world frame, z up, metres).
"""

from __future__ import annotations

import numpy as np

SLOPE = 0.05  # metres out per metre below the tail's top: the flare a hanging coat keeps
DIRECTIONS = 32  # the outline seen from above: a circumscribed 32-gon
LEAN = 0.2  # a direction counts where the point's way in is within acos(LEAN) of it


def _directions() -> np.ndarray:
    """(DIRECTIONS, 2) unit horizontal directions."""
    a = 2.0 * np.pi * np.arange(DIRECTIONS) / DIRECTIONS
    return np.stack([np.cos(a), np.sin(a)], axis=1)


def outline(X: np.ndarray, body: np.ndarray, margin: float) -> np.ndarray:
    """(rings, DIRECTIONS) how far out the tail ``X`` (rings, bins, 3) may reach in each direction of
    :func:`_directions` on each ring: the body's points ``body`` (n, 3) between the ring's height and the
    top ring's highest point, plus ``margin``, or the top ring's own reach, the farther, plus :data:`SLOPE`
    times the ring's mean drop below the top ring."""
    U = _directions()
    top = X[0]
    z0 = float(top[:, 2].max())
    zr = X[:, :, 2].min(axis=1)
    B = body[(body[:, 2] <= z0) & (body[:, 2] >= zr.min())]  # the skin beside the tail only
    hb = B[:, :1] * U[:, 0] + B[:, 1:2] * U[:, 1]  # (n, D): element-wise, the same bits everywhere
    order = np.argsort(-B[:, 2], kind="stable")
    reach = np.maximum.accumulate(hb[order], axis=0)  # highest first: the reach of everything above each point
    k = np.searchsorted(-B[order, 2], -zr, side="right")  # points at or above each ring's lowest point
    H = np.where((k > 0)[:, None], reach[np.maximum(k - 1, 0)], -np.inf) + margin
    own = (top[:, :1] * U[:, 0] + top[:, 1:2] * U[:, 1]).max(axis=0)
    drop = np.maximum(float(top[:, 2].mean()) - X[:, :, 2].mean(axis=1), 0.0)
    return np.maximum(H, own[None]) + SLOPE * drop[:, None]


def cap(X: np.ndarray, body: np.ndarray, centre: np.ndarray, margin: float) -> np.ndarray:
    """(rings, bins, 3) the skinned tail ``X`` (rings, bins, 3; ring 0 its top, unchanged) with each point
    outside :func:`outline` moved in horizontally towards ``centre`` (2,: the hip joints' midpoint seen from
    above) onto it, then each column's edges given back their lengths by lowering the points below (an
    edge drawn in hangs steeper). ``body``: (n, 3) the trunk's and legs' skin; ``margin``: the cloth's
    offset (metres)."""
    X = np.asarray(X, np.float64)
    if len(X) < 2 or not len(body):
        return X
    U = _directions()
    C = outline(X, np.asarray(body, np.float64), margin)[1:, None, :]  # (rings - 1, 1, D)
    P = X[1:, :, :2]
    d = P - np.asarray(centre, np.float64)[:2]
    d /= np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-9)
    along = d[..., :1] * U[:, 0] + d[..., 1:] * U[:, 1]  # (rings - 1, bins, D)
    over = P[..., :1] * U[:, 0] + P[..., 1:] * U[:, 1] - C
    need = np.where((along > LEAN) & (over > 0.0), over / np.maximum(along, LEAN), 0.0).max(axis=-1)
    if not (need > 1e-4).any():
        return X
    Y = X.copy()
    Y[1:, :, :2] -= need[..., None] * d
    length = np.linalg.norm(np.diff(X, axis=0), axis=-1)  # each column edge's length kept
    drop = np.diff(X[..., 2], axis=0)
    dh = np.linalg.norm(np.diff(Y[..., :2], axis=0), axis=-1)
    hang = -np.sqrt(np.maximum(length ** 2 - dh ** 2, 0.0))
    Y[1:, :, 2] = X[0, :, 2] + np.cumsum(np.where(drop < 0.0, np.minimum(drop, hang), drop), axis=0)
    return Y
