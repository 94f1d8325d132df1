"""Benchmark of genb sweep's own work: measuring levels that were enhanced and checked.

The enhance and check stages have their own benchmarks (bench_enhance.py, bench_check.py);
a sweep's wall time is theirs times the number of levels plus what this script measures:
reading the check records, FID/KID against the reference, the table, the plot and the
contact sheet. The bare baseline is torchmetrics' FID + KID on the same images with the
same feature extractor (reading the images included), which any realism measurement pays.

    python bench/bench_sweep.py [--samples 32] [--levels 3] [--extractor random-cnn] [--size 128,96]

Prints images/s of the sweep's measuring phase and its ratio to the bare baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genb.core.io import atomic_write_bytes, png_bytes, read_image
from genb.core.run import RunFolder


def make_run(root: Path, samples: int, size: tuple[int, int]) -> RunFolder:
    """A real rendered run (genb render, default body model)."""
    from genb.render.config import RenderConfig
    from genb.render.run import run_render

    run_render(root, RenderConfig(num_samples=samples, seed=0, image_size=size))
    return RunFolder(root)


def enhance_and_check(run: RunFolder, levels: list[float]) -> None:
    """Levels 'enhanced' by pixel noise growing with s, checked by the real weight-free checker (flow)."""
    from genb.check.stage import CheckConfig, run_check
    from genb.config import resolve_config

    for s in levels:
        rng = np.random.default_rng(int(100 * s))
        for i in run.sample_ids():
            img = run.image(i).astype(np.float32) + rng.normal(0, 100 * s, run.image(i).shape)
            atomic_write_bytes(run.enhanced_dir(s) / f"{run.sample_name(i)}.png",
                               png_bytes(np.clip(img, 0, 255).astype(np.uint8)))
        run_check(run, resolve_config(CheckConfig, "check", "flow_only", {"noise": s, "min_box_px": 8}))


def bare(run: RunFolder, ref: list[Path], levels: list[float], extractor: str, batch: int) -> float:
    """torchmetrics FID + KID on the same images, same extractor, same resize: seconds."""
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    from genb.realism import load_feature_extractor, resize_batch

    t0 = time.perf_counter()
    module, info = load_feature_extractor(extractor, fallback="none")
    fid = FrechetInceptionDistance(feature=module, reset_real_features=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kid = KernelInceptionDistance(feature=module, subsets=100, subset_size=len(run.sample_ids()),
                                      reset_real_features=False)

    def feed(paths, real):
        for k in range(0, len(paths), batch):
            x = resize_batch([read_image(p) for p in paths[k:k + batch]], info.input_size)
            fid.update(x, real=real)
            kid.update(x, real=real)

    with torch.no_grad():
        feed(ref, True)
        for s in levels:
            fid.reset()
            kid.reset()
            feed([run.enhanced_dir(s) / f"{run.sample_name(i)}.png" for i in run.sample_ids()], False)
            float(fid.compute())
            kid.compute()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--levels", type=int, default=3)
    ap.add_argument("--extractor", default="random-cnn")
    ap.add_argument("--size", default="128,96", help="render size H,W")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    size = tuple(int(v) for v in args.size.split(","))
    levels = [round(0.2 * (k + 1), 2) for k in range(args.levels)]

    from genb.sweep import SweepConfig, SweepStage

    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        t = time.perf_counter()
        run = make_run(tmp / "run", args.samples, size)
        enhance_and_check(run, levels)
        ref = tmp / "ref"
        ref.mkdir()
        for i in run.sample_ids():  # the renders, mirrored, stand in for real photographs
            atomic_write_bytes(ref / f"{i}.png", png_bytes(np.ascontiguousarray(run.image(i)[:, ::-1])))
        refs = sorted(ref.glob("*.png"))
        print(f"setup (render {args.samples} samples, {len(levels)} levels, flow check): "
              f"{time.perf_counter() - t:.1f} s")

        cfg = SweepConfig(noise=tuple(levels), reference=str(ref), feature_extractor=args.extractor,
                          fallback_extractor="none", min_acceptance=0.0, kid_subset_size=args.samples)
        sweep_times, bare_times = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            SweepStage(cfg)(run, enhance=False)
            sweep_times.append(time.perf_counter() - t)
            bare_times.append(bare(run, refs, levels, args.extractor, cfg.batch_size))
        ts, tb = min(sweep_times), min(bare_times)
        n_images = len(refs) + args.samples * len(levels)
        print(f"extractor {args.extractor}, {args.samples} samples x {len(levels)} levels "
              f"+ {len(refs)} reference images at {size[0]}x{size[1]}, {args.threads} threads, best of {args.repeats}")
        print(f"sweep measuring phase: {ts:.2f} s  ({n_images / ts:.1f} images/s, {ts / len(levels):.2f} s per level)")
        print(f"bare torchmetrics FID+KID: {tb:.2f} s  ({n_images / tb:.1f} images/s)")
        print(f"ratio sweep / bare: {ts / tb:.2f}  (the rest: check records, table, plot, contact sheet)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
