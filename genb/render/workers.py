"""How many worker processes ``genb render`` uses when ``--workers`` is 0 (the default, "auto").

One worker process per core renders faster than one process whose threads share the work: on a
2-core machine two workers gave 1.3-1.5x the samples/s of one (docs/render.md, "How one worker shares
the cores"), with the same bytes. Each worker builds its own body model and renderer (about 1.4 GB at
512x512), so memory caps the count, and the cores are shared among this machine's ranks
(``LOCAL_WORLD_SIZE``, set by ``accelerate launch`` and ``torchrun``). Short runs use one worker: a
pool's start-up (a renderer per worker) does not pay for itself under :data:`AUTO_MIN_SAMPLES` samples.
"""

from __future__ import annotations

import dataclasses
import os

AUTO_MIN_SAMPLES = 32
"""Runs of fewer samples use one worker when ``--workers`` is 0."""

WORKER_MEMORY = 1.5 * 2**30
"""Bytes of memory a rendering worker may take (body model, renderer, samples in flight)."""


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity; all of them where that is unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _available_memory() -> float | None:
    """Bytes of memory available to new processes (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def auto_workers(work: int, cores: int | None = None, available: float | None = None,
                 local_ranks: int | None = None) -> int:
    """Worker processes for ``work`` samples: one per core this rank may use (the cores divided among the
    machine's ``local_ranks``), at most one per :data:`WORKER_MEMORY` of ``available`` memory; one for
    runs under :data:`AUTO_MIN_SAMPLES`. ``cores``, ``available``, ``local_ranks``: this machine's when None."""
    if work < AUTO_MIN_SAMPLES:
        return 1
    cores = usable_cores() if cores is None else cores
    if local_ranks is None:
        try:
            local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        except ValueError:
            local_ranks = 1
    available = _available_memory() if available is None else available
    by_memory = cores if available is None else int(available // WORKER_MEMORY)
    return max(1, min(cores // max(1, local_ranks), by_memory))


def resolve_workers(cfg):
    """``cfg`` (a render config) with ``workers`` 0 (auto) replaced by :func:`auto_workers` of its
    ``num_samples``; any other count as it is. (Sequences take one worker for 0: genb.sequence.stage.)"""
    if cfg.workers > 0:
        return cfg
    return dataclasses.replace(cfg, workers=auto_workers(cfg.num_samples))
