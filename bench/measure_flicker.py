"""Flicker of noise-warped against independent per-frame noise, same strength, tiny pipeline.

Renders sequences (anny, bare bodies, 128x96), enhances each twice at the same noise (the initial
noise carried along the exact flow, and independent per-frame noise), and prints the flicker
(mean |frame t - frame t+1 warped back by the exact flow| over non-occluded pixels, 0..255) of the
render and of both enhanced versions. Random weights: the figures show the mechanism, not a real
model's look.

    PYTHONPATH=. python bench/measure_flicker.py --out /tmp/flicker --sequences 3 --frames 8 --noise 0.5
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--sequences", type=int, default=3)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--noise", type=float, default=0.5)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    out = Path(a.out)
    os.environ.setdefault("GENB_CACHE", str(out / "cache"))
    from genb.config import resolve_config
    from genb.core.run import RunFolder
    from genb.enhance.config import EnhanceConfig
    from genb.enhance.stage import run_enhance
    from genb.enhance.tiny import ensure_tiny_pipeline, tiny_cache_dir
    from genb.sequence.gate import level_flicker
    from genb.sequence.stage import SequenceConfig, run_sequences

    ensure_tiny_pipeline(tiny_cache_dir())
    cfg = SequenceConfig(num_samples=a.sequences, frames=a.frames, image_size=(128, 96), num_people=(1, 2), seed=11,
                         wardrobe="none", portrait_prob=0.0)
    run_sequences(out / "run", cfg)
    rows = []
    for s in range(a.sequences):
        run = RunFolder(out / "run" / "sequences" / f"{s:06d}")
        got = {}
        for name, warp in (("enhanced", True), ("enhanced-indep", False)):
            view = run.view(name)
            run_enhance(view, resolve_config(EnhanceConfig, "enhance", "tiny",
                                             dict(noise=a.noise, noise_warp=warp, steps=a.steps, threads=1, batch_size=2)))
            got[name] = level_flicker(view, a.noise)
        rows.append((got["enhanced"]["render"], got["enhanced"]["enhanced"], got["enhanced-indep"]["enhanced"]))
        print(f"sequence {s}: render {rows[-1][0]:.2f}  warped {rows[-1][1]:.2f}  independent {rows[-1][2]:.2f}")
    m = np.mean(rows, axis=0)
    print(f"mean: render {m[0]:.2f}  warped {m[1]:.2f}  independent {m[2]:.2f}  (warped/independent {m[1] / m[2]:.2f})")


if __name__ == "__main__":
    main()
