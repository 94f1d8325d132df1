"""Every shipped preset states the framing it aims for in its YAML; measure it on real renders."""

from pathlib import Path

import pytest

from genb.config import resolve_config
from genb.render.config import RenderConfig
from genb.render.scene.framing import framing_stats, meets, parse_target
from genb.render.stage import RenderStage

PRESETS = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "configs" / "render").glob("*.yaml"))
SAMPLES = {"closeup": 12}


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_meets_its_framing_target(preset):
    cfg = resolve_config(RenderConfig, "render", preset, {"num_samples": 8})
    target = parse_target(cfg.framing)
    assert target, f"configs/render/{preset}.yaml states no framing target"
    w, h = cfg.image_size
    cfg = resolve_config(RenderConfig, "render", preset, {
        "num_samples": SAMPLES.get(preset, 6), "image_size": (w // 4 // 8 * 8, h // 4 // 8 * 8),
        "shadows": False, "camera_effects": False})  # neither changes where people are
    stage = RenderStage(cfg)
    rows = []
    for i in range(cfg.num_samples):
        s = stage(i)
        H, W = s.depth.shape
        rows.append((s.labels["mask_area"] / (H * W), s.labels["keypoints_in_frame"]))
    stage.close()
    stats = framing_stats(rows)
    assert not meets(stats, cfg.framing), (preset, stats)


def test_closeup_frames_close_ups():
    target = parse_target(resolve_config(RenderConfig, "render", "closeup", {}).framing)
    assert target["median_area"] >= 0.13 and target["kp12"] >= 0.8


# ----------------------------------------------------------------------------- issue 18: framing that holds

FRAMING_CHECKS = {"bedlam": 16, "closeup": 16}  # preset -> samples


@pytest.mark.parametrize("preset", sorted(FRAMING_CHECKS))
def test_every_sample_frames_someone_and_keeps_its_ranges(preset):
    """Rendered at 256x192: every sample has a person with >= 13 keypoints visible and
    in frame; pitch and camera height stay inside the preset's ranges; bedlam: at most 10 % of images
    more than half sky or with the largest person under 3 %; closeup: >= 90 % framed torsos inside."""
    import numpy as np

    from genb.render.scene.framing import sample_framing

    cfg = resolve_config(RenderConfig, "render", preset, {
        "num_samples": FRAMING_CHECKS[preset], "image_size": (256, 192), "seed": 73,
        "shadows": False, "camera_effects": False})
    stage = RenderStage(cfg)
    rows = [sample_framing(s.labels, s.images["parts"], s.depth, s.scene)
            for s in (stage(i) for i in range(cfg.num_samples))]
    stage.close()
    assert all(r["best_visible"] >= 13 for r in rows), [r["best_visible"] for r in rows]
    lo, hi = cfg.camera_pitch_deg
    assert all(lo - 1e-6 <= r["pitch"] <= hi + 1e-6 for r in rows)
    assert all(cfg.camera_height[0] - 1e-6 <= r["camera_height"] <= cfg.camera_height[1] + 1e-6 for r in rows)
    if preset == "bedlam":
        assert np.mean([r["sky"] > 0.5 for r in rows]) <= 0.1
        assert np.mean([r["largest_area"] < 0.03 for r in rows]) <= 0.1
    if preset == "closeup":
        assert np.mean([r["torso_inside"] for r in rows]) >= 0.9


def test_sky_fraction_follows_the_pitch():
    import numpy as np

    from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
    from genb.render.scene.framing import sky_fraction

    K = intrinsics_from_fov(60.0, 64, 48)
    frac = [sky_fraction(K, extrinsics(np.array([0, 0, 1.5]), camera_to_world_rotation(0, p, 0)), 64, 48)
            for p in (0, 20, -40)]
    assert abs(frac[0] - 0.5) < 0.05 and frac[1] > 0.8 and frac[2] == 0.0


def test_hidden_by_meshes_hides_what_lies_behind_a_box_only():
    import numpy as np

    from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
    from genb.render.scene.framing import hidden_by_meshes
    from genb.render.scene.props import box_mesh

    K = intrinsics_from_fov(50.0, 64, 48)
    ext = extrinsics(np.array([0.0, 0.0, 1.0]), camera_to_world_rotation(0.0, 0.0, 0.0))  # looks along +y
    v, f, _ = box_mesh([0.4, 0.1, 0.4], [0.0, 3.0, 0.8])  # a box 3 m ahead, z 0.8..1.2
    pts = np.array([[0.0, 4.0, 1.0],    # behind the box: hidden
                    [0.0, 2.0, 1.0],    # in front of it: seen
                    [1.0, 4.0, 1.0],    # beside it: seen
                    [0.0, 2.96, 1.0]])  # 1 cm inside its front face (within eps): seen
    assert hidden_by_meshes(pts, [(v, f)], K, ext).tolist() == [True, False, False, False]


def test_aim_person_frames_short_and_tall_people_inside_the_ranges():
    """The camera's height follows the person (closeup: a crouching child and a tall adult alike), and the
    person's exact projection meets the preset's apparent height and head row."""
    import numpy as np

    from genb.render.scene.framing import aim_person
    from genb.render.scene.sample import sample_camera

    cfg = resolve_config(RenderConfig, "render", "closeup", {"image_size": (256, 192)})
    rng = np.random.default_rng(5)
    found = 0
    for height in (0.85, 1.1, 1.7, 1.95):
        for _ in range(10):
            cam = sample_camera(rng, cfg)
            got = aim_person(rng, cfg, cam, height, 0.35)
            if got is None:
                continue
            found += 1
            c, xy = got
            assert cfg.camera_height[0] <= c <= cfg.camera_height[1]
            cam.position[2] = c
            K, ext = cam.K, cam.cam_ext
            ends = np.array([[*xy, 0.0], [*xy, height]]) @ ext[:3, :3].T + ext[:3, 3]
            v = ends[:, 1] / ends[:, 2] * K[1, 1] + K[1, 2]
            feet, head = v / (cam.height - 1)
            frac = K[1, 1] * height / ends[0, 2] / cam.height
            assert cfg.person_height_frac[0] - 1e-6 <= frac <= cfg.person_height_frac[1] + 1e-6
            assert cfg.feet_row[0] - 1e-6 <= feet <= cfg.feet_row[1] + 1e-6
            assert cfg.head_row[0] - 1e-6 <= head <= cfg.head_row[1] + 1e-6
    assert found >= 30


@pytest.mark.parametrize("preset", ["closeup", "bedlam"])
def test_the_fallback_alone_frames_someone_inside_the_ranges(preset):
    """With no ordinary draw (frame_tries 0) every sample comes from the fallback: it is checked like a draw, so
    every render has a person with >= 13 keypoints visible and in frame, without the renderer's re-draw;
    pitch and camera height stay in the preset's ranges; the framed torso is inside."""
    from genb.render.scene.framing import sample_framing

    cfg = resolve_config(RenderConfig, "render", preset, {
        "num_samples": 8, "image_size": (256, 192), "seed": 5, "frame_tries": 0,
        "shadows": False, "camera_effects": False})
    stage = RenderStage(cfg)
    samples = [stage.finish(stage.prepare(i)) for i in range(cfg.num_samples)]  # no re-draw
    stage.close()
    lo, hi = cfg.camera_pitch_deg
    for s in samples:
        assert s.scene["framing"]["fallback"] and s.scene["framing"]["framed_person"] is not None
        r = sample_framing(s.labels, s.images["parts"], s.depth, s.scene)
        assert r["best_visible"] >= 13, r
        assert lo - 1e-6 <= r["pitch"] <= hi + 1e-6
        assert cfg.camera_height[0] - 1e-6 <= r["camera_height"] <= cfg.camera_height[1] + 1e-6
        p = s.scene["framing"]["framed_person"]
        u = s.labels["keypoints2d"][p][[1, 2, 5, 8, 9, 12], 0]  # neck, shoulders, hips
        assert (u >= 0).all() and (u <= s.depth.shape[1] - 1).all()


def test_a_render_that_frames_nobody_is_drawn_again():
    """The renderer's own check: a sample whose render frames nobody (here: asking for 26 of the 25 keypoints) is drawn again through the fallback, at most REDRAWS times, deterministically."""
    from genb.render import stage as stage_module

    cfg = resolve_config(RenderConfig, "render", "demo", {
        "num_samples": 2, "image_size": (128, 96), "seed": 3, "shadows": False, "camera_effects": False})
    stage = RenderStage(cfg)
    first = stage(0)
    assert stage.frames_someone(first) and "retry" not in first.scene["framing"]
    stage.cfg = resolve_config(RenderConfig, "render", "demo", {
        "num_samples": 2, "image_size": (128, 96), "seed": 3, "shadows": False, "camera_effects": False,
        "min_framed_keypoints": 26})
    stage.framer.cfg = stage.cfg
    again = stage(0)
    assert again.scene["framing"]["retry"] == stage_module.REDRAWS
    assert again.scene["framing"]["fallback"]
    assert stage(0).scene == again.scene  # the re-draws depend only on (seed, index)
    stage.close()


def test_the_pipeline_draws_unframed_samples_again_as_a_single_render_does(tmp_path):
    """run_render's threaded pipeline re-draws on its preparing thread: the written scene equals a plain
    RenderStage call's (the re-draws depend only on seed and index, not on the thread that made them)."""
    import json

    from genb.render.run import run_render

    over = {"num_samples": 2, "image_size": (64, 48), "seed": 4, "shadows": False, "camera_effects": False,
            "min_framed_keypoints": 26, "num_people": (1, 2)}
    run_render(tmp_path / "run", RenderConfig(**over))
    stage = RenderStage(RenderConfig(**over))
    for i in range(2):
        written = json.loads((tmp_path / "run" / "samples" / f"{i:06d}" / "scene.json").read_text())
        assert written["framing"]["retry"] == 3
        assert written == json.loads(json.dumps(stage(i).scene))
    stage.close()
