"""Cloth spans the body's hollows: the lift that carries a tight shell over clefts and grooves.

Smoothing a shell (:func:`genb.render.dress.drape.drape_shell`) fades the body's small forms, but a
deep narrow hollow (the buttock cleft, the groove between the breasts, the navel, the gluteal
fold) smooths only part of the way out: its walls face each other and never average together.
Real cloth does not go down into it; it is held up by the hollow's rims and sags only a little
between them. :func:`hollow_lift` computes that, once per cached shell, in the rest pose: every
point is lifted along its (smoothed) normal to the upper envelope of paraboloids hung from its
neighbours on the same side of the body,

    lift_i = max_j ((p_j - p_i) . n_i - t_ij^2 / (2 rho)),   t_ij = the tangential distance,

a cloth of bending radius ``rho`` draped over the neighbours' tops. A convex or flat surface
(curvature radius above ``rho``) gets no lift; a hollow narrower than ``rho`` is bridged.

The lift is made in the rest body, but a heavier body's cleft is deeper: :func:`rim_blend` hangs a
lifted point's anchor half from the rims that hold it up (the neighbours within a few millimetres of
the envelope), so in other body shapes and poses the cloth over a hollow follows its rims more than
its floor (wholly, a deeply bent hip would wrinkle the seat).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from genb.core.conventions import PART_INDEX

BRIDGE_RHO = 0.08  # metres: the cloth's sag radius (hollows more curved than this are bridged)
BRIDGE_REACH = 0.06  # metres: the farthest rim that holds the cloth up
BRIDGE_MAX = 0.03  # metres: the most a point is lifted
SEAT_TENT = 0.2  # metres: trousers span what pokes through their smoothed seat as a tent of this sag radius
SEAT_FRAME_RADIUS = 0.12  # metres: a seat's anchors follow the body smoothed over this much (drape.drape_shell's ``wide``)


def neighbour_pairs(points: np.ndarray, normals: np.ndarray, reach: float = BRIDGE_REACH):
    """Ordered pairs (i, j) of points within ``reach`` metres whose normals are within 90 degrees (one
    side of the body: never the other thigh or an arm), with j's height over i's tangent plane (along
    i's normal) and their squared tangential distance: (i, j, h, t2), each (P,)."""
    from scipy.spatial import cKDTree

    p = np.asarray(points, np.float64)
    n = np.asarray(normals, np.float64)
    pairs = cKDTree(p).query_pairs(reach, output_type="ndarray")
    if not len(pairs):
        pairs = np.zeros((0, 2), np.int64)
    i, j = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    ok = np.einsum("ij,ij->i", n[i], n[j]) > 0.0
    i, j = i[ok], j[ok]
    d = p[j] - p[i]
    h = np.einsum("ij,ij->i", d, n[i])
    return i, j, h, np.einsum("ij,ij->i", d, d) - h * h


def tent(values: np.ndarray, pairs, rho: float = BRIDGE_RHO) -> np.ndarray:
    """(N,) the upper envelope of paraboloids of sag radius ``rho`` hung from ``values`` (N,) metres over
    the ``pairs`` of :func:`neighbour_pairs`: a push that lifts a point lifts the cloth around it as a
    tent does (a nipple or a shoulder blade is spanned, not outlined). Never below ``values``."""
    i, j, _, t2 = pairs
    out = np.asarray(values, np.float64).copy()
    np.maximum.at(out, i, out[j] - t2 / (2.0 * rho))
    return out


def hollow_lift(points: np.ndarray, normals: np.ndarray, rho: float = BRIDGE_RHO, max_lift: float = BRIDGE_MAX,
                weight: np.ndarray | None = None, pairs=None):
    """(N,) metres each point rises along its normal for a cloth of sag radius ``rho`` to span the hollows,
    and the (N, N) sparse row-normalised blend of each point's rims (:func:`rim_blend`).

    Args:
        points: (N, 3) rest-pose surface points, metres. normals: (N, 3) unit normals (smooth: the
            lift goes along them).
        rho: sag radius, metres. max_lift: cap, metres.
        weight: optional (N,) in [0, 1]: the share of the lift each point takes (0: held to the skin).
        pairs: :func:`neighbour_pairs` of the points (None: computed).
    """
    i, j, h, t2 = neighbour_pairs(points, normals) if pairs is None else pairs
    env = h - t2 / (2.0 * rho)
    top = np.zeros(len(points))
    np.maximum.at(top, i, env)
    lift = np.minimum(top, max_lift)
    if weight is not None:
        lift = lift * weight
    return lift, rim_blend(len(points), i, j, env, top, lift)


RIM_BAND = 0.005  # metres: neighbours this close to the envelope hold the cloth up
RIM_FULL = 0.006  # metres of lift from which a point's anchor takes its full share of its rims
RIM_SHARE = 0.5  # at most this share: hung wholly from its rims, a deeply bent hip (kneeling) wrinkles the seat


def rim_blend(n: int, i: np.ndarray, j: np.ndarray, env: np.ndarray, top: np.ndarray,
              lift: np.ndarray) -> scipy.sparse.csr_matrix:
    """(n, n) sparse rows summing to 1: a point not lifted keeps itself; a lifted one blends towards the
    mean of its rims (pairs (i, j) whose envelope value ``env`` is within :data:`RIM_BAND` of the
    envelope ``top[i]``), by :data:`RIM_SHARE` from :data:`RIM_FULL` of ``lift`` (smoothly in between)."""
    rim = (env > top[i] - RIM_BAND) & (lift[i] > 0.0)
    i, j = i[rim], j[rim]
    alpha = RIM_SHARE * np.clip(lift / RIM_FULL, 0.0, 1.0)
    count = np.bincount(i, minlength=n).astype(np.float64)
    alpha[count == 0] = 0.0
    rows = np.concatenate([np.arange(n), i])
    cols = np.concatenate([np.arange(n), j])
    vals = np.concatenate([1.0 - alpha, alpha[i] / np.maximum(count[i], 1.0)])
    return scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))


def seat_zone(atlas, is_leg: np.ndarray, waist: float) -> np.ndarray:
    """(V,) weight in [0, 1] per body vertex of a pair of trousers' seat and hips, where their anchors are
    smoothed wider (:data:`SEAT_FRAME_RADIUS`): the trunk below the waistband (1 from 14 cm under the
    waist, 0 from 6 cm under it: the band keeps to the body) and the thighs down to about a third of
    the way to the knee (leg coordinate 0.3, fading out by 0.55).

    Built in the rest pose, the drape keeps its cloth a smoothed offset of the rest body; posed on a
    heavier body, or a hip bent or stretched, the anchors it is skinned through follow that body smoothed
    over :data:`~genb.render.dress.drape.FRAME_RADIUS` (6 cm): the cleft's and the gluteal folds' own
    deepening comes through (the seat measured 0.6 of the skin's relief on heavy and tall bodies, 0.24 on
    the rest-like child). Smoothed over the seat's own scale they carry the buttocks, not their clefts."""
    leg = np.nan_to_num(np.asarray(atlas.leg, np.float64), nan=0.0)
    trunk = np.clip((waist - 0.06 - np.asarray(atlas.torso, np.float64)) / 0.08, 0.0, 1.0)
    thigh = np.clip((0.55 - leg) / 0.25, 0.0, 1.0)
    return np.where(np.asarray(atlas.parts) == PART_INDEX["torso"], trunk, np.where(is_leg, thigh, 0.0))


SEAT_TOP = 0.25  # trunk coordinate: a top's seat zone reaches as high as a pair of trousers' (:func:`seat_zone` at this waist)


def back_seat_zone(atlas, is_leg: np.ndarray) -> np.ndarray:
    """(V,) weight in [0, 1] per body vertex of the seat's back that a top, a jacket or a coat covers (its shell
    reaching below the buttocks' top: a coat, seated): :func:`seat_zone` of trousers at :data:`SEAT_TOP`
    behind the body (normals facing back, faded in from 0 to 0.4 of the way), where the shell's anchors
    follow the body smoothed over :data:`SEAT_FRAME_RADIUS` and the thighs smooth as the trunk does
    (a seated coat spans the buttocks and their cleft, not their two lobes)."""
    back = np.clip(np.asarray(atlas.normals, np.float64)[:, 1] / 0.4, 0.0, 1.0)
    return seat_zone(atlas, is_leg, SEAT_TOP) * back
