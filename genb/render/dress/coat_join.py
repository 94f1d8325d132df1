"""A coat's tight shell and its tail one surface at the hips.

A coat with a tail is a tight shell over the trunk and arms (:mod:`~genb.render.dress.shells`)
and a loose tail hung from the hips (:func:`~genb.render.dress.hang.hang_grid`). Built apart, the
shell's hem and the tail's top ring lie at different heights and offsets: a ledge (the shell's
hem over the tail), a tier, or a thin gap showing the body. Here the shell ends where the tail
begins (:func:`top`: standing or walking at the buttocks' widest line, :data:`WIDEST`, so the
coat falls straight from them; with a thigh raised at the gluteal fold, :data:`TOP` over its
waist) and the tail's top ring is moved onto the shell's hem ring (same positions), the move
blended out down the tail over :data:`BLEND` metres of cloth (:func:`join`), before the tail is
relaxed and settled (its top ring pinned, the rings below kept out of the legs), so the coat reads
as one garment; below that the tail hangs and splits as before.

Pure functions over numpy arrays (world frame, metres).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.dress.vec import length, norm

TOP = 0.05  # trunk coordinate: a thigh raised, the tail hangs from this far over the coat's waist (its shell ends there)
WIDEST = 0.05  # trunk coordinate, the buttocks' widest line (most posterior: 0.030-0.032 on the child, heavy, tall)
FLEX = 40.0  # degrees: a thigh further than this off the trunk's line (sitting, crouching, a lunge, a stride) is raised
BLEND = 0.12  # metres down the tail over which its top ring's move fades out
DIP = 0.05  # metres: hem points this far inside the hem's outline (about its axis) are spanned across
_HEMS: dict = {}  # id(shell) -> (shell, its waist, its hem ring's vertex ids): found once a shell (shells are cached)
TUCK_UP = 0.004  # metres: a tail's top ring hangs this far up under the shell from its hem (no crack)
TUCK_IN = 0.001  # metres: and this far inside it
HEM_REACH = 0.03  # trunk coordinate: shell hem vertices up to this far above the tail's top are its ring


class Hem(NamedTuple):
    """A coat shell's posed hem ring (:func:`hem_ring`): ``points`` (H, 3), their shading normals
    ``normals`` (H, 3) unit, ``ids`` (H,) their vertex ids in the shell, ``opening``: an open coat's,
    ``tuck``: the tail's top ring tucked under the shell (standing or walking, :func:`upright`)."""

    points: np.ndarray
    normals: np.ndarray
    ids: np.ndarray
    opening: bool = False  # an open coat's: the widest gap around it is its front opening
    tuck: bool = False  # the tail's top ring tucked under it (:func:`_seam`; upright only)


def _points(hem) -> np.ndarray | None:
    """(H, 3) a hem's points (a :class:`Hem` or the (H, 3) array itself), or None."""
    return None if hem is None else np.asarray(getattr(hem, "points", hem), np.float64)


def top(keypoints: np.ndarray, waist: float) -> float:
    """Where a coat's tail hangs from and its shell ends (trunk coordinate): the buttocks' widest
    line :data:`WIDEST` (the coat falls straight from them: no buttock lobes and roll under them)
    while both thighs lie within :data:`FLEX` degrees of the trunk's line (mid-hip to neck, pointing
    down), else :data:`TOP` over the coat's ``waist`` (a raised thigh: a top ring at the widest line
    cuts its crease, measured: legs crossing the closed tail 0.00 % -> 0.87 %). ``keypoints``:
    (25, 3) BODY25."""
    return WIDEST if upright(keypoints) else waist + TOP


def upright(keypoints: np.ndarray, degrees: float = FLEX) -> bool:
    """Whether both thighs lie within ``degrees`` (:data:`FLEX`) of the trunk's line (mid-hip to neck,
    pointing down): standing, walking, kneeling upright (not sitting, crouching, kneeling on one knee, a
    lunge or a running stride; :func:`~genb.render.dress.seat_tent.flexed`). ``keypoints``: (25, 3) BODY25."""
    return all(along >= np.cos(np.radians(degrees)) * length for along, length in thighs(keypoints))


def thighs(keypoints: np.ndarray) -> list[tuple[float, float]]:
    """Per thigh (left, right): (its hip-to-knee vector along the trunk's line (mid-hip to neck, pointing down),
    its length (at least 1e-12)), metres; the cosine of its angle off the trunk's line is their ratio.
    ``keypoints``: (25, 3) BODY25."""
    kp = np.asarray(keypoints, np.float64)
    down = kp[K25["mid_hip"]] - kp[K25["neck"]]
    down /= max(float(length(down)), 1e-12)
    out = []
    for side in ("left", "right"):
        d = kp[K25[f"{side}_knee"]] - kp[K25[f"{side}_hip"]]
        out.append((float(d @ down), max(float(length(d)), 1e-12)))
    return out


def hem_ring(shell, torso: np.ndarray, arm: np.ndarray, vertices: np.ndarray, top: float,
             normals: np.ndarray | None = None, opening: bool = False, tuck: bool = False) -> Hem:
    """The posed outer edge of a tight shell's trunk hem (not its cuffs or collar), a :class:`Hem`:
    the vertices on its open boundary (edges of one face) whose trunk coordinate is under ``top`` +
    :data:`HEM_REACH`, each a hem strip's inner vertex taken as the outer one it hangs from; with
    their shading normals ``normals`` (G, 3) (None: each along its radial direction about the ring's
    centroid, level); ``opening``: an open coat's (:func:`hem_targets`); ``tuck``: see :class:`Hem`.

    ``shell``: the :class:`~genb.render.dress.shells.Shell` (``faces``, ``blend`` (G, V), ``twin``);
    ``torso``: (V,) the body's trunk coordinate (NaN: none), ``arm`` (V,) bool its arms (no cuffs); ``vertices``:
    (G, 3) the posed shell; ``top``: the shell's waist (trunk coordinate)."""
    got = _HEMS.get(id(shell))
    if got is None or got[0] is not shell or got[1] != top:
        f = np.asarray(shell.faces, np.int64)
        e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        uniq, count = np.unique(e[:, 0] * shell.num_vertices + e[:, 1], return_counts=True)
        edge = uniq[count == 1]
        ids = np.unique(np.concatenate([edge // shell.num_vertices, edge % shell.num_vertices]))
        t = np.asarray(shell.blend @ np.where(arm, 9.0, np.nan_to_num(torso, nan=9.0))).ravel()[ids]
        ids = ids[t < top + HEM_REACH]
        got = _HEMS[id(shell)] = (shell, top, np.unique(shell.twin[ids]) if shell.twin is not None else ids)
    ids = got[2]
    P = np.asarray(vertices, np.float64)[ids]
    if normals is None:
        N = P - P.mean(axis=0)
        N[:, 2] = 0.0
    else:
        N = np.asarray(normals, np.float64)[ids]
    return Hem(P, N / np.maximum(norm(N, keepdims=True), 1e-12), ids, opening, tuck)


def _plane(centre: np.ndarray, up: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(3, 2) the unit in-plane axes about the axis ``up`` through ``centre``, the first towards ``ref``."""
    a = ref - up * (ref @ up)
    a /= max(float(length(a)), 1e-12)
    return np.stack([a, np.cross(up, a)], axis=1)


def hem_targets(ring: np.ndarray, below: np.ndarray, hem: np.ndarray, values: np.ndarray | None = None,
                opening: bool = False) -> np.ndarray:
    """(bins, 3) the points of the shell's hem ``hem`` (H, 3) at the angles of a tail's top ring
    ``ring`` (bins, 3) about its axis, interpolated around the hem by angle: one point per bin, in
    order (``values`` (H, k): those interpolated instead, (bins, k)). The axis: the normal of the ring's best-fit plane, turned towards the ring from the
    centroid of ``below`` (bins, 3), a ring under it (a seated coat's ring is tilted far from
    upright). Hem points more than :data:`DIP` inside the hem's outline seen along the axis (its
    convex hull in that plane) are left out: a hem dipping into the crotch or under the seat folds
    back in angle, the tail spans across it. ``opening`` (an open coat): bins in the widest gap
    between the hem's points by angle, its front opening (over 4 times their median gap), go to its
    nearer end, the opening's corner (interpolated across it, walking, a panel's edge stood up to
    44 mm off the shell's front edge)."""
    from scipy.spatial import ConvexHull

    c = ring.mean(axis=0)
    up = np.linalg.svd(ring - c, full_matrices=False)[2][2]
    if up @ (c - below.mean(axis=0)) < 0:
        up = -up
    ab = _plane(c, up, ring[0] - c)
    uv = (hem - c) @ ab
    ah, rh = np.arctan2(uv[:, 1], uv[:, 0]), np.linalg.norm(uv, axis=1)
    hull = ConvexHull(uv).vertices
    o = np.argsort(ah[hull])
    outline = np.interp(ah, ah[hull][o], rh[hull][o], period=2 * np.pi)  # about the hull's radius there
    keep = rh >= outline - DIP
    ring_uv = (ring - c) @ ab
    at = np.arctan2(ring_uv[:, 1], ring_uv[:, 0])
    order = np.argsort(ah[keep])
    a, hs = ah[keep][order], (hem if values is None else values)[keep][order]
    if opening and len(a) > 2:
        gaps = np.diff(np.concatenate([a, a[:1] + 2 * np.pi]))
        g = int(np.argmax(gaps))
        if gaps[g] > 4.0 * np.median(gaps):
            rel = np.mod(at - a[g], 2 * np.pi)
            at = np.where(rel < gaps[g], np.where(rel < 0.5 * gaps[g], a[g], a[(g + 1) % len(a)]), at)
    return _interp_periodic(at, a, hs)


def _interp_periodic(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """(n, k) ``np.interp(x, xp, fp[:, j], period=2 pi)`` for every column j at once (``xp`` (m,)
    increasing angles, ``fp`` (m, k))."""
    ap = np.concatenate([xp[-1:] - 2 * np.pi, xp, xp[:1] + 2 * np.pi])
    hp = np.concatenate([fp[-1:], fp, fp[:1]])
    x = np.mod(x - xp[0], 2 * np.pi) + xp[0]
    i = np.clip(np.searchsorted(ap, x, side="right") - 1, 0, len(ap) - 2)
    w = ((x - ap[i]) / np.maximum(ap[i + 1] - ap[i], 1e-12))[:, None]
    return hp[i] * (1.0 - w) + hp[i + 1] * w


def _at_bins(X: np.ndarray, hem, values: np.ndarray | None = None) -> np.ndarray:
    """(bins, 3) :func:`hem_targets` of a tail's grid ``X`` (rings, bins, 3): its top ring's points on
    the hem ``hem`` (a :class:`Hem` or (H, 3)), or ``values`` (H, k) there."""
    return hem_targets(X[0], X[min(2, len(X) - 1)], _points(hem), values, bool(getattr(hem, "opening", False)))


def _seam(X: np.ndarray, hem) -> tuple[np.ndarray, np.ndarray | None]:
    """(bins, 3) where a tail's grid ``X`` (rings, bins, 3) hangs its top ring: on the hem (:func:`_at_bins`),
    tucked under the shell (a :class:`Hem`'s normals: :data:`TUCK_IN` in along them and
    :data:`TUCK_UP` up the shell, away from the ring :func:`_reach` finds), so the two surfaces
    overlap there: no hairline crack between the hem's edges and the ring's chords across them
    (upright only, ``hem.tuck``: with a thigh raised the shell's line runs into its crease, 4 mm up it
    a lunge's thigh crossed the tail); and (bins, 3) the shell's unit normals there (None: a bare
    (H, 3) hem)."""
    if not isinstance(hem, Hem) or len(X) < 4:
        return _at_bins(X, hem), None
    both = _at_bins(X, hem, np.concatenate([hem.points, hem.normals], axis=1))  # one interpolation
    P, n = both[:, :3], _unit(both[:, 3:])
    if not hem.tuck:
        return P, n
    d = X[_reach(X, BLEND)] - P
    return P - TUCK_UP * _unit(d - np.einsum("bj,bj->b", d, n)[:, None] * n) - TUCK_IN * n, n


def join(X: np.ndarray, hem: "Hem | np.ndarray | None", blend: float = BLEND,
         at: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | float]:
    """A tail's grid ``X`` (rings, bins, 3), ring 0 its top, with its top ring moved onto the
    shell's hem ring ``hem`` (a :class:`Hem`, or its (H, 3) points) (:func:`hem_targets`; a :class:`Hem`
    tucked, :func:`_seam`) and the move faded out (a half cosine) over
    ``blend`` metres of cloth down each column: (rings, bins, 3) and the (rings, bins) weights of
    the move (1 on the top ring; where it is w the settling keeps (1 - w) of its clearance plus
    w x 1 cm off the skin: the coat's hem sets it there); unchanged (weight 0.0) without a hem or with under 8
    points. Called on the skinned grid before it is relaxed (:func:`~genb.render.dress.hang.hang_grid`:
    the top ring pinned there, the rings below kept out of the legs and the skin). ``at``: (bins, 3)
    the top ring's places (:func:`_seam`), when known."""
    X = np.asarray(X, np.float64)
    if hem is None or len(_points(hem)) < 8:
        return X, 0.0
    d0 = (_seam(X, hem)[0] if at is None else at) - X[0]
    s = np.concatenate([np.zeros((1, X.shape[1])), np.cumsum(np.linalg.norm(np.diff(X, axis=0), axis=-1), axis=0)])
    w = np.where(s < blend, 0.5 + 0.5 * np.cos(np.pi * np.minimum(s / blend, 1.0)), 0.0)
    return X + w[..., None] * d0[None], w


def rejoin(X: np.ndarray, hem: "Hem | np.ndarray | None", capsules: tuple, skin: tuple, floor, out: np.ndarray,
           edges: np.ndarray | None = None) -> np.ndarray:
    """(rings, bins, 3) a settled tail ``X`` (rings, bins, 3) joined to the coat's hem ``hem`` (a
    :class:`Hem`, or its (H, 3) points) again (:func:`join`: what the settling moved), then kept out
    of the legs and the body: the rings below the top out of the legs' capsules as the relaxation
    tested them, the top ring out of the thighs themselves (where the coat's hem lies in a flexed
    thigh), every vertex out of the skin; before those, none under ``floor`` (metres: one, or (rings, bins) on a seat).

    ``capsules``: ``(A, B, F, R, Rm, cand, terms)`` (:mod:`~genb.render.dress.capsules`: ``R`` the
    legs' radii, ``Rm`` with the cloth's offset, ``cand``, ``terms`` for the rings below the top);
    ``skin``: ``(tree, points, normals)`` of the trunk's and legs' skin; ``out``: (rings * bins, 3)
    the cloth's outward directions (:func:`~genb.render.dress.settle.skin_push`); ``edges``: (bins,) bool
    whether the top ring's edge from each bin to the next exists (an open coat has none across its
    front), or None: all do. Last, before the skin, the rings under the top leave the hem along the
    shell (:func:`ease_in`)."""
    from genb.render.dress.capsules import capsule_terms, nearest_capsules, push_out
    from genb.render.dress.settle import skin_push

    A, B, F, R, Rm, cand, terms = capsules
    at, n0 = _seam(np.asarray(X, np.float64), hem) if hem is not None and len(_points(hem)) >= 8 else (None, None)
    X = join(X, hem, at=at)[0]
    rings, bins, _ = X.shape
    X[..., 2] = np.maximum(X[..., 2], np.reshape(floor, (rings, bins)) if np.ndim(floor) else floor)
    X[1:] = push_out(X[1:].reshape(-1, 3), A, B, F, Rm, cand, terms).reshape(rings - 1, bins, 3)
    near = nearest_capsules(X[0], A, B, R + 0.004)
    X[0] = push_out(X[0], A, B, F, R + 0.004, near, capsule_terms(A, B, F, near))
    m = 0.5 * (X[0] + np.roll(X[0], -1, axis=0))  # nor its edges (a hem across a raised thigh's crease)
    near = nearest_capsules(m, A, B, R + 0.004)
    d = push_out(m, A, B, F, R + 0.004, near, capsule_terms(A, B, F, near)) - m
    if edges is not None:  # no edge across an open coat's front: nothing there to keep out of a thigh
        d[~np.asarray(edges, bool)] = 0.0
    d = np.where((np.linalg.norm(d, axis=1) >= np.linalg.norm(np.roll(d, 1, axis=0), axis=1))[:, None], d, np.roll(d, 1, axis=0))
    X[0] += d
    X = ease_in(X, n0, (A, B, F, R), skin)
    Y = X.reshape(-1, 3)
    Y += skin_push(Y, *skin, np.zeros(len(Y)), out=out)
    return Y.reshape(rings, bins, 3)


def _tangent_curve(P0: np.ndarray, T0: np.ndarray, P1: np.ndarray, T1: np.ndarray, u: np.ndarray) -> np.ndarray:
    """(n, bins, 3) the cubic Hermite curves from ``P0`` (bins, 3) leaving along the unit ``T0`` to
    ``P1`` arriving along the unit ``T1``, at parameters ``u`` (n,) in (0, 1); tangents scaled by
    each curve's chord."""
    u = u[:, None, None]
    chord = norm(P1 - P0, keepdims=True)[None]
    return ((2 * u ** 3 - 3 * u ** 2 + 1) * P0 + (u ** 3 - 2 * u ** 2 + u) * chord * T0
            + (3 * u ** 2 - 2 * u ** 3) * P1 + (u ** 3 - u ** 2) * chord * T1)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(norm(v, keepdims=True), 1e-12)


def _reach(X: np.ndarray, length: float) -> int:
    """The ring ``length`` metres of cloth down a tail's grid ``X`` (rings, bins, 3) (its median
    column edge's steps; at least 2, at most the last but one)."""
    step = float(np.median(np.linalg.norm(np.diff(X, axis=0), axis=-1)))
    return int(np.clip(np.ceil(length / max(step, 1e-6)), 2, len(X) - 2))


def ease_in(X: np.ndarray, n0: np.ndarray | None, capsules: tuple, skin: tuple | None = None,
            length: float = BLEND) -> np.ndarray:
    """(rings, bins, 3) a joined tail ``X`` (rings, bins, 3; its top ring on the shell's hem, whose unit
    shading normals there are ``n0`` (bins, 3), :func:`_seam`) whose rings down to ``length`` metres of
    cloth leave the hem along the shell: each
    column between its top and the ring there replaced by the cubic curve that leaves the hem
    tangent to the shell (perpendicular to its shading normal there, towards that ring) and meets
    the column there along it, the rings at even steps along it (rings, column by column), then
    but a vertex the curve takes into a leg (its bare capsules, ``capsules``: ``(A, B, F, R)``,
    :mod:`~genb.render.dress.capsules`: a lunge's raised thigh at the hip crease, 3 of its 372
    vertices then crossed the tail) or under the skin (``skin``: ``(tree, points, normals)``) deeper
    than it was (a seated thigh raised against the belly: 1.1 -> 2.3 % of a tail's vertices under
    the skin) stays where it was, out of the legs' capsules with the cloth's offset. Without it the tail kept its own offset off the legs (the cloth's, 10 cm for a coat) from the
    ring under the hem, several centimetres outside the shell's hem: a crease all round the hips,
    its upper side lit, the shading's normal turned 30-45 degrees across it. Unchanged without
    the hem's normals (``n0`` None)."""
    from genb.render.dress.capsules import capsule_terms, nearest_capsules, push_out

    if n0 is None or len(X) < 4:
        return X
    k = _reach(X, length)
    d = X[k] - X[0]
    t0 = _unit(d - np.einsum("bj,bj->b", d, n0)[:, None] * n0)
    t1 = _unit(X[k + 1] - X[k - 1])
    old, X = X[1:k].reshape(-1, 3), X.copy()
    Y = _tangent_curve(X[0], t0, X[k], t1, np.arange(1, k) / k).reshape(-1, 3)
    A, B, F, R = capsules
    near = nearest_capsules(Y, A, B, R + 0.004)
    Y = np.where((push_out(Y, A, B, F, R + 0.004, near, capsule_terms(A, B, F, near)) != Y).any(axis=1)[:, None], old, Y)
    if skin is not None:
        tree, points, normals = skin
        both = np.concatenate([old, Y])
        i = tree.query(both)[1]
        gap = np.einsum("ij,ij->i", both - points[i], normals[i]).reshape(2, -1)
        Y = np.where((gap[1] < np.minimum(gap[0], 0.0))[:, None], old, Y)
    X[1:k] = Y.reshape(k - 1, -1, 3)
    return X


def _fade(rings: int, k: int) -> np.ndarray:
    """(rings,) a half cosine from 1 on ring 0 to 0 on ring ``k`` and under it."""
    w = np.zeros(rings)
    w[:k] = 0.5 + 0.5 * np.cos(np.pi * np.arange(k) / k)
    return w


def seam_normals(X: np.ndarray, N: np.ndarray, hem, length: float = BLEND) -> np.ndarray:
    """(rings, bins, 3) a joined tail's unit normals ``N`` (rings, bins, 3; its grid ``X``) with the
    shell's shading normals at its hem (``hem``, a :class:`Hem`: at each top ring's bin, its two
    nearest hem points', weighted by their nearness; the ring lies on the hem)
    blended in, wholly on the top ring and fading out (a half cosine) down to the ring :func:`ease_in`
    joins at: the shading runs on from the shell into the tail, no line along the seam (the grid's
    normals there, one-sided, turned 12-20 degrees from the shell's). Unchanged without its normals."""
    if not isinstance(hem, Hem) or len(hem.points) < 8 or len(X) < 4:
        return N
    d = norm(X[0][:, None] - hem.points[None])  # (bins, H): the ring lies on the hem
    near = np.argpartition(d, 1, axis=1)[:, :2]
    w2 = 1.0 / np.maximum(np.take_along_axis(d, near, axis=1), 1e-6)
    n0 = _unit(np.einsum("bk,bkj->bj", w2, hem.normals[near]))  # its two nearest hem points' normals
    w = _fade(len(X), _reach(X, length))
    return _unit((1.0 - w)[:, None, None] * N + w[:, None, None] * n0[None])


def weld(seams: list, bins: int) -> None:
    """After the layering (:func:`~genb.render.dress.layering.lay_over`: a coat laid over a skirt, its
    moved vertices given its mesh's own normals, each mesh's apart), each coat's seam shares its
    normals again, in place: ``seams`` holds ``(shell mesh, its Hem, tail mesh)``
    (:class:`~genb.render.dress.mesh.GarmentMesh`; the tail a grid of its ``columns``, else ``bins``). Where
    either was laid, the tail's top ring goes back onto the shell's hem as it lies now (each was
    pushed apart: a hairline gap), the move faded out as :func:`seam_normals` fades; the shell's hem
    takes the mean of its own normal and the tail's top ring's nearest, and the tail those."""
    from scipy.spatial import cKDTree

    for shell, hem, tail in seams:
        if not any(m.laid is not None and m.laid.any() for m in (shell, tail)):
            continue
        X = tail.vertices.astype(np.float64).reshape(-1, tail.columns or bins, 3)
        N = tail.normals.astype(np.float64).reshape(X.shape)
        P = shell.vertices[hem.ids].astype(np.float64)
        X = X + _fade(len(X), _reach(X, BLEND))[:, None, None] * (_seam(X, hem._replace(points=P))[0] - X[0])[None]
        tail.vertices = X.reshape(-1, 3).astype(np.float32)
        n = _unit(shell.normals[hem.ids].astype(np.float64) + N[0][cKDTree(X[0]).query(P)[1]])
        shell.normals[hem.ids] = n.astype(np.float32)
        tail.normals = seam_normals(X, N, hem._replace(points=P, normals=n)).reshape(-1, 3).astype(np.float32)
