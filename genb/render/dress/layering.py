"""A tight garment worn over a loose one: a top's, a jacket's or a coat's hem lies on the skirt
under it, not inside it.

A tight shell is an offset of the body (:mod:`genb.render.dress.shells`); a loose skirt or a
dress's skirt flares away from the body below its waistband (:mod:`genb.render.dress.hang`).
Where a top reaches below the skirt's waistband (a top's hem is at or under the hips, a skirt's
waistband above them) the flared skirt passes through the top, and the two cross along a ragged
line. :func:`lay_over` moves each such vertex of the top out onto the skirt's surface, plus a
gap (:func:`over_loose`), smoothed over the top (:func:`smooth_push`), so the top is worn over
the skirt (untucked) and ends on it with its hem; a jacket or a coat over the top lies on the
skirt a gap further out per top laid under it (:func:`lay_over`), and a coat's tail lies over the
skirt too. Functions over arrays (metres); :func:`lay_over` changes the garments it is given in place.

A coat once took all of the move of the top under it (the nearest top vertex's, within 8 cm), though
it lay 3-6 cm out of that top already: it stood that far off the skirt down to the top's hem and
stepped in to the skirt under it, a roll round the hips seen from behind (bedlam seed 391 sample 4,
a child in a coat over a shirt and a skirt). Measured (``tests/test_coat_rolls.py``, standing and
hands on hips x child, average, heavy, tall, a coat over a shirt and a skirt): the largest step in
down the coat's back, mean over its vertical lines, 19.1-24.8 mm before, 2.3-9.0 mm now (over
trousers 2.6-9.1 both); the coat 3.7-6.1 mm out of the shirt (14.1-22.5 before).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.mesh import mesh_normals
from genb.render.dress.vec import norm

GAP = 0.008  # metres a garment over a loose one keeps off its surface
REACH = 0.15  # metres: the loose garment's surface seen from a vertex of the one over it
ROUNDS = 3  # passes: a vertex pushed out may then face another part of a folded skirt
SPREAD = 2  # rounds a push spreads over the garment (smooth_push)
SMOOTH = 4  # Jacobi rounds smoothing it
TENT = 0.03  # metres above a skirt's top ring a garment over it is still laid on it (its edge pokes out there)
MAX_PUSH = 0.15  # metres: at most this far out (a coat's hem inside a long skirt's flare; not cloth deeper)
UNDER = 0.08  # metres: a garment still keeps GAP ahead of where the nearest vertex this near of one laid under it went ...
SIDE = 0.02  # metres: ... where it lies over that vertex (at most this much more off that vertex's move's line than along it)


def over_loose(vertices: np.ndarray, loose: list[tuple[np.ndarray, np.ndarray, object]],
               gap: float = GAP, rounds: int = ROUNDS) -> np.ndarray | None:
    """(N, 3) float32 ``vertices`` of a garment moved out over the loose garments under it, or None
    where none lies inside one.

    Args:
        vertices: (N, 3) the posed garment, world frame, metres.
        loose: per loose garment under it :func:`loose_surface`'s ``(vertices (M, 3), unit outward
            normals (M, 3), tree, (M,) bool its top ring, (3,) its up axis)``.
        gap: metres kept off each loose surface. rounds: passes over each.

    Each vertex within :data:`REACH` of a loose garment's vertex is measured against that vertex's
    tangent plane (its outward normal); one less than ``gap`` out of it moves out along that normal
    to ``gap`` (none that lies deeper than :data:`MAX_PUSH`, nor one more than :data:`TENT` above the
    loose garment's top ring that is nearest to that ring: a top over a skirt's waistband is not
    tented above it).
    """
    X = np.asarray(vertices, np.float32)
    out = None
    for P, N, tree, top, up in loose:
        ask = None  # every vertex on a surface's first pass; then only those its last pass moved (the rest stay)
        for _ in range(rounds):
            cur = X if out is None else out
            pts = cur if ask is None else cur[ask]
            d, i = tree.query(pts, distance_upper_bound=REACH)
            near = np.flatnonzero(np.isfinite(d))
            j = i[near]
            rel = pts[near] - P[j]
            depth = gap - np.einsum("ij,ij->i", rel, N[j])  # > 0: inside the loose cloth
            move = (depth > 0) & (depth < MAX_PUSH) & ~(top[j] & (rel @ up > TENT))  # not well above its top ring
            if not move.any():
                break
            if out is None:
                out = X.copy()
            ask = near[move] if ask is None else ask[near[move]]
            out[ask] += depth[move, None].astype(np.float32) * N[j[move]]
    return out


def loose_surface(vertices: np.ndarray, normals: np.ndarray, top: np.ndarray) -> tuple:
    """``(vertices, unit outward normals, tree, top ring, up)`` of a loose garment garments over it
    lie on, for :func:`over_loose` (a loose grid's normals face out: :mod:`genb.render.dress.hang`):
    ``top`` its top ring's vertex ids, as an (M,) bool mask; ``up`` (3,) the unit direction from its
    vertices' centroid to the top ring's."""
    from scipy.spatial import cKDTree

    P = np.asarray(vertices, np.float32)
    ring = np.zeros(len(P), bool)
    ring[top] = True
    up = P[ring].mean(axis=0) - P.mean(axis=0)
    return P, np.asarray(normals, np.float32), cKDTree(P), ring, (up / max(float(np.linalg.norm(up)), 1e-9)).astype(np.float32)


def _adjacency(faces: np.ndarray, n: int):
    """(n, n) sparse float32 matrix: 1 per directed mesh edge of ``faces`` (F, 3) (an edge shared by two
    faces counts twice) and (n,) its row sums."""
    from scipy.sparse import csr_matrix

    f = np.asarray(faces, np.int64)
    i = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0]])
    j = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2]])
    A = csr_matrix((np.ones(len(i), np.float32), (i, j)), shape=(n, n))
    return A, np.maximum(np.asarray(A.sum(axis=1)).ravel(), 1.0)


def smooth_push(D: np.ndarray, faces: np.ndarray, spread: int = SPREAD, rounds: int = SMOOTH) -> np.ndarray:
    """(N, 3) the pushes ``D`` of a garment's vertices spread and smoothed over its mesh (``faces``):
    ``spread`` rounds in which a vertex takes its neighbours' mean push where that is longer than its
    own (a push reaches the vertices between two pushed ones), then ``rounds`` Jacobi rounds, each
    vertex halfway to its neighbours' mean: neighbours move together, no lumps from a fold of
    the skirt under one vertex and not the next."""
    A, deg = _adjacency(faces, len(D))
    D = np.asarray(D, np.float32)
    for _ in range(spread):
        nb = (A @ D) / deg[:, None]
        D = np.where((np.einsum("ij,ij->i", nb, nb) > np.einsum("ij,ij->i", D, D))[:, None], nb, D)
    for _ in range(rounds):
        D = 0.5 * D + 0.5 * (A @ D) / deg[:, None]
    return D


def clear(X: np.ndarray, Y: np.ndarray, D: np.ndarray, gap: float = GAP) -> np.ndarray:
    """(n, 3) how far each vertex ``X`` (n, 3) of a garment moves to keep ``gap`` ahead of its nearest vertex ``Y``
    (n, 3) of a garment under it, which moved by ``D`` (n, 3): along that move, 0 where it lies that far ahead
    already, at most as far; none where it does not lie over that vertex (more than :data:`SIDE` further off the
    move's line than along it: below a top's hem). A coat that took all of the top's move stood 3-6 cm off the skirt
    (as far as it lay out of the top) and stepped in under the top's hem."""
    size = norm(D)
    u = D / np.maximum(size, 1e-12)[:, None]
    rel = X - Y
    ahead = np.einsum("ij,ij->i", rel, u)
    over = norm(rel - ahead[:, None] * u) < np.maximum(ahead, 0.0) + SIDE
    return u * np.where(over, np.clip(size + gap - ahead, 0.0, size), 0.0)[:, None]


def lay_over(uppers: list, loose: list) -> None:
    """Lay each upper garment (``(GarmentMesh, (G,) bool its sleeves' vertices or None)``: a top's or
    a coat's tight shell, a coat's tail) over the loose skirts worn with it (``(GarmentMesh, its top
    ring's vertex ids)``), in place, inner to outer (the outfit's order); the sleeves stay on the arms. Its pushes
    (:func:`over_loose`, to :data:`GAP` off the skirt and one :data:`GAP` more per tight upper laid under
    it: a jacket or a coat lies on the top laid on the skirt, a coat's tail and its shell the same) are
    smoothed over it (:func:`smooth_push`), and it keeps :data:`GAP` ahead of where the uppers laid under it went
    (:func:`clear`: a smoothed push can take a top further), then any vertex left inside a skirt is pushed out again;
    moved vertices take the mesh's normals (blended in over the first centimetre) and are marked in
    ``laid``. The vertex and normal arrays are changed in place (the wearer's layers, which straps
    and hair lie on, hold the same arrays)."""
    if not loose:
        return
    from scipy.spatial import cKDTree

    surfaces = [loose_surface(m.vertices, m.normals, top) for m, top in loose]
    laid = 0  # tight uppers laid on the skirts so far (a coat's tail is its shell's)
    under = []  # (an upper's vertices before it moved, their tree, their moves)
    for m, sleeves in uppers:
        X = m.vertices.astype(np.float32)
        keep = np.zeros(len(X), bool) if sleeves is None else sleeves  # vertices that stay (on the arms)
        gap = GAP * (1 + laid)
        moved = over_loose(X, surfaces, gap)
        D = np.zeros_like(X) if moved is None else smooth_push(np.where(keep[:, None], 0.0, moved - X), m.faces)
        for Xu, tree, Du in under:
            d, i = tree.query(X, distance_upper_bound=UNDER)
            ok = np.flatnonzero(np.isfinite(d))
            lend = clear(X[ok], Xu[i[ok]], Du[i[ok]])
            longer = np.einsum("ij,ij->i", lend, lend) > np.einsum("ij,ij->i", D[ok], D[ok])
            D[ok[longer]] = lend[longer]
        D[keep] = 0.0
        if not D.any():
            continue
        laid += sleeves is not None
        v = X + D
        again = over_loose(v, surfaces, gap)
        if again is not None:
            v = np.where(keep[:, None], v, again)
        push = norm(v - X)
        k = np.flatnonzero(push > 1e-5)
        w = np.minimum(push[k] / 0.01, 1.0)[:, None]  # the mesh's normals over the first centimetre
        n = (1.0 - w) * m.normals[k] + w * mesh_normals(v, m.faces)[k]
        m.vertices[k] = v[k]
        m.normals[k] = n / np.maximum(norm(n, keepdims=True), 1e-9)
        m.laid = push > 1e-5
        under.append((X, cKDTree(X), v - X))
