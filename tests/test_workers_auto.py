"""--workers 0 (the default): one worker per core for long runs, capped by memory and shared among a
machine's ranks; one for short runs; a negative count is one clear error."""

import pytest

from genb.errors import GenbError
from genb.render.config import RenderConfig
from genb.render.workers import AUTO_MIN_SAMPLES, WORKER_MEMORY, auto_workers, resolve_workers


def test_long_runs_take_a_worker_per_core_within_memory_and_ranks():
    plenty = 64 * WORKER_MEMORY
    assert auto_workers(AUTO_MIN_SAMPLES - 1, cores=16, available=plenty, local_ranks=1) == 1  # short: one
    assert auto_workers(AUTO_MIN_SAMPLES, cores=16, available=plenty, local_ranks=1) == 16
    assert auto_workers(1000, cores=2, available=plenty, local_ranks=1) == 2
    assert auto_workers(1000, cores=16, available=5.2 * WORKER_MEMORY, local_ranks=1) == 5  # memory caps it
    assert auto_workers(1000, cores=16, available=plenty, local_ranks=4) == 4  # four ranks share the cores
    assert auto_workers(1000, cores=2, available=0.5 * WORKER_MEMORY, local_ranks=8) == 1  # never fewer than one


def test_a_config_resolves_zero_only(monkeypatch):
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    assert RenderConfig().workers == 0  # the default is auto
    assert resolve_workers(RenderConfig(num_samples=8)).workers == 1
    assert resolve_workers(RenderConfig(num_samples=8, workers=3)).workers == 3
    assert resolve_workers(RenderConfig(num_samples=1000)).workers >= 1
    with pytest.raises(GenbError, match="--workers must be 0"):
        RenderConfig(workers=-1).validate()
