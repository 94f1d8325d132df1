"""A skirt or a dress falls onto the legs and the ground when a knee is on the ground: a step of
:func:`~genb.render.dress.hang.hang_grid` after the relaxation, before the settling.

Skinned to the thighs and shins, the cloth keeps the radius the cut gave it round a standing leg: a
kneeling person's shins lying on the ground carried tubes 10-20 cm round them, a cross-legged lap a
dome, a raised knee a wide loop; the relaxation's few light rounds (:func:`~genb.render.dress.hang.relax`:
1 cm of gravity a round, a pull back to the skinned shape) left it standing out like a rigid balloon,
its hem a hand above the ground (over kneeling, kneeling on one knee, cross-legged, legs out and a lunge
x 4 bodies x a long skirt and dress: 15.5 cm on average). Real cloth there falls: onto the tops of the
thighs and calves, from the knees straight down, onto the ground. Here, only where the lowest knee is
near the ground (:func:`low`; none standing, walking, running, on a chair, crouching or with the knees
up), more rounds of the same position-based dynamics with more gravity and almost no pull back
(:func:`fall`): the cloth the legs carry (not the pelvis's: the waist and the buttocks keep their shape)
falls until the legs' capsules, a seat or the ground hold it; what a leg holds up stays where it
landed (friction); columns and rings are never longer than at rest (what reaches the ground with
length to spare is compressed, not piled up). The hem now lies 1.44 cm over the ground on average
(``tests/test_skirt_fall.py``). Pure functions over numpy arrays (metres, world frame, z up).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from genb.render.dress import seat_cloth
from genb.render.dress.capsules import capsule_terms, nearest_capsules, push_out
from genb.render.dress.settle import edge_midpoints, smooth, spread_edge_pushes
from genb.render.dress.vec import length, norm, roll

KNEE = (0.3, 0.2)  # the lowest knee's height over the ground per leg length (hip to knee to ankle): no fall at
# KNEE[0] or higher (standing 0.55, a run 0.36, a chair, crouching or knees up 0.5-0.54), all of it at KNEE[1] or
# lower (a knee on the ground: kneeling 0.12-0.16, a lunge's back knee 0.19, cross-legged 0.05, legs out 0.21)
ROUNDS = 16  # rounds of falling
GRAVITY = 0.02  # metres a free vertex falls per round
MEMORY = 0.02  # share of the way back to the relaxed shape per round (the cut's flutes stay as a trace)
HELD = 0.5  # a vertex a capsule pushes out this steeply upwards (the push's z over its length) rests on it
RECHECK = 8  # the nearest capsules are found again every this many rounds (the cloth moves a leg's width)
EDGES = 8  # the edges' midpoints are pushed out of the legs every this many rounds (the last among them)
SMOOTH = 3  # Jacobi rounds smoothing the fall's moves over the grid at the end
HANDS = 0.06  # metres: cloth this near a hand or forearm does not fall (twice as far: it falls wholly)
REST = 0.01  # metres: the fallen cloth rests this far outside the relaxation's capsules (room for the settling
# and the hands' pushes)


def low(pc: dict, ground: float) -> float:
    """How near the ground the knees are, 0 (standing, sitting on a chair, crouching) to 1 (a knee on the
    ground: kneeling, sitting on the ground with the legs crossed or out, a lunge): the lowest knee of the
    posed centres ``pc`` (:func:`~genb.render.dress.hang.centres`) over the ``ground``'s height, per leg
    length, ramped over :data:`KNEE`."""
    h, legs = 9.0, 0.0
    for side in ("left", "right"):
        hip, knee, ankle = pc[f"{side}_hip"], pc[f"{side}_knee"], pc[f"{side}_ankle"]
        h = min(h, float(knee[2]) - ground)
        legs += 0.5 * float(length(knee - hip) + length(ankle - knee))
    return float(np.clip((KNEE[0] - h / max(legs, 1e-9)) / (KNEE[0] - KNEE[1]), 0.0, 1.0))


def fall(X: np.ndarray, rest: np.ndarray, free: np.ndarray, capsules: tuple, floor: float, seat=None,
         rounds: int = ROUNDS, stretch: float = 1.04, pinned: np.ndarray | None = None) -> np.ndarray:
    """(rings, bins, 3) the relaxed grid ``X`` (rings, bins, 3) fallen: ``rounds`` rounds of gravity
    (:data:`GRAVITY` times ``free``) and a pull back to ``X`` (:data:`MEMORY`), columns and rings kept no
    longer than at rest (Jacobi, shared by the vertices not held), the edges' midpoints out of the legs every
    :data:`EDGES` rounds, the vertices out of the capsules (a vertex pushed out steeply upwards, :data:`HELD`,
    is held there from then on: friction), above ``floor`` and out of the seat; the moves then smoothed over
    the grid (:data:`SMOOTH` rounds, the waist ring kept) and pushed out once more.

    Args:
        rest: (rings, bins, 3) the rest grid (its edge lengths). free: (rings, bins) 0 to 1, how freely each
            vertex falls (:func:`low` times its legs' share of its skinning; the waist ring 0).
        capsules: ``(A, B, F, R)`` the legs' capsules (:func:`~genb.render.dress.capsules.leg_capsules`,
            radii with the cloth's offset). floor: the ground's height (metres). seat: a sitter's
            :class:`~genb.render.dress.seat_cloth.Seat` or None.
        stretch: ring edges may reach this times their rest length.
        pinned: (rings, bins) bool vertices held where they are from the start (a seated lap's sides and back,
            :mod:`~genb.render.dress.seat_lap`), or None: the waist ring only.
    """
    A, B, F, R = capsules
    rings, bins, _ = X.shape
    Lv = np.linalg.norm(np.diff(rest, axis=0), axis=-1)
    Lh = norm(roll(rest, -1, axis=1) - rest) * stretch
    X0 = X
    X = X.copy()
    g = (GRAVITY * free)[1:]
    held = np.zeros((rings, bins), bool) if pinned is None else np.array(pinned, bool)
    held[0] = True  # the waist ring is pinned
    for it in range(rounds):
        if it % RECHECK == 0:
            cand = nearest_capsules(X[1:].reshape(-1, 3), A, B, R)
            terms = capsule_terms(A, B, F, cand)
        w = (~held).astype(np.float64)  # what a leg holds up stays where it landed (friction: no sliding off a thigh's top)
        X[1:, :, 2] -= w[1:] * g
        X[1:] += (w[1:] * MEMORY * free[1:])[..., None] * (X0[1:] - X[1:])
        X += _columns(X, Lv, w)
        X += _rings(X, Lh, w)
        if it % EDGES == EDGES - 1:  # no edge through a leg (hang.relax's midpoints)
            _edges_out(X, capsules)
        Y = push_out(X[1:].reshape(-1, 3), A, B, F, R, cand, terms).reshape(rings - 1, bins, 3)
        up = Y - X[1:]
        held[1:] |= up[..., 2] > HELD * _length(up)
        X[1:] = Y
        np.maximum(X[..., 2], floor, out=X[..., 2])
        seat_cloth.push_grid(X, seat)
    X = X0 + smooth(X - X0, SMOOTH)  # the fall smoothed over the grid: no sawtooth where neighbours landed apart
    X[0] = X0[0]
    X[1:] = push_out(X[1:].reshape(-1, 3), A, B, F, R, cand, terms).reshape(rings - 1, bins, 3)
    np.maximum(X[..., 2], floor, out=X[..., 2])
    return seat_cloth.push_grid(X, seat)


def after_relax(relaxed: tuple, rest: np.ndarray, weights: np.ndarray, pc: dict, capsules: tuple, floor: float,
                seat=None, arms: np.ndarray | None = None) -> tuple:
    """:func:`~genb.render.dress.hang.relax`'s returns ``relaxed`` (the grid (rings, bins, 3), ``(cand,
    terms)``) with a skirt's or dress's grid fallen (:func:`fall`) where the hips are low (:func:`low`)
    and the candidates found again for the settling; unchanged otherwise (standing, walking, running).
    ``weights``: (rings * bins, 5) the grid's skinning (the pelvis's first: its cloth does not fall);
    ``capsules``: ``(A, B, F, R)`` with the cloth's offset; ``floor``: the ground's height; ``arms``: (a, 3)
    the hands' and forearms' skin (or None): cloth within :data:`HANDS` of it does not fall (a hand resting
    on a knee then pressed it into the knee, :mod:`~genb.render.dress.under_hands`; it keeps its dent there)."""
    X, _ = relaxed
    f = low(pc, floor)
    if f <= 0.0:
        return relaxed
    A, B, F, R = capsules
    free = f * (1.0 - weights[:, 0])
    if arms is not None and len(arms):
        free *= np.clip(cKDTree(arms[::3]).query(X.reshape(-1, 3))[0] / HANDS - 1.0, 0.0, 1.0)  # every third: 1 cm apart
    X = fall(X, rest, free.reshape(X.shape[:2]), (A, B, F, R + REST), floor, seat)
    cand = nearest_capsules(X[1:].reshape(-1, 3), A, B, R)
    return X, (cand, capsule_terms(A, B, F, cand))


def _columns(X: np.ndarray, Lv: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(rings, bins, 3) the moves (one Jacobi round) that bring the grid ``X``'s column edges no longer than
    their rest lengths ``Lv`` (rings - 1, bins), shared by the free weights ``w`` (rings, bins; 0: held): a
    column that reaches the ground or a leg with length to spare is compressed (a fold), not pushed apart
    (pushed apart, its vertices piled up on the ground, the column turning back on itself: a sawtooth)."""
    D = X[1:] - X[:-1]
    L = _length(D)
    s = w[:-1] + w[1:]
    C = (np.maximum(L - Lv, 0.0) / np.maximum(L, 1e-9) / np.maximum(s, 1e-9))[..., None] * D
    delta = np.zeros_like(X)
    delta[:-1] += w[:-1, :, None] * C
    delta[1:] -= w[1:, :, None] * C
    return delta


def _rings(X: np.ndarray, Lh: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(rings, bins, 3) the moves (one Jacobi round) that bring the grid ``X``'s ring edges no longer than
    ``Lh`` (rings, bins), shared by the free weights ``w`` (rings, bins; 0: held)."""
    D = roll(X, -1, axis=1) - X
    L = _length(D)
    wn = roll(w, -1, axis=1)
    C = (np.maximum(L - Lh, 0.0) / np.maximum(L, 1e-9) / np.maximum(w + wn, 1e-9))[..., None] * D
    return w[..., None] * C - roll(wn[..., None] * C, 1, axis=1)


def _edges_out(X: np.ndarray, capsules: tuple) -> None:
    """The grid ``X`` (rings, bins, 3) moved in place so that the midpoints of its edges leave the legs'
    ``capsules`` (:func:`~genb.render.dress.hang.relax`'s edge step: an edge's push moves both its ends)."""
    A, B, F, R = capsules
    on = np.ones(X.shape[:2], bool)
    m = edge_midpoints(X, on)
    spread_edge_pushes(X, push_out(m, A, B, F, R, nearest_capsules(m, A, B, R)) - m, on)


def out_of_legs(X: np.ndarray, pc: dict, floor: float, legs: tuple) -> np.ndarray:
    """(rings, bins, 3) the settled grid ``X`` pushed out of the legs' capsules once more where it fell
    (:func:`low`; ``legs``: ``(A, B, F, R, cand, terms)`` as :func:`~genb.render.dress.settle.settle` takes
    them): the settling's exact push out of the skin goes along the nearest skin's normal, and fallen cloth
    lying on a thigh may have a calf or the belly nearest, whose normal crosses the thigh (a crouch's knee:
    11 thigh vertices out of a knee skirt after the first push, 0 after this one)."""
    if low(pc, floor) <= 0.0:
        return X
    A, B, F, R, cand, terms = legs
    X = X.copy()
    X[1:] = push_out(X[1:].reshape(-1, 3), A, B, F, R, cand, terms).reshape(X[1:].shape)
    return X


def _length(D: np.ndarray) -> np.ndarray:
    """(...,) the lengths of vectors ``D`` (..., 3)."""
    return np.sqrt(np.einsum("...j,...j->...", D, D))
