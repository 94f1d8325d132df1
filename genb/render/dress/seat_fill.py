"""Trousers span the seat as it is posed: the cleft between the buttocks bridged, the folds under them softened.

A pair of trousers is draped once, in the rest pose and on the rest body
(:func:`~genb.render.dress.drape.drape_shell`, with the hollow bridge of :mod:`~genb.render.dress.bridge`),
and skinned through anchors that follow the posed body. Another body's deeper cleft, or a seat
stretched round bent hips, comes back through them: where a heavy body's thighs meet under the
buttocks the cloth followed the cleft down in a V (test_anatomy's seat relief under jeans: 0.36-0.45 of
the skin's on the heavy and tall bodies standing, 1.1 on the crouching child).

Posed, the trousers' seat (:func:`~genb.render.dress.bridge.seat_zone` facing back, :func:`zone`) is filled
along the direction it faces (:func:`seat_axis`): seen as a height field over the plane across it, each
point rises to the upper envelope of paraboloids of sag radius :data:`FILL_RHO` hung from the seat's
supports up to :data:`~genb.render.dress.seat_tent.SEAT_REACH` away (the tent of
:mod:`~genb.render.dress.seat_tent`, along one direction: a cleft's two walls rise side by side instead of
into each other, as lifted along their own normals they crossed and the relief doubled), capped at
:data:`FILL_MAX`, faded out where the cloth turns from the back (the crotch, the hips' sides), and
averaged twice over :data:`FILL_BLUR` (unblurred, the lift's own edges scored as relief: median 0.44). Then
the hollows the fill left rise along the cloth's normals (:func:`hollow_lift`: the crease along the cleft's line
where its two walls' lifts meet, the gluteal folds, a flexed seat's dents): test_anatomy's seat relief, jeans
median 0.32 -> 0.29, trousers 0.335 -> 0.28; the heavy and tall bodies standing keep 0.35-0.39 (the crotch's
saddle under the cleft's foot). The rounds cost 0.14 ms a pair (seat_fill 1.13 -> 1.27 ms, min of 5, key poses).
Outwards only: the cloth stays outside the body. The blur carries a little of the lift onto the
buttocks' tops: measured over the key poses x child, heavy, tall (jeans 10 mm thick, 6 mm ease), the
cloth within 4 cm of each buttock's apex stands a median 22 mm off the skin (17 mm without the fill; p90
31 and 25 mm); the seat's vertices move a median 10 mm, at most 30. The tight shells worn over the
trousers rise as far as the filled cloth needs (:func:`raise_over`). Only people drawn with folds are
filled (:data:`~genb.render.dress.lod.FOLDS_MIN_PX_PER_M`; ``garments.bottom``). About 1.2-1.5 ms a pair of
trousers posed, about 20 ms once per cut (its plan).

Pure functions over numpy arrays (world frame, metres) and a per-shell plan built once.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.dress import seat_tent

FILL_RHO = 0.2  # metres: the cloth's sag radius over the posed seat
FILL_MAX = 0.03  # metres: the most a point of the seat is lifted
FILL_BLUR = 0.05  # metres: the lift is averaged twice over a Gaussian ball of this radius (rest pose)
FACE_FROM, FACE_OVER = 0.3, 0.3  # the lift fades in as the cloth turns to the back: from n.b = 0.3, whole from 0.6
HOLLOW_RADIUS = 0.03  # metres: the Gaussian mean (rest pose) each seat point's hollow is measured against
HOLLOW_ROUNDS = 8  # rounds of :func:`hollow_lift` (4: medians 0.37 on heavy and tall bodies; 16: no lower median)
_PLANS: dict = {}  # id(blend) -> (blend, plan, blur): one per cached trousers' cut
_ZONES: dict = {}  # (id(atlas), waist) -> (atlas, zone)


def seat_axis(normals: np.ndarray, weight: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(3,) unit direction the posed seat faces. Hips straight (no thigh past
    :data:`~genb.render.dress.coat_join.FLEX` off the trunk's line): the pelvis' back, the trunk's line (mid-hip
    to neck) crossed with the hips' (right to left), from BODY25 ``keypoints`` (25, 3). Flexed (sitting,
    crouching, kneeling: the buttocks roll under), the ``weight`` (K,)-weighted mean of the seat cloth's
    ``normals`` (K, 3), in float64 rounded to 1e-6 (the sum's order leaves no trace in the bytes). (The mean
    normal standing tilts down over a heavy body's buttocks: its seat measured 0.57 of the skin's relief
    relaxed, 0.36 along the pelvis' back.)"""
    from genb.render.dress.coat_join import FLEX

    kp = np.asarray(keypoints, np.float64)
    if seat_tent.flexed(kp, FLEX):
        b = np.round(np.asarray(weight, np.float64) @ np.asarray(normals, np.float64), 6)
    else:
        b = np.cross(kp[K25["neck"]] - kp[K25["mid_hip"]], kp[K25["left_hip"]] - kp[K25["right_hip"]])
    return b / max(float(np.linalg.norm(b)), 1e-12)


def fill_lift(points: np.ndarray, normals: np.ndarray, pairs: tuple, weight: np.ndarray, back: np.ndarray,
              blur: scipy.sparse.csr_matrix) -> np.ndarray:
    """(K,) metres each posed seat point rises along ``back`` (3,): the upper envelope of
    ``h_j - h_i - t_ij^2 / (2 rho)`` (h: height along ``back``, t: the distance across it) over the pairs
    (i, j, heads) of :func:`~genb.render.dress.seat_tent.plan` facing the same side, capped at :data:`FILL_MAX`,
    times ``weight`` (K,) and the facing fade, then ``blur`` (K, K) applied twice. ``points``, ``normals``:
    (K, 3) posed, unit."""
    i, j, heads = pairs
    lift = np.zeros(len(points))
    if not len(i):
        return lift
    d = points[j] - points[i]
    dh = d @ back
    env = dh - (np.einsum("ij,ij->i", d, d) - dh * dh) / (2.0 * FILL_RHO)
    env[np.einsum("ij,ij->i", normals[i], normals[j]) < seat_tent.FACING] = 0.0  # posed, another side
    lift[i[heads]] = np.maximum.reduceat(env, heads)
    face = np.clip((normals @ back - FACE_FROM) / FACE_OVER, 0.0, 1.0)
    lift = np.clip(lift, 0.0, FILL_MAX) * weight * face
    return blur @ (blur @ lift)


def hollow_lift(points: np.ndarray, normals: np.ndarray, weight: np.ndarray,
                mean: scipy.sparse.csr_matrix) -> np.ndarray:
    """(K,) metres each posed seat point rises along its ``normals`` (K, 3) out of the hollows the fill left (the
    crease along the cleft's line where its two walls' lifts meet, the gluteal folds the facing fade leaves,
    a flexed seat's dents): :data:`HOLLOW_ROUNDS` times, each point rises to the ``mean`` (K, K,
    :func:`_blur` over :data:`HOLLOW_RADIUS`) of its neighbours, as far as that lies outside it along its normal,
    times ``weight`` (K,). Outwards only (a ridge's flanks rise, not the ridge), so the cloth stays outside the
    body. ``points``: (K, 3) posed, filled."""
    p = np.array(points, np.float64)
    total = np.zeros(len(p))
    for _ in range(HOLLOW_ROUNDS):
        up = np.maximum(np.einsum("ij,ij->i", mean @ p - p, normals), 0.0) * weight
        p += up[:, None] * normals
        total += up
    return total


def _blur(rest: np.ndarray, radius: float = FILL_BLUR) -> scipy.sparse.csr_matrix:
    """(K, K) row-normalised Gaussian mean over the rest points ``rest`` (K, 3) within ``radius``."""
    from scipy.spatial import cKDTree

    k = len(rest)
    pairs = cKDTree(rest).query_pairs(radius, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    w = np.exp(-np.sum((rest[i] - rest[j]) ** 2, axis=1) / (0.5 * radius) ** 2)
    A = scipy.sparse.csr_matrix((np.concatenate([w, w, np.ones(k)]), (np.concatenate([i, j, np.arange(k)]),
                                np.concatenate([j, i, np.arange(k)]))), shape=(k, k))
    return (scipy.sparse.diags(1.0 / np.asarray(A.sum(axis=1)).ravel()) @ A).tocsr()


def plan(shell, zone: np.ndarray) -> tuple:
    """(:func:`~genb.render.dress.seat_tent.plan` of the shell's seat, its :func:`_blur` over :data:`FILL_BLUR`
    and over :data:`HOLLOW_RADIUS`, the seat vertices' (V, K) transposed blend and its (V,) row sums), built once
    per cached cut (a trousers' shell is re-made
    per flare around its blend, which keys the cache)."""
    got = _PLANS.get(id(shell.blend))
    if got is not None and got[0] is shell.blend:
        return got[1:]
    p = seat_tent.plan(shell, zone, owner=shell.blend)
    out = (p, None, None, None)
    if p is not None:
        BT = shell.blend[p[0]].T.tocsr()
        rest = np.asarray(shell.rest, np.float64)[p[0]]
        out = (p, (_blur(rest), _blur(rest, HOLLOW_RADIUS)), BT, np.asarray(BT.sum(axis=1)).ravel())
    _PLANS[id(shell.blend)] = (shell.blend, *out)
    return out


def seat_fill(shell, zone: np.ndarray, vertices: np.ndarray, normals: np.ndarray, keypoints: np.ndarray,
              coarse=None):
    """A posed trousers' shell's seat filled along the way it faces (:func:`seat_axis`, :func:`fill_lift`), in
    place: ``vertices`` (G, 3) and ``normals`` (G, 3) of the posed shell (normals turned as their faces did).
    ``zone``: (V,) per body vertex in [0, 1] (:func:`zone`). ``keypoints``: (25, 3) the wearer's BODY25.
    ``coarse``: for a subdivided shell, the same cut unsubdivided (its vertices come first in ``shell``'s):
    the lift is found on those and carried to the rest through the body (4 times the points cost 20 times
    the time). Returns the fill per body vertex (V,) metres (each seat vertex's lift, averaged over the body
    vertices it is blended from), the filled cloth's height along the direction per body vertex (V,), where that
    is known (V,) 0/1 and the (3,) direction, for the cloth worn over it (:func:`raise_over`); None: none."""
    src = shell if coarse is None else coarse
    p, (blur, mean), BT, weight = plan(src, zone)
    if p is None:
        return None
    ids, w, i, j, heads = p[:5]
    n = np.asarray(normals[ids], np.float64)
    back = seat_axis(n, w, keypoints)
    points = np.asarray(vertices[ids], np.float64)
    step = fill_lift(points, n, (i, j, heads), w, back, blur)[:, None] * back[None, :]
    step += hollow_lift(points + step, n, w, mean)[:, None] * n
    if not (np.abs(step) > 1e-4).any():
        return None
    body = _per_body(BT, weight, step)  # (V, 3)
    if coarse is not None:  # the subdivided shell's seat moved by the body's fill where it is blended from
        p = seat_tent.plan(shell, zone, owner=shell.blend)
        step = np.asarray(shell.blend[p[0]] @ body, np.float64)
    seat_tent.shift_seat(p, step, vertices, normals)
    height = _per_body(BT, weight, np.asarray(vertices[ids], np.float64) @ back)  # the filled cloth along ``back``
    return np.maximum(body @ back, 0.0), height, (weight > 0.0).astype(np.float64), back


def _per_body(BT: scipy.sparse.csr_matrix, weight: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(V,) or (V, 3) the seat vertices' values ``x`` (K,) or (K, 3) averaged over the body vertices they are blended
    from (``BT``: their (V, K) transposed blend; ``weight``: its row sums), 0 where none is."""
    wt = weight.reshape((-1,) + (1,) * (np.ndim(x) - 1))
    return np.where(wt > 0.0, (BT @ x) / np.maximum(wt, 1e-12), 0.0)


RAISE_GAP = 0.01  # metres a shell over filled trousers keeps beyond their cloth (its own thickness)


def raise_over(shell, vertices: np.ndarray, fill: tuple) -> None:
    """A tight shell worn over filled trousers (a top, a jacket, a coat, a dress's bodice), posed ``vertices``
    (G, 3), moved in place along the fill's direction until it stands :data:`RAISE_GAP` beyond the filled
    cloth at the body vertices it is blended from, by at most the fill there (``fill``: :func:`seat_fill`'s).
    Filled, the jeans had come through a sweater's, a t-shirt's and a long top's back as patches; a coat,
    spanning the seat with room to spare, does not move (raised by the whole fill it took the cleft's ridge:
    test_seat_tent's relief 0.14 -> 0.20)."""
    body, height, known, back = fill
    up = np.asarray(shell.blend @ body, np.float64).ravel()
    on = np.flatnonzero(up > 1e-4)
    if len(on):
        h = np.asarray(shell.blend @ height).ravel()[on]
        h = h / np.maximum(np.asarray(shell.blend @ known).ravel()[on], 1e-12)
        need = h + RAISE_GAP - np.asarray(vertices[on], np.float64) @ back
        rise = np.clip(need, 0.0, up[on])
        vertices[on] += (rise[:, None] * back[None, :]).astype(vertices.dtype)


def zone(atlas, is_leg: np.ndarray, waist: float) -> np.ndarray:
    """(V,) the seat a pair of trousers worn to ``waist`` fills: :func:`~genb.render.dress.bridge.seat_zone`
    (below the waistband, the thighs' top third) facing back (normals faded in from 0 to 0.4 of the way).
    Cached per atlas and waist."""
    from genb.render.dress.bridge import seat_zone

    key = (id(atlas), float(waist))
    got = _ZONES.get(key)
    if got is None or got[0] is not atlas:
        back = np.clip(np.asarray(atlas.normals, np.float64)[:, 1] / 0.4, 0.0, 1.0)
        got = _ZONES[key] = (atlas, seat_zone(atlas, is_leg, waist) * back)
    return got[1]


def lay(wearer, shell, mesh, waist: float, coarse=None) -> None:
    """A pair of trousers' posed shell ``mesh`` (a :class:`~genb.render.dress.mesh.GarmentMesh` of ``shell``;
    ``coarse``: its cut unsubdivided, for a subdivided one) on a ``wearer``: its seat filled (:func:`seat_fill`,
    in place); the tight shells already on the wearer's trunk (``layers``) rise with it, and the fill is kept
    on the wearer (``fill``) for those put on after
    (:func:`raise_over`, from :meth:`~genb.render.dress.kinds.Wearer.add_shell`)."""
    d = wearer.dresser
    wearer.fill = seat_fill(shell, zone(d.atlas, d.is_leg, waist), mesh.vertices, mesh.normals, wearer.keypoints,
                            coarse)
    if wearer.fill is not None:  # the tops, jackets and coats already on (an outfit lists its top first)
        for over, v, _ in wearer.layers:
            raise_over(over, v, wearer.fill)
