"""genb sweep end to end: real renders, the real tiny enhance pipeline, the real checker with tiny models."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genb.cli import main
from genb.core.run import RunFolder
from genb.sweep import SweepConfig, recommend, run_sweep

LEVELS = (0.3, 0.6, 0.9)


def _reference(run: RunFolder, root: Path) -> Path:
    """A reference folder of 'real' images: the renders, flipped, plus a darker copy (different sizes are fine)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in run.sample_ids():
        img = run.image(i)
        Image.fromarray(img[:, ::-1]).save(root / f"flip{i}.png")
        Image.fromarray((img * 0.8).astype(np.uint8)).resize((80, 60)).save(root / f"dark{i}.jpg")
    return root


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path) as f:
        return list(csv.DictReader(f))


def _check_outputs(run: RunFolder, levels, contact_samples: int, cell: int) -> list[dict[str, str]]:
    out = run.root / "sweep"
    rows = _read_csv(out / "sweep.csv")
    assert [float(r["noise"]) for r in rows] == list(levels)
    empty = [(r["noise"], k) for r in rows for k, v in r.items() if v == ""]
    assert not empty, f"empty columns: {empty}"
    assert all(float(r["acceptance_rate"]) == int(r["num_accepted"]) / int(r["num_checked"]) for r in rows)
    # plot and contact sheet: valid PNGs of the expected size
    plot = Image.open(out / "sweep.png")
    plot.verify()
    assert plot.format == "PNG" and plot.size[0] >= 800 and plot.size[1] >= 300
    sheet = Image.open(out / "contact_sheet.png")
    n = min(contact_samples, len(run.sample_ids()))
    assert sheet.format == "PNG" and sheet.size[0] == 70 + (1 + len(levels)) * (cell + 8)
    assert sheet.size[1] > n * cell // 2
    record = json.loads((out / "sweep.json").read_text())
    assert record["recommendation"] == {"noise": recommend(record["rows"], record["min_acceptance"]).noise,
                                        "reason": recommend(record["rows"], record["min_acceptance"]).reason}
    md = (out / "sweep.md").read_text()
    assert len(re.findall(r"^\| \d\.\d\d", md, flags=re.M)) == len(levels) and "recommended noise" in md
    return rows


@pytest.fixture(scope="module")
def _checked_template(request, tmp_path_factory, tiny_vitpose_dir, tiny_sam_dir) -> RunFolder:
    """A real rendered run whose levels were 'enhanced' by known pixel noise and checked by the real checker
    (tiny ViTPose and SAM, and optical flow). Built once per module; tests get copies."""
    from genb.check.stage import CheckConfig, Checker, run_check
    from genb.config import resolve_config

    from _fixtures_check import enhance_with, make_handmade_run

    root = tmp_path_factory.mktemp("sweep") / "run"
    try:
        import genb.render.stage  # noqa: F401

        shutil.copytree(request.getfixturevalue("tiny_run").root, root,
                        ignore=shutil.ignore_patterns("enhanced", "sweep"))
        run = RunFolder(root)
    except ImportError:
        run = make_handmade_run(root)
    for s in LEVELS:
        rng = np.random.default_rng(int(s * 10))
        enhance_with(run, s, lambda i, img: np.clip(
            img.astype(np.float32) + rng.normal(0, 120 * s, img.shape), 0, 255).astype(np.uint8))
    cfg = resolve_config(CheckConfig, "check", None, dict(
        noise=LEVELS[0], pose_model=str(tiny_vitpose_dir), sam_model=str(tiny_sam_dir), device="cpu",
        min_box_px=8, min_vis_fraction=0.1, min_keypoints=1))
    checker = Checker(cfg)
    for s in LEVELS:
        checker.cfg = cfg = resolve_config(CheckConfig, "check", None, {**vars(cfg), "noise": s})
        run_check(run, cfg, checker=checker)
    return run


@pytest.fixture
def checked_run(_checked_template, tmp_path) -> RunFolder:
    shutil.copytree(_checked_template.root, tmp_path / "run")
    return RunFolder(tmp_path / "run")


def test_measure_only_fills_every_column(checked_run, tmp_path):
    ref = _reference(checked_run, tmp_path / "ref")
    cfg = SweepConfig(noise=LEVELS, reference=str(ref), feature_extractor="random-cnn:16", kid_subsets=5,
                      min_acceptance=0.0, contact_samples=3, contact_cell=96)
    out = run_sweep(checked_run, cfg, enhance=False)
    rows = _check_outputs(checked_run, LEVELS, 3, 96)
    assert "random-cnn:16" in out.extractor and "NOT comparable" in out.extractor
    # more pixel noise, less like the reference
    fids = [float(r["fid"]) for r in rows]
    assert fids[0] < fids[-1]
    # floor 0: the most realistic level wins
    assert out.recommendation.noise == LEVELS[int(np.argmin(fids))]


def test_without_reference_realism_is_empty_and_said(checked_run, capsys):
    assert main(["sweep", str(checked_run.root), "--noise", "0.3,0.9", "--measure-only",
                 "--contact-samples", "1"]) == 0
    rows = _read_csv(checked_run.root / "sweep" / "sweep.csv")
    assert [r["fid"] for r in rows] == ["", ""] and all(r["silhouette_iou_mean"] != "" for r in rows)
    md = (checked_run.root / "sweep" / "sweep.md").read_text()
    assert "none given: realism not measured" in md


def test_cli_errors_are_one_message(checked_run, tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope"), "--measure-only"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["sweep", str(checked_run.root), "--noise", "0.3,1.5"]) == 2
    assert "0..1" in capsys.readouterr().err
    # a level that was never checked
    assert main(["sweep", str(checked_run.root), "--noise", "0.45", "--measure-only"]) == 2
    err = capsys.readouterr().err
    assert "no check records" in err and "genb check" in err
    assert not (checked_run.root / "sweep").exists()


def test_job_array_ranks(checked_run, monkeypatch):
    """GENB_SHARD without a process group: rank 1 returns, rank 0 waits for the check files then writes."""
    cfg = SweepConfig(noise=LEVELS[:2], contact_samples=1, wait_timeout=1.0)
    monkeypatch.setenv("GENB_SHARD", "1/2")
    assert run_sweep(checked_run, cfg, enhance=False).rows == []
    assert not (checked_run.root / "sweep").exists()
    monkeypatch.setenv("GENB_SHARD", "0/2")
    assert len(run_sweep(checked_run, cfg, enhance=False).rows) == 2
    # a missing check file makes rank 0 wait, then say which shard to run
    (checked_run.check_dir(LEVELS[0]) / "000000.json").unlink()
    from genb.errors import GenbError

    with pytest.raises(GenbError, match="still missing"):
        run_sweep(checked_run, cfg, enhance=False)


@pytest.mark.slow
def test_two_processes_under_accelerate(checked_run, tmp_path):
    """accelerate launch with two CPU ranks: both meet at the barrier, rank 0 alone writes the outputs."""
    ref = _reference(checked_run, tmp_path / "ref")
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "29517",
           "-m", "genb", "sweep", str(checked_run.root), "--noise", ",".join(map(str, LEVELS)), "--measure-only",
           "--reference", str(ref), "--feature-extractor", "random-cnn:16", "--kid-subsets", "5",
           "--min-acceptance", "0", "--contact-samples", "3", "--contact-cell", "96"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("sweep.md") == 1  # printed by rank 0 only
    _check_outputs(checked_run, LEVELS, 3, 96)


def test_sweep_three_levels_on_the_tiny_pipeline(tiny_run, tiny_pipeline_dir, tiny_vitpose_dir, tiny_sam_dir,
                                                 tmp_path):
    """render -> sweep (tiny enhance, real checker with tiny models) -> every column, plot, contact sheet."""
    run = RunFolder(tmp_path / "run")
    shutil.copytree(tiny_run.root, run.root, ignore=shutil.ignore_patterns("enhanced", "sweep"))
    ref = _reference(run, tmp_path / "ref")
    levels = (0.0, 0.5, 1.0)
    cfg = SweepConfig(
        noise=levels, reference=str(ref), feature_extractor="random-cnn:16", kid_subsets=5, min_acceptance=0.5,
        enhance_preset="tiny", enhance_args="--steps 2 --threads 1 --batch-size 4 --device cpu",
        check_args=(f"--pose-model {tiny_vitpose_dir} --sam-model {tiny_sam_dir} --device cpu --min-box-px 8 "
                    "--min-vis-fraction 0.1 --min-keypoints 1 --max-keypoint-drift inf --min-mask-iou 0"),
        contact_samples=2, contact_cell=96,
    )
    out = run_sweep(run, cfg)
    rows = _check_outputs(run, levels, 2, 96)
    # the enhance provenance gives the steps actually run: floor(2 * s)
    assert [float(r["steps_run"]) for r in rows] == [0.0, 1.0, 2.0]
    # noise 0 is the render itself: nothing drifts, everything is accepted
    assert float(rows[0]["acceptance_rate"]) == 1.0
    assert float(rows[0]["flow_displacement_mean"]) == pytest.approx(0.0, abs=1e-3)
    assert float(rows[0]["relative_drift_mean"]) == pytest.approx(0.0, abs=1e-6)
    assert out.recommendation.noise == recommend(out.rows, 0.5).noise
    assert out.recommendation.noise is not None and out.rows[levels.index(out.recommendation.noise)][
        "acceptance_rate"] >= 0.5
    # resumable: a second sweep enhances and checks nothing new and gives the same table
    before = {p: p.stat().st_mtime_ns for p in run.root.glob("enhanced/*/*.png")}
    again = run_sweep(run, cfg)
    assert {p: p.stat().st_mtime_ns for p in run.root.glob("enhanced/*/*.png")} == before
    for a, b in zip(out.rows, again.rows):
        assert a.keys() == b.keys()
        assert all(a[k] == b[k] or (isinstance(a[k], float) and math.isclose(a[k], b[k], rel_tol=1e-5))
                   for k in a)
