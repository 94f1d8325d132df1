"""Fixtures for the checker: a run folder to check, controlled drift, ground-truth-backed estimators, tiny models.

* ``check_run``: a copy of the real rendered ``tiny_run`` (tests/_fixtures_render.py) when the
  render stage is installed, else a hand-made run folder following docs/architecture.md.
* :func:`apply_drift`: moves one person's pixels in an image by a known :class:`Drift`
  (shift, scale about the box centre, or a non-rigid sine warp); the hole left behind is inpainted.
* :class:`GroundTruthPose` / :class:`GroundTruthMasks`: estimators with the checker's interface
  that return the ground truth moved by the drift applied to the image they are given.
* ``tiny_vitpose_dir`` / ``tiny_sam_dir``: tiny random-weight models saved with save_pretrained.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from genb.check.estimators import PoseResult
from genb.core.conventions import BODY25_INDEX
from genb.core.io import atomic_write_bytes, npz_bytes, png_bytes
from genb.core.run import RunFolder

# ----------------------------------------------------------------------------- a run folder

# A standing person, BODY25, in units of body height, origin between the feet, y down.
_TEMPLATE = {
    "nose": (0.0, -0.93), "neck": (0.0, -0.82), "right_shoulder": (-0.12, -0.81), "right_elbow": (-0.17, -0.64),
    "right_wrist": (-0.2, -0.48), "left_shoulder": (0.12, -0.81), "left_elbow": (0.17, -0.64),
    "left_wrist": (0.2, -0.48), "mid_hip": (0.0, -0.5), "right_hip": (-0.07, -0.5), "right_knee": (-0.08, -0.27),
    "right_ankle": (-0.08, -0.04), "left_hip": (0.07, -0.5), "left_knee": (0.08, -0.27), "left_ankle": (0.08, -0.04),
    "right_eye": (-0.025, -0.95), "left_eye": (0.025, -0.95), "right_ear": (-0.05, -0.94), "left_ear": (0.05, -0.94),
    "left_big_toe": (0.1, 0.0), "left_small_toe": (0.12, 0.0), "left_heel": (0.07, -0.02),
    "right_big_toe": (-0.1, 0.0), "right_small_toe": (-0.12, 0.0), "right_heel": (-0.07, -0.02),
}
_LIMBS = [("neck", "mid_hip"), ("right_shoulder", "left_shoulder"), ("right_shoulder", "right_elbow"),
          ("right_elbow", "right_wrist"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
          ("right_hip", "left_hip"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
          ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("neck", "nose")]


def _texture(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    import cv2

    small = rng.integers(0, 256, (max(2, h // cell), max(2, w // cell), 3), dtype=np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def make_handmade_run(root: Path, num_samples: int = 3, size: tuple[int, int] = (128, 128), seed: int = 0) -> RunFolder:
    """A run folder with the files the checker reads, drawn by hand (stick people with thick textured limbs).

    Sample 0 has one person; sample 1 two people; sample 2 one person and one 12 px tall person.
    """
    import cv2

    h, w = size
    run = RunFolder(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "run.json").write_text(json.dumps({"num_samples": num_samples, "seed": seed, "body_model": "handmade",
                                               "image_size": [h, w], "format_version": 2}))
    layouts = [[(0.5, 0.9, 0.75)], [(0.3, 0.92, 0.7), (0.72, 0.88, 0.62)], [(0.45, 0.93, 0.7), (0.85, 0.5, 0.1)]]
    for i in range(num_samples):
        rng = np.random.default_rng(seed * 1000 + i)
        image = (0.6 * _texture(rng, h, w, 16) + 0.4 * _texture(rng, h, w, 4)).astype(np.uint8)
        instances = np.zeros((h, w), np.uint8)
        kps = []
        for p, (cx, foot, height) in enumerate(layouts[i % len(layouts)]):
            kp = np.array([_TEMPLATE[n] for n in BODY25_INDEX], np.float64) * height * h + (cx * w, foot * h)
            kps.append(kp)
            layer = np.zeros((h, w), np.uint8)
            thick = max(2, int(0.09 * height * h))
            for a, b in _LIMBS:
                pa, pb = kp[BODY25_INDEX[a]], kp[BODY25_INDEX[b]]
                cv2.line(layer, tuple(int(v) for v in pa), tuple(int(v) for v in pb), 1, thick)
            torso = kp[[BODY25_INDEX[n] for n in ("right_shoulder", "left_shoulder", "left_hip", "right_hip")]]
            cv2.fillConvexPoly(layer, np.round(torso).astype(np.int32), 1)
            head = kp[BODY25_INDEX["nose"]]
            cv2.circle(layer, tuple(int(v) for v in head), int(thick * 1.2), 1, -1)
            skin = _texture(rng, h, w, 3) // 3 + rng.integers(0, 170, 3).astype(np.uint8)
            image[layer > 0] = skin[layer > 0]
            instances[layer > 0] = p + 1
        kps = np.stack(kps).astype(np.float32)
        vis = np.ones(kps.shape[:2], bool)
        bbox, area = [], []
        for p in range(len(kps)):
            ys, xs = np.nonzero(instances == p + 1)
            bbox.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] if len(xs) else [0, 0, 0, 0])
            area.append(len(xs))
        labels = {"keypoints2d": kps, "keypoints_vis": vis, "keypoints_in_frame": vis.copy(),
                  "bbox": np.asarray(bbox, np.float32), "bbox_full": np.asarray(bbox, np.float32),
                  "vis_fraction": vis.mean(-1).astype(np.float32), "mask_area": np.asarray(area, np.int64),
                  "image_size": np.array([h, w]), "index": np.array(i), "seed": np.array(seed)}
        d = run.sample_dir(i)
        d.mkdir(parents=True)
        atomic_write_bytes(d / "image.png", png_bytes(image))
        atomic_write_bytes(d / "instances.png", png_bytes(instances))
        atomic_write_bytes(d / "labels.npz", npz_bytes(labels))
    return run


@pytest.fixture
def check_run(request, tmp_path) -> RunFolder:
    """A run folder of real rendered samples (a copy of ``tiny_run``), or a hand-made one until the renderer lands."""
    try:
        source = RunFolder(request.getfixturevalue("tiny_run").root)
    except Exception as e:  # the renderer is not there (yet): the same contract, drawn by hand
        warnings.warn(f"tiny_run unavailable ({type(e).__name__}: {e}); checking a hand-made run folder instead")
        return make_handmade_run(tmp_path / "run")
    root = tmp_path / "run"
    shutil.copytree(source.root, root, ignore=shutil.ignore_patterns("enhanced", "sweep"))
    return RunFolder(root)


def enhance_with(run: RunFolder, noise: float, make_image) -> None:
    """Write ``enhanced/noise-<s>/NNNNNN.png`` for every sample as ``make_image(index, render)``."""
    out = run.enhanced_dir(noise)
    out.mkdir(parents=True, exist_ok=True)
    for i in run.sample_ids():
        atomic_write_bytes(out / f"{run.sample_name(i)}.png", png_bytes(make_image(i, run.image(i))))
        write_provenance(run, noise, i)


def write_provenance(run: RunFolder, noise: float, index: int) -> None:
    """The provenance record of a hand-made enhanced image (an image without one is not done)."""
    from genb.core.records.enhance import EnhanceRecord

    EnhanceRecord(index=index, noise=float(noise), strength=float(noise), seed=0, torch_seed=0, steps_run=0,
                  num_inference_steps=0, prompt="", negative_prompt="", guidance_scale=1.0, region_mode=False,
                  note="made by hand in a test").write(run.enhanced_dir(noise) / f"{run.sample_name(index)}.json")


# ----------------------------------------------------------------------------- controlled drift


@dataclasses.dataclass
class Drift:
    """A known motion of one person in the image: shift, scale about ``center``, and a horizontal sine warp.

    ``x' = center + scale * (x - center) + shift + (amplitude * sin(2 pi (y - y0) / period), 0)``
    (the warp depends on the source row only, so the inverse is exact).
    """

    shift: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    center: tuple[float, float] = (0.0, 0.0)
    amplitude: float = 0.0
    period: float = 40.0
    y0: float = 0.0

    def points(self, xy: np.ndarray) -> np.ndarray:
        """Move (..., 2) pixel coordinates."""
        xy = np.asarray(xy, np.float64)
        c = np.asarray(self.center, np.float64)
        out = c + self.scale * (xy - c) + np.asarray(self.shift, np.float64)
        out[..., 0] += self.amplitude * np.sin(2 * np.pi * (xy[..., 1] - self.y0) / self.period)
        return out

    def inverse_maps(self, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        """cv2.remap maps: for each target pixel, its source pixel."""
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
        c = np.asarray(self.center, np.float64)
        sy = (ys - self.shift[1] - c[1]) / self.scale + c[1]
        sx_before_warp = xs - self.amplitude * np.sin(2 * np.pi * (sy - self.y0) / self.period)
        sx = (sx_before_warp - self.shift[0] - c[0]) / self.scale + c[0]
        return sx.astype(np.float32), sy.astype(np.float32)


def apply_drift(image: np.ndarray, instances: np.ndarray, person: int, drift: Drift) -> tuple[np.ndarray, np.ndarray]:
    """Move person ``person``'s pixels by ``drift``; inpaint where they were.

    Returns:
        ``(image, mask)``: the drifted (H, W, 3) uint8 image and the person's moved (H, W) bool mask.
    """
    import cv2

    h, w = instances.shape
    mask = (instances == person + 1).astype(np.uint8)
    hole = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    out = cv2.inpaint(image, hole, 3, cv2.INPAINT_TELEA)
    mx, my = drift.inverse_maps(h, w)
    moved = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    moved_mask = cv2.remap(mask, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0) > 0
    out[moved_mask] = moved[moved_mask]
    return out, moved_mask


def _key(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()


def _match_boxes(boxes: np.ndarray, known: np.ndarray) -> list[int]:
    return [int(np.argmin(np.abs(known - b).sum(-1))) for b in np.asarray(boxes).reshape(-1, 4)]


class GroundTruthPose:
    """A pose estimator with the checker's interface that returns the ground truth of the image it is shown.

    ``register(image, labels, drift=None, person=0)`` tells it which sample an image is and
    how person ``person`` was moved in it; it then answers with the ground-truth keypoints,
    moved by that drift. An image it was not told about is an error.
    """

    name = "ground-truth"

    def __init__(self):
        self._known: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def register(self, image: np.ndarray, labels: dict, drift: Drift | None = None, person: int = 0) -> None:
        kp = np.asarray(labels["keypoints2d"], np.float64).copy()
        if drift is not None:
            kp[person] = drift.points(kp[person])
        self._known[_key(image)] = (kp, np.asarray(labels["bbox"], np.float64))

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> PoseResult:
        kp, known_boxes = self._known[_key(image)]
        idx = _match_boxes(boxes, known_boxes)
        return PoseResult(kp[idx].astype(np.float32), np.ones((len(idx), 25), np.float32))


class GroundTruthMasks:
    """A segmenter with the checker's interface that returns the ground-truth masks, the drifted person's moved."""

    name = "ground-truth"

    def __init__(self):
        self._known: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def register(self, image: np.ndarray, labels: dict, instances: np.ndarray,
                 moved_mask: np.ndarray | None = None, person: int = 0) -> None:
        num = len(labels["bbox"])
        masks = instances[None] == (np.arange(num)[:, None, None] + 1)
        if moved_mask is not None:
            masks[person] = moved_mask
        self._known[_key(image)] = (masks, np.asarray(labels["bbox"], np.float64))

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        masks, known_boxes = self._known[_key(image)]
        return masks[_match_boxes(boxes, known_boxes)]


# ----------------------------------------------------------------------------- tiny learned models


def build_tiny_vitpose(path: Path) -> Path:
    """A 2-layer ViTPose (COCO-17 head, 64x48 input) with random weights, saved with its image processor."""
    import torch
    from transformers import VitPoseBackboneConfig, VitPoseConfig, VitPoseForPoseEstimation, VitPoseImageProcessorPil

    torch.manual_seed(0)
    backbone = VitPoseBackboneConfig(image_size=(64, 48), patch_size=(8, 8), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, mlp_ratio=2, out_indices=[2])
    model = VitPoseForPoseEstimation(VitPoseConfig(backbone_config=backbone, scale_factor=2, num_labels=17)).eval()
    model.save_pretrained(path)
    VitPoseImageProcessorPil(size={"height": 64, "width": 48}).save_pretrained(path)
    return path


def build_tiny_sam(path: Path) -> Path:
    """A tiny SAM (2-layer 64 px vision encoder, 16-dim prompt encoder and mask decoder), saved with its processor."""
    import torch
    from transformers import (SamConfig, SamImageProcessorPil, SamMaskDecoderConfig, SamModel,
                              SamPromptEncoderConfig, SamVisionConfig)

    torch.manual_seed(0)
    config = SamConfig(
        vision_config=SamVisionConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, image_size=64,
                                      patch_size=8, output_channels=16, window_size=2, global_attn_indexes=[1],
                                      mlp_dim=64, num_pos_feats=8),
        prompt_encoder_config=SamPromptEncoderConfig(hidden_size=16, image_size=64, patch_size=8, mask_input_channels=4),
        mask_decoder_config=SamMaskDecoderConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                                 mlp_dim=32, iou_head_hidden_dim=16),
    )
    SamModel(config).eval().save_pretrained(path)
    SamImageProcessorPil(size={"longest_edge": 64}, pad_size={"height": 64, "width": 64}).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_vitpose_dir(tmp_path_factory) -> Path:
    return build_tiny_vitpose(tmp_path_factory.mktemp("tiny-vitpose"))


@pytest.fixture(scope="session")
def tiny_sam_dir(tmp_path_factory) -> Path:
    return build_tiny_sam(tmp_path_factory.mktemp("tiny-sam"))
