"""Person-centric enhancement (``genb enhance --per-person``): every person re-rendered at the model's resolution.

After the whole-image pass at ``--noise``, each person whose amodal box is at
least ``--person-min-size`` pixels gets a square crop with context
(:mod:`genb.enhance.crops`), resized to ``--person-size``, with its own control
maps (depth, normals, seg cropped and resized from the sample's maps, the
OpenPose map redrawn from the keypoints at the crop's scale, the edges
recomputed from the render's crop) and its own prompt (that person's recipe).
The crops of a whole batch of samples go through the same loaded pipeline,
``--person-batch-size`` at a time, at ``--noise-person`` (default ``--noise``),
each with a torch generator seeded from ``(seed, sample, person, kind)`` only.
They are pasted back far to near inside each person's feathered, dilated
silhouette, never over a nearer person. Optional face and hand detail passes
(``--detail face,hands``), placed from the ground-truth keypoints, follow the
same way on the result.

Each finished person crop is written at once (``crops/NNNNNN_pPP.png`` and its
``.json``, the JSON last), so a killed run resumes per person: a crop already
on disk is read back instead of being computed again. Without ``--save-crops``
those files live in ``.crops-partial/`` and are removed once their sample is
done; with it they are kept in ``crops/`` with the crop's intrinsics ``K``, box
and keypoints for ``genb package --crops``.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from genb.enhance.config import CONTROL_FILES, EnhanceConfig
from genb.enhance.crops import (
    CropBox, composite, crop_image, crop_intrinsics, face_box, far_to_near, hand_box, map_points, resampling,
    square_box,
)
from genb.core.records.crops import read_crop_record
from genb.enhance.inputs import EnhanceInput
from genb.enhance.prompts import build_person_prompt
from genb.errors import GenbError
from genb.core.io import TMP_PREFIX, atomic_write_bytes, atomic_write_json, png_bytes, read_image
from genb.core.run import RunFolder

KINDS = {"person": 0, "face": 1, "left_hand": 2, "right_hand": 3}
"""Crop kinds and their id in the generator seed."""
_STREAM = int.from_bytes(b"person\0\0", "little")

# BODY25 indices (genb.core.conventions.BODY25)
FACE_KEYPOINTS = (0, 15, 16, 17, 18)  # nose, right eye, left eye, right ear, left ear
HANDS = {"right_hand": (4, 3), "left_hand": (7, 6)}  # (wrist, elbow)

CROP_FILES = {True: "crops", False: ".crops-partial"}
"""Crop folder under ``enhanced/noise-<s>/``: kept (--save-crops) or removed when the sample is done."""


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
    scene: dict[str, Any]
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


class PersonPass:
    """The per-person (and detail) passes of ``genb enhance --per-person``; build once per process.

    Args:
        cfg: the resolved config (``cfg.per_person`` set).
        seed: the run's seed (``cfg.seed`` wins).
        get_stage: ``genb.enhance.stage.get_stage``: the crop passes share the whole-image pass's loaded models.
    """

    def __init__(self, cfg: EnhanceConfig, seed: int, get_stage: Callable[[EnhanceConfig, int], Any]):
        self.cfg = cfg
        self.seed = cfg.seed if cfg.seed is not None else seed
        self.crop_stage = get_stage(cfg.crop_config(cfg.crop_noise), seed)
        self.detail_stage = get_stage(cfg.crop_config(cfg.detail_strength), seed) if cfg.detail else None
        self.templates = self.crop_stage.templates
        self.seconds = 0.0

    # ------------------------------------------------------------------ planning

    def prepare(self, index: int, data: PersonData) -> None:
        """Plan one sample's person crops (boxes, controls, prompts, seeds): all but their img2img input,
        which may be the whole-image result. Runs in the background reader, with the sample's reading."""
        cfg = self.cfg
        present = set(np.unique(data.instances).tolist())
        tasks, skipped = [], []
        for p in range(len(data.bbox_full)):
            x0, y0, x1, y1 = data.bbox_full[p]
            if p + 1 not in present:
                skipped.append({"person": p, "reason": "not visible (no pixel in instances.png)"})
                continue
            if max(x1 - x0, y1 - y0) < cfg.person_min_size:
                skipped.append({"person": p, "reason": f"amodal box under --person-min-size {cfg.person_min_size} px"})
                continue
            box = square_box(data.bbox_full[p], cfg.person_size, cfg.person_context)
            tasks.append(self._task(index, p, "person", box, None, data))
        data.plan = (tasks, skipped)

    def person_tasks(self, index: int, data: PersonData, base: np.ndarray) -> tuple[list[CropTask], list[dict]]:
        """The person crops of one sample (their input cut from ``base``, the whole-image result, or the
        render), and the people left out (with the reason)."""
        if data.plan is None:
            self.prepare(index, data)
        tasks, skipped = data.plan
        source = data.render if self.cfg.person_source == "render" else base
        for t in tasks:
            t.image = crop_image(source, t.box, resampling(t.box), "reflect")
        return tasks, skipped

    def detail_tasks(self, index: int, data: PersonData, image: np.ndarray, people: list[int]) -> list[CropTask]:
        """Face and hand crops of the enhanced people, placed from their visible keypoints."""
        cfg = self.cfg
        size = cfg.detail_size or cfg.person_size
        tasks = []
        for p in people:
            kp, vis = data.keypoints2d[p], data.keypoints_vis[p]
            boxes: list[tuple[str, CropBox]] = []
            if "face" in cfg.detail:
                face = [j for j in FACE_KEYPOINTS if vis[j]]
                if len(face) >= 2:
                    height = float(data.bbox_full[p, 3] - data.bbox_full[p, 1])
                    box = face_box(kp[face], size)
                    floor = int(np.ceil(0.12 * height))  # a face is at least ~1/8 of the body
                    if box.side < floor:
                        box = face_box(kp[face], size, min_side=floor)
                    boxes.append(("face", box))
            if "hands" in cfg.detail:
                for kind, (w, e) in HANDS.items():
                    if vis[w] and vis[e]:
                        boxes.append((kind, hand_box(kp[w], kp[e], size)))
            for kind, box in boxes:
                if box.side >= cfg.detail_min_size:
                    tasks.append(self._task(index, p, kind, box, image, data))
        return tasks

    def _task(self, index: int, p: int, kind: str, box: CropBox, source: np.ndarray | None, data: PersonData) -> CropTask:
        prompt_kind = "person" if kind == "person" else "face" if kind == "face" else "hands"
        return CropTask(index=index, person=p, kind=kind, box=box,
                        image=None if source is None else crop_image(source, box, resampling(box), "reflect"),
                        controls=crop_controls(data, box, self.cfg.controls) if self.cfg.needs_model else [],
                        prompt=build_person_prompt(data.scene, p, self.templates, prompt_kind),
                        torch_seed=crop_torch_seed(self.seed, index, p, kind))

    # ------------------------------------------------------------------ running

    def run_tasks(self, stage: Any, tasks: list[CropTask]) -> list[tuple[np.ndarray, int]]:
        """Re-render crops through ``stage`` (an EnhanceStage of a crop config), ``person_batch_size`` at a time.

        Returns:
            (enhanced crop, denoising steps counted in the loop) per task.
        """
        if stage.loaded is None:  # strength 0: the crops as they are
            return [(t.image, 0) for t in tasks]
        out: list[tuple[np.ndarray, int]] = []
        n = self.cfg.person_batch_size
        for k in range(0, len(tasks), n):
            chunk = tasks[k:k + n]
            inputs = [EnhanceInput(index=t.index, image=t.image, controls=t.controls, instances=None, prompt=t.prompt,
                                   torch_seed=t.torch_seed) for t in chunk]
            result = stage(inputs)
            out.extend((image, int(rec["steps_run"])) for image, rec in zip(result.images, result.records))
        return out

    def __call__(self, out_dir: Path, inputs: list[Any], whole: Any) -> Any:
        """Run the person (and detail) passes on a batch whose whole-image pass is ``whole``.

        Args:
            out_dir: ``RUN/enhanced/noise-<s>``.
            inputs: the batch's :class:`~genb.enhance.stage.EnhanceInput` (``people`` holds its :class:`PersonData`).
            whole: the whole-image pass's :class:`~genb.enhance.stage.EnhanceOutput`; its images and records are updated.
        """
        start = time.perf_counter()
        cfg = self.cfg
        folder = out_dir / CROP_FILES[cfg.save_crops]
        stage = self.crop_stage
        steps = stage.plan.steps_run if stage.loaded is not None else 0  # 0: nothing to paste
        # 1. Every sample's person crops; those on disk from an interrupted run are read back.
        plans, todo, done = {}, [], {}
        existing = set(os.listdir(folder)) if folder.is_dir() else set()
        for s, base in zip(inputs, whole.images):
            tasks, skipped = self.person_tasks(s.index, s.people, base)
            plans[s.index] = (tasks, skipped)
            for t in tasks:
                saved = _read_crop(folder, t) if f"{crop_name(t.index, t.person)}.json" in existing else None
                if saved is not None:
                    done[(t.index, t.person)] = saved
                else:
                    todo.append(t)
        # 2. The missing crops, batched across people and samples; each written as soon as it is made.
        for t, (image, ran) in zip(todo, self.run_tasks(stage, todo)):
            done[(t.index, t.person)] = image, ran
            data = next(s.people for s in inputs if s.index == t.index)
            name = crop_name(t.index, t.person)
            atomic_write_bytes(folder / f"{name}.png", png_bytes(image))
            atomic_write_json(folder / f"{name}.json", crop_record(t, data, cfg.crop_noise, ran,
                                                                  stage.num_inference_steps, f"{name}.png"))
        # 3. Paste back, far to near (a pass that ran no step leaves the image as it is).
        images = []
        details: list[CropTask] = []
        for k, s in enumerate(inputs):
            data, (tasks, skipped) = s.people, plans[s.index]
            order = data.order
            image = whole.images[k]
            if steps:
                layers = [(t.person, done[(t.index, t.person)][0], t.box) for t in tasks]
                image = composite(image, layers, data.instances, order, cfg.person_dilate, cfg.person_feather)
            images.append(image)
            if self.detail_stage is not None:
                details.extend(self.detail_tasks(s.index, data, image, [t.person for t in tasks]))
        # 4. Detail passes on the result, the same way.
        results: list[tuple[np.ndarray, int]] = []
        if details:
            dstage = self.detail_stage
            results = self.run_tasks(dstage, details)
            if dstage.loaded is not None:
                for k, s in enumerate(inputs):
                    layers = [(t.person, r, t.box) for t, (r, _) in zip(details, results) if t.index == s.index]
                    if layers:
                        images[k] = composite(images[k], layers, s.people.instances, s.people.order,
                                              cfg.person_dilate, cfg.person_feather)
        # 5. Provenance of every pass.
        for k, s in enumerate(inputs):
            tasks, skipped = plans[s.index]
            passes = [crop_record(t, s.people, cfg.crop_noise, done[(t.index, t.person)][1], stage.num_inference_steps,
                                  f"crops/{crop_name(t.index, t.person)}.png" if cfg.save_crops else None)
                      for t in tasks]
            passes += [crop_record(t, s.people, cfg.detail_strength, ran, self.detail_stage.num_inference_steps, None)
                       for t, (_, ran) in zip(details, results) if t.index == s.index]
            for rec in passes:  # geometry stays in the crop files; the sample record keeps the pass
                for key in ("cam_int", "keypoints2d", "keypoints_vis", "bbox_full"):
                    rec.pop(key)
            whole.records[k]["per_person"] = {
                "noise_person": cfg.crop_noise, "person_size": cfg.person_size, "context": cfg.person_context,
                "min_size": cfg.person_min_size, "dilate_px": cfg.person_dilate, "feather_px": cfg.person_feather,
                "source": cfg.person_source, "detail": list(cfg.detail),
                "order_far_to_near": s.people.order, "passes": passes, "skipped": skipped,
                "models_ran": bool(steps),
            }
        whole.images = images
        self.seconds += time.perf_counter() - start
        return whole

    def finish(self, out_dir: Path, done: Callable[[str], bool]) -> None:
        """Remove the partial crops of samples that are done (no-op with --save-crops); clean stale temp files."""
        for name in (True, False):
            folder = out_dir / CROP_FILES[name]
            if not folder.is_dir():
                continue
            now = time.time()
            for p in folder.glob(TMP_PREFIX + "*"):
                try:
                    if now - p.stat().st_mtime > 120.0:
                        p.unlink()
                except OSError:
                    pass
        folder = out_dir / CROP_FILES[False]
        if self.cfg.save_crops or not folder.is_dir():
            return
        for p in folder.glob("*_p*"):
            if done(p.name.split("_", 1)[0]):
                p.unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:
            pass


def _read_crop(folder: Path, task: CropTask) -> tuple[np.ndarray, int] | None:
    """A crop an interrupted run already made (its JSON is written last), if it matches this task,
    with the steps its pass ran."""
    name = crop_name(task.index, task.person)
    path = folder / f"{name}.json"
    if not path.is_file():
        return None
    try:
        rec = read_crop_record(path)  # unreadable: redone (and rewritten) by this pass
        if rec["box"] != task.box.as_list() or rec.get("torch_seed") != task.torch_seed:
            return None
        image = read_image(folder / f"{name}.png")
    except GenbError:
        return None
    return (image, int(rec.get("steps_run", 0))) if image.shape == (task.box.size, task.box.size, 3) else None


def read_saved_crop(path: str | Path) -> dict[str, Any]:
    """A saved crop's JSON (``crops/NNNNNN_pPP.json``) with ``cam_int`` as a (3, 3) array and
    ``keypoints2d`` (25, 2), ``keypoints_vis`` (25,), ``bbox_full`` (4,) arrays, and its ``box`` as a :class:`CropBox`."""
    rec = read_crop_record(path)
    rec["box"] = CropBox(*rec["box"])
    return rec
