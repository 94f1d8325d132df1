"""A coat's or a jacket's back spans a flexed seat as a tent: no buttock lobes, cleft or groove under them.

A tight shell is draped once, in the rest pose (:func:`~genb.render.dress.drape.drape_shell`), and
skinned through anchors that follow the posed body smoothed over a few centimetres. Sitting,
crouching or kneeling, the hips flexed, the buttocks spread into two round lobes with the cleft
between them and a groove under each: the anchors follow them, and a coat's back (its shell ends
under the buttocks there, :func:`~genb.render.dress.coat_join.top`) reads as the skin painted.
Real cloth of a coat is held up by the lobes' tops and spans the rest.

Posed, with a thigh flexed past :data:`~genb.render.dress.coat_join.FLEX`, the shell's seat
(:func:`~genb.render.dress.bridge.back_seat_zone`) is lifted along its normals to the upper envelope
of paraboloids of sag radius :data:`SEAT_RHO` hung from its neighbours up to :data:`SEAT_REACH`
away (the tent of :mod:`~genb.render.dress.bridge`, on the posed cloth), capped at :data:`SEAT_MAX`;
its normals turn by as much as its faces' did. Outwards only: the shell stays outside the body.

Pure functions over numpy arrays (world frame, metres) and a per-shell plan built once.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25

SEAT_RHO = 0.25  # metres: the coat's sag radius over a flexed seat (the lobes' tops hold it up)
SEAT_REACH = 0.12  # metres: the farthest point of the seat that holds the cloth up
SEAT_MAX = 0.04  # metres: the most a point of the seat is lifted
SEAT_MIN_WEIGHT = 0.05  # shell vertices with less of the seat zone than this are left as they are
_PLANS: dict = {}  # id(shell) -> (shell, plan): built once a shell (shells are cached)


def flexed(keypoints: np.ndarray, degrees: float) -> bool:
    """Whether a thigh lies further than ``degrees`` off the trunk's line (mid-hip to neck, pointing down):
    sitting, crouching, kneeling, a knee raised. ``keypoints``: (25, 3) BODY25."""
    kp = np.asarray(keypoints, np.float64)
    down = kp[K25["mid_hip"]] - kp[K25["neck"]]
    down /= max(float(np.linalg.norm(down)), 1e-12)
    for side in ("left", "right"):
        d = kp[K25[f"{side}_knee"]] - kp[K25[f"{side}_hip"]]
        if d @ down < np.cos(np.radians(degrees)) * max(float(np.linalg.norm(d)), 1e-12):
            return True
    return False


def plan(shell, zone: np.ndarray) -> tuple | None:
    """What :func:`tent_seat` needs of a shell, built once (cached by the shell): the seat's shell vertices
    ``ids`` (K,) (its own, not a hem's inner edge) and their zone weights (K,); the neighbour pairs (i, j)
    over them within :data:`SEAT_REACH` in the rest pose facing the same side, sorted by i, with the
    starts of each i's run (:func:`numpy.maximum.reduceat`); ``src`` (G,) each shell vertex's seat
    index (its twin's for a hem's inner edge; -1 off the seat) and the faces touching a moved vertex.
    None: the shell does not reach the seat. ``zone``: (V,) per body vertex in [0, 1]."""
    got = _PLANS.get(id(shell))
    if got is not None and got[0] is shell:
        return got[1]
    from genb.render.dress.bridge import neighbour_pairs

    G = shell.num_vertices
    twin = shell.twin if shell.twin is not None else np.arange(G)
    w = np.asarray(shell.blend @ zone, np.float64).ravel()
    ids = np.flatnonzero((w > SEAT_MIN_WEIGHT) & (twin == np.arange(G)))
    out = None
    if len(ids) >= 8:
        i, j, _, _ = neighbour_pairs(shell.rest[ids], shell.rest_normals[ids], SEAT_REACH)
        o = np.lexsort((j, i))
        i, j = i[o], j[o]
        heads = np.flatnonzero(np.r_[True, i[1:] != i[:-1]]) if len(i) else np.zeros(0, np.int64)
        local = np.full(G, -1, np.int64)
        local[ids] = np.arange(len(ids))
        src = local[twin]
        moved = src >= 0
        faces = np.asarray(shell.faces, np.int64)
        faces = faces[moved[faces].any(axis=1)]
        out = (ids, np.clip(w[ids], 0.0, 1.0), i, j, heads, src, faces)
    _PLANS[id(shell)] = (shell, out)
    return out


def _face_sums(v: np.ndarray, faces: np.ndarray, n: int) -> np.ndarray:
    """(n, 3) the area-weighted face normals of ``faces`` summed at their vertices (``v``: (n, 3))."""
    a, b, c = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    fn = np.cross(b - a, c - a)
    out = np.zeros((n, 3))
    for k in range(3):
        np.add.at(out, faces[:, k], fn)
    return out


def seat_lift(points: np.ndarray, normals: np.ndarray, pairs: tuple, weight: np.ndarray,
              rho: float = SEAT_RHO, cap: float = SEAT_MAX) -> np.ndarray:
    """(K,) metres each posed seat point rises along its normal to the tent hung from its neighbours: the
    upper envelope of ``(p_j - p_i) . n_i - t_ij^2 / (2 rho)`` over the pairs (i, j, heads) of :func:`plan`,
    capped at ``cap``, times ``weight`` (K,). ``points``, ``normals``: (K, 3) posed, unit."""
    i, j, heads = pairs
    lift = np.zeros(len(points))
    if not len(i):
        return lift
    d = points[j] - points[i]
    h = np.einsum("ij,ij->i", d, normals[i])
    env = h - (np.einsum("ij,ij->i", d, d) - h * h) / (2.0 * rho)
    lift[i[heads]] = np.maximum.reduceat(env, heads)
    return np.clip(lift, 0.0, cap) * weight


def tent_seat(shell, zone: np.ndarray, vertices: np.ndarray, normals: np.ndarray) -> None:
    """A posed shell's seat lifted to its tent (:func:`seat_lift`), in place: ``vertices`` (G, 3) moved
    out along ``normals`` (G, 3), and the normals of the moved vertices turned by as much as the normals
    of their faces turned (unchanged where nothing moved). ``zone``: (V,) the body's seat zone
    (:func:`~genb.render.dress.bridge.back_seat_zone`)."""
    p = plan(shell, zone)
    if p is None:
        return
    ids, w, i, j, heads, src, faces = p
    v = np.asarray(vertices, np.float64)
    n = np.asarray(normals, np.float64)
    lift = seat_lift(v[ids], n[ids], (i, j, heads), w)
    if not (lift > 1e-4).any():
        return
    moved = np.flatnonzero(src >= 0)
    before = _face_sums(v, faces, len(v))[moved]
    v2 = v.copy()
    v2[moved] += lift[src[moved], None] * n[moved]
    after = _face_sums(v2, faces, len(v))[moved]
    unit = lambda x: x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)  # noqa: E731
    turned = unit(n[moved] + unit(after) - unit(before))
    vertices[moved] = v2[moved].astype(vertices.dtype)
    normals[moved] = turned.astype(normals.dtype)


_ZONES: dict = {}  # id(atlas) -> (atlas, its back_seat_zone)


def lay(wearer, shell, mesh) -> None:
    """A coat's or a jacket's posed shell ``mesh`` (a :class:`~genb.render.dress.mesh.GarmentMesh` of
    ``shell``) on a ``wearer`` with a thigh flexed past :data:`~genb.render.dress.coat_join.FLEX`: its seat
    spanned as a tent (:func:`tent_seat`, in place). Standing, the rest pose's drape spans it already."""
    from genb.render.dress.bridge import back_seat_zone
    from genb.render.dress.coat_join import FLEX

    if not flexed(wearer.keypoints, FLEX):
        return
    d = wearer.dresser
    got = _ZONES.get(id(d.atlas))
    if got is None or got[0] is not d.atlas:
        got = _ZONES[id(d.atlas)] = (d.atlas, back_seat_zone(d.atlas, d.is_leg))
    tent_seat(shell, got[1], mesh.vertices, mesh.normals)
