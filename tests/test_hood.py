"""A hoodie's hood lying down on the back (genb.render.dress.hood): a shield of bulk on the upper back
with a step at its edge, and its edge, hem stitching and centre seam drawn per pixel on the same outline
(d0d7369: a 3.5 cm ramp across the whole width of the upper back, nothing drawn, which read as a hunch)."""

import numpy as np
import pytest

from genb.core.conventions import BODY25_INDEX
from genb.render.dress import hood

from _fixtures_bodies import KEY_BODIES, key_posed
from test_seams import _flat

HOODIE = {"type": "hoodie", "kind": "top", "hood": True, "sleeve": 1.95, "length": 2.0, "waist": -0.06,
          "thickness": 0.022, "ease": 0.01, "loose": False, "color": "bcbcbc", "pattern": "solid"}
TROUSERS = {"type": "trousers", "kind": "bottom", "length": 1.95, "waist": 0.25, "thickness": 0.012, "ease": 0.007,
            "flare": 0.03, "loose": False, "color": "1f2a44", "pattern": "solid"}


@pytest.fixture(scope="module")
def dresser(anny_body):
    from genb.render.dress import Dresser

    return Dresser(anny_body)


def _dress(dresser, anny_body, top, pattern="solid"):
    from genb.render.raster.meshes import vertex_normals

    _, _, v, kp = next(key_posed(anny_body, ["standing"], {"average": KEY_BODIES["average"]}))
    n = vertex_normals(v, anny_body.faces.astype(np.int64))
    outfit = {"garments": [{**top, "pattern": pattern, "pattern_scale": 0.05, "color2": "ffffff"}, TROUSERS],
              "shoes": {"type": "barefoot"}, "hair": None, "facial_hair": None, "accessories": []}
    return dresser.dress(outfit, v, n, kp)[0], kp


def test_the_drawn_outline_lies_on_the_chart_the_bulk_is_laid_out_in(dresser, anny_body):
    """The constants tying the drawn edge to the bulk: the chart's radius and its top over the neck, as
    the template's top shell has them (a change of the neckline or the charts moves them: update both)."""
    top, _ = _dress(dresser, anny_body, HOODIE, pattern="stripes")  # patterned: its ClothMap is kept
    R, lo, hi = top.uv.seams[0]
    neck = dresser.atlas.keypoints[BODY25_INDEX["neck"], 2]
    assert abs(R - hood.CHART_R) < 0.002, R
    assert abs((hi - neck) - hood.NECK_BELOW_TOP) < 0.002, hi - neck


def test_the_hood_is_a_shield_on_the_upper_back_with_a_step_at_its_edge(dresser):
    a = dresser.atlas
    lift = hood.hood_lift(a)
    neck = a.keypoints[BODY25_INDEX["neck"]]
    x = (np.arctan2(-a.rest[:, 1], a.rest[:, 0]) + np.pi / 2) * hood.CHART_R
    down = neck[2] - a.rest[:, 2]
    rho, d = hood._ellipse(x, down)
    back = a.normals[:, 1] > 0.5
    inside = back & (rho < 0.9) & (down > 0.0)
    assert lift[inside].min() >= 0.0119 and lift[inside].max() < 0.031
    roll, _ = hood.neck_roll(a)  # the hood's base rolled round the neck (its sides and front too)
    outside = back & (rho > 1.0 + hood.EDGE) & (roll == 0.0)
    assert lift[outside].max() == 0.0  # d0d7369: up to 3.3 cm out to the back's sides
    sides = back & (np.abs(x) > 0.16) & (down > 0.0) & (down < 0.15)
    assert sides.sum() > 20 and lift[sides & (roll == 0.0)].max() == 0.0 and lift[sides].max() < 0.001  # the roll's tail
    front = (a.normals[:, 1] < -0.5) & (roll > 0.0) & (np.abs(a.rest[:, 0]) < 0.02)  # over the throat
    assert front.sum() > 3 and 0.003 < lift[front].max() < 0.0075 < lift.max()


def test_the_posed_hoodie_carries_the_hood_and_nothing_beside_it(dresser, anny_body):
    hoodie, kp = _dress(dresser, anny_body, HOODIE)
    sweater, _ = _dress(dresser, anny_body, {**HOODIE, "type": "sweater", "hood": False})
    assert hoodie.vertices.shape == sweater.vertices.shape
    moved = np.linalg.norm(hoodie.vertices - sweater.vertices, axis=1)
    neck = kp[BODY25_INDEX["neck"]]
    rel = hoodie.vertices - neck
    centre = (np.abs(rel[:, 0]) < 0.04) & (rel[:, 2] < -0.04) & (rel[:, 2] > -0.12) & (rel[:, 1] > 0.0)
    assert centre.sum() > 3 and moved[centre].min() > 0.018  # 2.1-2.5 cm (d0d7369: 0-0.7 cm, its ramp higher up)
    beside = (np.abs(rel[:, 0]) > 0.17) & (rel[:, 2] < -0.05) & (rel[:, 2] > -0.15) & (rel[:, 1] > 0.0)
    assert beside.sum() > 3 and moved[beside].max() < 0.008  # 6.5 mm at most, the drape's spread (d0d7369: 1.0 cm)


def test_the_hood_is_drawn_on_its_outline_only():
    """Per pixel on the trunk's chart: the edge (and its stitching) on the outline, the centre seam down
    the middle inside it; nothing else on the back; a sweater has none."""
    R, lo, hi = hood.CHART_R, -0.03, 0.5433
    lay = np.full((6, 3), np.nan, np.float32)
    lay[0] = (R, lo, hi)
    back = -np.pi * R / 2
    u = back + np.linspace(-0.17, 0.17, 341)  # short of the side seams (pi R / 2 = 0.184 m out)
    v = np.linspace(hi, hi - 0.4, 401)
    top = {"kind": "top", "type": "hoodie", "hood": True, "color": "bcbcbc", "pattern": "solid", "sleeve": 1.9}
    d_h, s_h = _flat(top, lay, 0, u, v)
    _, s_s = _flat({**top, "hood": False, "type": "sweater"}, lay, 0, u, v)
    X, V = np.meshgrid(u - back, v)
    down = hi - hood.NECK_BELOW_TOP - V
    rho, d = hood._ellipse(X.astype(np.float32), down.astype(np.float32))
    below_neck = down > 0.03
    on = below_neck & (np.abs(d) < 0.001)
    assert on.sum() > 100 and (s_h[on] > 0).mean() > 0.9
    clear = below_neck & (np.abs(d) > 0.02) & (np.abs(X) > 0.02)
    assert s_h[clear].max() == 0.0 and s_s[below_neck & (down < 0.3)].max() == 0.0
    middle = below_neck & (rho < 0.8) & (np.abs(X) < 0.0005)
    assert middle.sum() > 100 and (d_h[middle] < 0.8).all()  # the centre seam's groove
