"""Packaging throughput: ``genb package`` against the bare libraries doing the same work.

    python bench/bench_package.py [--run RUN] [--samples 256] [--workers 2]

Without ``--run`` it renders 16 samples at 512x384 (genb's default size, anny,
1-10 people) into a temporary folder once and repeats them (symlinked sample
folders) up to ``--samples``. It then times:

* ``genb package`` per format (selection, records, JPEG re-encoding, masks,
  pickles, shards, npz, image copies; the merge and card are timed apart);
* the bare work: ``webdataset.TarWriter`` writing ``cv2`` JPEG + a pickled
  minimal per-person dict of the same keypoints + ``np.savez_compressed`` person
  masks (and once without masks), and ``np.savez``
  of the same rows plus ``shutil.copyfile`` of the images.

The ratio is genb's samples/s over the bare samples/s (1.0 = no overhead).
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def make_run(samples: int) -> Path:
    from genb.render.config import RenderConfig
    from genb.render.run import run_render
    from genb.core.run import RunFolder

    base = Path(tempfile.gettempdir()) / "genb-bench-package-run"
    if not (base / "samples" / "000015").is_dir():
        run_render(base, RenderConfig(num_samples=16, seed=0))
    run = RunFolder(base)
    root = Path(tempfile.mkdtemp(prefix="genb-bench-package-"))
    shutil.copy(base / "run.json", root / "run.json")
    shutil.copy(base / "render.yaml", root / "render.yaml")
    (root / "samples").mkdir()
    src = run.sample_ids()
    for i in range(samples):
        os.symlink(run.sample_dir(src[i % len(src)]), root / "samples" / f"{i:06d}")
    return root


def bare_webdataset(run, ids, out: Path, quality: int, masks: bool) -> float:
    import cv2
    import webdataset as wds

    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    with wds.TarWriter(str(out / "bare.tar"), encoder=False) as sink:
        for i in ids:
            labels = run.labels(i)
            bgr = cv2.imread(str(run.sample_dir(i) / "image.png"), cv2.IMREAD_COLOR)
            jpg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()
            people = [{"keypoints_2d": np.concatenate([labels["keypoints2d"][p], labels["keypoints_vis"][p, :, None]], 1),
                       "keypoints_3d": labels["keypoints3d"][p], "center": labels["center"][p],
                       "scale": labels["scale"][p]} for p in range(len(labels["keypoints_vis"]))]
            sample = {"__key__": f"{i:06d}", "jpg": jpg, "data.pyd": pickle.dumps(people)}
            if masks:
                inst = cv2.imread(str(run.sample_dir(i) / "instances.png"), cv2.IMREAD_UNCHANGED)
                buf = io.BytesIO()
                np.savez_compressed(buf, masks=inst[None] == np.arange(1, len(people) + 1)[:, None, None])
                sample["detection.npz"] = buf.getvalue()
            sink.write(sample)
    return time.perf_counter() - t


def bare_npz(run, ids, out: Path) -> float:
    t = time.perf_counter()
    rows: dict[str, list] = {"imgname": [], "center": [], "scale": [], "gtkps": [], "cam_int": []}
    (out / "images").mkdir(parents=True, exist_ok=True)
    for i in ids:
        labels = run.labels(i)
        shutil.copyfile(run.sample_dir(i) / "image.png", out / "images" / f"{i:06d}.png")
        for p in range(len(labels["keypoints_vis"])):
            rows["imgname"].append(f"images/{i:06d}.png")
            rows["center"].append(labels["center"][p])
            rows["scale"].append(labels["scale"][p])
            rows["gtkps"].append(labels["keypoints2d"][p])
            rows["cam_int"].append(labels["cam_int"])
    np.savez(out / "bare.npz", **{k: np.asarray(v) for k, v in rows.items()})
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="an existing run folder (default: a rendered bench run)")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from genb.core.log import get_logger
    from genb.package.stage import PackageConfig, run_package
    from genb.core.run import RunFolder

    get_logger("genb").setLevel("WARNING")
    root = Path(args.run) if args.run else make_run(args.samples)
    run = RunFolder(root)
    ids = run.sample_ids()
    labels0 = run.labels(ids[0])
    H, W = labels0["image_size"]
    people = sum(len(run.labels(i)["keypoints_vis"]) for i in ids)
    print(f"run: {root} ({len(ids)} samples, {people} people, {W}x{H}); workers={args.workers}, cpu={os.cpu_count()}")
    tmp = Path(tempfile.mkdtemp(prefix="genb-bench-package-out-"))
    # warm the page cache and imports
    bare_npz(run, ids, tmp / "warm")
    run_package(run, tmp / "warm-genb", PackageConfig(workers=args.workers, min_visible_keypoints=0))

    results = {}
    for fmt in ("webdataset", "genb", "all"):
        out = tmp / fmt
        summary = run_package(run, out, PackageConfig(format=fmt, workers=args.workers, min_visible_keypoints=0))
        results[fmt] = (summary.seconds, summary.total_seconds)
    bare_w = bare_webdataset(run, ids, tmp / "bare", quality=95, masks=True)
    bare_wn = bare_webdataset(run, ids, tmp / "bare", quality=95, masks=False)
    bare_n = bare_npz(run, ids, tmp / "bare")
    bare = {"webdataset": bare_w, "genb": bare_n, "all": bare_w + bare_n}

    print(f"{'format':11s} {'genb samples/s':>15s} {'bare samples/s':>15s} {'ratio':>6s} {'merge+card s':>13s}")
    for fmt, (sec, total) in results.items():
        g, b = len(ids) / sec, len(ids) / bare[fmt]
        print(f"{fmt:11s} {g:15.1f} {b:15.1f} {g / b:6.2f} {total - sec:13.2f}")
    nm = run_package(run, tmp / "nomask", PackageConfig(format="webdataset", workers=args.workers, masks=False,
                                                        min_visible_keypoints=0, card=False))
    print(f"{'webdataset, no masks':20s} {len(ids) / nm.seconds:6.1f} samples/s, ratio {bare_wn / nm.seconds:.2f} (bare {len(ids) / bare_wn:.1f})")
    one = run_package(run, tmp / "w1", PackageConfig(format="all", workers=1, min_visible_keypoints=0, card=False))
    print(f"all, 1 worker: {len(ids) / one.seconds:.1f} samples/s")
    shutil.rmtree(tmp, ignore_errors=True)
    if not args.run:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
