"""Fixtures for the enhance stage (and the checker/sweep tests that need enhanced images).

* ``tiny_pipeline_dir``: the tiny random-weight SD-1.5-architecture ControlNet pipeline, built
  once per session into a temporary ``GENB_CACHE`` (so ``--preset tiny`` / ``base_model: tiny``
  load it from there through the same ``from_pretrained`` code users get).
* :func:`make_enhance_run`: a hand-made run folder (textured background, one or two box-shaped
  people with instance masks, control maps, scene.json) following docs/architecture.md.
* ``enhance_run``: a fresh copy of a 4-sample hand-made run per test (writable).
* ``enhanced_run``: a run with ``enhanced/noise-0.40/`` made by the tiny model (session-scoped,
  read-only): the real rendered ``tiny_run`` when the render stage is installed, else hand-made.
* :func:`tiny_enhance_config`: an EnhanceConfig for the tiny model with fast, deterministic settings.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from genb.core.io import png_bytes
from genb.core.run import RunFolder

ENHANCED_NOISE = 0.4
"""The noise level ``enhanced_run`` holds."""


def tiny_enhance_config(**overrides):
    """EnhanceConfig of the tiny preset, one thread, few steps; keyword overrides win."""
    from genb.config import resolve_config
    from genb.enhance.config import EnhanceConfig

    values = dict(steps=10, threads=1, batch_size=2)
    values.update(overrides)
    return resolve_config(EnhanceConfig, "enhance", "tiny", values)


@pytest.fixture(scope="session")
def tiny_pipeline_dir(tmp_path_factory) -> Path:
    """Folder of the tiny pipeline (base/ + controlnet-<name>/), built once; sets GENB_CACHE."""
    from genb.enhance.tiny import ensure_tiny_pipeline, tiny_cache_dir

    cache = tmp_path_factory.mktemp("genb_cache")
    os.environ["GENB_CACHE"] = str(cache)
    return ensure_tiny_pipeline(tiny_cache_dir())


def start_handmade_run(root: Path, num_samples: int, seed: int, size: tuple[int, int]) -> None:
    """The manifest of a hand-made run folder (``run.json``); samples are added with :func:`write_handmade_sample`."""
    h, w = size
    root.mkdir(parents=True, exist_ok=True)
    (root / "run.json").write_text(json.dumps({"num_samples": num_samples, "seed": seed, "body_model": "handmade",
                                               "image_size": [h, w], "format_version": 2}))


def textured_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """(h, w, 3) uint8 smooth random texture (an upsampled noise image)."""
    import cv2

    small = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def write_handmade_sample(folder: Path, image: np.ndarray, controls: dict[str, np.ndarray], instances: np.ndarray,
                          scene: dict) -> None:
    """``image.png``, the control maps, ``instances.png`` and ``scene.json`` of one hand-made sample."""
    (folder / "image.png").write_bytes(png_bytes(image))
    for name, img in controls.items():
        (folder / f"{name}.png").write_bytes(png_bytes(img))
    (folder / "instances.png").write_bytes(png_bytes(instances))
    (folder / "scene.json").write_text(json.dumps(scene))


def make_enhance_run(root: Path, num_samples: int = 4, size: tuple[int, int] = (64, 96), seed: int = 5) -> RunFolder:
    """A run folder drawn by hand: the files genb enhance reads, nothing else.

    Sample i has a textured background and one box-shaped person (two for odd i) occupying
    the middle third of the image width: ``instances.png`` is 1 (and 2) there.
    """
    import cv2

    h, w = size
    start_handmade_run(root, num_samples, seed, size)
    for i in range(num_samples):
        rng = np.random.default_rng(seed * 100 + i)
        folder = root / "samples" / f"{i:06d}"
        folder.mkdir(parents=True)
        image = textured_background(rng, h, w)
        instances = np.zeros((h, w), np.uint8)
        boxes = [(w // 3, h // 8, 2 * w // 3, h - h // 8)] if i % 2 == 0 else \
            [(w // 3, h // 8, w // 2, h - h // 8), (w // 2, h // 4, 2 * w // 3, h - h // 8)]
        for p, (x0, y0, x1, y1) in enumerate(boxes):
            instances[y0:y1, x0:x1] = p + 1
            image[y0:y1, x0:x1] = rng.integers(60, 200, 3)
        depth = np.where(instances > 0, 200, 40).astype(np.uint8)
        controls = {
            "control_depth": np.repeat(depth[..., None], 3, axis=2),
            "control_normal": np.where(instances[..., None] > 0, [128, 128, 255], [128, 255, 128]).astype(np.uint8),
            "control_pose": np.zeros((h, w, 3), np.uint8),
            "control_seg": np.where(instances[..., None] > 0, [200, 50, 50], [0, 0, 0]).astype(np.uint8),
            "control_edges": cv2.cvtColor(cv2.Canny(image, 50, 150), cv2.COLOR_GRAY2RGB),
        }
        cv2.line(controls["control_pose"], (w // 2, h // 8), (w // 2, h - h // 8), (255, 0, 0), 2)
        people = [{"description": {"gender": ["female", "male"][p % 2], "age_group": "adult", "build": "average"},
                   "appearance": {"top": "red", "bottom": "navy", "shoes": "white", "long_sleeves": p == 1,
                                  "long_bottom": True, "skin_tone": "medium"}} for p in range(len(boxes))]
        scene = {"index": i, "seed": seed, "people": people,
                 "background": {"kind": "procedural", "sky": "clear", "ground": "grass"}}
        write_handmade_sample(folder, image, controls, instances, scene)
    return RunFolder(root)


@pytest.fixture(scope="session")
def _enhance_run_template(tmp_path_factory) -> RunFolder:
    return make_enhance_run(tmp_path_factory.mktemp("enhance_template") / "run")


@pytest.fixture
def enhance_run(_enhance_run_template, tmp_path) -> RunFolder:
    """A writable copy of a 4-sample hand-made run folder (64x96, box-shaped people)."""
    dst = tmp_path / "run"
    shutil.copytree(_enhance_run_template.root, dst)
    return RunFolder(dst)


@pytest.fixture(scope="session")
def enhanced_run(request, tiny_pipeline_dir, tmp_path_factory) -> RunFolder:
    """A run with ``enhanced/noise-0.40/`` (tiny model, 10 steps -> 4 run). Read-only: copy before writing.

    Built on the real rendered ``tiny_run`` when the render stage is available, else hand-made.
    """
    from genb.enhance.stage import run_enhance

    dst = tmp_path_factory.mktemp("enhanced") / "run"
    try:
        source = request.getfixturevalue("tiny_run")
        shutil.copytree(source.root, dst, ignore=shutil.ignore_patterns("enhanced"))
        run = RunFolder(dst)
    except (pytest.FixtureLookupError, ImportError):
        run = make_enhance_run(dst)
    run_enhance(run, tiny_enhance_config(noise=ENHANCED_NOISE))
    return run
