"""A heavy body's hanging arm rests against its trunk's side, not inside it (genb.render.bodies.arm_clear).

The key poses' hanging arms were written for an average body: on a heavy one the same shoulder angles
sank the upper arm into the ribs, and a top's sleeve and side crossed in a crease starting well below
the armpit, the arm half swallowed by the trunk (bedlam renders of heavy people standing).

The number, measured on the people the renderer poses (``RenderStage._people``, before any label):
the share of a hanging upper arm's vertices, from 0.4 of the way from the shoulder to the elbow
keypoint down (the armpit's own skin above), lying more than 5 mm inside the trunk (along the
nearest trunk vertex's normal), over 4 heavy bodies x 5 standing key poses x both arms. On 57b37cc:
mean 0.078, worst 0.202 (a heavy muscular man standing relaxed, 4 cm deep); with the arms turned out
of the trunk: mean 0.012, worst 0.039 (the heavy woman walking).
"""

import numpy as np
import pytest

HEAVY = {"man, muscular": [0.0, 0.6, 1.0, 1.0, 0.5, 0.5], "man": [0.0, 0.6, 0.8, 0.9, 0.5, 0.5],
         "woman": [1.0, 0.6, 0.5, 1.0, 0.5, 0.5], "neutral": [0.5, 0.6, 0.8, 1.0, 0.5, 0.5]}
POSES = ("standing", "relaxed_standing", "contrapposto", "walk_passing", "walk_heel_strike")
AVERAGE = [0.5, 0.6, 0.5, 0.5, 0.5, 0.5]
INSIDE = 0.005  # m: deeper than this inside the trunk is inside (soft tissue pressed together above it)


@pytest.fixture(scope="module")
def stage():
    from genb.config import resolve_config
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    cfg = resolve_config(RenderConfig, "render", "closeup", dict(
        num_samples=4, seed=41, image_size=(256, 192), num_people=(1, 1), portrait_prob=0.0, wardrobe="none",
        truncation_prob=0.0, camera_effects=False, props=(0, 0), occluders=(0, 0)))
    return RenderStage(cfg)


def _people(stage, monkeypatch, shape, pose: str):
    """The one person ``stage._people`` poses and places with this shape in this key pose (not mirrored)."""
    from genb.render.bodies.poses import euler_xyz_to_matrix

    rot = euler_xyz_to_matrix(stage.poses.key_pose(pose)[None])
    monkeypatch.setattr(stage.poses, "sample", lambda rng, n: ([pose] * n, np.repeat(rot, n, axis=0)))
    monkeypatch.setattr(stage.body, "sample_shapes", lambda rng, n: np.asarray([shape] * n, np.float32))
    return stage._people(0)[1]


def _inside_share(body, vertices, keypoints, side: str) -> float:
    """The share of one upper arm's vertices (from 0.4 of the way to the elbow down) more than ``INSIDE``
    inside the trunk (along the nearest trunk vertex's normal, among those within 10 cm of its axis)."""
    from genb.core.conventions import BODY25_INDEX, PART_INDEX
    from genb.render.raster.meshes import vertex_normals

    parts = np.asarray(body.vertex_parts)
    v = vertices.astype(np.float64)
    s, e = keypoints[BODY25_INDEX[f"{side}_shoulder"]], keypoints[BODY25_INDEX[f"{side}_elbow"]]
    axis = (e - s) / np.linalg.norm(e - s)
    arm = v[parts == PART_INDEX[f"{side}_upper_arm"]]
    arm = arm[(arm - s) @ axis > 0.4 * np.linalg.norm(e - s)]
    trunk_ids = np.flatnonzero(parts == PART_INDEX["torso"])
    trunk = v[trunk_ids]
    t = np.clip((trunk - s) @ axis, 0.0, np.linalg.norm(e - s))
    near = np.linalg.norm(trunk - s - t[:, None] * axis, axis=1) < 0.1
    normals = vertex_normals(v, np.asarray(body.faces))[trunk_ids][near]
    trunk = trunk[near]
    k = np.argmin(np.linalg.norm(arm[:, None] - trunk[None], axis=2), axis=1)
    depth = np.einsum("ij,ij->i", trunk[k] - arm, normals[k])
    return float(np.mean(depth > INSIDE))


def test_a_heavy_bodys_hanging_arms_rest_against_its_trunk_not_inside_it(stage, monkeypatch):
    shares = {}
    for who, shape in HEAVY.items():
        for pose in POSES:
            world = _people(stage, monkeypatch, shape, pose)
            for side in ("left", "right"):
                shares[who, pose, side] = _inside_share(stage.body, world.vertices[0], world.keypoints[0], side)
    worst = max(shares, key=shares.get)
    mean = float(np.mean(list(shares.values())))
    assert shares[worst] <= 0.05 and mean <= 0.02, \
        f"upper-arm vertices inside the trunk: mean {mean:.3f}, worst {shares[worst]:.3f} ({worst})"


def test_the_turned_pose_is_the_labelled_one_and_an_average_body_keeps_its_key_pose(stage, monkeypatch):
    from genb.render.bodies.poses import euler_xyz_to_matrix

    heavy = _people(stage, monkeypatch, HEAVY["man, muscular"], "relaxed_standing")
    again, _ = stage.body.forward_params(heavy.params)
    assert np.abs(again - heavy.vertices).max() < 1e-4  # the labels' parameters give the drawn body
    average = _people(stage, monkeypatch, AVERAGE, "relaxed_standing")
    key = stage.body.semantic_to_native(euler_xyz_to_matrix(stage.poses.key_pose("relaxed_standing")[None]))
    bones = np.asarray(average.params["bone_rotations"])[0, 1:]  # the root carries the placement
    assert np.abs(bones - key[0, 1:]).max() < 1e-6  # nothing sank: the key pose as written
