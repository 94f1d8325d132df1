"""Backpack shoulder straps: flat bands that run from under the pack's top, over each shoulder and
down the chest, lying on the outermost cloth (or skin) of the posed trunk.

Each strap is built in the trunk's frame (:func:`~genb.render.dress.atlas.trunk_frame`: x to the left
shoulder, y backward, z up along the spine, origin at the neck) in the sagittal plane halfway out to
its shoulder (splaying out down the chest): seen from a centre inside the upper chest, at each of ``STEPS`` angles from the back
(under the pack) over the shoulder to the front, the band lies ``GAP_M`` outside the outermost point
of the surface within that angle and the band's width (an envelope), so it touches without entering
and follows the shoulders and spine in any pose. Pure geometry; a few hundred vertices a strap.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25

STEPS = 40  # samples along a strap
WIDTH_M = 0.045  # the band's width
THICK_M = 0.006  # its thickness
GAP_M = 0.003  # between the band and the surface under it
ANGLES_DEG = (100.0, -140.0)  # from the back (0 = up along the spine, + backward) over the shoulder to the front
OUT_FRAC = 0.55  # a strap crosses the shoulder this far from the neck toward the shoulder joint
SPLAY_M = 0.025  # and runs this much further out by its front end (toward the armpit)
HALF_CONE_DEG = 4.0  # the angular reach of each sample's envelope


def strap_grids(surface: np.ndarray, keypoints: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per shoulder (left, right) the strap's inner and outer grids, (2, STEPS, 3) each, world frame.

    Args:
        surface: (N, 3) the trunk's skin and the cloth over it (no bare arms), world frame, metres.
        keypoints: (25, 3) BODY25 world keypoints.
    """
    from genb.render.dress.atlas import trunk_frame

    origin, R, length = trunk_frame(keypoints)
    scale = length / 0.5
    L = (np.asarray(surface, np.float64) - origin) @ R
    theta = np.radians(np.linspace(*ANGLES_DEG, STEPS))
    direction = np.stack([np.sin(theta), np.cos(theta)], 1)  # (STEPS, 2): (y, z)
    centre = np.array([0.0, -0.14 * scale])
    splay = SPLAY_M * np.clip(-theta / np.radians(-ANGLES_DEG[1]), 0.0, 1.0)  # (STEPS,): 0 behind, grows in front
    out = []
    for s in (K25["left_shoulder"], K25["right_shoulder"]):
        x0 = OUT_FRAC * float((np.asarray(keypoints[s], np.float64) - origin) @ R[:, 0])
        x = x0 + np.sign(x0) * splay  # (STEPS,)
        band = L[(L[:, 0] > x.min() - WIDTH_M / 2 - 0.01) & (L[:, 0] < x.max() + WIDTH_M / 2 + 0.01)]
        r = _envelope(band[:, 1:] - centre, band[:, 0], theta, x)
        edges = []
        for dx in (-WIDTH_M / 2, WIDTH_M / 2):
            grid = []
            for off in (GAP_M, GAP_M + THICK_M):
                yz = centre + (r + off)[:, None] * direction
                grid.append(np.column_stack([x + dx, yz]))
            edges.append(grid)
        inner = np.stack([edges[0][0], edges[1][0]]) @ R.T + origin  # (2, STEPS, 3)
        outer = np.stack([edges[0][1], edges[1][1]]) @ R.T + origin
        out.append((inner, outer))
    return out


def _envelope(points: np.ndarray, px: np.ndarray, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(STEPS,) per angle ``theta`` the largest distance from the origin of ``points`` (n, 2) (y, z)
    within ``HALF_CONE_DEG`` of it and, across (``px`` (n,)), within the band's half width (+4 mm) of
    that step's ``x``; angles with no point take their neighbours' (interpolated)."""
    phi = np.arctan2(points[:, 0], points[:, 1])
    dist = np.linalg.norm(points, axis=1)
    near = (np.abs(phi[None] - theta[:, None]) < np.radians(HALF_CONE_DEG)) & \
        (np.abs(px[None] - x[:, None]) < WIDTH_M / 2 + 0.004)  # (STEPS, n)
    r = np.where(near, dist[None], -np.inf).max(axis=1) if len(points) else np.full(len(theta), -np.inf)
    ok = np.isfinite(r)
    if not ok.any():
        return np.full(len(theta), 0.12)
    return np.interp(np.arange(len(theta)), np.flatnonzero(ok), r[ok])
