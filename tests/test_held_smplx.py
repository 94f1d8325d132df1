"""SMPL-X hands round held objects: a grip sets the holding hand's ``left/right_hand_pose`` (saved in the
parameters, so the labelled body is the drawn one), the fingers curl toward the palm and do not sink into
the object; people who hold nothing keep the relaxed mean hands, bit for bit."""

import numpy as np
import pytest

from genb.core.conventions import PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix
from genb.render.scene import held

from _fixtures_bodies import smplx_body, synthetic_smplx_dir, write_synthetic_smplx  # noqa: F401


@pytest.fixture(scope="module")
def fingered_smplx(tmp_path_factory):
    """SmplxBody over a synthetic model whose fingers are capsules skinned to their own joints."""
    from genb.render.bodies.smplx_body import SmplxBody

    folder = tmp_path_factory.mktemp("smplx_fingers")
    write_synthetic_smplx(folder, fingers=True)
    return SmplxBody(folder)


def _pose(body, names: list[str], grips: bool = True):
    lib = PoseLibrary()
    euler = np.stack([lib.key_pose(held.base_pose(n), n.endswith(":mirrored")) for n in names])
    shapes = np.zeros((len(names), body.shape_dim), np.float32)
    kw = {"grips": held.hand_grips(names)} if grips else {}
    return body.pose(shapes, euler_xyz_to_matrix(euler), **kw)


def test_smplx_grip_is_in_the_saved_hand_pose_and_replays_exactly(smplx_body):
    names = ["carrying_box", "phone_call", "standing", "phone_call:mirrored"]
    curled, flat = _pose(smplx_body, names), _pose(smplx_body, names, grips=False)
    mean_l, mean_r = flat.params["left_hand_pose"][2], flat.params["right_hand_pose"][2]
    # the holding hands take the grip, the others keep the relaxed mean (phone_call: the right hand only)
    lp, rp = curled.params["left_hand_pose"], curled.params["right_hand_pose"]
    assert not np.allclose(lp[0], mean_l) and not np.allclose(rp[0], mean_r)
    assert np.array_equal(lp[1], mean_l) and not np.allclose(rp[1], mean_r)
    assert not np.allclose(lp[3], mean_l) and np.array_equal(rp[3], mean_r)
    # a person who holds nothing is posed exactly as without grips
    for k in flat.params:
        np.testing.assert_array_equal(curled.params[k][2], flat.params[k][2])
    np.testing.assert_array_equal(curled.vertices[2], flat.vertices[2])
    # the saved parameters give the drawn body (vertices and keypoints)
    v, k = smplx_body.forward_params(curled.params)
    np.testing.assert_allclose(v, curled.vertices, atol=1e-5)
    np.testing.assert_allclose(k, curled.keypoints, atol=1e-5)


def test_smplx_fingers_curl_toward_the_palm(fingered_smplx, monkeypatch):
    """A grip's positive flexion bends SMPL-X fingers toward the palm (a strong curl, in place of the box
    grip, whose fingers lie nearly straight on the box's sides: grips apply to SMPL-X as absolute poses)."""
    from genb.render.bodies import grips

    body = fingered_smplx
    monkeypatch.setitem(grips.GRIP_CURLS, "box", {"fingers": (80.0, 20.0, 10.0), "thumb": (0.0, 10.0, 5.0)})
    monkeypatch.setattr(body, "_grip_poses", body._grip_hand_poses())
    curled, flat = _pose(body, ["carrying_box"]), _pose(body, ["carrying_box"], grips=False)
    for side in ("left", "right"):
        m = body.vertex_parts == PART_INDEX[f"{side}_hand"]
        wrist = curled.joints[0, body.joint_names.index(f"{side}_wrist")]
        reach = lambda v: np.sort(np.linalg.norm(v[m] - wrist, axis=1))[-40:].mean()  # noqa: E731  fingertips
        assert reach(curled.vertices[0]) < reach(flat.vertices[0]) - 0.01, side


@pytest.mark.parametrize("pose", held.HOLDING_POSES)
def test_smplx_hands_do_not_sink_into_what_they_hold(fingered_smplx, pose):
    body = fingered_smplx
    hand = np.isin(body.vertex_parts, [PART_INDEX["left_hand"], PART_INDEX["right_hand"]])
    for name in (pose, pose + ":mirrored"):
        posed = _pose(body, [name])
        (obj,) = held.held_objects([name], posed.keypoints, posed.vertices, body)
        d = held.box_depth(posed.vertices[0][hand], np.array(obj["center"]), np.array(obj["rotation"]), np.array(obj["size"]))
        assert d.max() < 0.005, (name, d.max())  # no finger or palm 5 mm inside
        assert d.max() > -0.02, (name, d.max())  # and the hand is at the object
