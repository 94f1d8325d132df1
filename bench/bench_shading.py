"""The deferred shading pass's cost, and the render stage against a baseline checkout (A/B).

    python bench/bench_shading.py [--samples 12] [--rounds 3] [--warmup 1] [--size 512,512] [--baseline /tmp/base]

1. ms per megapixel of the shading pass alone (``Look.shade``: sun visibility, occlusion, the
   per-pixel light, exposure, tone curve) on the default scenes of this checkout, and of the
   surface detail before it (the texcoord pass, cloth patterns and relief, ground relief);
2. with ``--baseline DIR`` (a worktree of the starting commit), RenderStage in memory in one
   process per tree, the trees taking turns round by round (a shared machine's load hits both
   alike): samples/s of each and the ratio, after ``--warmup`` samples per process (40: the
   garment shell cache has filled, the steady state of a long run), by wall time and by the
   process's CPU time (all threads, GL included: steadier than wall time on a loaded machine);
   per round and the median. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

_STAGE_TIMER = """
import sys, time
from genb.render.config import RenderConfig
from genb.render.stage import RenderStage
w, h, n, seed, warm = {w}, {h}, {n}, {seed}, {warm}
s = RenderStage(RenderConfig(num_samples=n + warm, seed=seed, image_size=(w, h), portrait_prob=0.0, num_people=(1, 10)))
for i in range(warm):
    s(i)
t, c = time.perf_counter(), time.process_time()
for i in range(warm, warm + n):
    s(i)
print("SECONDS", time.perf_counter() - t, time.process_time() - c)
"""


def shading_cost(w: int, h: int, n: int, seed: int) -> dict[str, float]:
    """ms per megapixel over n default samples of: ``shade`` (Look.shade: sun visibility, occlusion,
    the per-pixel light, exposure, tone curve), ``texcoord_pass`` (the GL pass of the patterned
    garments' cloth coordinates), ``cloth`` (their patterns and relief per pixel, apply_cloth) and
    ``relief`` (the ground's detail normals, Look.detail); ``ms_per_image`` of the shading."""
    from genb.render.config import RenderConfig
    from genb.render.raster.detail import apply_cloth
    from genb.render.raster.texcoord_pass import render_texcoord_pass
    from genb.render.stage import RenderStage

    stage = RenderStage(RenderConfig(num_samples=n, seed=seed, image_size=(w, h), portrait_prob=0.0, num_people=(1, 10)))
    total = dict.fromkeys(("shade", "texcoord_pass", "cloth", "relief"), 0.0)
    pixels = 0
    for i in range(n):
        prep = stage.prepare(i)
        tex_pass, prep.texcoord_pass = prep.texcoord_pass, None
        results = list(stage.rasterize(prep))
        t = time.perf_counter()
        tex = render_texcoord_pass(stage.raster, tex_pass, w, h) if tex_pass is not None else None
        total["texcoord_pass"] += time.perf_counter() - t
        shadow = results.pop(1) if prep.look.shadow_pass is not None else None
        out = stage.raster.decode(results, prep.cam_ext, prep.has_ground)
        t = time.perf_counter()
        prep.look.detail(out, prep.K, prep.cam_ext)
        total["relief"] += time.perf_counter() - t
        t = time.perf_counter()
        if tex is not None:
            apply_cloth(out, tex[0], tex[1], prep.fabrics, prep.K)
        total["cloth"] += time.perf_counter() - t
        t = time.perf_counter()
        prep.look.shade(out.color, out, prep.K, prep.cam_ext, shadow)
        total["shade"] += time.perf_counter() - t
        pixels += prep.width * prep.height
    cost = {k: v / pixels * 1e9 for k, v in total.items()}
    cost["ms_per_image"] = total["shade"] / n * 1e3
    return cost


def stage_seconds(tree: Path, w: int, h: int, n: int, seed: int, warm: int = 1) -> tuple[float, float]:
    """(wall, CPU) seconds for n samples of RenderStage in memory after ``warm`` samples, in a fresh
    process importing ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _STAGE_TIMER.format(w=w, h=h, n=n, seed=seed, warm=warm)], cwd=tree,
                         env=env, capture_output=True, text=True, check=True)
    wall, cpu = next(l for l in out.stdout.splitlines() if l.startswith("SECONDS")).split()[1:]
    return float(wall), float(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", default="512,512")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=1, help="samples each process renders before timing")
    ap.add_argument("--baseline", default=None, help="a worktree of the starting commit")
    ap.add_argument("--ab-only", action="store_true", help="with --baseline: skip the shading pass's own cost")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split(","))
    if not args.ab_only:
        cost = shading_cost(w, h, args.samples, args.seed)
        print(f"shading pass: {cost['shade']:.0f} ms per megapixel ({cost['ms_per_image']:.0f} ms per {w}x{h} image), "
              f"{args.samples} samples")
        print(f"surface detail, ms per megapixel: texcoord pass {cost['texcoord_pass']:.0f}, cloth patterns and relief "
              f"{cost['cloth']:.0f}, ground relief {cost['relief']:.0f}")
    if not args.baseline:
        return
    here = Path(__file__).resolve().parents[1]
    trees = {"baseline": Path(args.baseline).resolve(), "this checkout": here}
    wall, cpu = {k: [] for k in trees}, {k: [] for k in trees}
    for r in range(args.rounds):
        for name in (list(trees) if r % 2 == 0 else list(trees)[::-1]):
            t = stage_seconds(trees[name], w, h, args.samples, args.seed + r * 1000, args.warmup)
            wall[name].append(t[0])
            cpu[name].append(t[1])
        print(f"round {r}: baseline {args.samples / wall['baseline'][-1]:.2f} samples/s, this checkout "
              f"{args.samples / wall['this checkout'][-1]:.2f}: keeps {wall['baseline'][-1] / wall['this checkout'][-1]:.0%} "
              f"(CPU {cpu['baseline'][-1] / cpu['this checkout'][-1]:.0%})", flush=True)
    n = args.samples * args.rounds
    for name in trees:
        print(f"{name:14s} {n / sum(wall[name]):6.2f} samples/s, {sum(cpu[name]) / n:.3f} CPU s/sample "
              f"(RenderStage in memory, {n} samples after {args.warmup} warm-up, {w}x{h}, 1-10 people)")
    ratios = sorted(b / t for b, t in zip(wall["baseline"], wall["this checkout"]))
    cratios = sorted(b / t for b, t in zip(cpu["baseline"], cpu["this checkout"]))
    print(f"this checkout keeps {statistics.median(ratios):.0%} of the baseline's throughput (median of rounds, "
          f"{ratios[0]:.0%}-{ratios[-1]:.0%}); by CPU time {statistics.median(cratios):.0%} ({cratios[0]:.0%}-{cratios[-1]:.0%})")

if __name__ == "__main__":
    main()
