"""genb sweep, the parts that need no pipeline: realism metrics, statistics, recommendation, table, pictures."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from genb.errors import GenbError
from genb.realism import RandomConvFeatures, RealismMeter, load_feature_extractor, resize_batch
from genb.sweep import (
    SweepConfig, accuracy_row, csv_text, markdown_text, plot_png, recommend, spread, table_columns,
)


def _images(n: int, seed: int, shift: int = 0, size=(48, 64)) -> list[np.ndarray]:
    """Images with structure (a dark left half, a bright disc) plus noise; ``shift`` brightens them."""
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[:h, :w]
    out = []
    for _ in range(n):
        img = rng.normal(120, 30, (h, w, 3))
        img[:, : w // 2] *= 0.5
        cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < (h / 5) ** 2] += 80
        out.append(np.clip(img + shift, 0, 255).astype(np.uint8))
    return out


@pytest.fixture(scope="module")
def small_extractor():
    module, info = load_feature_extractor("random-cnn:32", fallback="none")
    return module, info


# ----------------------------------------------------------------------------- realism


def test_fid_kid_behave(small_extractor):
    module, info = small_extractor
    ref = _images(24, seed=0)
    meter = RealismMeter(module, info, ref, batch_size=8, kid_subsets=20)
    same = meter(ref)
    similar = meter(_images(24, seed=1))
    shifted = meter(_images(24, seed=1, shift=70))
    assert same.fid == pytest.approx(0.0, abs=1e-3)
    assert abs(same.kid_mean) < 0.01
    # a set against itself ~ 0 < a fresh draw of the same distribution < a shifted set
    assert similar.fid < shifted.fid and shifted.fid > 10 * max(similar.fid, 1e-3)
    assert shifted.kid_mean > similar.kid_mean
    assert (shifted.num_images, shifted.num_reference) == (24, 24)
    # repeatable: the same images give the same numbers
    again = meter(_images(24, seed=1, shift=70))
    assert again.fid == pytest.approx(shifted.fid, rel=1e-5)
    assert again.kid_mean == pytest.approx(shifted.kid_mean, rel=1e-5)


def test_meter_needs_two_images(small_extractor):
    module, info = small_extractor
    with pytest.raises(GenbError, match="at least 2"):
        RealismMeter(module, info, _images(1, seed=0))
    meter = RealismMeter(module, info, _images(4, seed=0))
    with pytest.raises(GenbError, match="at least 2"):
        meter(_images(1, seed=3))


def test_inception_unavailable_falls_back_and_says_so(monkeypatch):
    import genb.realism as realism

    def broken(weights):
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(realism, "_inception", broken)
    module, info = load_feature_extractor("inception", fallback="random-cnn:16")
    assert info.name == "random-cnn:16" and info.requested == "inception" and not info.comparable
    assert "could not be loaded" in info.fallback_reason and "name resolution" in info.fallback_reason
    assert "fallback from 'inception'" in info.describe() and "NOT comparable" in info.describe()
    assert module(torch.zeros(2, 3, 32, 32, dtype=torch.uint8)).shape == (2, 16)
    with pytest.raises(GenbError, match="Inception weights") as e:
        load_feature_extractor("inception", fallback="none")
    assert "--inception-weights" in e.value.fix


def test_any_module_with_num_features_plugs_in():
    class Means(torch.nn.Module):
        num_features = 6
        input_size = 16

        def forward(self, x):
            x = x.float()
            return torch.cat([x.mean(dim=(2, 3)), x.std(dim=(2, 3))], dim=1)

    module, info = load_feature_extractor(Means(), fallback="none")
    assert (info.name, info.num_features, info.input_size) == ("Means", 6, 16)
    meter = RealismMeter(module, info, _images(8, seed=0))
    assert meter(_images(8, seed=1, shift=60)).fid > meter(_images(8, seed=1)).fid
    with pytest.raises(GenbError, match="num_features"):
        load_feature_extractor(torch.nn.Identity(), fallback="none")
    with pytest.raises(GenbError, match="unknown feature extractor"):
        load_feature_extractor("vgg", fallback="none")


def test_hf_backbone_from_local_folder(tmp_path):
    """A transformers backbone saved with save_pretrained loads through the same code users get."""
    import transformers

    torch.manual_seed(0)
    cfg = transformers.Dinov2Config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                    intermediate_size=32, image_size=32, patch_size=8)
    transformers.Dinov2Model(cfg).save_pretrained(tmp_path / "dino")
    module, info = load_feature_extractor(f"hf:{tmp_path / 'dino'}", fallback="none")
    assert (info.num_features, info.input_size) == (16, 32)
    meter = RealismMeter(module, info, _images(8, seed=0))
    assert meter(_images(8, seed=0)).fid == pytest.approx(0.0, abs=1e-3)
    with pytest.raises(GenbError, match="could not load the vision model"):
        load_feature_extractor(f"hf:{tmp_path / 'missing'}", fallback="none")


def test_random_cnn_is_fixed_by_its_seed():
    x = torch.randint(0, 255, (3, 3, 40, 40), dtype=torch.uint8)
    assert torch.equal(RandomConvFeatures(8, seed=0)(x), RandomConvFeatures(8, seed=0)(x))
    assert not torch.equal(RandomConvFeatures(8, seed=0)(x), RandomConvFeatures(8, seed=1)(x))


def test_resize_batch_shapes():
    batch = resize_batch([np.zeros((30, 50, 3), np.uint8), np.full((80, 20, 3), 7, np.uint8)], 24)
    assert batch.shape == (2, 3, 24, 24) and batch.dtype == torch.uint8 and int(batch[1].max()) == 7


# ----------------------------------------------------------------------------- accuracy statistics


def test_spread_skips_missing():
    s = spread([1.0, None, 2.0, float("nan"), 3.0, 4.0])
    assert s["mean"] == pytest.approx(2.5) and s["median"] == pytest.approx(2.5)
    assert s["std"] == pytest.approx(np.std([1, 2, 3, 4])) and s["p90"] == pytest.approx(3.7)
    assert all(math.isnan(v) for v in spread([None, float("nan")]).values())


def test_accuracy_row_from_check_records():
    checks = [
        {"accepted": True, "people": [{"status": "accepted", "keypoint_drift": 0.1, "mask_iou": 0.9, "flow_drift": 0.01},
                                      {"status": "skipped", "keypoint_drift": 5.0}]},
        {"accepted": False, "people": [{"status": "rejected", "keypoint_drift": 0.3, "mask_iou": 0.5,
                                        "flow_drift": None, "relative_drift": 0.2}]},
        {"accepted": True, "people": []},
    ]
    row = accuracy_row(checks)
    assert (row["num_checked"], row["num_accepted"], row["num_people"]) == (3, 2, 2)
    assert row["acceptance_rate"] == pytest.approx(2 / 3)
    assert row["keypoint_drift_mean"] == pytest.approx(0.2)  # the skipped person does not count
    assert row["silhouette_iou_median"] == pytest.approx(0.7)
    assert row["flow_displacement_mean"] == pytest.approx(0.01) and row["flow_displacement_std"] == 0.0
    assert row["relative_drift_p90"] == pytest.approx(0.2)


# ----------------------------------------------------------------------------- recommendation


def _rows(acceptance, fid):
    return [{"noise": s, "acceptance_rate": a, "fid": f}
            for s, a, f in zip((0.0, 0.2, 0.4, 0.6, 0.8), acceptance, fid)]


def test_recommendation_follows_the_floor():
    rows = _rows([1.0, 0.95, 0.85, 0.6, 0.3], [90.0, 70.0, 50.0, 40.0, 35.0])
    assert recommend(rows, 0.9).noise == 0.2
    assert recommend(rows, 0.8).noise == 0.4
    assert recommend(rows, 0.5).noise == 0.6
    assert recommend(rows, 0.0).noise == 0.8
    assert recommend(rows, 0.85).noise == 0.4  # the floor is inclusive
    # raising the floor never recommends a more realistic (lower-FID) level
    fids = {r["noise"]: r["fid"] for r in rows}
    picks = [recommend(rows, f).noise for f in np.linspace(0, 1, 21)]
    chosen = [fids[p] for p in picks if p is not None]
    assert chosen == sorted(chosen)
    assert recommend(rows, 1.0).noise == 0.0  # only the un-noised level keeps everything
    impossible = recommend(_rows([0.5, 0.4, 0.3, 0.2, 0.1], [5, 4, 3, 2, 1]), 0.8)
    assert impossible.noise is None and "50%" in impossible.reason and "0.00" in impossible.reason


def test_recommendation_ranks_by_realism_not_noise():
    # realism need not grow with noise: the lowest FID above the floor wins
    rows = _rows([1.0, 1.0, 0.9, 0.9, 0.9], [80.0, 30.0, 45.0, 60.0, 70.0])
    rec = recommend(rows, 0.8)
    assert rec.noise == 0.2 and "FID 30" in rec.reason


def test_recommendation_without_realism_takes_highest_noise_above_floor():
    rows = _rows([1.0, 0.9, 0.7, 0.5, 0.2], [math.nan] * 5)
    rec = recommend(rows, 0.6)
    assert rec.noise == 0.4 and "--reference" in rec.reason


# ----------------------------------------------------------------------------- table and pictures


def _table():
    rows = []
    for s, a in ((0.2, 1.0), (0.4, 0.75), (0.6, 0.25)):
        checks = [{"accepted": k < 4 * a, "people": [{"status": "accepted", "keypoint_drift": s * (k + 1) / 10,
                                                       "relative_drift": s / 20, "mask_iou": 1 - s / (k + 1),
                                                       "flow_drift": s / 10}]} for k in range(4)]
        rows.append({"noise": s, **accuracy_row(checks), "fid": 100 * (1 - s), "kid_mean": 0.1 * (1 - s),
                     "kid_std": 0.01, "num_realism_images": 4, "num_reference": 8, "steps_run": 10 * s})
    return rows


def test_csv_and_markdown():
    rows = _table()
    rec = recommend(rows, 0.7)
    assert rec.noise == 0.4
    parsed = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert [float(r["noise"]) for r in parsed] == [0.2, 0.4, 0.6]
    assert list(parsed[0]) == table_columns(rows)
    assert all(v != "" for r in parsed for v in r.values())
    assert float(parsed[1]["acceptance_rate"]) == 0.75
    md = markdown_text(rows, rec, "random-cnn (test)", "/refs", 0.7)
    table = [line for line in md.splitlines() if line.startswith("| 0.")]
    assert len(table) == 3 and "★" in table[1] and "★" not in table[0] + table[2]
    assert "random-cnn (test)" in md and "recommended noise: 0.40" in md and "p90" in md
    # NaN realism becomes empty cells and dashes
    rows[0]["fid"] = math.nan
    assert list(csv.DictReader(io.StringIO(csv_text(rows))))[0]["fid"] == ""
    assert "| — |" in markdown_text(rows, rec, "x", None, 0.7)


def test_plot_is_a_png():
    rows = _table()
    data = plot_png(rows, recommend(rows, 0.7), 0.7, "random-cnn (test)")
    img = Image.open(io.BytesIO(data))
    img.verify()
    assert img.format == "PNG" and img.size[0] > 400 and img.size[1] > 300
    # without realism, the x axis falls back to the noise level
    for r in rows:
        r["fid"] = math.nan
    assert Image.open(io.BytesIO(plot_png(rows, recommend(rows, 0.7), 0.7, "none"))).format == "PNG"


def test_config_validation():
    with pytest.raises(GenbError, match="0..1"):
        SweepConfig(noise=(0.2, 1.4)).validate()
    with pytest.raises(GenbError, match="repeated"):
        SweepConfig(noise=(0.2, 0.2)).validate()
    with pytest.raises(GenbError, match="min-acceptance"):
        SweepConfig(min_acceptance=2.0).validate()
    with pytest.raises(GenbError, match="reference folder"):
        SweepConfig(reference="/nonexistent/refs").validate()
    SweepConfig().validate()


def test_default_preset_resolves():
    from genb.config import resolve_config

    cfg = resolve_config(SweepConfig, "sweep", "default")
    assert cfg.noise == (0.0, 0.2, 0.4, 0.6, 0.8) and cfg.feature_extractor == "inception"


def test_stage_flags_for_every_level():
    """--check-args/--enhance-args go through the stage's own config; bad flags are one clear error."""
    from genb.sweep import _stage_config

    cfg = _stage_config("genb.check.stage", "CheckConfig", "check", "flow_only", "--max-flow-drift 0.2", 0.6)
    assert (cfg.noise, cfg.max_flow_drift, tuple(cfg.measures)) == (0.6, 0.2, ("flow",))
    # noise 0 is the un-noised baseline: accepted even where the stage's own flag is (0, 1]
    assert _stage_config("genb.check.stage", "CheckConfig", "check", None, "", 0.0).noise == 0.0
    with pytest.raises(GenbError, match="does not take: --bogus"):
        _stage_config("genb.check.stage", "CheckConfig", "check", None, "--bogus 1", 0.4)
    with pytest.raises(GenbError, match="max-flow-drift"):
        _stage_config("genb.check.stage", "CheckConfig", "check", None, "--max-flow-drift -1", 0.4)
