"""A lunge's coat tail hangs from the hips over the back thigh instead of wrapping round it.

A coat's tail below the hips is carried by the thighs (:func:`~genb.render.dress.hang.skin_weights`).
In a lunge or kneeling on one knee (:func:`~genb.render.dress.coat_back.raised`) the thigh that
hangs points down and back, and its half of the tail turned with it: a cone of cloth round the back
thigh and shin, reaching back along the leg to the heel (seen from behind: the back leg's foot
standing out of a tube of cloth), its hem up to 26 cm out of the hips' outline. Real cloth there hangs from
the hips and the seat: the back panel falls from the buttocks and lies on the back of the back thigh
where the thigh reaches into it, the sides hang down beside it, the front falls straight from the hip.

Here, on the skinned grid (before it is relaxed), each column the hanging leg carries is rebuilt ring by
ring from its top (:func:`hang`): each edge turns, by that leg's share of the point's skinning times
how far the other thigh is raised, towards straight down with a slight outward slope (:data:`SLOPE`
along the column's outward horizontal), keeping its length; a point that lands inside the hanging
leg's capsules is laid on their surface along the column's outward direction (:func:`lay_on`: the back
panel onto the thigh's back, a side beside it, never round to its far side); past the ground it stays on it.
The relaxation's capsules round that leg keep :data:`LEG_CLEAR` of cloth off its skin, not the coat's margin
(:func:`leg_offsets`: 10.6 cm in a lunge held the cloth off the thigh as a sleeve). Measured
(``tests/test_coat_hang.py``, lunge and one knee up x 4 bodies x closed and open): the share of directions round
the hanging thigh where the cloth stands 5-16 cm off it 0.51-0.89 -> 0.19-0.57, a lunge's back panel 7.9-9.8 ->
1.5-3.4 cm off the thigh. The back shin running back through the tail still leaves a hole round it.

Pure functions over numpy arrays (world frame, z up, metres).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.vec import norm

SLOPE = 0.08  # metres out per metre down: a hanging column's flare off the vertical
UP = np.array([0.0, 0.0, 1.0])
CLEAR = 0.02  # metres: a laid point lies this far out of a capsule's widest radius (the trousers and cloth)
FOLD = 105.0  # degrees a knee bends: past this (crouching, knees up) the tail does not hang free (coat_back.FOLD[0])
LEG_CLEAR = 0.035  # metres: a hanging coat's tail lies this far off the legs' skin at most (the trousers and the cloth, not the coat's ease)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(...,) the dot products of 3-vectors ``a`` and ``b`` (..., 3) written out element-wise (no BLAS: the same
    bits on every machine)."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def hanging_side(up: tuple) -> int | None:
    """0 (left) or 1 (right): the leg that hangs while the other is raised (``up``: (left, right) of
    :func:`~genb.render.dress.coat_back.raised`), None when neither thigh is raised."""
    if max(up) <= 0.0:
        return None
    return 1 if up[0] >= up[1] else 0


def tail_steps(X: np.ndarray, rest: np.ndarray, radial: np.ndarray, weights: np.ndarray, frames: tuple, pc: dict,
               floor: float, slit: bool, legs: tuple, top, keypoints: np.ndarray, body: np.ndarray, margin: float) -> tuple:
    """:func:`~genb.render.dress.hang.hang_grid`'s steps on a skinned tail ``X`` (rings, bins, 3) before it is relaxed:
    a coat's tail (``top``, its :class:`~genb.render.dress.coat_join.Hem`; ``slit``: a closed coat's) falls off a
    folded knee (:func:`~genb.render.dress.coat_back.fall_off`), a lunge's hanging leg's side hangs from the hips
    (:func:`hang`) and, hanging free (:func:`hangs_free`), it is kept close round the hips
    (:func:`~genb.render.dress.coat_flare.cap`; ``body``: (n, 3) the trunk's and legs' skin). Returns (the grid, the
    leg capsules' radii with the cloth's offset (C, sectors): :func:`leg_offsets` plus 4 mm, the offset over the legs
    the settling keeps: at most :data:`LEG_CLEAR` hanging free, else ``margin``). A skirt (no ``top``, no ``slit``):
    the grid as it is, the capsules ``margin`` out. ``rest``, ``radial``, ``weights``, ``frames``, ``pc``: as
    ``fall_off``'s; ``legs``: (A, B, R) the leg capsules; ``keypoints``: (25, 3) BODY25."""
    from genb.render.dress import coat_flare
    from genb.render.dress.coat_back import fall_off, raised

    A, B, R = legs
    up = raised(pc) if top is not None else (0.0, 0.0)
    free = top is not None and hangs_free(keypoints, pc, top.tuck, up)  # standing, walking, a lunge or a stride
    Rm = R + (leg_offsets(up, free, len(R), margin) if top is not None else np.full(len(R), margin))[:, None] + 0.004
    if not slit and top is None:
        return X, Rm, margin
    fr, fp = frames
    X = fall_off(X, rest, radial, weights, frames, pc, floor, slit, legs)
    run = free and not top.tuck and max(up) <= 0.0  # a running stride (walking keeps its tail: its hem hung to the ankles)
    X = hang(X, weights, stride(pc) if run else up, radial @ (fp[0][0] @ fr[0][0].T).T, legs, floor)  # the hanging leg's side from the hips
    if not free:
        return X, Rm, margin
    near = min(margin, LEG_CLEAR)
    return coat_flare.cap(X, body, 0.5 * (pc["left_hip"] + pc["right_hip"])[:2], near), Rm, near


def hangs_free(keypoints: np.ndarray, pc: dict, upright: bool, up: tuple) -> bool:
    """Whether a coat's tail hangs free from the hips (kept close to the legs, :func:`leg_offsets`, and round the
    hips, :func:`~genb.render.dress.coat_flare.cap`): standing or walking (``upright``), a lunge (``up``:
    :func:`~genb.render.dress.coat_back.raised`), or at most one thigh past :data:`~genb.render.dress.coat_join.FLEX`
    off the trunk's line with no knee folded past :data:`FOLD` and not seated (a running stride). Not sitting,
    crouching, knees up or legs out on the ground: those keep their own rules (curtain, seat tent, the lap).
    ``keypoints``: (25, 3) BODY25; ``pc``: posed centres (:func:`~genb.render.dress.hang.centres`)."""
    from genb.render.dress.coat_join import FLEX, thighs
    from genb.render.dress.coat_tail import seated

    if upright or max(up) > 0.0:
        return True
    if seated(pc) or sum(a < np.cos(np.radians(FLEX)) * n for a, n in thighs(keypoints)) > 1:
        return False
    for side in ("left", "right"):
        t, s = pc[f"{side}_knee"] - pc[f"{side}_hip"], pc[f"{side}_ankle"] - pc[f"{side}_knee"]
        if np.degrees(np.arccos(np.clip(float(_dot(t, s)) / max(float(norm(t) * norm(s)), 1e-12), -1.0, 1.0))) > FOLD:
            return False
    return True


STRIDE = (30.0, 60.0)  # degrees between the thighs: from STRIDE[0] (none) to STRIDE[1] (all) the back leg's side hangs


def stride(pc: dict) -> tuple:
    """(left, right) like :func:`~genb.render.dress.coat_back.raised` for a running stride (:func:`tail_steps`: hanging
    free, not upright, no thigh raised): the front thigh's share, the angle between the two thighs over :data:`STRIDE`
    (the back leg hangs, :func:`hanging_side`, and its side of the tail from the hips, :func:`hang`: skinned to the
    back thigh and shin it ran round the back knee like a trouser leg, ``tests/test_coat_stride.py``). Walking is
    left as it was: hung straight, the heavy body's toe-off tail fell in points to the ankles. ``pc``: posed centres."""
    from genb.render.dress.coat_back import _angle, _ramp

    a, b = (pc[f"{s}_knee"] - pc[f"{s}_hip"] for s in ("left", "right"))
    share = _ramp(_angle(a, b), STRIDE)
    return (share, 0.0) if a[2] > b[2] else (0.0, share)


def spans_legs(top, keypoints: np.ndarray, pc: dict) -> bool:
    """Whether a coat's tail (``top``: its :class:`~genb.render.dress.coat_join.Hem`; None: a skirt, False) has its
    back spanning the legs (:func:`~genb.render.dress.coat_tail.span_back`): standing or walking (``top.tuck``), or a
    running stride hanging free (:func:`hangs_free`, no thigh raised: not a lunge). ``keypoints``: (25, 3) BODY25;
    ``pc``: posed centres (:func:`~genb.render.dress.hang.centres`)."""
    from genb.render.dress.coat_back import raised

    if top is None:
        return False
    if top.tuck:
        return True
    up = raised(pc)
    return max(up) <= 0.0 and hangs_free(keypoints, pc, False, up)


def leg_offsets(up: tuple, free: bool, count: int, margin: float) -> np.ndarray:
    """(count,) metres each leg capsule (:func:`~genb.render.dress.capsules.leg_capsules`' rows: the left leg's,
    then the right's) keeps a coat's tail off the skin: its ``margin`` (the trunk's standoff, its ease in it: 10.2 cm
    in a lunge, a sleeve of cloth round the thighs), at most :data:`LEG_CLEAR` where it hangs free (``free``:
    :func:`hangs_free`), where the cloth lies on the leg, but for a lunge's raised thigh under its panel (``up``:
    :func:`~genb.render.dress.coat_back.raised`). Elsewhere (seated, crouching) the margin as before."""
    off = np.full(count, float(margin))
    near = min(float(margin), LEG_CLEAR)
    side = hanging_side(up)
    if side is not None:
        off[side * count // 2:(side + 1) * count // 2] = near
    elif free:
        off[:] = near
    return off


def lay_on(p: np.ndarray, way: np.ndarray, caps: tuple) -> np.ndarray:
    """(n, 3) points ``p`` (n, 3) moved out of the capsules ``caps`` ((A, B, R): (C, 3) starts, ends, (C,)
    radii) along ``way`` (n, 3, horizontal unit) made perpendicular to each capsule's axis: onto the side
    of the capsule ``way`` faces (cloth behind a thigh onto its back, never through it to its front)."""
    A, B, R = caps
    p = p.copy()
    near = norm(p[:, None] - 0.5 * (A + B)[None]) < 0.5 * norm(B - A) + R
    for c in np.flatnonzero(near.any(axis=0)):  # the capsules some point lies near (the others cannot hold it)
        a, b, r = A[c], B[c], R[c]
        d = b - a
        u = d / max(float(norm(d)), 1e-12)
        along = _dot(p - a, u)
        t = np.clip(along, 0.0, float(_dot(d, u)))
        w = p - (a + t[:, None] * u)
        w -= (along - t)[:, None] * u  # across the axis only
        inside = _dot(w, w) < r * r
        if not inside.any():
            continue
        v = way[inside] - _dot(way[inside], u)[:, None] * u  # the preferred side: the column's own way out ...
        k = norm(v, keepdims=True)
        v = v + (1.0 - np.minimum(k, 1.0)) * (UP - u[2] * u)  # ... or, along the leg (a shin running back), its top
        v /= np.maximum(norm(v, keepdims=True), 1e-9)
        n = w[inside] / np.maximum(norm(w[inside], keepdims=True), 1e-9)
        v = np.where(_dot(n, v)[:, None] > 0.0, n, v)  # the nearest way out where it is on that side
        wv = _dot(w[inside], v)
        s = -wv + np.sqrt(np.maximum(wv * wv - _dot(w[inside], w[inside]) + r * r, 0.0))
        p[inside] += s[:, None] * v
    return p


def hang(X: np.ndarray, weights: np.ndarray, up: tuple, away: np.ndarray, legs: tuple, floor: float) -> np.ndarray:
    """(rings, bins, 3) a coat's skinned tail ``X`` (rings, bins, 3; ring 0 on the coat's hem) with the
    columns the hanging leg carries hung from the hips (see the module's text). ``weights``: (G, 5) the
    skinning's (pelvis, left thigh, left shin, right thigh, right shin); ``up``: (left, right)
    :func:`~genb.render.dress.coat_back.raised`; ``away``: (rings, bins, 3) each point's outward
    direction (the cut's radial turned with the pelvis); ``legs``: (A, B, R) the leg capsules
    (:func:`~genb.render.dress.capsules.leg_capsules`: left thigh, left shin, right thigh, right shin
    pieces in that order; R per sector); ``floor``: the ground's height. Unchanged where no thigh is raised."""
    side = hanging_side(up)
    if side is None or np.ndim(floor):
        return X
    X = np.asarray(X, np.float64)
    rings, bins, _ = X.shape
    legw = weights[:, 1 + 2 * side] + weights[:, 2 + 2 * side]
    f = (max(up) * legw).reshape(rings, bins)
    f = np.maximum.accumulate(f, axis=0)  # once hanging a column hangs on
    cols = np.flatnonzero(f.max(axis=0) > 1e-6)
    if not len(cols):
        return X
    A, B, R = (np.asarray(x, np.float64) for x in legs)
    n = len(A) // 2
    caps = (A[side * n:(side + 1) * n], B[side * n:(side + 1) * n], R[side * n:(side + 1) * n].max(axis=1) + CLEAR)
    side_way = np.array(away, np.float64).reshape(rings, bins, 3)[:, cols]
    side_way[..., 2] = 0.0
    side_way /= np.maximum(norm(side_way, keepdims=True), 1e-9)
    fall = SLOPE * side_way
    fall[..., 2] = -1.0
    fall /= norm(fall, keepdims=True)
    S = X[:, cols]
    Y = S.copy()
    for r in range(1, rings):
        d = S[r] - S[r - 1]
        L = norm(d, keepdims=True)
        g = f[r, cols][:, None]
        e = (1.0 - g) * d + g * L * fall[r]
        e *= L / np.maximum(norm(e, keepdims=True), 1e-12)
        p = lay_on(Y[r - 1] + e, side_way[r], caps)
        p[:, 2] = np.maximum(p[:, 2], floor)
        Y[r] = p
    X = X.copy()
    X[:, cols] = Y
    return X
