"""A/B throughput of the default render against a baseline checkout, interleaved run by run.

    python bench/bench_world.py --base /tmp/base-world --rounds 3 --samples 10 [--variant places=none ...]

Each round renders ``--samples`` samples (after one warm-up) with ``run_render`` in one process, in a
fresh subprocess per arm: the baseline checkout, this checkout, and this checkout with each
``--variant`` (config overrides, e.g. ``places=none``, ``min_framed_keypoints=0``), taking turns so
the shared machine's load hits them alike. Prints steady samples/s per arm and the ratios to the
baseline per round (the machine is shared: read the ratios, not the absolute numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time, tempfile
from genb.render.config import RenderConfig
from genb.render.run import run_render
over = json.loads(sys.argv[1]); n = int(sys.argv[2]); size = tuple(json.loads(sys.argv[3]))
with tempfile.TemporaryDirectory() as d:
    run_render(d + "/warm", RenderConfig(num_samples=1, seed=99, image_size=size, **over))
    s = run_render(d + "/run", RenderConfig(num_samples=n, seed=int(sys.argv[4]), image_size=size, **over))
print("RESULT", json.dumps({"sps": s.steady_samples_per_second}))
"""


def arm(root: str, over: dict, n: int, size, seed: int) -> float:
    env = {**os.environ, "PYTHONPATH": root, "PYOPENGL_PLATFORM": "egl"}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(over), str(n), json.dumps(list(size)), str(seed)],
                         cwd=root, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.split("RESULT", 1)[1])["sps"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--size", default="512,512")
    ap.add_argument("--variant", action="append", default=[], help="KEY=VALUE overrides of one extra arm (repeatable)")
    a = ap.parse_args()
    size = tuple(int(x) for x in a.size.split(","))
    here = str(Path(__file__).resolve().parents[1])

    def parse(v):
        k, val = v.split("=", 1)
        try:
            return k, json.loads(val)
        except json.JSONDecodeError:
            return k, val

    arms = [("base", a.base, {}), ("this", here, {})] + [(v, here, dict([parse(x) for x in v.split(",")])) for v in a.variant]
    rows = []
    for r in range(a.rounds):
        got = {name: arm(root, over, a.samples, size, seed=r) for name, root, over in arms}
        rows.append(got)
        print(json.dumps({"round": r, **{k: round(v, 3) for k, v in got.items()},
                          **{f"{k}/base": round(v / got["base"], 3) for k, v in got.items() if k != "base"}}), flush=True)


if __name__ == "__main__":
    main()
