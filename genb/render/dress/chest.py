"""A top hangs from the bust and from the buttocks: its cloth spans the chest from apex to apex and
drops from the apex; a long top's back falls straight from the buttocks' widest line.

Real cloth over a chest does not follow the groove between the breasts or the fold under them: it
is held up by the breasts' (or pecs') tops and hangs from there, nearly straight down to the belly.
The drape's smoothing (:func:`genb.render.dress.drape.drape_shell`) is too local for that: over a
5 cm ball it rounds the nipples but keeps the breasts' outline, and the hollow bridge
(:mod:`genb.render.dress.bridge`, a sag radius of 8 cm) spans only narrow clefts. On the chest's
front (:func:`chest_zone`) a top's shell is lifted once more, in the rest pose, to the upper
envelope of paraboloids of a wide sag radius (:data:`CHEST_RHO`) hung from its neighbours up to
:data:`CHEST_REACH` away (:func:`chest_lift`): a tent over the bust that bridges the groove and
falls gently from the apex.

Posed on another body or in another pose, the shell's anchors follow that body smoothed over
:data:`CHEST_FRAME_RADIUS` there (the drape's ``wide``), so a fuller bust carries the cloth forward
without its groove and underbust coming back through the anchors.

A top whose hem reaches below the buttocks (hoodies, sweaters, long shirts: the wardrobe's waist
down to -0.12) followed them in under to the gluteal fold and the crotch: from behind, two lobes,
the cleft and a hem in a V between the legs. Over the seat's back (:func:`seat_back_zone`) the shell
is lifted so that it falls straight down from the deepest cloth above it (:func:`curtain_lift`), with
its anchors there smoothed as the chest's are.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX

CHEST_RHO = 0.3  # metres: the cloth's sag radius over the chest (wider forms than the bust's are spanned)
CHEST_REACH = 0.12  # metres: the farthest point of the bust that holds the cloth up
CHEST_MAX = 0.04  # metres: the most a point of the chest's front is lifted
CHEST_FRAME_RADIUS = 0.075  # metres: the chest's anchors follow the body smoothed over this much
CHEST_TENT = (CHEST_RHO, CHEST_REACH, CHEST_MAX)
CURTAIN_REACH = 0.2  # metres: a long top's back falls straight from what lies up to this far above it
CURTAIN_HALF_WIDTH = 0.02  # metres: ... within this much to either side
CURTAIN_MAX = 0.06  # metres: the most a point of the seat's back is lifted


def chest_zone(atlas) -> np.ndarray:
    """(V,) weight in [0, 1] per body vertex of the chest's front that a top hangs over: the trunk's
    front (normals facing forward, faded in from 0.2 to 0.5 of the way), from a little above the waist
    (trunk coordinate 0.3, whole from 0.42) up to below the collarbones (whole to 0.88, 0 from 0.98)."""
    torso = np.asarray(atlas.torso, np.float64)
    up = np.clip((torso - 0.3) / 0.12, 0.0, 1.0) * np.clip((0.98 - torso) / 0.1, 0.0, 1.0)
    front = np.clip((-np.asarray(atlas.normals, np.float64)[:, 1] - 0.2) / 0.3, 0.0, 1.0)
    return np.where(np.asarray(atlas.parts) == PART_INDEX["torso"], up * front, 0.0)


def shoulder_zone(atlas, is_arm: np.ndarray) -> np.ndarray:
    """(V,) weight in [0, 1] per body vertex of the shoulders' tops that a top hangs from: where the rest
    (T-pose) surface faces up (normals' up part faded in from 0.3 to 0.7; their forward part faded out
    from 0.2 to 0.5, so the collarbones' relief stays bridged, :func:`chest_zone`) on the trunk above the chest
    (trunk coordinate faded in from 0.75 to 0.9) and on the arms' first third to the elbow (arm
    coordinate, whole to 0.2, 0 from 0.4). A top rests on them (the drape's ``rest_on``,
    :func:`~genb.render.dress.drape.drape_shell`) and falls from there, instead of standing over them
    as a pad."""
    n = np.asarray(atlas.normals, np.float64)
    up = np.clip((n[:, 2] - 0.3) / 0.4, 0.0, 1.0) * np.clip((0.5 + n[:, 1]) / 0.3, 0.0, 1.0)  # not the collarbones
    trunk = np.clip((np.asarray(atlas.torso, np.float64) - 0.75) / 0.15, 0.0, 1.0)
    arm = np.clip((0.4 - np.nan_to_num(np.asarray(atlas.arm, np.float64), nan=9.0)) / 0.2, 0.0, 1.0)
    zone = np.where(np.asarray(atlas.parts) == PART_INDEX["torso"], trunk, np.where(is_arm, arm, 0.0))
    return up * zone


def seat_back_zone(atlas) -> np.ndarray:
    """(V,) weight in [0, 1] per body vertex of the seat's back that a long top hangs over (a hoodie,
    sweater or shirt whose hem reaches the buttocks): the back of the trunk and of the thighs' tops
    (normals facing backward, faded in from 0.2 to 0.5 of the way) below the small of the back (trunk
    coordinate 0.3, whole from 0.2). The
    cloth spans the cleft and falls from the buttocks' widest line instead of following them in under
    to the gluteal fold (their two lobes and the cleft read through the top)."""
    torso = np.asarray(atlas.torso, np.float64)
    down = np.clip((0.3 - torso) / 0.1, 0.0, 1.0)
    back = np.clip((np.asarray(atlas.normals, np.float64)[:, 1] - 0.2) / 0.3, 0.0, 1.0)
    seat = np.isin(np.asarray(atlas.parts), [PART_INDEX[p] for p in ("torso", "left_upper_leg", "right_upper_leg")])
    return np.where(seat, down * back, 0.0)


def curtain_lift(points: np.ndarray, normals: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(N,) metres each point of a shell's back rises along its normal so that the cloth falls straight
    down from what is above it (rest pose: Z up, the back facing +Y): to the deepest point (largest Y)
    within :data:`CURTAIN_HALF_WIDTH` across and :data:`CURTAIN_REACH` above, capped at
    :data:`CURTAIN_MAX`, times ``weight`` (N,) in [0, 1]. Under the buttocks the cloth hangs from their
    widest line instead of following them in to the gluteal fold.

    Args: points (N, 3) rest-pose surface points, metres; normals (N, 3) unit (smooth).
    """
    from scipy.spatial import cKDTree

    lift = np.zeros(len(points))
    on = np.flatnonzero(weight > 0.0)
    if not len(on):
        return lift
    p = points[on]
    pairs = cKDTree(p[:, [0, 2]]).query_pairs(CURTAIN_REACH, output_type="ndarray")
    pairs = np.concatenate([pairs, pairs[:, ::-1]])
    i, j = pairs[:, 0], pairs[:, 1]
    keep = (np.abs(p[i, 0] - p[j, 0]) < CURTAIN_HALF_WIDTH) & (p[j, 2] > p[i, 2])
    i, j = i[keep], j[keep]
    deepest = p[:, 1].copy()
    np.maximum.at(deepest, i, p[j, 1])
    back = normals[on, 1]
    rise = (deepest - p[:, 1]) / np.maximum(back, 0.5)
    # only where the cloth faces back: lifted along a normal turned down (under the buttocks, the
    # crotch) a point would hang below the hem as a tab
    lift[on] = np.minimum(rise, CURTAIN_MAX) * weight[on] * np.clip((back - 0.45) / 0.25, 0.0, 1.0)
    return lift


def chest_lift(points: np.ndarray, normals: np.ndarray, weight: np.ndarray, tent: tuple = CHEST_TENT) -> np.ndarray:
    """(N,) metres each point of a shell rises along its normal to the chest's tent: the upper envelope
    of paraboloids of sag radius ``tent[0]`` (:data:`CHEST_RHO`) hung from the points within ``tent[1]``
    (:data:`CHEST_REACH`) that face the same side, capped at ``tent[2]`` (:data:`CHEST_MAX`), times
    ``weight`` (N,) in [0, 1] (0 off the chest).
    (Hanging the lifted points' anchors half from the points that hold them up, as the hollow bridge
    does, tripled the shell's anchor blend and left the chest's relief as it was: median 0.24-0.29
    against 0.26-0.29, the worst pose 1.06 against 0.99.)

    Args: points (N, 3) rest-pose surface points, metres; normals (N, 3) unit (smooth).
    """
    from genb.render.dress.bridge import neighbour_pairs

    rho, reach, cap = tent
    lift = np.zeros(len(points))
    on = np.flatnonzero(weight > 0.0)
    if not len(on):
        return lift
    i, j, h, t2 = neighbour_pairs(points[on], normals[on], reach)
    top = np.zeros(len(on))
    np.maximum.at(top, i, h - t2 / (2.0 * rho))
    lift[on] = np.minimum(top, cap) * weight[on]
    return lift
