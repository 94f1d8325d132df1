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

import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from genb.enhance.config import EnhanceConfig
from genb.enhance.crop_files import CROP_FILES, read_done_crop, remove_partial_crops, write_crop
from genb.enhance.crops import CropBox, composite, crop_image, face_box, hand_box, resampling, square_box
from genb.enhance.inputs import EnhanceInput
from genb.enhance.person_tasks import (
    FACE_KEYPOINTS, HANDS, CropTask, PersonData, crop_controls, crop_name, crop_record, crop_torch_seed,
)
from genb.enhance.prompts import build_person_prompt


class PersonPass:
    """The per-person (and detail) passes of ``genb enhance --per-person``; build once per process.

    Args:
        cfg: the resolved config (``cfg.per_person`` set).
        seed: the run's seed (``cfg.seed`` wins).
        get_stage: ``genb.enhance.enhancer.get_stage``: the crop passes share the whole-image pass's loaded models.
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
            inputs: the batch's :class:`~genb.enhance.inputs.EnhanceInput` (``people`` holds its :class:`PersonData`).
            whole: the whole-image pass's :class:`~genb.enhance.enhancer.EnhanceOutput`; its images and records are updated.
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
                saved = read_done_crop(folder, t) if f"{crop_name(t.index, t.person)}.json" in existing else None
                if saved is not None:
                    done[(t.index, t.person)] = saved
                else:
                    todo.append(t)
        # 2. The missing crops, batched across people and samples; each written as soon as it is made.
        for t, (image, ran) in zip(todo, self.run_tasks(stage, todo)):
            done[(t.index, t.person)] = image, ran
            data = next(s.people for s in inputs if s.index == t.index)
            name = crop_name(t.index, t.person)
            write_crop(folder, name, image, crop_record(t, data, cfg.crop_noise, ran, stage.num_inference_steps,
                                                        f"{name}.png"))
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
        remove_partial_crops(out_dir, self.cfg.save_crops, done)
