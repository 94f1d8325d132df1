"""A long top's, a jacket's and a coat's back falls from the buttocks kneeling and sitting (dress.curtain in
every pose, tops too): no two round buttock lobes shrink-wrapped under the cloth, no cleft."""

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import KEY_BODIES, anny_body  # noqa: F401
from test_coat_fall import back_gap
from test_curtain import _surface
from test_seat_tent import COAT, JACKET, SHIRT, TROUSERS

HOODIE = {"type": "hoodie", "kind": "top", "sleeve": 1.95, "waist": -0.12, "thickness": 0.022, "ease": 0.012, "hood": True,
          "palette": "neutrals", "color": "3b5b84", "pattern": "solid"}
OUTFITS = {"hoodie": [HOODIE, TROUSERS], "jacket": [SHIRT, TROUSERS, JACKET], "open coat": [SHIRT, TROUSERS, {**COAT, "open": True}]}
KNEELING = ("kneeling", "kneeling_one_knee", "sitting", "sitting_cross_legged")


def back_dips(anny_body, monkeypatch, poses=KNEELING, outfits=OUTFITS) -> dict:
    """{(pose, body, outfit): millimetres} the 90th percentile of how far the back of the outermost top's shell
    (within 45 degrees of the back, 25 cm under the hip joints to 5 cm over them, 2 cm or more over the ground; its
    sleeves and its hem's inner strip left out; a coat's tail not) lies inside the outline of the cloth above it
    (:func:`~test_coat_fall.back_gap`: 0, the cloth falls straight down from the buttocks' widest line), per key
    pose x :data:`~_fixtures_bodies.KEY_BODIES` x outfit."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    dresser = Dresser(anny_body)
    shells = []
    top_shell = Dresser.top_shell
    monkeypatch.setattr(Dresser, "top_shell", lambda self, *a, **k: shells.append(top_shell(self, *a, **k)) or shells[-1])
    arm = dresser.is_arm.astype(np.float32)
    got = {}
    for pose in poses:
        rot = euler_xyz_to_matrix(lib.key_pose(pose)[None])
        for name, shape in KEY_BODIES.items():
            posed = anny_body.pose(np.asarray([shape], np.float32), rot)
            v, kp = posed.vertices[0].astype(np.float64), posed.keypoints[0].copy()
            lift = -v[:, 2].min()
            v, kp = v + [0.0, 0.0, lift], kp + [0.0, 0.0, lift]
            n = vertex_normals(v, np.asarray(anny_body.faces))
            for outfit, garments in outfits.items():
                meshes = dresser.dress({"garments": garments}, v, n, kp)
                (m,) = [m for m in meshes if m.name == garments[-1 if garments[-1]["kind"] != "bottom" else 0]["type"]]
                shell = shells[-1]
                off = np.asarray(shell.blend @ arm).ravel() > 0.01
                off |= (shell.twin != np.arange(shell.num_vertices)) | off[shell.twin]
                F = np.asarray(m.faces, np.int64)
                gap = back_gap(_surface(m.vertices.astype(np.float64), F[~off[F].any(axis=1)], 4), kp, float(v[:, 2].min()))
                got[pose, name, outfit] = round(1000 * float(np.percentile(gap, 90)), 1)
    assert kp[K25["mid_hip"], 2] > 0.0
    return got


def test_a_kneeling_or_seated_back_falls_from_the_buttocks(anny_body, monkeypatch):
    """Kneeling upright, kneeling on one knee, sitting on a chair and cross-legged x child, average, heavy, tall x a
    hoodie over trousers (hem at trunk coordinate -0.12), a closed jacket and an open coat over a shirt and trousers:
    the 90th percentile per person of how far the back of the top's, jacket's or coat's shell lies inside the outline
    of the cloth above it (:func:`back_dips`). On ccda6a9 the curtain hung coats and jackets standing, walking or with
    both thighs folded up only, and no top: the hoodie's back followed two buttock lobes and the cleft (kneeling
    37.8-65.8 mm, on one knee 68.6-102.8, on a chair 80.5-132.2, cross-legged 81.9-131.3), and on one knee or
    cross-legged a jacket's and a coat's back bulged over the buttocks (41.1-113.4 mm); median 64.2 mm. Now
    (dress.curtain in every pose but a stride, on long tops kneeling or seated) 0.5-19.8 mm, median 2.2 (hoodie
    1.8-19.8, the child on a chair most; jacket and coat on one knee 0.7-1.7, cross-legged 0.5-18.4; kneeling upright
    and on a chair the jacket and coat were straight already and are as they were)."""
    got = back_dips(anny_body, monkeypatch)
    print(got)
    assert len(got) == len(KNEELING) * len(KEY_BODIES) * len(OUTFITS)
    assert max(got.values()) < 25.0 and float(np.median(list(got.values()))) < 10.0, got
