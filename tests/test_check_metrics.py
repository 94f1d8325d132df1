"""The checker's pure parts: drift metrics, the COCO-17 -> BODY25 map, the decision rules."""

import math

import numpy as np
import pytest

from genb.check import decide, metrics
from genb.check.estimators import BODY25_FROM_COCO17, COCO17, FlowEstimator
from genb.check.stage import CheckConfig, load_config
from genb.errors import GenbError
from genb.core.conventions import BODY25


def test_box_size_is_longer_side():
    assert metrics.box_size(np.array([10, 20, 50, 120])) == 100
    np.testing.assert_allclose(metrics.box_size(np.array([[0, 0, 30, 10], [5, 5, 5, 5]])), [30, 0])


def test_keypoint_drift_and_pck():
    gt = np.zeros((4, 2))
    pred = np.array([[3, 4], [0, 10], [0, 0], [np.nan, np.nan]])  # distances 5, 10, 0, (not predicted)
    valid = np.array([True, True, True, True])
    assert metrics.keypoint_drift(pred, gt, valid, 100) == pytest.approx(0.05)
    assert metrics.pck(pred, gt, valid, 100, alpha=0.06) == pytest.approx(2 / 3)
    assert metrics.pck(pred, gt, valid, 100, alpha=0.1) == 1.0
    # invisible keypoints do not count; nothing valid -> NaN
    assert metrics.keypoint_drift(pred, gt, np.array([False, True, False, False]), 100) == pytest.approx(0.1)
    assert math.isnan(metrics.keypoint_drift(pred, gt, np.zeros(4, bool), 100))
    with pytest.raises(ValueError):
        metrics.keypoint_drift(pred, gt, valid, 0)


def test_mask_iou():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[:5] = True
    b[:, :5] = True
    assert metrics.mask_iou(a, b) == pytest.approx(25 / 75)
    assert metrics.mask_iou(a, a) == 1.0
    assert metrics.mask_iou(np.zeros((3, 3), bool), np.zeros((3, 3), bool)) == 1.0


def test_flow_drift_uniform_motion_and_erosion():
    flow = np.zeros((40, 40, 2), np.float32)
    flow[10:30, 10:30] = (3.0, 4.0)  # 5 px inside the square
    flow[10, 10:30] = (30.0, 40.0)  # a bad border row, removed by erosion
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    mean, p90 = metrics.flow_drift(flow, mask, size=50)
    assert mean == pytest.approx(0.1) and p90 == pytest.approx(0.1)
    mean_raw, _ = metrics.flow_drift(flow, mask, size=50, erode_px=0)
    assert mean_raw == pytest.approx((20 * 50 + 380 * 5) / 400 / 50)
    assert all(math.isnan(v) for v in metrics.flow_drift(flow, np.zeros((40, 40), bool), 50))


def test_real_flow_measures_a_known_shift():
    rng = np.random.default_rng(0)
    import cv2

    img = cv2.resize(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8), (96, 96), interpolation=cv2.INTER_CUBIC)
    moved = np.roll(img, (2, 3), axis=(0, 1))  # 3 px right, 2 px down
    mask = np.zeros((96, 96), bool)
    mask[30:66, 30:66] = True
    for method in ("farneback", "dis"):
        flow = FlowEstimator(method)(img, moved)
        np.testing.assert_allclose(np.median(flow[mask], axis=0), [3, 2], atol=0.3)


def test_summarize_ignores_nan():
    s = metrics.summarize(np.array([1.0, 2.0, np.nan, 3.0]))
    assert s["count"] == 3 and s["median"] == 2.0 and s["max"] == 3.0
    assert metrics.summarize(np.array([np.nan]))["count"] == 0


def test_coco17_maps_to_same_named_body25_joints():
    assert len(set(BODY25_FROM_COCO17.tolist())) == 17
    for i, name in enumerate(COCO17):
        assert BODY25[BODY25_FROM_COCO17[i]] == name


# ----------------------------------------------------------------------------- decisions


def test_eligibility_rules_name_the_rule():
    cfg = CheckConfig(min_box_px=32, min_vis_fraction=0.3)
    assert decide.eligibility(0, 100, 0.9, 500, cfg) is None
    assert "too small" in decide.eligibility(1, 20, 0.9, 500, cfg) and "min_box_px 32" in decide.eligibility(1, 20, 0.9, 500, cfg)
    why = decide.eligibility(2, 100, 0.2, 500, cfg)
    assert why.startswith("person 2 skipped: mostly occluded") and "min_vis_fraction 0.3" in why
    assert "not visible" in decide.eligibility(0, 100, 0.9, 0, cfg)


def test_decide_person_thresholds_and_switches():
    cfg = CheckConfig(max_relative_drift=0.05, min_mask_iou=0.6, max_flow_drift=0.05, max_keypoint_drift=0.15)
    measures = ("keypoints", "relative", "mask", "flow")
    ok = {"keypoint_drift": 0.1, "pck": 0.9, "relative_drift": 0.02, "mask_iou": 0.8, "flow_drift": 0.01}
    assert decide.decide_person(0, ok, measures, cfg) == ("accepted", [])
    status, reasons = decide.decide_person(3, {**ok, "relative_drift": 0.083, "mask_iou": 0.4}, measures, cfg)
    assert status == "rejected"
    assert reasons == ["person 3: relative_drift 0.083 > max_relative_drift 0.05",
                       "person 3: mask_iou 0.400 < min_mask_iou 0.6"]
    # a measure that was not run is not judged; an unmeasured score is noted, not rejected
    assert decide.decide_person(0, {**ok, "flow_drift": 1.0}, ("keypoints", "relative", "mask"), cfg)[0] == "accepted"
    status, reasons = decide.decide_person(0, {**ok, "relative_drift": float("nan")}, measures, cfg)
    assert status == "accepted" and reasons == ["person 0: relative_drift not measured"]
    # inf / 0 switch a rule off
    off = CheckConfig(max_flow_drift=float("inf"), min_mask_iou=0.0)
    assert decide.decide_person(0, {**ok, "flow_drift": 9.0, "mask_iou": 0.0}, measures, off)[0] == "accepted"


def test_decide_sample():
    cfg = CheckConfig()
    acc = {"status": "accepted", "reasons": []}
    rej = {"status": "rejected", "reasons": ["person 1: flow_drift 0.200 > max_flow_drift 0.05"]}
    skip = {"status": "skipped", "reasons": ["person 2 skipped: too small (box 10 px < min_box_px 32)"]}
    assert decide.decide_sample([acc, skip], cfg) == (True, skip["reasons"])
    assert decide.decide_sample([acc, rej, skip], cfg) == (False, rej["reasons"] + skip["reasons"])
    accepted, reasons = decide.decide_sample([skip], cfg)
    assert not accepted and "no person could be checked" in reasons[-1]
    assert decide.decide_sample([skip], CheckConfig(accept_unchecked=True))[0]


def test_presets_resolve_and_validate():
    assert load_config("default") == CheckConfig()  # the shipped default preset is the dataclass defaults
    assert load_config("flow_only").measures == ("flow",)
    with pytest.raises(GenbError, match="unknown or empty --measures"):
        load_config(measures=("keypoints", "depth"))
    with pytest.raises(GenbError, match="--noise"):
        load_config(noise=1.5)
