"""Benchmark genb render: samples/s at 512x512 for 1 and 2 processes, and the ratio of
the whole stage's time to the bare rasterizer passes (pyrender calls) on the same meshes.

    python bench/bench_render.py [--samples 24] [--people 1,10] [--size 512,512] [--wardrobe-only]

It also renders the same samples dressed (the default wardrobe) and with ``--wardrobe none``,
interleaved in one process, and prints both throughputs and their ratio.

Prints one table. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np  # noqa: E402

from genb.render.config import RenderConfig  # noqa: E402
from genb.render.stage import RenderStage, run_render  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--people", default="1,10", help="MIN,MAX people per image")
    ap.add_argument("--size", default="512,512", help="WIDTH,HEIGHT")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--wardrobe-only", action="store_true", help="only the dressed vs --wardrobe none comparison")
    args = ap.parse_args()
    lo, hi = (int(x) for x in args.people.split(","))
    w, h = (int(x) for x in args.size.split(","))
    cfg = RenderConfig(num_samples=args.samples, seed=args.seed, image_size=(w, h), portrait_prob=0.0,
                       num_people=(lo, hi))
    dressed_vs_bare(cfg)
    if args.wardrobe_only:
        return

    # 1. The bare passes: record the raster inputs of every sample, then time only pyrender's calls.
    stage = RenderStage(cfg)
    recorded = []
    original = stage.raster.build_passes

    def recording(people, K, ext, lighting, ground):
        passes = original(people, K, ext, lighting, ground)
        recorded.append((people, K, ext, lighting, ground, passes))
        return passes

    stage.raster.build_passes = recording
    t0 = time.perf_counter()
    n_people = 0
    for i in range(args.samples):
        n_people += len(stage(i).labels["bbox"])
    in_memory = time.perf_counter() - t0
    bare = 0.0
    wrapped = 0.0
    stage.raster.build_passes = original
    for people, K, ext, lighting, ground, _ in recorded:
        width, height = round(2 * K[0, 2] + 1), round(2 * K[1, 2] + 1)  # principal point at the centre
        passes = original(people, K, ext, lighting, ground)
        t = time.perf_counter()
        stage.raster.run_passes(passes, width, height)
        bare += time.perf_counter() - t
        t = time.perf_counter()
        stage.raster.render(people, K, ext, width, height, lighting, ground)
        wrapped += time.perf_counter() - t
    gl = stage.raster.gl_renderer_name
    stage.close()

    # 2. The whole stage, writing the run folder, with 1 and 2 worker processes, on the same
    #    samples. Start-up (building anny and the GL context, spawning workers) is reported
    #    apart: RenderSummary.startup_seconds.
    results, startup = {}, {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            s = run_render(os.path.join(tmp, "run"), RenderConfig(**{**cfg.__dict__, "workers": workers}))
        results[workers] = 1.0 / s.steady_samples_per_second
        startup[workers] = s.startup_seconds

    n = args.samples
    print(f"genb render benchmark: {n} samples at {w}x{h}, {lo}-{hi} people ({n_people / n:.1f} on average), "
          f"GL: {gl}, {os.cpu_count()} cores")
    print(f"{'what':56s} {'s/sample':>9s} {'samples/s':>10s}")
    rows = [
        ("bare pyrender passes (2 per sample, scenes prebuilt)", bare / n),
        ("Rasterizer.render (scene building + passes + decode)", wrapped / n),
        ("RenderStage in memory (bodies, scene, raster, maps, GT)", in_memory / n),
        ("genb render, 1 process (with PNG/npz writes)", results[1]),
        ("genb render, 2 worker processes", results[2]),
    ]
    for name, sec in rows:
        print(f"{name:56s} {sec:9.3f} {1 / sec:10.2f}")
    print(f"start-up: {startup[1]:.1f} s with 1 process, {startup[2]:.1f} s with 2 workers (not in the rows above)")
    print(f"ratio stage (1 process, all writes) / bare passes: {results[1] / (bare / n):.2f}")
    print(f"ratio in-memory stage / bare passes:               {in_memory / bare:.2f}")
    print(f"samples/s per core, 2 processes on {os.cpu_count()} cores:     {1 / results[2] / (os.cpu_count() or 1):.2f}")


def dressed_vs_bare(cfg: RenderConfig, rounds: int = 2) -> None:
    """samples/s of the whole stage (one process, writes included) dressed and with --wardrobe none,
    on the same samples, alternating so that a shared machine's load hits both alike."""
    seconds = {"everyday": 0.0, "none": 0.0}
    for _ in range(rounds):
        for wardrobe in ("none", "everyday"):
            with tempfile.TemporaryDirectory() as tmp:
                s = run_render(os.path.join(tmp, "run"), RenderConfig(**{**cfg.__dict__, "workers": 1, "wardrobe": wardrobe}))
            seconds[wardrobe] += s.seconds - s.startup_seconds
    n = cfg.num_samples * rounds
    dressed, bare = n / seconds["everyday"], n / seconds["none"]
    print(f"dressed (--wardrobe everyday): {dressed:.2f} samples/s; painted (--wardrobe none): {bare:.2f} samples/s; "
          f"dressed keeps {dressed / bare:.0%} of the undressed throughput ({cfg.image_size[0]}x{cfg.image_size[1]}, "
          f"{cfg.num_people[0]}-{cfg.num_people[1]} people, 1 process, {n} samples each)")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
