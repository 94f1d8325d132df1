"""Foot sliding of the procedural motions (genb/sequence/gait.py): the largest horizontal move of a
foot vertex within 1 cm of the ground on two consecutive frames, per motion, over shapes and seeds.

    PYTHONPATH=. python bench/bench_foot_slide.py [--cases 12] [--frames 45]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def measure(cases: int, frames: int, fps: float = 30.0, only: tuple = ()) -> dict[str, list[float]]:
    from genb.render.bodies import load_body_model
    from genb.render.bodies.poses import PoseLibrary
    from genb.render.bodies.rotations import euler_xyz_to_matrix
    from genb.sequence import gait
    from genb.sequence.plan import foot_vertices

    body, lib = load_body_model("anny"), PoseLibrary()
    feet = foot_vertices(body)
    out: dict[str, list[float]] = {}
    kinds = [k for k in gait.MOTIONS if k not in ("stand",) and (not only or k in only)]
    for k in range(cases):
        for kind in kinds:
            rng = np.random.default_rng(1000 * k + kinds.index(kind))
            shape = body.sample_shapes(rng, 1)
            name, euler, yaw, stance = gait.sample_motion(rng, lib, frames, fps, {kind: 1.0})
            pose_fn = lambda e: body.pose(np.repeat(shape, len(e), 0), euler_xyz_to_matrix(e)).vertices  # noqa: E731
            T, e = gait.plant_motion(pose_fn, euler, yaw, feet, stance, fps)
            V = np.asarray(pose_fn(e), np.float64)
            world = np.einsum("tij,tvj->tvi", gait.rot_z(yaw), V) + T[:, None]
            slide = max(gait.foot_slide(world, f).max() for f in feet)
            out.setdefault(name.split(":")[0], []).append(float(slide))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=12)
    ap.add_argument("--frames", type=int, default=45)
    ap.add_argument("--kinds", default="", help="motions to measure, comma separated (default: all but stand)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    res = measure(a.cases, a.frames, only=tuple(a.kinds.split(",")) if a.kinds else ())
    for name, v in res.items():
        v = np.array(v) * 1000
        print(f"{name:6s} n={len(v):3d}  max {v.max():6.2f} mm  median {np.median(v):5.2f} mm  "
              f"over 10 mm: {(v > 10).sum()}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
