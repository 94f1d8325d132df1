"""Flicker in genb check and genb sweep (genb/sequence/gate.py): a sequence is rejected whole; the
sweep reports flicker per level. Real renders, the tiny pipeline (random weights), the flow-only checker."""

from __future__ import annotations

import json
import shutil

import pytest

from genb.core.records.check import read_check_records
from genb.core.run import RunFolder

FRAMES = 4
NOISE = 0.5


def _cfg(**kw):
    from genb.sequence.stage import SequenceConfig

    base = dict(num_samples=2, frames=FRAMES, image_size=(128, 96), num_people=(1, 1), seed=3, wardrobe="none",
                portrait_prob=0.0, png_compression=1, camera_motion_weights=(1.0, 1.0, 0.0, 0.0, 0.0))
    base.update(kw)
    return SequenceConfig(**base)


def _check_cfg(**kw):
    from genb.check.stage import CheckConfig

    # the frames' own decisions: always accepted (flow only, no limit), so only the gate rejects
    base = dict(noise=NOISE, measures=("flow",), max_flow_drift=float("inf"), accept_unchecked=True)
    base.update(kw)
    return CheckConfig(**base)


@pytest.fixture(scope="module")
def enhanced_seq_run(tmp_path_factory, tiny_pipeline_dir):
    """Two sequences: 000000 enhanced with noise warped along the flow, 000001 with independent noise."""
    from genb.enhance.stage import run_enhance
    from genb.sequence.stage import run_sequences
    from _fixtures_enhance import tiny_enhance_config

    root = tmp_path_factory.mktemp("gate") / "run"
    run_sequences(root, _cfg())
    for s, warp in ((0, True), (1, False)):
        run_enhance(RunFolder(root / "sequences" / f"{s:06d}"), tiny_enhance_config(noise=NOISE, noise_warp=warp))
    return root


def _decisions(root, s):
    run = RunFolder(root / "sequences" / f"{s:06d}")
    return {r.sample: (r.accepted, r.reasons) for r in read_check_records(run.check_dir(NOISE))}


def test_check_rejects_a_flickering_sequence_whole_and_re_decides(enhanced_seq_run, tmp_path, capsys):
    from genb.check.stage import run_check
    from genb.sequence.gate import check_sequences, level_flicker

    root = tmp_path / "run"
    shutil.copytree(enhanced_seq_run, root)
    warped, indep = (level_flicker(RunFolder(root / "sequences" / f"{s:06d}"), NOISE)["enhanced"] for s in (0, 1))
    assert warped < indep  # noise carried along the flow flickers less
    limit = (warped + indep) / 2
    assert check_sequences(root, _check_cfg(max_flicker=limit), run_check) == 0
    summary = json.loads((root / f"check-noise-{NOISE:.2f}.json").read_text())
    assert summary["num_sequences"] == 2 and summary["num_accepted"] == 1
    assert list(summary["rejected"]) == ["000001"] and "max_flicker" in summary["rejected"]["000001"]
    assert all(ok for ok, _ in _decisions(root, 0).values())
    rejected = _decisions(root, 1)
    assert len(rejected) == FRAMES and not any(ok for ok, _ in rejected.values())
    assert all(any(r.startswith("sequence flicker") for r in why) for _, why in rejected.values())
    frame_summary = json.loads((root / "sequences" / "000001" / "enhanced" / f"noise-{NOISE:.2f}" / "check"
                                / "summary.json").read_text())
    assert frame_summary["num_accepted"] == 0  # the frames' summary counts the gate
    seq_record = json.loads((RunFolder(root / "sequences" / "000001").check_dir(NOISE) / "sequence.json").read_text())
    assert not seq_record["accepted"] and seq_record["flicker"]["pairs"] == FRAMES - 1
    assert seq_record["flicker"]["enhanced"] == pytest.approx(indep)
    # a looser threshold re-decides without --redo: the frames get their own decisions back
    check_sequences(root, _check_cfg(max_flicker=indep + 1.0), run_check)
    assert all(ok and not why for ok, why in _decisions(root, 1).values())
    assert "accepted 2/2 sequences" in capsys.readouterr().out


def test_genb_check_cli_on_a_sequence_run(enhanced_seq_run, tmp_path):
    from genb.cli import main

    root = tmp_path / "run"
    shutil.copytree(enhanced_seq_run, root)
    argv = ["check", str(root), "--noise", str(NOISE), "--measures", "flow", "--accept-unchecked",
            "--max-flow-drift", "inf"]
    assert main(argv + ["--max-flicker", "0.01"]) == 0  # nothing is that steady
    assert json.loads((root / f"check-noise-{NOISE:.2f}.json").read_text())["num_accepted"] == 0
    assert main(argv + ["--max-flicker", "-1"]) == 2  # a bad threshold: one error
    assert main(["check", str(root), "--noise", "0.3"]) == 2  # a level never enhanced


def test_sweep_reports_flicker_per_level_on_a_sequence(enhanced_seq_run, tmp_path):
    from genb.check.stage import run_check
    from genb.sequence.gate import level_flicker
    from genb.sweep import SweepConfig, run_sweep

    seq = tmp_path / "seq"
    shutil.copytree(enhanced_seq_run / "sequences" / "000000", seq)
    run = RunFolder(seq)
    run_check(run, _check_cfg())
    out = run_sweep(run, SweepConfig(noise=(NOISE,), contact_samples=1), enhance=False)
    row = out.rows[0]
    f = level_flicker(run, NOISE)
    assert row["flicker"] == pytest.approx(f["enhanced"]) and row["flicker_render"] == pytest.approx(f["render"])
    assert row["flicker"] > row["flicker_render"] >= 0
    header = (seq / "sweep" / "sweep.csv").read_text().splitlines()[0].split(",")
    assert "flicker" in header and "flicker_render" in header
    assert "Flicker per level" in (seq / "sweep" / "sweep.md").read_text()
    from genb.cli import main

    assert main(["sweep", str(enhanced_seq_run), "--noise", str(NOISE), "--measure-only"]) == 2  # one sequence at a time
    assert not (enhanced_seq_run / "sweep").exists()


def test_a_sequence_without_enhanced_pairs_is_not_rejected():
    from genb.sequence.gate import sequence_decision

    assert sequence_decision({"enhanced": float("nan"), "render": 0.0, "pairs": 0}, 1.0) == (True, None)
    ok, why = sequence_decision({"enhanced": 9.0, "render": 1.0, "pairs": 3}, 8.0)
    assert not ok and why.startswith("sequence flicker 9.00 > max_flicker 8")
    assert sequence_decision({"enhanced": 9.0, "render": 1.0, "pairs": 3}, float("inf"))[0]
