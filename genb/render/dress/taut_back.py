"""A top's back pulled taut over a seated or crouching person leaning forward: no sack over the buttocks.

A tight top's shell stands off the skin by its stacked thickness and ease (over the trousers' own: a t-shirt
3.7-4.3 cm off the skin all round the trunk) along the posed body's normals. Leaning forward on a seat the
back lengthens and its cloth is pulled against it (the slack goes to the front, over the belly) and its hem
rides up the back, while the shell kept its whole offset round the rounded back and the buttocks down to the
seat: seen from behind a big rounded sack (closeup seed 390 #6: a t-shirt leaning 26 degrees forward on a crate).

Posed, not upright (:func:`~genb.render.dress.coat_join.upright`: sitting, crouching, kneeling on one knee,
bending over) and leaning forward (:func:`lean`: the trunk's line, mid-hip to neck, off the vertical towards the
way the hips face), by :func:`taut`'s share (none up to :data:`LEAN_FROM` degrees, whole from :data:`LEAN_FULL`),
a top's back (:func:`back_weight`: round the trunk from its back, below the shoulder blades, not the sleeves)

* keeps its own thickness instead of the stacked one and :data:`KEEP_EASE` of its ease (:func:`pull`); where that
  puts it into the trousers dressed after it, :func:`~genb.render.dress.rib_bands.settle` moves it back out over
  them (:func:`~genb.render.dress.rib_bands.clear_under`, their hem strips left out) and tilts its normals by the
  offset's change, as it does a ribbed waistband;
* has its hem ridden up the back by up to :data:`RIDE` (to :data:`RIDE_TO` at the most), the cloth :data:`SPAN`
  over it drawn up less and less (:func:`ride_plan` once per shell, :func:`ride` per pose: each vertex moved to
  where the rest point above it lies now), before a long top's curtain (:mod:`~genb.render.dress.curtain`).

Upright, or leaning less than :data:`LEAN_FROM` (sitting upright 3 degrees, on one knee or cross-legged ~6),
nothing changes (the same bytes). Measured (``tests/test_taut_back.py``: sitting leaning forward, the spine bent 0
and 12 degrees more, average and heavy bodies, over trousers; the top's back below the shoulder blades off the skin
or the trousers under it, 90th percentile): t-shirt 36.5-37.4 mm before, 24.1-31.1 now; long-sleeved shirt
37.6-37.9 -> 22.9-30.1; hoodie 54.1-55.0 -> 33.7-39.7 (its own 22 mm thickness).

Functions over arrays (world frame, metres, Z up); the weights and the ride's sources per shell built once.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX

LEAN_FROM = 8.0  # degrees the trunk leans forward before its back starts to pull taut (sitting upright: 3)
LEAN_FULL = 20.0  # degrees from which it is wholly taut (sitting leaning forward: 15-26, crouching 31)
KEEP_EASE = 0.2  # share of its ease a taut back keeps
RIDE = 0.08  # metres a wholly taut back's hem rides up the back
RIDE_TO = 0.15  # trunk coordinate the hem rides up to at the most (the bottoms' waists lie at 0.2-0.32: skin the
# shell hides, 0.12 over its cut, stays under them)
SPAN = 0.3  # metres over its hem in which the cloth rides up less and less (its band pulled up, drawn together)
CLEAR_TOP = 0.45  # trunk coordinate over which no bottoms reach (their waists: 0.2-0.32): not cleared out of them
BACK_TOP = (0.6, 0.85)  # trunk coordinates: the back is taut up to the first, fading to none at the second
FACING = (-0.1, 0.5)  # the cosine of the way round the rest trunk from its back (its middle seen from above):
# none up to the first (95 degrees off the back), whole from the second (60 degrees)


def _smooth(x) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def lean(keypoints: np.ndarray) -> float:
    """Degrees the trunk's line (mid-hip to neck) leans off the vertical towards the way the hips face (the
    horizontal across the hips, left to right, turned a quarter about Z; negative: leaning back).
    ``keypoints``: (25, 3) BODY25, world frame, Z up."""
    kp = np.asarray(keypoints, np.float64)
    up = kp[K25["neck"]] - kp[K25["mid_hip"]]
    side = kp[K25["left_hip"]] - kp[K25["right_hip"]]
    front = np.array([side[1], -side[0]])  # (side x Z) horizontally: the way the hips face
    front /= max(float(np.hypot(front[0], front[1])), 1e-12)
    return float(np.degrees(np.arctan2(up[0] * front[0] + up[1] * front[1], up[2])))


def taut(keypoints: np.ndarray) -> float:
    """In [0, 1], how taut a top's back is pulled: 0 upright (:func:`~genb.render.dress.coat_join.upright`:
    standing, walking, kneeling upright) or leaning up to :data:`LEAN_FROM`, 1 from :data:`LEAN_FULL` (a
    smoothstep between). ``keypoints``: (25, 3) BODY25, Z up."""
    from genb.render.dress.coat_join import upright

    a = lean(keypoints)
    if a <= LEAN_FROM or upright(keypoints):
        return 0.0
    return float(_smooth((a - LEAN_FROM) / (LEAN_FULL - LEAN_FROM)))


def back_weight(shell, atlas, is_arm: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """(G,) in [0, 1] per shell vertex, how much of the back it is (its rest body point round the trunk's middle
    line seen from above, whole within :data:`FACING`'s second value's angle of the back, none past its first: not
    its normal, which turns sideways in the cleft; up to :data:`BACK_TOP`'s first trunk coordinate, fading out at
    its second; not on a sleeve) and (G,) bool its vertices no bottoms reach (on a sleeve, or over trunk coordinate
    :data:`CLEAR_TOP`), built once (``cache``: a dict kept with the shells)."""
    key = ("taut", id(shell))
    got = cache.get(key)
    if got is None:
        R = np.asarray(atlas.rest, np.float64)
        centre = float(np.median(R[np.asarray(atlas.parts) == PART_INDEX["torso"], 1]))
        c = (R[:, 1] - centre) / np.maximum(np.hypot(R[:, 0], R[:, 1] - centre), 1e-9)  # cosine of the way round from the back
        facing = _smooth((c - FACING[0]) / (FACING[1] - FACING[0]))
        low = 1.0 - _smooth((np.asarray(atlas.torso, np.float64) - BACK_TOP[0]) / (BACK_TOP[1] - BACK_TOP[0]))
        arm = np.asarray(shell.blend @ is_arm.astype(np.float64)).ravel()
        w = np.asarray(shell.blend @ (facing * low)).ravel() * np.clip(1.0 - 2.0 * arm, 0.0, 1.0)
        high = np.asarray(shell.blend @ np.asarray(atlas.torso, np.float64)).ravel() > CLEAR_TOP
        got = cache[key] = (np.where(w > 1e-3, w, 0.0), (arm > 0.5) | high)
    return got


def pull(shell, atlas, is_arm: np.ndarray, s: float, own: float, thickness: np.ndarray,
         slack: np.ndarray | None, e: float, ribs: tuple | None, cache: dict) -> tuple:
    """A top's thickness (G,) and ease share (G,) per shell vertex with its back pulled taut by ``s``, :func:`taut`'s
    share (:func:`back_weight`: down to its ``own`` thickness, not the stacked ``thickness``, keeping
    :data:`KEEP_EASE` of its stacked ease ``e``), and the settle record for
    :func:`~genb.render.dress.rib_bands.settle`: ``ribs`` (:func:`~genb.render.dress.rib_bands.gather`'s, or
    None) with this change of the offset along the normals added, the vertices no bottoms reach left as they are
    (:func:`back_weight`), its tilt region round the back's edges and where bottoms reach (a plain top's band: zeros).
    Not taut: all as given. ``slack``: None (the whole ease everywhere) or (G,)."""
    from genb.render.dress.rib_bands import tilt_region

    if s <= 0.0:
        return thickness, slack, ribs
    w, leave = back_weight(shell, atlas, is_arm, cache)
    k = s * w
    s0 = np.ones(shell.num_vertices) if slack is None else np.asarray(slack, np.float64)
    t0 = np.asarray(thickness, np.float64) * np.ones(shell.num_vertices)
    t1 = t0 - k * np.maximum(t0 - own, 0.0)
    s1 = s0 * (1.0 - k * (1.0 - KEEP_EASE))
    scale = shell.drape.ease_scale if shell.drape is not None else 1.0
    delta = (t1 - t0) * shell.lift + e * (s1 - s0) * scale
    key = ("taut region", id(shell), ribs is not None)
    if key not in cache:  # round the back's edges and where bottoms reach, and whatever the bands and a hood moved
        moved = ((w > 0.0) & ((w < 0.999) | ~leave)) | (shell.extra != 0.0) | (ribs[3][1] if ribs is not None else False)
        cache[key] = tilt_region(shell.faces, moved, shell.twin)
    if ribs is None:
        return t1, s1, (delta, leave, np.zeros(shell.num_vertices), cache[key], True)
    return t1, s1, (ribs[0] + delta, ribs[1] | leave, ribs[2], cache[key], True)


def ride_plan(shell, atlas, is_arm: np.ndarray, waist: float, cache: dict) -> tuple | None:
    """Where each vertex of a top's back near its hem comes from once its hem rides up, built once (``cache``): its
    own vertices ``ids`` (K,) of the back (:func:`back_weight` > 0) less than :data:`SPAN` up the cloth from the hem
    (``waist``, trunk coordinate, metres on the template body as :func:`~genb.render.dress.rib_bands.band_weights`
    counts them), their back weights (K,), the shell's faces (K, 3) and barycentric weights (K, 3) of the rest point
    :data:`RIDE` (1 - up / :data:`SPAN`) over each (straight up the rest body, onto the nearest own face's plane,
    clamped into it; the hem to :data:`RIDE_TO` at the most), and a hem's inner strip vertices (M,) with the vertex
    each hangs from (M,). None: no such back."""
    from scipy.spatial import cKDTree

    key = ("ride", id(shell), waist)
    if key in cache:
        return cache[key]
    w, _ = back_weight(shell, atlas, is_arm, cache)
    kp = atlas.keypoints
    trunk = float(kp[K25["neck"], 2] - kp[K25["mid_hip"], 2])  # metres per unit of the trunk coordinate
    up = (np.asarray(shell.blend @ atlas.torso).ravel() - waist) * trunk
    twin = np.arange(shell.num_vertices) if shell.twin is None else np.asarray(shell.twin)
    own = twin == np.arange(len(twin))
    ids = np.flatnonzero(own & (w > 0.0) & (up < SPAN))
    out = None
    if len(ids):
        F = np.asarray(shell.faces, np.int64)
        F = F[own[F].all(axis=1)]
        R = np.asarray(shell.rest, np.float64)
        most = float(np.clip((RIDE_TO - waist) * trunk, 0.0, RIDE))
        q = R[ids] + np.outer(most * (1.0 - np.clip(up[ids], 0.0, SPAN) / SPAN), [0.0, 0.0, 1.0])
        f = F[cKDTree(R[F].mean(axis=1)).query(q)[1]]
        a, b, c = R[f[:, 0]], R[f[:, 1]], R[f[:, 2]]
        e1, e2, d = b - a, c - a, q - a
        d11, d12, d22 = (e1 * e1).sum(1), (e1 * e2).sum(1), (e2 * e2).sum(1)
        den = np.maximum(d11 * d22 - d12 * d12, 1e-18)
        v = (d22 * (d * e1).sum(1) - d12 * (d * e2).sum(1)) / den
        u = (d11 * (d * e2).sum(1) - d12 * (d * e1).sum(1)) / den
        bary = np.clip(np.stack([1.0 - v - u, v, u], 1), 0.0, None)
        bary /= np.maximum(bary.sum(1, keepdims=True), 1e-12)
        strip = np.flatnonzero(~own & np.isin(twin, ids))
        out = (ids, w[ids], f, bary, strip, twin[strip])
    cache[key] = out
    return out


def ride(mesh, plan: tuple | None, share: float) -> None:
    """A posed top's ``mesh`` with its back's hem ridden up, in place: each vertex of ``plan``'s
    (:func:`ride_plan`) moved ``share`` (:func:`taut`) times its back weight of the way to where the rest point
    above it now lies (its face's posed vertices), its normal likewise; a hem's inner strip moved with the vertex
    it hangs from."""
    if plan is None or share <= 0.0:
        return
    ids, w, f, bary, strip, hangs = plan
    V, N = mesh.vertices.astype(np.float64), mesh.normals.astype(np.float64)
    k = (share * w)[:, None]
    src = np.einsum("kj,kjc->kc", bary, V[f])
    n = (1.0 - k) * N[ids] + k * np.einsum("kj,kjc->kc", bary, N[f])
    out = V.copy()
    out[ids] = V[ids] + k * (src - V[ids])
    out[strip] = V[strip] + (out[hangs] - V[hangs])
    mesh.vertices = out.astype(np.float32)
    N[ids] = n / np.maximum(np.sqrt((n * n).sum(1, keepdims=True)), 1e-12)
    mesh.normals = N.astype(np.float32)


__all__ = ["KEEP_EASE", "LEAN_FROM", "LEAN_FULL", "CLEAR_TOP", "RIDE", "RIDE_TO", "SPAN", "back_weight", "lean", "pull", "ride", "ride_plan", "taut"]
