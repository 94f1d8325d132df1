"""Contact: every key pose rests on its declared support (knees, buttocks, feet), nothing sinks,
seated people get a seat at their buttocks' height, and the ground truth follows the placement."""

import numpy as np
import pytest

from genb.core.conventions import BODY25_INDEX, PART_INDEX
from genb.render.scene import contact
from genb.render.scene import framing
from genb.render.assets import load_yaml_asset
from genb.render.config import RenderConfig
from genb.render.bodies.poses import PoseLibrary
from genb.render.bodies.rotations import euler_xyz_to_matrix

TABLE = load_yaml_asset("poses", "key_poses.yaml")["poses"]
NOT_STANDING = [n for n, s in TABLE.items() if s.get("support") or s.get("seat")]


@pytest.fixture(scope="module")
def groups(anny_body):
    rest = anny_body.pose(anny_body.sample_shapes(np.random.default_rng(0), 1), np.tile(np.eye(3), (1, 20, 1, 1)))
    return contact.support_groups(rest.vertices[0], rest.keypoints[0], np.asarray(anny_body.vertex_parts))


def test_support_groups_are_where_they_say(anny_body, groups):
    rest = anny_body.pose(anny_body.sample_shapes(np.random.default_rng(0), 1), np.tile(np.eye(3), (1, 20, 1, 1)))
    v, kp = rest.vertices[0], rest.keypoints[0]
    for side in ("left", "right"):
        knee = kp[BODY25_INDEX[f"{side}_knee"]]
        assert len(groups[f"{side}_knee"]) > 20 and np.linalg.norm(v[groups[f"{side}_knee"]] - knee, axis=1).max() < 0.09
    hip = kp[BODY25_INDEX["mid_hip"]]
    assert len(groups["buttocks"]) > 50 and np.all(v[groups["buttocks"], 2] < hip[2] + 0.02)
    assert np.all(v[groups["buttocks"], 1] > hip[1] - 0.02)  # behind the hips (a body faces -Y)


def test_pose_support_reads_the_library_and_mirrors():
    assert contact.pose_support("kneeling", TABLE) == (["knees"], False)
    assert contact.pose_support("kneeling_one_knee:mirrored", TABLE) == (["left_knee", "right_foot"], False)
    assert contact.pose_support("walk_passing~walk_loading:mirrored", TABLE) == (["feet"], False)
    assert contact.pose_support("sitting", TABLE)[1] is True
    assert {"kneeling", "kneeling_one_knee", "sitting_floor_legs_out", "sitting", "sitting_cross_legged"} <= set(NOT_STANDING)


@pytest.mark.parametrize("mirrored", [False, True])
def test_every_pose_rests_on_its_support(anny_body, groups, mirrored):
    """Each key pose (exact and mirrored) on a child, an adult and a heavy body: the lowest vertex on
    the ground (no sinking) and each required group's lowest point within 3 cm of it."""
    lib = PoseLibrary()
    shapes = anny_body.sample_shapes(np.random.default_rng(3), 3)
    for name in NOT_STANDING:
        names, seat = contact.pose_support(name + (":mirrored" if mirrored else ""), TABLE)
        names = ["feet"] if seat else names
        req = [groups[g] for n in names for g in (("left_knee", "right_knee") if n == "knees" else (n,))]
        rot = euler_xyz_to_matrix(lib.key_pose(name, mirrored))[None].repeat(3, axis=0)
        posed = anny_body.pose(shapes, rot)
        pivot = posed.keypoints[:, BODY25_INDEX["mid_hip"]].astype(np.float64)
        tilt, lift, gap = contact.rest_on_support(posed.vertices, pivot, [req] * 3, [not seat and names != ["feet"]] * 3)
        v = np.einsum("pij,pnj->pni", tilt, posed.vertices - pivot[:, None]) + pivot[:, None]
        v[..., 2] += lift[:, None]
        assert np.allclose(v[..., 2].min(axis=1), 0.0, atol=1e-6), name
        kp = np.einsum("pij,pnj->pni", tilt, posed.keypoints - pivot[:, None]) + pivot[:, None]
        kp[..., 2] += lift[:, None]
        for p in range(3):
            for g in req:  # each group near the ground (a heavy body sitting knees-up: its buttocks 14 cm up)
                assert v[p, g, 2].min() < 0.15, (name, mirrored, p, v[p, g, 2].min())
            if name in framing.KNEELING:
                assert min(kp[p, BODY25_INDEX["left_knee"], 2], kp[p, BODY25_INDEX["right_knee"], 2]) < 0.09, name
            if name.startswith("sitting") and not seat:  # the heavy body's hips sit higher: 0.3 m
                assert kp[p, BODY25_INDEX["mid_hip"], 2] < (0.25 if p < 2 else 0.3), (name, p)
        ang = np.degrees(np.arccos(np.clip(tilt[:, 2, 2], -1, 1)))
        assert np.all(ang <= contact.MAX_TILT_DEG + 1e-6)


def test_the_ground_darkens_under_every_part_that_rests_on_it(anny_body, groups):
    """Contact darkening (:func:`shadows.contact_occlusion`) from :func:`contact.ground_contacts`: the
    ground right under each supporting group of every floor pose that touches it (buttocks, knees, feet,
    hands) loses at least a fifth of its ambient light, as the ground under a foot does (0.52-0.79 left
    over 3 bodies); a standing person's hips, knees and hands darken nothing. The feet alone (before)
    left a floor sitter's buttocks (0.89-0.98 left), a kneeler's knees (0.98-1.0) and the hands on the
    floor (1.0) on open ground; now 0.47-0.67, 0.40-0.45, 0.43-0.75."""
    from genb.render.raster.shadows import contact_occlusion

    lib = PoseLibrary()
    shapes = anny_body.sample_shapes(np.random.default_rng(3), 3)
    open_under = {}
    for name in [n for n in NOT_STANDING if not contact.pose_support(n, TABLE)[1]]:
        names, _ = contact.pose_support(name, TABLE)
        req = [groups[g] for n in names for g in (("left_knee", "right_knee") if n == "knees" else (n,))]
        posed = anny_body.pose(shapes, euler_xyz_to_matrix(lib.key_pose(name))[None].repeat(3, axis=0))
        pivot = posed.keypoints[:, BODY25_INDEX["mid_hip"]].astype(np.float64)
        tilt, lift, _ = contact.rest_on_support(posed.vertices, pivot, [req] * 3, [True] * 3)
        for p in range(3):
            v = (posed.vertices[p] - pivot[p]) @ tilt[p].T + pivot[p]
            kp = (posed.keypoints[p] - pivot[p]) @ tilt[p].T + pivot[p]
            v[:, 2] += lift[p]
            kp[:, 2] += lift[p]
            for g in req:  # the ground under the group's lowest point, where it touches (within 3 cm)
                low = v[g][np.argmin(v[g, 2])]
                if low[2] > 0.03:
                    continue
                ground = np.array([[low[0], low[1], 0.0]])
                open_under[name, p] = max(open_under.get((name, p), 0.0),
                                          float(contact_occlusion(ground, contact.ground_contacts(kp[None]))[0]))
    assert len(open_under) >= 15 and max(open_under.values()) < 0.8, open_under
    standing = anny_body.pose(shapes[:1], euler_xyz_to_matrix(lib.key_pose("relaxed_standing"))[None])
    kp = standing.keypoints[0] - [0, 0, standing.vertices[0, :, 2].min()]
    assert np.all(contact.ground_contacts(kp[None])[2:, 2] > 0.25)  # beyond the darkening's reach


def test_seated_hands_never_hang_below_the_seats_top(anny_body, groups):
    """A seat is as wide as a bench or a crate: a seated pose's hands over it (beside the hips, 12 cm at
    most, and behind the knees) rest on or above its top (the lowest buttock point). ``sitting_relaxed``'s arms by
    the sides hung 5-12 cm below it, 4-10 cm outside the hips: through a bench (fingertips 0-2.4 cm above it
    now, the elbows bent 26 degrees more)."""
    lib = PoseLibrary()
    shapes = np.array([[0.5, 0.67, 0.5, 0.5, 0.5, 0.5], [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], [0.5, 0.2, 0.5, 0.5, 0.5, 0.5],
                       [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]], np.float32)
    parts = np.asarray(anny_body.vertex_parts)
    bad = {}
    for name in [n for n in TABLE if contact.pose_support(n, TABLE)[1]]:
        posed = anny_body.pose(shapes, euler_xyz_to_matrix(lib.key_pose(name))[None].repeat(len(shapes), axis=0))
        for k, (v, kp) in enumerate(zip(posed.vertices, posed.keypoints)):
            top, wide = v[groups["buttocks"], 2].min(), np.abs(v[groups["buttocks"], 0]).max()
            knees = kp[[BODY25_INDEX["left_knee"], BODY25_INDEX["right_knee"]], 1].max()  # a body faces -Y
            for side in ("left", "right"):
                h = v[parts == PART_INDEX[f"{side}_hand"]]
                near = (np.abs(h[:, 0]) < wide + 0.12) & (h[:, 1] > knees)
                if near.any() and h[near, 2].min() < top - 0.01:
                    bad[name, k, side] = round(float(h[near, 2].min() - top), 3)
    assert not bad, bad


def test_standing_poses_are_not_tilted(anny_body, groups):
    posed = anny_body.pose(anny_body.sample_shapes(np.random.default_rng(1), 2), np.tile(np.eye(3), (2, 20, 1, 1)))
    tilt, lift, _ = contact.rest_on_support(posed.vertices, np.zeros((2, 3)), [[groups["feet"]]] * 2)
    assert np.allclose(tilt, np.eye(3)) and np.allclose(lift, -posed.vertices[:, :, 2].min(axis=1), atol=1e-6)


def test_seat_top_is_under_the_buttocks():
    rng = np.random.default_rng(0)
    pts = np.array([[0.0, 0.1, 0.45], [0.1, 0.12, 0.47], [-0.1, 0.05, 0.46]])
    for yaw in (0.0, 90.0, 200.0):
        rec = contact.seat_recipe(rng, pts, yaw, 0.6)
        assert rec["size"][2] == pytest.approx(0.45) and rec["type"] in ("chair", "stool", "bench", "crate", "low_wall", "steps")
        # the seat's footprint contains the lowest buttock point
        from genb.render.scene.props import rect_circle_gap
        assert rect_circle_gap(np.array(rec["position"]), rec["size"][:2], rec["yaw_deg"], pts[:1, :2], np.zeros(1))[0] <= 0


def test_floor_cushion_is_exactly_under_hovering_buttocks():
    """A floor sitter whose buttocks hover gets a round cushion whose top is the lowest buttock point
    (not the 12 cm minimum of a seat) and whose footprint holds it."""
    from genb.render.scene.props import rect_circle_gap

    rng = np.random.default_rng(0)
    pts = np.array([[0.0, 0.1, 0.07], [0.1, 0.12, 0.09], [-0.1, 0.05, 0.08]])
    for yaw in (0.0, 90.0, 200.0):
        rec = contact.seat_recipe(rng, pts, yaw, 0.5, floor=True)
        assert rec["type"] == "cushion" and rec["size"][2] == pytest.approx(0.07) and rec["size"][0] == rec["size"][1]
        assert rect_circle_gap(np.array(rec["position"]), rec["size"][:2], rec["yaw_deg"], pts[:1, :2], np.zeros(1))[0] <= 0


def test_buttock_gaps_follow_the_tilt():
    v = np.array([[[0.0, 0.0, 0.0], [0.0, 0.3, 0.2], [0.0, -0.3, 0.0]]])  # buttock (index 1) 20 cm over the knee
    assert contact.buttock_gaps(v, np.zeros((1, 3)), np.eye(3)[None], np.array([1]))[0] == pytest.approx(0.2)
    a = np.radians(-33.69)  # pitch until the buttock comes down level with the lowest point (the origin)
    R = np.array([[[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]]])
    assert abs(contact.buttock_gaps(v, np.zeros((1, 3)), R, np.array([1]))[0]) < 1e-3


@pytest.fixture(scope="module")
def anny_stage_factory():
    from genb.render.stage import RenderStage

    made = []

    def make(poses):
        stage = RenderStage(RenderConfig(num_samples=6, seed=4, image_size=(128, 96), num_people=(1, 4),
                                         person_height_frac=(0.2, 1.0)))
        stage.poses = PoseLibrary(key_poses=poses)
        made.append(stage)
        return stage

    yield make
    for s in made:
        s.close()


def test_rendered_kneelers_and_sitters_touch(anny_stage_factory):
    """Through the whole stage: kneeling knees and sitters' hips near their support, nobody sunk,
    and the saved parameters give the saved keypoints (the ground truth follows the placement)."""
    stage = anny_stage_factory(["kneeling", "kneeling_one_knee", "sitting", "sitting_floor_legs_out",
                                "sitting_cross_legged", "sitting_floor_knees_up", "sitting_leaning_forward"])
    rows = []
    for i in range(6):
        prep = stage.prepare(i)
        ext = prep.cam_ext
        lowest = ((prep.body_vertices_cam - ext[:3, 3]) @ ext[:3, :3])[..., 2].min(axis=1)
        rows += framing.contact_report(prep.labels, prep.scene, lowest)
        _, kp = stage.body.forward_params({k[len("anny_"):]: v.astype(np.float64) for k, v in prep.labels.items()
                                           if k.startswith("anny_")})
        assert np.allclose(kp, prep.labels["keypoints3d"], atol=2e-3)
    s = framing.summarise_contact(rows)
    assert s["kneeling"] + s["sitting"] == s["people"] > 5
    assert s["kneeling_floating"] == 0 and s["sitting_floating"] == 0 and s["sunk_or_floating_lowest"] == 0, s
    assert s["seated_on_seats"] > 0


@pytest.mark.parametrize("height", [0.0, 0.12, 0.22])
def test_the_contact_map_darkens_each_ground_pixel_as_its_world_point_says(height):
    """The image's contact darkening (raster.shadows._contact_map, a box per contact) agrees with
    contact_occlusion at every ground pixel's world point, for contacts up to 25 cm above the ground (a
    sitter's buttocks, a knee) seen from a camera looking down on them: each box, projected from the contact
    point itself rather than its footprint, still holds the whole 3-radius disc (checked over cameras 0.3-1.6 m
    high pitched 5-60 degrees: at most 3e-4 apart, float32 rounding)."""
    from genb.render.raster.shadows import _contact_map, contact_occlusion

    H, W, f, pitch = 240, 320, 260.0, np.deg2rad(35.0)
    K = np.array([[f, 0, W / 2], [0, f, H / 2], [0, 0, 1.0]])
    centre = np.array([0.0, -1.0, 1.0])
    fwd = np.array([0.0, np.cos(pitch), -np.sin(pitch)])
    right = np.array([1.0, 0.0, 0.0])
    R = np.stack([right, np.cross(fwd, right), fwd])
    ext = np.eye(4)
    ext[:3, :3], ext[:3, 3] = R, -R @ centre
    v, u = np.mgrid[0:H, 0:W]
    ray = np.stack([(u - K[0, 2]) / f, (v - K[1, 2]) / f, np.ones_like(u, float)], -1) @ R  # world, camera z = 1
    depth = np.where(ray[..., 2] < 0, -centre[2] / np.minimum(ray[..., 2], -1e-9), 0.0)
    ground = depth > 0
    contacts = np.array([[0.05, 0.6, height], [-0.3, 0.9, 0.02]])
    got = _contact_map(depth.astype(np.float32), ground, ground, K, ext, contacts)
    points = centre + ray[ground] * depth[ground][:, None]
    want = contact_occlusion(points, contacts)
    assert np.abs(got[ground] - want).max() < 2e-4
    assert want.min() < 0.7  # the contacts darken what the camera sees
