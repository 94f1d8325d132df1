"""A jacket or a coat over a hooded top rises over the hood lying on the back (dress.garments: the coat's
shell takes the hood's bulge too), so the hood does not come out through its back.

Bedlam seed 374, sample 6 (d0d7369): a seated man's navy hoodie showed in a stripe along his maroon
jacket's shoulder; the hoodie's shell stands 3.5 cm further off the upper back over its hood
(``top_shell(hood=True)``'s extra), the jacket's did not. The measure: the hoodie's hood vertices (its shell's
extra over 1 cm) more than 2 mm outside the jacket (along the normal of their nearest jacket vertex), standing,
seated, on the floor with the knees up, leaning forward, crouching x child, average, heavy, tall x open and
closed jacket.
"""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from genb.core.conventions import PART_INDEX

from _fixtures_bodies import anny_body, key_posed  # noqa: F401

FABRIC = {"palette": "darks", "color": "2b2440", "pattern": "solid"}
HOODIE = {"type": "hoodie", "kind": "top", "sleeve": 1.9, "waist": -0.1, "thickness": 0.0235, "ease": 0.0062, "hood": True,
          **FABRIC}
JEANS = {"type": "jeans", "kind": "bottom", "length": 1.9, "waist": 0.2, "thickness": 0.0081, "ease": 0.0059, "flare": 0.023,
         **FABRIC}
JACKET = {"type": "jacket", "kind": "coat", "sleeve": 1.9, "waist": -0.1, "thickness": 0.0082, "ease": 0.0188, **FABRIC}
POSES = ("standing", "sitting", "sitting_floor_knees_up", "sitting_leaning_forward", "crouching")


@pytest.mark.slow
def test_a_hood_stays_under_the_jacket_over_it(anny_body):
    """Hood vertices of a hoodie out through the jacket over it: on d0d7369 2864 of 6080 (47 %, 566-578 in
    every pose; the tall body's crouch 67 of 152, median 1.4 mm out, 99th percentile 28 mm); now 70 (1.2 %,
    10-18 a pose)."""
    from genb.render.dress import Dresser
    from genb.render.dress.neckline import layer_collar
    from genb.render.raster.meshes import vertex_normals

    dresser = Dresser(anny_body)
    hood = dresser.top_shell(HOODIE["sleeve"], HOODIE["waist"], layer_collar(1), hood=True, ease=HOODIE["ease"]).extra > 0.01
    out = total = 0
    for pose, body, v, kp in key_posed(anny_body, POSES):
        n = vertex_normals(v.astype(np.float64), np.asarray(anny_body.faces, np.int64))
        for is_open in (False, True):
            ms = dresser.dress({"garments": [HOODIE, JEANS, {**JACKET, "open": is_open}]}, v, n, kp)
            h = next(m for m in ms if m.name == "hoodie")
            c = next(m for m in ms if m.part == PART_INDEX["coat"])
            assert len(h.vertices) == len(hood)
            cn = vertex_normals(c.vertices.astype(np.float64), np.asarray(c.faces, np.int64))
            j = cKDTree(c.vertices).query(h.vertices[hood])[1]
            out += int((np.einsum("ij,ij->i", h.vertices[hood] - c.vertices[j], cn[j]) > 0.002).sum())
            total += int(hood.sum())
    assert total > 0
    assert out <= 0.02 * total, f"{out} of {total} hood vertices come out through the jacket"
