"""Benchmark genb render: samples/s at 512x512 for 1 and 2 processes, and the ratio of
the whole stage's time to the bare rasterizer passes (pyrender's own render calls) on the same
scenes;
then, in the same run, the default scene against --no-shadows, no props and a plain scene.

    python bench/bench_render.py [--samples 24] [--people 1,10] [--size 512,512] [--wardrobe-only | --scenery-only]

It also renders the same samples dressed (the default wardrobe), with ``--wardrobe none``, and
with ``--wardrobe none`` in a plain scene (no shadows, props or camera effects: the renderer
before dressing and scenery), taking turns in one process, and prints the throughputs and ratios.

Prints one table. Not a test: numbers depend on the machine.

Against another genb source tree (the throughput bar of issues 17, 18 and 21: the default render keeps
at least 0.70 of commit 543956a's samples/s, measured in the same run)::

    git worktree add /tmp/base-perf 543956a
    python bench/bench_render.py --baseline /tmp/base-perf [--samples 60] [--rounds 4] [--workers N]

renders the default (``run_render``: what ``genb render`` does, each tree with its own default workers
unless ``--workers`` is given (543956a: one; today: one per core for 32 samples or more), 512x512, 1-10 people, the
samples written) in a fresh interpreter with ``PYTHONPATH=DIR`` and one with this tree, taking turns
(the baseline first in even rounds, this tree first in odd ones, each round its own seed), and prints
each round's steady samples/s (start-up excluded: ``RenderSummary.steady_samples_per_second``) of both,
their ratio (this / baseline) and the median ratio. Each tree keeps its own shell store
(``GENB_SHELL_CACHE=<tmp>/genb-bench-shells-<tree>``, kept between invocations) so that neither
rebuilds the other's shells; a tree that has a shell store (``genb/render/dress/shell_store.py``) first
renders every round's samples once, untimed, to fill it (``--no-warm-up`` skips it): against a fresh store
this tree measured 0.25-0.40 of 543956a on the shared machine, the dressing building shells a warm store holds.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np  # noqa: E402

from genb.render.config import RenderConfig  # noqa: E402
from genb.core.io import depth_bytes, npy_bytes  # noqa: E402
from genb.core.run import RunFolder  # noqa: E402
from genb.render.stage import RenderStage
from genb.render.run import run_render  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--people", default="1,10", help="MIN,MAX people per image")
    ap.add_argument("--size", default="512,512", help="WIDTH,HEIGHT")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenery-only", action="store_true", help="only the scenery comparison (one process)")
    ap.add_argument("--wardrobe-only", action="store_true", help="only the dressed vs --wardrobe none comparison")
    ap.add_argument("--sequence-only", type=int, metavar="FRAMES", default=0,
                    help="only frames/s of sequences of FRAMES frames against single samples/s (one process)")
    ap.add_argument("--baseline", metavar="DIR", help="only: this tree's default render against the genb tree DIR, "
                    "taking turns, --rounds rounds (ratio per round and median)")
    ap.add_argument("--rounds", type=int, default=4, help="rounds of --baseline")
    ap.add_argument("--workers", type=int, default=None,
                    help="workers of --baseline's renders (default: each tree's own default, as genb render)")
    ap.add_argument("--no-warm-up", action="store_true", help="--baseline without the untimed first pass that fills "
                    "each tree's shell store")
    args = ap.parse_args()
    if args.baseline:
        against_baseline(Path(args.baseline), args)
        return
    lo, hi = (int(x) for x in args.people.split(","))
    w, h = (int(x) for x in args.size.split(","))
    cfg = RenderConfig(num_samples=args.samples, seed=args.seed, image_size=(w, h), portrait_prob=0.0,
                       num_people=(lo, hi))
    if args.scenery_only:
        scenery_table(cfg)
        return
    if args.sequence_only:
        sequence_vs_single(cfg, args.sequence_only)
        return
    dressed_vs_bare(cfg)
    if args.wardrobe_only:
        return
    # 1. The bare library: every pass of every sample (colour, sun depth, labels, bare bodies) drawn
    #    with pyrender's own OffscreenRenderer.render on prebuilt scenes, against genb's passes
    #    (Rasterizer.run_passes: single-sampled label passes, no unused readbacks) on the same scenes.
    stage = RenderStage(cfg)
    stage(0)  # warms the GL programs
    renderer = stage.raster._renderer_for(w, h)
    bare = ours = 0.0
    n_people = 0
    for i in range(args.samples):
        prep = stage.prepare(i)
        n_people += prep.num_people
        passes = list(prep.passes)
        if prep.look is not None and prep.look.shadow_pass is not None:
            passes.insert(1, prep.look.shadow_pass)
        for take in range(2):  # alternate which goes first (the first pays the mesh uploads' cache misses)
            for kind in ((0, 1) if (i + take) % 2 == 0 else (1, 0)):
                t = time.perf_counter()
                if kind == 0:
                    for scene, flags, seg_map in passes:
                        renderer.render(scene, flags=flags, seg_node_map=seg_map)
                else:
                    stage.raster.run_passes(passes, w, h)
                if take == 1:
                    if kind == 0:
                        bare += time.perf_counter() - t
                    else:
                        ours += time.perf_counter() - t
    t0 = time.perf_counter()
    for i in range(1, args.samples + 1):
        stage(i)
    in_memory = time.perf_counter() - t0
    gl = stage.raster.gl_renderer_name
    stage.close()

    # 2. The whole stage, writing the run folder, with 1 and 2 worker processes, on the same
    #    samples. Start-up (building anny and the GL context, spawning workers) is reported
    #    apart: RenderSummary.startup_seconds.
    results, startup = {}, {}
    sizes: dict[str, int] = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            s = run_render(os.path.join(tmp, "run"), RenderConfig(**{**cfg.__dict__, "workers": workers}))
            if workers == 1:  # bytes on disk per sample, by file
                for f in Path(tmp, "run", "samples").glob("*/*"):
                    sizes[f.name] = sizes.get(f.name, 0) + f.stat().st_size
                run = RunFolder(os.path.join(tmp, "run"))
                depths = [run.depth(i) for i in run.sample_ids()]
        results[workers] = 1.0 / s.steady_samples_per_second
        startup[workers] = s.startup_seconds
    # the depth map stored losslessly compressed (depth.npz) against the raw array (the old depth.npy)
    t = time.perf_counter()
    npz_sizes = [len(depth_bytes(d)) for d in depths]
    npz_ms = (time.perf_counter() - t) / len(depths) * 1e3
    t = time.perf_counter()
    npy_sizes = [len(npy_bytes(d)) for d in depths]
    npy_ms = (time.perf_counter() - t) / len(depths) * 1e3

    n = args.samples
    print(f"genb render benchmark: {n} samples at {w}x{h}, {lo}-{hi} people ({n_people / n:.1f} on average), "
          f"GL: {gl}, {os.cpu_count()} cores")
    print(f"{'what':56s} {'s/sample':>9s} {'samples/s':>10s}")
    rows = [
        ("bare pyrender: OffscreenRenderer.render, every pass", bare / n),
        ("genb's passes (Rasterizer.run_passes), same scenes", ours / n),
        ("RenderStage in memory (bodies, scene, raster, maps, GT)", in_memory / n),
        ("genb render, 1 process (with PNG/npz writes)", results[1]),
        ("genb render, 2 worker processes", results[2]),
    ]
    for name, sec in rows:
        print(f"{name:56s} {sec:9.3f} {1 / sec:10.2f}")
    print(f"start-up: {startup[1]:.1f} s with 1 process, {startup[2]:.1f} s with 2 workers (not in the rows above)")
    print(f"ratio genb's passes / bare pyrender passes:        {ours / bare:.2f}")
    print(f"ratio stage (1 process, all writes) / bare passes: {results[1] / (bare / n):.2f}")
    print(f"ratio in-memory stage / bare passes:               {in_memory / bare:.2f}")
    print(f"samples/s per core, 2 processes on {os.cpu_count()} cores:     {1 / results[2] / (os.cpu_count() or 1):.2f}")
    total = sum(sizes.values()) / n
    print(f"bytes per sample on disk: {total / 1e3:.1f} KB ("
          + ", ".join(f"{k} {v / n / 1e3:.1f}" for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])) + " KB)")
    print(f"depth: depth.npz {np.mean(npz_sizes) / 1e3:.1f} KB ({npz_ms:.1f} ms to encode) vs raw depth.npy "
          f"{np.mean(npy_sizes) / 1e3:.1f} KB ({npy_ms:.1f} ms); a sample with depth.npy would take "
          f"{(total - np.mean(npz_sizes) + np.mean(npy_sizes)) / 1e3:.1f} KB")
    scenery_table(cfg)


def scenery_table(cfg: RenderConfig) -> None:
    """RenderStage in memory, one process: the default scene (shadows, props, camera effects)
    against each of them off, on the same samples. The variants share one stage (its config is
    swapped) and take turns sample by sample, so a shared machine's load hits them alike; CPU
    seconds (all threads, GL included) and wall seconds per sample."""
    variants = [
        ("default (shadows, props, camera effects)", {}),
        ("--no-shadows", {"shadows": False}),
        ("--props 0,0 (no objects)", {"props": (0, 0), "occluders": (0, 0)}),
        ("--no-camera-effects", {"camera_effects": False}),
        ("plain: none of them", {"shadows": False, "props": (0, 0), "occluders": (0, 0), "camera_effects": False}),
    ]
    stage = RenderStage(RenderConfig(**{**cfg.__dict__, "workers": 1}))
    configs = [dataclasses.replace(stage.cfg, **change) for _, change in variants]
    cpu, wall = np.zeros(len(variants)), np.zeros(len(variants))
    for i in range(cfg.num_samples + 1):
        for k, c in enumerate(configs):
            stage.cfg = c
            t, p = time.perf_counter(), time.process_time()
            stage(i)
            if i:  # sample 0 warms the GL programs and caches
                cpu[k] += time.process_time() - p
                wall[k] += time.perf_counter() - t
    stage.close()
    cpu, wall = cpu / cfg.num_samples, wall / cfg.num_samples
    print(f"\nscenery: RenderStage in memory, 1 process, {cfg.num_samples} samples, variants interleaved")
    print(f"{'what':44s} {'cpu s/sample':>12s} {'wall s/sample':>13s} {'samples/s':>9s} {'vs default':>10s}")
    for k, (name, _) in enumerate(variants):
        print(f"{name:44s} {cpu[k]:12.3f} {wall[k]:13.3f} {1 / wall[k]:9.2f} {wall[0] / wall[k]:10.2f}")


def dressed_vs_bare(cfg: RenderConfig, rounds: int = 2) -> None:
    """samples/s of the whole stage (one process, writes included) dressed, with --wardrobe none, and
    with --wardrobe none in a plain scene, on the same samples, taking turns so that a shared
    machine's load hits all alike."""
    plain = {"shadows": False, "props": (0, 0), "occluders": (0, 0), "camera_effects": False}
    variants = {
        "default (dressed, full scenery)": {},
        "--wardrobe none": {"wardrobe": "none"},
        "--wardrobe none, plain scene": {"wardrobe": "none", **plain},
    }
    seconds = dict.fromkeys(variants, 0.0)
    for _ in range(rounds):
        for name, change in variants.items():
            with tempfile.TemporaryDirectory() as tmp:
                s = run_render(os.path.join(tmp, "run"), RenderConfig(**{**cfg.__dict__, "workers": 1, **change}))
            seconds[name] += s.seconds - s.startup_seconds
    n = cfg.num_samples * rounds
    rate = {name: n / sec for name, sec in seconds.items()}
    first = next(iter(rate))
    print(f"\nwhole stage, 1 process, writes included ({cfg.image_size[0]}x{cfg.image_size[1]}, "
          f"{cfg.num_people[0]}-{cfg.num_people[1]} people, {n} samples each, variants taking turns)")
    for name, r in rate.items():
        print(f"{name:34s} {r:6.2f} samples/s   default keeps {rate[first] / r:5.0%} of it")



def sequence_vs_single(cfg: RenderConfig, frames: int, rounds: int = 2) -> None:
    """Frames per second of sequences (genb render --frames) against single samples per second, one
    stage, taking turns, everything written to disk (plan, flow and the sequence record included)."""
    from genb.render.run import write_sample
    from genb.sequence.stage import SequenceConfig, render_sequence

    scfg = SequenceConfig(**dataclasses.asdict(cfg), frames=frames)
    stage = RenderStage(scfg)
    stage(0)  # warms the GL programs
    per_round = max(1, cfg.num_samples // rounds)
    single = seq = 0.0
    n_single = n_frames = 0
    with tempfile.TemporaryDirectory() as tmp:
        run = RunFolder(Path(tmp) / "single")
        for r in range(rounds):
            t0 = time.perf_counter()
            for i in range(r * per_round, (r + 1) * per_round):
                write_sample(run, i, stage(i))
            single += time.perf_counter() - t0
            n_single += per_round
            t0 = time.perf_counter()
            n_frames += render_sequence(stage, Path(tmp) / "seq", r, scfg)
            seq += time.perf_counter() - t0
    stage.close()
    a, b = n_single / single, n_frames / seq
    print(f"| {cfg.image_size[0]}x{cfg.image_size[1]}, people {cfg.num_people} | single samples/s | sequence frames/s | ratio |")
    print("| --- | --- | --- | --- |")
    print(f"| {n_single} samples, {n_frames} frames ({rounds} sequences of {frames}) | {a:.3f} | {b:.3f} | {b / a:.2f} |")


# One render in a fresh interpreter: run_render lives in genb.render.stage up to 543956a, then in genb.render.run.
_ONE_RUN = """
import os, sys, tempfile
try:
    from genb.render.run import run_render
except ImportError:
    from genb.render.stage import run_render
from genb.render.config import RenderConfig
with tempfile.TemporaryDirectory() as t:
    s = run_render(os.path.join(t, 'run'), RenderConfig(**eval(sys.argv[1])))
    print('STEADY', s.steady_samples_per_second, s.startup_seconds)
"""


def one_run(tree: Path, cfg: dict) -> tuple[float, float]:
    """Steady samples/s and start-up seconds of ``run_render(cfg)`` with genb imported from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYOPENGL_PLATFORM": os.environ.get("PYOPENGL_PLATFORM", "egl"),
           "GENB_SHELL_CACHE": os.path.join(tempfile.gettempdir(), f"genb-bench-shells-{tree.resolve().name}")}
    out = subprocess.run([sys.executable, "-c", _ONE_RUN, repr(cfg)], cwd=tree, env=env, capture_output=True, text=True)
    line = [x for x in out.stdout.splitlines() if x.startswith("STEADY")]
    if out.returncode or not line:
        raise SystemExit(f"the render with {tree} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    rate, startup = map(float, line[0].split()[1:])
    return rate, startup


def against_baseline(base: Path, args: argparse.Namespace) -> None:
    """This tree's pipelined default render against the genb source tree ``base``, taking turns."""
    this = Path(__file__).resolve().parents[1]
    if not (base / "genb" / "__init__.py").is_file():
        raise SystemExit(f"--baseline {base}: not a genb source tree (no genb/__init__.py)")
    lo, hi = (int(x) for x in args.people.split(","))
    w, h = (int(x) for x in args.size.split(","))
    print(f"default render (run_render, {w}x{h}, {lo}-{hi} people, {args.samples} samples, writes, "
          f"workers {args.workers or 'each tree default'}): this tree {this} against {base}, {os.cpu_count()} cores")
    cfgs = [dict(num_samples=args.samples, seed=args.seed + r, image_size=(w, h), portrait_prob=0.0,
                 num_people=(lo, hi), **({} if args.workers is None else {"workers": args.workers}))
            for r in range(args.rounds)]
    if not args.no_warm_up:  # every round's shells in each tree's store (untimed)
        for tree in (t for t in (base, this) if (t / "genb" / "render" / "dress" / "shell_store.py").is_file()):
            for cfg in cfgs:
                one_run(tree, cfg)
        print("warmed up: each tree with a shell store rendered every round's samples once (untimed)", flush=True)
    ratios = []
    for r, cfg in enumerate(cfgs):
        rates = {}
        for tree in ((base, this) if r % 2 == 0 else (this, base)):
            rates[tree] = one_run(tree, cfg)[0]
        ratios.append(rates[this] / rates[base])
        print(f"round {r}: baseline {rates[base]:.2f}  this {rates[this]:.2f} samples/s (steady)  "
              f"ratio {ratios[-1]:.2f}", flush=True)
    print(f"median ratio this/baseline over {args.rounds} rounds: {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()

