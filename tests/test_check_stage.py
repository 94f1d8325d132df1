"""``genb check`` end to end: learned estimators from tiny saved models, the CLI, resuming, sharding,
summaries, accepted_ids, missing models, the overlay for ``genb show --rejected``."""

import dataclasses
import json

import numpy as np
import pytest

from _fixtures_check import Drift, apply_drift, enhance_with
from genb.check import metrics
from genb.check.estimators import ModelUnavailable, SamSegmenter, VitPoseEstimator
from genb.core.draw import overlay_check
from genb.check.stage import Checker, CheckConfig, accepted_ids, load_config, run_check
from genb.cli import main
from genb.errors import GenbError

NOISE = 0.4


def _drift_largest(i, render, run):
    """Sample 0 unchanged; other samples with their largest person shifted by 12% of its box."""
    if i == 0:
        return render
    labels, instances = run.labels(i), run.instances(i)
    p = int(np.argmax(labels["mask_area"]))
    size = float(metrics.box_size(labels["bbox"][p]))
    return apply_drift(render, instances, p, Drift(shift=(0.12 * size, 0.0)))[0]


def test_tiny_learned_estimators_load_from_folders_and_run(check_run, tiny_vitpose_dir, tiny_sam_dir):
    i = check_run.sample_ids()[0]
    image, labels = check_run.image(i), check_run.labels(i)
    boxes = labels["bbox"]
    pose = VitPoseEstimator(str(tiny_vitpose_dir), device="cpu")(image, boxes)
    assert pose.keypoints.shape == (len(boxes), 25, 2) and pose.scores.shape == (len(boxes), 25)
    predicted = np.isfinite(pose.keypoints).all(-1)
    assert predicted.sum(-1).tolist() == [17] * len(boxes)  # COCO-17 mapped to BODY25, feet and mid-hip NaN
    assert not predicted[:, [8, 19, 20, 21, 22, 23, 24]].any()
    # keypoints land in the (padded) box they were asked about
    for k, (x0, y0, x1, y1) in zip(pose.keypoints, boxes):
        pad = 0.5 * max(x1 - x0, y1 - y0)
        kk = k[np.isfinite(k).all(-1)]
        assert (kk[:, 0] >= x0 - pad).all() and (kk[:, 0] <= x1 + pad).all()
    masks = SamSegmenter(str(tiny_sam_dir), device="cpu")(image, boxes)
    assert masks.shape == (len(boxes), *image.shape[:2]) and masks.dtype == bool


def test_vitpose_keypoints_stay_in_the_crop_the_model_saw():
    """The processor's DARK refinement can throw a point off a peakless heatmap (a random model's: 20 px past
    the crop of a 34 x 41 px box); the estimator keeps each point in the crop its heatmap spans (the box grown
    to the input's 48:64 aspect, then by 1.25), and leaves points inside it as they are."""
    from genb.check.estimators import _in_crop

    box = np.array([80.5, 44.5, 34.0, 41.0])  # x, y, w, h: 34 x 41 -> a 42.5 x 56.67 crop centred on (97.5, 65)
    k = np.array([[139.1, 65.0], [97.5, 20.0], [90.0, 70.0], [76.3, 93.3]], np.float32)
    got = _in_crop(k, box, (48, 64))
    assert np.allclose(got, [[118.75, 65.0], [97.5, 65 - 56.6667 / 2], [90.0, 70.0], [76.3, 93.3]], atol=1e-3), got


def test_genb_check_cli_with_tiny_models(check_run, tiny_vitpose_dir, tiny_sam_dir, capsys):
    enhance_with(check_run, NOISE, lambda i, r: _drift_largest(i, r, check_run))
    args = ["check", str(check_run.root), "--noise", str(NOISE), "--pose-model", str(tiny_vitpose_dir),
            "--sam-model", str(tiny_sam_dir), "--device", "cpu", "--min-box-px", "16"]
    assert main(args) == 0
    assert "accepted" in capsys.readouterr().out
    check_dir = check_run.check_dir(NOISE)
    ids = check_run.sample_ids()
    records = [json.loads((check_dir / f"{i:06d}.json").read_text()) for i in ids]
    for r in records:
        assert r["measures"] == ["keypoints", "relative", "mask", "flow"]
        assert r["estimators"]["pose"] == "vitpose" and r["estimators"]["segmenter"] == "sam"
        for p in r["people"]:
            if p["status"] != "skipped":
                assert 0.0 <= p["mask_iou"] <= 1.0 and p["flow_drift"] >= 0.0
                assert p["keypoint_drift"] is None or p["keypoint_drift"] >= 0.0
                assert len(p["keypoints_detected"]) == 25
    for name in ("summary.csv", "summary.json", "summary.png", "check.yaml"):
        assert (check_dir / name).is_file(), name
    # resuming checks nothing again; decisions stay as they were
    mtimes = [(check_dir / f"{i:06d}.json").stat().st_mtime_ns for i in ids]
    assert main(args) == 0
    assert [(check_dir / f"{i:06d}.json").stat().st_mtime_ns for i in ids] == mtimes


def test_flow_only_run_check_summary_and_accepted_ids(check_run):
    enhance_with(check_run, NOISE, lambda i, r: _drift_largest(i, r, check_run))
    cfg = load_config("flow_only", noise=NOISE, min_box_px=16)
    summary = run_check(check_run, cfg)
    ids = check_run.sample_ids()
    assert summary.num_checked == summary.num_enhanced == len(ids) and summary.newly_checked == len(ids)
    acc = accepted_ids(check_run, NOISE)
    assert 0 in acc  # the untouched render
    assert set(acc) < set(ids)  # at least one shifted sample rejected
    assert summary.num_accepted == len(acc)
    assert summary.acceptance_rate == pytest.approx(len(acc) / len(ids))
    assert summary.rejections.get("flow_drift", 0) >= 1
    flow = summary.scores["flow_drift"]
    assert np.isfinite(flow).sum() == summary.people.get("accepted", 0) + summary.people.get("rejected", 0)
    info = json.loads((summary.check_dir / "summary.json").read_text())
    assert info["acceptance_rate"] == pytest.approx(summary.acceptance_rate)
    assert info["distributions"]["flow_drift"]["count"] == int(np.isfinite(flow).sum())
    assert info["thresholds"] == {"max_flow_drift": 0.04}
    rows = (summary.check_dir / "summary.csv").read_text().splitlines()
    assert rows[0].startswith("sample,person,status") and len(rows) == 1 + sum(summary.people.values())
    # a second noise level shows up in the same plot; the plot is a PNG
    enhance_with(check_run, 0.8, lambda i, r: r)
    s2 = run_check(check_run, load_config("flow_only", noise=0.8, min_box_px=16))
    assert s2.acceptance_rate == 1.0
    assert (s2.check_dir / "summary.png").read_bytes()[:4] == b"\x89PNG"


def test_sharded_checks_equal_one_process(check_run, monkeypatch, tmp_path):
    import shutil

    enhance_with(check_run, NOISE, lambda i, r: _drift_largest(i, r, check_run))
    other = type(check_run)(tmp_path / "copy")
    shutil.copytree(check_run.root, other.root)
    cfg = load_config("flow_only", noise=NOISE, min_box_px=16)
    run_check(check_run, cfg)
    for rank in (1, 0):
        monkeypatch.setenv("GENB_SHARD", f"{rank}/2")
        run_check(other, cfg)
    for i in check_run.sample_ids():
        a = json.loads((check_run.check_dir(NOISE) / f"{i:06d}.json").read_text())
        b = json.loads((other.check_dir(NOISE) / f"{i:06d}.json").read_text())
        assert a == b
    assert accepted_ids(check_run, NOISE) == accepted_ids(other, NOISE)


def test_missing_model_is_one_clear_error_or_a_logged_fallback(check_run, tmp_path, caplog):
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(ModelUnavailable) as e:
        Checker(CheckConfig(pose_model=missing))
    assert "pose estimator" in e.value.problem and missing in e.value.problem
    assert "--pose-model" in e.value.fix and "flow_only" in e.value.fix
    with pytest.raises(GenbError, match="segmenter"):
        Checker(CheckConfig(measures=("mask",), sam_model=missing))
    # a hub id that cannot be reached (tests run with HF_HUB_OFFLINE=1)
    with pytest.raises(ModelUnavailable, match="genb-test/not-a-model"):
        Checker(CheckConfig(measures=("mask",), sam_model="genb-test/not-a-model"))
    import logging

    genb_logger = logging.getLogger("genb")
    genb_logger.addHandler(caplog.handler)  # genb's logger does not propagate to the root logger
    try:
        checker = Checker(CheckConfig(pose_model=missing, fallback_to_flow=True))
    finally:
        genb_logger.removeHandler(caplog.handler)
    assert checker.measures == ("flow",)
    assert "optical flow only" in caplog.text and "no-such-model" in caplog.text
    # through the CLI: exit status 2, existing outputs untouched
    enhance_with(check_run, NOISE, lambda i, r: r)
    assert main(["check", str(check_run.root), "--noise", str(NOISE), "--pose-model", missing]) == 2
    assert not list(check_run.check_dir(NOISE).glob("0*.json"))


def test_bad_inputs_are_clear_errors(check_run, tmp_path):
    with pytest.raises(GenbError, match="no enhanced images"):
        run_check(check_run, load_config("flow_only", noise=0.3))
    with pytest.raises(GenbError, match="not a genb run folder"):
        run_check(tmp_path, load_config("flow_only"))
    with pytest.raises(GenbError, match="no check decisions"):
        accepted_ids(check_run, 0.3)


def test_overlay_draws_decision_and_detected_pose(check_run):
    i = check_run.sample_ids()[0]
    render, labels, instances = check_run.image(i), check_run.labels(i), check_run.instances(i)
    p = int(np.argmax(labels["mask_area"]))
    size = float(metrics.box_size(labels["bbox"][p]))
    moved, _ = apply_drift(render, instances, p, Drift(shift=(0.12 * size, 0.0)))
    from _fixtures_check import GroundTruthPose

    pose = GroundTruthPose()
    pose.register(render, labels)
    pose.register(moved, labels, Drift(shift=(0.12 * size, 0.0)), person=p)
    rec = Checker(CheckConfig(measures=("keypoints", "relative"), min_box_px=16), pose_estimator=pose)(
        render, moved, labels, instances).record
    assert not rec["accepted"]
    out = overlay_check(moved, labels, rec)
    assert out.shape == moved.shape and out.dtype == np.uint8
    assert (out != moved).any(axis=-1).mean() > 0.01
    # red (detected) pixels appear along the shifted person's keypoints
    det = np.array(rec["people"][p]["keypoints_detected"][1])  # neck
    x, y = np.round(det).astype(int)
    patch = out[max(0, y - 2): y + 3, max(0, x - 2): x + 3].reshape(-1, 3)
    assert ((patch[:, 0] > 200) & (patch[:, 1] < 100)).any()


def test_openpose_without_controlnet_aux_is_a_clear_error():
    try:
        import controlnet_aux  # noqa: F401
    except Exception:
        pass
    else:
        pytest.skip("controlnet-aux is importable here")
    with pytest.raises(ModelUnavailable, match="controlnet-aux") as e:
        Checker(CheckConfig(pose_estimator="openpose", measures=("keypoints",)))
    assert "--pose-estimator vitpose" in e.value.fix


def test_genb_show_rejected_draws_the_checker_overlay(check_run, tmp_path):
    from genb.core.io import read_image

    enhance_with(check_run, NOISE, lambda i, r: _drift_largest(i, r, check_run))
    run_check(check_run, load_config("flow_only", noise=NOISE, min_box_px=16))
    rejected = sorted(set(check_run.sample_ids()) - set(accepted_ids(check_run, NOISE)))
    assert rejected
    out = tmp_path / "rejected.png"
    assert main(["show", str(check_run.root), "--noise", str(NOISE), "--rejected", "--out", str(out)]) == 0
    sheet = read_image(out)
    assert sheet.ndim == 3 and sheet.shape[0] > 50


def test_check_scores_do_not_follow_the_callers_thread_count(check_run, tiny_vitpose_dir, tiny_sam_dir):
    """Unset --threads means one torch thread on CPU: the records are the same bytes whatever thread
    count the calling process (or a launcher's OMP_NUM_THREADS) had set."""
    import torch

    enhance_with(check_run, NOISE, lambda i, r: _drift_largest(i, r, check_run))
    cfg = CheckConfig(noise=NOISE, pose_model=str(tiny_vitpose_dir), sam_model=str(tiny_sam_dir), device="cpu",
                      min_box_px=16)
    check_dir = check_run.check_dir(NOISE)
    before = torch.get_num_threads()
    records = []
    try:
        for n in (2, 1):
            torch.set_num_threads(n)
            run_check(check_run, dataclasses.replace(cfg, redo=True))
            assert torch.get_num_threads() == 1  # set by the stage, whatever the caller had
            records.append({p.name: p.read_bytes() for p in sorted(check_dir.glob("0*.json"))})
    finally:
        torch.set_num_threads(before)
    assert records[0] and records[0] == records[1]
    torch.set_num_threads(1)
    try:
        run_check(check_run, dataclasses.replace(cfg, redo=True, threads=2))  # --threads is obeyed
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
