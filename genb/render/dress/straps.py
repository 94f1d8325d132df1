"""Backpack shoulder straps: flat bands that run from under the pack's top, over each shoulder and
down the chest, lying on the outermost cloth (or skin) of the posed trunk.

Each strap is built in the trunk's frame (:func:`~genb.render.dress.atlas.trunk_frame`: x to the left
shoulder, y backward, z up along the spine, origin at the neck) in the sagittal plane halfway out to
its shoulder (splaying out down the chest): seen from a centre inside the upper chest, at each of ``STEPS`` angles from the back
(under the pack) over the shoulder to the front, the band lies ``GAP_M`` outside the outermost point
of the surface within that angle and the band's width (an envelope), so it touches without entering
and follows the shoulders and spine in any pose. The surface is the cloth's vertices and its faces'
centres (by its vertices alone a cone could hold only the skin under the cloth: the band sank into it),
not the legs' cloth (a crouch's knees in front of the chest); dips of the envelope a few steps wide
are spanned (:func:`bridge`), as a taut band spans them. From each strap's front end a narrower webbing
(:func:`lower_grids`) goes on along the strap, then turns back round the side of the trunk to the pack's lower
corner (:func:`webbing_path`). Every width and thickness is an adult's, times a child's size share (``fit``,
:func:`~genb.render.dress.fit.size_scale`). Pure geometry; a few hundred vertices a strap.
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
ABOVE_M = 0.03  # the most a strap's envelope stands over that of the trunk's own cloth
LOW_DEG = -60.0  # past this angle (down the chest) a strap ends where other cloth is in its way
TOUCH_M = 0.009  # there: where the legs' cloth (or any past ABOVE_M) comes within this over the envelope (into the band)
FACE_M = 0.03  # a cloth face counts (its centre) where its vertices lie this near the straps' strips
BRIDGE_STEPS = 3  # dips of the envelope up to twice this many steps wide are spanned


def strap_grids(surface: np.ndarray, keypoints: np.ndarray, anchored: np.ndarray | None = None,
                cloth: list | None = None, fit: float = 1.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per shoulder (left, right) the strap's inner and outer grids, (2, STEPS, 3) each, world frame.

    Args:
        surface: (N, 3) the trunk's skin (and any cloth over it), world frame, metres.
        keypoints: (25, 3) BODY25 world keypoints.
        anchored: (M, 3) optional, the outermost cloth (or skin) over each of the trunk's and upper
            arms' own body vertices: the band keeps within ``ABOVE_M`` of their envelope (a raised
            forearm's sleeve over the shoulder is left out of it).
        cloth: optional ``(vertices (V, 3), faces (F, 3), legs: bool)`` per cloth mesh: its vertices and
            its faces' centres count (its vertices alone left cones with only the skin under them, where
            the band sank into the cloth); the legs' (trousers, skirts, a coat's tail: a thigh drawn up to
            the chest, a lap) are left out of the envelope too. Down the front,
            past ``LOW_DEG``, the strap ends where one of those left out comes within ``TOUCH_M`` over
            it, and runs on under them where they stand off the chest (a crouch's knees in front of it).
        fit: the wearer's size share (:func:`~genb.render.dress.fit.size_scale`, 1 for every adult): the band's
            ``WIDTH_M``, ``THICK_M`` and ``SPLAY_M`` (an adult's) times it.
    """
    from genb.render.dress.atlas import trunk_frame

    origin, R, length = trunk_frame(keypoints)
    scale = length / 0.5
    theta = np.radians(np.linspace(*ANGLES_DEG, STEPS))
    direction = np.stack([np.sin(theta), np.cos(theta)], 1)  # (STEPS, 2): (y, z)
    centre = np.array([0.0, -0.14 * scale])
    width, thick = WIDTH_M * fit, THICK_M * fit
    splay = SPLAY_M * fit * np.clip(-theta / np.radians(-ANGLES_DEG[1]), 0.0, 1.0)  # (STEPS,): 0 behind, grows in front
    shoulders = (np.asarray(keypoints, np.float64)[[K25["left_shoulder"], K25["right_shoulder"]]] - origin) @ R[:, 0]
    x0 = OUT_FRAC * shoulders  # (2,)
    x = x0[:, None] + np.sign(x0)[:, None] * splay  # (2, STEPS)
    L, limb = _surface(surface, cloth or [], origin, R, x0, centre, width, fit)
    bins = _bins(L[:, 1:] - centre, L[:, 0], theta, x, width)
    own = np.full((2, STEPS), np.inf)
    if anchored is not None:
        A = _near(anchored, origin, R, x0, centre, width, fit)[1]
        held = _bins(A[:, 1:] - centre, A[:, 0], theta, x, width)
        own = _envelope(held, [np.ones(len(b[0]), bool) for b in held], STEPS)  # body vertices are sparse: the most of 5 steps
        own = np.max([np.pad(own, ((0, 0), (2, 2)), mode="edge")[:, k:k + STEPS] for k in range(5)], 0) + ABOVE_M
    kept = [~limb[j] & (d <= own[side, k]) for side, (k, d, j) in enumerate(bins)]
    r = bridge(_envelope(bins, kept, STEPS))
    meets = np.zeros((2, STEPS), bool)  # a limb's cloth (or any past ABOVE_M) right over the band
    for side, (k, d, j) in enumerate(bins):
        close = ~kept[side] & (d > r[side, k]) & (d < r[side, k] + TOUCH_M)  # over the cloth the band lies on
        meets[side, k[close]] = True
    blocked = meets & (theta < np.radians(LOW_DEG))  # down the front it ends under them
    ends = np.where(blocked.any(1), np.argmax(blocked, 1), STEPS)
    out = []
    for side in range(2):
        grids = []
        for off in (GAP_M, GAP_M + thick):
            yz = centre + (r[side] + off)[:, None] * direction  # (STEPS, 2)
            grids.append((np.stack([np.column_stack([x[side] + dx, yz]) for dx in (-width / 2, width / 2)])
                          @ R.T + origin)[:, : ends[side]])
        out.append((grids[0], grids[1]))
    return out


def _near(points: np.ndarray, origin: np.ndarray, R: np.ndarray, x0: np.ndarray, centre: np.ndarray,
          width: float = WIDTH_M, fit: float = 1.0, margin: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The ids of the ``points`` (N, 3) across and high enough (``margin`` metres more each way) to lie
    under a strap ``width`` wide splaying ``SPLAY_M`` times ``fit``, and those points in the trunk's frame (n, 3)
    float64."""
    reach = width / 2 + 0.004 + margin
    P = np.asarray(points, np.float32) - origin.astype(np.float32)
    ax = np.abs(P @ R[:, 0].astype(np.float32))  # across first: most points are not under a strap
    ids = np.flatnonzero((ax > np.abs(x0).min() - reach) & (ax < np.abs(x0).max() + SPLAY_M * fit + reach))
    L = P[ids].astype(np.float64) @ R
    low = L[:, 2] > centre[1] - 0.25 - margin
    return ids[low], L[low]


def _surface(skin: np.ndarray, cloth: list, origin: np.ndarray, R: np.ndarray, x0: np.ndarray,
             centre: np.ndarray, width: float = WIDTH_M, fit: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The points under the straps in the trunk's frame (n, 3): the ``skin``'s (N, 3) and, of each ``cloth``
    mesh (vertices, faces, legs), its vertices and the centres of its faces all of whose vertices lie within
    ``FACE_M`` of the strips (``width`` wide, :func:`_near`); and (n,) bool which are the legs' cloth."""
    points = [_near(skin, origin, R, x0, centre, width, fit)[1]]
    legs = [np.zeros(len(points[0]), bool)]
    for vertices, faces, leg in cloth:
        ids, L = _near(vertices, origin, R, x0, centre, width, fit, FACE_M)  # a face's vertices a little off the strip too
        at = np.full(len(vertices), -1)
        at[ids] = np.arange(len(ids))
        f = at[np.asarray(faces, np.int64)]
        f = f[(f >= 0).all(1)]
        points += [L, L[f].mean(1)]
        legs.append(np.full(len(L) + len(f), bool(leg)))
    return np.concatenate(points), np.concatenate(legs)


def _bins(points: np.ndarray, px: np.ndarray, theta: np.ndarray, x: np.ndarray, width: float = WIDTH_M) -> list[tuple]:
    """Per side, the (k, d, j) of each point under a step: ``points`` (n, 2) (y, z), ``px`` (n,) across;
    a point counts for the two steps around its angle (of ``theta``, evenly spaced) within
    ``HALF_CONE_DEG`` of them and within the band's half ``width`` (+4 mm) of that step's ``x`` (2, STEPS);
    k the step, d its distance from the origin, j its index."""
    phi = np.arctan2(points[:, 0], points[:, 1])
    dist = np.linalg.norm(points, axis=1)
    u = (phi - theta[0]) / (theta[1] - theta[0])
    j = np.arange(len(points))
    out = []
    for side in range(2):
        got = []
        for k in (np.floor(u), np.ceil(u)):
            k = k.astype(np.int64)
            ok = (k >= 0) & (k < len(theta))
            kk, jj = k[ok], j[ok]
            ok = (np.abs(phi[jj] - theta[kk]) < np.radians(HALF_CONE_DEG)) & (np.abs(px[jj] - x[side, kk]) < width / 2 + 0.004)
            got.append((kk[ok], jj[ok]))
        k, jj = np.concatenate([g[0] for g in got]), np.concatenate([g[1] for g in got])
        out.append((k, dist[jj], jj))
    return out


def _envelope(bins: list[tuple], keep: list[np.ndarray], steps: int) -> np.ndarray:
    """(2, steps) per side the largest distance of the binned points (:func:`_bins`) kept (``keep``: per
    side a bool per binned point) at each step; steps with none take their neighbours' (interpolated),
    0.12 m where a side has none at all."""
    out = np.full((2, steps), 0.12)
    for side, ((k, d, _), ok) in enumerate(zip(bins, keep)):
        r = np.full(steps, -np.inf)
        np.maximum.at(r, k[ok], d[ok])
        got = np.isfinite(r)
        if got.any():
            out[side] = np.interp(np.arange(steps), np.flatnonzero(got), r[got])
    return out


def bridge(r: np.ndarray, reach: int = BRIDGE_STEPS) -> np.ndarray:
    """(2, STEPS) the envelope ``r`` (2, STEPS) with its dips raised to the lower of the highest steps within
    ``reach`` before and after them (a taut band spans a hollow; a cone no cloth point fell in showed the skin
    under the cloth, and the band sank into the cloth there), never lowered."""
    n = r.shape[1]
    pad = np.pad(r, ((0, 0), (reach, reach)), constant_values=-np.inf)
    before = np.max([pad[:, k:k + n] for k in range(reach)], 0)
    after = np.max([pad[:, reach + 1 + k:reach + 1 + k + n] for k in range(reach)], 0)
    return np.maximum(r, np.minimum(before, after))


LOW_STEPS = 20  # samples along a strap's lower (webbing) part
LOW_WIDTH_M = 0.025
LOW_THICK_M = 0.003
LOW_CONE_DEG = 4.0  # each sample's envelope: this many degrees round the trunk either side
LOW_BAND_M = 0.015  # and this far up or down the spine
LOW_GAP_M = 0.005  # between the webbing and the cloth under it (the sparse cloth points under it miss some folds)


def lower_grids(surface: np.ndarray, keypoints: np.ndarray, starts: np.ndarray,
                corners: np.ndarray, fit: float = 1.0,
                leave: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per side the webbing from a strap's front end ``starts`` (2, 3) round the side of the trunk, below the
    arm, to the pack's lower corner ``corners`` (2, 3) (left, right; world frame): inner and outer grids
    (2, LOW_STEPS, 3) each.

    In the trunk's frame it runs round the spine's line (through the middle of ``surface`` front to back)
    from the start's bearing and height to the corner's (:func:`webbing_path`: leaving the strap's end on
    along the strap, ``leave`` (2, 3) its way there, world frame, or straight down the spine where None,
    then turning back towards the corner); at each step it lies ``LOW_GAP_M`` out of the
    outermost point of ``surface`` (N, 3: the cloth over the torso's own vertices, not the arms: it runs
    between arm and trunk) within ``LOW_CONE_DEG`` and ``LOW_BAND_M``, its ends drawn to the two points; its
    ``LOW_WIDTH_M`` and ``LOW_THICK_M`` (an adult's) times ``fit`` (:func:`~genb.render.dress.fit.size_scale`)."""
    from genb.render.dress.atlas import trunk_frame
    from genb.render.dress.pieces import band

    origin, R, _ = trunk_frame(keypoints)
    L = (np.asarray(surface, np.float64) - origin) @ R
    out = []
    for a, b in zip((np.asarray(starts, np.float64) - origin) @ R, (np.asarray(corners, np.float64) - origin) @ R):
        lo, hi = min(a[2], b[2]) - LOW_BAND_M, max(a[2], b[2]) + LOW_BAND_M
        P = L[(L[:, 2] > lo) & (L[:, 2] < hi) & (L[:, 0] * a[0] > 0)]
        yc = 0.5 * (P[:, 1].min() + P[:, 1].max()) if len(P) else 0.5 * (a[1] + b[1])
        bearing = lambda q: np.arctan2(q[..., 0], yc - q[..., 1])  # noqa: E731  0 at the front, +- to the sides
        t = np.linspace(0.0, 1.0, LOW_STEPS)
        ra, rb = np.hypot(a[0], a[1] - yc), np.hypot(b[0], b[1] - yc)
        way = np.array([0.0, 0.0, -1.0]) if leave is None else np.asarray(leave[len(out)], np.float64) @ R
        psi, z = webbing_path(bearing(a), a[2], bearing(b), b[2], ra, way, t)
        rad = np.hypot(P[:, 0], P[:, 1] - yc)
        near = (np.abs(bearing(P)[None] - psi[:, None]) < np.radians(LOW_CONE_DEG)) & (np.abs(P[None, :, 2] - z[:, None]) < LOW_BAND_M)
        env = np.where(near, rad[None], -np.inf).max(1)
        ok = np.isfinite(env)
        env = _filled(t, env, ra - LOW_GAP_M, rb - LOW_GAP_M) + LOW_GAP_M if ok.any() else ra + 0 * t
        r = env + (1 - t) ** 2 * (ra - env[0]) + t ** 2 * (rb - env[-1])  # ends on the two points
        path = np.column_stack([r * np.sin(psi), yc - r * np.cos(psi), z])
        n = np.column_stack([np.sin(psi), -np.cos(psi), 0 * psi])
        path[0], path[-1] = a, b
        g0, g1 = band(path, n, LOW_WIDTH_M * fit, LOW_THICK_M * fit)
        out.append((g0 @ R.T + origin, g1 @ R.T + origin))
    return out


def webbing_path(psi_a: float, z_a: float, psi_b: float, z_b: float, radius: float, way: np.ndarray,
                 t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(len(t),) bearings and heights of a webbing's middle line at ``t`` (0..1) from a strap's end (bearing
    ``psi_a`` about the spine's line, height ``z_a``) to the pack's corner (``psi_b``, ``z_b``): a quadratic Bezier
    curve over the trunk's side unrolled (arc length at ``radius``, height) that leaves the strap along ``way``
    (3,) (its direction there in the trunk's frame; its part round the spine and up it) for half the distance
    between the ends, then turns to the corner. (On 57b37cc it turned back at once, level, square across the
    strap's end: a flap sticking out sideways.)"""
    p0, p2 = np.array([psi_a * radius, z_a]), np.array([psi_b * radius, z_b])
    q = np.array([way[0] * np.cos(psi_a) + way[1] * np.sin(psi_a), way[2]])  # round the spine, up it
    q = q / np.linalg.norm(q) if np.linalg.norm(q) > 1e-9 else np.array([0.0, -1.0])
    p1 = p0 + 0.5 * np.linalg.norm(p2 - p0) * q
    B = (1 - t)[:, None] ** 2 * p0 + (2 * t * (1 - t))[:, None] * p1 + (t ** 2)[:, None] * p2
    return B[:, 0] / max(radius, 1e-6), B[:, 1]


def _filled(t: np.ndarray, env: np.ndarray, first: float, last: float) -> np.ndarray:
    """(S,) the webbing's envelope radii ``env`` (S,; -inf: no surface point in that sample's cone) at its samples
    ``t`` (S,) with the missing ones interpolated between their neighbours; a missing end takes the radius of the
    surface under that end, ``first`` or ``last`` (its point lies on it), not its neighbour's: a crouch's jacket lifted
    up the trunk (dress.knee_lift) leaves none round the strap's front end, and the lifted cloth's 1.4 cm higher
    radius carried to it drew the webbing's first half 1.9 cm into that cloth (tests/test_bags.py)."""
    ok = np.isfinite(env)  # (some)
    tt, ee = t[ok], env[ok]
    if not ok[0]:
        tt, ee = np.r_[t[0], tt], np.r_[first, ee]
    if not ok[-1]:
        tt, ee = np.r_[tt, t[-1]], np.r_[ee, last]
    return np.interp(t, tt, ee)
