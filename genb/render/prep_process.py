"""Preparing samples in a second process, beside the process that rasterizes and completes them.

:meth:`genb.render.stage.RenderStage.prepare` is mostly Python (bodies, dressing, scene): on a
thread of the rendering process it holds the GIL most of its time, and the GL thread (whose
pyrender and PyOpenGL calls take and release the GIL hundreds of times a sample) and the
completing thread wait on it. In a process of its own it holds its own GIL; what it hands back,
a :class:`genb.render.samples.PreparedSample` (about 5-20 MB of arrays at 512x512, sent by
:mod:`genb.render.prep_wire`: the arrays out of band), costs the rendering process a few milliseconds to read.

A prepared sample depends only on (config, index, retry), never on the process that prepared
it (``--workers 2`` relies on the same), so the bytes written are those of the one-process run.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import pickle
import subprocess
import sys
import threading
import traceback
from typing import TYPE_CHECKING

from genb.errors import GenbError
from genb.render import prep_wire

if TYPE_CHECKING:
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

ENV = "GENB_PREPARE"
"""Who prepares the samples of a one-worker ``genb render``: ``process``, a child process (a second body
model and stage: a few seconds more start-up, both built at once; ~45 ms more CPU a sample for sending;
1.14-1.19x the samples/s of a preparing thread on an otherwise idle 2-core machine at 512x512, 1-10 people,
no gain while other work holds the cores); ``thread``, a thread of the rendering process; unset, a process
for runs of :data:`PROCESS_MIN_SAMPLES` samples or more (where its start-up pays for itself), else a thread."""

PROCESS_MIN_SAMPLES = 32

# The child: this process's import path first (before genb is imported), then the config, then
# (index, retry) requests answered in order with (ok, PreparedSample or exception) in prep_wire's messages.
# A plain interpreter, not multiprocessing's spawn: the caller's __main__ is never run again.
_BOOT = ("import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
         "from genb.render.prep_process import serve; serve()")


def serve() -> None:
    """The preparing process's loop (its stdin: requests; its stdout: answers; its prints go to stderr)."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    cfg = pickle.load(inp)
    stage, failed = None, None
    try:
        from genb.render.stage import RenderStage

        stage = RenderStage(cfg)
    except BaseException as e:  # noqa: BLE001 - answered to every request
        failed = e
    while True:
        try:
            index, retry = pickle.load(inp)
        except EOFError:
            return
        try:
            if stage is None:
                raise failed  # type: ignore[misc]
            answer = prep_wire.dumps((True, stage.prepare(index, None, retry)))
        except BaseException as e:  # noqa: BLE001 - the caller raises it
            if isinstance(e, Exception) and not isinstance(e, GenbError):  # a bug: its traceback, here, on stderr
                traceback.print_exc()
                e = GenbError(f"preparing sample {index} in the preparing process failed: {type(e).__name__}: {e}",
                              "see the traceback above; run again with GENB_PREPARE=thread to debug it in one process")
            try:
                answer = prep_wire.dumps((False, e))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                answer = prep_wire.dumps((False, GenbError(f"preparing sample {index} failed: {e!r}")))
        prep_wire.write(out, answer)


def use_process(num_samples: int) -> bool:
    """Whether a one-worker ``genb render`` of ``num_samples`` samples prepares in a second process
    (:data:`ENV`; any value but ``process`` or ``thread`` is an error)."""
    value = os.environ.get(ENV, "").strip().lower()
    if value not in ("", "process", "thread"):
        raise GenbError(f"{ENV}={os.environ.get(ENV)!r} is neither 'process' nor 'thread'",
                        f"unset {ENV} (a preparing process for long runs) or set {ENV}=thread (one process)")
    return value == "process" or (not value and num_samples >= PROCESS_MIN_SAMPLES)


class Preparer:
    """Prepares samples ahead of the rendering thread: in a child process with its own
    :class:`RenderStage` (``stage`` None), or on one thread of this process with ``stage``.

    :meth:`submit` returns a future of the :class:`PreparedSample`; the samples are prepared in
    the order submitted, so submitting in rendering order keeps the preparing side busy.
    """

    def __init__(self, cfg: "RenderConfig", stage: "RenderStage | None" = None):
        self._stage = stage
        if stage is not None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-prepare")
            return
        self._proc = subprocess.Popen([sys.executable, "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._waiting: collections.deque[concurrent.futures.Future] = collections.deque()
        self._lock = threading.Lock()
        self._send(list(sys.path), cfg)  # it builds its stage now, beside this process's
        self._reader = threading.Thread(target=self._read, name="genb-prepared", daemon=True)
        self._reader.start()

    def _send(self, *messages) -> None:
        assert self._proc.stdin is not None
        for m in messages:
            self._proc.stdin.write(pickle.dumps(m, protocol=5))
        self._proc.stdin.flush()

    def submit(self, index: int, retry: int = 0) -> concurrent.futures.Future:
        if self._stage is not None:
            return self._pool.submit(self._stage.prepare, index, None, retry)
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if not self._reader.is_alive():
                raise GenbError("the preparing process of genb render has ended", "see the error above; run again")
            self._waiting.append(future)
            self._send((index, retry))
        return future

    def _read(self) -> None:
        """The answers, in request order, into the waiting futures (on a thread of its own)."""
        try:
            while True:
                ok, value = prep_wire.read(self._proc.stdout)
                future = self._waiting.popleft()
                future.set_result(value) if ok else future.set_exception(value)
        except BaseException as e:  # noqa: BLE001 - the end of the answers (or one that does not read): every waiting sample fails
            if not isinstance(e, (EOFError, OSError)):
                self._proc.kill()  # an answer that does not read: what follows it cannot be read in step
            with self._lock:
                while self._waiting:
                    self._waiting.popleft().set_exception(GenbError(
                        f"the preparing process of genb render ended ({type(e).__name__}: {e}, "
                        f"exit code {self._proc.poll()})", "see the error above; run again (or set GENB_PREPARE=thread)"))

    def close(self) -> None:
        if self._stage is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            return
        if self._waiting:  # an error cut the run short: what is still queued is not needed
            self._proc.kill()
        try:
            self._proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        self._proc.wait()
        self._reader.join()
