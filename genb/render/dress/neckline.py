"""A top's neckline: one smooth field around the base of the neck to cut it along.

A top cut by the body's parts (the head not covered) and a plane of the trunk coordinate ends, at
the front, on the border between the head's and the torso's skinning regions (a staircase of mesh
edges) and, at the back, where the plane grazes the nearly flat top of the shoulders: a cut that
zigzags by several millimetres, and whose hem strip, posed, shows as striped flecks at the neck.
:func:`neckline_field` is instead one smooth function of the rest position, the same either side of
the parts' border, whose zero line is a crew neck at the base of the neck: round seen from above, a
little lower at the front (at the throat's notch) than at the back, lying on the shoulders at the
sides. It measures along a cone around the neck's axis (up the neck and in from the shoulder alike),
so its zero line crosses the bend between the neck and the shoulders cleanly rather than grazing it.
:func:`neckline_weight` is the band along it where :func:`~genb.render.dress.armhole.hug_armholes`
keeps the cloth on the skin (a neckband, not the smoothed shell standing off the neck).

Pure functions of the :class:`~genb.render.dress.atlas.BodyAtlas` (its rest positions and keypoints:
the same anatomical line on every body shape); computed once per cached shell.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25

NECK_RADIUS = 0.06  # metres from the neck's axis where the cone's height is the neckline's
# the neckline's height over the neck keypoint (metres) by the angle around the neck (0 at the front):
# LEVEL + FRONT * cos + SIDES * cos(2 angle): on the cone, about 3 cm up the front of the neck (above the
# throat's notch), 6 cm at the back (the seventh vertebra) and 4 cm at the sides, where the neck meets
# the trapezius (the head's skinning region reaches lower there: the cut crosses it smoothly)
LEVEL, FRONT, SIDES = 0.042, -0.011, 0.013
CHIN = 0.035  # metres over the neckline's height above which nothing is inside (the chin's underside, the jaw)
DEFAULT_COLLAR = 1.1  # the trunk coordinate a garment's ``collar`` is given relative to (no shift)
SLOPE = 2.0  # field units per metre, as the armholes' (dress.armhole)
BAND = 0.03  # metres below the neckline over which the cloth eases back from the skin (neckline_weight)


def neckline_distance(atlas, collar: float = DEFAULT_COLLAR) -> np.ndarray:
    """(V,) metres, roughly, from each rest vertex to the neckline: < 0 below it (inside the garment),
    > 0 up the neck and on the head. Smooth over the whole body (no part labels). ``collar``: the
    garment's collar in the trunk coordinate; its difference from :data:`DEFAULT_COLLAR` moves the
    neckline up (> 0) or down by that share of the trunk's length."""
    kp = atlas.keypoints
    neck = kp[K25["neck"]]
    p = np.asarray(atlas.rest, np.float64) - neck
    r = np.hypot(p[:, 0], p[:, 1])
    c = -p[:, 1] / np.maximum(r, 1e-9)  # cos of the angle from the front (the atlas's y points back)
    height = LEVEL + FRONT * c + SIDES * (2.0 * c * c - 1.0)
    height = height + (collar - DEFAULT_COLLAR) * float(neck[2] - kp[K25["mid_hip"], 2])
    cone = ((p[:, 2] - height) - (r - NECK_RADIUS)) / np.sqrt(2.0)
    return np.maximum(cone, p[:, 2] - height - CHIN)  # not up under the chin or the jaw (far out at that height)


def neckline_field(atlas, collar: float = DEFAULT_COLLAR) -> np.ndarray:
    """(V,) the cut field of a top's neckline (:func:`neckline_distance` scaled by :data:`SLOPE`):
    <= 0 inside; to be combined (max) with the garment's other cuts."""
    return SLOPE * neckline_distance(atlas, collar)


def neckline_weight(atlas, collar: float = DEFAULT_COLLAR) -> np.ndarray:
    """(V,) in [0, 1]: 1 on the neckline, fading to 0 :data:`BAND` metres below it (smoothstep)."""
    t = np.clip(1.0 + neckline_distance(atlas, collar) / BAND, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
