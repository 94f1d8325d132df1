"""A seated skirt's or dress's lap: on the thighs, sagging between the knees.

Seated (:func:`~genb.render.dress.coat_tail.seated`), a skirt is skinned to the thighs
(:mod:`~genb.render.dress.hang`): the rest cut's front, a cone round both legs, turns up with them into a
roof over the lap, kept out of the legs' capsules (each as wide as the widest skin of its piece and sector,
plus the cloth's offset) and nothing drew it down: over the thighs it stood 1.7-7.6 cm over their tops (median
5.4), across the knees a tent (at the middle between them 7-13 cm over their tops); one smooth slab from the hips
to the hem, no knees, no lap, no folds (closeup seed 420 #4). Here (``tests/test_seat_lap.py``):

1. :func:`sag`, after the relaxation: the front (:func:`front`: by the rest cut's direction round the hips)
   falls a little (:func:`~genb.render.dress.fall.fall`'s rounds with :data:`SHARE` of its gravity, what a
   thigh holds up staying where it landed, columns and rings never longer than at rest): it lies on the
   thighs' capsules and sags between the knees, its hem in front of the shins coming down with it.
2. :func:`lay`, after the settling: the front dropped straight down onto the thighs
   (:func:`~genb.render.dress.coat_lap.lay`: to the settling's own clearance over the highest skin of the legs
   and trunk under it, never up).

No folds yet: :func:`~genb.render.dress.fall_folds.fold` on the lap's front (its grid refined round the ring,
folds from the rings' length to spare) put 0.72 % of the seated skirts' vertices more than 3 mm under the skin
(0.23 % without, main 0.18 %: test_hang's seated cases; its bound 0.2 % over every pose), so it is left out.

The fall holds the sides, the back and the cloth under the waist where they are (:data:`PIN`): dragged along by
the rings they went into the trunk and the seat. The sides keep the cut's flare (drawing them in round the thighs,
:func:`~genb.render.dress.coat_flare.cap` as for a seated coat, hung a midi dress's 75 cm side columns straight down
to the ground beside the seat: a box; not done). Cost (thread time, a loaded machine): about 27 ms a seated skirt
or dress (the fall's :data:`ROUNDS` about 24), nothing for anyone else (the same bytes).

Pure functions over numpy arrays (world frame, z up, metres).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

SHARE = 0.8  # the front's share of fall.GRAVITY per round (:data:`ROUNDS` rounds: at most 12.8 cm of fall)
ROUNDS = 8  # rounds of the fall (fall.ROUNDS, 16, cost 43 ms a seated skirt; 8: 22 ms)
FRONT = (0.2, 0.6)  # the rest cut's direction towards the front (-y of its radial unit vector): none at the first, all from the second
PIN = 0.3  # a point whose fall is less than this share of the front's is held where it is (the sides, the back, under the waist)
FADE = 0.2  # metres of cloth down from the waist over which the lap's drop comes in (the waist stays over the top)


def front(radial: np.ndarray) -> np.ndarray:
    """(rings, bins) 0 to 1, how much of the front each point of the rest grid is (``radial``: (rings, bins, 3)
    its unit horizontal directions from the rest cut's axis; the rest body faces -y)."""
    return np.clip((-radial[..., 1] - FRONT[0]) / (FRONT[1] - FRONT[0]), 0.0, 1.0)


def sag(relaxed: tuple, rest: np.ndarray, radial: np.ndarray, weights: np.ndarray, pc: dict, capsules: tuple,
        floor: float, seat=None, arms: np.ndarray | None = None) -> tuple:
    """:func:`~genb.render.dress.hang.relax`'s returns ``relaxed`` (the grid (rings, bins, 3), ``(cand, terms)``)
    with a seated skirt's front fallen onto the lap (step 1); unchanged unless seated.

    Args:
        rest: (rings, bins, 3) the rest grid. radial: (rings, bins, 3) its unit radial directions (:func:`front`).
        weights: (rings * bins, 5) the skinning (the pelvis's first: its cloth does not fall).
        pc: the posed centres (:func:`~genb.render.dress.hang.centres`). capsules: ``(A, B, F, R)`` the legs'
            capsules with the cloth's offset. floor: the ground's height. seat: the sitter's seat or None.
        arms: (a, 3) the hands' and forearms' skin or None (cloth near them does not fall, as in ``fall``).
    """
    from genb.render.dress import fall
    from genb.render.dress.capsules import capsule_terms, nearest_capsules
    from genb.render.dress.coat_tail import seated

    X, _ = relaxed
    if not seated(pc):
        return relaxed
    A, B, F, R = capsules
    below = rest[0, :, 2].mean() - rest[..., 2]  # metres under the waist at rest
    free = SHARE * front(radial).reshape(-1) * (1.0 - weights[:, 0]) * np.clip(below / FADE, 0.0, 1.0).reshape(-1)
    if arms is not None and len(arms):
        free *= np.clip(cKDTree(arms[::3]).query(X.reshape(-1, 3))[0] / fall.HANDS - 1.0, 0.0, 1.0)
    free = free.reshape(X.shape[:2])
    X = fall.fall(X, rest, free, (A, B, F, R + fall.REST), floor, seat, ROUNDS, pinned=free < PIN * SHARE)  # the sides, the back and the waist stay
    cand = nearest_capsules(X[1:].reshape(-1, 3), A, B, R)
    return X, (cand, capsule_terms(A, B, F, cand))


def lay(X: np.ndarray, skin: np.ndarray, clear: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(rings, bins, 3) a seated skirt's settled grid ``X`` (rings, bins, 3; ring 0 its waist, kept) with its front
    laid on the lap (step 2); unchanged unless seated.

    Args:
        skin: (n, 3) the posed trunk's and legs' skin near the cloth. clear: (n,) metres the cloth keeps over each
            (the settling's clearance: over the legs half the offset, over the trunk all of it).
        keypoints: (25, 3) BODY25.
    """
    from genb.render.dress import coat_lap
    from genb.render.dress.coat_tail import on_chair

    if not on_chair(keypoints):
        return X
    base = float(np.min(clear))
    lifted = np.column_stack([skin[:, :2], skin[:, 2] + (clear - base)])  # each skin point's own clearance over the lowest
    return coat_lap.lay(X, lifted, keypoints, clear=base, fade=FADE)

