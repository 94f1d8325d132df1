"""A skirt or dress reaching below a raised knee (a lunge, kneeling on one knee) hangs from that leg, not as a sack
wrapped round under the knee to the shin: a step of :func:`~genb.render.dress.hang.hang_grid` after the fall
(:func:`after_relax`: the drape of :mod:`~genb.render.dress.knee_drape`, then :func:`hang`).

Skinned to the raised thigh and then to its shin, the cut's half round that leg is a tube round the shin. The fall
(:mod:`~genb.render.dress.fall`) dropped the cloth under the thigh to the ground, but a shin slanting out under the
knee pushed the tube's lower rings up in its first round and held them there (friction, ``fall.HELD``): a column
went down from the waist to the ground and up again round the shin to the hem, a sack round the shin under the
knee (bedlam seed 381 sample 3, a skirt to the shin). Cloth hangs: below the raised knee, down a column, it never
rises again. Where :func:`~genb.render.dress.knee_drape.lunge` says the cloth hangs from a raised knee, after the
drape each column on the raised leg's side (:func:`~genb.render.dress.knee_drape.ahead`) is kept, below the knee,
no higher than the lowest of it above (:func:`hang`), the moves smoothed over the grid (``tests/test_knee_panel.py``).
Standing, walking, sitting, crouching, kneeling on both knees, cross-legged, legs out, or a skirt ending about the
knee (``knee_drape.reaching`` 0): nothing changes, bit for bit. Pure functions over numpy arrays (world frame,
metres, Z up).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress import knee_drape
from genb.render.dress.settle import smooth

BAND = 0.05  # metres under the raised knee's centre where the cloth starts to hang; wholly this much lower
SMOOTH = 3  # Jacobi rounds smoothing the moves over the grid (settle.smooth)


def hang(X: np.ndarray, pc: dict, share: float) -> np.ndarray:
    """(rings, bins, 3) the grid ``X`` (rings, bins, 3) with each column hanging below the raised knee (the higher
    knee's centre less :data:`BAND`, ramped over it) on that leg's side
    (:func:`~genb.render.dress.knee_drape.ahead`): down the column no vertex higher than the lowest above it (the
    running minimum of the heights), ``share`` of the way (:func:`~genb.render.dress.knee_drape.lunge`), the
    moves smoothed over the grid; ``X`` itself where ``share`` is 0 or no column rises. ``pc``: the posed
    centres."""
    if share <= 0.0:
        return X
    knee = max(float(pc["left_knee"][2]), float(pc["right_knee"][2]))
    Z = X[..., 2]
    w = np.clip((knee - BAND - Z) / BAND, 0.0, 1.0)
    lowest = np.minimum.accumulate(np.where(w > 0.0, Z, np.inf), axis=0)
    rise = np.where(w > 0.0, Z - lowest, 0.0)
    if not (rise > 0.0).any():
        return X
    centre = np.mean([pc[f"{s}_{j}"] for s in ("left", "right") for j in ("hip", "knee", "ankle")], axis=0)
    w = share * w * knee_drape.ahead(X.reshape(-1, 3), centre, pc).reshape(Z.shape)
    move = np.zeros(X.shape[:2] + (1,))
    move[1:, :, 0] = (w * rise)[1:]
    move = smooth(move, SMOOTH)  # neighbours move together
    Y = X.copy()
    Y[1:, :, 2] -= move[1:, :, 0]
    return Y


def after_relax(relaxed: tuple, pc: dict, atlas, vertices: np.ndarray, capsules: tuple, floor: float) -> tuple:
    """:func:`~genb.render.dress.hang.relax`'s (or :func:`~genb.render.dress.fall.after_relax`'s) returns
    ``relaxed`` (the grid, ``(cand, terms)``) with the grid draped (:func:`~genb.render.dress.knee_drape.drape`)
    and hung from a raised knee (:func:`hang`), and the legs' nearest ``capsules`` ``(A, B, F, R)`` found again for
    the settling; ``relaxed`` itself where nothing moved. ``pc``: the posed centres; ``atlas``, ``vertices``: the
    body's; ``floor``: the ground's height."""
    from genb.render.dress.capsules import capsule_terms, nearest_capsules

    up = knee_drape.lunge(relaxed[0], pc, floor)  # once, for both
    X = hang(knee_drape.drape(relaxed[0], pc, atlas, vertices, floor, up), pc, up)
    if X is relaxed[0]:
        return relaxed
    A, B, F, R = capsules
    cand = nearest_capsules(X[1:].reshape(-1, 3), A, B, R)
    return X, (cand, capsule_terms(A, B, F, cand))
