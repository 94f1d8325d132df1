"""Every record of the run folder is read through one typed reader that validates it before it
decides anything (genb.core.records); each case below decided silently, or gave a traceback,
before the readers validated."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from genb.cli import main
from genb.core import io
from genb.core.paths import inside
from genb.core.run import RunFolder
from genb.errors import GenbError

from _fixtures_check import enhance_with

NOISE = 0.4


@pytest.fixture
def run(tiny_run, tmp_path, monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "GENB_SHARD", "MASTER_ADDR", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "run"
    shutil.copytree(tiny_run.root, root, ignore=shutil.ignore_patterns("enhanced", "sweep"))
    return RunFolder(root)


def _cli(capsys, *args):
    capsys.readouterr()
    rc = main([str(a) for a in args])
    return rc, capsys.readouterr().err


def _decision(run, i, **record):
    path = run.check_dir(NOISE) / f"{run.sample_name(i)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))
    return path


@pytest.mark.parametrize("record, words", [
    ({"sample": 0, "noise": NOISE}, "has no 'accepted'"),  # once: counted as rejected
    ({"sample": 0, "noise": NOISE, "accepted": "false"}, "not true/false"),  # once: a truthy string, accepted
    ([{"sample": 0}], "holds a list"),  # once: a traceback
    ({"sample": 3, "noise": NOISE, "accepted": True}, "the check of sample 3"),
])
def test_a_malformed_check_record_is_one_error_wherever_it_is_read(run, record, words, tmp_path, capsys):
    enhance_with(run, NOISE, lambda i, render: render)
    for i in run.sample_ids():
        _decision(run, i, sample=i, noise=NOISE, accepted=True, reasons=[], people=[])
    path = run.check_dir(NOISE) / "000000.json"
    path.write_text(json.dumps(record))
    for args in (["package", run.root, tmp_path / "pkg", "--noise", NOISE, "--format", "genb", "--no-card"],
                 ["show", run.root, "--noise", NOISE, "--rejected"]):
        rc, err = _cli(capsys, *args)
        assert rc == 2 and words in err and "000000.json" in err and "Traceback" not in err, err
    assert not (tmp_path / "pkg").exists()


def test_an_enhanced_image_without_provenance_is_not_packaged(run, tmp_path, capsys):
    enhance_with(run, NOISE, lambda i, render: 255 - render)
    (run.enhanced_dir(NOISE) / "000001.json").unlink()
    rc, err = _cli(capsys, "package", run.root, tmp_path / "pkg", "--noise", NOISE, "--include-rejected",
                   "--format", "genb", "--no-card")
    assert rc == 0, err
    names = np.load(next((tmp_path / "pkg").rglob("*.npz")))["imgname"]
    assert not any("000001" in str(n) for n in names) and any("000002" in str(n) for n in names)


def test_a_broken_instances_map_of_another_size_stops_the_check(run, capsys):
    enhance_with(run, NOISE, lambda i, render: render)
    path = run.sample_dir(1) / "instances.png"
    io.atomic_write_bytes(path, io.png_bytes(np.zeros((40, 48), np.uint8)))
    rc, err = _cli(capsys, "check", run.root, "--noise", NOISE, "--preset", "flow_only")
    assert rc == 2 and "instances.png is 48x40" in err, err
    assert not (run.check_dir(NOISE) / "000001.json").exists()


def test_a_render_of_another_size_is_not_enhanced(run, capsys, tiny_pipeline_dir):
    io.atomic_write_bytes(run.sample_dir(2) / "image.png", io.png_bytes(np.zeros((40, 48, 3), np.uint8)))
    rc, err = _cli(capsys, "enhance", run.root, "--preset", "tiny", "--steps", "2", "--threads", "1")
    assert rc == 2 and "image.png is 48x40" in err, err
    assert not run.enhanced_dir(NOISE).exists()


@pytest.mark.parametrize("edit, words", [
    (lambda s: {**s, "people": "nobody"}, "'people'"),
    (lambda s: {**s, "people": [{**s["people"][0], "garments": 7}]}, "people[0].garments"),
    (lambda s: ["not", "a", "scene"], "holds a list"),
])
def test_a_malformed_scene_is_one_error(run, edit, words, capsys, tiny_pipeline_dir):
    path = run.sample_dir(0) / "scene.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    with pytest.raises(GenbError, match="scene.json is corrupt"):
        run.scene(0)
    rc, err = _cli(capsys, "enhance", run.root, "--preset", "tiny", "--steps", "2", "--threads", "1", "--limit", "1")
    assert rc == 2 and words in err and "Traceback" not in err, err


def test_a_malformed_manifest_is_one_error(run):
    path = run.root / "run.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "image_size": "big"}))
    with pytest.raises(GenbError, match="run.json is corrupt"):
        run.require()


def test_summary_counts_what_this_call_checked(run):
    from genb.check.stage import load_config, run_check

    enhance_with(run, NOISE, lambda i, render: render)
    run_check(run, load_config("flow_only", noise=NOISE))
    info = json.loads((run.check_dir(NOISE) / "summary.json").read_text())
    assert info["newly_checked"] == len(run.sample_ids()) and info["check_dir"] == "enhanced/noise-0.40/check"


def test_one_png_size():
    root = Path(__file__).resolve().parents[1] / "genb"
    defs = [p for p in root.rglob("*.py") for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, ast.FunctionDef) and n.name == "png_size"]
    assert [str(p.relative_to(root)) for p in defs] == ["core/io.py"]


@pytest.mark.parametrize("name", ["/etc/hostname", "../outside.png", "link.png", ""])
def test_names_read_from_files_stay_inside_their_root(name, tmp_path):
    root = tmp_path / "pkg"
    root.mkdir()
    (tmp_path / "outside.png").write_bytes(b"x")
    (root / "link.png").symlink_to(tmp_path / "outside.png")
    with pytest.raises(GenbError, match="points outside"):
        inside(root, name, "imgname")
    (root / "images").mkdir()
    assert inside(root, "images/000001.jpg") == (root / "images" / "000001.jpg").resolve()


@pytest.mark.parametrize("name", ["/etc/hostname", "../outside.jpg", "images/link.jpg"])
def test_a_packaged_imgname_outside_the_package_is_refused(name, run, tmp_path, capsys):
    from genb.data import PackagedDataset

    out = tmp_path / "pkg"
    assert _cli(capsys, "package", run.root, out, "--format", "genb", "--no-card")[0] == 0
    (tmp_path / "outside.jpg").write_bytes((out / "images" / "000000.jpg").read_bytes()
                                           if (out / "images" / "000000.jpg").exists() else b"x")
    (out / "images" / "link.jpg").symlink_to(tmp_path / "outside.jpg")
    npz = next((out / "genb").glob("*.npz"))
    arrays = dict(np.load(npz))
    arrays["imgname"] = np.array([name] * len(arrays["imgname"]))
    np.savez(npz, **arrays)
    with pytest.raises(GenbError, match="points outside"):
        PackagedDataset(out)[0]


@pytest.mark.parametrize("edit, words", [
    (lambda r: {**r, "box": [0, 0, 64]}, "box"),
    (lambda r: {**r, "person": "0"}, "'person'"),
    (lambda r: {**r, "cam_int": [[1, 0], [0, 1]]}, "'cam_int'"),
])
def test_a_malformed_crop_record_is_one_error(edit, words, tmp_path):
    from genb.core.records.crops import read_crop_record

    good = {"index": 0, "person": 0, "box": [0, 0, 64, 32], "torch_seed": 1, "steps_run": 2,
            "cam_int": np.eye(3).tolist(), "keypoints2d": np.zeros((25, 2)).tolist(),
            "keypoints_vis": [True] * 25, "bbox_full": [0, 0, 1, 1]}
    path = tmp_path / "000000_p00.json"
    path.write_text(json.dumps(good))
    assert read_crop_record(path).cam_int.shape == (3, 3)
    path.write_text(json.dumps(edit(good)))
    with pytest.raises(GenbError, match=words):
        read_crop_record(path)


def test_manifest_and_scene_records_are_typed_and_keep_the_rendered_bytes(tiny_run, tmp_path):
    """run.json and scene.json read into typed records and written again are the rendered bytes;
    keys genb does not read are kept, a null stays null and a missing key stays missing."""
    from genb.core.records.run import RunManifest, read_manifest
    from genb.core.records.scene import SceneRecord, read_scene, scene_bytes

    manifest = tiny_run.manifest
    assert isinstance(manifest, RunManifest) and manifest.image_size == (128, 96) and manifest.body_model == "anny"
    manifest.write(tmp_path / "run.json")
    assert (tmp_path / "run.json").read_bytes() == (tiny_run.root / "run.json").read_bytes()
    for i in tiny_run.sample_ids():
        path = tiny_run.sample_dir(i) / "scene.json"
        scene = tiny_run.scene(i)
        assert isinstance(scene, SceneRecord) and scene.people and all(p.pose for p in scene.people)
        assert scene.background["kind"] and "lighting" in scene.extra  # an untyped key, kept
        assert scene_bytes(scene) == path.read_bytes()
    raw = {"people": [{"pose": "waving", "facial_hair": None, "mood": "calm"}], "future_key": [1, 2]}
    scene = SceneRecord.from_json(raw)
    assert scene.people[0].facial_hair is None and scene.people[0].has("facial_hair")
    assert not scene.people[0].has("garments") and scene.people[0].extra == {"mood": "calm"}
    assert json.loads(scene.to_bytes()) == raw
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads((tiny_run.root / "run.json").read_text()), "seed": "7"}))
    with pytest.raises(GenbError, match="'seed' of its run manifest"):
        read_manifest(bad)
    bad.write_text(json.dumps({"people": [{"pose": 3}]}))
    with pytest.raises(GenbError, match="'pose' of its scene person"):
        read_scene(bad)


def test_sequence_records_read_what_they_wrote_and_refuse_a_malformed_file(tmp_path):
    """sequences.json and sequence.json: typed keys checked, other keys kept byte for byte, one error otherwise."""
    from genb.core.records.sequence import (
        SequenceRecord, SequencesManifest, is_sequence_folder, is_sequence_run, read_sequence_record,
        read_sequences_manifest,
    )

    run = tmp_path / "run"
    seq = run / "sequences" / "000003"
    seq.mkdir(parents=True)
    assert not is_sequence_run(run) and not is_sequence_folder(seq)
    manifest = {"kind": "sequences", "num_sequences": 4, "frames": 12, "fps": 30.0, "seed": 5, "layout": "x"}
    SequencesManifest.from_json(manifest).write(run / "sequences.json")
    record = {"index": 3, "frames": 12, "fps": 30.0, "camera_path": {"kind": "pan"}, "people": [{"motion": "walk"}]}
    SequenceRecord.from_json(record).write(seq / "sequence.json")
    assert is_sequence_run(run) and is_sequence_folder(seq)
    m, r = read_sequences_manifest(run), read_sequence_record(seq)
    assert (m.num_sequences, m.frames, m.fps, m.extra["layout"]) == (4, 12, 30.0, "x")
    assert (r.index, r.frames, r.extra["camera_path"]) == (3, 12, {"kind": "pan"})
    before = (seq / "sequence.json").read_bytes()
    r.write(seq / "sequence.json")
    assert (seq / "sequence.json").read_bytes() == before  # read and written again: the same bytes
    (seq / "sequence.json").write_text(json.dumps({**record, "index": "three"}))
    with pytest.raises(GenbError, match="sequence.json"):
        read_sequence_record(seq)
    (run / "sequences.json").write_text("{not json")
    with pytest.raises(GenbError, match="sequences.json"):
        read_sequences_manifest(run)
