"""Preparing in a second process (genb.render.prep_process): the same bytes as the preparing
thread, the child's errors raised in the
rendering process, and no child left behind when the render is interrupted."""

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from _fixtures_render import TINY
from genb.errors import GenbError
from genb.render.config import RenderConfig
from genb.render.prep_process import ENV, Preparer


def _digest(folder) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_preparing_in_a_process_or_a_thread_gives_the_same_bytes(tmp_path, monkeypatch):
    from genb.render.run import run_render

    monkeypatch.setenv(ENV, "process")
    run_render(tmp_path / "process", RenderConfig(**TINY))
    monkeypatch.setenv(ENV, "thread")
    run_render(tmp_path / "thread", RenderConfig(**TINY))
    process, thread = _digest(tmp_path / "process" / "samples"), _digest(tmp_path / "thread" / "samples")
    assert len(process) >= 4 * 5
    assert process == thread


def test_an_error_in_the_preparing_process_is_raised_here(tmp_path):
    cfg = RenderConfig(**{**TINY, "backgrounds": str(tmp_path / "missing")})
    preparer = Preparer(cfg)
    try:
        with pytest.raises(GenbError, match="does not exist"):
            preparer.submit(0).result(timeout=300)
        with pytest.raises(GenbError, match="does not exist"):  # every request, not only the first
            preparer.submit(1, retry=1).result(timeout=300)
    finally:
        preparer.close()
    assert preparer._proc.returncode == 0


def _children(pid: int) -> list[int]:
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            kids += [int(c) for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
        except OSError:
            pass
    return kids


def _as_from_a_terminal() -> None:
    """In the child before it runs: SIGINT delivered and handled by default, as a shell starts a foreground command.
    A child inherits its parent's blocked and ignored signals; in the whole suite (after the tests before this one
    ran in this process) the render ignored the SIGINT and rendered all 200 samples, exit 0 (three CI runs in
    session 35; never alone)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads the process tree from /proc")
def test_interrupting_the_render_leaves_no_child_behind(tmp_path):
    """SIGINT to the rendering process alone (not its group, as a terminal's Ctrl-C would): it
    raises KeyboardInterrupt and ends its child on the way out."""
    env = {**os.environ, ENV: "process", "PYTHONPATH": os.pathsep.join(sys.path)}
    render = subprocess.Popen([sys.executable, "-m", "genb", "render", str(tmp_path / "run"), "--num-samples", "200", "--workers", "1",
                               "--image-size", "128,96", "--num-people", "1,3"], env=env, stderr=subprocess.PIPE,
                              preexec_fn=_as_from_a_terminal)
    try:
        deadline, samples = time.monotonic() + 300, tmp_path / "run" / "samples"
        while time.monotonic() < deadline and render.poll() is None and \
                not (samples.is_dir() and any(p.name.isdigit() for p in samples.iterdir())):
            time.sleep(0.5)  # until a sample is written: the child is up, with samples asked ahead
        kids = [k for k in _children(render.pid) if "prep_process" in open(f"/proc/{k}/cmdline").read()]
        assert kids, "no preparing process was started"
        status = [line for line in open(f"/proc/{render.pid}/status").read().splitlines() if line.startswith(("SigBlk", "SigIgn", "SigCgt"))]
        render.send_signal(signal.SIGINT)
        rc = render.wait(timeout=120)
        written = sum(p.name.isdigit() for p in samples.iterdir())
        assert rc != 0, (f"the render went on after SIGINT (exit {rc}, {written} of 200 samples written; its signal masks "
                         f"then: {status}); its stderr ends: {render.stderr.read()[-3000:].decode(errors='replace')}")
        time.sleep(0.5)
        for k in kids:
            assert not os.path.exists(f"/proc/{k}") or open(f"/proc/{k}/stat").read().split(") ")[1][0] == "Z", \
                f"the preparing process {k} outlived the render"
    finally:
        if render.poll() is None:
            render.kill()
            render.wait()


def test_long_runs_prepare_in_a_process_by_default_and_a_wrong_choice_is_one_clear_error(monkeypatch):
    from genb.render.prep_process import PROCESS_MIN_SAMPLES, use_process

    monkeypatch.delenv(ENV, raising=False)
    assert use_process(PROCESS_MIN_SAMPLES) and not use_process(PROCESS_MIN_SAMPLES - 1)
    monkeypatch.setenv(ENV, "thread")
    assert not use_process(10_000)
    monkeypatch.setenv(ENV, "process")
    assert use_process(1)
    monkeypatch.setenv(ENV, "processes")
    with pytest.raises(GenbError, match="neither 'process' nor 'thread'") as e:
        use_process(100)
    assert "GENB_PREPARE=thread" in e.value.fix


def test_a_worker_that_cannot_build_its_stage_is_one_clear_error_not_a_hang(tmp_path):
    """--workers 2 with a background folder that holds no images: RenderStage raises in every worker
    (the config's own check only sees that the folder exists); the run raises it instead of
    multiprocessing starting new workers for ever."""
    from genb.render.run import run_render

    empty = tmp_path / "backgrounds"
    empty.mkdir()
    cfg = RenderConfig(**{**TINY, "num_samples": 2, "workers": 2, "backgrounds": str(empty)})
    with pytest.raises(GenbError, match="holds no images"):
        run_render(tmp_path / "run", cfg)
