"""Sequences (genb/sequence): layout, exact per-frame and world labels, exact flow, resume, sharding, motion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from genb.core.seeds import sample_rng
from genb.render.labels.camera import project, to_camera
from genb.render.scene.sample import CameraRecipe
from genb.sequence import gait
from genb.sequence.cameras import camera_path
from genb.sequence.flow import advance, flicker, locate_points, rasterize_faces, warp_back

FRAMES = 4


def _cfg(**kw):
    from genb.sequence.stage import SequenceConfig

    base = dict(num_samples=2, frames=FRAMES, image_size=(128, 96), num_people=(1, 2), seed=5, wardrobe="none",
                portrait_prob=0.0, png_compression=1, camera_motion_weights=(0.0, 1.0, 1.0, 0.0, 1.0))
    base.update(kw)
    return SequenceConfig(**base)


@pytest.fixture(scope="module")
def seq_run(tmp_path_factory):
    from genb.sequence.stage import run_sequences

    root = tmp_path_factory.mktemp("seq") / "run"
    summary = run_sequences(root, _cfg())
    assert summary.frames == 2 * FRAMES
    return root


@pytest.fixture(scope="module")
def anny():
    from genb.render.bodies import load_body_model

    return load_body_model("anny")


def _frame(root: Path, s: int, t: int) -> Path:
    return root / "sequences" / f"{s:06d}" / "samples" / f"{t:06d}"


def test_layout_and_what_stays_fixed(seq_run):
    assert json.loads((seq_run / "sequences.json").read_text())["frames"] == FRAMES
    for s in range(2):
        seq = seq_run / "sequences" / f"{s:06d}"
        assert json.loads((seq / "run.json").read_text())["num_samples"] == FRAMES  # a run folder of frames
        scenes = [json.loads((_frame(seq_run, s, t) / "scene.json").read_text()) for t in range(FRAMES)]
        for key in ("lighting", "background"):
            assert all(sc[key] == scenes[0][key] for sc in scenes)
        for k in range(len(scenes[0]["people"])):
            for key in ("appearance", "shape", "description", "pose"):
                assert all(sc["people"][k][key] == scenes[0]["people"][k][key] for sc in scenes)
        assert [sc["sequence"]["frame"] for sc in scenes] == list(range(FRAMES))
        assert all((_frame(seq_run, s, t) / "flow.npz").is_file() for t in range(FRAMES))
        last = np.load(_frame(seq_run, s, FRAMES - 1) / "flow.npz")
        assert not last["valid"].any()  # no next frame


def test_world_trajectories_rederive_camera_labels(seq_run):
    for s in range(2):
        arrays = np.load(seq_run / "sequences" / f"{s:06d}" / "sequence.npz")
        moving = not np.allclose(arrays["cam_ext"][0], arrays["cam_ext"][-1])
        assert moving  # pan, dolly or handheld
        for t in range(FRAMES):
            lab = np.load(_frame(seq_run, s, t) / "labels.npz")
            ext = arrays["cam_ext"][t]
            np.testing.assert_allclose(lab["cam_ext"], ext, atol=1e-6)
            np.testing.assert_allclose(lab["cam_int"], arrays["cam_int"][t], rtol=1e-6)
            np.testing.assert_allclose(to_camera(arrays["world_joints3d"][t].astype(np.float64), ext), lab["joints3d"], atol=1e-4)
            np.testing.assert_allclose(to_camera(arrays["world_keypoints3d"][t].astype(np.float64), ext), lab["keypoints3d"], atol=1e-4)
            root_cam = ext @ arrays["world_anny_root"][t].astype(np.float64)  # orientation and translation
            np.testing.assert_allclose(root_cam, lab["anny_root"], atol=1e-4)


def test_flow_maps_vertex_projections_exactly(seq_run, anny):
    arrays = np.load(seq_run / "sequences" / "000000" / "sequence.npz")
    params = lambda t: {k[len("world_anny_"):]: arrays[k][t] for k in arrays if k.startswith("world_anny_")}
    faces = np.asarray(anny.faces, np.int64)
    checked = 0
    for t in range(FRAMES - 1):
        v0, _ = anny.forward_params(params(t))
        v1, _ = anny.forward_params(params(t + 1))
        K0, E0, K1, E1 = arrays["cam_int"][t], arrays["cam_ext"][t], arrays["cam_int"][t + 1], arrays["cam_ext"][t + 1]
        for p in range(len(v0)):
            cam0 = to_camera(v0[p].astype(np.float64), E0)
            ids = sample_rng(0, t, "test").choice(len(cam0), 400, replace=False)
            uv0 = project(cam0[ids], K0)
            face, bary, depth = locate_points(uv0, cam0, faces, K0)
            visible = (face >= 0) & (np.abs(depth - cam0[ids, 2]) < 1e-6 * cam0[ids, 2])
            assert visible.sum() > 20
            uv1, _ = advance(face[visible], bary[visible], faces, v1[p].astype(np.float64), E1, K1)
            want = project(to_camera(v1[p, ids[visible]].astype(np.float64), E1), K1)
            assert np.abs(uv1 - want).max() < 1e-3
            checked += visible.sum()
            # the per-pixel map takes the same surface points at pixel centres
            fmap, bmap, _ = rasterize_faces(cam0, faces, K0, 128, 96)
            ys, xs = np.nonzero(fmap >= 0)
            pts = np.stack([xs, ys], 1)[:: max(1, len(xs) // 30)].astype(np.float64)
            f2, b2, _ = locate_points(pts, cam0, faces, K0)
            gy, gx = pts[:, 1].astype(int), pts[:, 0].astype(int)
            same = f2 == fmap[gy, gx]
            assert same.mean() > 0.9  # ties on shared edges may pick the neighbour
            np.testing.assert_allclose(b2[same], bmap[gy, gx][same], atol=1e-9)
    assert checked > 100


def test_saved_flow_moves_pixels_with_the_bodies(seq_run, anny):
    """The saved map (bare bodies: --wardrobe none) at the pixel nearest a visible vertex moves it
    to within a pixel of the vertex's next projection; flicker of the render is small where valid."""
    arrays = np.load(seq_run / "sequences" / "000000" / "sequence.npz")
    params = lambda t: {k[len("world_anny_"):]: arrays[k][t] for k in arrays if k.startswith("world_anny_")}
    v0, _ = anny.forward_params(params(0))
    v1, _ = anny.forward_params(params(1))
    flow = np.load(_frame(seq_run, 0, 0) / "flow.npz")
    inst = np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(_frame(seq_run, 0, 0) / "instances.png"))
    uv0 = project(to_camera(v0[0].astype(np.float64), arrays["cam_ext"][0]), arrays["cam_int"][0])
    uv1 = project(to_camera(v1[0].astype(np.float64), arrays["cam_ext"][1]), arrays["cam_int"][1])
    px = np.rint(uv0).astype(int)
    inside = (px[:, 0] >= 0) & (px[:, 0] < 128) & (px[:, 1] >= 0) & (px[:, 1] < 96)
    px, d = px[inside], (uv1 - uv0)[inside]
    ok = flow["valid"][px[:, 1], px[:, 0]] & (inst[px[:, 1], px[:, 0]] == 1)
    assert ok.sum() > 50
    err = np.linalg.norm(flow["flow"][px[ok, 1], px[ok, 0]] - d[ok], axis=1)
    assert np.median(err) < 0.5


def test_resume_mid_sequence_gives_the_same_bytes(seq_run, tmp_path):
    from genb.sequence.stage import run_sequences

    copy = tmp_path / "run"
    shutil.copytree(seq_run, copy)
    shutil.rmtree(_frame(copy, 1, 1))  # a killed run: frame 1 missing, frames 2.. present
    shutil.rmtree(_frame(copy, 1, 3))  # and the last one
    summary = run_sequences(copy, _cfg())
    assert summary.frames == 2 and summary.skipped == 1
    for t in range(FRAMES):
        for name in ("image.png", "labels.npz", "flow.npz", "depth.npz"):
            assert (_frame(copy, 1, t) / name).read_bytes() == (_frame(seq_run, 1, t) / name).read_bytes(), (t, name)


def test_sharded_by_sequence_gives_the_same_bytes(seq_run, tmp_path, monkeypatch):
    from genb.sequence.stage import run_sequences

    out = tmp_path / "sharded"
    for rank in (1, 0):  # job-array tasks in either order
        monkeypatch.setenv("GENB_SHARD", f"{rank}/2")
        assert run_sequences(out, _cfg()).sequences == 1
    for s in range(2):
        for t in range(FRAMES):
            for name in ("image.png", "labels.npz", "flow.npz"):
                assert (_frame(out, s, t) / name).read_bytes() == (_frame(seq_run, s, t) / name).read_bytes()


def test_walk_keeps_feet_still_while_on_the_ground(anny):
    from genb.render.bodies.poses import PoseLibrary
    from genb.render.bodies.rotations import euler_xyz_to_matrix
    from genb.sequence.plan import foot_vertices

    lib, feet = PoseLibrary(), foot_vertices(anny)
    shape = anny.sample_shapes(np.random.default_rng(0), 1)
    yaw = np.arange(30) / 30 * 35.0  # a turn
    euler = gait.walk_euler(lib, 30, 30.0, 0.9, 0.2)
    pose_fn = lambda e: anny.pose(np.repeat(shape, len(e), 0), euler_xyz_to_matrix(e)).vertices  # noqa: E731
    slides = {}
    for name in ("plain", "locked"):
        if name == "plain":
            e, T = euler, gait.plant_feet(np.asarray(pose_fn(euler), np.float64), yaw, feet)
        else:
            T, e = gait.plant_feet_locked(pose_fn, euler, yaw, feet)
        world = np.einsum("tij,tvj->tvi", gait.rot_z(yaw), np.asarray(pose_fn(e), np.float64)) + T[:, None]
        assert np.abs(world[:, :, 2].min(axis=1)).max() < 1e-6  # on the ground, never under it
        assert np.linalg.norm(T[-1, :2] - T[0, :2]) > 0.6  # about 1.3 m/s
        per_foot = np.stack([gait.foot_slide(world, f) for f in feet], axis=1)  # (T-1, 2)
        assert per_foot.min(axis=1).max() < 0.01  # the foot carrying the weight: under 1 cm per frame
        slides[name] = per_foot.max()
    assert slides["locked"] < 0.01 < slides["plain"]  # the landing foot too, with the leg IK
    assert np.abs(e - euler).max() < 10.0  # small corrections of the hips and knees only


def test_camera_paths():
    base = CameraRecipe(128, 96, 50.0, [0.0, 0.0, 1.5], 0.0, -5.0, 0.0)
    rng = np.random.default_rng(0)
    static, _ = camera_path(rng, base, "static", 10, 30.0, zoom_prob=0.0)
    assert all(np.array_equal(c.cam_ext, base.cam_ext) for c in static)
    pan, rec = camera_path(rng, base, "pan", 10, 30.0, zoom_prob=0.0)
    assert all(c.position == base.position for c in pan) and pan[-1].yaw_deg != base.yaw_deg
    track, _ = camera_path(rng, base, "tracking", 10, 30.0, target_xy=np.linspace([0, 0], [1, 2], 10), zoom_prob=0.0)
    np.testing.assert_allclose(track[-1].position, [1.0, 2.0, 1.5])
    shake, _ = camera_path(rng, base, "handheld", 30, 30.0, zoom_prob=1.0)
    yaws = np.array([c.yaw_deg for c in shake])
    assert 0 < np.abs(np.diff(yaws)).max() < 1.0 and shake[0].fov_x_deg != shake[-1].fov_x_deg


def test_flicker_is_zero_for_an_exactly_moved_image():
    rng = np.random.default_rng(0)
    img = (rng.random((40, 50, 3)) * 255).astype(np.float32)
    nxt = np.roll(img, (2, 3), axis=(0, 1))  # moved 3 px right, 2 px down
    flow = np.zeros((40, 50, 2), np.float32)
    flow[..., 0], flow[..., 1] = 3, 2
    valid = np.zeros((40, 50), bool)
    valid[:35, :45] = True
    np.testing.assert_allclose(warp_back(nxt, flow)[valid], img[valid])
    assert flicker(img, nxt, flow, valid) < 1e-4
    assert flicker(img, nxt, np.zeros_like(flow), valid) > 30


def test_warped_noise_flickers_less_than_independent_noise(seq_run, tiny_pipeline_dir, tmp_path):
    """The tiny pipeline (random weights) on one sequence at the same strength: noise carried along
    the exact flow gives frames that agree along the flow far better than independent noise;
    resuming gives the same bytes (the chain never depends on what is done)."""
    from genb.core.io import read_image
    from genb.core.run import RunFolder
    from genb.enhance.stage import run_enhance
    from genb.sequence.noise import sequence_flicker
    from _fixtures_enhance import tiny_enhance_config

    seq = tmp_path / "seq"
    shutil.copytree(seq_run / "sequences" / "000000", seq)
    run = RunFolder(seq)
    result = {}
    for name, warp in (("enhanced", True), ("enhanced-indep", False)):
        view = run.view(name)
        run_enhance(view, tiny_enhance_config(noise=0.5, noise_warp=warp))
        result[name] = sequence_flicker(view, lambda t: read_image(view.enhanced_dir(0.5) / f"{t:06d}.png"))["mean"]
    render = sequence_flicker(run, lambda t: read_image(run.sample_dir(t) / "image.png"))["mean"]
    assert result["enhanced"] < 0.7 * result["enhanced-indep"], result
    assert render < result["enhanced"]
    first = (run.enhanced_dir(0.5) / "000002.png").read_bytes()
    (run.enhanced_dir(0.5) / "000002.png").unlink()
    (run.enhanced_dir(0.5) / "000002.json").unlink()
    run_enhance(run, tiny_enhance_config(noise=0.5, noise_warp=True))
    assert (run.enhanced_dir(0.5) / "000002.png").read_bytes() == first


def test_rendered_motion_keeps_people_apart_and_clear_of_props(seq_run, anny):
    """Re-derived from the saved record (world parameters replayed through anny, scene.json's props)."""
    from genb.sequence.measures import sequence_measures

    for s in range(2):
        m = sequence_measures(anny, seq_run / "sequences" / f"{s:06d}")
        assert m["vertices_in_props"] == 0
        assert m["stance_slide_max"] < 0.01
        if m["people"] > 1:
            assert m["min_person_gap_m"] > 0.05


def test_bad_sequence_flags_exit_2_and_write_nothing(tmp_path):
    from genb.cli import main

    out = tmp_path / "run"
    assert main(["render", str(out), "--frames", "1", "--num-samples", "1"]) == 2
    assert main(["render", str(out), "--frames", "4", "--motion-weights", "0,0,0,0"]) == 2
    assert not out.exists()


def test_single_images_and_sequences_never_share_a_folder(seq_run, tmp_path):
    from genb.cli import main

    copy = tmp_path / "seq"
    shutil.copytree(seq_run, copy)
    before = sorted(p.name for p in copy.iterdir())
    assert main(["render", str(copy), "--num-samples", "1", "--image-size", "128,96"]) == 2
    assert sorted(p.name for p in copy.iterdir()) == before
    single = tmp_path / "single"
    single.mkdir()
    (single / "run.json").write_text(json.dumps({"num_samples": 1, "seed": 0, "image_size": [128, 96]}))
    assert main(["render", str(single), "--frames", "3", "--num-samples", "1"]) == 2
    assert sorted(p.name for p in single.iterdir()) == ["run.json"]


def test_show_animates_a_sequence_run(seq_run, tmp_path):
    from PIL import Image

    from genb.cli import main

    for name in ("anim.png", "anim.gif"):
        out = tmp_path / name
        assert main(["show", str(seq_run), "--animate", "--out", str(out)]) == 0
        with Image.open(out) as im:
            assert im.n_frames == FRAMES and im.size[0] > 128
    assert main(["show", str(tmp_path), "--animate"]) == 2  # not a sequence run


def test_smplx_motion_files_play_as_motion(synthetic_smplx_dir, tmp_path):
    """AMASS-style files (Z up, 60 fps) played at 30 fps: the bodies turn as the file's root turns
    (relative world orientation to 1e-4), labels replay through SMPL-X, the weight-bearing foot stays."""
    from genb.render.bodies.rotations import axis_angle_to_matrix, matrix_to_axis_angle
    from genb.sequence.stage import run_sequences

    motions = tmp_path / "motions"
    motions.mkdir()
    n = 40
    heading = np.radians(np.linspace(0, 60, n))  # turning left 60 degrees over the file
    up = axis_angle_to_matrix(np.array([np.pi / 2, 0, 0]))  # SMPL's y-up body stood up in a z-up world
    root = np.stack([matrix_to_axis_angle(gait.rot_z(np.degrees(h)) @ up) for h in heading])
    body = np.tile(np.random.default_rng(0).normal(0, 0.1, 63), (n, 1)) + np.linspace(0, 0.2, n)[:, None]
    poses = np.concatenate([root, body, np.zeros((n, 99))], axis=1)
    np.savez(motions / "turn.npz", poses=poses, trans=np.zeros((n, 3)), mocap_framerate=np.array(60.0))
    cfg = _cfg(num_samples=1, body="smplx", smplx_dir=str(synthetic_smplx_dir), motion_dir=str(motions),
               motion_prob=1.0, image_size=(96, 72), num_people=(1, 2))
    run_sequences(tmp_path / "run", cfg)
    seq = tmp_path / "run" / "sequences" / "000000"
    record = json.loads((seq / "sequence.json").read_text())
    assert all(p["motion"].startswith("turn.npz:") for p in record["people"])
    arrays = np.load(seq / "sequence.npz")
    start = int(record["people"][0]["motion"].split(":")[1])
    R = axis_angle_to_matrix(arrays["world_smplx_global_orient"][:, 0].astype(np.float64))  # (T, 3, 3)
    for t in range(FRAMES):
        Rf = axis_angle_to_matrix(poses[(start + 2 * t) % n, :3]) @ axis_angle_to_matrix(poses[start % n, :3]).T
        np.testing.assert_allclose(R[t] @ R[0].T, Rf, atol=1e-4)
    lab = np.load(_frame(tmp_path / "run", 0, 2) / "labels.npz")
    np.testing.assert_allclose(to_camera(arrays["world_joints3d"][2].astype(np.float64), arrays["cam_ext"][2]),
                               lab["joints3d"], atol=1e-4)


def test_enhance_a_sequence_run_writes_flicker(seq_run, tiny_pipeline_dir, tmp_path):
    from genb.cli import main

    copy = tmp_path / "run"
    shutil.copytree(seq_run, copy)
    assert main(["enhance", str(copy), "--preset", "tiny", "--noise", "0.4", "--steps", "5", "--threads", "1"]) == 0
    report = json.loads((copy / "flicker-noise-0.40.json").read_text())
    assert set(report["sequences"]) == {"000000", "000001"}
    assert 0 <= report["mean"]["render"] < report["mean"]["enhanced"]


def test_frame_labels_replay_through_the_body_model(seq_run, anny):
    for t in (0, FRAMES - 1):
        lab = np.load(_frame(seq_run, 0, t) / "labels.npz")
        params = {k[len("anny_"):]: lab[k].astype(np.float64) for k in lab.files if k.startswith("anny_")}
        verts, kps = anny.forward_params(params)  # camera-frame parameters -> camera-frame geometry
        np.testing.assert_allclose(kps, lab["keypoints3d"], atol=2e-3)
        uv = project(verts[:, lab["proj_vert_ids"]].astype(np.float64), lab["cam_int"].astype(np.float64))
        assert np.abs(uv - lab["proj_verts"]).max() < 0.5
