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

from genb.render.dress.vec import cross, norm

SEAT_RHO = 0.17  # metres: the coat's sag radius over a flexed seat (the lobes' tops hold it up)
SEAT_REACH = 0.10  # metres: the farthest point of the seat that holds the cloth up
SEAT_MAX = 0.04  # metres: the most a point of the seat is lifted
SEAT_MIN_WEIGHT = 0.05  # shell vertices with less of the seat zone than this are left as they are
FACING = 0.5  # posed, a support whose normal is further than 60 degrees from a point's holds nothing up there
SUPPORT_CELL = 0.03  # metres: one seat vertex per cube of this side holds the tent up
_PLANS: dict = {}  # id(owner) -> (owner, plan): built once a shell (shells are cached; a trousers' by its blend)


def flexed(keypoints: np.ndarray, degrees: float | None = None) -> bool:
    """Whether a thigh lies further than ``degrees`` (default :data:`~genb.render.dress.coat_join.FLEX`) off
    the trunk's line: sitting, crouching, kneeling on one knee, a knee raised; not
    :func:`~genb.render.dress.coat_join.upright`. ``keypoints``: (25, 3) BODY25."""
    from genb.render.dress.coat_join import FLEX, upright

    return not upright(keypoints, FLEX if degrees is None else degrees)


def zone_vertices(shell, zone: np.ndarray, least: float) -> tuple[np.ndarray, np.ndarray]:
    """(the shell's own vertices (not a hem's inner edge) with more than ``least`` of the body's ``zone`` (V,)
    in [0, 1], (G,) float64 every shell vertex's weight of it)."""
    G = shell.num_vertices
    twin = shell.twin if shell.twin is not None else np.arange(G)
    w = np.asarray(shell.blend @ zone, np.float64).ravel()
    return np.flatnonzero((w > least) & (twin == np.arange(G))), w


def cell_supports(points: np.ndarray, cell: float) -> np.ndarray:
    """(S,) ascending indices of one of ``points`` (N, 3) per cube of side ``cell`` metres (the first in it)."""
    return np.sort(np.unique(np.floor(points / cell).astype(np.int64), axis=0, return_index=True)[1])


def plan(shell, zone: np.ndarray, owner=None) -> tuple | None:
    """What :func:`tent_seat` needs of a shell, built once (cached by ``owner``, by default the shell; a
    trousers' shell comes re-made per flare around the same cached blend): the seat's shell vertices
    ``ids`` (K,) (its own, not a hem's inner edge) and their zone weights (K,); the pairs (i, j) of a seat
    vertex and a support within :data:`SEAT_REACH` in the rest pose facing the same side (supports: one
    seat vertex per :data:`SUPPORT_CELL` cube, so a subdivided shell costs about what its coarse one does),
    sorted by i, with the starts of each i's run (:func:`numpy.maximum.reduceat`); and how moving them
    moves the mesh (:func:`moves`). None: the shell does not reach the seat.
    ``zone``: (V,) per body vertex in [0, 1]."""
    owner = shell if owner is None else owner
    got = _PLANS.get(id(owner))
    if got is not None and got[0] is owner:
        return got[1]
    from genb.render.dress.bridge import neighbour_pairs

    ids, w = zone_vertices(shell, zone, SEAT_MIN_WEIGHT)
    out = None
    if len(ids) >= 8:
        rest = np.asarray(shell.rest, np.float64)[ids]
        i, j, _, _ = neighbour_pairs(rest, np.asarray(shell.rest_normals, np.float64)[ids], SEAT_REACH)
        support = np.zeros(len(ids), bool)
        support[cell_supports(rest, SUPPORT_CELL)] = True
        keep = support[j]
        o = np.lexsort((j[keep], i[keep]))
        i, j = i[keep][o], j[keep][o]
        heads = np.flatnonzero(np.r_[True, i[1:] != i[:-1]]) if len(i) else np.zeros(0, np.int64)
        out = (ids, np.clip(w[ids], 0.0, 1.0), i, j, heads, moves(shell, ids))
    _PLANS[id(owner)] = (owner, out)
    return out


def moves(shell, ids: np.ndarray) -> tuple:
    """How moving a shell's vertices ``ids`` (K,) (its own, not a hem's inner edge) moves its mesh: the
    vertices ``touched`` (T,) by a face around a moved vertex (a hem's inner edge moves with its twin),
    those faces over them (F, 3), each touched vertex's index in ``ids`` (T,) (-1: none), the (M, F)
    sparse sum of the faces at the moved ones, ``moved`` (M,) their positions in ``touched``
    (:func:`displace`)."""
    import scipy.sparse

    G = shell.num_vertices
    twin = shell.twin if shell.twin is not None else np.arange(G)
    local = np.full(G, -1, np.int64)
    local[ids] = np.arange(len(ids))
    src = local[twin]
    faces = np.asarray(shell.faces, np.int64)
    faces = faces[(src[faces] >= 0).any(axis=1)]
    touched, lf = np.unique(faces, return_inverse=True)
    lf = lf.reshape(faces.shape)
    moved = np.flatnonzero(src[touched] >= 0)
    row = np.full(len(touched), -1, np.int64)
    row[moved] = np.arange(len(moved))
    r, f = row[lf.ravel()], np.repeat(np.arange(len(lf)), 3)
    inc = scipy.sparse.csr_matrix((np.ones(int((r >= 0).sum())), (r[r >= 0], f[r >= 0])), shape=(len(moved), len(lf)))
    return touched, lf, src[touched], inc, moved


def displace(vertices: np.ndarray, normals: np.ndarray, mv: tuple, step) -> None:
    """A posed shell's touched vertices moved, in place: ``vertices`` (G, 3) of the touched ones
    (``mv``, :func:`moves`) moved by ``step(v, n)`` (T, 3) (``v``, ``n``: (T, 3) float64 their positions and
    normals; 0 where nothing moves), the moved ones' normals turned by as much as the normals of
    their faces turned."""
    touched, lf, src, inc, moved = mv
    v = np.asarray(vertices[touched], np.float64)
    n = np.asarray(normals[touched], np.float64)
    v2 = v + step(v, n)
    unit = lambda x: x / np.maximum(norm(x, keepdims=True), 1e-12)  # noqa: E731
    turn = unit(inc @ _face_normals(v2, lf)) - unit(inc @ _face_normals(v, lf))
    vertices[touched[moved]] = v2[moved].astype(vertices.dtype)
    normals[touched[moved]] = unit(n[moved] + turn).astype(normals.dtype)


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
    env[np.einsum("ij,ij->i", normals[i], normals[j]) < FACING] = 0.0  # posed, another side (a thigh turned away)
    lift[i[heads]] = np.maximum.reduceat(env, heads)
    return np.clip(lift, 0.0, cap) * weight


def _face_normals(v: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F, 3) area-weighted normals of ``faces`` (F, 3) over the points ``v``."""
    a = v[faces[:, 0]]
    return cross(v[faces[:, 1]] - a, v[faces[:, 2]] - a)


def tent_seat(shell, zone: np.ndarray, vertices: np.ndarray, normals: np.ndarray) -> None:
    """A posed shell's seat lifted to its tent (:func:`seat_lift`), in place: ``vertices`` (G, 3) moved
    out along ``normals`` (G, 3), and the normals of the moved vertices turned by as much as the normals
    of their faces turned (unchanged where nothing moved). ``zone``: (V,) the body's seat zone
    (:func:`~genb.render.dress.bridge.back_seat_zone`)."""
    p = plan(shell, zone)
    if p is None:
        return
    ids, w, i, j, heads, mv = p
    lift = seat_lift(np.asarray(vertices[ids], np.float64), np.asarray(normals[ids], np.float64), (i, j, heads), w)
    if not (lift > 1e-4).any():
        return
    src = mv[2]
    displace(vertices, normals, mv, lambda v, n: np.where(src >= 0, lift[src], 0.0)[:, None] * n)


def shift_seat(p: tuple, step: np.ndarray, vertices: np.ndarray, normals: np.ndarray) -> None:
    """Move a posed shell's seat vertices (a :func:`plan` ``p``'s ``ids``) by ``step`` (K, 3) metres, in place
    (a hem's inner edge with its twin), and turn their ``normals`` by as much as the normals of their faces
    turned (:func:`displace`)."""
    src = p[5][2]
    displace(vertices, normals, p[5], lambda v, n: np.where((src >= 0)[:, None], step[src], 0.0))


_ZONES: dict = {}  # id(atlas) -> (atlas, its back_seat_zone)


def lay(wearer, shell, mesh) -> None:
    """A coat's or a jacket's posed shell ``mesh`` (a :class:`~genb.render.dress.mesh.GarmentMesh` of
    ``shell``) on a ``wearer`` with a thigh flexed past :data:`~genb.render.dress.coat_join.FLEX`: its seat
    spanned as a tent (:func:`tent_seat`, in place). Standing, its back and hips fall straight instead
    (:func:`~genb.render.dress.curtain.hang`)."""

    if not flexed(wearer.keypoints):
        return
    tent_seat(shell, _zone(wearer.dresser), mesh.vertices, mesh.normals)


def _zone(d) -> np.ndarray:
    """(V,) the body's :func:`~genb.render.dress.bridge.back_seat_zone` (once an atlas)."""
    from genb.render.dress.bridge import back_seat_zone

    got = _ZONES.get(id(d.atlas))
    if got is None or got[0] is not d.atlas:
        got = _ZONES[id(d.atlas)] = (d.atlas, back_seat_zone(d.atlas, d.is_leg))
    return got[1]


def seat_weights(wearer, shell) -> np.ndarray:
    """(G,) each shell vertex's weight of the body's seat zone (:func:`_zone`), as :func:`plan` takes it."""
    return np.asarray(shell.blend @ _zone(wearer.dresser), np.float64).ravel()
