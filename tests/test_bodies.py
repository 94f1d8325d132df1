"""Body models, real ones only: anny (its shipped assets) and SMPL-X through smplx with a synthetic model file."""

from __future__ import annotations

import numpy as np
import pytest

from genb.errors import GenbError
from genb.render.bodies import load_body_model, rigid_transform_bodies
from genb.core.conventions import BODY25_INDEX as K, BODY_PARTS, PART_INDEX, SEMANTIC_INDEX, SEMANTIC_JOINTS
from genb.render.bodies.poses import PoseLibrary
from genb.render.bodies.rotations import axis_angle_to_matrix, euler_xyz_to_matrix, matrix_to_axis_angle

BODIES = ["anny_body", "smplx_body"]


def identity_pose(n: int = 1) -> np.ndarray:
    return np.tile(np.eye(3), (n, len(SEMANTIC_JOINTS), 1, 1))


def average_shapes(body, n: int = 1) -> np.ndarray:
    return np.full((n, body.shape_dim), 0.5 if body.name == "anny" else 0.0, np.float32)


def random_rigid(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    axis = rng.normal(size=(n, 3))
    R = axis_angle_to_matrix(axis / np.linalg.norm(axis, axis=1, keepdims=True) * rng.uniform(0.3, 3.0, (n, 1)))
    return R, rng.uniform(-5.0, 5.0, (n, 3))


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


@pytest.fixture(params=BODIES)
def body(request):
    return request.getfixturevalue(request.param)


def test_shapes_dtypes_and_topology(body):
    rng = np.random.default_rng(0)
    shapes = body.sample_shapes(rng, 3)
    _, rotations = PoseLibrary().sample(rng, 3)
    posed = body.pose(shapes, rotations)
    V = body.num_vertices
    assert shapes.shape == (3, body.shape_dim) and shapes.dtype == np.float32
    assert posed.vertices.shape == (3, V, 3) and posed.vertices.dtype == np.float32
    assert posed.joints.shape == (3, len(body.joint_names), 3) and posed.joints.dtype == np.float32
    assert posed.keypoints.shape == (3, 25, 3) and posed.keypoints.dtype == np.float32
    assert body.faces.dtype == np.int32 and body.faces.shape[1] == 3
    assert body.faces.min() >= 0 and body.faces.max() < V
    assert body.vertex_parts.shape == (V,) and body.vertex_parts.dtype == np.uint8
    assert set(np.unique(body.vertex_parts[np.unique(body.faces)])) == set(range(1, len(BODY_PARTS)))
    for value in posed.params.values():
        assert len(value) == 3 and np.isfinite(value).all()
    assert np.isfinite(posed.vertices).all() and np.isfinite(posed.keypoints).all()
    # Root at the origin, zero yaw: faces -Y (nose in front of the neck), left side at +X.
    rest = body.pose(average_shapes(body), identity_pose())
    kp = rest.keypoints[0]
    assert kp[K["nose"], 1] < kp[K["neck"], 1] - 0.03
    assert kp[K["left_shoulder"], 0] > 0.1 and kp[K["right_shoulder"], 0] < -0.1
    assert kp[K["left_ankle"], 0] > 0.03 and kp[K["right_ankle"], 0] < -0.03
    assert kp[K["nose"], 2] > kp[K["neck"], 2] > kp[K["mid_hip"], 2] > kp[K["left_knee"], 2] > kp[K["left_ankle"], 2]
    assert np.linalg.norm(kp[K["mid_hip"]]) < 0.1
    assert len(body.describe_shapes(shapes)) == 3 and body.licence


def test_vertex_parts_are_anatomical(body):
    v = body.pose(average_shapes(body), identity_pose()).vertices[0]
    z = {name: v[body.vertex_parts == PART_INDEX[name], 2].mean() for name in BODY_PARTS[1:]}
    assert z["head"] > z["torso"] > z["left_upper_leg"] > z["left_lower_leg"] > z["left_foot"]
    for side, sign in (("left", 1), ("right", -1)):
        for part in ("upper_arm", "lower_arm", "hand", "upper_leg", "foot"):
            assert sign * v[body.vertex_parts == PART_INDEX[f"{side}_{part}"], 0].mean() > 0.05
        x = [abs(v[body.vertex_parts == PART_INDEX[f"{side}_{p}"], 0].mean()) for p in ("upper_arm", "lower_arm", "hand")]
        assert x[0] < x[1] < x[2]  # T-pose: the arm goes outward


def test_replay_after_rigid_transform(body):
    rng = np.random.default_rng(1)
    shapes = body.sample_shapes(rng, 4)
    _, rotations = PoseLibrary().sample(rng, 4)
    posed = body.pose(shapes, rotations)
    R, t = random_rigid(rng, 4)
    moved = rigid_transform_bodies(body, posed, R, t)
    expected = np.einsum("pij,pvj->pvi", R, posed.vertices.astype(np.float64)) + t[:, None]
    assert np.abs(moved.vertices - expected).max() < 1e-4
    vertices, keypoints = body.forward_params(moved.params)
    assert np.abs(vertices - moved.vertices).max() < 1e-4
    assert np.abs(keypoints - moved.keypoints).max() < 1e-4
    # The parameters as saved (float32) replay too.
    saved = {k: np.asarray(v, np.float32) for k, v in moved.params.items()}
    assert np.abs(body.forward_params(saved)[0] - moved.vertices).max() < 1e-4


def test_knee_flexion_moves_the_ankle_backward(body):
    rotations = identity_pose(2)
    rotations[1, SEMANTIC_INDEX["left_knee"]] = euler_xyz_to_matrix(np.array([60.0, 0.0, 0.0]))
    kp = body.pose(average_shapes(body, 2), rotations).keypoints
    straight, bent = kp[0], kp[1]
    assert bent[K["left_ankle"], 1] - straight[K["left_ankle"], 1] > 0.15  # backward = +Y
    assert bent[K["left_ankle"], 2] - straight[K["left_ankle"], 2] > 0.05  # and up
    assert np.abs(bent[K["right_ankle"]] - straight[K["right_ankle"]]).max() < 1e-4
    assert np.abs(bent[K["left_knee"]] - straight[K["left_knee"]]).max() < 0.02


LIMBS = {
    "left_upper_arm": ("left_shoulder", "left_elbow"), "right_upper_arm": ("right_shoulder", "right_elbow"),
    "left_forearm": ("left_elbow", "left_wrist"), "right_forearm": ("right_elbow", "right_wrist"),
    "left_thigh": ("left_hip", "left_knee"), "right_thigh": ("right_hip", "right_knee"),
    "left_shin": ("left_knee", "left_ankle"), "right_shin": ("right_knee", "right_ankle"),
    "spine": ("mid_hip", "neck"),
}


def limb_directions(keypoints: np.ndarray) -> np.ndarray:
    """(P, len(LIMBS), 3) unit directions of the limbs from BODY25 keypoints."""
    return unit(np.stack([keypoints[:, K[b]] - keypoints[:, K[a]] for a, b in LIMBS.values()], 1))


def test_same_semantic_pose_gives_the_same_limb_directions_on_both_rigs(anny_body, smplx_body):
    library = PoseLibrary()
    names = library.names  # every key pose
    rotations = euler_xyz_to_matrix(np.stack([library.key_pose(n) for n in names]))
    rotations = np.concatenate([identity_pose(), rotations])  # the T-pose first
    a = limb_directions(anny_body.pose(average_shapes(anny_body, len(rotations)), rotations).keypoints)
    s = limb_directions(smplx_body.pose(average_shapes(smplx_body, len(rotations)), rotations).keypoints)
    cos = (a * s).sum(-1)
    assert cos.min() > 0.95, {f"{n}/{limb}": round(float(cos[i, j]), 3) for i, n in enumerate(["tpose"] + names)
                             for j, limb in enumerate(LIMBS) if cos[i, j] <= 0.95}
    # T-pose arms are horizontal on anny too (its rest pose is an A-pose).
    assert a[0, 0] @ [1, 0, 0] > 0.97 and a[0, 1] @ [-1, 0, 0] > 0.97
    assert a[0, 2] @ [1, 0, 0] > 0.97 and a[0, 3] @ [-1, 0, 0] > 0.97
    # ... for a child and a heavy tall adult as well (the offsets are computed once, on an average adult).
    other = np.array([[0.2, 0.15, 0.5, 0.5, 0.5, 0.5], [0.0, 0.7, 0.9, 1.0, 1.0, 0.8]], np.float32)
    d = limb_directions(anny_body.pose(other, identity_pose(2)).keypoints)
    assert (d[:, 0] @ [1, 0, 0] > 0.95).all() and (d[:, 3] @ [-1, 0, 0] > 0.95).all()


def test_anny_shapes_span_children_to_tall_adults(anny_body):
    shapes = anny_body.sample_shapes(np.random.default_rng(0), 300)
    assert shapes.min() >= 0.0 and shapes.max() <= 1.0
    info = anny_body.describe_shapes(shapes)
    heights = np.array([d["height_m"] for d in info])
    assert (heights < 1.4).mean() > 0.05 and (heights > 1.85).mean() > 0.01
    assert 1.55 < np.median(heights) < 1.80
    for key, values in (("age_group", {"child", "teen", "adult", "senior"}), ("gender", {"female", "male"}),
                        ("build", {"slim", "average", "heavy"})):
        assert values <= {d[key] for d in info}, key
    assert any(d["muscular"] for d in info)
    # The described height is the posed body's height.
    posed = anny_body.pose(shapes[:2], identity_pose(2))
    z = posed.vertices[..., 2]
    assert np.allclose(z.max(1) - z.min(1), heights[:2], atol=0.03)
    assert np.array_equal(shapes, anny_body.sample_shapes(np.random.default_rng(0), 300))


def test_smplx_betas_change_the_body(smplx_body):
    shapes = smplx_body.sample_shapes(np.random.default_rng(0), 200)
    assert np.abs(shapes[:, :2]).max() > 2.5
    heights = np.array([d["height_m"] for d in smplx_body.describe_shapes(shapes)])
    assert heights.max() - heights.min() > 0.3
    builds = {d["build"] for d in smplx_body.describe_shapes(shapes)}
    assert {"slim", "heavy"} <= builds


def test_missing_smplx_files_give_one_clear_error(tmp_path):
    for smplx_dir, expect in ((tmp_path / "nope", "does not exist"), (tmp_path, "SMPLX_NEUTRAL.npz not found"), (None, "--smplx-dir")):
        with pytest.raises(GenbError) as err:
            load_body_model("smplx", smplx_dir=None if smplx_dir is None else str(smplx_dir))
        message = str(err.value)
        assert expect in message and "SMPLX_NEUTRAL.npz" in message
        assert "https://smpl-x.is.tue.mpg.de" in message and "--smplx-dir" in message and "NPZ" in message
    (tmp_path / "SMPLX_NEUTRAL.npz").write_bytes(b"not a zip")
    with pytest.raises(GenbError, match="not a readable SMPL-X"):
        load_body_model("smplx", smplx_dir=str(tmp_path))
    nested = tmp_path / "models"
    (nested / "smplx").mkdir(parents=True)
    (nested / "smplx" / "SMPLX_NEUTRAL.npz").write_bytes(b"x")
    with pytest.raises(GenbError, match="not a readable SMPL-X"):  # found in smplx.create's DIR/smplx/ layout
        load_body_model("smplx", smplx_dir=str(nested))
    with pytest.raises(GenbError, match="unknown body model"):
        load_body_model("smpl")


def test_motion_files_pose_smplx(smplx_body, tmp_path):
    from genb.render.bodies.motion import MotionLibrary, sample_motion_pose

    rng = np.random.default_rng(0)
    T = 12
    poses = np.zeros((T, 156))
    poses[:, 3:66] = rng.normal(0.0, 0.15, (T, 63))
    poses[:, 3 + 3 * 9: 3 + 3 * 11] = 0.0  # toes: not in the semantic joints
    # AMASS: Z-up world; the root stands the body up (+90 deg about x) and turns it.
    for t in range(T):
        yaw = axis_angle_to_matrix(np.array([0.0, 0.0, 0.5 * t]))
        poses[t, :3] = matrix_to_axis_angle(yaw @ axis_angle_to_matrix(np.array([np.pi / 2, 0.0, 0.0])))
    (tmp_path / "sub").mkdir()
    np.savez(tmp_path / "sub" / "walk_poses.npz", poses=poses, trans=np.zeros((T, 3)), betas=np.zeros(16))
    frames = [sample_motion_pose(np.random.default_rng(s), tmp_path) for s in range(4)]
    assert frames[0]["name"].startswith("sub/walk_poses.npz:")
    assert sample_motion_pose(np.random.default_rng(0), tmp_path)["name"] == frames[0]["name"]
    shapes = average_shapes(smplx_body, 4)
    native = smplx_body.pose_native(shapes, np.stack([f["global_orient"] for f in frames]),
                                    np.stack([f["body_pose"] for f in frames]))
    semantic = smplx_body.pose(shapes, np.stack([f["rotations"] for f in frames]))
    assert np.abs(native.vertices - semantic.vertices).max() < 1e-4
    # The render stage's path: motion frames for some people, key poses for the others.
    mixed = smplx_body.pose(shapes, identity_pose(4), motion=[frames[0], None, frames[2], frames[3]])
    assert np.abs(mixed.vertices[[0, 2, 3]] - native.vertices[[0, 2, 3]]).max() < 1e-4
    assert np.abs(mixed.vertices[1] - smplx_body.pose(shapes[:1], identity_pose()).vertices[0]).max() < 1e-4
    kp = native.keypoints
    assert (kp[:, K["nose"], 2] > kp[:, K["left_ankle"], 2] + 1.0).all()  # upright in the Z-up world
    assert (kp[:, K["nose"], 1] < kp[:, K["neck"], 1]).all()  # heading removed: faces -Y
    (tmp_path / "empty").mkdir()
    with pytest.raises(GenbError, match="holds no .npz"):
        MotionLibrary(tmp_path / "empty")
    with pytest.raises(GenbError, match="does not exist"):
        MotionLibrary(tmp_path / "missing")


def test_motion_frames_pose_anny(anny_body, tmp_path):
    from genb.render.bodies.motion import sample_motion_pose

    poses = np.zeros((3, 165))
    poses[:, :3] = [np.pi / 2, 0.0, 0.0]  # standing up in AMASS's Z-up world
    poses[:, 3 + 3 * 3] = 1.0  # left knee bent ~57 degrees
    np.savez(tmp_path / "knee.npz", poses=poses)
    frame = sample_motion_pose(np.random.default_rng(0), tmp_path)
    shapes = average_shapes(anny_body, 2)
    kp = anny_body.pose(shapes, identity_pose(2), motion=[frame, None]).keypoints
    assert kp[0, K["left_ankle"], 1] - kp[1, K["left_ankle"], 1] > 0.15  # bent backward
    assert abs(kp[0, K["nose"], 2] - kp[1, K["nose"], 2]) < 0.01  # upright


def test_anny_cache_dir_error(tmp_path):
    from genb.render.bodies.anny_body import AnnyBody

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GenbError, match="anny cache folder"):
        AnnyBody(cache_dir=blocker / "cache")
