"""A loose garment yields to the hands and forearms beside or on it: a step of
:func:`~genb.render.dress.hang.hang_grid` after the settling (before the waist's front and the seat).

A skirt's or a dress's flare is relaxed against the trunk and the legs only
(:mod:`~genb.render.dress.hang`, :mod:`~genb.render.dress.settle`), so a hand hanging beside the
hips dips its fingers into the flare, an arm swinging in a stride is taken in by it and hands
resting on a seated lap lie under the cloth over the thighs. In a photo the cloth gives way: it is
pressed in under the hand, which rests on it. The body and the pose never move (the ground truth
stays exact); the cloth does, in four vectorised steps:

1. the hand and forearm vertices near the cloth (its bounding box) are matched to their nearest
   cloth vertices (:data:`NEAREST` of them, each within :data:`REACH` times its own edge length
   across its surface, so a finger between vertices moves the corners around it);
2. a cloth vertex whose tangent plane has such a skin vertex under it or less than its clearance
   (:data:`HAND_CLEAR`, :data:`FOREARM_CLEAR`) above it, by at most :data:`HAND_DEEP` or :data:`DEEP`, goes in along
   its inward normal until the deepest of them lies that far outside it (deeper skin: a limb
   wholly under the cloth, which this side leaves covered);
   the same asked from the cloth's side (:func:`probe_pushes`): points down each cloth vertex's inward
   normal every :data:`PROBE_STEP` to :data:`PROBE_DEEP` find the skin straight under it, unless the trunk
   or a leg lies between (a dress's bell falling from a crouch's knees covers the forearms hanging in front
   of the shins 15-20 cm under its front, while their nearest cloth is the layer behind them);
3. the pushes are spread over the grid (:func:`~genb.render.dress.settle.spread`, twice): the
   cloth dents as one surface under the hand, never a spike, a tear or a hole (the grid keeps its
   faces);
4. no cloth vertex moves farther than its nearest skin of the trunk and legs (a push in never
   passes through a knee to come out behind it); the moved cloth is kept out of the legs' capsules
   (:data:`LEG_CLEAR` out, not the cloth's offset: a hand on a lap presses the cloth onto the
   thigh; not less, even under a hand: a seated knee then pokes through between the cloth's vertices,
   test_hang.py), out of the skin of the trunk and legs, and above the ground: where hand and leg leave
   no room, the body has the last word (the cloth never goes into the body) and the palm of a hand
   pressed on a thigh stays a little under the cloth.

A hand's skin asks from :data:`HAND_DEEP` (12 cm), a forearm's from :data:`DEEP` (6 cm): the hands of a
person bent over in a dress hang 5-10 cm inside the flare that falls forward from the bent trunk (6 cm
left 890 hand vertices of the average body in it); forearms 12 cm deep on the knees (knees up) pressed
the lap's cloth under the thighs' skin (test_hang.py). Skin inside the body itself is out of reach: a
lunge's hands sink 4-9 cm into its hips in the key pose.

The waist ring stays where it hangs from (it is pinned, and a coat's tail is joined there). Pure
functions over numpy arrays (metres, world frame).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from genb.core.conventions import PART_INDEX
from genb.render.dress.capsules import capsule_terms, nearest_capsules, push_out
from genb.render.dress.settle import grid_normals, skin_push, spread
from genb.render.dress.vec import norm, roll

HAND_CLEAR = 0.004  # metres: the cloth lies this far under a hand's skin (its thickness under the fingers)
FOREARM_CLEAR = 0.008  # metres: under a forearm's (a sleeve may cover it)
DEEP = 0.06  # metres: forearm skin deeper than this under the cloth's tangent plane does not move it
HAND_DEEP = 0.12  # metres: hand skin (a hand hangs deep inside a flare falling forward from a bent trunk)
NEAREST = 4  # cloth vertices matched to each skin vertex
REACH = 0.75  # a skin vertex moves a cloth vertex within this times the cloth's edge length across it
STRIDE = 2  # every second hand and forearm vertex asks (the body's are a few mm apart, the cloth's 2-6 cm: half the cost)
LEG_CLEAR = 0.006  # metres: the moved cloth keeps this off the legs' capsules (their radius per sector is
# interpolated between the widest vertices: closer, a knee pokes through between them)
PROBE_STEP = 0.03  # metres between the samples down a cloth vertex's inward normal
PROBE_DEEP = 0.24  # metres: the deepest skin found from the cloth's side
PROBE_GAP = 0.025  # metres: a push from the cloth's side stops this far from the skin of the trunk and legs
# (1.5 cm: a child's shin came through a knees-up dress, test_hang; 2.5 cm leaves crouching 144, not 91, in a dress)
SKIN_CLEAR = 0.002  # metres: and this off the skin of the trunk and legs


def arm_vertices(parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a,) the body vertex ids of the hands and forearms, every :data:`STRIDE`-th (``parts``: (V,) part ids of the body's
    vertices) and (a,) the metres of cloth each keeps under it (:data:`HAND_CLEAR`, :data:`FOREARM_CLEAR`)."""
    hands = [PART_INDEX["left_hand"], PART_INDEX["right_hand"]]
    ids = np.flatnonzero(np.isin(parts, hands + [PART_INDEX["left_lower_arm"], PART_INDEX["right_lower_arm"]]))[::STRIDE]
    return ids, np.where(np.isin(parts[ids], hands), HAND_CLEAR, FOREARM_CLEAR)


def grid_spacing(X: np.ndarray) -> np.ndarray:
    """(rings, bins) each grid vertex's longest edge to its neighbours around the ring and down
    the column (metres)."""
    around = norm(roll(X, -1, axis=1) - X)
    h = np.maximum(around, roll(around, 1, axis=1))
    down = np.linalg.norm(np.diff(X, axis=0), axis=-1)
    h[:-1] = np.maximum(h[:-1], down)
    h[1:] = np.maximum(h[1:], down)
    return h


def hand_pushes(X: np.ndarray, normals: np.ndarray, skin: np.ndarray, clear: np.ndarray) -> np.ndarray:
    """(rings, bins) metres each cloth vertex of the grid ``X`` (rings, bins, 3; unit ``normals``
    outward) must go in along its normal so the skin points ``skin`` (N, 3) near it lie ``clear``
    (N,) metres outside its tangent plane (steps 1-2 of the module; 0 where none asks; the
    waist ring is never asked)."""
    rings, bins, _ = X.shape
    flat, nflat = X[1:].reshape(-1, 3), normals[1:].reshape(-1, 3)
    h = grid_spacing(X)[1:].ravel()
    reach = REACH * float(h.max())
    deep = np.where(clear < FOREARM_CLEAR, HAND_DEEP, DEEP)[:, None]  # a hand's skin asks from deeper
    dist, i = cKDTree(flat).query(skin, k=NEAREST, distance_upper_bound=reach + HAND_DEEP)
    ok = np.isfinite(dist)
    i = np.where(ok, i, 0)
    rel = skin[:, None] - flat[i]  # (N, k, 3)
    s = np.einsum("nkj,nkj->nk", rel, nflat[i])
    across = np.sqrt(np.maximum(np.einsum("nkj,nkj->nk", rel, rel) - s * s, 0.0))
    need = clear[:, None] - s
    ok &= (need > 0.0) & (s > -deep) & (across < REACH * h[i])
    push = np.zeros(len(flat))
    np.maximum.at(push, i[ok], need[ok])
    out = np.zeros((rings, bins))
    out[1:] = push.reshape(rings - 1, bins)
    return out


def probe_pushes(X: np.ndarray, normals: np.ndarray, skin: np.ndarray, clear: np.ndarray, body: tuple) -> np.ndarray:
    """(rings, bins) metres each cloth vertex must go in along its normal so the hand and forearm skin
    ``skin`` (N, 3) straight under it (within :data:`REACH` of its edge length across, down to :data:`PROBE_DEEP`)
    lies ``clear`` (N,) outside it, found from the cloth's side: points down each inward normal every
    :data:`PROBE_STEP` are matched to their nearest skin within a step. :func:`hand_pushes` matches each skin point to its
    nearest cloth, which under a bell falling from the knees is the layer behind the arms (the arms then lie
    outside that layer's tangent planes but inside the bell, 15-20 cm under its front). Skin with the trunk or a
    leg between it and the cloth (``body``: its ``(tree, points, normals, ...)``; a sample of the segment
    over 1 cm inside) asks nothing."""
    rings, bins, _ = X.shape
    flat, nflat = X[1:].reshape(-1, 3), normals[1:].reshape(-1, 3)
    h = grid_spacing(X)[1:].ravel()
    depth = PROBE_STEP * np.arange(1, int(round(PROBE_DEEP / PROBE_STEP)) + 1)
    q = (flat[:, None] - depth[None, :, None] * nflat[:, None]).reshape(-1, 3)
    reach = PROBE_STEP  # each sample finds the skin within a step of it (a forearm is 5-7 cm across)
    box = np.flatnonzero(((q >= skin.min(axis=0) - reach) & (q <= skin.max(axis=0) + reach)).all(axis=1))
    dist, j = cKDTree(skin).query(q[box], distance_upper_bound=reach)
    ok = np.isfinite(dist)
    pair = np.unique((box[ok] // len(depth)) * len(skin) + j[ok])  # each skin point once per cloth vertex
    c, j = pair // len(skin), pair % len(skin)
    rel = skin[j] - flat[c]
    s = np.einsum("nj,nj->n", rel, nflat[c])
    across = np.sqrt(np.maximum(np.einsum("nj,nj->n", rel, rel) - s * s, 0.0))
    need = clear[j] - s
    keep = (need > 0.0) & (s > -PROBE_DEEP) & (across < REACH * h[c])
    c, j, need = c[keep], j[keep], need[keep]
    tree, points, pnormals = body[:3]
    f = np.array([0.25, 0.5, 0.75])
    seg = (flat[c][:, None] + f[None, :, None] * (skin[j] - flat[c])[:, None]).reshape(-1, 3)
    _, i = tree.query(seg)
    inside = (np.einsum("nj,nj->n", seg - points[i], pnormals[i]) < -0.01).reshape(-1, len(f)).any(axis=1)
    push = np.zeros(len(flat))
    np.maximum.at(push, c[~inside], need[~inside])
    asked = np.flatnonzero(push)  # stop PROBE_GAP off the trunk and legs (closer, a shin pokes through between vertices)
    push[asked] = np.minimum(push[asked], np.maximum(tree.query(flat[asked])[0] - PROBE_GAP, 0.0))
    out = np.zeros((rings, bins))
    out[1:] = push.reshape(rings - 1, bins)
    return out


def press(X: np.ndarray, lb, vertices: np.ndarray, capsules: tuple, body: tuple, floor: float | np.ndarray) -> np.ndarray:
    """(rings, bins, 3) the settled grid ``X`` of a skirt or a dress pressed in under the posed body's
    hands and forearms (``vertices`` (V, 3); ``lb``: its :class:`~genb.render.dress.hang.LowerBody`,
    which holds their ids); the rest as :func:`under_hands` takes it."""

    if lb.arms is None:
        return X
    return under_hands(X, grid_normals(X), vertices[lb.arms].astype(np.float64), lb.arm_clear, capsules, body, floor)


def under_hands(X: np.ndarray, normals: np.ndarray, skin: np.ndarray, clear: np.ndarray, capsules: tuple,
                body: tuple, floor: float | np.ndarray) -> np.ndarray:
    """(rings, bins, 3) the loose grid ``X`` pressed in under the hands and forearms (the module's steps).

    Args:
        X: (rings, bins, 3) the settled grid, world frame, metres. normals: (rings, bins, 3) its unit
            outward normals (:func:`~genb.render.dress.settle.grid_normals`).
        skin: (N, 3) hand and forearm vertices of the posed body; clear: (N,) metres of cloth under each.
        capsules: ``(A, B, F, R, cand, terms)`` the legs' capsules with their bare radii ``R``
            (:func:`~genb.render.dress.capsules.leg_capsules`) and the candidates of the rings below the waist.
        body: ``(tree, points, normals, skin_clear)`` the trunk's and legs' skin and the clearance it asks
            (:func:`~genb.render.dress.settle.skin_push`'s ``floor_clear``: over the trunk the cloth stays over the top).
        floor: metres, the lowest the cloth may go (one for all, or (rings * bins,) per vertex).
    """
    lo, hi = X.reshape(-1, 3).min(axis=0) - HAND_DEEP, X.reshape(-1, 3).max(axis=0) + HAND_DEEP
    near = ((skin >= lo) & (skin <= hi)).all(axis=1)
    if not near.any():
        return X
    # 1-2. how far each cloth vertex goes in under the skin near it
    need = hand_pushes(X, normals, skin[near], clear[near])  # from the skin's side
    need = np.maximum(need, probe_pushes(X, normals, skin[near], clear[near], body))  # and from the cloth's
    if not need.any():
        return X
    # 3. one dent, not a spike
    D = spread(spread(-need[..., None] * normals))
    moved = np.flatnonzero(np.any(D != 0.0, axis=-1).ravel())
    moved = moved[moved >= X.shape[1]]  # the waist ring stays
    Y = X.reshape(-1, 3).copy()
    tree, points, pnormals, skin_clear = body
    D = D.reshape(-1, 3)[moved]
    free = tree.query(Y[moved])[0] - SKIN_CLEAR  # no farther than the nearest skin: never through a knee
    size = norm(D)
    Y[moved] += D * (np.clip(free, 0.0, None) / np.maximum(size, free.clip(1e-9)))[:, None]
    # 4. never into the body: the legs' capsules at the skin, the trunk's and legs' skin, the ground
    A, B, F, R = capsules[:4]
    cand = nearest_capsules(Y[moved], A, B, R)  # the cloth moved: its nearest capsules may have changed
    Y[moved] = push_out(Y[moved], A, B, F, R + LEG_CLEAR, cand, capsule_terms(A, B, F, cand))
    Y[moved] += skin_push(Y[moved], tree, points, pnormals, np.full(len(moved), SKIN_CLEAR), floor_clear=skin_clear)
    fl = np.broadcast_to(np.asarray(floor, np.float64).ravel(), (len(Y),)) if np.ndim(floor) else np.full(len(Y), floor)
    Y[moved, 2] = np.maximum(Y[moved, 2], fl[moved])
    return Y.reshape(X.shape)
