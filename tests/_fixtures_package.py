"""Fixtures for ``genb package``: real rendered runs with enhanced images and checker decisions.

* ``pkg_run``: a copy of the real anny ``tiny_run`` (4 samples) with enhanced images at
  noise 0.40 (the render, colour-inverted, so they differ from the renders byte for byte)
  and checker decisions accepting samples 0 and 2 only.
* ``pkg_smplx_run``: a real 4-sample SMPL-X run rendered with the synthetic SMPL-X file
  (session-scoped, read-only).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from genb.core.io import atomic_write_bytes, atomic_write_json, png_bytes
from genb.core.run import RunFolder

from _fixtures_check import write_provenance

PKG_NOISE = 0.4
PKG_ACCEPTED = {0: True, 1: False, 2: True, 3: False}


def write_enhanced(run: RunFolder, noise: float) -> None:
    """``enhanced/noise-<s>/NNNNNN.png`` for every sample: the render with inverted colours."""
    out = run.enhanced_dir(noise)
    out.mkdir(parents=True, exist_ok=True)
    for i in run.sample_ids():
        atomic_write_bytes(out / f"{run.sample_name(i)}.png", png_bytes(255 - run.image(i)))
        write_provenance(run, noise, i)


def write_decisions(run: RunFolder, noise: float, accepted: dict[int, bool]) -> None:
    """Checker decisions ``check/NNNNNN.json`` as ``genb check`` writes them (the fields packaging reads)."""
    for i, ok in accepted.items():
        atomic_write_json(run.check_dir(noise) / f"{run.sample_name(i)}.json",
                          {"sample": i, "noise": noise, "accepted": ok, "reasons": [] if ok else ["test"], "people": []})


@pytest.fixture
def pkg_run(tiny_run, tmp_path) -> RunFolder:
    root = tmp_path / "run"
    shutil.copytree(tiny_run.root, root, ignore=shutil.ignore_patterns("enhanced", "sweep"))
    run = RunFolder(root)
    write_enhanced(run, PKG_NOISE)
    write_decisions(run, PKG_NOISE, PKG_ACCEPTED)
    return run


@pytest.fixture(scope="session")
def pkg_smplx_run(synthetic_smplx_dir, tmp_path_factory) -> RunFolder:
    from genb.render.config import RenderConfig
    from genb.render.run import run_render

    root = tmp_path_factory.mktemp("runs") / "tiny_smplx"
    run_render(root, RenderConfig(num_samples=4, seed=5, image_size=(128, 96), num_people=(1, 3), portrait_prob=0.0,
                                  person_height_frac=(0.4, 0.9), truncation_prob=0.0, body="smplx",
                                  smplx_dir=str(synthetic_smplx_dir)))
    return RunFolder(root)


def package_files(out: Path) -> dict[str, bytes]:
    """Every file of a package except the card's plots and records (relative path -> bytes)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.suffix in (".tar", ".npz", ".png") and "card" not in p.parts}
