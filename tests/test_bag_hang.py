"""A shoulder bag hangs under gravity from its sash's hip end (dress/bag_hang.py), in the key poses that
are not upright too (bent over, sitting, crouching, kneeling) and over every body (child, average, heavy, tall)."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from genb.core.conventions import PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_bags import _face_samples
from test_dress import OUTFITS
from test_shoes import _winding

CLOTH = [PART_INDEX[p] for p in ("upper_clothes", "coat", "lower_clothes", "dress")]
BODIES = {"child": [0.5, 0.2, 0.5, 0.5, 0.5, 0.5], "average": [0.5, 0.67, 0.5, 0.5, 0.5, 0.5],
          "heavy": [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], "tall": [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]}
POSES = ("bending_over", "standing", "sitting", "crouching", "sitting_floor_knees_up", "kneeling")


@pytest.fixture(scope="module")
def hung(anny_body):
    """Per key pose x body (t-shirt and jeans or a closed coat in turn): the bag, the sash, the drop
    strap, the body's and cloth's points, the body's vertices."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    body, lib = anny_body, PoseLibrary()
    dresser = Dresser(body)
    out = []
    for b, shape in enumerate(BODIES.values()):
        posed = body.pose(np.repeat(np.array([shape], np.float32), len(POSES), 0),
                          euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in POSES])))
        for k, name in enumerate(POSES):
            v, kp = posed.vertices[k], posed.keypoints[k]
            vn = vertex_normals(v, body.faces.astype(np.int64))
            outfit = {**OUTFITS[("t-shirt and jeans", "closed coat")[(k + b) % 2]],
                      "accessories": [{"type": "bag_strap", "color": "6b4a2f"}]}
            meshes = dresser.dress(outfit, v, vn, kp)
            bag = next(m for m in meshes if m.name == "bag_strap" and m.covered is None)
            sash = next(m for m in meshes if m.part == PART_INDEX["bag"] and m.covered is not None)
            drop = next((m for m in meshes if m.name == "drop_bag_strap"), None)
            cloth = [m for m in meshes if m.part in CLOTH]
            P = np.concatenate([v] + [m.vertices for m in cloth]).astype(np.float64)
            out.append((f"{list(BODIES)[b]}:{name}", bag, sash, drop, P, v))
    return out


def _attachment(bag, sash, drop) -> np.ndarray:
    """Where the bag's strap leaves the sash: the drop strap's end away from the bag (its 4 corners
    farthest from the bag's centre), or the sash vertex nearest the bag where there is no drop strap."""
    centre = bag.vertices.mean(0).astype(np.float64)
    if drop is None:
        return sash.vertices[int(np.argmin(cKDTree(_face_samples(bag)).query(sash.vertices)[0]))].astype(np.float64)
    dv = np.unique(drop.vertices.astype(np.float64), axis=0)
    return dv[np.argsort(-np.linalg.norm(dv - centre, axis=1))[:4]].mean(0)


def test_a_shoulder_bag_hangs_below_its_strap(hung):
    """The line from where the strap leaves the sash to the bag's centre is near plumb: a bag hanging
    from its strap pushed out only as far as the body or cloth beside it makes it (about 20 degrees
    standing: half its thickness out of the hip), resting on a seat or the ground sitting. On 5020a86
    (the bag rigid at the hip in the trunk's frame, the strap to the nearest sash point) over these 24:
    median 45 degrees, max 72 (a child crouching); now median 21, max 40 (kneeling and bent over: the
    bag pushed out past the thigh)."""
    angles = []
    for name, bag, sash, drop, _P, _v in hung:
        d = bag.vertices.mean(0).astype(np.float64) - _attachment(bag, sash, drop)
        angles.append(np.degrees(np.arccos(np.clip(-d[2] / np.linalg.norm(d), -1.0, 1.0))))
    assert np.median(angles) < 30 and max(angles) < 55, dict(zip([h[0] for h in hung], np.round(angles, 1)))


def test_a_hanging_bag_is_joined_to_its_strap_and_out_of_the_body(hung, anny_body):
    """The drop strap meets the sash and the bag (within 8 mm); no point of the bag's faces inside the body
    (winding number about the body mesh) and no body or cloth point inside the bag; the bag touches (within
    2 cm of the body or cloth). On 5020a86 the drop strap missed by 13 mm (a child crouching), nothing
    was inside either way; now joined within 4 mm, nothing inside, touching within 13 mm."""
    faces = anny_body.faces.astype(np.int64)
    for name, bag, sash, drop, P, v in hung:
        s = _face_samples(bag, 4)
        if drop is not None:
            ds = _face_samples(drop)
            assert cKDTree(s).query(ds)[0].min() < 0.008 and cKDTree(ds).query(sash.vertices)[0].min() < 0.008, name
        assert (_winding(s, v, faces) < 0.5).all(), name
        lo, hi = bag.vertices.min(0) - 0.01, bag.vertices.max(0) + 0.01
        near = P[np.all((P > lo) & (P < hi), axis=1)]
        assert not len(near) or (_winding(near, bag.vertices, bag.faces) < 0.5).all(), name
        assert cKDTree(P).query(_face_samples(bag))[0].min() < 0.02, name


def test_a_shoulder_bag_faces_outwards(hung):
    """The bag's box is wound outwards (positive signed volume), so it is drawn with its near faces: on
    5020a86 its frame was left-handed, the box inside out (its near faces culled, the inside of its far
    walls drawn)."""
    for name, bag, *_ in hung:
        t = bag.vertices[bag.faces.astype(np.int64)].astype(np.float64)
        assert np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() > 0, name
