"""Benchmark of ``genb enhance`` against bare diffusers pipeline calls on the same inputs.

Builds a synthetic run folder (textured images, box-shaped people, control maps, scene.json),
then times:

* the stage: ``run_enhance`` on the whole run (reads PNGs, builds prompts, seeds per sample,
  writes PNG + JSON provenance), with the models already loaded;
* bare: ``pipe(...)`` on the same images, controls, prompts, batch size, strength and steps,
  held in memory, no files.

Prints images/s of both and the ratio stage / bare (goal: under 1.10). Default: the tiny
random-weight model on CPU. Example::

    python bench/bench_enhance.py --num-samples 32 --size 64 --batch-size 4 --threads 2
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


def make_run(root: Path, n: int, size: int) -> None:
    """A synthetic run folder of ``n`` samples of ``size`` x ``size`` pixels."""
    import cv2

    from genb.store import png_bytes

    root.mkdir(parents=True)
    (root / "run.json").write_text(json.dumps({"num_samples": n, "seed": 0, "image_size": [size, size]}))
    for i in range(n):
        rng = np.random.default_rng(i)
        d = root / "samples" / f"{i:06d}"
        d.mkdir(parents=True)
        image = cv2.resize(rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8), (size, size))
        inst = np.zeros((size, size), np.uint8)
        inst[size // 8: -size // 8, size // 3: 2 * size // 3] = 1
        (d / "image.png").write_bytes(png_bytes(image))
        (d / "instances.png").write_bytes(png_bytes(inst))
        for name in ("depth", "normal", "pose", "seg", "edges"):
            (d / f"control_{name}.png").write_bytes(png_bytes(np.repeat(inst[..., None] * 200, 3, axis=2)))
        scene = {"people": [{"description": {"gender": "female", "age_group": "adult", "build": "slim"},
                             "appearance": {"top": "red", "bottom": "navy", "shoes": "white", "long_sleeves": False,
                                            "long_bottom": True}}],
                 "background": {"kind": "procedural", "sky": "clear", "ground": "grass"}}
        (d / "scene.json").write_text(json.dumps(scene))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="tiny", help="enhance preset (default tiny: random weights, CPU-sized)")
    ap.add_argument("--num-samples", type=int, default=32)
    ap.add_argument("--size", type=int, default=64, help="image side, pixels")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--noise", type=float, default=0.4)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="best of N timings of each")
    args = ap.parse_args()

    import torch

    from genb.config import resolve_config
    from genb.enhance.config import EnhanceConfig
    from genb.enhance.stage import EnhanceInput, get_stage, run_enhance, sample_torch_seed
    from genb.store import RunFolder

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
        batches = [inputs[k:k + args.batch_size] for k in range(0, len(inputs), args.batch_size)]

        def bare() -> None:
            for batch in batches:
                image = torch.from_numpy(np.stack([s.image for s in batch])).permute(0, 3, 1, 2).float() / 255
                controls = [torch.from_numpy(np.stack([s.controls[c] for s in batch])).permute(0, 3, 1, 2).float() / 255
                            for c in range(len(cfg.controls))]
                with torch.inference_mode():
                    pipe(prompt=[s.prompt for s in batch], negative_prompt=[cfg.negative_prompt] * len(batch),
                         image=image, control_image=controls, strength=cfg.noise, num_inference_steps=cfg.steps,
                         guidance_scale=cfg.guidance_scale, height=args.size, width=args.size,
                         controlnet_conditioning_scale=stage.scales,
                         generator=[torch.Generator().manual_seed(sample_torch_seed(0, s.index)) for s in batch],
                         output_type="np")

        def staged() -> None:
            shutil.rmtree(run.root / "enhanced", ignore_errors=True)
            run_enhance(run, cfg)

        bare()  # warm-up
        times = {"bare": [], "stage": []}
        for _ in range(args.repeats):
            for name, fn in (("bare", bare), ("stage", staged)):
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        best = {k: min(v) for k, v in times.items()}
        n = len(inputs)
        print(f"preset={args.preset} samples={n} size={args.size}x{args.size} batch={args.batch_size} "
              f"noise={args.noise} steps={args.steps} (run {stage.plan.steps_run}) threads={args.threads} "
              f"controls={','.join(cfg.controls)} device={stage.loaded.device}")
        print(f"bare pipeline : {best['bare']:.3f} s  {n / best['bare']:.2f} images/s")
        print(f"genb enhance  : {best['stage']:.3f} s  {n / best['stage']:.2f} images/s")
        print(f"ratio stage/bare: {best['stage'] / best['bare']:.3f}  (goal < 1.10)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
