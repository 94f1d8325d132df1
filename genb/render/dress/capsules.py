"""Tapered capsules around the posed thighs and shins, and points pushed out of them: the legs a
hanging garment (:mod:`genb.render.dress.hang`) must stay out of. Pure functions over numpy arrays.
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.vec import norm, roll

PIECES = 5  # capsule pieces per thigh and per shin
SECTORS = 8  # a capsule piece's radius is given in this many sectors around its axis


def leg_capsules(lb, vertices: np.ndarray, c: dict, F: np.ndarray):
    """Tapered capsules around the posed thighs and shins, each as wide as the leg's vertices
    around it in each of :data:`SECTORS` directions (a thigh's back is wider than its front).

    ``lb``: the body's :class:`~genb.render.dress.hang.LowerBody`; ``c``: posed ring centres
    (:func:`~genb.render.dress.hang.centres`); ``F``: (5, 3, 3) the posed frames of
    :data:`~genb.render.dress.hang.SEGMENTS`.

    Returns:
        (C, 3) starts, (C, 3) ends, (C, 3, 3) frames (columns: axis, two across it), (C, SECTORS) radii.
    """
    A, B, Fr, R = [], [], [], []
    pieces = _piece_ids(lb)
    for k, side in enumerate(("left", "right")):
        ids = lb.leg[side]
        joints = [c[f"{side}_hip"], c[f"{side}_knee"], c[f"{side}_ankle"]]
        for seg in range(2):
            j0, j1 = joints[seg], joints[seg + 1]
            frame = F[1 + 2 * k + seg]
            for i in range(PIECES):
                a, b = j0 + (j1 - j0) * (i / PIECES), j0 + (j1 - j0) * ((i + 1) / PIECES)
                sel = pieces[side][seg * PIECES + i]
                r = np.zeros(SECTORS)
                if len(sel):
                    q = vertices[ids[sel]].astype(np.float64)
                    d = b - a
                    u = np.clip((q - a) @ d / max(d @ d, 1e-12), 0.0, 1.0)
                    off = q - (a + u[:, None] * d)
                    sec = _sector(off @ frame[:, 1], off @ frame[:, 2])
                    np.maximum.at(r, sec, norm(off))
                    r = np.maximum(r, 0.5 * np.maximum(roll(r, 1), roll(r, -1)))  # no empty sector
                A.append(a), B.append(b), Fr.append(frame), R.append(r)
    return np.array(A), np.array(B), np.array(Fr), np.array(R)


_PIECES: dict = {}  # id(lower body) -> (lower body, side -> the pieces' ids into its leg's vertices)


def _piece_ids(lb) -> dict:
    """side -> per capsule piece (thigh's :data:`PIECES`, then the shin's) the ids into ``lb.leg[side]`` of the
    vertices within 0.04 of its stretch of the leg coordinate, in order: the rows :func:`leg_capsules` reads
    (the same rows as its masks over every leg vertex, made once a body: 20 masks a call before)."""
    got = _PIECES.get(id(lb))
    if got is None or got[0] is not lb:
        out = {}
        for side in ("left", "right"):
            t = lb.leg_t[side]
            out[side] = [np.flatnonzero((t >= seg + i / PIECES - 0.04) & (t <= seg + (i + 1) / PIECES + 0.04))
                         for seg in range(2) for i in range(PIECES)]
        got = _PIECES[id(lb)] = (lb, out)
    return got[1]


def _sector(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.minimum((np.mod(np.arctan2(y, x), 2 * np.pi) / (2 * np.pi) * SECTORS).astype(int), SECTORS - 1)


def nearest_capsules(X: np.ndarray, A: np.ndarray, B: np.ndarray, R: np.ndarray, k: int = 3) -> np.ndarray:
    """(N, k) per point the ``k`` capsules whose widest surface is nearest (the only ones
    :func:`push_out` then tests: a column of cloth meets one leg, or two where they meet)."""
    d = B - A
    rel = X[:, None] - A[None]
    s = np.clip(np.einsum("ncj,cj->nc", rel, d) / np.maximum((d * d).sum(1), 1e-12), 0.0, 1.0)
    gap = norm(rel - s[..., None] * d[None]) - R.max(axis=1)[None]
    return np.argpartition(gap, k - 1, axis=1)[:, :k]


def capsule_terms(A: np.ndarray, B: np.ndarray, F: np.ndarray, cand: np.ndarray) -> tuple:
    """What :func:`push_out` reads of the capsules ``cand`` (N, k) per point, gathered once for a
    relaxation's rounds (the candidates do not change between them): starts, axes, their squared
    lengths, open tops, and the frames' two directions across the axis, each (N, k, ...)."""
    d = (B - A)[cand]
    f = F[cand]
    return (A[cand], d, np.maximum(np.einsum("nkj,nkj->nk", d, d), 1e-12), cand % (2 * PIECES) == 0,
            f[..., 1], f[..., 2])


def push_out(X: np.ndarray, A: np.ndarray, B: np.ndarray, F: np.ndarray, R: np.ndarray,
             cand: np.ndarray | None = None, terms: tuple | None = None) -> np.ndarray:
    """(N, 3) points moved out of the capsules (:func:`leg_capsules`, radii already widened by the
    cloth's offset) they lie in, along the direction from their deepest capsule's axis.
    ``cand``: (N, k) the capsules to test per point (:func:`nearest_capsules`; None: all);
    ``terms``: :func:`capsule_terms` of ``cand`` (None: gathered here)."""
    if cand is None:
        cand = np.broadcast_to(np.arange(len(A))[None], (len(X), len(A)))
    a, d, dd, top, f1, f2 = capsule_terms(A, B, F, cand) if terms is None else terms  # (N, k, 3) ...
    rel = X[:, None] - a
    s = np.einsum("nkj,nkj->nk", rel, d) / dd
    open_top = (s < 0.0) & top  # a thigh has no cap at the hip: above it is the pelvis
    off = rel - np.clip(s, 0.0, 1.0)[..., None] * d
    dist = np.sqrt(np.einsum("nkj,nkj->nk", off, off))
    ang = np.mod(np.arctan2(np.einsum("nkj,nkj->nk", off, f2), np.einsum("nkj,nkj->nk", off, f1)), 2 * np.pi)
    x = ang / (2 * np.pi) * SECTORS - 0.5  # between sector centres, linearly
    i0 = np.floor(x).astype(int)
    w = x - i0
    r = (1 - w) * R[cand, i0 % SECTORS] + w * R[cand, (i0 + 1) % SECTORS]
    depth = np.where(open_top, -1.0, r - dist)
    j = np.argmax(depth, axis=1)
    n = np.flatnonzero(depth[np.arange(len(X)), j] > 0)
    if not len(n):
        return X
    j = j[n]
    o, dd, rr = off[n, j], dist[n, j], r[n, j]
    unit = np.where(dd[:, None] > 1e-9, o / np.maximum(dd, 1e-9)[:, None], np.array([0.0, 0.0, 1.0]))
    X = X.copy()
    X[n] += unit * (rr - dd)[:, None]
    return X
