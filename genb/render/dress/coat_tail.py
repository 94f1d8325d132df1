"""A closed coat's tail split at the front below the buttons: two front panels that each ride their
own thigh, and a back that hangs between the legs.

A coat's tail is a loose grid (:func:`~genb.render.dress.hang.hang_grid`, ``rings`` x ``bins``,
ring 0 at the waist). A real coat is buttoned down to about the hips and open below them, so a
raised thigh (kneeling, sitting with the knees up, a stride) parts the two front panels and comes
forward between them instead of pushing through the cloth. Here, on the rest grid:

1. **The slit**: below :data:`SLIT_TOP` (metres above the hip joints, rest frame) the ring edge at
   the middle of the front is left out (:func:`slit_edges`), and the faces across it with it
   (:func:`slit_faces`); above it the grid is closed: one surface with the coat above it.
2. **The panels closed at rest** (:func:`close_slit`): the two columns either side of the slit are
   drawn together to :data:`GAP` of their spacing, so a coat standing straight shows no gap.
3. **Each panel to its own thigh** (:func:`panel_weights`): the skinning's blend across the front
   middle (12 cm in :func:`~genb.render.dress.hang.skin_weights`) becomes a step at the slit: the left
   panel follows the left thigh, the right panel the right one; the back keeps the blend. (The
   back hung mostly from the pelvis was tried: a flexed thigh then no longer swings it under the
   thigh and through the knee, 0.26 % -> 0.011 % of the covered leg vertices through the cloth,
   but seen from the side or behind a crouching or knees-up person shows the background through
   the tail, between the hanging back and the sides the thighs lift: 2-10 times the enclosed
   background pixels.)

4. **The seat** (:func:`seat_for`): seated on a chair, the tail lies on the seat it was given, or on a
   chair guessed under the buttocks, and falls over its edges instead of hanging through it.
5. **The fronts meet standing** (:func:`close_front`): each panel turned with its own thigh, a standing body's
   thighs turned out from the rest pose's (a heavy body's most) opened the slit into a V from the hips down,
   the legs showing between the fronts (9-91 mm at the hem, a closed coat over a t-shirt); standing or walking
   the two edges are drawn back together, the move faded over :data:`CLOSE_COLUMNS` columns each side.
6. **The back spans the legs** (:func:`span_back`, any coat's tail, standing or walking): the blend of the
   two thighs' frames across the back drew a stride's tail in between the legs (its hem rising to a point
   there); each ring's back moves out to the ring's outline seen from above and its columns hang straight.

Pure functions over numpy arrays (atlas rest frame: x to the body's left, y back, z up; metres).
"""

from __future__ import annotations

import numpy as np

SLIT_TOP = 0.04  # metres above the rest hip joints: rings below this are split at the front
GAP = 0.1  # the slit's two edge columns keep this share of their spacing at rest
MEET = 0.006  # metres: standing, the slit's two edges are drawn together to at most this apart (close_front)
CLOSE_COLUMNS = 5  # columns each side of the slit over which close_front's move fades out
TAPER = 3  # rings above the slit's tip whose two columns there are drawn in part of the way
FRONT = 0.08  # metres: the front weight ramps over this depth in front of the hips (as skin_weights')
SEAT_SLOPE = 0.45  # seated: each thigh's rise over its length at most this (level thighs)
SEAT_REACH = 0.6  # seated: each ankle at least this many thigh lengths forward of its hip (a crouch's is under it)
SEAT_HEIGHT = 0.6  # seated: the hips at least this many shin lengths above the ankles


def slit_column(bins: int) -> int:
    """The bin j whose ring edge (j to j + 1) crosses the middle of the front (the rest body faces
    -y; bin j sits at angle (j + 0.5) / bins turns from +x)."""
    return int(round(0.75 * bins)) - 1


def slit_edges(rest: np.ndarray, rc: dict) -> np.ndarray:
    """(rings, bins) bool: the ring edges from bin j to j + 1 that exist (False: the front slit's,
    on the rings lower than :data:`SLIT_TOP` above the hip joints; the waist ring stays closed).

    ``rest``: (rings, bins, 3) the rest grid; ``rc``: rest centres (:func:`~genb.render.dress.hang.person_rest`)."""
    rings, bins, _ = rest.shape
    on = np.ones((rings, bins), bool)
    hip = 0.5 * (rc["left_hip"][2] + rc["right_hip"][2])
    split = rest[:, :, 2].mean(axis=1) < hip + SLIT_TOP
    split[0] = False  # the waist ring stays closed
    on[split, slit_column(bins)] = False
    return on


def split(rest: np.ndarray, rc: dict) -> tuple[np.ndarray, np.ndarray]:
    """The rest grid ``rest`` (rings, bins, 3) with its slit closed at rest (:func:`close_slit`) and
    its ring edges (:func:`slit_edges`, (rings, bins) bool)."""
    on = slit_edges(rest, rc)
    return close_slit(rest, on), on


def slit_faces(on: np.ndarray) -> np.ndarray:
    """(F,) bool: the faces of ``shells.ring_faces(rings, bins)`` kept with the ring edges ``on``
    (rings, bins): the quad between rings r and r + 1 at bins j to j + 1 goes when ring r + 1's edge
    there is missing."""
    quad = on[1:].reshape(-1)
    return np.concatenate([quad, quad])


def close_slit(rest: np.ndarray, on: np.ndarray) -> np.ndarray:
    """(rings, bins, 3) the rest grid with each split ring's two slit-edge vertices drawn towards
    their midpoint (to :data:`GAP` of their spacing): closed panels at rest; the :data:`TAPER`
    rings above the slit's tip (the waist ring too) part of the way, so its edges meet without a notch."""
    out = rest.copy()
    j = slit_column(rest.shape[1])
    split = ~on[:, j]
    keep = np.where(split, GAP, 1.0)  # the share of their spacing each ring keeps
    top = int(np.argmax(split)) if split.any() else len(split)
    for k in range(1, TAPER + 1):  # the rings above the slit's tip drawn in less and less: no notch
        if top - k >= 0:
            keep[top - k] = GAP + (1.0 - GAP) * k / (TAPER + 1)
    a, b = rest[:, j], rest[:, j + 1]
    m = 0.5 * (a + b)
    out[:, j] = m + keep[:, None] * (a - m)
    out[:, j + 1] = m + keep[:, None] * (b - m)
    return out


def panel_weights(W: np.ndarray, rest: np.ndarray, rc: dict, on: np.ndarray, middle: float) -> np.ndarray:
    """(G, 5) skinning weights (:func:`~genb.render.dress.hang.skin_weights`' order: pelvis, left
    thigh, left shin, right thigh, right shin) with the front of the split rings given wholly to one
    side: the left panel (x above the hips' middle) to the left leg, the right one to the right leg.
    The back and the rings above the slit keep the blend across the middle (the pelvis's share and
    the thigh/shin split are unchanged).

    ``W``: (G, 5) weights of ``rest`` (rings, bins, 3) flattened; ``on``: :func:`slit_edges`;
    ``middle``: metres the sides blend over across the middle (``skin_weights``' own)."""
    rings, bins, _ = rest.shape
    P = rest.reshape(-1, 3)
    mid = 0.5 * (rc["left_hip"] + rc["right_hip"])
    split = np.repeat(~on[:, slit_column(bins)], bins)
    front = np.clip(-(P[:, 1] - mid[1]) / FRONT, 0.0, 1.0) * split
    share = np.clip(0.5 + (P[:, 0] - mid[0]) / middle, 0.0, 1.0)  # skin_weights' blend
    share = share + front * ((P[:, 0] > mid[0]) - share)
    legs = W[:, 1:].sum(axis=1)
    out = W.copy()
    for k, (side, s) in enumerate((("left", share), ("right", 1.0 - share))):
        knee = rc[f"{side}_knee"][2]
        shin = np.clip(0.5 - (P[:, 2] - knee) / 0.1, 0.0, 1.0)
        out[:, 1 + 2 * k] = legs * s * (1 - shin)
        out[:, 2 + 2 * k] = legs * s * shin
    return out


def seated(pc: dict) -> bool:
    """Whether posed centres ``pc`` (:func:`~genb.render.dress.hang.centres`) sit on a seat: both
    thighs within :data:`SEAT_SLOPE` of level and both ankles forward of their hips by at least
    :data:`SEAT_REACH` of the thigh's length (a crouch's heels are under its seat; a kneeling
    thigh stands upright), the hips :data:`SEAT_HEIGHT` of a shin above the ankles (a crouch sits on
    its heels; on the ground the ground is the seat)."""
    for side in ("left", "right"):
        hip, knee, ankle = pc[f"{side}_hip"], pc[f"{side}_knee"], pc[f"{side}_ankle"]
        thigh, shin = float(np.linalg.norm(knee - hip)), float(np.linalg.norm(ankle - knee))
        if abs(knee[2] - hip[2]) > SEAT_SLOPE * thigh or np.linalg.norm((ankle - hip)[:2]) < SEAT_REACH * thigh \
                or hip[2] - ankle[2] < SEAT_HEIGHT * shin:
            return False
    return True


def seat_for(seat, vertices: np.ndarray, trunk: np.ndarray, keypoints: np.ndarray):
    """The seat a coat's cloth lies on: ``seat`` (a :class:`~genb.render.dress.seat_cloth.Seat`) when the
    wearer was given one; else, seated (:func:`seated`), a chair guessed under the buttocks
    (:func:`~genb.render.dress.seat_cloth.guess`: its top at the lowest skin of the trunk, ``vertices`` (V, 3)
    posed where ``trunk`` (V,) bool), so that nothing of the coat lies under the buttocks below their lowest
    point (the tail's back floored 2.5 cm under it before, the shell 5-7 cm); else None. Seated, the seat
    lets no cloth out through its front face between the knees (``Seat.knees``): the tail's back, skinned half
    to each thigh, swings forward under them into the seat and went out there, crumpled; it lies on the top.
    ``keypoints``: (25, 3) BODY25."""
    import dataclasses

    from genb.render.dress.seat_cloth import guess

    if not on_chair(keypoints):
        return seat
    from genb.core.conventions import BODY25_INDEX as K25
    from genb.render.dress.seat_cloth import local_xy

    if seat is None:
        low = np.asarray(vertices, np.float64)[trunk]
        seat = guess(low[np.argmin(low[:, 2])], _back(keypoints)[1])
    x, _ = local_xy(seat, np.asarray(keypoints, np.float64)[[K25["left_knee"], K25["right_knee"]]])
    return dataclasses.replace(seat, knees=(float(x.min()), float(x.max())))


def on_chair(keypoints: np.ndarray) -> bool:
    """:func:`seated` from BODY25 ``keypoints`` (25, 3)."""
    from genb.core.conventions import BODY25_INDEX as K25

    kp = np.asarray(keypoints, np.float64)
    return seated({f"{s}_{j}": kp[K25[f"{s}_{j}"]] for s in ("left", "right") for j in ("hip", "knee", "ankle")})


SPAN_FULL = 45.0  # degrees off the back (about the hip joints' vertical): a walking tail's back spans the legs wholly
SPAN_NONE = 80.0  # ... and from this far round to the sides not at all
SPAN_MAX = 0.12  # metres: the most a point of the back moves out to its ring's outline
SPAN_DIRECTIONS = 32  # the ring's outline seen from above: a circumscribed 32-gon


def _back(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the hip joints' midpoint (2,), the horizontal unit vector to the back (2,)) of BODY25 ``keypoints`` (25, 3)
    (the body faces -y at rest: the back is the hips' left-to-right line turned a quarter about +z)."""
    from genb.core.conventions import BODY25_INDEX as K25

    kp = np.asarray(keypoints, np.float64)
    left, right = kp[K25["left_hip"], :2], kp[K25["right_hip"], :2]
    side = (left - right) / max(float(np.linalg.norm(left - right)), 1e-12)
    return 0.5 * (left + right), np.array([-side[1], side[0]])


def span_back(X: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(rings, bins, 3) a standing or walking coat's skinned tail ``X`` (rings, bins, 3; ring 0 on the coat's
    hem, unchanged) with its back spanning the legs: each ring's points on the back (within :data:`SPAN_FULL`
    of it about the hip joints' vertical, faded out to :data:`SPAN_NONE`) moved out horizontally, along their
    direction from the ring's centroid, to the ring's own outline seen from above (its convex hull, a
    circumscribed :data:`SPAN_DIRECTIONS`-gon), by at most :data:`SPAN_MAX`; each column then keeps its edges'
    lengths, so a column pulled forward into the gap between the thighs (the skinning's blend of the two
    thighs' frames across the back of a stride) hangs straight again and its hem comes down. Outwards only.
    One pass leaves a point deeper than the cap, or part-weighted off the back, part of the way in: the settled
    tail takes it twice (``hang._last_steps``; a tall body's stride 14-35 mm into the gap by the hem -> 0.1-5.7).
    ``keypoints``: (25, 3) BODY25."""
    X = np.asarray(X, np.float64)
    if len(X) < 3:
        return X
    hip, back = _back(keypoints)
    P = X[1:, :, :2]
    h = P - hip
    cos = (h[..., 0] * back[0] + h[..., 1] * back[1]) / np.maximum(np.linalg.norm(h, axis=-1), 1e-9)
    off = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    w = np.clip((SPAN_NONE - off) / (SPAN_NONE - SPAN_FULL), 0.0, 1.0)  # (rings - 1, bins): on the back
    cols = np.flatnonzero(w.any(axis=0))
    if not len(cols):
        return X
    a = 2.0 * np.pi * np.arange(SPAN_DIRECTIONS) / SPAN_DIRECTIONS
    U = np.stack([np.cos(a), np.sin(a)], axis=1)
    H = (P[..., :1] * U[:, 0] + P[..., 1:] * U[:, 1]).max(axis=1, keepdims=True)  # each ring's support function
    Q = P[:, cols]  # the back's points only move
    r = Q - P.mean(axis=1, keepdims=True)
    d = r / np.maximum(np.linalg.norm(r, axis=-1, keepdims=True), 1e-9)
    along = d[..., :1] * U[:, 0] + d[..., 1:] * U[:, 1]  # element-wise, not a BLAS product: the same bits everywhere
    gap = H - (Q[..., :1] * U[:, 0] + Q[..., 1:] * U[:, 1])
    t = np.where(along > 0.2, gap / np.maximum(along, 0.2), np.inf).min(axis=-1)
    move = np.zeros(w.shape)
    move[:, cols] = w[:, cols] * np.clip(np.where(np.isfinite(t), t, 0.0), 0.0, SPAN_MAX)
    if not (move > 1e-4).any():
        return X
    step = np.zeros(P.shape)
    step[:, cols] = move[:, cols, None] * d
    Y = X.copy()
    Y[1:, :, :2] += step
    length = np.linalg.norm(np.diff(X, axis=0), axis=-1)  # (rings - 1, bins): each column edge's length kept
    drop = np.diff(X[..., 2], axis=0)
    dh = np.linalg.norm(np.diff(Y[..., :2], axis=0), axis=-1)
    hang = -np.sqrt(np.maximum(length ** 2 - dh ** 2, 0.0))  # the edge's fall at its length, moved out
    Y[1:, :, 2] = X[0, :, 2] + np.cumsum(drop + w * np.minimum(hang - drop, 0.0), axis=0)
    return Y


def close_front(X: np.ndarray, on: np.ndarray | None) -> np.ndarray:
    """(rings, bins, 3) a standing or walking closed coat's skinned tail ``X`` (rings, bins, 3) with its slit
    closed again: on each split ring (``on``: :func:`slit_edges`; None: an open coat, ``X`` returned) the two
    edge vertices move along the line between them to :data:`MEET` apart (never apart), each column
    ``i`` = 0, 1, ... away from its edge by ``1 - i / CLOSE_COLUMNS`` of its edge's move, so the panels bend
    back over a hand's width instead of kinking. The legs are kept out afterwards (``hang.relax``)."""
    if on is None:
        return X
    X = np.asarray(X, np.float64)
    bins = X.shape[1]
    j = slit_column(bins)
    rows = np.flatnonzero(~on[:, j])
    if not len(rows):
        return X
    d = X[rows, j + 1] - X[rows, j]
    g = np.linalg.norm(d, axis=-1)
    shift = (0.5 * np.maximum(g - MEET, 0.0) / np.maximum(g, 1e-9))[:, None] * d  # (n, 3): the left edge's move
    Y = X.copy()
    for i in range(CLOSE_COLUMNS):
        f = 1.0 - i / CLOSE_COLUMNS
        Y[rows, (j - i) % bins] += f * shift
        Y[rows, (j + 1 + i) % bins] -= f * shift
    return Y
