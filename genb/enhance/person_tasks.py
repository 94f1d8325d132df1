"""One crop of the per-person pass: what it reads of a sample, its task, its controls, seed, name and record.

Pure data and functions (no model): :class:`PersonData` is what the pass reads of one sample,
:class:`CropTask` one crop to re-render (person, face or hand), :func:`crop_controls` its control
maps, :func:`crop_record` its provenance and geometry, :func:`crop_torch_seed` and
:func:`crop_name` its seed and file stem. :mod:`genb.enhance.per_person` runs them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.core.records.scene import SceneRecord
from genb.core.run import RunFolder
from genb.enhance.config import CONTROL_FILES, EnhanceConfig
from genb.enhance.crops import CropBox, crop_image, crop_intrinsics, far_to_near, map_points, resampling
from genb.errors import GenbError
from genb.core.io import read_image

KINDS = {"person": 0, "face": 1, "left_hand": 2, "right_hand": 3}
"""Crop kinds and their id in the generator seed."""
_STREAM = int.from_bytes(b"person\0\0", "little")

# BODY25 indices (genb.core.conventions.BODY25)
FACE_KEYPOINTS = (0, 15, 16, 17, 18)  # nose, right eye, left eye, right ear, left ear
HANDS = {"right_hand": (4, 3), "left_hand": (7, 6)}  # (wrist, elbow)

def crop_torch_seed(seed: int, index: int, person: int, kind: str = "person") -> int:
    """The torch generator seed of one crop: depends only on ``(seed, sample index, person, kind)``."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(index, _STREAM, person, KINDS[kind]))
    return int(ss.generate_state(1, np.uint64)[0] % (2**63 - 1))


def crop_name(index: int, person: int, kind: str = "person") -> str:
    """File stem of a crop: ``000012_p01`` (person) or ``000012_p01_face``."""
    return f"{index:06d}_p{person:02d}" + ("" if kind == "person" else f"_{kind}")


@dataclasses.dataclass
class PersonData:
    """What the per-person pass reads of one sample (read in the background with the sample)."""

    render: np.ndarray
    """(H, W, 3) uint8 render."""
    instances: np.ndarray
    """(H, W) uint8, 0 background, p + 1 person p (the dressed silhouette)."""
    cam_int: np.ndarray
    """(3, 3) intrinsics."""
    bbox_full: np.ndarray
    """(P, 4) amodal boxes, pixels."""
    keypoints2d: np.ndarray
    """(P, 25, 2) BODY25, pixels."""
    keypoints_vis: np.ndarray
    """(P, 25) bool."""
    keypoints3d: np.ndarray
    """(P, 25, 3) camera frame, metres (for the far-to-near order)."""
    controls: dict[str, np.ndarray]
    """Full-size control maps that are cropped (not pose or edges, which are redrawn)."""
    scene: SceneRecord
    """The sample's recipe (prompts)."""
    order: list[int] = dataclasses.field(default_factory=list)
    """Person indices far to near (:func:`~genb.enhance.crops.far_to_near`)."""
    plan: Any = None
    """Set by :meth:`PersonPass.prepare`: the person crops' tasks without their image, and the people left out."""

    @classmethod
    def read(cls, run: RunFolder, index: int, cfg: EnhanceConfig, render: np.ndarray | None = None) -> "PersonData":
        folder = run.sample_dir(index)
        labels = run.labels(index)
        missing = [k for k in ("cam_int", "bbox_full", "keypoints2d", "keypoints_vis", "keypoints3d") if k not in labels]
        if missing:
            raise GenbError(f"{folder / 'labels.npz'} lacks {', '.join(missing)}, which --per-person needs",
                            "re-render this run with the current genb render")
        return cls(
            render=run.image(index) if render is None else render,
            instances=run.instances(index),
            cam_int=np.asarray(labels["cam_int"], np.float64),
            bbox_full=np.asarray(labels["bbox_full"], np.float64).reshape(-1, 4),
            keypoints2d=np.asarray(labels["keypoints2d"], np.float64).reshape(-1, 25, 2),
            keypoints_vis=np.asarray(labels["keypoints_vis"], bool).reshape(-1, 25),
            keypoints3d=np.asarray(labels["keypoints3d"], np.float64).reshape(-1, 25, 3),
            controls={c: read_image(folder / f"{CONTROL_FILES[c]}.png") for c in cfg.controls if c not in ("pose", "edges")},
            scene=run.scene(index),
            order=far_to_near(np.asarray(labels["keypoints3d"], np.float64).reshape(-1, 25, 3)),
        )


@dataclasses.dataclass
class CropTask:
    """One crop to re-render."""

    index: int
    person: int
    kind: str
    """person, face, left_hand or right_hand."""
    box: CropBox
    image: np.ndarray | None
    """(size, size, 3) uint8 img2img input (crop of the whole-image result or the render); None until cut."""
    controls: list[np.ndarray]
    """(size, size, 3) uint8 per control, in ``cfg.controls`` order."""
    prompt: str
    torch_seed: int


def crop_controls(data: PersonData, box: CropBox, controls: tuple[str, ...]) -> list[np.ndarray]:
    """The crop's control maps, in ``controls`` order.

    pose: OpenPose skeletons of every person redrawn at the crop's scale from the keypoints
    mapped into the crop; edges: Canny of the render's crop; depth, normal, seg: the sample's
    maps cropped and resized (seg with nearest neighbours), zeros outside the image.
    """
    from genb.render.labels.maps import edges_control, pose_control

    out = []
    resample = resampling(box)
    for c in controls:
        if c == "pose":
            out.append(pose_control(map_points(data.keypoints2d, box), data.keypoints_vis, box.size, box.size))
        elif c == "edges":
            out.append(edges_control(crop_image(data.render, box, resample, "reflect")))
        else:
            mode = "nearest" if c == "seg" else resample
            out.append(crop_image(data.controls[c], box, mode, "zero"))
    return out


def crop_record(task: CropTask, data: PersonData, strength: float, steps: int, num_inference_steps: int,
                file: str | None) -> dict[str, Any]:
    """Provenance and geometry of one crop pass (the ``.json`` beside a saved crop, an entry of ``passes``).

    ``cam_int`` is ``K_crop``; ``keypoints2d`` are the person's BODY25 keypoints in crop pixels
    (``K_crop`` projects ``keypoints3d`` onto them), ``box`` is ``[x0, y0, side, size]``.
    """
    box = task.box
    return {
        "index": task.index, "person": task.person, "kind": task.kind,
        "box": box.as_list(), "resolution": box.size, "strength": strength, "steps_run": steps,
        "num_inference_steps": num_inference_steps, "prompt": task.prompt, "torch_seed": task.torch_seed,
        "cam_int": crop_intrinsics(data.cam_int, box).tolist(),
        "keypoints2d": map_points(data.keypoints2d[task.person], box).tolist(),
        "keypoints_vis": data.keypoints_vis[task.person].astype(bool).tolist(),
        "bbox_full": map_points(data.bbox_full[task.person].reshape(2, 2), box).reshape(4).tolist(),
        "file": file,
    }
