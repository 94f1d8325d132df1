"""Estimators the checker runs on images: resources, built once and called per image.

* :class:`VitPoseEstimator`: ViTPose top-down 2D pose in given person boxes
  (``transformers`` ``VitPoseForPoseEstimation``), COCO-17 output mapped to BODY25.
* :class:`OpenPoseEstimator`: the OpenPose annotator of ``controlnet-aux`` (optional
  extra, needs torchvision; imported only when asked for), run on each box's crop.
* :class:`SamSegmenter`: SAM (``transformers`` ``SamModel``) prompted with each box.
* :class:`FlowEstimator`: OpenCV dense optical flow (Farneback or DIS); no weights.

Learned models load with ``from_pretrained`` from a hub id or a local folder; a
model that cannot be loaded raises :class:`ModelUnavailable` (a GenbError) that
says which model and how to provide it.

Every pose estimator returns a :class:`PoseResult` in BODY25 order; keypoints an
estimator does not predict (BODY25 feet and mid-hip for COCO-17) are NaN.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from genb.errors import GenbError, short_reason
from genb.core.log import get_logger
from genb.core.conventions import BODY25, BODY25_INDEX, OPENPOSE18_FROM_BODY25

logger = get_logger(__name__)

COCO17 = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# BODY25 index of each COCO-17 keypoint.
BODY25_FROM_COCO17 = np.array([BODY25_INDEX[name] for name in COCO17])


class ModelUnavailable(GenbError):
    """A learned model could not be loaded (not downloaded, no network, wrong folder)."""


@dataclasses.dataclass
class PoseResult:
    """2D poses of P people in one image.

    Attributes:
        keypoints: (P, 25, 2) float32, BODY25 order, pixels; NaN where not predicted.
        scores: (P, 25) float32 confidence in [0, 1] (model-specific); 0 where not predicted.
    """

    keypoints: np.ndarray
    scores: np.ndarray


class PoseEstimator(Protocol):
    """Top-down 2D pose: one pose per given box."""

    name: str

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> PoseResult:
        """image: (H, W, 3) uint8 RGB; boxes: (P, 4) float ``x0, y0, x1, y1`` pixels."""
        ...


class Segmenter(Protocol):
    """One mask per given box."""

    name: str

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """image: (H, W, 3) uint8 RGB; boxes: (P, 4) ``x0, y0, x1, y1``; returns (P, H, W) bool."""
        ...


def resolve_device(device: str) -> str:
    """``"auto"``/``"cuda"`` -> ``"cuda:<local rank>"`` when available (one GPU per rank), else ``"cpu"``;
    anything else as given (:func:`genb.core.dist.pick_device`)."""
    from genb.core.dist import pick_device

    return pick_device(device)


def _fix_for(option: str, model_id: str) -> str:
    return (
        f"download it once where the hub is reachable (`hf download {model_id} --local-dir DIR`) and pass "
        f"{option} DIR, or pass another model id with {option}; to check without learned weights use "
        "--preset flow_only (or --fallback-to-flow)"
    )


def _hub_kwargs(model_id: str, what: str, option: str) -> dict:
    """``local_files_only=True`` when the hub is off or unreachable and the model is cached; else one clear error."""
    from genb import hub

    offline = hub.offline_by_env()
    reason = "HF_HUB_OFFLINE is set" if offline else hub.hub_unreachable()
    if reason is None:
        return {}
    if hub.cached_file(model_id, "config.json") is None:
        problem = hub.offline_problem(model_id, what) if offline else hub.unreachable_problem(model_id, what, reason)
        raise ModelUnavailable(problem, hub.offline_fix(model_id, option, offline) + "; to check without learned weights "
                               "use --preset flow_only (or --fallback-to-flow)")
    return {"local_files_only": True}


def load_pretrained(loader, model_id: str, what: str, option: str):
    """``loader(model_id)`` with any loading failure turned into one :class:`ModelUnavailable`.

    Args:
        loader: a callable such as ``SamModel.from_pretrained``.
        model_id: hub id or local folder.
        what: the model's role in words ("pose estimator").
        option: the command-line option that sets it ("--pose-model").
    """
    path = Path(model_id)
    if (model_id.startswith((".", "/", "~")) or path.exists()) and not path.is_dir():
        raise ModelUnavailable(f"the {what} folder {model_id} does not exist", _fix_for(option, model_id))
    kwargs = {} if path.is_dir() else _hub_kwargs(model_id, what, option)
    try:
        return loader(model_id, **kwargs)
    except pickle.UnpicklingError as e:  # torch.load(weights_only=True) refused a pickled object
        refused = re.search(r"Unsupported global: GLOBAL (\S+)", str(e))
        raise ModelUnavailable(
            f"the {what} weights in {model_id!r} are a pickle that holds Python objects besides tensors "
            f"({refused.group(1) if refused else 'not a plain state dict'}); genb does not unpickle them "
            "(a pickle can run code)",
            "get the model's safetensors weights (model.safetensors), or, only if you trust the file, convert it "
            "once: load it with torch.load(..., weights_only=False) and save_pretrained(DIR) the model") from None
    except (OSError, ValueError, KeyError) as e:
        raise ModelUnavailable(f"could not load the {what} model {model_id!r}: {short_reason(e)}",
                               _fix_for(option, model_id)) from None



def _xyxy_to_xywh(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    return np.concatenate([boxes[:, :2], np.maximum(boxes[:, 2:] - boxes[:, :2], 1.0)], axis=1)


class VitPoseEstimator:
    """ViTPose top-down: COCO-17 keypoints in ground-truth boxes, returned in BODY25 order.

    Args:
        model_id: hub id or local folder holding a ``VitPoseForPoseEstimation`` and its
            image processor (default ``usyd-community/vitpose-base-simple``).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"`` ...
    """

    name = "vitpose"

    def __init__(self, model_id: str = "usyd-community/vitpose-base-simple", device: str = "auto"):
        import torch
        from transformers import VitPoseForPoseEstimation

        try:  # transformers 5 without torchvision: use the PIL/numpy processor directly
            from transformers import VitPoseImageProcessorPil as Processor
        except ImportError:  # pragma: no cover - older transformers
            from transformers import VitPoseImageProcessor as Processor

        self.device = resolve_device(device)
        self.model_id = model_id
        self.processor = load_pretrained(Processor.from_pretrained, model_id, "pose estimator", "--pose-model")
        model = load_pretrained(VitPoseForPoseEstimation.from_pretrained, model_id, "pose estimator", "--pose-model")
        if model.config.num_labels != len(COCO17):
            raise ModelUnavailable(
                f"the pose estimator {model_id!r} predicts {model.config.num_labels} keypoints, not the 17 COCO keypoints",
                "use a COCO-17 ViTPose checkpoint such as usyd-community/vitpose-base-simple",
            )
        self.model = model.to(self.device).eval()
        self._torch = torch
        # ViTPose+ (MoE) checkpoints need a dataset index; 0 is COCO.
        self._dataset_index = 0 if getattr(model.config.backbone_config, "num_experts", 1) > 1 else None

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> PoseResult:
        torch = self._torch
        # 1. crop and normalise every box (the processor pads each box by 1.25)
        coco_boxes = [_xyxy_to_xywh(boxes)]
        inputs = self.processor(images=[image], boxes=coco_boxes, return_tensors="pt")
        pixel_values = inputs["pixel_values"].to(self.device, self.model.dtype)
        # 2. heatmaps for all people of the image in one batch
        kwargs = {}
        if self._dataset_index is not None:
            kwargs["dataset_index"] = torch.full((len(pixel_values),), self._dataset_index, device=self.device)
        with torch.inference_mode():
            outputs = self.model(pixel_values=pixel_values, **kwargs)
        outputs.heatmaps = outputs.heatmaps.float()
        # 3. heatmap maxima back to image pixels, COCO-17 -> BODY25
        results = self.processor.post_process_pose_estimation(outputs, boxes=coco_boxes)[0]
        size = (self.processor.size["width"], self.processor.size["height"])
        keypoints = [_in_crop(r["keypoints"].numpy(), b, size) for r, b in zip(results, coco_boxes[0])]
        return _to_body25(keypoints, [r["scores"].numpy() for r in results], BODY25_FROM_COCO17)


def _in_crop(keypoints: np.ndarray, box_xywh: np.ndarray, size: tuple) -> np.ndarray:
    """(K, 2) keypoints kept in the crop the model saw of the box (the processor's: the box grown to the
    input's aspect ``size`` (width, height), then by 1.25; its heatmap spans exactly that). The processor's
    sub-pixel refinement (DARK: a Newton step on the log heatmap) is unbounded where the heatmap has no
    peak: a random 2-layer model's refined points fell up to 20 px beyond the crop of a 34 x 41 px box;
    a real model's peaks move them by under a heatmap cell."""
    x, y, w, h = (float(v) for v in box_xywh)
    aspect = size[0] / size[1]
    w, h = max(w, aspect * h) * 1.25, max(h, w / aspect) * 1.25
    cx, cy = x + 0.5 * float(box_xywh[2]), y + 0.5 * float(box_xywh[3])
    k = np.asarray(keypoints, np.float32).reshape(-1, 2)
    lo = np.array([cx - 0.5 * w, cy - 0.5 * h], np.float32)
    return np.clip(k, lo, lo + np.array([w, h], np.float32))


def _to_body25(keypoints: list[np.ndarray], scores: list[np.ndarray], index: np.ndarray) -> PoseResult:
    n = len(keypoints)
    kp = np.full((n, len(BODY25), 2), np.nan, np.float32)
    sc = np.zeros((n, len(BODY25)), np.float32)
    for p, (k, s) in enumerate(zip(keypoints, scores)):
        kp[p, index] = np.asarray(k, np.float32).reshape(-1, 2)
        sc[p, index] = np.asarray(s, np.float32).reshape(-1)
    return PoseResult(kp, sc)


class OpenPoseEstimator:
    """The OpenPose body annotator of ``controlnet-aux`` run on each person's box crop.

    Optional: ``pip install genb[annotators]`` (needs torchvision built for your torch).
    OpenPose is bottom-up; in each crop (the box padded by 25%) the detected body with
    the most keypoints is taken. Its 18 COCO-order keypoints map to BODY25.

    Args:
        model_id: hub id or folder with ``body_pose_model.pth`` (default ``lllyasviel/Annotators``).
        device: as :class:`VitPoseEstimator`.
    """

    name = "openpose"

    def __init__(self, model_id: str = "lllyasviel/Annotators", device: str = "auto"):
        try:
            from controlnet_aux import OpenposeDetector
        except Exception as e:  # ImportError, or torchvision failing to import inside it
            raise ModelUnavailable(
                f"the OpenPose annotator needs controlnet-aux, which cannot be imported here ({type(e).__name__}: {e})",
                "install it with `pip install controlnet-aux -c constraints.txt` on a machine with a torchvision "
                "that matches your torch, or use --pose-estimator vitpose",
            ) from None
        self.device = resolve_device(device)
        self.detector = load_pretrained(OpenposeDetector.from_pretrained, model_id, "OpenPose annotator", "--pose-model")
        self.detector.to(self.device)

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> PoseResult:
        h, w = image.shape[:2]
        keypoints, scores = [], []
        for x0, y0, x1, y1 in np.asarray(boxes, np.float64).reshape(-1, 4):
            # 1. crop the box padded by 25% on each side
            pw, ph = 0.25 * (x1 - x0), 0.25 * (y1 - y0)
            cx0, cy0 = int(max(0, np.floor(x0 - pw))), int(max(0, np.floor(y0 - ph)))
            cx1, cy1 = int(min(w, np.ceil(x1 + pw))), int(min(h, np.ceil(y1 + ph)))
            crop = np.ascontiguousarray(image[cy0:cy1, cx0:cx1])
            kp = np.full((18, 2), np.nan, np.float32)
            sc = np.zeros(18, np.float32)
            # 2. bottom-up detection in the crop; keep the body with the most keypoints
            poses = self.detector.detect_poses(crop) if crop.size else []
            if poses:
                body = max(poses, key=lambda p: sum(k is not None for k in p.body.keypoints)).body
                for j, k in enumerate(body.keypoints[:18]):
                    if k is not None:  # normalised to the crop
                        kp[j] = (cx0 + k.x * crop.shape[1], cy0 + k.y * crop.shape[0])
                        sc[j] = k.score
            keypoints.append(kp)
            scores.append(sc)
        return _to_body25(keypoints, scores, OPENPOSE18_FROM_BODY25)


class SamSegmenter:
    """SAM prompted with each person's box: one mask per box.

    Args:
        model_id: hub id or local folder with a ``SamModel`` and its processor
            (default ``facebook/sam-vit-base``).
        device: as :class:`VitPoseEstimator`.
        mask_threshold: logit threshold of the mask.
    """

    name = "sam"

    def __init__(self, model_id: str = "facebook/sam-vit-base", device: str = "auto", mask_threshold: float = 0.0):
        import torch
        from transformers import SamModel, SamProcessor

        try:
            from transformers import SamImageProcessorPil as ImageProcessor
        except ImportError:  # pragma: no cover - older transformers
            from transformers import SamImageProcessor as ImageProcessor

        self.device = resolve_device(device)
        self.model_id = model_id
        image_processor = load_pretrained(ImageProcessor.from_pretrained, model_id, "segmenter", "--sam-model")
        self.processor = SamProcessor(image_processor)
        self.model = load_pretrained(SamModel.from_pretrained, model_id, "segmenter", "--sam-model").to(self.device).eval()
        self.mask_threshold = mask_threshold
        self._torch = torch

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        torch = self._torch
        h, w = image.shape[:2]
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        if not len(boxes):
            return np.zeros((0, h, w), bool)
        # 1. resize/pad the image, scale the box prompts
        inputs = self.processor(images=image, input_boxes=[boxes.tolist()], return_tensors="pt")
        # 2. one image embedding, one low-res mask per box
        with torch.inference_mode():
            outputs = self.model(
                pixel_values=inputs["pixel_values"].to(self.device, self.model.dtype),
                input_boxes=inputs["input_boxes"].to(self.device, self.model.dtype),
                multimask_output=False,
            )
        # 3. upscale to the image, threshold
        masks = self.processor.image_processor.post_process_masks(
            outputs.pred_masks.float().cpu(), inputs["original_sizes"], inputs["reshaped_input_sizes"],
            mask_threshold=self.mask_threshold,
        )[0]
        return masks[:, 0].numpy().astype(bool)


class FlowEstimator:
    """Dense optical flow with OpenCV: no learned weights.

    Args:
        method: ``"farneback"`` (``cv2.calcOpticalFlowFarneback``) or ``"dis"``
            (``cv2.DISOpticalFlow``, medium preset; faster on large images).
    """

    def __init__(self, method: str = "farneback"):
        import cv2

        if method not in ("farneback", "dis"):
            raise GenbError(f"unknown flow method {method!r}", "use farneback or dis")
        self.method = method
        self.name = f"flow-{method}"
        self._cv2 = cv2
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM) if method == "dis" else None

    def __call__(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Flow from ``source`` to ``target``.

        Args:
            source, target: (H, W, 3) uint8 RGB, same size.

        Returns:
            (H, W, 2) float32 ``(dx, dy)`` pixels: pixel (x, y) of ``source`` is at
            ``(x + dx, y + dy)`` in ``target``.
        """
        cv2 = self._cv2
        a = cv2.cvtColor(source, cv2.COLOR_RGB2GRAY)
        b = cv2.cvtColor(target, cv2.COLOR_RGB2GRAY)
        if self._dis is not None:
            return self._dis.calc(a, b, None)
        return cv2.calcOpticalFlowFarneback(a, b, None, pyr_scale=0.5, levels=5, winsize=15, iterations=3,
                                            poly_n=5, poly_sigma=1.2, flags=cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
