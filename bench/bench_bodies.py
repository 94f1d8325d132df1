"""Body model timings: genb's pose() (semantic pose -> vertices, joints, BODY25) against the bare
library forward pass with the same inputs, for batches of 1, 5 and 10 people.

    python bench/bench_bodies.py [--smplx-dir DIR]   # without --smplx-dir a synthetic SMPL-X file is used
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def best_of(fn, repeat: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smplx-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from genb.render.bodies.anny_body import AnnyBody
    from genb.render.bodies.smplx_body import SmplxBody
    from genb.render.bodies.poses import PoseLibrary

    smplx_dir = args.smplx_dir
    if smplx_dir is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from _fixtures_bodies import write_synthetic_smplx

        smplx_dir = tempfile.mkdtemp()
        write_synthetic_smplx(smplx_dir)
    t = time.perf_counter()
    anny_body = AnnyBody()
    t_anny = time.perf_counter() - t
    t = time.perf_counter()
    smplx_body = SmplxBody(smplx_dir)
    t_smplx = time.perf_counter() - t
    print(f"build: anny {t_anny:.2f} s, smplx {t_smplx:.2f} s  (torch threads: {args.threads})")
    library = PoseLibrary()
    rng = np.random.default_rng(0)
    print(f"{'model':6s} {'batch':>5s} {'pose() ms':>10s} {'bare ms':>9s} {'ratio':>6s}")
    for body in (anny_body, smplx_body):
        for n in (1, 5, 10):
            shapes = body.sample_shapes(rng, n)
            _, rotations = library.sample(rng, n)
            posed = body.pose(shapes, rotations)
            t_pose = best_of(lambda: body.pose(shapes, rotations))
            if body.name == "anny":
                delta = torch.zeros((n, body.num_bones, 4, 4), dtype=torch.float64)
                delta[:, :, :3, :3] = torch.as_tensor(posed.params["bone_rotations"], dtype=torch.float64)
                delta[:, :, 3, 3] = 1
                phen = torch.as_tensor(shapes, dtype=torch.float64)

                def bare():
                    with torch.no_grad():
                        body.model(pose_parameters=delta, phenotype_kwargs=phen)
            else:
                kw = {k: torch.as_tensor(v) for k, v in posed.params.items()}
                kw["leye_pose"] = kw["reye_pose"] = torch.zeros((n, 3))

                def bare():
                    with torch.no_grad():
                        body.model(**kw)
            t_bare = best_of(bare)
            print(f"{body.name:6s} {n:5d} {1000 * t_pose:10.1f} {1000 * t_bare:9.1f} {t_pose / t_bare:6.2f}")


if __name__ == "__main__":
    main()
