"""Preparing in a second process (genb.render.prep_process): the same bytes as the preparing
thread, and the child's errors raised in the rendering process."""

import hashlib

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


def test_long_runs_prepare_in_a_process_by_default_and_a_wrong_choice_is_one_clear_error(monkeypatch):
    from genb.render.prep_process import PROCESS_MIN_SAMPLES, use_process

    monkeypatch.delenv(ENV, raising=False)
    assert use_process(PROCESS_MIN_SAMPLES) and not use_process(PROCESS_MIN_SAMPLES - 1)
    monkeypatch.setenv(ENV, "thread")
    assert not use_process(10_000)
    monkeypatch.setenv(ENV, "process")
    assert use_process(1)
    monkeypatch.setenv(ENV, "processes")
    with pytest.raises(GenbError, match="none of .thread., .process., .gl.") as e:
        use_process(100)
    assert "GENB_PREPARE=thread" in e.value.fix
