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
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX, PART_INDEX
from genb.render.dress.seam_canvas import draw_lines

CHART_R = 0.117  # metres: the trunk chart's radius of a top on the template body (the shells' ClothMap)
NECK_BELOW_TOP = 0.0595  # metres: the template's neck keypoint under a top's chart top (tests/test_hood.py)
HALF_WIDTH = 0.125  # metres across the chart: the outline's half-width
CENTRE_DOWN = 0.085  # metres below the neck's keypoint: the outline's centre (an ellipse)
HALF_HEIGHT = 0.17  # metres: the outline's half-height (its point 25.5 cm below the neck)
BULK = (0.03, 0.012)  # metres off the back: at the top of the hood, and at its point and edge
EDGE = 0.08  # the step down from the edge, in units of the normalised radius (about 1 cm)


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
    return (bulk * back * (atlas.parts == PART_INDEX["torso"]) * (down > -0.02)).astype(np.float64)


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
