"""Flicker of noise-warped against independent per-frame noise, same strength, tiny pipeline.

Renders sequences (anny, bare bodies, 128x96), enhances each at the same noise with the initial
noise carried along the exact flow and with independent per-frame noise, and prints the flicker
(mean |frame t - frame t+1 warped back by the exact flow| over non-occluded pixels, 0..255) of the
render and of each enhanced version. ``--cross-frame`` adds both again with cross-frame attention
to the key frame (``--cross-frame-attention``) and the enhance seconds per frame of each arm
(model loaded beforehand). Random weights: the figures show the mechanism, not a real model's look.

    PYTHONPATH=. python bench/measure_flicker.py --out /tmp/flicker --sequences 3 --frames 8 --noise 0.5
    PYTHONPATH=. python bench/measure_flicker.py --out /tmp/flicker --sequences 3 --frames 8 --noise 0.5 --cross-frame
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
    ap.add_argument("--cross-frame", action="store_true", help="also the arms with --cross-frame-attention")
    a = ap.parse_args()
    out = Path(a.out)
    os.environ.setdefault("GENB_CACHE", str(out / "cache"))
    from genb.config import resolve_config
    from genb.core.run import RunFolder
    from genb.enhance.config import EnhanceConfig
    from genb.enhance.stage import get_stage, run_enhance
    from genb.enhance.tiny import ensure_tiny_pipeline, tiny_cache_dir
    from genb.sequence.gate import level_flicker
    from genb.sequence.stage import SequenceConfig, run_sequences

    ensure_tiny_pipeline(tiny_cache_dir())
    cfg = SequenceConfig(num_samples=a.sequences, frames=a.frames, image_size=(128, 96), num_people=(1, 2), seed=11,
                         wardrobe="none", portrait_prob=0.0)
    run_sequences(out / "run", cfg)
    arms = [("warped", True, False), ("independent", False, False)]
    if a.cross_frame:
        arms += [("warped+xattn", True, True), ("independent+xattn", False, True)]

    def config(warp: bool, xattn: bool) -> EnhanceConfig:
        return resolve_config(EnhanceConfig, "enhance", "tiny", dict(noise=a.noise, noise_warp=warp, steps=a.steps,
                                                                     threads=1, batch_size=2,
                                                                     cross_frame_attention=xattn))

    get_stage(config(True, False), 0)  # load the models once, before any arm is timed
    rows, seconds = [], {name: 0.0 for name, _, _ in arms}
    for s in range(a.sequences):
        run = RunFolder(out / "run" / "sequences" / f"{s:06d}")
        got = {}
        for name, warp, xattn in arms:
            view = run.view(f"enhanced-{name}")
            seconds[name] += run_enhance(view, config(warp, xattn)).seconds / a.frames
            got[name] = level_flicker(view, a.noise)
        rows.append([got["warped"]["render"]] + [got[name]["enhanced"] for name, _, _ in arms])
        print(f"sequence {s}: render {rows[-1][0]:.2f}  " + "  ".join(
            f"{name} {v:.2f}" for (name, _, _), v in zip(arms, rows[-1][1:])))
    m = np.mean(rows, axis=0)
    print(f"mean flicker: render {m[0]:.2f}  " + "  ".join(f"{name} {v:.2f}" for (name, _, _), v in zip(arms, m[1:])))
    print("enhance s/frame: " + "  ".join(f"{name} {seconds[name] / a.sequences:.3f}" for name, _, _ in arms))
    if a.cross_frame:
        print(f"cost per frame, cross-frame / without (warped): {seconds['warped+xattn'] / seconds['warped']:.2f}")


if __name__ == "__main__":
    main()
