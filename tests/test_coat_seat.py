"""A seated person's coat lies on the seat's top under the buttocks, never below it (dress.seat_press: the
shell; dress.coat_tail.seat_for: a chair guessed under the buttocks when none was given).

The chair key poses (sitting, relaxed, leaning forward) x child, average, heavy, tall bodies in a closed coat
over a shirt and trousers, dressed without a seat (tests, callers that give none) and on the seat the renderer
puts under them (contact.seat_recipe, its top at the lowest buttock point; crate, chair, stool and steps in
turn, the solid read from the prop's meshes: test_seat_cloth.seat_solid_depth).
"""

import numpy as np
import pytest

from genb.core.conventions import BODY25_INDEX as K25

from _fixtures_bodies import anny_body  # noqa: F401
from test_curtain import SHAPES
from test_seat_cloth import KINDS, SEATED, seat_solid_depth, seated_bodies
from test_seat_tent import COAT, SHIRT, TROUSERS

AHEAD, BEHIND, SIDE = 0.05, 0.15, 0.12  # metres about the lowest buttock point: every seat the renderer makes covers this


def under_buttocks(P: np.ndarray, low: np.ndarray, kp: np.ndarray) -> np.ndarray:
    """(N,) metres each point of ``P`` (N, 3) lies below the lowest buttock point ``low`` (3,) where every seat
    the renderer puts under a sitter would be: from :data:`AHEAD` ahead of it to :data:`BEHIND` behind it,
    :data:`SIDE` either side (the buttocks' own footprint; a seat's front edge lies 7-12 cm ahead, its sides
    17 cm or more out); 0 elsewhere. ``kp``: (25, 3) BODY25 (the hips' line gives the sitter's back)."""
    side = kp[K25["left_hip"], :2] - kp[K25["right_hip"], :2]
    side = side / np.linalg.norm(side)
    back = np.array([-side[1], side[0]])
    d = P[:, :2] - low[:2]
    along, across = d @ back, d @ side
    inside = (along > -AHEAD) & (along < BEHIND) & (np.abs(across) < SIDE)
    return np.where(inside, np.maximum(low[2] - P[:, 2], 0.0), 0.0)


@pytest.fixture(scope="module")
def seated_coats(anny_body):
    """{(pose, body, 'none' | seat kind): (coat meshes, lowest buttock point, keypoints, seat recipe or None)}."""
    from genb.render.dress import Dresser
    from genb.render.dress.seat_cloth import seat_of
    from genb.render.scene import contact

    dresser, out, k = Dresser(anny_body), {}, 0
    for s, name, v, kp, n, radius, buttocks in seated_bodies(anny_body, SHAPES):
        rec = contact.seat_recipe(np.random.default_rng(k), v[buttocks], 0.0, radius)
        rec = {**rec, "type": KINDS[k % len(KINDS)], "color": "808080"}
        k += 1
        low = v[buttocks][np.argmin(v[buttocks, 2])]
        for key, r in (("none", None), (rec["type"], rec)):
            meshes = dresser.dress({"garments": [SHIRT, TROUSERS, COAT]}, v.astype(np.float32), n,
                                   kp.astype(np.float32), seat=seat_of(r))
            out[(name, s, key)] = ([m for m in meshes if m.name.startswith("coat")], low, kp, r)
    return out


def test_a_seated_coat_is_not_below_the_buttocks_without_a_seat(seated_coats):
    """Dressed without a seat, no coat vertex (shell or tail) lies more than 2 mm below the lowest buttock point
    under the buttocks (:func:`under_buttocks`). On 15423f4 the tail was floored 2.5 cm under the trunk's lowest
    skin behind the hips and hung from the shell's hem, and the shell, offset along the skin's normals that face
    the ground there, stood under the buttocks: 45.5-124.7 mm per case (shell 0-67.3, tail 38.4-124.7). Now (a
    chair guessed under the buttocks, coat_tail.seat_for; the shell pressed onto it, seat_press): 0 mm."""
    got = {}
    for (name, s, key), (meshes, low, kp, _) in seated_coats.items():
        if key == "none":
            parts = [round(1000 * float(under_buttocks(m.vertices.astype(np.float64), low, kp).max()), 1) for m in meshes]
            got[(name, s)] = max(parts)
            print(name, s, "shell, tail", parts)
    print(got)
    assert len(got) == len(SEATED) * len(SHAPES)
    assert max(got.values()) < 2.0, got


def test_a_seated_coat_shell_stays_out_of_the_seat(seated_coats):
    """On the renderer's seat, no coat vertex (shell or tail) lies more than 2 mm inside the seat's solid (up to
    10 cm over its top: a chair's backrest against a leaning back is not the seat's). On 15423f4 the tail was
    pushed out of it (dress.seat_cloth) but not the shell: 17.9-63.2 mm per case (crate, steps 36-63; a chair's
    or a stool's seat slab, thinner than the shell's dip, 18-25), the coat's seat sunk into the seat. Now
    (dress.seat_press): 0 mm."""
    got = {}
    for (name, s, key), (meshes, low, kp, rec) in seated_coats.items():
        if rec is not None:
            low_ = [m.vertices[m.vertices[:, 2] < rec["size"][2] + 0.1].astype(np.float64) for m in meshes]  # not a backrest
            parts = [round(1000 * float(seat_solid_depth(P, rec).max(initial=0.0)), 1) for P in low_]
            got[(name, s, key)] = max(parts)
            print(name, s, key, "shell, tail", parts)
    print(got)
    assert len(got) == len(SEATED) * len(SHAPES)
    assert max(got.values()) < 2.0, got
