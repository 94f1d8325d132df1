"""Benchmark ``genb check``: samples/s of the checker and the cost of each measure.

Renders a small run (or reuses ``--run``), writes "enhanced" images (the renders with
one person shifted in every other sample), then times:

1. flow only (the weight-free preset) against bare ``cv2.calcOpticalFlowFarneback``;
2. every measure with tiny random-weight ViTPose and SAM (the test models), per measure;
3. with ``--full-size``: ViTPose-base and SAM-ViT-base architectures with random weights
   (the real models' cost without downloading them), against their bare forward passes.

    python bench/bench_check.py --num-samples 8 --image-size 256,256 [--full-size]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


class Timed:
    """Wraps an estimator and adds up the seconds spent in it."""

    def __init__(self, inner):
        self.inner, self.seconds, self.calls = inner, 0.0, 0
        self.name = getattr(inner, "name", type(inner).__name__)

    def __call__(self, *args):
        t = time.perf_counter()
        out = self.inner(*args)
        self.seconds += time.perf_counter() - t
        self.calls += 1
        return out


def make_run(root: Path, num_samples: int, image_size: tuple[int, int]):
    from genb.render.config import RenderConfig
    from genb.render.run import run_render
    from genb.core.run import RunFolder

    if not (root / "run.json").is_file():
        run_render(root, RenderConfig(num_samples=num_samples, seed=7, image_size=image_size, num_people=(1, 3)))
    return RunFolder(root)


def enhance(run, noise: float) -> None:
    from _fixtures_check import Drift, apply_drift, enhance_with
    from genb.check import metrics

    def make(i, render):
        if i % 2 == 0:
            return render
        labels, instances = run.labels(i), run.instances(i)
        p = int(np.argmax(labels["mask_area"]))
        return apply_drift(render, instances, p, Drift(shift=(0.1 * float(metrics.box_size(labels["bbox"][p])), 0)))[0]

    enhance_with(run, noise, make)


def time_check(run, cfg, pose=None, sam=None, flow=None) -> tuple[float, dict[str, float]]:
    """Seconds per sample of run_check (models loaded beforehand) and seconds per sample per measure."""
    import shutil

    from genb.check.stage import Checker, run_check
    from genb.check.summary import write_summary

    checker = Checker(cfg, pose_estimator=pose, segmenter=sam, flow=flow)
    shutil.rmtree(run.check_dir(cfg.noise), ignore_errors=True)
    n = len(run.sample_ids())
    t = time.perf_counter()
    run_check(run, cfg, checker=checker)
    total = time.perf_counter() - t
    # the summary (csv, json, matplotlib plot) is written once per run_check: time it apart
    t = time.perf_counter()
    write_summary(run, cfg.noise)
    summary_s = time.perf_counter() - t
    parts = {name: est.seconds / n for name, est in (("pose (render+enhanced)", pose), ("sam", sam), ("flow", flow))
             if isinstance(est, Timed)}
    print(f"    (summary.csv/json/png once per run_check: {1000 * summary_s:.0f} ms, excluded below)")
    return (total - summary_s) / n, parts


RESULTS: list[str] = []


def report(title: str, total: float, parts: dict[str, float], bare: float | None = None, bare_what: str = "") -> None:
    line = f"{title}: {1 / total:.3g} samples/s ({1000 * total:.1f} ms/sample)"
    RESULTS.append(line)
    print(f"\n{line}")
    for name, s in parts.items():
        print(f"    {name:<24} {1000 * s:8.1f} ms/sample ({100 * s / total:4.1f}%)")
    other = total - sum(parts.values())
    print(f"    {'read+metrics+decide+write':<24} {1000 * other:8.1f} ms/sample ({100 * other / total:4.1f}%)")
    if bare:
        print(f"    bare {bare_what}: {1000 * bare:.1f} ms/sample -> checker/bare = {total / bare:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--num-samples", type=int, default=8)
    ap.add_argument("--image-size", default="256,256")
    ap.add_argument("--run", type=Path, help="reuse (or create) this run folder")
    ap.add_argument("--full-size", action="store_true", help="also time ViTPose-base / SAM-ViT-base architectures")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()

    import cv2
    import torch

    from _fixtures_check import build_tiny_sam, build_tiny_vitpose
    from genb.check.estimators import FlowEstimator, SamSegmenter, VitPoseEstimator
    from genb.check.stage import load_config

    if args.threads:
        torch.set_num_threads(args.threads)
    size = tuple(int(v) for v in args.image_size.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="bench-check-"))
    run = make_run(args.run or tmp / "run", args.num_samples, size)
    noise = 0.4
    enhance(run, noise)
    ids = run.sample_ids()
    print(f"run {run.root}: {len(ids)} samples {size[1]}x{size[0]}, "
          f"{sum(len(run.labels(i)['bbox']) for i in ids)} people; torch threads {torch.get_num_threads()}, "
          f"cv2 threads {cv2.getNumThreads()}")

    # 1. flow only vs bare OpenCV Farneback on the same image pairs
    pairs = [(run.image(i), cv2.imread(str(run.enhanced_dir(noise) / f"{i:06d}.png"))[..., ::-1].copy()) for i in ids]
    bare_flow = FlowEstimator("farneback")
    t = time.perf_counter()
    for a, b in pairs:
        bare_flow(a, b)
    bare = (time.perf_counter() - t) / len(pairs)
    cfg = load_config("flow_only", noise=noise, min_box_px=16)
    import matplotlib.pyplot  # noqa: F401  (warm-up: first imports are not the checker's cost)

    time_check(run, cfg, flow=FlowEstimator("farneback"))
    total, parts = time_check(run, cfg, flow=Timed(FlowEstimator("farneback")))
    report("flow only (farneback)", total, parts, bare, "cv2.calcOpticalFlowFarneback (gray conversion included)")
    total, parts = time_check(run, load_config("flow_only", noise=noise, min_box_px=16, flow_method="dis"),
                              flow=Timed(FlowEstimator("dis")))
    report("flow only (dis)", total, parts)

    # 2. all measures, tiny random-weight models loaded through the normal loading code
    vp_dir, sam_dir = build_tiny_vitpose(tmp / "vitpose"), build_tiny_sam(tmp / "sam")
    cfg = load_config(None, noise=noise, min_box_px=16, device="cpu")
    total, parts = time_check(run, cfg, pose=Timed(VitPoseEstimator(str(vp_dir), "cpu")),
                              sam=Timed(SamSegmenter(str(sam_dir), "cpu")), flow=Timed(FlowEstimator("farneback")))
    report("all measures, tiny ViTPose + tiny SAM", total, parts)

    # 3. the real architectures with random weights
    if args.full_size:
        from transformers import (SamConfig, SamImageProcessorPil, SamModel, VitPoseBackboneConfig, VitPoseConfig,
                                  VitPoseForPoseEstimation, VitPoseImageProcessorPil)

        torch.manual_seed(0)
        VitPoseForPoseEstimation(VitPoseConfig(backbone_config=VitPoseBackboneConfig(out_indices=[12]),
                                               num_labels=17)).save_pretrained(tmp / "vitpose-base")
        VitPoseImageProcessorPil().save_pretrained(tmp / "vitpose-base")
        SamModel(SamConfig()).save_pretrained(tmp / "sam-base")
        SamImageProcessorPil().save_pretrained(tmp / "sam-base")
        pose = Timed(VitPoseEstimator(str(tmp / "vitpose-base"), "cpu"))
        sam = Timed(SamSegmenter(str(tmp / "sam-base"), "cpu"))
        total, parts = time_check(run, cfg, pose=pose, sam=sam, flow=Timed(FlowEstimator("farneback")))
        # bare forward passes on the same batch shapes
        with torch.inference_mode():
            t = time.perf_counter()
            for i in ids:
                n = len(run.labels(i)["bbox"])
                pose.inner.model(pixel_values=torch.randn(n, 3, 256, 192))
                pose.inner.model(pixel_values=torch.randn(n, 3, 256, 192))
                sam.inner.model(pixel_values=torch.randn(1, 3, 1024, 1024), input_boxes=torch.rand(1, n, 4) * 1024,
                                multimask_output=False)
            bare = (time.perf_counter() - t) / len(ids)
        report("all measures, ViTPose-base + SAM-ViT-base architectures (random weights)", total, parts, bare,
               "model forwards (2x ViTPose, 1x SAM)")
    print("\nsummary:\n  " + "\n  ".join(RESULTS))


if __name__ == "__main__":
    main()
