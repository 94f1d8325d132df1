"""A top's neckline: one smooth field around the base of the neck to cut it along.

A top cut by the body's parts (the head not covered) and a plane of the trunk coordinate ends, at
the front, on the border between the head's and the torso's skinning regions (a staircase of mesh
edges) and, at the back, where the plane grazes the nearly flat top of the shoulders: a cut that
zigzags by several millimetres, and whose hem strip, posed, shows as striped flecks at the neck.
:func:`neckline_field` is instead one smooth function of the rest position, the same either side of
the parts' border, whose zero line is a crew neck at the base of the neck: round seen from above, a
little lower at the front (at the throat's notch) than at the back, lying on the shoulders at the
sides. It measures along a cone around the neck's axis (up the neck and in from the shoulder alike; steep at
the front, where the neck stands upright), so its zero line crosses the bend between the neck and the
shoulders cleanly rather than grazing it.
:func:`neckline_weight` is the band along it where :func:`~genb.render.dress.armhole.hug_armholes`
keeps the cloth on the skin (a neckband, not the smoothed shell standing off the neck). A coat's
neckline is cut a little higher (:func:`layer_collar`) and its band is wider (:func:`top_hug`): it lies
over the top's band (:mod:`~genb.render.dress.band_stack`) and covers its edge.

Pure functions of the :class:`~genb.render.dress.atlas.BodyAtlas` (its rest positions and keypoints:
the same anatomical line on every body shape); computed once per cached shell.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.dress.armhole import armhole_weight

NECK_RADIUS = 0.06  # metres from the neck's axis where the cone's height is the neckline's
# the neckline's height over the neck keypoint (metres) by the angle around the neck (0 at the front):
# LEVEL + FRONT * cos + SIDES * cos(2 angle): on the cone, 3.4 cm up the front of the neck (above the
# throat's notch), 6.6 cm at the back (the seventh vertebra) and 3.1 cm at the sides, where the neck meets
# the trapezius (the head's skinning region reaches lower there: the cut crosses it smoothly)
LEVEL, FRONT, SIDES = 0.0405, -0.0159, 0.0096
# the cone's slope (metres of height per metre in from NECK_RADIUS) by the angle: 1 at the back and nearly so
# at the sides, where the cut crosses the shoulders' flat tops; 0.3 at the front, where the neck stands upright
# and a steep cone would follow the throat's hollow down into a V
CONE_BACK, CONE_FRONT = 1.0, 0.3
CHIN = 0.035  # metres over the neckline's height above which nothing is inside (the chin's underside, the jaw)
DEFAULT_COLLAR = 1.1  # the trunk coordinate a garment's ``collar`` is given relative to (no shift)
SLOPE = 2.0  # field units per metre, as the armholes' (dress.armhole)
FRONT_EASE = 0.5  # the share of the own-point anchor given up at the front: the band bridges the throat's hollow (no V)
BAND = 0.03  # metres below the neckline over which the cloth eases back from the skin (neckline_weight)
# how far the cut lies below its highest point (the back), on the cloth's trunk chart: measured on the
# rest shell (anny), 2.9 cm at the front, 1.9 cm at the sides; drop = FRONT_DROP (1 + c) + SIDE_DROP (1 - c^2)
FRONT_DROP, SIDE_DROP = 0.0145, 0.0045
# the trunk coordinate a garment's neckline rises by per layer over the first: a coat's (layer 2) is about 1.2 cm
# higher up the back of the neck than the top's under it (an average body), its band lying over the top's and
# covering its edge (dress.band_stack)
COLLAR_RISE = 0.04


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
    k = CONE_BACK - (CONE_BACK - CONE_FRONT) * (0.5 + 0.5 * c) ** 2
    cone = ((p[:, 2] - height) - k * (r - NECK_RADIUS)) / np.sqrt(1.0 + k * k)
    return np.maximum(cone, p[:, 2] - height - CHIN)  # not up under the chin or the jaw (far out at that height)


def neckline_field(atlas, collar: float = DEFAULT_COLLAR) -> np.ndarray:
    """(V,) the cut field of a top's neckline (:func:`neckline_distance` scaled by :data:`SLOPE`):
    <= 0 inside; to be combined (max) with the garment's other cuts."""
    return SLOPE * neckline_distance(atlas, collar)


def neckline_weight(atlas, collar: float = DEFAULT_COLLAR, flat: float = 0.0) -> np.ndarray:
    """(V,) in [0, 1]: 1 on the neckline and ``flat`` metres below it, fading to 0 :data:`BAND` metres further
    down (smoothstep)."""
    t = np.clip(1.0 + (neckline_distance(atlas, collar) + flat) / BAND, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def neckline_anchor(atlas, collar: float = DEFAULT_COLLAR, flat: float = 0.0) -> np.ndarray:
    """(V,) in [0, 1]: :func:`neckline_weight` less :data:`FRONT_EASE` of it at the front: how much the
    neckband's cloth hangs from its own skin point rather than the smoothed anchor (``anchor`` of
    :func:`~genb.render.dress.armhole.hug_armholes`), so it bridges the throat's hollow."""
    p = np.asarray(atlas.rest, np.float64) - atlas.keypoints[K25["neck"]]
    front = np.clip(-p[:, 1] / np.maximum(np.hypot(p[:, 0], p[:, 1]), 1e-9), 0.0, 1.0)  # cos from the front, >= 0
    return neckline_weight(atlas, collar, flat) * (1.0 - FRONT_EASE * front ** 2)


def neckline_drop(cos_front: np.ndarray) -> np.ndarray:
    """(N,) metres the neckline lies below its back (the top of a top's trunk chart) at points whose angle
    around the trunk has cosine ``cos_front`` (N,) from the front: where a neckband is drawn (dress.seams)."""
    c = np.asarray(cos_front)
    return np.float32(FRONT_DROP) * (1 + c) + np.float32(SIDE_DROP) * (1 - c * c)


def top_hug(atlas, collar: float = DEFAULT_COLLAR, sleeveless: bool = False, layer: int = 1) -> tuple:
    """A top's hug (:func:`~genb.render.dress.armhole.hug_armholes`'s arguments after the shell: weight,
    hem_pull, anchor, each (V,) per body vertex but hem_pull): its neckline's band and, ``sleeveless``,
    its armholes' (:func:`~genb.render.dress.armhole.armhole_weight`). A garment of kind layer ``layer`` keeps
    to its band ``layer - 1`` times :data:`BAND` further down before it eases back (a coat's lies over the
    whole band of the top under it: :mod:`~genb.render.dress.band_stack`)."""
    arm = armhole_weight(atlas) if sleeveless else 0.0
    flat = BAND * max(layer - 1, 0)
    return np.maximum(neckline_weight(atlas, collar, flat), arm), 0.5, np.maximum(neckline_anchor(atlas, collar, flat), arm)


def layer_collar(layer: int) -> float:
    """The ``collar`` of a garment of kind layer ``layer`` (:class:`~genb.render.dress.kinds.GarmentKind`): the
    default for a top or a dress (layer 1), :data:`COLLAR_RISE` higher per layer over it (a coat's)."""
    return DEFAULT_COLLAR + COLLAR_RISE * max(layer - 1, 0)
