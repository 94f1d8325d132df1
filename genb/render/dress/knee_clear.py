"""A coat's or a jacket's shell kept out of the thighs and knees that a crouch folds up against it.

A tight shell follows the trunk and the arms it is skinned to; it knows nothing of the legs. Crouching
or sitting on the ground with the knees up, the thighs fold up against the belly and the knees come up
beside the chest and under the forearms: the shell's front, sides and sleeves run through them, and
the trousers show through the jacket as a dark patch (bedlam seed 320, sample 4: a crouching man's
knee through his jacket's side). Real cloth there lies on the thigh or is pressed between it and the body.

Posed, with a thigh flexed past :data:`~genb.render.dress.coat_join.FLEX`, every shell vertex that
lies under the skin of a thigh or knee (its nearest leg vertex, from :data:`LEG_FROM` down the leg and
within :data:`REACH`, along that vertex's normal) is moved out along that normal to the coat's stacked
thickness + :data:`MARGIN` over it, and off the tight trousers' surface there (from :data:`CLOTH_FROM`)
by the coat's own thickness + :data:`MARGIN` (their crease stands up to 4 cm off a crouching thigh:
over the skin alone seed 320 sample 4's knee still showed), but on the shell's seat (:data:`ON_SEAT`,
the seat tent's: pushed off the trousers' seat its relief rose from a median 0.14 to 0.19); skin and
trousers in turn, :data:`PASSES` rounds; the move is then spread to its neighbours over the shell's
faces, :data:`SPREAD` of their pushed neighbours' mean a ring (no step at the pushed patch's edge),
and pushed again; normals turn by as much as their faces did. Shell vertices more than 3 mm under a
leg's skin over crouching, knees up, kneeling and kneeling on one knee x child, average, heavy, tall x
closed coat and jacket (``tests/test_knee_clear.py``): 4325 on beb768f, 0 now; under the trousers'
surface 5183, 22 now (a kneeling child's jacket: its thighs within FLEX, untouched).

Pure functions over numpy arrays (world frame, metres).
"""

from __future__ import annotations

import numpy as np

LEG_FROM = 0.3  # leg coordinate (0 hip, 1 knee): the thigh from a third of the way down to the knee and the shin (not the hip crease the shell covers)
CLOTH_FROM = 0.1  # leg coordinate: the trousers' surface from here down (their crease stands off the thigh; off the seat only)
ON_SEAT = 0.3  # shell vertices with more of the seat zone than this are not pushed off the trousers (the seat tent's)
MARGIN = 0.012  # metres over the coat's own offset: the trousers' cloth over a bent knee stands off more (their folds, the cap's curve)
REACH = 0.05  # metres: shell vertices farther than this from every leg vertex are left alone (never the far side of a thigh)
NEAR = 0.07  # metres: only shell vertices this near a leg vertex are looked at (:data:`REACH` and a little)
SPREAD = 0.5  # share of its pushed neighbours' mean push a vertex takes, ring by ring
PASSES = 2  # pushes out of the legs in turn (each from its nearest leg vertex then)
RINGS = 2  # rings of neighbours the push spreads over


def leg_push(points: np.ndarray, leg_points: np.ndarray, leg_normals: np.ndarray, clearance: float,
             tree=None) -> np.ndarray:
    """(N, 3) how far each of ``points`` (N, 3) moves to lie ``clearance`` metres over the leg skin
    (``leg_points`` (L, 3), unit ``leg_normals`` (L, 3)): along its nearest leg vertex's normal, by as
    much as it lies under ``clearance`` there; zero farther than :data:`REACH` from the legs.
    ``tree``: a :class:`scipy.spatial.cKDTree` of ``leg_points`` (None: built)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(leg_points) if tree is None else tree
    d, j = tree.query(points, distance_upper_bound=REACH)
    near = np.isfinite(d)
    push = np.zeros(points.shape, np.float64)
    if not near.any():
        return push
    jn = j[near]
    h = np.einsum("ij,ij->i", points[near] - leg_points[jn], leg_normals[jn])
    push[near] = np.maximum(clearance - h, 0.0)[:, None] * leg_normals[jn]
    return push


def spread(push: np.ndarray, faces: np.ndarray, rings: int = RINGS, share: float = SPREAD) -> np.ndarray:
    """(N, 3) ``push`` (N, 3) spread over the mesh ``faces`` (F, 3): each ring of neighbours of the pushed
    vertices takes ``share`` of the mean push of its pushed neighbours (the pushed ones keep theirs),
    ``rings`` times."""
    A = _adjacency(faces, len(push))
    out = push.copy()
    fixed = (np.abs(out) > 0.0).any(axis=1)
    for _ in range(rings):
        count = A @ fixed.astype(np.float64)
        ring = ~fixed & (count > 0)
        if not ring.any():
            break
        out[ring] = share * (A @ out)[ring] / count[ring, None]
        fixed = fixed | ring
    return out


_ADJ: dict = {}  # id(faces) -> (faces, (N, N) sparse vertex adjacency): once a shell's faces


def _adjacency(faces: np.ndarray, count: int):
    """(count, count) sparse 0/1 adjacency of the vertices of ``faces`` (F, 3), cached by the array."""
    import scipy.sparse

    got = _ADJ.get(id(faces))
    if got is None or got[0] is not faces or got[1].shape[0] != count:
        f = np.asarray(faces, np.int64)
        a = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0]])
        b = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2]])
        A = scipy.sparse.csr_matrix((np.ones(len(a)), (a, b)), shape=(count, count))
        A.data[:] = 1.0  # an edge of two faces counted once
        got = _ADJ[id(faces)] = (faces, A)
    return got[1]


def clear(vertices: np.ndarray, normals: np.ndarray, faces: np.ndarray, surfaces: list) -> np.ndarray:
    """The vertices moved, in place: ``vertices`` (G, 3) out of the legs (:func:`leg_push` of each of
    ``surfaces`` in turn, :data:`PASSES` rounds, spread by :func:`spread`, then as many rounds again),
    ``normals`` (G, 3) of the moved vertices turned by as much as their faces' normals turned.
    ``surfaces``: ``(points (L, 3), unit normals (L, 3), clearance metres[, (G,) bool the shell vertices it
    pushes])`` each, the legs' skin first (only shell vertices within :data:`NEAR` of it are looked at). Returns the (M,) moved vertex ids."""
    from scipy.spatial import cKDTree

    v = np.asarray(vertices, np.float64)
    surfaces = [(np.asarray(s[0], np.float64), np.asarray(s[1], np.float64), s[2], cKDTree(s[0]), s[3] if len(s) > 3 else None)
                for s in surfaces if len(s[0])]
    lp, tree = surfaces[0][0], surfaces[0][3]
    lo, hi = lp.min(axis=0) - NEAR, lp.max(axis=0) + NEAR
    box = np.flatnonzero(((v >= lo) & (v <= hi)).all(axis=1))
    near = box[np.isfinite(tree.query(v[box], distance_upper_bound=NEAR)[0])]  # the rest stay as they are
    push = np.zeros(v.shape)
    surfaces = [(p, n, c, t, None if m is None else np.asarray(m, bool)[near]) for p, n, c, t, m in surfaces]
    push[near] = _passes(v[near], np.zeros((len(near), 3)), surfaces)
    if not (np.abs(push) > 1e-5).any():
        return np.zeros(0, np.int64)
    push[near] = _passes(v[near], spread(push, faces)[near], surfaces)  # spread, a point deep in a thigh comes near its skin
    moved = np.flatnonzero((np.abs(push) > 1e-5).any(axis=1))
    f = np.asarray(faces, np.int64)
    f = f[np.isin(f, moved).any(axis=1)]
    v2 = v.copy()
    v2[moved] += push[moved]
    before, after = _vertex_normals(v, f, len(v)), _vertex_normals(v2, f, len(v))
    n = np.asarray(normals, np.float64)[moved] + after[moved] - before[moved]
    vertices[moved] = v2[moved].astype(vertices.dtype)
    normals[moved] = (n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)).astype(normals.dtype)
    return moved


def _passes(v: np.ndarray, push: np.ndarray, surfaces: list) -> np.ndarray:
    """(N, 3) ``push`` (N, 3) grown by :data:`PASSES` rounds of :func:`leg_push` of the points ``v`` + ``push``
    out of each of ``surfaces`` (points, normals, clearance, tree, the points it pushes or None) in turn: moved out of one leg vertex's
    plane, a point may lie under its new nearest one's (a knee's fold), or under the trousers."""
    for _ in range(PASSES):
        for lp, ln, c, tree, only in surfaces:
            step = leg_push(v + push, lp, ln, c, tree)
            push = push + (step if only is None else step * only[:, None])
    return push


def _vertex_normals(v: np.ndarray, faces: np.ndarray, count: int) -> np.ndarray:
    """(count, 3) unit area-weighted normals of ``faces`` (F, 3) over the points ``v`` at their vertices."""
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    ids, w = faces.ravel(), np.repeat(fn, 3, axis=0)
    out = np.stack([np.bincount(ids, w[:, k], minlength=count) for k in range(3)], axis=1)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def lay(wearer, shell, mesh, clearance: float, cloth: float = 0.0) -> None:
    """A coat's or a jacket's posed shell ``mesh`` (a :class:`~genb.render.dress.mesh.GarmentMesh`) on a
    ``wearer`` with a thigh flexed past :data:`~genb.render.dress.coat_join.FLEX` kept ``clearance``
    + :data:`MARGIN` metres over the thighs' and knees' skin and ``cloth`` + :data:`MARGIN` over the tight
    trousers' (or shorts', leggings') surface on them (:func:`clear`, in place: the trousers' seat and
    crease stand 4 cm off a crouching thigh, more than the coat's offset), but on the shell's seat
    (:func:`~genb.render.dress.seat_tent.seat_weights`: the seat tent spans it; pushed off the trousers'
    seat its relief rose from a median 0.14 to 0.19). Standing, nothing is done."""
    from genb.render.dress.coat_join import FLEX
    from genb.render.dress.seat_tent import flexed

    if not flexed(wearer.keypoints, FLEX):
        return
    legs = _legs(wearer.dresser, LEG_FROM)
    skin = (wearer.vertices[legs], wearer.normals[legs], clearance + MARGIN)
    from genb.render.dress.seat_tent import seat_weights

    off_seat = seat_weights(wearer, shell) <= ON_SEAT
    clear(mesh.vertices, mesh.normals, mesh.faces,
          [skin] + [b + (off_seat,) for b in _bottoms(wearer, wearer.vertices[_legs(wearer.dresser, CLOTH_FROM)], cloth + MARGIN)])


def _bottoms(wearer, legs: np.ndarray, clearance: float) -> list:
    """The surfaces of the tight bottoms the ``wearer`` wears (``lower_clothes`` meshes, not a skirt's
    ``:skirt``): ``(points, normals, clearance)`` of their vertices within :data:`REACH` of the leg points
    ``legs`` (L, 3)."""
    from scipy.spatial import cKDTree

    from genb.core.conventions import PART_INDEX

    out, tree = [], None
    for m in wearer.out:
        if m.part != PART_INDEX["lower_clothes"] or ":" in m.name:
            continue
        tree = cKDTree(legs) if tree is None else tree
        on = np.isfinite(tree.query(m.vertices, distance_upper_bound=REACH)[0])
        out.append((m.vertices[on], m.normals[on], clearance))
    return out


_LEGS: dict = {}  # (id(dresser), from) -> (dresser, the leg vertex ids :func:`lay` keeps the shell out of)


def _legs(d, start: float) -> np.ndarray:
    """(L,) the body's thigh (from leg coordinate ``start``), knee and shin vertex ids, not the feet (once a dresser)."""
    got = _LEGS.get((id(d), start))
    if got is None or got[0] is not d:
        from genb.core.conventions import PART_INDEX

        a = d.atlas
        feet = np.isin(a.parts, [PART_INDEX["left_foot"], PART_INDEX["right_foot"]])
        got = _LEGS[(id(d), start)] = (d, np.flatnonzero(d.is_leg & ~feet & (np.nan_to_num(np.asarray(a.leg, np.float64)) > start)))
    return got[1]
