"""A skirt's waist seated, crouching and kneeling: its front stays in front, no strip of it over the
back of the waist (and no slit under such a strip), the waistband keeps its columns in order."""

import numpy as np
import pytest

from genb.core.conventions import PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_hang import OUTFITS, SHAPES

BENT = ("sitting", "sitting_relaxed", "sitting_leaning_forward", "crouching", "sitting_floor_knees_up",
        "kneeling_one_knee", "kneeling", "lunge")
BINS = 44


@pytest.fixture(scope="module")
def waists(anny_body):
    """Each bent pose on the child, heavy and tall bodies in the knee-length skirt and the long dress:
    (pose, body, outfit, grid (rings, 44, 3), body vertices, body normals, the trunk and legs' mask)."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in BENT]))
    dresser = Dresser(anny_body)
    faces = np.asarray(anny_body.faces)
    low = ~dresser.is_arm & (dresser.atlas.parts != PART_INDEX["head"])
    out = []
    for si in range(len(SHAPES)):
        posed = anny_body.pose(np.tile(SHAPES[si], (len(BENT), 1)), rot)
        for k, name in enumerate(BENT):
            v, kp = posed.vertices[k], posed.keypoints[k]
            n = vertex_normals(v, faces)
            for outfit in ("skirt", "dress"):
                (loose,) = [m for m in dresser.dress(OUTFITS[outfit], v, n, kp) if m.name.endswith(":skirt")]
                out.append((name, si, outfit, loose.vertices.astype(np.float64).reshape(-1, BINS, 3), v, n, low))
    return out


def front_over_back(X: np.ndarray, v: np.ndarray, n: np.ndarray, low: np.ndarray) -> int:
    """Vertices of a loose grid ``X`` (rings, 44, 3) from its front columns (rest angle within 60
    degrees of the front) that lie outside the body's trunk and legs (``v``, ``n`` (V, 3), ``low``
    (V,) bool) behind the waist ring's centre by more than half the waist's depth, from 15 cm under
    the waist ring to 25 cm over it: the front's cloth showing over the back of the waist."""
    from genb.render.dress.cover import depth_under_skin

    w = X[0]
    c = w.mean(axis=0)
    theta = (np.arange(BINS) + 0.5) / BINS * 2 * np.pi  # x to the left, y back (hang.hang_grid)
    back = w[np.abs(theta - np.pi / 2) < 0.5].mean(axis=0) - c
    depth = np.linalg.norm(back)
    back /= depth
    up = np.linalg.svd(w - c)[2][2]
    up *= np.sign(up @ np.cross(w[0] - c, w[BINS // 4] - c))
    front = np.abs(theta - 1.5 * np.pi) < np.pi / 3
    P = X[:, front].reshape(-1, 3)
    b, h = (P - c) @ back, (P - c) @ up
    near = (b > 0.5 * depth) & (h > -0.15) & (h < 0.25)
    if not near.any():
        return 0
    return int((depth_under_skin(P[near], v[low], n[low]) < 0.0).sum())


def test_no_strip_of_the_front_over_the_back_of_the_waist(waists):
    """Seated, crouching, kneeling and lunging, three bodies, skirt and dress: no cloth of the front
    shows behind the back of the waist. Before (the thighs carried the front from 18 cm above the hip
    joints, over a child's waist 4 cm above them, and turned it with a flexed hip over the top of the
    hip to the back; the settle pushed front cloth deep in the belly out through the back's skin) a
    strip over a slit at the back of a seated or crouching child's waist and a crouching heavy body's:
    this count was 4 to 92 in 20 of the 48 cases; now (dress.flex: the lift fades in below the waist
    ring and turns with the thigh by at most 60 degrees; dress.settle: no push out through skin
    facing away from the cloth's side)."""
    got = {(name, si, outfit): front_over_back(X, v, n, low) for name, si, outfit, X, v, n, low in waists}
    bad = {k: c for k, c in got.items() if c > 2}
    assert not bad, bad


def test_the_waistband_keeps_its_columns_in_order(waists):
    """The waist ring (the pelvis's alone) keeps its columns in their angular order around its centre,
    in every bent pose (before: a child's front columns crossed over to the back)."""
    for name, si, outfit, X, v, n, low in waists:
        w = X[0]
        c = w.mean(axis=0)
        up = np.linalg.svd(w - c)[2][2]
        e1 = w[0] - c
        e1 -= up * (e1 @ up)
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(up, e1)
        ang = np.arctan2((w - c) @ e2, (w - c) @ e1)
        steps = np.diff(np.unwrap(np.append(ang, ang[0])))
        assert abs(abs(steps.sum()) - 2 * np.pi) < 1e-6, (name, si, outfit)
        backwards = -np.minimum(steps * np.sign(steps.sum()), 0.0).sum()  # the waist's own hollows: a few degrees
        assert backwards < np.radians(30.0), (name, si, outfit, np.degrees(steps).round())
