"""A standing coat or jacket falls straight from its widest line: no buttock or hip lobes at its hem.

A tight shell is draped once, in the rest pose, on the rest body (:func:`~genb.render.dress.drape.drape_shell`)
and skinned through anchors that follow the posed body smoothed over a few centimetres. Under the
buttocks' and the hips' widest line the body narrows again, to the gluteal fold and the thighs, and a
jacket's shell followed it in: seen from behind or the side its hem curved in under two buttock lobes
and round the hips, the cleft between them (on a heavy body most: a body fuller than the rest body's
brings its forms back through the anchors). Cloth of a jacket or a coat hangs from the widest line
straight down, spanning the cleft.

Posed, standing or walking (:func:`~genb.render.dress.coat_join.upright`; a flexed seat is
:mod:`~genb.render.dress.seat_tent`'s), each point of the shell's back and sides below the small of the
back (:func:`curtain_zone`) moves out horizontally (gravity is the world's -Z), along its direction from
the vertical through the hip joints, to the outline of the cloth above it: the convex hull, seen from
above, of the zone's points from :data:`CURTAIN_SLACK` under it to :data:`CURTAIN_REACH` over it
(:func:`curtain_lift`), by at most :data:`CURTAIN_MAX`; its normals turn as its faces turned, then towards
the curtain's own. Outwards only: the shell stays outside the body. Measured (``tests/test_curtain.py``,
a closed jacket standing, in contrapposto and walking, child, average, heavy, tall bodies): the cloth of
the back and sides inside the outline of the cloth above it, 90th percentile per person, 16.6-41.2 mm
before, 1.3-2.1 mm now.

With both thighs folded up (:func:`folded_seat`: crouching, sitting on the ground or on a seat) the same
curtain hangs the back from the buttocks (by at most :data:`FOLDED_MAX`): the pelvis had tilted the shell's
hem into an upright hoop under the buttocks, 13-19 cm in front of their outline, and a coat's tail hung from
it, framing the seat seen from behind. Measured (``tests/test_coat_fall.py``, crouching and knees up x child,
average, heavy, tall x closed coat (shell and tail) and jacket; the back within 45 degrees of it): 94.8-139.5
mm before, 1.6-5.4 mm now. Its tail hangs on from the moved hem (:mod:`~genb.render.dress.coat_join`).
(A flexed seat's relief is :mod:`~genb.render.dress.seat_tent`'s, after this.)

In every other pose too (kneeling on one knee, cross-legged: one thigh raised or both half way; by at most
:data:`FOLDED_MAX`; not a lunge or a running stride, :func:`striding`), and on a long top kneeling or seated
(:func:`kneels`, or not upright; a hoodie's, a sweater's or a shirt's hem under the buttocks' widest
line, :data:`~genb.render.dress.coat_join.WIDEST`; the rest-pose lift of
:func:`~genb.render.dress.chest.curtain_lift` alone left two lobes and the cleft once posed): on one knee a jacket's
and a coat's back bulged over the buttock on the kneeling side, cross-legged over both, and a hoodie's followed
both lobes kneeling and sitting. Measured (``tests/test_back_fall.py``, kneeling, on one knee, on a chair and
cross-legged x child, average, heavy, tall x hoodie, closed jacket, open coat; the shell's back within 45 degrees,
90th percentile per person): 0.5-132.2 mm before (median 64.2), 0.5-19.8 mm now (median 2.2).

Pure functions over numpy arrays (world frame, metres) and a per-shell plan built once.
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.vec import cross, norm

CURTAIN_REACH = 0.2  # metres: the cloth falls straight from what lies up to this far above it
CURTAIN_SLACK = 0.01  # metres: ... or this far below it (a cleft's own lobes at its height)
CURTAIN_MAX = 0.1  # metres: the most a point moves out (a heavy body's cleft: 6.8 cm; capped at 6 its walls crumpled)
FOLDED_MAX = 0.2  # metres: ... with both thighs folded up (the hem under a crouch's buttocks: 13-19 cm inside their outline)
KNEEL_SHIN = 0.15  # metres: a knee this little over its ankle kneels (a long top's curtain, garments._upper)
STRIDE_BACK = 0.25  # a thigh pointing back further than this (its unit vector's part along the trunk's back) strides: no curtain
FOLD = 60.0  # degrees: both thighs further than this off the trunk's line fold the seat up (crouching, knees up, seated)
CURTAIN_MIN_WEIGHT = 0.05  # shell vertices with less of the zone than this stay as they are
SLICE = 0.01  # metres: the outline is taken per slice of this height
DIRECTIONS = 32  # the outline's support directions (a circumscribed 32-gon: within 0.5 % of its radius)
SUPPORT_CELL = 0.02  # metres: one zone vertex per cube of this side holds the outline out
NORMAL_BLEND = 0.02  # metres: a vertex moved this far takes the curtain's normal and its neighbours' mean
ROUND = 0.1  # metres over a jacket's hem (no tail) in which a folded seat's curtain turns in under it: a rounded edge
ROUND_IN = 0.08  # metres the hem comes in by at most (a quarter ellipse ROUND high, ROUND_IN deep) ...
ROUND_KEEP = 0.2  # ... and the share of its move out it keeps at least
HEM_TORSO = 0.5  # a shell's open edge with a lower trunk coordinate than this is its hem (not its collar or cuffs)
_PLANS: dict = {}  # id(shell) -> (shell, plan): built once a shell (shells are cached)
_ZONES: dict = {}  # id(atlas) -> (atlas, its curtain_zone)


def curtain_zone(atlas, is_leg: np.ndarray) -> np.ndarray:
    """(V,) weight in [0, 1] per body vertex of the back and sides of the hips a coat hangs over: the seat
    and hips of a pair of trousers (:func:`~genb.render.dress.bridge.seat_zone` at
    :data:`~genb.render.dress.bridge.SEAT_TOP`: the trunk below trunk coordinate 0.19, whole from 0.11,
    and the thighs' top third) where the rest normal faces back or sideways (whole from facing square
    to the side, faded out to 0.3 towards the front)."""
    from genb.render.dress.bridge import SEAT_TOP, seat_zone

    side = np.clip((np.asarray(atlas.normals, np.float64)[:, 1] + 0.3) / 0.3, 0.0, 1.0)
    return seat_zone(atlas, is_leg, SEAT_TOP) * side


def _along(p: np.ndarray, U: np.ndarray) -> np.ndarray:
    """(N, D) the horizontal part of ``p`` (N, 3) along each unit ``U`` (D, 2) (element-wise, not a BLAS
    product: the same bits on every CPU)."""
    return p[:, :1] * U[:, 0] + p[:, 1:2] * U[:, 1]


def _outline(support: np.ndarray, z0: float, bins: int) -> np.ndarray:
    """(bins, DIRECTIONS) per slice of :data:`SLICE` from ``z0`` up, the support function (the farthest
    reach along each direction) of the ``support`` points (S, 3) from :data:`CURTAIN_SLACK` under the slice
    to :data:`CURTAIN_REACH` over it (-1e9: none)."""
    a = 2.0 * np.pi * np.arange(DIRECTIONS) / DIRECTIONS
    U = np.stack([np.cos(a), np.sin(a)], axis=1)
    own = np.full((bins, DIRECTIONS), -1e9)
    b = np.clip(np.floor((support[:, 2] - z0) / SLICE).astype(np.int64), 0, bins - 1)
    np.maximum.at(own, b, _along(support, U))
    out = own.copy()
    for k in range(1, int(round(CURTAIN_REACH / SLICE)) + 1):  # slices above
        out[:-k] = np.maximum(out[:-k], own[k:])
    for k in range(1, int(round(CURTAIN_SLACK / SLICE)) + 1):  # and below
        out[k:] = np.maximum(out[k:], own[:-k])
    return out


def curtain_lift(points: np.ndarray, directions: np.ndarray, support: np.ndarray, weight: np.ndarray,
                 cap: float = CURTAIN_MAX) -> tuple:
    """(K,) metres each posed point moves out along its horizontal unit ``directions`` (K, 3) to the
    outline of the cloth above it (the convex hull seen from above of the ``support`` points (S, 3) from
    :data:`CURTAIN_SLACK` under it to :data:`CURTAIN_REACH` over it, a circumscribed :data:`DIRECTIONS`-gon):
    where the ray leaves it, 0 if outside already, capped at :data:`CURTAIN_MAX`, times ``weight`` (K,);
    and (K, 3) the unit horizontal normal of the side it leaves through (the curtain's normal there).
    ``points``: (K, 3) world frame, Z up."""
    K = len(points)
    if not K or not len(support):
        return np.zeros(K), np.zeros((K, 3))
    z0 = float(min(points[:, 2].min(), support[:, 2].min()))
    bins = int(np.floor((max(points[:, 2].max(), support[:, 2].max()) - z0) / SLICE)) + 1
    H = _outline(support, z0, bins)
    a = 2.0 * np.pi * np.arange(DIRECTIONS) / DIRECTIONS
    U = np.stack([np.cos(a), np.sin(a)], axis=1)
    h = H[np.clip(np.floor((points[:, 2] - z0) / SLICE).astype(np.int64), 0, bins - 1)]
    along = _along(directions, U)  # (K, D): how fast the ray nears each side
    gap = h - _along(points, U)  # (K, D): how far each side is
    t = np.where(along > 0.2, gap / np.maximum(along, 0.2), np.inf)
    k = np.argmin(t, axis=1)
    t = t[np.arange(K), k]
    side = np.concatenate([U[k], np.zeros((K, 1))], axis=1)
    return np.clip(np.where(np.isfinite(t), t, 0.0), 0.0, cap) * weight, side


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(norm(x, keepdims=True), 1e-12)


def plan(shell, zone: np.ndarray) -> tuple | None:
    """What :func:`hang_straight` needs of a shell, built once (cached by the shell): its zone vertices
    ``ids`` (K,) (its own, not a hem's inner edge), their zone weights (K,) in [0, 1], the supports (one zone
    vertex per :data:`SUPPORT_CELL` cube in the rest pose, indices into ``ids``) and how moving them moves
    the mesh (:func:`~genb.render.dress.seat_tent.moves`). None: the shell does not reach the zone.
    ``zone``: (V,) per body vertex in [0, 1] (:func:`curtain_zone`)."""
    from genb.render.dress.seat_tent import cell_supports, moves, zone_vertices

    got = _PLANS.get(id(shell))
    if got is not None and got[0] is shell:
        return got[1]
    ids, w = zone_vertices(shell, zone, CURTAIN_MIN_WEIGHT)
    out = None
    if len(ids) >= 8:
        support = cell_supports(np.asarray(shell.rest, np.float64)[ids], SUPPORT_CELL)
        out = (ids, np.clip(w[ids], 0.0, 1.0), support, moves(shell, ids))
    _PLANS[id(shell)] = (shell, out)
    return out


_HEMS: dict = {}  # id(shell) -> (shell, each zone vertex's rest distance to the hem)


def hem_distance(shell, ids: np.ndarray, torso: np.ndarray) -> np.ndarray:
    """(K,) metres from each of a shell's vertices ``ids`` (K,) to its hem's nearest vertex in the rest pose (the
    open edges whose trunk coordinate, ``torso`` (V,) per body vertex through the shell's blend, is under
    :data:`HEM_TORSO`; inf: no hem), built once (cached by the shell)."""
    from scipy.spatial import cKDTree

    got = _HEMS.get(id(shell))
    if got is not None and got[0] is shell:
        return got[1]
    f = np.asarray(shell.faces, np.int64)
    G = shell.num_vertices
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    key, count = np.unique(e[:, 0] * G + e[:, 1], return_counts=True)
    edge = np.unique(np.concatenate([key[count == 1] // G, key[count == 1] % G]))
    hem = edge[np.asarray(shell.blend @ np.asarray(torso, np.float64)).ravel()[edge] < HEM_TORSO]
    rest = np.asarray(shell.rest, np.float64)
    out = cKDTree(rest[hem]).query(rest[ids])[0] if len(hem) else np.full(len(ids), np.inf)
    _HEMS[id(shell)] = (shell, out)
    return out


def rounded(lift: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """(K,) metres a point of a folded seat's curtain moves out, its move ``lift`` (K,) rounded ``distance`` (K,)
    metres over a jacket's hem: less a quarter ellipse :data:`ROUND` high and :data:`ROUND_IN` deep (at most
    1 - :data:`ROUND_KEEP` of the move), so the cloth turns in under the buttocks with a rounded bottom edge
    instead of ending a flat wall."""
    u = np.clip(distance / ROUND, 0.0, 1.0)
    return lift - np.minimum(ROUND_IN, (1.0 - ROUND_KEEP) * lift) * (1.0 - np.sqrt(u * (2.0 - u)))


def hang_straight(shell, zone: np.ndarray, vertices: np.ndarray, normals: np.ndarray, centre: np.ndarray,
                  cap: float = CURTAIN_MAX, torso: np.ndarray | None = None) -> None:
    """A posed shell's back and hips hung straight (:func:`curtain_lift`), in place: ``vertices`` (G, 3)
    moved out horizontally, each along its direction from the vertical through ``centre`` (3,) (the hips'
    middle: rays from one axis never cross, so the cloth never folds; along each normal a cleft's walls
    crossed over), and the moved vertices' ``normals`` (G, 3) turned as their faces turned, then towards
    the curtain's own (its outline's side) and their neighbours' mean by as much as they moved, whole from
    :data:`NORMAL_BLEND` (a cleft's walls, spanned, lie edge on: their faces' normals are noise).
    ``zone``: (V,) (:func:`curtain_zone`). ``torso``: (V,) the body's trunk coordinate: the move out is
    :func:`rounded` over the hem (a jacket over a folded seat), its normal left as its faces turned there."""
    from genb.render.dress.seat_tent import displace

    p = plan(shell, zone)
    if p is None:
        return
    ids, w, support, mv = p
    P = np.asarray(vertices[ids], np.float64)
    radial = P - np.asarray(centre, np.float64)
    radial[:, 2] = 0.0
    d = radial / np.maximum(norm(radial, keepdims=True), 1e-9)
    lift, side = curtain_lift(P, d, P[support], w, cap)
    full = lift
    lift = rounded(lift, hem_distance(shell, ids, torso)) if torso is not None else lift
    keep = lift / np.maximum(full, 1e-9)
    if not (lift > 1e-4).any():
        return
    touched, lf, src, inc, moved = mv
    step = np.where(src >= 0, 1.0, 0.0)[:, None] * (lift[:, None] * d)[np.maximum(src, 0)]
    displace(vertices, normals, mv, lambda v, n: step)
    # hung on the curtain a vertex takes its normal, then its neighbours' mean, by as much as it moved
    N = np.asarray(normals[touched], np.float64)
    a = (np.clip(lift[src[moved]] / NORMAL_BLEND, 0.0, 1.0) * keep[src[moved]] ** 4)[:, None]  # turning in: its faces
    N[moved] = _unit((1.0 - a) * N[moved] + a * side[src[moved]])
    N[moved] = _unit((1.0 - a) * N[moved] + a * _unit(inc @ N[lf].sum(axis=1)))
    normals[touched[moved]] = N[moved].astype(normals.dtype)


def hang(wearer, shell, mesh, tail: bool = True) -> None:
    """A top's, a jacket's or a coat's posed shell ``mesh`` (a :class:`~genb.render.dress.mesh.GarmentMesh` of
    ``shell``), in any pose: its back and hips hung straight from their widest line (:func:`hang_straight`, in
    place), by up to :data:`CURTAIN_MAX` standing or walking (:func:`~genb.render.dress.coat_join.upright`), by up
    to :data:`FOLDED_MAX` with a thigh raised (seated, crouching, kneeling on one knee, cross-legged: from the
    buttocks); not in a lunge or a running stride (:func:`striding`: there a coat's tail falls from the seat onto
    the back thigh, :mod:`~genb.render.dress.coat_hang`; the curtain stood it 4.3 cm off it); with both thighs folded up (:func:`folded_seat`) turning in under them over its hem
    (:func:`rounded`) where it hangs free (:func:`hovering`: crouching) unless a ``tail`` hangs from it (a coat's:
    :mod:`~genb.render.dress.coat_join`)."""
    from genb.core.conventions import BODY25_INDEX as K25
    from genb.render.dress.coat_join import upright

    stands = upright(wearer.keypoints)
    if not stands and striding(wearer.keypoints):
        return
    folded = folded_seat(wearer.keypoints)
    d = wearer.dresser
    got = _ZONES.get(id(d.atlas))
    if got is None or got[0] is not d.atlas:
        got = _ZONES[id(d.atlas)] = (d.atlas, curtain_zone(d.atlas, d.is_leg))
    kp = np.asarray(wearer.keypoints, np.float64)
    cap = CURTAIN_MAX if stands else FOLDED_MAX
    hang_straight(shell, got[1], mesh.vertices, mesh.normals, 0.5 * (kp[K25["left_hip"]] + kp[K25["right_hip"]]),
                  cap, d.atlas.torso if folded and not tail and hovering(wearer) else None)


def hovering(wearer) -> bool:
    """Whether a folded seat's hem hangs free: the trunk's lowest skin more than :data:`ROUND` over the body's
    lowest point, not on a chair (:func:`~genb.render.dress.coat_tail.on_chair`): crouching, not sitting on the
    ground or on a seat (there the hem lies on what is under it)."""
    from genb.core.conventions import PART_INDEX
    from genb.render.dress.coat_tail import on_chair

    z = np.asarray(wearer.vertices)[:, 2]
    return float(z[wearer.dresser.atlas.parts == PART_INDEX["torso"]].min() - z.min()) > ROUND and not on_chair(wearer.keypoints)


def kneels(keypoints: np.ndarray) -> bool:
    """Whether a knee lies less than :data:`KNEEL_SHIN` over its ankle (the shin down on the ground: kneeling upright
    or on one knee, sitting on the heels; standing or walking a knee stands 0.3-0.5 m over its ankle). ``keypoints``:
    (25, 3) BODY25, Z up."""
    from genb.core.conventions import BODY25_INDEX as K25

    kp = np.asarray(keypoints, np.float64)
    return any(kp[K25[f"{s}_knee"], 2] - kp[K25[f"{s}_ankle"], 2] < KNEEL_SHIN for s in ("left", "right"))


def striding(keypoints: np.ndarray) -> bool:
    """Whether a thigh points back past :data:`STRIDE_BACK` in the trunk's frame (its unit hip-to-knee vector's part
    along the trunk's back: up, mid-hip to neck, times the hips' line across): a lunge (0.30-0.48 over the key bodies), a
    running stride's back thigh (0.08-0.28); not kneeling on one knee (-0.15-0.06; closeup seed 380 sample #5, as
    rendered, leaning, 0.14: along the world's horizontal its thigh pointed back 0.28). ``keypoints``: (25, 3) BODY25."""
    from genb.core.conventions import BODY25_INDEX as K25

    kp = np.asarray(keypoints, np.float64)
    up = kp[K25["neck"]] - kp[K25["mid_hip"]]
    up /= max(float(norm(up)), 1e-12)
    side = kp[K25["left_hip"]] - kp[K25["right_hip"]]
    side -= float(side @ up) * up
    back = cross(up, side / max(float(norm(side)), 1e-12))
    for s in ("left", "right"):
        d = kp[K25[f"{s}_knee"]] - kp[K25[f"{s}_hip"]]
        if float(d @ back) > STRIDE_BACK * max(float(norm(d)), 1e-12):
            return True
    return False


def folded_seat(keypoints: np.ndarray, degrees: float = FOLD) -> bool:
    """Whether both thighs lie further than ``degrees`` (:data:`FOLD`) off the trunk's line (mid-hip to neck,
    pointing down): crouching, sitting on the ground or on a seat (not a stride, a lunge or kneeling on one
    knee: one thigh down). ``keypoints``: (25, 3) BODY25."""
    from genb.render.dress.coat_join import thighs

    return all(along <= np.cos(np.radians(degrees)) * length for along, length in thighs(keypoints))
