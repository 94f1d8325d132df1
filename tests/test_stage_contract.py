"""The runner's contract, run over every stage (one tester mixin, as diffusers runs one over all
its pipelines): ranks starting in any order, resume, a killed rank, refusal of foreign folders,
the device, a settings change, and a failed command that leaves the folder as it found it.

Each stage is one :class:`Driver`: how to make its input, its command line, its output folder,
a changed setting and a setting that fails while the stage loads its models. The tests below
know nothing else about the stage.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from genb.cli import main
from genb.core import dist
from genb.core.run import RunFolder

from _fixtures_check import enhance_with
from _fixtures_enhance import make_enhance_run

RANK_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "GENB_SHARD", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_ID",
             "MASTER_ADDR", "GENB_WAIT_SECONDS")
RECORDS = (".yaml", "run.json", "README.md")  # the records say the command; outputs must not differ


class Driver:
    name: str
    changed: list[str]  # a flag that changes what an output is
    changed_words: tuple[str, ...]  # what the refusal must say
    failing: list[str]  # a flag that makes the stage fail while loading its models
    foreign: bool = True  # the stage refuses a non-empty folder that is not its own
    merged: tuple[str, ...] = ()  # outputs the finish rewrites (same bytes) on every complete run

    def make(self, tmp: Path, request) -> Path:  # the input run (or None)
        return tmp

    def args(self, src: Path) -> list[str]:
        raise NotImplementedError

    def out(self, src: Path) -> Path:
        raise NotImplementedError

    def with_out(self, src: Path, out: Path) -> tuple[Path, Path]:
        """The input and output for writing into ``out`` (a foreign folder)."""
        return src, out


class RenderDriver(Driver):
    name = "render"
    changed, changed_words = ["--seed", "4"], ("--seed was 2, now 4", "--seed 2")
    failing = ["--body", "smplx", "--smplx-dir", "MISSING-DIR"]

    def make(self, tmp, request):
        return tmp / "run"

    def args(self, src):
        return ["render", src, "--num-samples", "3", "--seed", "2", "--image-size", "64,48", "--num-people", "1,1",
                "--props", "0,0", "--occluders", "0,0", "--no-camera-effects", "--no-shadows"]

    def out(self, src):
        return src


class EnhanceDriver(Driver):
    name = "enhance"
    changed, changed_words = ["--guidance-scale", "3"], ("--guidance-scale was 7.5, now 3.0",)
    failing = ["--base-model", "MISSING-MODEL-DIR/base", "--offline"]
    foreign = False  # writes inside a run folder

    def make(self, tmp, request):
        request.getfixturevalue("tiny_pipeline_dir")
        return make_enhance_run(tmp / "src", num_samples=3, size=(32, 48)).root

    def args(self, src):
        return ["enhance", src, "--preset", "tiny", "--noise", "0.4", "--steps", "4", "--threads", "1",
                "--batch-size", "1"]

    def out(self, src):
        return RunFolder(src).enhanced_dir(0.4)


class CheckDriver(Driver):
    name = "check"
    changed, changed_words = ["--max-flow-drift", "0.5"], ("--max-flow-drift was", "add --redo")
    failing = ["--measures", "flow,keypoints", "--pose-model", "MISSING-VITPOSE-DIR"]
    foreign = False
    merged = ("summary.",)

    def make(self, tmp, request):
        root = tmp / "src"
        shutil.copytree(request.getfixturevalue("tiny_run").root, root, ignore=shutil.ignore_patterns("enhanced"))
        enhance_with(RunFolder(root), 0.4, lambda i, render: render)
        return root

    def args(self, src):
        return ["check", src, "--noise", "0.4", "--measures", "flow"]

    def out(self, src):
        return RunFolder(src).check_dir(0.4)


class PackageDriver(Driver):
    name = "package"
    changed, changed_words = ["--jpeg-quality", "80"], ("--jpeg-quality was 95, now 80", "--jpeg-quality 95")
    failing = ["--smpl-dir", "MISSING-SMPL-DIR"]
    merged = ("genb/",)

    def make(self, tmp, request):
        return request.getfixturevalue("tiny_run").root

    def args(self, src):
        return ["package", src, self._out, "--format", "genb", "--no-card", "--workers", "1"]

    def out(self, src):
        return self._out

    def with_out(self, src, out):
        self._out = out
        return src, out


DRIVERS = [RenderDriver, EnhanceDriver, CheckDriver, PackageDriver]


@pytest.fixture(params=DRIVERS, ids=lambda d: d.name)
def stage(request, tmp_path, monkeypatch):
    for var in RANK_VARS:
        monkeypatch.delenv(var, raising=False)
    driver = request.param()
    driver._out = tmp_path / "out"
    driver.src = driver.make(tmp_path, request)
    return driver


def _genb(capsys, args, env=None, monkeypatch=None):
    for var in RANK_VARS:
        monkeypatch.delenv(var, raising=False)
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    capsys.readouterr()
    rc = main([str(a) for a in args])
    for k in env or {}:
        monkeypatch.delenv(k, raising=False)
    return rc, capsys.readouterr().err


def _outputs(folder: Path) -> dict[str, str]:
    """Every output file under ``folder`` (records aside) by relative path -> sha256."""
    return {str(p.relative_to(folder)): hashlib.sha256(_content(p)).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(RECORDS)
            and "/.parts/" not in f"/{p.relative_to(folder)}"}


def _content(path: Path) -> bytes:
    """A file's bytes; for the check summary, without what describes the call (``newly_checked``)."""
    if path.name != "summary.json":
        return path.read_bytes()
    info = json.loads(path.read_text())
    info.pop("newly_checked")
    return json.dumps(info, sort_keys=True).encode()


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*"))} if folder.exists() else {"<absent>": b""}


def _copy_input(stage, tmp_path, name) -> Path:
    """A fresh copy of the stage's input (a run the stage writes into) and its output folder."""
    if stage.name == "render":
        return tmp_path / name
    dst = tmp_path / name
    shutil.copytree(stage.src, dst)
    stage._out = tmp_path / f"{name}-out"
    return dst


# ----------------------------------------------------------------------------- the contract


def test_ranks_in_any_order_give_the_single_process_outputs(stage, tmp_path, capsys, monkeypatch):
    ref = _copy_input(stage, tmp_path, "ref")
    assert _genb(capsys, stage.args(ref), monkeypatch=monkeypatch)[0] == 0
    reference = _outputs(stage.out(ref))
    assert reference
    for order in ((1, 0), (0, 1)):
        src = _copy_input(stage, tmp_path, f"ranks{order[0]}{order[1]}")
        for rank in order:  # a job array: tasks start (and finish) in any order
            rc, err = _genb(capsys, stage.args(src), {"GENB_SHARD": f"{rank}/2"}, monkeypatch)
            assert rc == 0, err
        got = _outputs(stage.out(src))
        if stage.name == "package":  # shard names carry the rank; the merged arrays and images do not
            got = {k: v for k, v in got.items() if not k.startswith("webdataset/")}
            reference = {k: v for k, v in reference.items() if not k.startswith("webdataset/")}
        assert got == reference, order


def test_resume_redoes_nothing_and_a_killed_ranks_leftovers_go(stage, tmp_path, capsys, monkeypatch):
    src = _copy_input(stage, tmp_path, "run")
    assert _genb(capsys, stage.args(src), monkeypatch=monkeypatch)[0] == 0
    out = stage.out(src)
    before = _outputs(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and not p.name.endswith(RECORDS)
              and not str(p.relative_to(out)).startswith(stage.merged)}
    # a killed process of this rank left a temporary behind
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = out / f".tmp-r0-p{dead.pid}-{dist._HOST}-abcdef-000001.png"
    leftover.write_bytes(b"half written")
    assert _genb(capsys, stage.args(src), monkeypatch=monkeypatch)[0] == 0
    assert not leftover.exists()
    assert _outputs(out) == before
    assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items() if p.exists())


def test_a_settings_change_is_refused_naming_the_flag_and_the_fix(stage, tmp_path, capsys, monkeypatch):
    src = _copy_input(stage, tmp_path, "run")
    assert _genb(capsys, stage.args(src), monkeypatch=monkeypatch)[0] == 0
    out = stage.out(src)
    before = _tree(out)
    rc, err = _genb(capsys, stage.args(src) + stage.changed, monkeypatch=monkeypatch)
    assert rc == 2 and "Traceback" not in err
    for words in stage.changed_words:
        assert words in err, err
    assert _tree(out) == before


def test_a_command_that_fails_loading_leaves_the_folder_as_it_found_it(stage, tmp_path, capsys, monkeypatch):
    src = _copy_input(stage, tmp_path, "run")
    out = stage.out(src)
    before = _tree(out)
    rc, err = _genb(capsys, stage.args(src) + stage.failing, monkeypatch=monkeypatch)
    assert rc == 2 and "Traceback" not in err, err
    assert _tree(out) == before
    # the corrected command is not refused by anything the failed one left
    rc, err = _genb(capsys, stage.args(src), monkeypatch=monkeypatch)
    assert rc == 0, err


def test_a_foreign_folder_is_refused(stage, tmp_path, capsys, monkeypatch):
    if not stage.foreign:
        rc, err = _genb(capsys, stage.args(tmp_path / "not-a-run"), monkeypatch=monkeypatch)
        assert rc == 2 and "not-a-run" in err and "Traceback" not in err
        return
    user = tmp_path / "users-folder"
    user.mkdir()
    (user / "thesis.tex").write_text("mine")
    stage.with_out(stage.src, user)
    rc, err = _genb(capsys, stage.args(user if stage.name == "render" else stage.src), monkeypatch=monkeypatch)
    assert rc == 2 and "is not empty" in err, err
    assert _tree(user) == {"thesis.tex": b"mine"}


@pytest.mark.parametrize("name, local_rank, count, expected", [
    ("auto", 1, 2, "cuda:1"), ("cuda", 1, 2, "cuda:1"), ("cuda", 3, 2, "cuda:1"), ("cuda:0", 1, 2, "cuda:0"),
    ("auto", 1, 0, "cpu"), ("cpu", 1, 2, "cpu"),
])
def test_one_device_resolver_gives_each_rank_its_gpu(name, local_rank, count, expected):
    assert dist.resolve_device(name, local_rank, count) == expected


def test_cuda_without_cuda_is_one_error():
    from genb.errors import GenbError

    with pytest.raises(GenbError, match="CUDA is not available"):
        dist.resolve_device("cuda", 0, 0)


def test_no_stage_picks_its_own_device():
    """LOCAL_RANK is read in one place (genb/core/dist.py; the renderer's EGL device aside)."""
    root = Path(__file__).resolve().parents[1] / "genb"
    readers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if "environ" in p.read_text() and "LOCAL_RANK" in p.read_text()
                     and p.name != "context.py" and p.parent.name != "core")
    assert readers == [], readers


# ----------------------------------------------------------------------------- records of content, not paths


def test_an_edited_wardrobe_file_refuses_the_resume(tmp_path, capsys, monkeypatch):
    from genb.render.assets import asset_path

    wardrobe = tmp_path / "mine.yaml"
    shutil.copy(asset_path("wardrobe", "everyday.yaml"), wardrobe)
    args = RenderDriver().args(tmp_path / "run") + ["--wardrobe", wardrobe]
    args[args.index("--num-samples") + 1] = "1"
    assert _genb(capsys, args, monkeypatch=monkeypatch)[0] == 0
    wardrobe.write_text(wardrobe.read_text() + "\n# the same wardrobe, one line longer\n")
    more = list(args)
    more[more.index("--num-samples") + 1] = "2"
    rc, err = _genb(capsys, more, monkeypatch=monkeypatch)
    assert rc == 2 and "the content of the files of --wardrobe changed" in err, err
    assert RunFolder(tmp_path / "run").sample_ids() == [0]


def test_digests_see_a_file_added_to_a_folder(tmp_path):
    from genb.core.resume import digest_files

    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "a.hdr").write_bytes(b"one")
    before = digest_files([tmp_path / "maps"], tmp_path / "maps")
    assert digest_files([tmp_path / "maps"], tmp_path / "maps") == before
    (tmp_path / "maps" / "b.hdr").write_bytes(b"two")
    assert digest_files([tmp_path / "maps"], tmp_path / "maps") != before


def test_a_package_made_again_with_another_process_count_owns_its_folder(tiny_run, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    args = ["package", tiny_run.root, out, "--format", "webdataset", "--no-card", "--workers", "1",
            "--shard-maxcount", "1"]
    for rank in (1, 0):
        assert _genb(capsys, args, {"GENB_SHARD": f"{rank}/2"}, monkeypatch)[0] == 0
    two = sorted(p.name for p in (out / "webdataset").glob("*.tar"))
    assert any("-r01-" in n for n in two)
    assert _genb(capsys, args, monkeypatch=monkeypatch)[0] == 0
    one = sorted(p.name for p in (out / "webdataset").glob("*.tar"))
    index = json.loads((out / "webdataset" / "index.json").read_text())
    assert one == sorted(s["name"] for s in index["shards"]) and not any("-r01-" in n for n in one)
    assert sorted(p.name for p in (out / ".parts").glob("done-*")) == ["done-r00-of-01.json"]


@pytest.mark.parametrize("name", ["/etc/hostname", "../../outside.npz", "link.npz"])
def test_a_rank_marker_naming_a_file_outside_is_refused(name, tiny_run, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    args = ["package", tiny_run.root, out, "--format", "genb", "--no-card", "--workers", "1"]
    assert _genb(capsys, args, {"GENB_SHARD": "0/2"}, monkeypatch)[0] == 0
    (tmp_path / "outside.npz").write_bytes(b"not yours")
    (out / ".parts" / "link.npz").symlink_to(tmp_path / "outside.npz")
    marker = out / ".parts" / "done-r00-of-02.json"
    info = json.loads(marker.read_text())
    info["npz_parts"]["genb"] = name
    marker.write_text(json.dumps(info))
    rc, err = _genb(capsys, args, {"GENB_SHARD": "1/2"}, monkeypatch)
    assert rc == 2 and "points outside" in err and "Traceback" not in err, err


def test_two_writers_of_one_sample_folder_keep_the_first(tmp_path, monkeypatch):
    """Two renders of one rank into one run (the same arguments): the one that renames second keeps the
    first's folder instead of stopping with 'Directory not empty'."""
    import os

    from genb.core import io

    final = tmp_path / "000001"
    real_rename = os.rename

    def late(src, dst):  # the other process renames its folder between our check and our rename
        final.mkdir()
        (final / "image.png").write_bytes(b"theirs")
        monkeypatch.setattr(io.os, "rename", real_rename)
        return real_rename(src, dst)

    monkeypatch.setattr(io.os, "rename", late)
    with io.atomic_dir(final) as tmp:
        (tmp / "image.png").write_bytes(b"ours")
    assert (final / "image.png").read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["000001"]


def test_two_package_ranks_launched_together_make_one_package(tiny_run, tmp_path):
    """RANK/WORLD_SIZE with MASTER_ADDR (a launcher): both ranks start at once into a missing OUT;
    neither refuses the other's folder, and rank 0 merges both shares."""
    import os

    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k not in RANK_VARS}
    env.update(WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", GENB_WAIT_SECONDS="120",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    procs = [subprocess.Popen([sys.executable, "-m", "genb", "package", str(tiny_run.root), str(out), "--format",
                               "genb", "--no-card", "--workers", "1"], env={**env, "RANK": str(r)},
                              stderr=subprocess.PIPE, text=True) for r in (1, 0)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    import numpy as np

    rows = np.load(next((out / "genb").glob("*.npz")))["sample_index"]
    assert sorted(set(rows.tolist())) == tiny_run.sample_ids()


def test_a_sweep_that_fails_loading_its_extractor_writes_nothing(tiny_run, tmp_path, capsys, monkeypatch):
    """The sweep's setup (the feature extractor and the reference features) runs before its record:
    an empty reference folder stops it with RUN/sweep absent, and enhance/check never ran."""
    root = tmp_path / "run"
    shutil.copytree(tiny_run.root, root, ignore=shutil.ignore_patterns("enhanced", "sweep"))
    (tmp_path / "empty").mkdir()
    rc, err = _genb(capsys, ["sweep", root, "--noise", "0.3", "--reference", tmp_path / "empty"], monkeypatch=monkeypatch)
    assert rc == 2 and "holds no images" in err and "Traceback" not in err, err
    assert not (root / "sweep").exists() and not (root / "enhanced").exists()


# ----------------------------------------------------------------------------- the sweep
#
# The sweep is not a Driver above: its tables are rewritten on every call (and only by rank 0,
# once every level is checked), and the settings that shape an image are guarded by the stages
# it runs. The same contract, as it applies to it: ranks, resume, a killed rank's leftovers, a
# settings change, a command failing while loading, a folder that is not a run.

SWEEP_ENHANCE = "--steps 4 --threads 1 --batch-size 1"


def _sweep_args(src: Path, enhance_args: str = SWEEP_ENHANCE, noise: str = "0,0.4") -> list:
    return ["sweep", src, "--noise", noise, "--enhance-preset", "tiny", "--enhance-args", enhance_args,
            "--check-preset", "flow_only", "--check-args", "--min-box-px 8", "--contact-samples", "2",
            "--contact-cell", "48", "--device", "cpu", "--wait-timeout", "1"]


@pytest.fixture
def sweep_src(tmp_path, request, monkeypatch) -> Path:
    for var in RANK_VARS:
        monkeypatch.delenv(var, raising=False)
    request.getfixturevalue("tiny_pipeline_dir")
    root = tmp_path / "src"  # a real render: the checker reads its labels
    shutil.copytree(request.getfixturevalue("tiny_run").root, root, ignore=shutil.ignore_patterns("enhanced", "sweep"))
    return root


def _sweep_outputs(root: Path) -> dict[str, str]:
    """The sweep's outputs and those of the enhance and check it ran. A level's ``summary.png`` is
    left out: it plots every level checked when it is written (:func:`genb.check.summary.plot_summary`),
    so it follows the order ranks finished in, not what they made."""
    out = {k: v for k, v in _outputs(root / "enhanced").items() if not k.endswith("summary.png")}
    return out | {f"sweep/{k}": v for k, v in _outputs(root / "sweep").items()}


def _sweep_copy(src: Path, tmp_path: Path, name: str) -> Path:
    shutil.copytree(src, tmp_path / name)
    return tmp_path / name


def test_sweep_ranks_resume_and_leftovers(sweep_src, tmp_path, capsys, monkeypatch):
    ref = _sweep_copy(sweep_src, tmp_path, "ref")
    assert _genb(capsys, _sweep_args(ref), monkeypatch=monkeypatch)[0] == 0
    reference = _sweep_outputs(ref)
    assert {"sweep/sweep.csv", "sweep/sweep.json", "sweep/contact_sheet.png"} <= set(reference)
    # a job array: rank 1 first (returns without tables), then rank 0 (waits, finds every level, writes)
    src = _sweep_copy(sweep_src, tmp_path, "ranks10")
    rc, err = _genb(capsys, _sweep_args(src), {"GENB_SHARD": "1/2"}, monkeypatch)
    assert rc == 0 and not (src / "sweep" / "sweep.csv").exists(), err
    assert _genb(capsys, _sweep_args(src), {"GENB_SHARD": "0/2"}, monkeypatch)[0] == 0
    assert _sweep_outputs(src) == reference
    # rank 0 first: it waits --wait-timeout, then says which shard to run; once it has run, rank 0 completes
    src = _sweep_copy(sweep_src, tmp_path, "ranks01")
    rc, err = _genb(capsys, _sweep_args(src), {"GENB_SHARD": "0/2"}, monkeypatch)
    assert rc == 2 and "still missing" in err and "Traceback" not in err, err
    assert _genb(capsys, _sweep_args(src), {"GENB_SHARD": "1/2"}, monkeypatch)[0] == 0
    assert _genb(capsys, _sweep_args(src), {"GENB_SHARD": "0/2"}, monkeypatch)[0] == 0
    assert _sweep_outputs(src) == reference
    # resume: no image or check record is made again, the tables are the same bytes; a killed
    # process's temporary in sweep/ goes
    mtimes = {p: p.stat().st_mtime_ns for p in (ref / "enhanced").rglob("*") if p.is_file()
              and not p.name.endswith(RECORDS) and not p.name.startswith("summary.")}
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = ref / "sweep" / f".tmp-r0-p{dead.pid}-{dist._HOST}-abcdef-000001.png"
    leftover.write_bytes(b"half written")
    assert _genb(capsys, _sweep_args(ref), monkeypatch=monkeypatch)[0] == 0
    assert not leftover.exists()
    assert _sweep_outputs(ref) == reference
    assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items())


def test_sweep_settings_change_failure_and_foreign_folder(sweep_src, tmp_path, capsys, monkeypatch):
    # a command failing while loading the models (before its first output: a level that needs
    # them) leaves the run as it found it; the corrected one runs
    src = _sweep_copy(sweep_src, tmp_path, "run")
    before = _tree(src)
    rc, err = _genb(capsys, _sweep_args(src, SWEEP_ENHANCE + " --base-model MISSING-MODEL-DIR/base --offline", "0.4"),
                    monkeypatch=monkeypatch)
    assert rc == 2 and "Traceback" not in err, err
    assert _tree(src) == before
    assert _genb(capsys, _sweep_args(src), monkeypatch=monkeypatch)[0] == 0
    # a setting that changes the images is refused by the stage it reaches, naming the flag
    before = _tree(src)
    rc, err = _genb(capsys, _sweep_args(src, SWEEP_ENHANCE + " --guidance-scale 3"), monkeypatch=monkeypatch)
    assert rc == 2 and "--guidance-scale was 7.5, now 3.0" in err and "Traceback" not in err, err
    assert _tree(src) == before
    # a folder that is not a run
    rc, err = _genb(capsys, _sweep_args(tmp_path / "not-a-run"), monkeypatch=monkeypatch)
    assert rc == 2 and "not-a-run" in err and "Traceback" not in err, err
