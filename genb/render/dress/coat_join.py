"""A coat's tight shell and its tail one surface at the hips.

A coat with a tail is a tight shell over the trunk and arms (:mod:`~genb.render.dress.shells`)
and a loose tail hung from the hips (:func:`~genb.render.dress.hang.hang_grid`). Built apart, the
shell's hem and the tail's top ring lie at different heights and offsets: a ledge (the shell's
hem over the tail), a tier, or a thin gap showing the body. Here the shell ends where the tail
begins (:data:`TOP`) and the tail's top ring is moved onto the shell's hem ring (same positions),
the move blended out down the tail over :data:`BLEND` metres of cloth (:func:`join`), so the
coat reads as one garment; below that the tail hangs and splits as before.

Pure functions over numpy arrays (world frame, metres).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.hang import grid_normals

TOP = 0.05  # trunk coordinate: the tail hangs from this far above the coat's waist (the shell ends there)
BLEND = 0.08  # metres down the tail over which its top ring's move fades out
HEM_REACH = 0.03  # trunk coordinate: shell hem vertices up to this far above the tail's top are its ring


def hem_ring(shell, torso: np.ndarray, is_torso: np.ndarray, vertices: np.ndarray, top: float) -> np.ndarray:
    """(H, 3) the posed outer hem vertices of a tight shell's trunk hem (not its cuffs or collar).

    ``shell``: the :class:`~genb.render.dress.shells.Shell` (its ``twin``: a hem's inner-edge vertex
    -> the outer one it hangs from; ``blend`` (G, V)); ``torso``: (V,) the body's trunk coordinate,
    ``is_torso`` (V,) bool its trunk; ``vertices``: (G, 3) the posed shell; ``top``: the shell's
    waist (trunk coordinate). Empty where the shell has no hem strips."""
    if shell.twin is None:
        return np.zeros((0, 3), np.float64)
    inner = shell.twin != np.arange(shell.num_vertices)
    outer = np.unique(shell.twin[inner])
    t = np.asarray(shell.blend @ np.where(is_torso, torso, 9.0)).ravel()[outer]
    return np.asarray(vertices, np.float64)[outer[t < top + HEM_REACH]]


def _angles(P: np.ndarray, centre: np.ndarray, up: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(N,) angles (radians) of points ``P`` (N, 3) about the axis ``up`` through ``centre``, from ``ref``."""
    a = ref - up * (ref @ up)
    a /= max(float(np.linalg.norm(a)), 1e-12)
    b = np.cross(up, a)
    d = P - centre
    return np.arctan2(d @ b, d @ a)


def hem_targets(ring: np.ndarray, below: np.ndarray, hem: np.ndarray) -> np.ndarray:
    """(bins, 3) the points of the shell's hem ``hem`` (H, 3) at the angles of a tail's top ring
    ``ring`` (bins, 3) about its axis (up: from the centroid of ``below`` (bins, 3), a ring under it,
    to the ring's), interpolated around the hem by angle: one point per bin, in order."""
    c = ring.mean(axis=0)
    up = c - below.mean(axis=0)
    up /= max(float(np.linalg.norm(up)), 1e-12)
    ref = ring[0] - c
    at = _angles(ring, c, up, ref)
    ah = _angles(hem, c, up, ref)
    order = np.argsort(ah)
    ah, hs = ah[order], hem[order]
    return np.stack([np.interp(at, ah, hs[:, k], period=2 * np.pi) for k in range(3)], axis=1)


def join(vertices: np.ndarray, bins: int, hem: np.ndarray, blend: float = BLEND) -> tuple[np.ndarray, np.ndarray]:
    """A tail's grid (``vertices`` (rings * bins, 3), ring 0 its top) with its top ring moved onto the
    shell's hem ring ``hem`` (H, 3) (:func:`hem_targets`) and the move faded out (a half cosine) over
    ``blend`` metres of cloth down each column: (rings * bins, 3) float32 vertices and unit normals
    (:func:`~genb.render.dress.hang.grid_normals`). Unchanged (normals recomputed) with under 8 hem points."""
    X = np.asarray(vertices, np.float64).reshape(-1, bins, 3)
    if len(hem) >= 8:
        d0 = hem_targets(X[0], X[min(2, len(X) - 1)], hem) - X[0]
        s = np.concatenate([np.zeros((1, bins)), np.cumsum(np.linalg.norm(np.diff(X, axis=0), axis=-1), axis=0)])
        w = np.where(s < blend, 0.5 + 0.5 * np.cos(np.pi * np.minimum(s / blend, 1.0)), 0.0)
        X = X + w[..., None] * d0[None]
    return X.reshape(-1, 3).astype(np.float32), grid_normals(X).reshape(-1, 3).astype(np.float32)
