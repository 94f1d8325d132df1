"""A coat's or a jacket's shell pressed in towards the body by a crouch's knee or thigh.

Crouching or sitting with the knees up, the key poses' thighs fold into the belly and the sides and the
knees run into the arms hanging beside them. :mod:`~genb.render.dress.knee_clear` moved every shell vertex
in a leg out along its nearest leg vertex's normal: a sleeve or a side crossing a thigh came out on both
sides of it, torn along the leg's middle, its pieces lying on the trousers as jagged shards (``closeup``
seed 370, sample 11: white triangles on a crouching man's navy thigh seen from behind) and round a knee as
a hoop with the knee a disc in it (seed 361, sample 6: both knees through black sleeves as maroon discs).
A sleeve a leg presses into is pressed back towards the arm under it, between the arm and the leg, and the
leg stays in front of it (the way s37's one side per patch went, carried across a thigh, the cloth stood 13.3 cm
off the skin). Only sleeves: pressed in too, the trunk's front went behind the thighs, and a shoulder bag's sash
or a backpack's webbing fitted to it ended under the trousers (knee_clear pushes the trunk out as before).

Here each such sleeve vertex moves straight towards the body point it is draped from (its anchor, the
shell's blend of the posed body) until it stands the surfaces' clearance out of every leg surface
(:func:`inward`: the way tried at :data:`SAMPLES` points, the first one out refined by :data:`HALVINGS`
halvings), but never nearer its anchor than it may go (:func:`anchored`: its stacked thickness, or the tops
worn under it + its own thickness): where the leg lies in the body itself, it stays pressed on the body,
inside the leg, hidden there as the body's own arm or belly is. Every move is towards its own body, so
neighbours move alike (no tear) and no vertex gets farther from the skin. Measured in
``tests/test_knee_clear.py`` (torn edges with an end on a sleeve 681 -> 11) and ``knee_clear``'s docstring.

Pure functions over numpy arrays (world frame, metres).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.vec import norm

SAMPLES = 4  # points tried along the way to the anchor (3-8 cm: 0.8-2 cm apart; 6: the same torn edges, 10 % more time)
HALVINGS = 3  # halvings of the step that first came out (to 1-2 mm)
DEEP = 0.09  # metres: a point looks this far for its nearest leg vertex (a heavy thigh's radius; more than knee_clear's REACH)


def outside(q: np.ndarray, surfaces: list) -> np.ndarray:
    """(N,) bool each of the points ``q`` (N, 3) stands at least its clearance over every one of ``surfaces``
    (:class:`~genb.render.dress.knee_clear._Surface`: points, unit normals, clearance, k-d tree): over the
    plane of its nearest surface vertex within :data:`DEEP` (none that near: out)."""
    out = np.ones(len(q), bool)
    for s in surfaces:
        ask = np.flatnonzero(out)  # (those in one surface already are in)
        if not len(ask):
            break
        d, j = s.tree.query(q[ask], distance_upper_bound=DEEP)
        hit = np.isfinite(d)
        if hit.any():
            jj = j[hit]
            h = np.einsum("ij,ij->i", q[ask[hit]] - s.points[jj], s.normals[jj])
            out[ask[hit][h < s.clearance]] = False
    return out


def inward(points: np.ndarray, anchors: np.ndarray, keep, surfaces: list) -> np.ndarray:
    """(N, 3) how far each of ``points`` (N, 3, sleeve vertices under a leg surface) moves towards its
    ``anchors`` (N, 3, the body points they are draped from) to stand out of every leg surface (:func:`outside`),
    at most to ``keep`` metres from its anchor (then pressed on the arm inside the leg)."""
    way = anchors - points
    length = norm(way)
    reach = np.maximum(length - keep, 0.0)
    unit = way / np.maximum(length, 1e-12)[:, None]
    t = reach.copy()  # none out: as far as it may go
    lo = np.zeros(len(points))
    live = np.flatnonzero(reach > 0.0)
    for k in range(1, SAMPLES + 1):
        if not len(live):
            break
        tk = reach[live] * (k / SAMPLES)
        out = outside(points[live] + tk[:, None] * unit[live], surfaces)
        t[live[out]] = tk[out]
        lo[live[~out]] = tk[~out]
        live = live[~out]
    done = np.flatnonzero(lo < t)  # came out between two points tried
    for _ in range(HALVINGS):  # between the last point in and the first out
        if not len(done):
            break
        mid = 0.5 * (lo[done] + t[done])
        out = outside(points[done] + mid[:, None] * unit[done], surfaces)
        t[done[out]] = mid[out]
        lo[done[~out]] = mid[~out]
    return t[:, None] * unit


def anchored(wearer, shell, ids: np.ndarray, least: float, own: float) -> tuple[np.ndarray, np.ndarray]:
    """The anchors (M, 3) of a posed ``shell``'s vertices ``ids`` (M,) on a ``wearer`` (the body points they are
    draped from: its blend of the posed body) and how near each may be pressed to it (M,): ``least`` metres
    (its stacked thickness), or the height over the skin there of the tops worn under it (the wearer's
    ``layers`` other than ``shell``'s, along the skin's normal, their blends' mean) + ``own`` (its own thickness),
    whichever is more (pressed to its stacked thickness alone, a shirt bridging the groin came through it)."""
    B = shell.blend[ids]
    body = np.asarray(wearer.vertices, np.float64)
    anchors = np.asarray(B @ body)
    cols = np.unique(B.indices)  # the body vertices under them
    height = np.zeros(len(body))
    for under, v, _ in wearer.layers:
        if under is shell:
            continue
        rows = np.flatnonzero(np.diff(under.blend[:, cols].tocsr().indptr))  # its vertices over them
        if not len(rows):
            continue
        U = under.blend[rows]
        n = np.asarray(U @ np.asarray(wearer.normals, np.float64))
        n /= np.maximum(norm(n, keepdims=True), 1e-12)
        h = np.einsum("ij,ij->i", np.asarray(v, np.float64)[rows] - np.asarray(U @ body), n)
        s = np.asarray(U.sum(axis=0)).ravel()
        on = s > 1e-6
        height[on] = np.maximum(height[on], np.asarray(U.T @ h).ravel()[on] / s[on])
    return anchors, np.maximum(least, np.asarray(B @ height).ravel() + own)
