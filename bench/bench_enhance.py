"""Benchmark of ``genb enhance`` against bare diffusers pipeline calls on the same inputs.

Builds a synthetic run folder (textured images, box-shaped people, control maps, scene.json),
then times:

* the stage: ``run_enhance`` on the whole run (reads PNGs, builds prompts, seeds per sample,
  writes PNG + JSON provenance), with the models already loaded;
* bare: ``pipe(...)`` on the same images, controls, prompts, batch size, strength and steps,
  held in memory, no files.

Prints images/s of both and the ratio stage / bare. Default: the tiny random-weight model on
CPU. The stage sends each sample through the pipeline in its own fixed-shape call (so its bytes
do not depend on the batch size): against bare batched calls the ratio is the cost of that plus
the stage's own work; with ``--bare-batch-size 1`` (bare calls one image each) it is the
stage's own work alone (goal: under 1.10). Example::

    python bench/bench_enhance.py --num-samples 32 --size 64 --batch-size 4 --threads 2
    python bench/bench_enhance.py --num-samples 32 --size 64 --batch-size 4 --threads 2 --bare-batch-size 1

``--per-person``: the person-centric mode instead. The stage runs ``--per-person`` with the
whole-image pass at noise 0 (so only the crops are denoised) and the crops at ``--noise``;
bare is ``pipe(...)`` on the very same crops (image, controls, prompts, generators, batch
``--person-batch-size``) held in memory. Goal: ratio under 1.15::

    python bench/bench_enhance.py --per-person --num-samples 16 --size 128 --person-size 64
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def best_times(bare, staged, repeats: int) -> dict[str, float]:
    """Best of ``repeats`` seconds of the bare pipeline calls and of the stage, taking turns (after a warm-up)."""
    bare()
    times = {"bare": [], "stage": []}
    for _ in range(repeats):
        for name, fn in (("bare", bare), ("stage", staged)):
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {k: min(v) for k, v in times.items()}


def bare_call(pipe, items: list, cfg, strength: float, size: int, scales, seeds: list[int]) -> None:
    """One bare diffusers call on a batch of inputs (``image``, ``controls``, ``prompt`` each): the work
    the stage's batch does, without genb around it."""
    import torch

    image = torch.from_numpy(np.stack([x.image for x in items])).permute(0, 3, 1, 2).float() / 255
    controls = [torch.from_numpy(np.stack([x.controls[c] for x in items])).permute(0, 3, 1, 2).float() / 255
                for c in range(len(cfg.controls))]
    with torch.inference_mode():
        pipe(prompt=[x.prompt for x in items], negative_prompt=[cfg.negative_prompt] * len(items),
             image=image, control_image=controls, strength=strength, num_inference_steps=cfg.steps,
             guidance_scale=cfg.guidance_scale, height=size, width=size, controlnet_conditioning_scale=scales,
             generator=[torch.Generator().manual_seed(s) for s in seeds], output_type="np")


def make_run(root: Path, n: int, size: int) -> None:
    """A synthetic run folder of ``n`` samples of ``size`` x ``size`` pixels."""
    import cv2

    from genb.core.io import png_bytes

    root.mkdir(parents=True)
    (root / "run.json").write_text(json.dumps({"num_samples": n, "seed": 0, "image_size": [size, size]}))
    for i in range(n):
        rng = np.random.default_rng(i)
        d = root / "samples" / f"{i:06d}"
        d.mkdir(parents=True)
        image = cv2.resize(rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8), (size, size))
        inst = np.zeros((size, size), np.uint8)
        inst[size // 8: -size // 8, size // 3: 2 * size // 3] = 1
        _write_labels(d, size)
        (d / "image.png").write_bytes(png_bytes(image))
        (d / "instances.png").write_bytes(png_bytes(inst))
        for name in ("depth", "normal", "pose", "seg", "edges"):
            (d / f"control_{name}.png").write_bytes(png_bytes(np.repeat(inst[..., None] * 200, 3, axis=2)))
        scene = {"people": [{"description": {"gender": "female", "age_group": "adult", "build": "slim"},
                             "appearance": {"top": "red", "bottom": "navy", "shoes": "white", "long_sleeves": False,
                                            "long_bottom": True}}],
                 "background": {"kind": "procedural", "sky": "clear", "ground": "grass"}}
        (d / "scene.json").write_text(json.dumps(scene))


def _write_labels(folder: Path, size: int) -> None:
    """labels.npz of the one box-shaped person: a pinhole camera, BODY25 keypoints on the box at 4 m."""
    import io

    K = np.array([[size, 0.0, size / 2 - 0.5], [0.0, size, size / 2 - 0.5], [0.0, 0.0, 1.0]])
    x0, x1, y0, y1 = size // 3, 2 * size // 3, size // 8, size - size // 8
    t = np.linspace(0.0, 1.0, 25)
    uv = np.stack([x0 + (x1 - x0) * (0.5 + 0.4 * np.sin(7 * t)), y0 + (y1 - y0) * t], axis=1)[None]
    xyz = np.concatenate([(uv - K[:2, 2]) / size * 4.0, np.full((1, 25, 1), 4.0)], axis=2)
    buf = io.BytesIO()
    box = np.array([[x0, y0, x1, y1]], float)
    np.savez(buf, cam_int=K, bbox=box, bbox_full=box, keypoints2d=uv, keypoints3d=xyz,
             keypoints_vis=np.ones((1, 25), bool))
    (folder / "labels.npz").write_bytes(buf.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="tiny", help="enhance preset (default tiny: random weights, CPU-sized)")
    ap.add_argument("--num-samples", type=int, default=32)
    ap.add_argument("--size", type=int, default=64, help="image side, pixels")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--bare-batch-size", type=int, default=None,
                    help="images per bare pipeline call (default --batch-size; 1 = one call per image, as the stage "
                         "makes since each sample has its own fixed-shape call)")
    ap.add_argument("--noise", type=float, default=0.4)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="best of N timings of each")
    ap.add_argument("--per-person", action="store_true", help="time the person-centric mode against bare calls on its crops")
    ap.add_argument("--person-size", type=int, default=64, help="--per-person: crop side at model resolution")
    ap.add_argument("--person-batch-size", type=int, default=4, help="--per-person: crops per pipeline call")
    args = ap.parse_args()
    if args.per_person:
        return per_person_bench(args)

    import torch

    from genb.config import resolve_config
    from genb.enhance.config import EnhanceConfig
    from genb.enhance.enhancer import EnhanceInput, get_stage, sample_torch_seed
    from genb.enhance.stage import run_enhance
    from genb.core.run import RunFolder

    torch.set_flush_denormal(True)  # random weights make denormal floats; both timings share the setting
    tmp = Path(tempfile.mkdtemp(prefix="bench_enhance_"))
    os.environ.setdefault("GENB_CACHE", str(tmp / "cache"))
    try:
        make_run(tmp / "run", args.num_samples, args.size)
        run = RunFolder(tmp / "run")
        cfg = resolve_config(EnhanceConfig, "enhance", args.preset,
                             dict(noise=args.noise, steps=args.steps, batch_size=args.batch_size, threads=args.threads))
        stage = get_stage(cfg, seed=0)  # loads the models once (the stage reuses them)
        pipe = stage.loaded.pipe
        inputs = [EnhanceInput.read(run, i, cfg, stage.templates) for i in run.sample_ids()]
        bare_batch = args.bare_batch_size or args.batch_size
        batches = [inputs[k:k + bare_batch] for k in range(0, len(inputs), bare_batch)]

        def bare() -> None:
            for batch in batches:
                bare_call(pipe, batch, cfg, cfg.noise, args.size, stage.scales,
                          [sample_torch_seed(0, s.index) for s in batch])

        def staged() -> None:
            shutil.rmtree(run.root / "enhanced", ignore_errors=True)
            run_enhance(run, cfg)

        best = best_times(bare, staged, args.repeats)
        n = len(inputs)
        print(f"preset={args.preset} samples={n} size={args.size}x{args.size} batch={args.batch_size} bare batch={bare_batch} "
              f"noise={args.noise} steps={args.steps} (run {stage.plan.steps_run}) threads={args.threads} "
              f"controls={','.join(cfg.controls)} device={stage.loaded.device}")
        print(f"bare pipeline : {best['bare']:.3f} s  {n / best['bare']:.2f} images/s")
        print(f"genb enhance  : {best['stage']:.3f} s  {n / best['stage']:.2f} images/s")
        print(f"ratio stage/bare: {best['stage'] / best['bare']:.3f}  (goal < 1.10)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def per_person_bench(args: argparse.Namespace) -> None:
    """``--per-person``: the stage's person-centric mode against bare pipeline calls on the same crops."""
    import torch

    from genb.config import resolve_config
    from genb.enhance.config import EnhanceConfig
    from genb.enhance.per_person import PersonPass
    from genb.enhance.person_tasks import PersonData
    from genb.enhance.enhancer import get_stage
    from genb.enhance.stage import run_enhance
    from genb.core.run import RunFolder

    torch.set_flush_denormal(True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_enhance_pp_"))
    os.environ.setdefault("GENB_CACHE", str(tmp / "cache"))
    try:
        make_run(tmp / "run", args.num_samples, args.size)
        run = RunFolder(tmp / "run")
        cfg = resolve_config(EnhanceConfig, "enhance", args.preset, dict(
            noise=0.0, noise_person=args.noise, per_person=True, person_size=args.person_size, person_min_size=8,
            person_batch_size=args.person_batch_size, steps=args.steps, batch_size=args.batch_size,
            threads=args.threads))
        person = PersonPass(cfg, 0, get_stage)  # loads the models once (the stage reuses them)
        stage = person.crop_stage
        pipe = stage.loaded.pipe
        tasks = []
        for i in run.sample_ids():
            data = PersonData.read(run, i, cfg)
            tasks.extend(person.person_tasks(i, data, data.render)[0])
        chunks = [tasks[k:k + args.person_batch_size] for k in range(0, len(tasks), args.person_batch_size)]
        S = args.person_size

        def bare() -> None:
            for chunk in chunks:
                bare_call(pipe, chunk, cfg, args.noise, S, stage.scales, [t.torch_seed for t in chunk])

        def staged() -> None:
            shutil.rmtree(run.root / "enhanced", ignore_errors=True)
            run_enhance(run, cfg)

        best = best_times(bare, staged, args.repeats)
        n = len(tasks)
        print(f"per-person: preset={args.preset} samples={args.num_samples} image={args.size}x{args.size} "
              f"crops={n} at {S}x{S} person batch={args.person_batch_size} noise={args.noise} steps={args.steps} "
              f"(run {stage.plan.steps_run}) threads={args.threads} controls={','.join(cfg.controls)} "
              f"device={stage.loaded.device}")
        print(f"bare pipeline on the crops : {best['bare']:.3f} s  {n / best['bare']:.2f} crops/s")
        print(f"genb enhance --per-person  : {best['stage']:.3f} s  {n / best['stage']:.2f} crops/s")
        print(f"ratio stage/bare: {best['stage'] / best['bare']:.3f}  (goal < 1.15)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
