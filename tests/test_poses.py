"""Key poses, joint limits, pose sampling and the rotation helpers they use."""

from __future__ import annotations

import numpy as np
import pytest

from genb.errors import GenbError
from genb.render.assets import asset_path, load_yaml_asset
from genb.core.conventions import SEMANTIC_INDEX, SEMANTIC_JOINTS
from genb.render.bodies.poses import PoseLibrary, arm_euler, mirror_euler
from genb.render.bodies.rotations import (axis_angle_to_matrix, euler_xyz_to_matrix, heading_free, matrix_to_axis_angle,
                                   matrix_to_euler_xyz, rotation_between, rotation_power)


@pytest.fixture(scope="module")
def library() -> PoseLibrary:
    return PoseLibrary()


def test_assets_are_found_and_missing_ones_are_named():
    assert asset_path("poses", "key_poses.yaml").is_file()
    assert asset_path("rigs", "anny.yaml").is_file() and asset_path("rigs", "smplx.yaml").is_file()
    with pytest.raises(GenbError, match="nope.yaml"):
        asset_path("poses", "nope.yaml")


def test_key_poses_cover_the_everyday_repertoire(library):
    names = set(library.names)
    assert len(names) >= 15
    for required in ("standing", "relaxed_standing", "run_stride", "sitting_floor_legs_out", "crouching", "kneeling",
                     "reaching_forward", "reaching_up", "arms_raised", "waving", "hands_on_hips", "bending_over", "lunge"):
        assert required in names
    assert sum(n.startswith("walk_") for n in names) >= 4
    assert all(p.euler.shape == (len(SEMANTIC_JOINTS), 3) for p in library.poses)


def test_key_poses_and_their_mirrors_respect_the_limits(library):
    for name in library.names:
        for mirrored in (False, True):
            euler = library.key_pose(name, mirrored)
            assert (euler >= library.lower - 1e-9).all() and (euler <= library.upper + 1e-9).all(), (name, mirrored)


def test_limits_mirror_left_to_right(library):
    L, R = SEMANTIC_INDEX["left_shoulder"], SEMANTIC_INDEX["right_shoulder"]
    assert np.allclose(library.lower[R], [library.lower[L][0], -library.upper[L][1], -library.upper[L][2]])
    knee = SEMANTIC_INDEX["left_knee"]
    assert library.lower[knee, 0] >= 0  # knees do not bend backward


def test_relaxed_standing_hangs_the_arms_down(library):
    euler = library.key_pose("relaxed_standing")
    R = euler_xyz_to_matrix(euler)
    left_arm = R[SEMANTIC_INDEX["left_collar"]] @ R[SEMANTIC_INDEX["left_shoulder"]] @ [1.0, 0.0, 0.0]
    right_arm = R[SEMANTIC_INDEX["right_collar"]] @ R[SEMANTIC_INDEX["right_shoulder"]] @ [-1.0, 0.0, 0.0]
    assert left_arm[1] < -0.9 and right_arm[1] < -0.9
    assert np.allclose(mirror_euler(euler), euler)  # symmetric pose


def test_sampling_is_plausible_deterministic_and_within_limits(library):
    names, rotations = library.sample(np.random.default_rng(0), 200)
    assert len(names) == 200 and rotations.shape == (200, len(SEMANTIC_JOINTS), 3, 3)
    assert np.allclose(rotations @ np.swapaxes(rotations, -1, -2), np.eye(3), atol=1e-9)
    assert np.allclose(np.linalg.det(rotations), 1.0)
    names2, rotations2 = library.sample(np.random.default_rng(0), 200)
    assert names == names2 and np.array_equal(rotations, rotations2)
    assert any(n.endswith(":mirrored") for n in names) and any("~" in n for n in names)
    assert len({n.split("~")[0].split(":")[0] for n in names}) >= 15
    _, euler = library.sample_euler(np.random.default_rng(1), 200)
    assert (euler >= library.lower - 1e-9).all() and (euler <= library.upper + 1e-9).all()


def test_samples_stay_close_to_their_key_pose(library):
    plain = PoseLibrary(mirror_prob=0.0, blend_prob=0.0)
    names, euler = plain.sample_euler(np.random.default_rng(2), 100)
    deviation = np.array([np.abs(e - plain.key_pose(n)).mean() for n, e in zip(names, euler)])
    assert deviation.max() < 12.0 and deviation.mean() > 1.0  # perturbed, not random
    exact = PoseLibrary(mirror_prob=0.0, blend_prob=0.0, perturb_scale=0.0)
    names, euler = exact.sample_euler(np.random.default_rng(3), 5)
    for n, e in zip(names, euler):
        assert np.allclose(e, exact.key_pose(n))


def test_choosing_key_poses(library):
    only = PoseLibrary(key_poses=["waving", "lunge"])
    names, _ = only.sample(np.random.default_rng(0), 20)
    assert {n.split(":")[0] for n in names} <= {"waving", "lunge"}
    with pytest.raises(GenbError, match="unknown key pose"):
        PoseLibrary(key_poses=["moonwalk"])


def test_tables_are_complete():
    limits = load_yaml_asset("poses", "joint_limits.yaml")["joints"]
    for name in SEMANTIC_JOINTS:
        key = "left_" + name[6:] if name.startswith("right_") else name
        assert key in limits and len(limits[key]["sigma"]) == 3
    rig = load_yaml_asset("rigs", "smplx.yaml")
    assert set(rig["semantic_to_joints"]) == set(SEMANTIC_JOINTS)
    assert set(load_yaml_asset("rigs", "anny.yaml")["semantic_to_bones"]) == set(SEMANTIC_JOINTS)


def test_rotation_helpers_round_trip():
    rng = np.random.default_rng(0)
    euler = rng.uniform(-85, 85, (50, 3))
    R = euler_xyz_to_matrix(euler)
    assert np.allclose(matrix_to_euler_xyz(R), euler)
    # Intrinsic XYZ: Rx @ Ry @ Rz.
    a, b, c = np.radians(euler[0])
    Rx = axis_angle_to_matrix(np.array([a, 0, 0]))
    Ry = axis_angle_to_matrix(np.array([0, b, 0]))
    Rz = axis_angle_to_matrix(np.array([0, 0, c]))
    assert np.allclose(R[0], Rx @ Ry @ Rz)
    rotvec = rng.normal(size=(50, 3))
    rotvec *= (rng.uniform(0.0, 3.1, 50) / np.linalg.norm(rotvec, axis=1))[:, None]
    assert np.allclose(matrix_to_axis_angle(axis_angle_to_matrix(rotvec)), rotvec, atol=1e-9)
    half = rotation_power(axis_angle_to_matrix(rotvec), 0.5)
    assert np.allclose(half @ half, axis_angle_to_matrix(rotvec), atol=1e-9)
    u, v = rng.normal(size=3), rng.normal(size=3)
    assert np.allclose(rotation_between(u, v) @ (u / np.linalg.norm(u)), v / np.linalg.norm(v))
    tilted = axis_angle_to_matrix(np.array([0.0, 1.2, 0.0])) @ axis_angle_to_matrix(np.array([0.3, 0.0, 0.0]))
    assert np.allclose(heading_free(tilted), axis_angle_to_matrix(np.array([0.3, 0.0, 0.0])))


@pytest.mark.parametrize("side", ["left", "right"])
def test_arm_euler_points_the_arm(side):
    sign = 1.0 if side == "left" else -1.0
    for upper, fore in (((0.17, -0.98, 0.0), (0.1, -0.97, 0.2)), ((0.6, -0.7, -0.3), (-0.6, -0.72, 0.34)),
                        ((0.1, 0.98, 0.15), (0.05, 1.0, 0.1))):
        upper = np.array(upper) * [sign, 1, 1]
        fore = np.array(fore) * [sign, 1, 1]
        shoulder, elbow = arm_euler(upper, fore, side)
        R = euler_xyz_to_matrix(shoulder)
        a = np.array([sign, 0.0, 0.0])
        assert np.allclose(R @ a, upper / np.linalg.norm(upper), atol=1e-6)
        assert np.allclose(R @ euler_xyz_to_matrix(elbow) @ a, fore / np.linalg.norm(fore), atol=1e-6)
        assert elbow[0] == 0 and elbow[2] == 0 and sign * elbow[1] <= 0  # a hinge, bending forward
