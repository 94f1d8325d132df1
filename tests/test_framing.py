"""Every shipped preset states the framing it aims for in its YAML; measure it on real renders."""

from pathlib import Path

import pytest

from genb.config import resolve_config
from genb.render.config import RenderConfig
from genb.render.framing import framing_stats, meets, parse_target
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
    assert target["median_area"] >= 0.15 and target["kp12"] >= 0.8
