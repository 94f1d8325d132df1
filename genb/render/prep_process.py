"""Preparing samples in a second process, beside the process that rasterizes and completes them.

:meth:`genb.render.stage.RenderStage.prepare` is mostly Python (bodies, dressing, scene): on a
thread of the rendering process it holds the GIL most of its time, and the GL thread (whose
pyrender and PyOpenGL calls take and release the GIL hundreds of times a sample) and the
completing thread wait on it. In a process of its own it holds its own GIL; what it hands back,
a pickled :class:`genb.render.samples.PreparedSample` (about 5-25 MB of arrays at 512x512), costs
the rendering process a few milliseconds to read.

A prepared sample depends only on (config, index, retry), never on the process that prepared
it (``--workers 2`` relies on the same), so the bytes written are those of the one-process run.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing as mp
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genb.render.config import RenderConfig
    from genb.render.samples import PreparedSample
    from genb.render.stage import RenderStage

ENV = "GENB_PREPARE"
"""``GENB_PREPARE=thread``: prepare on a thread of the rendering process instead (less memory, one
body model; slower on two cores)."""

_stage: "RenderStage | None" = None  # the preparing process's own stage (its GL is never drawn)


def _init(cfg: "RenderConfig") -> None:
    global _stage
    from genb.render.stage import RenderStage

    _stage = RenderStage(cfg)


def _prepare(index: int, retry: int) -> "PreparedSample":
    assert _stage is not None
    return _stage.prepare(index, None, retry)


def use_process() -> bool:
    """Whether ``genb render`` with one worker prepares in a second process (:data:`ENV`)."""
    return os.environ.get(ENV, "process").strip().lower() != "thread"


class Preparer:
    """Prepares samples ahead of the rendering thread: in a spawned process with its own
    :class:`RenderStage` (``stage`` None), or on one thread of this process with ``stage``.

    :meth:`submit` returns a future of the :class:`PreparedSample`; submitting in the order the
    samples are rendered keeps the preparing side busy while this process draws.
    """

    def __init__(self, cfg: "RenderConfig", stage: "RenderStage | None" = None):
        self._stage = stage
        if stage is None:
            self._pool: concurrent.futures.Executor = concurrent.futures.ProcessPoolExecutor(
                1, mp_context=mp.get_context("spawn"), initializer=_init, initargs=(cfg,))
            self._pool.submit(int, 0)  # start the process (and build its stage) now
        else:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-prepare")

    def submit(self, index: int, retry: int = 0) -> concurrent.futures.Future:
        if self._stage is not None:
            return self._pool.submit(self._stage.prepare, index, None, retry)
        return self._pool.submit(_prepare, index, retry)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
