"""A seated person's coat tail falls by the hips and lies on the thighs, never out sideways (dress.coat_lap.hug):
seen from above, its cloth stays near the hips' and thighs' outline instead of spreading on the seat as wings.

The chair key poses (sitting, relaxed, leaning forward) x child, average, heavy, tall bodies in a closed coat
(tail 1.2) over a shirt and trousers, dressed without a seat, and on the seat the renderer puts under them (one
seat kind per body), and closeup seed 390 sample 7's child (6 years, 1.0 m, sitting mirrored, a tank top, shorts
and a long coat, on a low wall): their sides, rotated forward with the thighs 10-13 cm off the hips (the rest cut's
margin, kept by the seated leg capsules), lay on the seat as flat wings far past the thighs.
"""

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_curtain import SHAPES
from test_seat_cloth import KINDS, SEATED, seated_bodies
from test_seat_tent import COAT, SHIRT, TROUSERS

CHILD = np.array([0.1297, 0.1785, 0.0822, 0.2423, 0.3792, 0.6407], np.float32)  # closeup 390 sample 7
CHILD_OUTFIT = [  # its scene.json's garments
    {"type": "tank_top", "kind": "top", "sleeve": -1.0, "waist": 0.0, "length": -1.0, "thickness": 0.008,
     "ease": 0.0036, "loose": False, "color": "3c3f44", "pattern": "solid"},
    {"type": "shorts", "kind": "bottom", "length": 0.5, "waist": 0.2, "thickness": 0.0183, "ease": 0.0089,
     "loose": False, "color": "1d2533", "pattern": "solid"},
    {"type": "coat", "kind": "coat", "sleeve": 2.0, "waist": -0.2, "length": 2.0, "tail": 1.2, "open": False,
     "thickness": 0.0144, "ease": 0.0385, "loose": False, "color": "2b2440", "pattern": "solid"},
]


def outside(P: np.ndarray, v: np.ndarray, kp: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """(N,) metres each point of ``P`` (N, 3) lies outside, seen from above, the convex outline of the thighs' skin
    and the trunk's skin below the hip joints (the buttocks) of the posed body ``v`` (V, 3) (the farthest of the
    outline's edge lines; 0 inside)."""
    hip = kp[[K25["left_hip"], K25["right_hip"]], 2].mean()
    legs = np.isin(parts, [PART_INDEX["left_upper_leg"], PART_INDEX["right_upper_leg"]])
    H = ConvexHull(v[legs | ((parts == PART_INDEX["torso"]) & (v[:, 2] < hip)), :2])
    E = H.equations
    return np.maximum((P[:, :2] @ E[:, :2].T + E[:, 2]).max(axis=1), 0.0)


def _child(body):
    """closeup 390 sample 7's child: (v, kp) float64, lifted onto the ground, and its buttocks' vertex ids."""
    from genb.render.scene import contact

    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(lib.key_pose("sitting", mirrored=True)[None])
    posed = body.pose(CHILD[None], rot)
    v, kp = posed.vertices[0].astype(np.float64), posed.keypoints[0].astype(np.float64)
    lift = -v[:, 2].min()
    v[:, 2] += lift
    kp[:, 2] += lift
    rest = body.pose(CHILD[None], np.tile(np.eye(3), (1, rot.shape[1], 1, 1)))
    buttocks = contact.support_groups(rest.vertices[0], rest.keypoints[0], np.asarray(body.vertex_parts))["buttocks"]
    return v, kp, buttocks


@pytest.fixture(scope="module")
def wings(anny_body):
    """{(pose, body, seat kind or 'none'): (N,) metres each coat tail vertex lies outside the hips' and thighs'
    outline seen from above (:func:`outside`)}."""
    from genb.render.dress import Dresser
    from genb.render.dress.seat_cloth import seat_of
    from genb.render.raster.meshes import vertex_normals
    from genb.render.scene import contact

    dresser, parts, faces, out = Dresser(anny_body), np.asarray(anny_body.vertex_parts), np.asarray(anny_body.faces), {}
    cases = [(s, name, v, kp, n, radius, b, [SHIRT, TROUSERS, COAT]) for s, name, v, kp, n, radius, b in seated_bodies(anny_body, SHAPES)]
    v, kp, b = _child(anny_body)
    cases.append(("child", "sitting:mirrored", v, kp, vertex_normals(v.astype(np.float32), faces),
                  float(np.sqrt((v[:, :2] ** 2).sum(axis=1).max())), b, CHILD_OUTFIT))
    for k, (s, name, v, kp, n, radius, buttocks, garments) in enumerate(cases):
        rec = None
        if name == "sitting" or s == "child":  # each body on a seat once, the seat kinds in turn (the child's: a low wall)
            rec = contact.seat_recipe(np.random.default_rng(k), v[buttocks], 0.0, radius)
            rec = {**rec, "type": "low_wall" if s == "child" else KINDS[k // len(SEATED) % len(KINDS)], "color": "808080"}
        for key, r in (("none", None),) + (((rec["type"], rec),) if rec else ()):
            meshes = dresser.dress({"garments": garments}, v.astype(np.float32), n, kp.astype(np.float32), seat=seat_of(r))
            tail = next(m for m in meshes if m.name == "coat:skirt")
            out[(name, s, key)] = outside(tail.vertices.astype(np.float64), v, kp, parts)
    return out


def test_a_seated_coat_tail_has_no_wings(wings):
    """Per case, the 90th percentile of the tail's vertices' distance outside the hips' and thighs' outline seen from
    above is at most 95 mm (the coat's shell stands 6-8 cm off the hips there: the tail's top ring, on its hem, is
    already that far out). On 32b65fb: 119-132 mm per case (max 143-187 mm: the sides 12-19 cm out on the seat,
    the child 131 mm); now (coat_lap.hug) 66-91 mm (the child 78 mm)."""
    got = {k: round(1000 * float(np.percentile(d, 90)), 1) for k, d in wings.items()}
    print(got)
    assert len(got) == len(SEATED) * len(SHAPES) + len(SHAPES) + 2
    assert max(got.values()) <= 95.0, got


def test_a_seated_coat_tail_is_not_spread_on_the_seat(wings):
    """Over all cases, the share of tail vertices more than 10 cm outside the hips' and thighs' outline seen from
    above (cloth lying on the seat beside the thighs, a hand's breadth past the coat's own hem) is at most 3 %.
    On 32b65fb: 28.2 %; now 0.5 %."""
    d = np.concatenate(list(wings.values()))
    share = 100 * float((d > 0.10).mean())
    print("share > 10 cm:", round(share, 2))
    assert share <= 3.0, share
