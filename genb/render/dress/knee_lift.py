"""A top's, a jacket's or a coat's trunk lifted up the trunk out of the thighs a crouch folds up against it.

Crouching or sitting with the knees up, the thighs fold up into the belly and the hips, through the cloth of
the trunk's sides and hem. :mod:`~genb.render.dress.knee_clear` pushed each such vertex out along its nearest
leg vertex's normal: neighbours whose nearest leg vertices faced different ways went out on different sides of
the thigh, the sides torn across it into white jagged shards lying on the trousers (``closeup`` seed 370,
sample 11) and the front between the thighs, pushed in from both, crumpled into a dark lump (``bedlam`` seed
391, sample 4); a top (a t-shirt, a sweater) was not kept out of them at all.

Here every trunk vertex (not a sleeve's: :mod:`~genb.render.dress.knee_press`) in a leg moves the same way, up
the trunk (mid-hip to neck, :func:`way`), until it stands its clearance over every leg surface
(:func:`lift`: the way tried at :data:`SAMPLES` points up to :data:`LIFT_MAX`, the first one out refined by
:data:`HALVINGS` halvings): the hem rides up over the thigh and lies on it, as a jacket's does when its wearer
squats. The lifts are then raised to an envelope sloping down from each lifted vertex over the shell
(:func:`envelope`, :data:`SLOPE`): no step at the lifted patch's edge to turn faces over. Neighbours move alike
(no tear). One that is not out within :data:`LIFT_MAX` (the front pinched between the belly and the thigh) stays
where it is, inside the body behind the thigh, hidden from every side (pressed in towards the body as a sleeve is, a
shoulder bag's sash on it went under the trousers just the same). Measured in ``tests/test_knee_lift.py`` (crouching and knees up x child, average, heavy, tall
x open and closed jacket over a t-shirt or a shirt): trunk edges torn 299 -> 0, trunk faces turned over 1060 ->
218, the largest move 12.8 -> 6 cm (on 9d3a9cf: 223 -> 0, 792 -> 249); over ``tests/test_knee_clear.py``'s 32 cases all torn edges 356 -> 76 (59
with an end on a sleeve, 11 before: a sleeve pressed in beside the trunk lifted at the side), turned over 1314 ->
446, trunk vertices more than 3 mm in a leg 0 -> 1655 (pushed out and torn on 32b65fb), none where a camera could
see it. Only with a knee raised (:func:`raised`, :data:`RISE`): kneeling on one knee, legs out, a lunge and
cross-legged the trunk is pushed out along the legs' normals as before (lifted, a cross-legged coat's back rose
off the lap and the skirt under it showed, ``bedlam`` seed 72, sample 0; now the same bytes as 26ebc84). A shoulder bag's sash, posed on the layers before this, follows the front it lay on
behind the thigh: inside the trousers there (``tests/test_bags.py``). :data:`SLOPE` 0.8, not 0.6: a gentler
slope reached a crouching child's chest where the knee presses it, and the sash over it turned 40 degrees
(``tests/test_bag_hang.py``: 13.7 on 32b65fb, 40.1 at 0.6, 25.3 now).

Pure functions over numpy arrays (world frame, metres).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.knee_press import DEEP
from genb.render.dress.vec import norm

LIFT_MAX = 0.06  # metres: the most a trunk vertex is lifted (a thigh's top from its side; more: left where it is)
SAMPLES = 3  # points tried along the way (2 cm apart)
SLOPE = 0.8  # metres of lift lost per metre of cloth away from a lifted vertex (a 6 cm lift gone in 7.5 cm)
ROUNDS = 12  # rings of neighbours the lift slopes down over
HALVINGS = 4  # halvings of the step that first came out (to about 1 mm)
RISE = 0.3  # trunk lengths: how far a knee stands above its hip up the trunk for the trunk to be lifted (:func:`raised`)


def raised(keypoints: np.ndarray) -> bool:
    """Whether a knee of the BODY25 ``keypoints`` (25, 3) stands more than :data:`RISE` trunk lengths (mid-hip to
    neck) above its hip along :func:`way`: crouching, knees up (0.67-0.96), a thigh folded up into the belly, the
    trunk lifted out of it; not kneeling on one knee (0.03-0.2), legs out, a lunge, bending over (about 0), running,
    cross-legged (about -0.5): there a thigh lies below the trunk's hem, lifting it up the trunk raised a seated
    coat's back off the lap (a skirt under it showing through, ``bedlam`` seed 72, sample 0); pushed out along the
    legs' normals as before (:mod:`~genb.render.dress.knee_clear`)."""
    from genb.core.conventions import BODY25_INDEX as K25

    kp = np.asarray(keypoints, np.float64)
    up = kp[K25["neck"]] - kp[K25["mid_hip"]]
    length = max(float(norm(up)), 1e-12)
    rise = max(float((kp[K25[f"{s}_knee"]] - kp[K25[f"{s}_hip"]]) @ up) for s in ("left", "right"))
    return rise > RISE * length * length


def way(keypoints: np.ndarray) -> np.ndarray:
    """(3,) the unit way up the trunk (mid-hip to neck) of the BODY25 ``keypoints`` (25, 3)."""
    from genb.core.conventions import BODY25_INDEX as K25

    kp = np.asarray(keypoints, np.float64)
    up = kp[K25["neck"]] - kp[K25["mid_hip"]]
    return up / max(float(norm(up)), 1e-12)


def outside(q: np.ndarray, ids: np.ndarray, surfaces: list) -> np.ndarray:
    """(N,) bool each of the points ``q`` (N, 3), the shell vertices ``ids`` (N,) moved, stands at least its
    clearance over every one of ``surfaces`` (:class:`~genb.render.dress.knee_clear._Surface`) that pushes it
    (its ``only``): over the plane of its nearest surface vertex within :data:`DEEP` (none that near: out)."""
    out = np.ones(len(q), bool)
    for s in surfaces:
        ask = np.flatnonzero(out if s.only is None else out & np.asarray(s.only, bool)[ids])
        if not len(ask):
            continue
        d, j = s.tree.query(q[ask], distance_upper_bound=DEEP)
        hit = np.isfinite(d)
        if hit.any():
            jj = j[hit]
            h = np.einsum("ij,ij->i", q[ask[hit]] - s.points[jj], s.normals[jj])
            out[ask[hit][h < s.clearance]] = False
    return out


def lift(points: np.ndarray, ids: np.ndarray, up: np.ndarray, surfaces: list) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) how far each of ``points`` (N, 3; the shell vertices ``ids``) moves along the unit ``up`` (3,) to
    stand out of every leg surface (:func:`outside`), and the (K,) positions in ``points`` of those still in one
    :data:`LIFT_MAX` along it (not moved)."""
    t, lo, hi = np.zeros(len(points)), np.zeros(len(points)), np.full(len(points), np.inf)
    live = np.flatnonzero(~outside(points, ids, surfaces))
    for k in range(1, SAMPLES + 1):
        if not len(live):
            break
        tk = LIFT_MAX * k / SAMPLES
        out = outside(points[live] + tk * up, ids[live], surfaces)
        hi[live[out]] = tk
        lo[live[~out]] = tk
        live = live[~out]
    done = np.flatnonzero(np.isfinite(hi))
    for _ in range(HALVINGS):  # between the last point in and the first out
        if not len(done):
            break
        mid = 0.5 * (lo[done] + hi[done])
        out = outside(points[done] + mid[:, None] * up, ids[done], surfaces)
        hi[done[out]] = mid[out]
        lo[done[~out]] = mid[~out]
    t[done] = hi[done]
    return t[:, None] * up, live


def envelope(t: np.ndarray, v: np.ndarray, faces: np.ndarray, movable: np.ndarray) -> np.ndarray:
    """(G,) the lifts ``t`` (G,) metres of a shell's vertices ``v`` (G, 3) raised to the envelope of slopes of
    :data:`SLOPE` down from each lifted vertex over the shell's ``faces`` (F, 3) edges, on the ``movable`` (G,) bool
    vertices only (:data:`ROUNDS` rounds): the lifted patch's edge a slope, not a step that turns its faces over."""
    a, b, ends, starts = _edges(faces)
    drop = SLOPE * norm(v[a] - v[b])
    out = t.copy()
    for _ in range(ROUNDS):
        cand = np.maximum.reduceat(out[a] - drop, starts)  # each vertex's best over its edges (sorted by b)
        up = movable[ends] & (cand > out[ends])
        if not up.any():
            break
        out[ends[up]] = cand[up]
    return out


_EDGES: dict = {}  # id(faces) -> (faces, a, b, ends, starts): each edge both ways, sorted by b


def _edges(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The edges of ``faces`` (F, 3) each both ways, sorted by their second end: (E,) first ends, (E,) second ends,
    (U,) the vertices that are second ends and (U,) where each one's run starts (cached by the array)."""
    got = _EDGES.get(id(faces))
    if got is None or got[0] is not faces:
        f = np.asarray(faces, np.int64)
        e = np.unique(np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1), axis=0)
        a, b = np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]])
        order = np.argsort(b, kind="stable")
        a, b = a[order], b[order]
        ends, starts = np.unique(b, return_index=True)
        got = _EDGES[id(faces)] = (faces, a, b, ends, starts)
    return got[1:]
