"""The checker: drift between a render and its enhanced image, per person, and the decision.

:class:`Checker` loads the estimators its measures declare once (pose, segmenter, flow) and is
called per sample; it returns a :class:`SampleCheck` (the record ``check/NNNNNN.json`` holds).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from genb.check import decide, metrics
from genb.check.config import CheckConfig
from genb.check.measures import DRIFT_MEASURES, MeasureInputs, threshold_value
from genb.core.log import get_logger

logger = get_logger(__name__)


@dataclasses.dataclass
class SampleCheck:
    """The check of one sample: what goes into ``check/NNNNNN.json``.

    Attributes:
        record: ``{"sample", "noise", "accepted", "reasons", "measures", "estimators", "people"}``;
            each person ``{"person", "status", "reasons", "box_px", "vis_fraction",
            "keypoint_drift", "pck", "relative_drift", "mask_iou", "flow_drift", "flow_drift_p90",
            "num_keypoints", "keypoints_detected"}`` (None = not measured).
    """

    record: dict[str, Any]

    @property
    def accepted(self) -> bool:
        return bool(self.record["accepted"])


def _person_masks(instances: np.ndarray, num_people: int) -> np.ndarray:
    """(P, H, W) bool ground-truth visible masks from an instance map (0 bg, p + 1 person p)."""
    return instances[None] == (np.arange(num_people, dtype=np.int32)[:, None, None] + 1)


def _finite_or_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


class Checker:
    """Measures drift between a render and its enhanced image and decides. Built once, called per sample.

    Args:
        cfg: the check config.
        pose_estimator: a :class:`~genb.check.estimators.PoseEstimator` to use instead of
            loading ``cfg.pose_model`` (tests pass a ground-truth-backed one).
        segmenter: a :class:`~genb.check.estimators.Segmenter` instead of loading ``cfg.sam_model``.
        flow: a flow estimator instead of ``FlowEstimator(cfg.flow_method)``.
    """

    def __init__(self, cfg: CheckConfig, pose_estimator=None, segmenter=None, flow=None):
        from genb.check import estimators

        self.cfg = cfg
        measures = tuple(m for m in DRIFT_MEASURES.names() if m in cfg.measures)
        needs = {e for m in measures for e in DRIFT_MEASURES.get(m).estimators}  # what each measure declares
        self.pose_estimator = pose_estimator
        self.segmenter = segmenter
        try:
            if self.pose_estimator is None and "pose" in needs:
                if cfg.pose_estimator == "openpose":
                    self.pose_estimator = estimators.OpenPoseEstimator(cfg.pose_model, cfg.device)
                else:
                    self.pose_estimator = estimators.VitPoseEstimator(cfg.pose_model, cfg.device)
            if self.segmenter is None and "segmenter" in needs:
                self.segmenter = estimators.SamSegmenter(cfg.sam_model, cfg.device)
        except estimators.ModelUnavailable as e:
            if not cfg.fallback_to_flow:
                raise
            logger.warning("%s\n[genb] fallback_to_flow is on: checking with optical flow only "
                           "(keypoint, relative and mask measures are off)", e.problem)
            measures = tuple(dict.fromkeys(("flow",) + tuple(
                m for m in measures if not {"pose", "segmenter"} & set(DRIFT_MEASURES.get(m).estimators))))
            needs.add("flow")
            self.pose_estimator = self.segmenter = None
        self.measures = measures
        self.flow = flow if flow is not None else (estimators.FlowEstimator(cfg.flow_method) if "flow" in needs else None)
        self.estimator_names = {
            "pose": getattr(self.pose_estimator, "name", None) if self.pose_estimator else None,
            "pose_model": cfg.pose_model if self.pose_estimator else None,
            "segmenter": getattr(self.segmenter, "name", None) if self.segmenter else None,
            "sam_model": cfg.sam_model if self.segmenter else None,
            "flow": getattr(self.flow, "name", None) if self.flow else None,
        }

    def __call__(self, render: np.ndarray, enhanced: np.ndarray, labels: dict[str, np.ndarray],
                 instances: np.ndarray, sample: int = -1) -> SampleCheck:
        """Check one sample.

        Args:
            render: (H, W, 3) uint8 RGB, the original render.
            enhanced: (H', W', 3) uint8 RGB, the enhanced image (resized to (H, W) if it differs).
            labels: the sample's labels.npz arrays (keypoints2d, keypoints_vis, bbox, vis_fraction, mask_area).
            instances: (H, W) uint8 instance map.
            sample: the sample index (recorded).
        """
        cfg = self.cfg
        h, w = render.shape[:2]
        notes: list[str] = []
        if enhanced.shape[:2] != (h, w):
            import cv2

            notes.append(f"enhanced image {enhanced.shape[1]}x{enhanced.shape[0]} resized to the render's {w}x{h}")
            enhanced = cv2.resize(enhanced, (w, h), interpolation=cv2.INTER_AREA)
        keypoints2d = np.asarray(labels["keypoints2d"], np.float64).reshape(-1, 25, 2)
        num_people = len(keypoints2d)
        keypoints_vis = np.asarray(labels["keypoints_vis"], bool).reshape(num_people, 25)
        bbox = np.asarray(labels["bbox"], np.float64).reshape(num_people, 4)
        vis_fraction = np.asarray(labels.get("vis_fraction", keypoints_vis.mean(-1)), np.float64).reshape(num_people)
        masks = _person_masks(np.asarray(instances), num_people)
        mask_area = np.asarray(labels["mask_area"] if "mask_area" in labels else masks.sum((1, 2)), np.float64)
        sizes = metrics.box_size(bbox)
        # 1. who is checked: explicit rules for tiny, occluded and invisible people
        people, checked = self._eligible(sizes, vis_fraction, mask_area)
        # 2-4. the estimators, on the checked people
        found = self._estimate(render, enhanced, labels, checked, bbox[checked], sizes, masks)
        # 5. scores per checked person
        for j, p in enumerate(checked):
            scores = self._scores(j, p, found, keypoints2d[p], keypoints_vis[p], float(sizes[p]), masks[p], people[p])
            status, reasons = decide.decide_person(p, scores, self.measures, cfg)
            rejections, _ = decide.person_rejections(p, scores, self.measures, cfg)
            people[p].update({k: _finite_or_none(v) for k, v in scores.items()})
            people[p]["status"] = status
            people[p]["reasons"] += reasons
            people[p]["rejections"] = [r.to_json() for r in rejections]

        # 6. the sample's decision
        accepted, reasons = decide.decide_sample(people, cfg)
        record = {
            "sample": int(sample), "noise": float(cfg.noise), "accepted": bool(accepted),
            "reasons": notes + reasons, "measures": list(self.measures), "estimators": self.estimator_names,
            "thresholds": {r.threshold: threshold_value(cfg, r.threshold) for r in decide.all_rules()
                           if r.measure in self.measures},
            "people": people,
        }
        return SampleCheck(record)

    def _eligible(self, sizes: np.ndarray, vis_fraction: np.ndarray,
                  mask_area: np.ndarray) -> tuple[list[dict[str, Any]], list[int]]:
        """Every person's entry (skipped ones with their reason) and the indices of those checked.

        Args:
            sizes: (P,) box sizes, pixels; vis_fraction: (P,) visible keypoint fraction; mask_area: (P,) pixels.
        """
        people: list[dict[str, Any]] = []
        checked: list[int] = []
        for p in range(len(sizes)):
            why = decide.eligibility(p, float(sizes[p]), float(vis_fraction[p]), float(mask_area[p]), self.cfg)
            people.append({"person": p, "status": decide.SKIPPED if why else None, "reasons": [why] if why else [],
                           "box_px": float(sizes[p]), "vis_fraction": float(vis_fraction[p])})
            if why is None:
                checked.append(p)
        return people, checked

    def _estimate(self, render: np.ndarray, enhanced: np.ndarray, labels: dict[str, np.ndarray], checked: list[int],
                  boxes: np.ndarray, sizes: np.ndarray, masks: np.ndarray) -> dict[str, Any]:
        """The estimators' outputs for the checked people (``boxes``: their (C, 4) boxes): ``pose_enh``
        and ``pose_ren`` (2D pose on the enhanced image and on the render), ``seg`` (masks on the enhanced
        image), ``flow`` (dense flow render -> enhanced), ``extra`` (scores of measures with their own
        ``compute``, one list per measure, one dict per checked person); None where not run."""
        pose_enh = pose_ren = None
        if checked and self.pose_estimator is not None:
            pose_enh = self.pose_estimator(enhanced, boxes)
            if "relative" in self.measures:
                pose_ren = self.pose_estimator(render, boxes)
        seg = self.segmenter(enhanced, boxes) if checked and self.segmenter is not None else None
        flow = self.flow(render, enhanced) if checked and self.flow is not None else None
        extra: list[list[dict[str, float]]] = []
        if checked:  # measures registered outside genb
            inputs = MeasureInputs(render, enhanced, labels, checked, boxes, sizes[checked], masks[checked])
            extra = [DRIFT_MEASURES.get(m).compute(inputs) for m in self.measures
                     if DRIFT_MEASURES.get(m).compute is not None]
        return {"pose_enh": pose_enh, "pose_ren": pose_ren, "seg": seg, "flow": flow, "extra": extra}

    def _scores(self, j: int, p: int, found: dict[str, Any], keypoints2d: np.ndarray, keypoints_vis: np.ndarray,
                size: float, mask: np.ndarray, person: dict[str, Any]) -> dict[str, Any]:
        """The scores of person ``p`` (the ``j``-th checked one): (25, 2) ground-truth keypoints, (25,)
        visibility, box size in pixels, (H, W) ground-truth mask. A note on too few keypoints goes into
        ``person["reasons"]``."""
        cfg = self.cfg
        scores: dict[str, Any] = {}
        for values in found["extra"]:
            scores.update(values[j])
        pose_enh, pose_ren = found["pose_enh"], found["pose_ren"]
        if pose_enh is not None:
            detected = pose_enh.keypoints[j]
            valid = keypoints_vis & np.isfinite(detected).all(-1)
            n_valid = int(valid.sum())
            scores["num_keypoints"] = n_valid
            scores["keypoints_detected"] = [None if not np.isfinite(k).all() else [round(float(k[0]), 2), round(float(k[1]), 2)]
                                            for k in detected]
            enough = n_valid >= cfg.min_keypoints
            if not enough:
                person["reasons"].append(
                    f"person {p}: only {n_valid} visible keypoints the estimator predicts "
                    f"(< min_keypoints {cfg.min_keypoints}): keypoint measures not taken")
            if "keypoints" in self.measures:
                scores["keypoint_drift"] = metrics.keypoint_drift(detected, keypoints2d, valid, size) if enough else float("nan")
                scores["pck"] = metrics.pck(detected, keypoints2d, valid, size, cfg.pck_alpha) if enough else float("nan")
            if pose_ren is not None:
                valid_rel = valid & np.isfinite(pose_ren.keypoints[j]).all(-1)
                scores["relative_drift"] = (metrics.keypoint_drift(detected, pose_ren.keypoints[j], valid_rel, size)
                                            if valid_rel.sum() >= cfg.min_keypoints else float("nan"))
        if found["seg"] is not None:
            scores["mask_iou"] = metrics.mask_iou(found["seg"][j], mask)
        if found["flow"] is not None:
            scores["flow_drift"], scores["flow_drift_p90"] = metrics.flow_drift(found["flow"], mask, size)
        return scores
