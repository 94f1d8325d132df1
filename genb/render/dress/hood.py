"""A hoodie's hood lying down on the upper back: its bulk as the top's shell's extra offset
(:func:`hood_lift`, metres per body vertex) and its edge, centre seam and stitching drawn per pixel
with the seams (:func:`draw_hood`).

A hood worn down is two layers of cloth folded on the back below the collar: seen from behind a rounded
shield from the neckline's sides, widest a few centimetres down, narrowing to a rounded point about a
quarter of a metre below the neck. Its cloth stands off the back most near the neck (the hood's bulk
where it leaves the collar) and less towards its point, and it ends at its outline in a step (its edge).
Before, every hooded top had a ramp of 3.5 cm across the whole width of the upper back, which read as a
hunch, not a hood.

Both are laid out in the trunk's cloth coordinates of the template body the shells are cut on
(:mod:`genb.render.dress.fabric`: u the arc length round a cylinder of the chart's radius, its back's
middle at u = -pi R / 2; v the height), so the drawn edge lies on the bulk's: the outline is an ellipse
centred on the back's middle :data:`CENTRE_DOWN` below the neck, whose height on the chart is
:data:`NECK_BELOW_TOP` under the top's chart's highest v (the back of its collar).

The hood's base also rolls round the neck (:func:`neck_roll`, part of :func:`hood_lift`): from the back round
the sides, where its two edges come forward, to the front, where they meet over the neckband (2 cm off the
cloth at the sides and the back, 0.7 cm at the throat, rising over 1.5 cm below the neckline and gone 7 cm
down), and the cloth inside that roll, the hood's opening, is up to :data:`OPENING_DARK` darker
(:func:`opening_shade`). Posed, a hooded shell's normals turn with the gradient of this extra offset
(:func:`~genb.render.dress.rib_bands.tilt_normals`; before they were the smoothed surface's, so the bulk and
its edge's step were not lit as such). At bedlam distance (people 130-360 px tall) before, a hood from the
front did not show and from behind it was a faint patch; the luminance gradient inside the hoodie's pixels
within 25 cm of the neck (the mask eroded by a pixel) rose by 3.8 % (median; up for 17 of 21 people;
bedlam-sized forced hoodies, seed 381; /tmp/ribbands/hoodmeasure.py in session 38): a modest change.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX, PART_INDEX
from genb.render.dress.neckline import neckline_distance
from genb.render.dress.seam_canvas import draw_lines

CHART_R = 0.117  # metres: the trunk chart's radius of a top on the template body (the shells' ClothMap)
NECK_BELOW_TOP = 0.0595  # metres: the template's neck keypoint under a top's chart top (tests/test_hood.py)
HALF_WIDTH = 0.125  # metres across the chart: the outline's half-width
CENTRE_DOWN = 0.085  # metres below the neck's keypoint: the outline's centre (an ellipse)
HALF_HEIGHT = 0.17  # metres: the outline's half-height (its point 25.5 cm below the neck)
BULK = (0.03, 0.012)  # metres off the back: at the top of the hood, and at its point and edge
EDGE = 0.08  # the step down from the edge, in units of the normalised radius (about 1 cm)
# the hood's base rolled round the neck (:func:`neck_roll`): metres off the cloth at the sides and the back of
# the neck, and at the front (where its two edges meet over the neckband), rising over ROLL_RISE below the
# neckline, whole down to ROLL_TOP and gone ROLL_FALL further down
ROLL_SIDE, ROLL_FRONT = 0.02, 0.007
ROLL_RISE, ROLL_TOP, ROLL_FALL = 0.015, 0.02, 0.05
ROLL_REACH = 0.16  # metres from the neck's axis where the roll has faded out (over its last 3 cm)
OPENING_DARK = 0.3  # the hood's opening round the neck this much darker at its edge (its inside, in shadow)


def _ellipse(x: np.ndarray, down: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outline's normalised radius (1 on it) and the signed distance to it (metres, > 0 outside) at
    points ``x`` metres across the chart from the back's middle and ``down`` metres below the neck."""
    a, b = np.float32(HALF_WIDTH), np.float32(HALF_HEIGHT)
    p, q = x / a, (down - np.float32(CENTRE_DOWN)) / b
    rho = np.sqrt(p * p + q * q)
    grad = np.sqrt((p / a) ** 2 + (q / b) ** 2) / np.maximum(rho, np.float32(1e-6))
    return rho, (rho - 1) / np.maximum(grad, np.float32(1e-6))


def hood_lift(atlas) -> np.ndarray:
    """(V,) metres of extra offset per body vertex of a hooded top: the hood lying on the back.

    Args:
        atlas: the template body's :class:`~genb.render.dress.atlas.BodyAtlas` (rest pose, x left, y back, z up).
    """
    neck = atlas.keypoints[BODY25_INDEX["neck"]]
    r = atlas.rest
    x = (np.arctan2(-r[:, 1], r[:, 0]) + np.pi / 2) * CHART_R  # across the chart from the back's middle
    down = neck[2] - r[:, 2]
    rho, _ = _ellipse(x, down)
    t = np.clip(down / (CENTRE_DOWN + HALF_HEIGHT), 0.0, 1.0)  # 0 at the neck .. 1 at its point
    bulk = (BULK[0] + (BULK[1] - BULK[0]) * t) * np.clip(1.0 - rho * rho, 0.0, 1.0) ** 0.25
    bulk = np.maximum(bulk, BULK[1] * np.clip((1.0 + EDGE - rho) / EDGE, 0.0, 1.0))  # the edge's step
    back = np.clip((atlas.normals[:, 1] - 0.1) / 0.3, 0.0, 1.0)  # facing back
    lift = bulk * back * (atlas.parts == PART_INDEX["torso"]) * (down > -0.02)
    return np.maximum(lift, neck_roll(atlas)[0]).astype(np.float64)


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def neck_roll(atlas) -> tuple[np.ndarray, np.ndarray]:
    """(V,) metres of extra offset per body vertex: the hood's base rolled round the neck (:data:`ROLL_SIDE` at
    the sides and the back, :data:`ROLL_FRONT` at the front), rising from the neckline; and (V,) in [0, 1] the
    share of that roll at each vertex (its size over :data:`ROLL_SIDE`) times 1 at the neckline, 0 from
    :data:`ROLL_RISE` below it: the hood's opening, where :func:`opening_shade` darkens the cloth."""
    below = -neckline_distance(atlas)  # metres below the neckline (> 0 on the garment)
    p = np.asarray(atlas.rest, np.float64) - atlas.keypoints[BODY25_INDEX["neck"]]
    c = -p[:, 1] / np.maximum(np.hypot(p[:, 0], p[:, 1]), 1e-9)  # cos of the angle from the front
    amp = ROLL_FRONT + (ROLL_SIDE - ROLL_FRONT) * np.clip(1.0 - c, 0.0, 1.0)
    r = np.hypot(p[:, 0], p[:, 1])  # metres from the neck's axis: round the neck, not out along the arms
    near = ((below > -0.01) & (below < ROLL_TOP + ROLL_FALL)) * _smooth((ROLL_REACH - r) / 0.03)
    roll = amp * _smooth(below / ROLL_RISE) * (1.0 - _smooth((below - ROLL_TOP) / ROLL_FALL)) * near
    return roll, (amp / ROLL_SIDE) * (1.0 - _smooth(below / ROLL_RISE)) * near


def opening_shade(shell, atlas, cache: dict) -> np.ndarray:
    """(G,) float32 albedo factors of a hooded top's shell vertices: the cloth round the neck inside the hood's
    roll up to :data:`OPENING_DARK` darker (the hood's opening seen from the front and the sides), 1 elsewhere.
    ``cache``: a dict kept with the shells (the factors of a cut, the same in every pose)."""
    key = ("hood opening", id(shell))
    if key not in cache:
        cache[key] = (1.0 - OPENING_DARK * np.asarray(shell.blend @ neck_roll(atlas)[1]).ravel()).astype(np.float32)
    return cache[key]


def draw_hood(c, trunk: np.ndarray, ul: np.ndarray, vl: np.ndarray, pi_r: float, hi: float) -> None:
    """The hood's edge (a fold: a faint step and a shadowed groove just outside), its stitched hem
    inside the edge and its centre back seam, at a hooded top's ``trunk`` pixels (ids) with coordinates
    ``ul``, ``vl`` (M,) in the trunk's own frame (``pi_r``: pi times its radius; ``hi``: its highest v)."""
    if not len(trunk) or not np.isfinite(pi_r):
        return
    x = (ul + np.float32(pi_r / 2)) * np.float32(CHART_R * np.pi / pi_r)  # across the chart as hood_lift's
    down = np.float32(hi - NECK_BELOW_TOP) - vl
    near = np.flatnonzero((np.abs(x) < np.float32(HALF_WIDTH + 0.02)) & (down > np.float32(0.0)))
    rho, d = _ellipse(x[near], down[near])
    m = np.flatnonzero(np.abs(d) < np.float32(0.012) + c.fp[trunk[near]])
    draw_lines(c, trunk[near[m]], d[m], x[near[m]] + down[near[m]], [("seam", 0.002), ("edge", 0.0), ("stitch", -0.008)], "u")
    m = np.flatnonzero((rho < 1.0) & (np.abs(x[near]) < np.float32(0.01) + c.fp[trunk[near]]) & (down[near] > np.float32(0.02)))
    draw_lines(c, trunk[near[m]], x[near[m]], down[near[m]], [("seam", 0.0)], "u")
