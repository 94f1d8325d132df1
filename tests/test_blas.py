"""The renderer's BLAS thread limit (genb.core.blas)."""

import numpy as np

from genb.core.blas import blas_threads, limit_blas_threads, loaded_openblas


def test_limit_blas_threads_sets_every_loaded_openblas_and_keeps_results():
    a = np.random.default_rng(0).random((20000, 3)).astype(np.float32)
    R = np.random.default_rng(1).random((3, 3)).astype(np.float32)
    before = a @ R
    libs = loaded_openblas()
    done = limit_blas_threads(1)
    counts = blas_threads()
    assert done == len(counts) and set(counts) <= set(libs)
    if libs:  # numpy's own OpenBLAS (Linux wheels) is among them
        assert done >= 1
    assert all(n == 1 for n in counts.values())
    np.testing.assert_array_equal(a @ R, before)  # one output, one thread: the same bits


def test_a_thread_count_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert limit_blas_threads(1, respect_env=True) == 0
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == "3"
