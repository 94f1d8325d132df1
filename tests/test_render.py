"""genb render: exact ground truth, proven against independent computation."""

import hashlib
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from scipy.spatial import Delaunay

from genb.config import resolve_config
from genb.render.labels import truth as L
from genb.render.bodies import rigid_transform_bodies
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov, project, to_camera
from genb.render.config import RenderConfig
from genb.core.conventions import BODY25_INDEX, SCENE_PART_BASE, SEMANTIC_JOINTS
from genb.render.raster.meshes import Lighting, MeshLayer
from genb.render.stage import RenderStage
from genb.render.run import run_render
from genb.core.run import RunFolder

GEOM = dict(num_samples=6, seed=11, image_size=(256, 192), num_people=(2, 6), portrait_prob=0.3,
            person_height_frac=(0.3, 1.0), truncation_prob=0.3)


@pytest.fixture(scope="module")
def anny_stage():
    stage = RenderStage(RenderConfig(**GEOM))
    yield stage
    stage.close()


@pytest.fixture(scope="module")
def anny_samples(anny_stage):
    return [anny_stage(i) for i in range(GEOM["num_samples"])]


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "render.yaml"}


# ----------------------------------------------------------------------------- geometry


def test_keypoints2d_are_the_projection_of_keypoints3d(anny_samples):
    for s in anny_samples:
        lab = s.labels
        uv = project(lab["keypoints3d"].astype(np.float64), lab["cam_int"].astype(np.float64))
        assert np.abs(uv - lab["keypoints2d"]).max() < 0.5
        uvj = project(lab["joints3d"].astype(np.float64), lab["cam_int"].astype(np.float64))
        assert np.abs(uvj - lab["joints2d"]).max() < 0.5


def test_saved_body_parameters_replay_to_the_saved_geometry(anny_stage, anny_samples):
    body = anny_stage.body
    for s in anny_samples[:3]:
        lab = s.labels
        params = {k[len("anny_"):]: v.astype(np.float64) for k, v in lab.items() if k.startswith("anny_")}
        verts, kps = body.forward_params(params)
        np.testing.assert_allclose(kps, lab["keypoints3d"], atol=2e-3)
        uv = project(verts[:, lab["proj_vert_ids"]].astype(np.float64), lab["cam_int"].astype(np.float64))
        assert np.abs(uv - lab["proj_verts"]).max() < 0.5


def test_depth_at_visible_keypoints_matches_their_depth(anny_samples):
    agree, total = 0, 0
    for s in anny_samples:
        lab, depth, inst = s.labels, s.depth, s.images["instances"]
        p_idx, k_idx = np.nonzero(lab["keypoints_vis"])
        uv = np.rint(lab["keypoints2d"][p_idx, k_idx]).astype(int)
        d = depth[uv[:, 1], uv[:, 0]]
        z = lab["keypoints3d"][p_idx, k_idx, 2]
        own = inst[uv[:, 1], uv[:, 0]] == p_idx + 1
        # the visibility rule, re-checked from the saved buffers (0 = the ray hit nothing: a silhouette
        # edge): a pixel of someone or something else is never nearer than the body's own surface
        assert ((d == 0) | own | (d >= z - 0.3)).all()
        # within 25 cm: a joint lies 5-15 cm inside the body (seen from the side, a hip or shoulder up to
        # ~0.25 m behind its own surface), and clothes with ease stand 2-8 cm off the skin
        agree += int(np.sum(own & (np.abs(d - z) < 0.25)))
        total += len(d)
    assert total > 50
    assert agree / total > 0.85  # a visible keypoint's pixel shows its own body, at its depth


GEOM_TOL = RenderConfig().visibility_tolerance


def test_occluded_keypoints_are_behind_something_nearer(anny_samples):
    n_occluded = 0
    for s in anny_samples:
        lab, depth = s.labels, s.depth
        occ = lab["keypoints_in_frame"] & ~lab["keypoints_vis"]
        p_idx, k_idx = np.nonzero(occ)
        uv = np.rint(lab["keypoints2d"][p_idx, k_idx]).astype(int)
        d = depth[uv[:, 1], uv[:, 0]]
        assert (d > 0).all() and (d < lab["keypoints3d"][p_idx, k_idx, 2] - GEOM_TOL).all()
        n_occluded += len(d)
    assert n_occluded > 0


def test_no_background_shows_through_a_dressed_person(anny_samples):
    """Every pixel of a person's bare-body silhouette (seen through their own clothes) shows that
    person dressed: no hole where a garment or hair hides body faces it does not cover from this view."""
    for s in anny_samples:
        body, inst = s.images["body_instances"], s.images["instances"]
        assert (body > 0).any()
        assert not ((body > 0) & (inst != body)).any()


def test_a_person_behind_another_is_marked_occluded(anny_stage):
    body, raster = anny_stage.body, anny_stage.raster
    rot = np.tile(np.eye(3), (2, len(SEMANTIC_JOINTS), 1, 1))
    rot[:, SEMANTIC_JOINTS.index("left_shoulder")] = _rz(-75)
    rot[:, SEMANTIC_JOINTS.index("right_shoulder")] = _rz(75)
    shapes = body.sample_shapes(np.random.default_rng(0), 2)
    posed = body.pose(shapes, rot)
    lift = -posed.vertices[:, :, 2].min(axis=1)
    world = rigid_transform_bodies(body, posed, np.eye(3), np.array([[0.0, 3.0, lift[0]], [0.0, 6.0, lift[1]]]))
    W, H = 160, 160
    K = intrinsics_from_fov(40, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 1.0]), camera_to_world_rotation(0, 0, 0))
    people = [MeshLayer(v, np.full_like(v, 0.6)) for v in world.vertices]
    out = raster.render(people, K, ext, W, H, Lighting(np.array([0, 1.0, -1]), 0.7, np.ones(3), np.full(3, 0.3)), None)
    kp_cam = to_camera(world.keypoints.astype(np.float64), ext)
    faces = np.asarray(body.faces)
    res = L.visibility(kp_cam, K, to_camera(world.vertices.astype(np.float64), ext), faces,
                       L.face_part_table(faces, np.asarray(body.vertex_parts)), L.body25_own_parts(),
                       out.depth, out.instances, GEOM_TOL)
    torso = [BODY25_INDEX[k] for k in ("neck", "mid_hip", "left_hip", "right_hip")]
    assert res["vis"][0, torso].all()  # the front person's torso is seen
    assert not res["vis"][1, torso].any()  # the one behind is hidden by it
    assert res["in_frame"][1, torso].all()
    uv = np.rint(res["uv"][1, torso]).astype(int)
    assert (out.instances[uv[:, 1], uv[:, 0]] == 1).all()  # and the pixel shows the front person


def _rz(deg):
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


def test_masks_and_boxes_agree(anny_samples):
    for s in anny_samples:
        lab, inst, parts = s.labels, s.images["instances"], s.images["parts"]
        boxes, areas = L.mask_boxes(inst, len(lab["bbox"]))
        np.testing.assert_array_equal(boxes, lab["bbox"])
        np.testing.assert_array_equal(areas, lab["mask_area"])
        body = (parts > 0) & (parts < SCENE_PART_BASE)
        assert ((inst > 0) == body).all()  # every person pixel has a body part and vice versa
        assert (parts[(inst == 0) & (s.depth > 0)] >= SCENE_PART_BASE).all()  # ground and props: scene classes
        for p in range(len(lab["bbox"])):
            vis = lab["keypoints_vis"][p]
            if vis.any() and areas[p]:
                x0, y0, x1, y1 = lab["bbox"][p]
                uv = lab["keypoints2d"][p][vis]
                assert (uv[:, 0] >= x0 - 1).all() and (uv[:, 0] <= x1 + 1).all()
                assert (uv[:, 1] >= y0 - 1).all() and (uv[:, 1] <= y1 + 1).all()
        # the body's visible mask lies inside the amodal box of all its projected vertices; the dressed
        # mask may reach past it by what the person wears (hair, skirts, bags), not more
        full = lab["bbox_full"]
        body_boxes, body_areas = L.mask_boxes(s.images["body_instances"], len(lab["bbox"]))
        np.testing.assert_array_equal(body_areas, lab["body_mask_area"])
        ok = body_areas > 0
        assert (body_boxes[ok, :2] >= full[ok, :2] - 1.0).all() and (body_boxes[ok, 2:] <= full[ok, 2:] + 1.0).all()
        ok = lab["mask_area"] > 0
        pad = 0.3 * np.maximum(full[:, 2] - full[:, 0], full[:, 3] - full[:, 1])[ok, None] + 1.0
        assert (lab["bbox"][ok, :2] >= full[ok, :2] - pad).all() and (lab["bbox"][ok, 2:] <= full[ok, 2:] + pad).all()
        np.testing.assert_allclose(lab["scale"], np.maximum(full[:, 2] - full[:, 0], full[:, 3] - full[:, 1]) * 1.2 / 200,
                                   rtol=1e-5)


def test_people_stand_on_the_ground_without_interpenetrating(anny_stage, anny_samples):
    for s in anny_samples[:4]:
        lab = s.labels
        params = {k[len("anny_"):]: v.astype(np.float64) for k, v in lab.items() if k.startswith("anny_")}
        verts_cam, _ = anny_stage.body.forward_params(params)
        ext = lab["cam_ext"].astype(np.float64)
        world = (verts_cam - ext[:3, 3]) @ ext[:3, :3]  # camera -> world
        assert np.abs(world[:, :, 2].min(axis=1)).max() < 2e-3  # lowest point on z = 0
        xy = [w[:, :2] for w in world]
        for a in range(len(xy)):
            hull = Delaunay(xy[a][::7])
            for b in range(len(xy)):
                if a != b:  # footprints are disjoint: no vertex of b stands inside a's ground hull
                    assert (hull.find_simplex(xy[b][::3]) < 0).all()


def test_control_maps_follow_their_conventions(anny_samples):
    for s in anny_samples[:3]:
        img, depth = s.images, s.depth
        near = depth == depth[depth > 0].min()
        assert img["control_depth"][near].max() == 255
        assert (img["control_depth"][depth == 0] == 0).all()
        pose = img["control_pose"]
        if not s.labels["keypoints_vis"].any():
            assert pose.max() == 0
        for name in ("control_depth", "control_normal", "control_pose", "control_seg", "control_edges", "image"):
            assert img[name].shape == (*depth.shape, 3) and img[name].dtype == np.uint8


def test_sample_is_a_function_of_seed_and_index(anny_stage, anny_samples):
    again = anny_stage(2)
    for name, arr in anny_samples[2].images.items():
        np.testing.assert_array_equal(arr, again.images[name])
    assert json.dumps(anny_samples[2].scene) == json.dumps(again.scene)
    assert anny_samples[1].images["image"].tobytes() != anny_samples[2].images["image"].tobytes()


def test_scenes_vary_cameras_people_and_orientation(anny_samples):
    scenes = [s.scene for s in anny_samples]
    assert len({round(s["camera"]["fov_x_deg"], 3) for s in scenes}) == len(scenes)
    assert {len(s["people"]) for s in scenes} != {1}
    sizes = {(s["camera"]["width"], s["camera"]["height"]) for s in scenes}
    assert (256, 192) in sizes or (192, 256) in sizes


# ----------------------------------------------------------------------------- the run folder


SMALL = dict(num_samples=4, seed=5, image_size=(96, 64), num_people=(1, 3), portrait_prob=0.5)


def test_same_bytes_whatever_torch_thread_count_the_caller_set(tmp_path, monkeypatch):
    """A process that set torch's thread count (genb enhance does) renders the same bytes."""
    import torch

    cfg = RenderConfig(**{**SMALL, "num_samples": 2})
    run_render(tmp_path / "default", cfg)
    before = torch.get_num_threads()
    other = 1 if before > 1 else 2
    try:
        torch.set_num_threads(other)
        run_render(tmp_path / "other", cfg)
    finally:
        torch.set_num_threads(before)
    assert _digest(tmp_path / "other") == _digest(tmp_path / "default")


def test_workers_ranks_and_resume_give_the_same_bytes(tmp_path, tiny_run, monkeypatch):
    one = tmp_path / "one"
    run_render(one, RenderConfig(**SMALL))
    reference = _digest(one)
    assert len(RunFolder(one).sample_ids()) == 4
    assert len([k for k in reference if k.startswith("samples/")]) == 4 * 12

    two = tmp_path / "two"
    run_render(two, RenderConfig(**SMALL, workers=2))
    assert _digest(two) == reference

    ranks = tmp_path / "ranks"
    for rank in (0, 1):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        run_render(ranks, RenderConfig(**SMALL))
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    assert _digest(ranks) == reference

    # a killed run: two samples done, one half-built folder left behind
    resumed = tmp_path / "resumed"
    run_render(resumed, RenderConfig(**{**SMALL, "num_samples": 2}))
    (resumed / "samples" / ".tmp-r0-p999-000000-abcdef-000002").mkdir()
    (resumed / "samples" / ".tmp-r0-p999-000000-abcdef-000002" / "image.png").write_bytes(b"half")
    summary = run_render(resumed, RenderConfig(**SMALL))
    assert summary.rendered == 2 and summary.skipped == 2
    assert _digest(resumed) == reference


def test_a_failing_sample_keeps_the_ones_completed_before_it(tmp_path, monkeypatch):
    """In the one-process pipeline sample k-1 is still being completed when sample k rasterizes: if
    sample k fails, the error is raised once, k-1 is written all the same, and nothing half-written
    is left; a resume renders only what is missing."""
    out = tmp_path / "run"
    original = RenderStage.rasterize

    def failing(self, prep):
        if prep.labels["index"] == 2:
            raise RuntimeError("GL lost")
        return original(self, prep)

    monkeypatch.setattr(RenderStage, "rasterize", failing)
    with pytest.raises(RuntimeError, match="GL lost"):
        run_render(out, RenderConfig(**SMALL))
    assert RunFolder(out).sample_ids() == [0, 1]
    assert not [p for p in (out / "samples").iterdir() if p.name.startswith(".")]
    monkeypatch.setattr(RenderStage, "rasterize", original)
    summary = run_render(out, RenderConfig(**SMALL))
    assert summary.rendered == 2 and summary.skipped == 2


def _genb(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "genb", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize("flags, message", [
    (["--num-samples", "0"], "--num-samples must be at least 1"),
    (["--num-people", "0,3"], "--num-people"),
    (["--fov-deg", "70,30"], "--fov-deg"),
    (["--image-size", "100,64"], "multiples of 8"),
    (["--body", "smplx"], "smpl-x.is.tue.mpg.de"),
    (["--backgrounds", "/nonexistent/folder"], "background folder"),
    (["--preset", "nope"], "unknown render preset"),
])
def test_bad_input_gets_one_clear_error(tmp_path, flags, message):
    res = _genb("render", str(tmp_path / "run"), "--num-samples", "1", *flags)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_smplx_files_and_unwritable_folder(tmp_path):
    res = _genb("render", str(tmp_path / "run"), "--body", "smplx", "--smplx-dir", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "SMPLX_NEUTRAL.npz" in res.stderr and "Traceback" not in res.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = _genb("render", str(blocker / "run"), "--num-samples", "1")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_resuming_with_other_settings_is_refused_and_keeps_outputs(tmp_path, tiny_run):
    run = tmp_path / "run"
    shutil.copytree(tiny_run.root, run)
    before = _digest(run)
    res = _genb("render", str(run), "--num-samples", "4", "--seed", "99", "--image-size", "128,96")
    assert res.returncode == 2 and "different settings" in res.stderr and "seed" in res.stderr
    assert _digest(run) == before


def test_run_folder_records_config_and_versions(tiny_run):
    import yaml

    record = yaml.safe_load((tiny_run.root / "render.yaml").read_text())
    assert record["config"]["num_samples"] == 4 and record["config"]["seed"] == 3
    assert record["versions"]["anny"] != "not installed"
    assert tiny_run.manifest.num_samples == 4
    assert tiny_run.sample_ids() == [0, 1, 2, 3]


def test_show_draws_a_contact_sheet(tiny_run, tmp_path):
    from PIL import Image

    out = tmp_path / "sheet.png"
    res = _genb("show", str(tiny_run.root), "--out", str(out), "--num", "4", "--columns", "2")
    assert res.returncode == 0, res.stderr
    im = Image.open(out)
    assert im.size[0] == 2 * 256 and im.size[1] > 256
    res = _genb("show", str(tiny_run.root), "--out", str(out), "--num", "2", "--maps", "--tile-width", "100")
    assert res.returncode == 0, res.stderr
    assert Image.open(out).size == (7 * 100, 2 * (75 + 18))  # one row per sample: overlay, render + 5 control maps


@pytest.mark.parametrize("preset", ["bedlam", "demo", "closeup", "crowd"])
def test_every_shipped_preset_renders(preset, tmp_path):
    cfg = resolve_config(RenderConfig, "render", preset, {"num_samples": 1, "image_size": (96, 64)})
    summary = run_render(tmp_path / preset, cfg)
    assert summary.rendered == 1
    assert (tmp_path / preset / "samples" / "000000" / "labels.npz").is_file()


def test_smplx_run_with_motion_files_replays_exactly(synthetic_smplx_dir, tmp_path):
    motions = tmp_path / "motions"
    motions.mkdir()
    rng = np.random.default_rng(0)
    poses = rng.normal(0, 0.15, size=(20, 165))
    np.savez(motions / "walk.npz", poses=poses, trans=np.zeros((20, 3)), betas=np.zeros(16))
    cfg = RenderConfig(num_samples=3, seed=2, body="smplx", smplx_dir=str(synthetic_smplx_dir),
                       motion_dir=str(motions), motion_prob=0.7, image_size=(128, 96), num_people=(2, 3))
    summary = run_render(tmp_path / "run", cfg)
    assert summary.rendered == 3
    run = RunFolder(tmp_path / "run")
    stage = RenderStage(cfg)
    names = []
    for i in run.sample_ids():
        lab = run.labels(i)
        assert str(lab["body_model"]) == "smplx"
        assert lab["smplx_body_pose"].shape[1:] == (63,) and lab["smplx_betas"].shape[1:] == (10,)
        params = {k[len("smplx_"):]: v.astype(np.float64) for k, v in lab.items() if k.startswith("smplx_")}
        verts, kps = stage.body.forward_params(params)  # camera-frame parameters -> camera-frame geometry
        np.testing.assert_allclose(kps, lab["keypoints3d"], atol=2e-3)
        uv = project(verts[:, lab["proj_vert_ids"]].astype(np.float64), lab["cam_int"].astype(np.float64))
        assert np.abs(uv - lab["proj_verts"]).max() < 0.5
        names += [p.pose for p in run.scene(i).people]
    assert any(n.startswith("walk") for n in names)  # some people took motion-capture frames
    stage.close()


def test_background_folder_images_fill_the_empty_pixels(tmp_path):
    import cv2

    folder = tmp_path / "backgrounds"
    folder.mkdir()
    cv2.imwrite(str(folder / "red.png"), np.full((50, 80, 3), (0, 0, 255), np.uint8))  # BGR red
    cfg = RenderConfig(num_samples=1, seed=1, image_size=(96, 64), num_people=(1, 2), backgrounds=str(folder),
                       camera_effects=False)
    run_render(tmp_path / "run", cfg)
    run = RunFolder(tmp_path / "run")
    image, depth = run.image(0), run.depth(0)
    # (anti-aliased silhouette pixels of people and of what they sit on blend with the photo; a bag's strap
    # thinner than a pixel (2-3 cm here) colours pixels up to two away from any whose centre it covers)
    near_drawn = cv2.dilate(((run.instances(0) > 0) | (depth > 0)).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    empty = (depth == 0) & ~near_drawn
    assert empty.mean() > 0.2  # no ground plane is drawn over a photo
    np.testing.assert_array_equal(image[empty], np.tile([255, 0, 0], (empty.sum(), 1)))
    assert run.scene(0).background == {"kind": "image", "path": str(folder / "red.png")}
    assert (run.instances(0) > 0).any()
