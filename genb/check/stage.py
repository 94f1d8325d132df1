"""``genb check RUN --noise 0.4``: measure how far enhanced samples drifted from their ground truth.

For every enhanced image ``RUN/enhanced/noise-<s>/NNNNNN.png`` the checker
measures, per person in their ground-truth box:

* ``keypoints``: a 2D pose estimator (ViTPose by default) on the enhanced image
  against the projected ground truth: ``keypoint_drift`` (mean error / box size)
  and ``pck`` (fraction within ``pck_alpha`` * box size);
* ``relative``: the same estimator on the original render against the enhanced
  image: ``relative_drift``, what the diffusion moved, not the estimator's error;
* ``mask``: SAM prompted with the box on the enhanced image against the
  ground-truth mask: ``mask_iou``;
* ``flow``: OpenCV dense optical flow render -> enhanced inside the ground-truth
  mask: ``flow_drift`` (mean displacement / box size); no learned weights.

It writes ``check/NNNNNN.json`` with the scores and the decision (rules in
:mod:`genb.check.decide`), then ``summary.csv``, ``summary.json`` and
``summary.png`` (:mod:`genb.check.summary`).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np

from genb.check import decide, metrics
from genb.check.measures import BUILTIN_MEASURES, DRIFT_MEASURES, MeasureInputs, threshold_value
from genb.core.records.check import CheckRecord, read_decisions
from genb.check.summary import CheckSummary, write_summary
from genb.config import add_config_arguments, config_from_args, resolve_config
from genb.errors import GenbError
from genb.core.log import get_logger, progress
from genb.core.run import RunFolder, numbered
from genb.core.dist import cpu_threads
from genb.core.runner import StageContext, StageSpec, run_stage
from genb.sequence.gate import gate_sequence, is_sequence

logger = get_logger(__name__)

MEASURES = BUILTIN_MEASURES  # every registered one: DRIFT_MEASURES.names()
# Settings that do not change a decision: may differ between a check and its resumption.
CHECK_RUNTIME_FIELDS = ("device", "redo", "fallback_to_flow", "threads", "max_flicker")  # the flicker gate re-decides


@dataclasses.dataclass
class CheckConfig:
    """What the checker measures and where it draws the line."""

    noise: float = 0.4
    """Noise level (img2img strength) of the enhanced images to check: reads RUN/enhanced/noise-<s>/."""
    measures: tuple[str, ...] = MEASURES
    """Measures to run: keypoints (estimator vs ground truth), relative (estimator on render vs enhanced), mask (SAM vs ground-truth mask), flow (optical flow, no weights)."""
    pose_estimator: Literal["vitpose", "openpose"] = "vitpose"
    """2D pose estimator for the keypoints and relative measures (openpose needs controlnet-aux)."""
    pose_model: str = "usyd-community/vitpose-base-simple"
    """Pose model: hub id or local folder (for openpose, a folder/hub id with body_pose_model.pth, e.g. lllyasviel/Annotators)."""
    sam_model: str = "facebook/sam-vit-base"
    """SAM model for the mask measure: hub id or local folder."""
    flow_method: Literal["farneback", "dis"] = "farneback"
    """OpenCV dense optical flow method for the flow measure."""
    fallback_to_flow: bool = False
    """When a learned model cannot be loaded, check with optical flow only (logged) instead of stopping."""
    device: str = "auto"
    """Device of the learned estimators: auto, cpu, cuda, cuda:1 ..."""
    threads: int | None = None
    """torch CPU threads of the estimators; unset: 1 on CPU (the scores' bits follow the thread count), torch's default on CUDA."""
    max_keypoint_drift: float = 0.15
    """Reject a person whose mean keypoint error against the ground truth exceeds this fraction of the box size (inf: off)."""
    min_pck: float = 0.0
    """Reject a person whose PCK (fraction of keypoints within pck_alpha * box size) is below this (0: off)."""
    pck_alpha: float = 0.1
    """PCK tolerance as a fraction of the box size."""
    max_relative_drift: float = 0.05
    """Reject a person whose keypoints moved between render and enhanced image by more than this fraction of the box size (inf: off)."""
    min_mask_iou: float = 0.6
    """Reject a person whose segmented mask on the enhanced image has an IoU with the ground-truth mask below this (0: off)."""
    max_flow_drift: float = 0.04
    """Reject a person whose pixels moved by more than this fraction of the box size on average under optical flow (inf: off)."""
    min_box_px: float = 32.0
    """People whose visible box's longer side is below this many pixels are skipped (not checked)."""
    min_vis_fraction: float = 0.3
    """People with fewer than this fraction of their 25 keypoints visible are skipped (mostly occluded or out of frame)."""
    min_keypoints: int = 4
    """Keypoint measures need at least this many visible keypoints the estimator predicts; fewer: not measured."""
    accept_unchecked: bool = False
    """Accept samples in which no person could be checked (all skipped)."""
    max_flicker: float = 8.0
    """Sequences (genb render --frames): reject every frame of a sequence whose enhanced frames flicker more than this: mean |frame t - frame t+1 warped back by the exact flow| over non-occluded pixels, 0..255 (inf: off)."""
    redo: bool = False
    """Check again samples that already have a decision (default: resume, keep existing decisions)."""
    thresholds: tuple[str, ...] = ()
    """Thresholds of drift measures registered outside genb (and overrides), as NAME=VALUE pairs."""

    def validate(self) -> None:
        if self.threads is not None and self.threads < 1:
            raise GenbError(f"--threads {self.threads} must be at least 1", "give e.g. --threads 1")
        known = DRIFT_MEASURES.names()
        unknown = sorted(set(self.measures) - set(known))
        if unknown or not self.measures:
            raise GenbError(f"unknown or empty --measures {','.join(unknown) or '(none)'}",
                            f"choose from {','.join(known)}")
        for pair in self.thresholds:
            if "=" not in pair:
                raise GenbError(f"--thresholds {pair}: each entry is NAME=VALUE", "e.g. --thresholds max_color_shift=0.1")
            threshold_value(self, pair.split("=", 1)[0])
        if not 0.0 <= self.noise <= 1.0:
            raise GenbError(f"--noise {self.noise} is outside [0, 1]", "give the strength used by genb enhance, e.g. 0.4")
        for name in ("max_keypoint_drift", "max_relative_drift", "max_flow_drift", "min_box_px", "pck_alpha",
                     "max_flicker"):
            if not getattr(self, name) > 0:
                raise GenbError(f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if not 0.0 <= self.min_mask_iou <= 1.0 or not 0.0 <= self.min_pck <= 1.0:
            raise GenbError("--min-mask-iou and --min-pck are fractions in [0, 1]")


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
        people: list[dict[str, Any]] = []
        checked: list[int] = []
        for p in range(num_people):
            why = decide.eligibility(p, float(sizes[p]), float(vis_fraction[p]), float(mask_area[p]), cfg)
            people.append({"person": p, "status": decide.SKIPPED if why else None, "reasons": [why] if why else [],
                           "box_px": float(sizes[p]), "vis_fraction": float(vis_fraction[p])})
            if why is None:
                checked.append(p)
        boxes = bbox[checked]

        # 2. 2D pose on the enhanced image (and on the render for the relative measure)
        pose_enh = pose_ren = None
        if checked and self.pose_estimator is not None:
            pose_enh = self.pose_estimator(enhanced, boxes)
            if "relative" in self.measures:
                pose_ren = self.pose_estimator(render, boxes)

        # 3. masks on the enhanced image
        seg = self.segmenter(enhanced, boxes) if checked and self.segmenter is not None else None

        # 4. dense flow render -> enhanced
        flow = self.flow(render, enhanced) if checked and self.flow is not None else None

        # 4b. measures registered outside genb, on the checked people
        extra: list[list[dict[str, float]]] = []
        if checked:
            inputs = MeasureInputs(render, enhanced, labels, checked, boxes, sizes[checked], masks[checked])
            extra = [DRIFT_MEASURES.get(m).compute(inputs) for m in self.measures
                     if DRIFT_MEASURES.get(m).compute is not None]

        # 5. scores per checked person
        for j, p in enumerate(checked):
            scores: dict[str, Any] = {}
            for values in extra:
                scores.update(values[j])
            size = float(sizes[p])
            if pose_enh is not None:
                detected = pose_enh.keypoints[j]
                valid = keypoints_vis[p] & np.isfinite(detected).all(-1)
                n_valid = int(valid.sum())
                scores["num_keypoints"] = n_valid
                scores["keypoints_detected"] = [None if not np.isfinite(k).all() else [round(float(k[0]), 2), round(float(k[1]), 2)]
                                                for k in detected]
                enough = n_valid >= cfg.min_keypoints
                if not enough:
                    people[p]["reasons"].append(
                        f"person {p}: only {n_valid} visible keypoints the estimator predicts "
                        f"(< min_keypoints {cfg.min_keypoints}): keypoint measures not taken")
                if "keypoints" in self.measures:
                    scores["keypoint_drift"] = metrics.keypoint_drift(detected, keypoints2d[p], valid, size) if enough else float("nan")
                    scores["pck"] = metrics.pck(detected, keypoints2d[p], valid, size, cfg.pck_alpha) if enough else float("nan")
                if pose_ren is not None:
                    valid_rel = valid & np.isfinite(pose_ren.keypoints[j]).all(-1)
                    scores["relative_drift"] = (metrics.keypoint_drift(detected, pose_ren.keypoints[j], valid_rel, size)
                                                if valid_rel.sum() >= cfg.min_keypoints else float("nan"))
            if seg is not None:
                scores["mask_iou"] = metrics.mask_iou(seg[j], masks[p])
            if flow is not None:
                scores["flow_drift"], scores["flow_drift_p90"] = metrics.flow_drift(flow, masks[p], size)
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


def run_check(run: RunFolder | str, cfg: CheckConfig, checker: Checker | None = None,
              command: list[str] | None = None) -> CheckSummary:
    """Check every enhanced sample of one noise level (resumable, sharded by rank).

    Args:
        run: the run folder.
        cfg: the check config (``cfg.noise`` selects ``enhanced/noise-<s>/``).
        checker: a ready :class:`Checker` (else built from ``cfg``; reused by callers that
            check several noise levels).
        command: the command line to record in ``check.yaml``.

    Returns:
        The :class:`~genb.check.summary.CheckSummary` of every decision in the check folder
        (written to ``summary.csv``/``summary.json``/``summary.png`` by rank 0).
    """
    run = RunFolder(run) if not isinstance(run, RunFolder) else run
    run.require()
    enhanced_dir = run.enhanced_dir(cfg.noise)
    enhanced_ids = numbered(enhanced_dir, ".png")
    if not enhanced_ids:
        raise GenbError(f"no enhanced images in {enhanced_dir}",
                        f"run `genb enhance {run.root} --noise {cfg.noise}` first (or give the --noise it used)")
    check_dir = run.check_dir(cfg.noise)

    def record_path(i: int) -> Path:
        return check_dir / f"{run.sample_name(i)}.json"

    def setup(ctx: StageContext) -> Checker:
        # the checker's models load once, on this rank's device, before anything is written
        logger.info("check %s noise %.2f: %d enhanced samples, %d to check on this process",
                    run.root, cfg.noise, len(enhanced_ids), len(ctx.plan.todo))
        threads = cpu_threads(cfg.threads, ctx.device)
        if threads is not None:  # the same scores in one process or many, on any machine
            import torch

            torch.set_num_threads(threads)
        return checker if checker is not None else Checker(dataclasses.replace(cfg, device=ctx.device))

    def work(ctx: StageContext, todo: list[int]) -> int:
        for i in progress(todo, desc=f"check {cfg.noise:.2f}"):
            result = ctx.state(run.image(i), run.enhanced_image(cfg.noise, i),
                               run.labels(i), run.instances(i), sample=i)
            CheckRecord.from_json({**result.record, "noise": float(cfg.noise)}, record_path(i)).write(record_path(i))
            newly[0] += 1
        return newly[0]

    written: list[CheckSummary] = []
    newly = [0]

    def aggregate() -> None:
        if is_sequence(run):  # a sequence is accepted or rejected whole by its flicker (genb.sequence.gate)
            gate_sequence(run, cfg)
        written.append(write_summary(run, cfg.noise, num_enhanced=len(enhanced_ids), newly_checked=newly[0]))

    run_stage(StageSpec(
        name="check", folder=check_dir, record="check.yaml", config=cfg, command=command,
        items=lambda: enhanced_ids, is_done=lambda i: record_path(i).is_file(),
        setup=setup, work=work, keep=CHECK_RUNTIME_FIELDS, device=cfg.device,
        redo=cfg.redo, redo_flag="--redo", what=f"check records in {check_dir}",
        outputs_exist=lambda: bool(numbered(check_dir, ".json")),
        aggregate=aggregate,
    ))
    summary = written[0] if written else write_summary(run, cfg.noise, num_enhanced=len(enhanced_ids), write=False)
    summary.newly_checked = newly[0]
    if written:
        logger.info("noise %.2f: %d/%d samples accepted (%.0f%%); summary in %s", cfg.noise, summary.num_accepted,
                    summary.num_checked, 100 * summary.acceptance_rate, check_dir)
    else:
        logger.info("noise %.2f: this rank's samples are checked; the summary is written once every rank is done",
                    cfg.noise)
    return summary


def accepted_ids(run: RunFolder | str, noise: float) -> list[int]:
    """Indices of the samples the checker accepted at one noise level (for packaging).

    Raises a :class:`GenbError` when the noise level was not checked.
    """
    run = RunFolder(run) if not isinstance(run, RunFolder) else run
    check_dir = run.check_dir(noise)
    decisions = read_decisions(check_dir)
    if not decisions:
        raise GenbError(f"no check decisions in {check_dir}", f"run `genb check {run.root} --noise {noise}` first")
    return sorted(i for i, ok in decisions.items() if ok)


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="the run folder (written by genb render, enhanced by genb enhance)")
    parser.add_argument("--preset", default=None,
                        help="thresholds preset: a name in configs/check/ (default, flow_only) or a YAML path")
    add_config_arguments(parser, CheckConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(CheckConfig, "check", args)
    if (Path(args.run) / "sequences.json").is_file():  # a sequence run: every sequence's frames (genb.sequence)
        from genb.sequence.gate import check_sequences

        return check_sequences(Path(args.run), cfg, run_check)
    summary = run_check(RunFolder(args.run), cfg)
    print(f"noise {cfg.noise:.2f}: accepted {summary.num_accepted}/{summary.num_checked} "
          f"({100 * summary.acceptance_rate:.1f}%) -> {summary.check_dir}")
    return 0


def load_config(preset: str | None = None, **overrides: Any) -> CheckConfig:
    """A CheckConfig from a preset (``default``, ``flow_only`` or a YAML path) and overrides."""
    return resolve_config(CheckConfig, "check", preset, overrides)
