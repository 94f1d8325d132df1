"""A hanging garment settled against the body: the last step of :func:`~genb.render.dress.hang.hang_grid`
(and the grid's edge pushes :func:`edge_midpoints`/:func:`spread_edge_pushes` that the relaxation and
:mod:`~genb.render.dress.fall` share).

The relaxed grid (:func:`~genb.render.dress.hang.relax`) is out of the legs' capsules but may still
lie in the trunk where the skinning's blend folds it (the cloth over the groin of a flexed hip, a
seated lap's crease) or in a leg's skin between the capsules' pieces. A few rounds, vectorised:

1. every cloth vertex less than its clearance outside the skin of the trunk and legs (its nearest
   body vertex's outward normal; up to :data:`DEEP` metres inside: the blend's folds reach 11 cm)
   is pushed out along that normal (deeper than :data:`SNAP`: onto the skin at that vertex, unless
   that skin faces away from the cloth's own side of the cut, :data:`FACING`: deep in the trunk the
   nearest skin may be its far side, and cloth snapped there crosses the body and shows as a strip
   over a slit at a seated person's back; it then stays where it is, hidden); over the trunk the
   clearance is the full offset (the cloth stays over the top under it);
2. the pushes are spread over the grid, twice (a vertex moves by the larger of its own push and
   0.8 of its neighbours' mean push, along the rings and down the columns), so a dent lifts the
   cloth around it as one surface instead of a spike or a zigzag;
3. the cloth is pushed out of the legs' capsules again (a push out of the trunk must not end in a
   thigh) and kept above the ground.

Before the last round the settling's moves are smoothed over the grid (:data:`SMOOTH` Jacobi
rounds: neighbours move together, no sawtooth from pushes that differ vertex by vertex). The last
round skips the spreading: its push out of the skin is the final word, exact to the clearance. Pure functions over numpy arrays (metres, world frame).

Also the loose grids' shared helpers: :func:`skinned` (rest points carried by the pelvis and leg
frames) and :func:`grid_normals` (a grid's smoothed outward normals), used by ``hang``, ``coat_back``
and ``under_hands`` alike.
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.capsules import push_out
from genb.render.dress.seat_cloth import push_out as push_out_seat
from genb.render.dress.vec import cross, norm, roll

DEEP = 0.12  # metres: cloth this deep under the skin or less is pushed out (deeper: another side of a limb)
ROUNDS = 2
FACING = -0.6  # a deep cloth point's nearest skin must face its cloth's way (cosine) to be snapped onto
SMOOTH = 3  # Jacobi rounds smoothing the settling's moves before the last, exact push
SNAP = 0.03  # metres: cloth deeper than this goes to its nearest skin vertex, not out along its normal


def skin_push(X: np.ndarray, tree, points: np.ndarray, normals: np.ndarray, clearance: np.ndarray,
              deep: float = DEEP, floor_clear: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) how far each cloth point ``X`` (N, 3) must move to lie ``clearance`` (N,) metres outside
    the skin: along its nearest body point's normal (``tree``: a cKDTree of ``points`` (M, 3),
    ``normals`` (M, 3) unit), zero where it is already that far out or deeper than ``deep`` inside;
    more than :data:`SNAP` inside, onto the skin at that vertex (the normal of a vertex far from it
    would carry it off the body). ``floor_clear``: (M,) metres the skin itself asks (the larger wins).
    ``out``: (N, 3) the cloth's outward directions (the cut's radial ones turned with the pelvis): a deep point whose
    nearest skin faces away from them (deep in the trunk, nearer its other side) is not pushed: snapped
    onto the far side's skin it would cross the body and show there as a strip over a slit."""
    dist, i = tree.query(X, distance_upper_bound=2.0 * deep + float(clearance.max()))
    near = np.isfinite(dist)  # farther from every skin vertex: neither within the clearance nor inside
    i = np.where(near, i, 0)
    gap = np.einsum("ij,ij->i", X - points[i], normals[i])
    if floor_clear is not None:
        clearance = np.maximum(clearance, floor_clear[i])
    short = near & (gap < clearance) & (gap > -deep)
    push = np.zeros_like(X)
    push[short] = (clearance[short] - gap[short])[:, None] * normals[i[short]]
    deep_in = short & (gap < -SNAP)  # deep: onto the skin at its nearest vertex (along the normal it would float off)
    push[deep_in] = points[i[deep_in]] + clearance[deep_in, None] * normals[i[deep_in]] - X[deep_in]
    if out is not None:  # deep, its nearest skin facing away: the far side of the trunk
        push[deep_in & (np.einsum("ij,ij->i", normals[i], out) < FACING)] = 0.0
    return push


def _neighbours(D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sum of each grid vertex's four neighbours' values ``D`` (rings, bins, 3) (around its ring, the
    rings above and below) and their count (rings, bins): 4, 3 at the waist and the hem."""
    nb = roll(D, 1, axis=1) + roll(D, -1, axis=1)
    nb[1:] += D[:-1]
    nb[:-1] += D[1:]
    cnt = np.full(D.shape[:2], 4.0)
    cnt[0] = cnt[-1] = 3.0
    return nb, cnt


def spread(D: np.ndarray, share: float = 0.8) -> np.ndarray:
    """(rings, bins, 3) the pushes ``D`` of a loose grid spread to their neighbours: per vertex the
    larger (by length) of its own push and ``share`` times its four neighbours' mean push (three
    at the waist and the hem)."""
    nb, cnt = _neighbours(D)
    nb *= (share / cnt)[..., None]
    own = np.einsum("rbj,rbj->rb", D, D)
    other = np.einsum("rbj,rbj->rb", nb, nb)
    return np.where((own >= other)[..., None], D, nb)


def smooth(D: np.ndarray, rounds: int) -> np.ndarray:
    """(rings, bins, 3) a loose grid's displacements ``D`` smoothed: ``rounds`` Jacobi rounds, each
    vertex halfway to its four neighbours' mean (three at the waist and the hem): neighbours move
    together, no sawtooth from pushes that differ vertex by vertex."""
    for _ in range(rounds):
        nb, cnt = _neighbours(D)
        D = 0.5 * D + 0.5 * nb / cnt[..., None]
    return D


def settle(X: np.ndarray, tree, points: np.ndarray, normals: np.ndarray, clearance: np.ndarray, capsules: tuple,
           floor: float | np.ndarray, rounds: int = ROUNDS, skin_clear: np.ndarray | None = None,
           out: np.ndarray | None = None, smoothing: int = SMOOTH, seat=None) -> np.ndarray:
    """(rings, bins, 3) the grid ``X`` settled against the body (the module's steps).

    Args:
        X: (rings, bins, 3) the relaxed grid. tree, points, normals: the trunk's and legs' skin
            (:func:`skin_push`). clearance: (rings * bins,) metres each vertex keeps off the skin.
        capsules: ``(A, B, F, R, cand, terms)`` the legs' capsules as :func:`~genb.render.dress.capsules.push_out`
            takes them (radii with the cloth's offset; ``cand``, ``terms`` for the rings below the
            waist ring, which is left where the relaxation pinned it). floor: metres, the lowest the cloth may go (one for all, or per vertex: (rings * bins,) or (1,)).
        seat: a seated person's :class:`~genb.render.dress.seat_cloth.Seat` (or None): out of it too, each round but the last.
    """
    shape = X.shape
    Y = X.reshape(-1, 3).copy()
    A, B, F, R, cand, terms = capsules
    below = shape[1]  # the waist ring's vertices come first
    X = X.reshape(-1, 3)
    for r in range(rounds):
        D = skin_push(Y, tree, points, normals, clearance, floor_clear=skin_clear, out=out)
        if r == rounds - 1:
            Y += D
            break
        Y += spread(spread(D.reshape(shape))).reshape(-1, 3)
        if r == rounds - 2 and smoothing:  # the settling's moves smoothed over the grid before the last push
            Y = X + smooth((Y - X).reshape(shape), smoothing).reshape(-1, 3)
        Y[below:] = push_out(Y[below:], A, B, F, R, cand, terms)
        np.maximum(Y[:, 2], floor, out=Y[:, 2])
        if seat is not None:
            Y[:] = push_out_seat(Y, seat)
    return Y.reshape(shape)


def grid_normals(X: np.ndarray) -> np.ndarray:
    """(rings, bins, 3) unit normals of a closed loose grid (``shells.ring_faces`` winding),
    from central differences around the rings and down the columns of the grid lightly smoothed."""
    X = X.copy()
    for _ in range(2):  # shading only: the collisions' millimetre steps would read as tiers
        X[1:-1] = 0.25 * X[:-2] + 0.5 * X[1:-1] + 0.25 * X[2:]
        X = 0.25 * roll(X, 1, axis=1) + 0.5 * X + 0.25 * roll(X, -1, axis=1)
    around = roll(X, -1, axis=1) - roll(X, 1, axis=1)
    down = np.gradient(X, axis=0)
    n = cross(down, around)
    return n / np.maximum(norm(n, keepdims=True), 1e-12)


def skinned(rest: np.ndarray, weights: np.ndarray, rest_frames: tuple, posed_frames: tuple) -> np.ndarray:
    """(G, 3) rest points ``rest`` (atlas frame) carried by the five frames of :data:`~genb.render.dress.hang.SEGMENTS`
    (``(frames, origins)`` of :func:`~genb.render.dress.hang._frames`, rest and posed; a linear blend by ``weights`` (G, 5)).
    (Dual quaternions were tried: they swing the front of a coat tail between two spread thighs
    round wide arcs, four times as many covered leg vertices through in sitting and crouching poses.)"""
    Fr, Or = rest_frames
    Fp, Op = posed_frames
    M = np.einsum("sij,skj->sik", Fp, Fr)  # posed frame times the rest frame's inverse
    out = np.zeros_like(rest)
    for s in range(5):
        w = weights[:, s]
        if not (w > 0).any():
            continue
        out += w[:, None] * ((rest - Or[s]) @ M[s].T + Op[s])
    return out


def edge_midpoints(X: np.ndarray, on: np.ndarray) -> np.ndarray:
    """(E, 3) midpoints of a loose grid's column edges ((rings - 1) * bins, first) and of its ring
    edges below the waist ring (those that exist: ``on`` (rings, bins) bool)."""
    col = 0.5 * (X[:-1] + X[1:]).reshape(-1, 3)
    ring = 0.5 * (X[1:] + roll(X[1:], -1, axis=1))[on[1:]]
    return np.concatenate([col, ring])


def spread_edge_pushes(X: np.ndarray, D: np.ndarray, on: np.ndarray) -> None:
    """Moves the grid ``X`` (rings, bins, 3) in place by the pushes ``D`` (E, 3) of its edge
    midpoints (:func:`edge_midpoints`' order; ``on`` (rings, bins) its ring edges): each vertex by
    the mean of its pushed edges' pushes (the waist ring stays pinned)."""
    rings, bins, _ = X.shape
    nc = (rings - 1) * bins
    hit = np.any(D != 0.0, axis=1).astype(np.float64)
    acc = np.zeros((rings, bins, 3))
    cnt = np.zeros((rings, bins))
    dc, hc = D[:nc].reshape(rings - 1, bins, 3), hit[:nc].reshape(rings - 1, bins)
    acc[:-1] += dc
    acc[1:] += dc
    cnt[:-1] += hc
    cnt[1:] += hc
    r, j = np.nonzero(on[1:])
    for k in (j, (j + 1) % bins):
        np.add.at(acc[1:], (r, k), D[nc:])
        np.add.at(cnt[1:], (r, k), hit[nc:])
    acc[0] = 0.0
    X += acc / np.maximum(cnt, 1.0)[..., None]
