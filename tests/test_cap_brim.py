"""A cap's brim faces out: its top faces up and its underside down, in the head's frame, in every pose
(genb.render.dress.pieces.brim). The head's frame is left-handed, and faces wound in it faced in: the
label pass, which culls back faces, saw through the brim's top to the hair and forehead under it
(close heads, seed 21 #2: a strip of "hair" and "skin" labels across the cap, and the hair fringe
painted over the brim), and the brim was lit from below."""

import numpy as np

from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix
from genb.render.raster.meshes import vertex_normals

from _fixtures_bodies import anny_body  # noqa: F401


def test_a_caps_brim_faces_out(anny_body):
    from genb.render.dress import Dresser
    from genb.render.dress.atlas import head_frame

    lib, dresser = PoseLibrary(), Dresser(anny_body)
    names = ["standing", "bending_over", "looking_at_phone", "sitting_floor_knees_up"]
    posed = anny_body.pose(np.repeat(np.array([[0.5, 0.67, 0.5, 0.5, 0.5, 0.5]], np.float32), len(names), 0),
                           euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in names])))
    outfit = {"garments": [], "hair": {"style": "short", "color": "2e2119", "hairline": "medium", "thickness": 0.01,
                                       "shape": "none"}, "accessories": [{"type": "cap", "color": "c0202a"}]}
    for k, name in enumerate(names):
        v, kp = posed.vertices[k], posed.keypoints[k]
        (brim,) = [m for m in dresser.dress(outfit, v, vertex_normals(v, anny_body.faces.astype(np.int64)), kp)
                   if m.name == "cap:brim"]
        up = head_frame(kp)[1][:, 2]
        p, f = brim.vertices.astype(np.float64), brim.faces.astype(np.int64)
        n = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])
        n /= np.linalg.norm(n, axis=1, keepdims=True)
        rows = len(p) // 6  # top (inner + outer rows), bottom, rim: 2 * 9 vertices each
        top, bottom = (f < 2 * rows).all(1), ((f >= 2 * rows) & (f < 4 * rows)).all(1)
        assert (n[top] @ up > 0.5).all(), (name, np.round(n[top] @ up, 2))  # on 5020a86: -0.94 for every face
        assert (n[bottom] @ up < -0.5).all(), name
        assert (brim.normals[: 2 * rows] @ up > 0.5).all(), name  # shaded as lit from above
