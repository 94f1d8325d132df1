"""A coat's or a jacket's shell kept out of the thighs and knees that a crouch folds up against it.

A tight shell follows the trunk and the arms it is skinned to; it knows nothing of the legs. Crouching
or sitting on the ground with the knees up, the thighs fold up against the belly and the knees come up
beside the chest and under the forearms: the shell's front, sides and sleeves run through them, and
the trousers show through the jacket as a dark patch (bedlam seed 320, sample 4: a crouching man's
knee through his jacket's side). Real cloth there lies on the thigh or is pressed between it and the body.

Posed, with a thigh flexed past :data:`~genb.render.dress.coat_join.FLEX`, every shell vertex that lies under
the skin of a thigh or knee (its nearest leg vertex, from :data:`LEG_FROM` down the leg and within :data:`REACH`,
along that vertex's normal) is moved out along that normal to the coat's stacked thickness + :data:`MARGIN` over
it, and off the tight trousers' surface there (from :data:`CLOTH_FROM`) by the coat's own thickness +
:data:`MARGIN` (their crease stands up to 4 cm off a crouching thigh), but on the shell's seat (:data:`ON_SEAT`,
the seat tent's: pushed off the trousers' seat its relief rose from a median 0.14 to 0.19); skin and trousers in
turn, :data:`PASSES` rounds; the move is then spread to its neighbours over the shell's faces, :data:`SPREAD` of
their pushed neighbours' mean a ring (no step at the pushed patch's edge), and pushed again; normals turn by as
much as their faces did. A sleeve's vertices (the shell's blend of the arms over a half) off the seat are not
pushed out but pressed in towards the body point they are draped from, out of the leg
(:mod:`~genb.render.dress.knee_press`): pushed out, a sleeve crossing a thigh came out on both sides of it, torn
across the leg into shards lying on the trousers (``closeup`` seed 370, sample 11) or round a knee as a hoop with
the knee a disc in it (seed 361, sample 6). Over crouching, knees up, kneeling and kneeling on one knee x child,
average, heavy, tall x closed coat and jacket (``tests/test_knee_clear.py``): trunk vertices more than 3 mm under
a leg's skin 0 (4325 on beb768f); sleeve vertices in a leg 2439, each pressed on the body; shell edges torn (both
ends moved 5 mm or more, more than 90 degrees apart) with an end on a sleeve 681 on ccda6a9 -> 11, all 1026 ->
356 (the trunk's, still torn across a thigh), faces turned over 3807 -> 1314. Off a chair with a knee raised
(crouching, knees up: :func:`~genb.render.dress.knee_lift.raised`) the trunk is now lifted up the trunk instead
(:mod:`~genb.render.dress.knee_lift`): all torn 356 -> 76, turned over 1314 -> 446 (the rest kneeling on one
knee, pushed as before), the front a 6 cm lift does not free (1655 vertices) left inside the body behind the thigh.

Cost (thread CPU time, best of 5, base and this interleaved in one process, the 2-core machine at a load
of 12-20; pressing the sleeves in, :mod:`~genb.render.dress.knee_press`, added 5.1 -> 6.2 ms a flexed coat or
jacket over crouching, knees up, on one knee, seated, cross-legged, measured at a load of 4-6): over the test's flexed poses (crouching, knees up, on one knee, seated, cross-legged, legs out,
a lunge) x 4 bodies x coat and jacket, 5.50 -> 4.79 ms a flexed coat or jacket on e9a3c6f -> now
(crouching and knees up 9.4 -> 8.4, the others 3.9 -> 3.3), the moved shells bit for bit the same: a
round asks the k-d tree again only for the points that moved (:class:`_Surface`, half the queries), the
trousers' vertices on the legs are those within reach of the leg point found last time, the rest asked
(:func:`_bottom`), nothing of the trousers is sorted out when no shell vertex is near a leg, and the
normals are summed over the moved faces' own vertices. Still 3-9 ms, not the 1 ms a part aimed at: three
k-d trees, the shell vertices near the legs and the rounds' queries are most of it (about 0.5 us a point
queried on this machine); a bedlam sample holds about 0.2 flexed coat wearers (seed 100: 4 in 20 samples).

Pure functions over numpy arrays (world frame, metres).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress import knee_lift, knee_press
from genb.render.dress.vec import norm

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


def clear(vertices: np.ndarray, normals: np.ndarray, faces: np.ndarray, surfaces: list, press=None,
          up: np.ndarray | None = None) -> np.ndarray:
    """The vertices moved, in place: ``vertices`` (G, 3) out of the legs (:func:`leg_push` of each of
    ``surfaces`` in turn, :data:`PASSES` rounds, spread by :func:`spread`, then as many rounds again),
    ``normals`` (G, 3) of the moved vertices turned by as much as their faces' normals turned.
    ``surfaces``: ``(points (L, 3), unit normals (L, 3), clearance metres[, (G,) bool the shell vertices it
    pushes])`` each, the legs' skin first (only shell vertices within :data:`NEAR` of it are looked at); after the
    skin, ``points`` may be a function ``() -> (points, normals)``, called only when some shell vertex is that near
    (a tall body cross-legged: none, 1.6 -> 0.4 ms). ``press``: ``((G,) bool, a function (M,) ids -> ((M, 3)
    anchors, (M,) metres))``: the vertices never pushed out of a leg but pressed in towards their anchors, at most
    that near them (:func:`~genb.render.dress.knee_press.inward`), or None: none. ``up``: (3,) the unit way up the
    trunk: the other vertices in a leg lifted along it (:func:`~genb.render.dress.knee_lift.lift`, sloped round by
    :func:`~genb.render.dress.knee_lift.envelope`; needs ``press``), those it leaves in a leg where they are, or None:
    pushed out along the legs' normals. Returns the (M,) moved vertex ids."""
    v = np.asarray(vertices, np.float64)
    skin = _Surface(np.asarray(surfaces[0][0], np.float64), np.asarray(surfaces[0][1], np.float64), surfaces[0][2])
    lo, hi = skin.points.min(axis=0) - NEAR, skin.points.max(axis=0) + NEAR
    box = np.flatnonzero(((v >= lo) & (v <= hi)).all(axis=1))
    d, j = skin.tree.query(v[box], distance_upper_bound=NEAR)
    inside = np.isfinite(d)
    near = box[inside]  # the rest stay as they are
    if not len(near):
        return np.zeros(0, np.int64)
    others = [(_arrays(s[0]), s[2], s[3] if len(s) > 3 else None) for s in surfaces[1:]]
    surfaces = [skin] + [_Surface(p, n, c, m) for (p, n), c, m in others if len(p)]
    pressed = None if press is None else np.asarray(press[0], bool)
    for s in surfaces:
        if pressed is not None:  # pressed in, not pushed out (dress.knee_press)
            s.only = ~pressed if s.only is None else np.asarray(s.only, bool) & ~pressed
        s.start(near)
    skin.known(v[near], d[inside], j[inside])  # the first round's nearest skin points: those within NEAR
    push = np.zeros(v.shape)
    if up is None:
        push[near] = _passes(v[near], np.zeros((len(near), 3)), surfaces)
    if pressed is not None:  # those in a leg pressed in towards the body they are draped from
        ids = near[pressed[near]]
        ids = ids[~knee_press.outside(v[ids], surfaces)]
        if len(ids):
            push[ids] = knee_press.inward(v[ids], *press[1](ids), surfaces)
    if up is not None:  # the trunk lifted up it (dress.knee_lift), not pushed along the legs' normals
        trunk = near[~pressed[near]]
        push[trunk], deep = knee_lift.lift(v[trunk], trunk, up, surfaces)
        trunk = np.delete(trunk, deep)  # (those still in a leg stay there, behind the thigh: pressed in, a sash fitted
        # to them went under the trousers, tests/test_bags.py)
    if not (np.abs(push) > 1e-5).any():
        return np.zeros(0, np.int64)
    if up is None:
        push[near] = _passes(v[near], spread(push, faces)[near], surfaces)  # spread, a point deep in a thigh comes near its skin
    else:  # the lift sloped down round its patch (no step), then lifted again where that left one in a leg
        lifted = np.zeros(len(v))
        lifted[trunk] = push[trunk] @ up
        off = np.ones(len(v), bool) if pressed is None else ~pressed
        lifted = knee_lift.envelope(lifted, v, faces, off)
        push = spread(np.where(off[:, None], 0.0, push), faces)
        push[off] = lifted[off, None] * up
        push[trunk] += knee_lift.lift(v[trunk] + push[trunk], trunk, up, surfaces)[0]
    is_moved = (np.abs(push) > 1e-5).any(axis=1)
    moved = np.flatnonzero(is_moved)
    f = np.asarray(faces, np.int64)
    f = f[is_moved[f].any(axis=1)]  # the faces round the moved vertices, over their own vertices only
    ids, local = np.unique(f, return_inverse=True)
    local, at = local.reshape(f.shape), np.searchsorted(ids, moved)
    v1 = v[ids]
    v2 = v1 + np.where(is_moved[ids, None], push[ids], 0.0)
    before, after = _vertex_normals(v1, local, len(ids))[at], _vertex_normals(v2, local, len(ids))[at]
    n = np.asarray(normals, np.float64)[moved] + after - before
    vertices[moved] = v2[at].astype(vertices.dtype)
    normals[moved] = (n / np.maximum(norm(n, keepdims=True), 1e-12)).astype(normals.dtype)
    return moved


def _arrays(surface) -> tuple[np.ndarray, np.ndarray]:
    """(points, normals) float64 of a surface given as (points, normals) or as a function that gives them."""
    return tuple(np.asarray(x, np.float64) for x in (surface() if callable(surface) else surface))


class _Surface:
    """A surface the shell is pushed off (points, unit normals, clearance) and each looked-at shell point's last
    nearest point on it, where that point was then. :meth:`push` asks the k-d tree again only for the points it
    pushes that have moved since and may have come within :data:`REACH` (a point :data:`NEAR` or farther that
    moved less than ``NEAR - REACH`` cannot have): the nearest points a query of every point each round finds,
    so the same pushes (bit for bit), with fewer queries (crouching and knees up 50 % of them, the other flexed
    poses 42 %).
    ``only``: (G,) bool the shell vertices it pushes, or None: all."""

    def __init__(self, points, normals, clearance, only=None):
        from scipy.spatial import cKDTree

        self.points, self.normals, self.clearance, self.only = points, normals, clearance, only
        self.tree = cKDTree(points)

    def start(self, ids: np.ndarray) -> None:
        """Look at the shell vertices ``ids`` (N,) from now on (nothing known of them yet)."""
        n = len(ids)
        self.at = np.full((n, 3), np.nan)  # where each point was when its nearest was found
        self.d, self.j = np.full(n, np.inf), np.zeros(n, np.int64)
        self.mask = None if self.only is None else np.asarray(self.only, bool)[ids]

    def known(self, p: np.ndarray, d: np.ndarray, j: np.ndarray) -> None:
        """The nearest points ``j`` (N,) at distances ``d`` (inf: none within :data:`NEAR`) of every point at ``p`` (N, 3)."""
        self.at, self.d, self.j = p.copy(), d.copy(), j.copy()

    def push(self, p: np.ndarray) -> np.ndarray:
        """(N, 3) :func:`leg_push` of the points ``p`` (N, 3) off this surface (zero where it pushes nothing)."""
        ask = ~(self.at == p).all(axis=1)  # moved (or never asked)
        if self.mask is not None:
            ask &= self.mask
        moved = norm(p[ask] - self.at[ask])
        far = np.minimum(self.d[ask], NEAR) - moved > REACH  # still out of reach (nan: never asked)
        ask[np.flatnonzero(ask)[far]] = False
        if ask.any():
            self.d[ask], self.j[ask] = self.tree.query(p[ask], distance_upper_bound=NEAR)
            self.at[ask] = p[ask]
        out = np.zeros(p.shape, np.float64)
        hit = self.d < REACH
        if self.mask is not None:
            hit &= self.mask
        if hit.any():
            j = self.j[hit]
            h = np.einsum("ij,ij->i", p[hit] - self.points[j], self.normals[j])
            out[hit] = np.maximum(self.clearance - h, 0.0)[:, None] * self.normals[j]
        return out


def _passes(v: np.ndarray, push: np.ndarray, surfaces: list) -> np.ndarray:
    """(N, 3) ``push`` (N, 3) grown by :data:`PASSES` rounds of :func:`leg_push` of the points ``v`` + ``push``
    out of each of ``surfaces`` (:class:`_Surface`) in turn: moved out of one leg vertex's
    plane, a point may lie under its new nearest one's (a knee's fold), or under the trousers."""
    for _ in range(PASSES):
        for s in surfaces:
            push = push + s.push(v + push)
    return push


def _vertex_normals(v: np.ndarray, faces: np.ndarray, count: int) -> np.ndarray:
    """(count, 3) unit area-weighted normals of ``faces`` (F, 3) over the points ``v`` at their vertices."""
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    ids, w = faces.ravel(), np.repeat(fn, 3, axis=0)
    out = np.stack([np.bincount(ids, w[:, k], minlength=count) for k in range(3)], axis=1)
    return out / np.maximum(norm(out, keepdims=True), 1e-12)


def lay(wearer, shell, mesh, clearance: float, cloth: float = 0.0) -> None:
    """A coat's or a jacket's posed shell ``mesh`` (a :class:`~genb.render.dress.mesh.GarmentMesh`) on a
    ``wearer`` with a thigh flexed past :data:`~genb.render.dress.coat_join.FLEX` (:func:`clear`, in place)
    kept ``clearance`` + :data:`MARGIN` metres over the thighs' and knees' skin and, off its seat
    (:func:`~genb.render.dress.seat_tent.seat_weights` at most :data:`ON_SEAT`), ``cloth`` + :data:`MARGIN` over
    the tight trousers' (or shorts', leggings') surface on them: its sleeves (blend of the arms over a half) off
    the seat pressed in towards the body, at most to ``clearance`` from it or ``cloth`` over the tops worn under
    it (:func:`~genb.render.dress.knee_press.anchored`), the rest lifted up the trunk with a knee raised
    (:mod:`~genb.render.dress.knee_lift`; on a chair or with the knees low pushed out along the legs' normals).
    Standing, nothing is done."""
    from genb.core.conventions import PART_INDEX
    from genb.render.dress.coat_join import FLEX
    from genb.render.dress.seat_tent import flexed

    if not flexed(wearer.keypoints, FLEX):
        return
    legs = _legs(wearer.dresser, LEG_FROM)
    skin = (wearer.vertices[legs], wearer.normals[legs], clearance + MARGIN)
    from genb.render.dress.seat_tent import seat_weights

    off_seat = seat_weights(wearer, shell) <= ON_SEAT
    legs = wearer.vertices[_legs(wearer.dresser, CLOTH_FROM)]
    bottoms = [(_bottom(m, legs, (id(wearer.dresser), CLOTH_FROM)), None, cloth + MARGIN, off_seat) for m in wearer.out
               if m.part == PART_INDEX["lower_clothes"] and ":" not in m.name]
    sleeves = off_seat & (np.asarray(shell.blend @ wearer.dresser.is_arm.astype(np.float32)).ravel() > 0.5)
    anchors = lambda ids: knee_press.anchored(wearer, shell, ids, clearance, cloth)  # noqa: E731
    from genb.render.dress.coat_tail import on_chair

    # off a chair with a knee raised the trunk lifted up it (dress.knee_lift); on one pushed out along the legs' normals
    # as before (lifted, a coat's tail hung from the hem stood off the lap: tests/test_coat_lap.py 2.6 -> 10.6 %), and
    # with the knees low (cross-legged, kneeling, legs out, a lunge: knee_lift.raised)
    kp = wearer.keypoints
    up = knee_lift.way(kp) if knee_lift.raised(kp) and not on_chair(kp) else None
    clear(mesh.vertices, mesh.normals, mesh.faces, [skin] + bottoms, (sleeves, anchors), up)


def _bottom(mesh, legs: np.ndarray, key):
    """The surface of a tight bottom (``lower_clothes``, not a skirt's ``:skirt``) over the legs, for :func:`clear`:
    a function that gives ``(points, normals)`` of the ``mesh``'s vertices within :data:`REACH` of the leg points
    ``legs`` (L, 3). Each vertex's leg point the last person in that cut found within reach (:data:`_NEAREST`,
    by the cut's faces and ``key``, what ``legs`` are) is looked at first: within reach again (most of a trouser
    leg's), it is on the surface; only the others are asked of a k-d tree (the same surface, about 0.7 ms less)."""

    def select():
        from scipy.spatial import cKDTree

        got = _NEAREST.get((id(mesh.faces), key))
        if got is None or got[0] is not mesh.faces or len(got[1]) != len(mesh.vertices):
            got = _NEAREST[(id(mesh.faces), key)] = (mesh.faces, np.full(len(mesh.vertices), -1, np.int64))
        j = got[1]
        v = np.asarray(mesh.vertices, np.float64)
        j[j >= len(legs)] = -1  # (another body's)
        on = (j >= 0) & (norm(v - legs[np.maximum(j, 0)]) < REACH)
        ask = np.flatnonzero(~on)
        if len(ask):
            d, k = cKDTree(legs).query(mesh.vertices[ask], distance_upper_bound=REACH)
            on[ask] = np.isfinite(d)
            j[ask[np.isfinite(d)]] = k[np.isfinite(d)]
        return mesh.vertices[on], mesh.normals[on]

    return select


_NEAREST: dict = {}  # (id(a bottom's faces), legs key) -> (faces, (T,) a leg point within reach of each vertex or -1)


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
