"""A top hangs from the bust: its cloth spans the chest from apex to apex and drops from the apex.

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
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX

CHEST_RHO = 0.3  # metres: the cloth's sag radius over the chest (wider forms than the bust's are spanned)
CHEST_REACH = 0.12  # metres: the farthest point of the bust that holds the cloth up
CHEST_MAX = 0.04  # metres: the most a point of the chest's front is lifted
CHEST_FRAME_RADIUS = 0.075  # metres: the chest's anchors follow the body smoothed over this much


def chest_zone(atlas) -> np.ndarray:
    """(V,) weight in [0, 1] per body vertex of the chest's front that a top hangs over: the trunk's
    front (normals facing forward, faded in from 0.2 to 0.5 of the way), from a little above the waist
    (trunk coordinate 0.3, whole from 0.42) up to below the collarbones (whole to 0.88, 0 from 0.98)."""
    torso = np.asarray(atlas.torso, np.float64)
    up = np.clip((torso - 0.3) / 0.12, 0.0, 1.0) * np.clip((0.98 - torso) / 0.1, 0.0, 1.0)
    front = np.clip((-np.asarray(atlas.normals, np.float64)[:, 1] - 0.2) / 0.3, 0.0, 1.0)
    return np.where(np.asarray(atlas.parts) == PART_INDEX["torso"], up * front, 0.0)


def chest_lift(points: np.ndarray, normals: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(N,) metres each point of a shell rises along its normal to the chest's tent: the upper envelope
    of paraboloids of sag radius :data:`CHEST_RHO` hung from the points within :data:`CHEST_REACH` that
    face the same side, capped at :data:`CHEST_MAX`, times ``weight`` (N,) in [0, 1] (0 off the chest).
    (Hanging the lifted points' anchors half from the points that hold them up, as the hollow bridge
    does, tripled the shell's anchor blend and left the chest's relief as it was: median 0.24-0.29
    against 0.26-0.29, the worst pose 1.06 against 0.99.)

    Args: points (N, 3) rest-pose surface points, metres; normals (N, 3) unit (smooth).
    """
    from genb.render.dress.bridge import neighbour_pairs

    lift = np.zeros(len(points))
    on = np.flatnonzero(weight > 0.0)
    if not len(on):
        return lift
    i, j, h, t2 = neighbour_pairs(points[on], normals[on], CHEST_REACH)
    top = np.zeros(len(on))
    np.maximum.at(top, i, h - t2 / (2.0 * CHEST_RHO))
    lift[on] = np.minimum(top, CHEST_MAX) * weight[on]
    return lift
