"""Loose garments hang: skirts and dresses stay one surface around the legs in every key pose
(sitting, crouching and lunging included), never inside the body, never stretched into tiers."""

import numpy as np
import pytest

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401

FABRIC = {"palette": "neutrals", "color": "3b5b84", "pattern": "solid"}
SKIRT = {"type": "skirt", "kind": "bottom", "length": 0.9, "waist": 0.3, "thickness": 0.008, "loose": True, **FABRIC}
DRESS = {"type": "dress", "kind": "dress", "sleeve": 0.3, "length": 1.6, "waist": 0.35, "thickness": 0.007,
         "loose": True, **FABRIC, "pattern": "print", "pattern_scale": 0.04, "color2": "f4f2ee"}
TOP = {"type": "tank_top", "kind": "top", "sleeve": -1.0, "length": -1.0, "waist": 0.05, "thickness": 0.006,
       "loose": False, **FABRIC, "color": "7fa7d4"}
OUTFITS = {"skirt": {"garments": [TOP, SKIRT]}, "dress": {"garments": [DRESS]}}
SHAPES = np.array([[0.5, 0.2, 0.5, 0.5, 0.5, 0.5], [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]],
                  np.float32)  # child, heavy, tall


@pytest.fixture(scope="module")
def hanging(anny_body):
    """Every key pose, shapes in turn, in a knee-length skirt and in a long dress."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    body = anny_body
    lib = PoseLibrary()
    names = list(lib.names)
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in names]))
    posed = body.pose(SHAPES[np.arange(len(names)) % len(SHAPES)], rot)
    dresser = Dresser(body)
    faces = np.asarray(body.faces)
    people = []
    for k, name in enumerate(names):
        v = posed.vertices[k].copy()
        kp = posed.keypoints[k].copy()
        lift = -v[:, 2].min()
        v[:, 2] += lift
        kp[:, 2] += lift
        n = vertex_normals(v, faces)
        for outfit, hem in (("skirt", SKIRT["length"]), ("dress", DRESS["length"])):
            meshes = dresser.dress(OUTFITS[outfit], v, n, kp)
            (loose,) = [m for m in meshes if m.name.endswith(":skirt")]
            people.append((name, outfit, hem, v, n, kp, loose))
    return dresser, people


def _legs_out(dresser, v, loose, hem):
    """Leg vertices at least 0.25 (about 10 cm) above the hem along the leg that lie outside the
    garment closed at its waist ring, and how many were tested."""
    from genb.render.dress.cover import capped, outside_share

    a = dresser.atlas
    legs = dresser.is_leg & (np.nan_to_num(a.leg, nan=9.0) <= hem - 0.25)
    cv, cf = capped(loose.vertices.astype(np.float64), loose.faces, np.arange(44))
    return int(outside_share(v[legs], cv, cf).sum()), int(legs.sum())


def test_no_leg_through_a_skirt_or_a_dress_in_the_key_poses(hanging):
    """Before (rings whose radii only grew downwards, per posed body): 3.0 % of the covered leg
    vertices outside the skirt and 3.6 % outside the dress over these poses, up to 57 % of them
    in one pose (the dress, crouching); now 0.37 % and 0.29 %, at worst 11 % (the skirt, crouching)."""
    dresser, people = hanging
    out = {(name, outfit): _legs_out(dresser, v, loose, hem) for name, outfit, hem, v, n, kp, loose in people}
    total = sum(o for o, _ in out.values()) / sum(t for _, t in out.values())
    worst = max(out, key=lambda k: out[k][0] / out[k][1])
    assert total < 0.01, (total, {k: o for k, o in out.items() if o[0]})
    assert out[worst][0] / out[worst][1] < 0.12, (worst, out[worst])


def test_loose_garments_stay_out_of_the_body(hanging):
    """Garment vertices more than 3 mm under the skin of the trunk and legs (arms and hands may
    rest on a lap): before 0.44 % of the skirts' and dresses' vertices over these poses, now 0.19 %."""
    from genb.render.dress.cover import depth_under_skin

    dresser, people = hanging
    low = ~dresser.is_arm & (dresser.atlas.parts != PART_INDEX["head"])
    inside = total = 0
    for name, outfit, hem, v, n, kp, loose in people:
        inside += int((depth_under_skin(loose.vertices, v[low], n[low]) > 0.003).sum())
        total += len(loose.vertices)
    assert inside / total < 0.003, inside / total


def test_skirt_and_dress_edges_stay_bounded_in_a_lunge(anny_body, hanging):
    """In a lunge, every shape: the longest edge of the skirt and of the long dress, and their 99th
    percentile. Before (rings at fixed heights): up to 359 mm (skirt) and 402 mm (dress), 99th
    percentile up to 289 mm; now 191 and 318 mm, 99th percentile 202 mm (the cloth spans the
    legs' spread between the thighs; the rest grid's edges are 2-7 cm)."""
    from genb.render.raster.meshes import vertex_normals

    dresser, _ = hanging
    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose("lunge")] * len(SHAPES)))
    posed = anny_body.pose(SHAPES, rot)
    longest, p99 = {}, {}
    for k in range(len(SHAPES)):
        v, kp = posed.vertices[k], posed.keypoints[k]
        n = vertex_normals(v, np.asarray(anny_body.faces))
        for outfit in OUTFITS:
            (loose,) = [m for m in dresser.dress(OUTFITS[outfit], v, n, kp) if m.name.endswith(":skirt")]
            f = loose.faces.astype(np.int64)
            e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
            length = np.linalg.norm(loose.vertices[e[:, 0]] - loose.vertices[e[:, 1]], axis=1)
            longest[k, outfit], p99[k, outfit] = float(length.max()), float(np.percentile(length, 99))
    assert max(longest.values()) < 0.33, longest
    assert max(p99.values()) < 0.21, p99


def test_a_hanging_garment_is_the_same_every_time(hanging):
    """Deterministic: the same person dressed twice gives the same bytes."""
    dresser, people = hanging
    name, outfit, hem, v, n, kp, loose = people[len(people) // 2]
    again = [m for m in dresser.dress(OUTFITS[outfit], v, n, kp) if m.name.endswith(":skirt")][0]
    assert again.vertices.tobytes() == loose.vertices.tobytes()
    assert again.faces.tobytes() == loose.faces.tobytes()


def test_folds_gather_inside_a_bent_elbow_and_vanish_when_straight(anny_body, hanging):
    """A long-sleeved top: near a bent elbow (phone call, carrying a box) the folded normals
    tilt away from the smooth sleeve's (ridges across the arm, on the inner side); near a straight
    elbow (standing; a tight top in the rest pose) there are none, and the cloth never moves towards the body."""
    from genb.render.dress.folds import fold
    from genb.render.dress.shells import pose_shell
    from genb.render.raster.meshes import vertex_normals

    dresser, _ = hanging
    lib = PoseLibrary()
    names = ["phone_call", "carrying_box", "standing"]
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in names]))
    rot = np.concatenate([rot, np.tile(np.eye(3), (1, rot.shape[1], 1, 1))])  # and the rest pose
    posed = anny_body.pose(np.tile(SHAPES[2], (4, 1)), rot)
    shell = dresser.top_shell(1.9, 0.0, ease=0.02)
    tilt = {}
    for k, name in enumerate(names + ["rest"]):
        v, kp = posed.vertices[k], posed.keypoints[k]
        n = vertex_normals(v, np.asarray(anny_body.faces))
        ease = 0.003 if name == "rest" else 0.02  # the T-posed rest: a tight sleeve (a loose one sags in folds)
        pv, pn = pose_shell(shell, v, n, 0.009, ease)
        got = fold(shell, dresser.atlas, pv, pn, kp, ease)
        near = np.zeros(len(pv), bool)
        for side in ("left", "right"):
            near |= np.linalg.norm(pv - kp[K25[f"{side}_elbow"]], axis=1) < 0.08
        if got is None:
            tilt[name] = 0.0
            continue
        fv, fn, shade = got
        assert (np.einsum("ij,ij->i", fv - pv, pn) >= -1e-6).all()  # outwards only
        assert shade.min() > 0.75
        tilt[name] = float(np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", fn[near], pn[near]), -1, 1))).std())
    assert tilt["carrying_box"] > 3.0, tilt  # both elbows bent
    assert tilt["phone_call"] > 0.5, tilt  # one elbow bent (the other straight, in the same window)
    assert tilt["standing"] < 0.2 * tilt["carrying_box"], tilt
    assert tilt["rest"] == 0.0, tilt
