"""``genb check``'s settings: what the checker measures and where it draws the line."""

from __future__ import annotations

import dataclasses
from typing import Literal

from genb.check.measures import BUILTIN_MEASURES, DRIFT_MEASURES, threshold_value
from genb.errors import GenbError

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
