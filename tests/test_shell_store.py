"""The dresser's on-disk shell store: a shell stored by one dresser loads in another (the same
arrays, without building it), a damaged file is rebuilt, and the store can be turned off."""

import numpy as np
import pytest

from _fixtures_bodies import anny_body  # noqa: F401


def _same(a, b) -> None:
    assert (a.blend != b.blend).nnz == 0 and a.blend.dtype == b.blend.dtype
    for name in ("lift", "extra", "faces", "covered", "rest", "rest_normals", "hidden", "twin"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in ("disp", "normal", "ease_scale"):
        np.testing.assert_array_equal(getattr(a.drape, name), getattr(b.drape, name))
    assert (a.drape.smooth != b.drape.smooth).nnz == 0


def test_stored_shell_loads_unchanged_and_damage_is_rebuilt(anny_body, tmp_path, monkeypatch):
    from genb.render.dress import dresser as dresser_module
    from genb.render.dress import Dresser

    built = Dresser(anny_body, store_root=tmp_path).top_shell(0.6, 0.1, ease=0.02)
    files = sorted(tmp_path.glob("*/*.pkl"))
    assert len(files) == 1

    def refuse(*a, **k):
        raise AssertionError("the stored shell should have been loaded, not built")

    with monkeypatch.context() as m:  # a second process: loads the stored shell
        m.setattr(dresser_module, "build_shell", refuse)
        _same(Dresser(anny_body, store_root=tmp_path).top_shell(0.6, 0.1, ease=0.02), built)

    files[0].write_bytes(b"not a pickle")  # damaged (or half-written by a killed process): rebuilt, rewritten
    _same(Dresser(anny_body, store_root=tmp_path).top_shell(0.6, 0.1, ease=0.02), built)
    assert files[0].stat().st_size > 1000


def test_store_off_and_moved(monkeypatch, tmp_path):
    from genb.render.dress.shell_store import default_store_root

    monkeypatch.setenv("GENB_SHELL_CACHE", "0")
    assert default_store_root() is None
    monkeypatch.setenv("GENB_SHELL_CACHE", str(tmp_path))
    assert default_store_root() == tmp_path


def test_stale_and_surplus_folders_are_removed(anny_body, tmp_path):
    import os
    import time

    from genb.render.dress.dresser import Dresser
    from genb.render.dress.shell_store import KEEP_FOLDERS, STALE_DAYS

    now = time.time()
    old = tmp_path / "old-code"
    old.mkdir()
    os.utime(old, (now - STALE_DAYS * 86400 - 60,) * 2)
    recent = []
    for k in range(KEEP_FOLDERS + 1):  # newest first: k = 0 was used a minute ago
        d = tmp_path / f"recent-{k}"
        d.mkdir()
        os.utime(d, (now - 60 * (k + 1),) * 2)
        recent.append(d)
    Dresser(anny_body, store_root=tmp_path)
    left = {p.name for p in tmp_path.iterdir()}
    assert "old-code" not in left
    assert {d.name for d in recent[: KEEP_FOLDERS - 1]} <= left  # with this one: KEEP_FOLDERS in all
    assert not {d.name for d in recent[KEEP_FOLDERS - 1:]} & left
    assert len(left) == KEEP_FOLDERS
