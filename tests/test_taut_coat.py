"""A jacket's back on a person leaning forward (crouching, kneeling on one knee, seated) lies over the top under it
(dress.taut_coat): no round sack standing off the back and the buttocks."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from genb.core.conventions import PART_INDEX, SEMANTIC_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import KEY_BODIES, anny_body  # noqa: F401
from test_curtain import _surface
from test_seat_tent import FABRIC, JACKET, SHIRT, TROUSERS

SWEATER = {"type": "sweater", "kind": "top", "sleeve": 1.9, "waist": -0.1, "thickness": 0.0219, "ease": 0.0075, **FABRIC}
DENIM = {"type": "jacket", "kind": "coat", "sleeve": 2.0, "waist": 0.0, "thickness": 0.0137, "ease": 0.0222, "open": True,
         **FABRIC}  # closeup seed 400 #5's open denim jacket
OUTFITS = {"denim jacket": [SWEATER, TROUSERS, DENIM], "closed jacket": [SHIRT, TROUSERS, JACKET]}
# (key pose, degrees more on each of spine_lower and spine_mid): the trunk leaning forward 29-31 (crouching), 16-21
# (on one knee, bent 12 more), 13-15 (sitting leaning forward)
POSES = (("crouching", 0.0), ("kneeling_one_knee", 12.0), ("sitting_leaning_forward", 0.0))
BODIES = ("average", "heavy")


def _posed(lib: PoseLibrary, anny_body, pose: str, bend: float, body: str):
    e = lib.key_pose(pose)
    for j in ("spine_lower", "spine_mid"):
        e[SEMANTIC_INDEX[j], 0] += bend
    posed = anny_body.pose(np.asarray([KEY_BODIES[body]], np.float32), euler_xyz_to_matrix(e[None]))
    v, kp = posed.vertices[0].astype(np.float64), posed.keypoints[0].copy()
    lift = -v[:, 2].min()
    return v + [0.0, 0.0, lift], kp + [0.0, 0.0, lift]


def coat_sack(anny_body, poses=POSES, bodies=BODIES, outfits=OUTFITS) -> dict:
    """{(pose, body, outfit): (millimetres, millimetres, share)}: how far the coat's back stands off what lies under
    it (the top, the trousers (less their hem strips; points on their faces) or the skin), the 90th percentile over
    its vertices (not its hem strips) whose nearest skin is the trunk's back (rest normal facing back) under trunk
    coordinate 0.6 (below the shoulder blades); the 1st percentile of how far it lies out of the top's surface (its
    nearest point's tangent plane; < 0: inside the top) over the same vertices; the share of its back vertices
    inside the top by more than 2 mm."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    dresser = Dresser(anny_body)
    a = dresser.atlas
    back = (a.parts == PART_INDEX["torso"]) & (a.normals[:, 1] > 0.3) & (a.torso < 0.6)
    faces = np.asarray(anny_body.faces)
    got = {}
    for pose, bend in poses:
        for name in bodies:
            v, kp = _posed(lib, anny_body, pose, bend, name)
            n = vertex_normals(v, faces)
            skin = cKDTree(v)
            for outfit, gs in outfits.items():
                meshes = dresser.dress({"garments": gs}, v, n, kp)
                (m,) = [x for x in meshes if x.name == gs[-1]["type"]]
                top = [x for x in meshes if x.name == gs[0]["type"]][0]
                under = [v]
                for u in meshes:
                    if u.name in (gs[0]["type"], gs[1]["type"]):
                        F = np.asarray(u.faces, np.int64)
                        under.append(_surface(u.vertices.astype(np.float64), F[~u.hem[F].any(axis=1)], 4))
                X = m.vertices.astype(np.float64)
                sel = back[skin.query(X)[1]] & ~m.hem
                gap = cKDTree(np.concatenate(under)).query(X[sel])[0]
                P, N = top.vertices[~top.hem].astype(np.float64), top.normals[~top.hem].astype(np.float64)
                d, i = cKDTree(P).query(X[sel])
                out = np.einsum("ij,ij->i", X[sel] - P[i], N[i])[d < 0.05]
                got[pose, name, outfit] = (round(1000 * float(np.percentile(gap, 90)), 1),
                                           round(1000 * float(np.percentile(out, 1)), 1), round(float((out < -0.002).mean()), 3))
    return got


# mm, on 26ebc84 (a jacket's back kept its stacked offset over the skin): the denim jacket's back 31.0-40.0 off what
# is under it, the closed jacket's 38.0-57.3; now 19.7-26.4 and 26.6-38.3. Inside the top (the share of its back's
# vertices more than 2 mm inside it): on 26ebc84 0-0.018 and 0-0.021, now 0-0.017 and 0-0.020 (where the curtain
# and the seat's tent moved it, as before)
BOUNDS = {"denim jacket": (29.0, 0.025), "closed jacket": (42.0, 0.025)}


@pytest.mark.parametrize("outfit", list(OUTFITS))
def test_a_forward_leaning_coat_back_is_no_sack(anny_body, outfit):
    """Crouching, kneeling on one knee (the spine bent 12 degrees more) and sitting leaning forward x average, heavy
    body x an open denim jacket over a sweater (hem at trunk coordinate 0; closeup seed 400 #5's) or a closed jacket
    over a long-sleeved shirt, over trousers (:func:`coat_sack`): the 90th percentile of how far the jacket's back
    (below the shoulder blades) stands off the top, the trousers or the skin under it, and the share of it inside
    the top. On 26ebc84 the jacket's shell kept its stacked offset over the skin (the top's thickness and its own,
    and its whole ease): denim 31.0-40.0 mm off, closed 38.0-57.3. Now (dress.taut_coat: its back in to its own
    thickness and a fifth of its ease, then out again over the top to lie that much over it) 19.7-26.4 and
    26.6-38.3 (the rest: the curtain and the seat's tent moving it out after)."""
    got = coat_sack(anny_body, outfits={outfit: OUTFITS[outfit]})
    print(got)
    off, inside = BOUNDS[outfit]
    assert max(mm for mm, _, _ in got.values()) < off, got
    assert max(share for _, _, share in got.values()) < inside, got  # still over the top
