"""Ranks, their share of the work, their device, and a temporary-name tag that says whose a file is.

A rank is one process of a multi-process run. Its rank and world size come from
the environment, whichever launcher set it:

* ``accelerate launch`` and ``torchrun`` set ``RANK``/``WORLD_SIZE`` (and
  ``LOCAL_RANK``, the process's index on its machine);
* a job array sets ``SLURM_ARRAY_TASK_ID``/``SLURM_ARRAY_TASK_COUNT``;
* ``GENB_SHARD=i/n`` says it by hand (and wins over the others).

Nothing set means one process.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
from collections.abc import Sequence
from typing import TypeVar

from genb.errors import GenbError

T = TypeVar("T")


def _int_env(name: str, value: str, fix: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise GenbError(f"{name}={value!r} is not a whole number", fix) from None


def dist_info() -> tuple[int, int]:
    """(rank, world_size) of this process, from the environment (see the module docstring)."""
    env = os.environ
    if "GENB_SHARD" in env:
        text = env["GENB_SHARD"]
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not m:
            raise GenbError(f"GENB_SHARD={text!r} is not of the form i/n", "set e.g. GENB_SHARD=0/4 (shard 0 of 4)")
        rank, world = int(m.group(1)), int(m.group(2))
        fix = "GENB_SHARD=i/n takes 0 <= i < n, e.g. GENB_SHARD=0/4 ... GENB_SHARD=3/4"
    elif "WORLD_SIZE" in env:
        fix = "set RANK to 0 ... WORLD_SIZE-1 (accelerate launch and torchrun set both)"
        rank = _int_env("RANK", env.get("RANK", "0"), fix)
        world = _int_env("WORLD_SIZE", env["WORLD_SIZE"], fix)
    elif "SLURM_ARRAY_TASK_COUNT" in env:
        fix = "run as a job array (sbatch --array=0-N), or set GENB_SHARD=i/n"
        rank = (_int_env("SLURM_ARRAY_TASK_ID", env.get("SLURM_ARRAY_TASK_ID", "0"), fix)
                - _int_env("SLURM_ARRAY_TASK_MIN", env.get("SLURM_ARRAY_TASK_MIN", "0"), fix))
        world = _int_env("SLURM_ARRAY_TASK_COUNT", env["SLURM_ARRAY_TASK_COUNT"], fix)
    else:
        return 0, 1
    if world < 1 or not 0 <= rank < world:
        raise GenbError(f"rank {rank} is outside a world of {world} process(es)", fix)
    return rank, world


def local_rank() -> int:
    """This process's index among the ranks on its machine (``LOCAL_RANK``; else 0)."""
    value = os.environ.get("LOCAL_RANK")
    if value is None:
        return 0
    return _int_env("LOCAL_RANK", value, "accelerate launch and torchrun set LOCAL_RANK; unset it otherwise")


def launched_together() -> bool:
    """True under ``accelerate launch``/``torchrun`` (all ranks start at once), False for job arrays."""
    return "MASTER_ADDR" in os.environ and "GENB_SHARD" not in os.environ


def resolve_device(name: str, local_rank: int, cuda_count: int) -> str:
    """The torch device a rank uses: pure, so every case is testable without a GPU.

    Args:
        name: ``auto``, ``cuda``, ``cuda:N``, ``cpu`` (``--device``).
        local_rank: this process's index on its machine (``LOCAL_RANK``).
        cuda_count: CUDA devices visible here (0 without CUDA).

    ``auto`` is ``cuda:<local rank mod count>`` when CUDA is there, else ``cpu``;
    ``cuda`` is ``cuda:<local rank mod count>`` too (so ranks of one machine never pile
    on GPU 0); ``cuda:N`` and ``cpu`` stay as given. A CUDA device without CUDA is one
    :class:`GenbError`.
    """
    if name == "auto":
        return f"cuda:{local_rank % cuda_count}" if cuda_count else "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        if not cuda_count:
            raise GenbError(f"--device {name}, but CUDA is not available here", "use --device cpu (or auto)")
        return f"cuda:{local_rank % cuda_count}" if name == "cuda" else name
    return name


def pick_device(device: str = "auto") -> str:
    """This rank's device for ``--device`` (:func:`resolve_device` with ``LOCAL_RANK`` and the CUDA count)."""
    if device not in ("auto", "cuda") and not device.startswith("cuda:"):
        return device
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        count = 0
    else:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return resolve_device(device, local_rank(), count)


def blocks(items: Sequence[T], rank: int, world: int) -> list[T]:
    """The contiguous block of ``items`` that rank ``rank`` of ``world`` works on.

    Blocks differ in length by at most one and keep the items' order, so the
    item at one position always belongs to one block whatever ``rank`` asks.
    """
    n = len(items)
    return list(items[rank * n // world : (rank + 1) * n // world])


def shard(indices: Sequence[T], rank: int, world: int) -> list[T]:
    """The indices process ``rank`` of ``world`` works on (contiguous blocks, see :func:`blocks`)."""
    return blocks(indices, rank, world)


# ----------------------------------------------------------------------------- whose temporary file is it

_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
_TAG = re.compile(r"^\.tmp-r(\d+)-p(\d+)-([0-9a-f]{6})-")


def process_tag() -> str:
    """``r<rank>-p<pid>-<host>``: the owner of a temporary file, written into its name.

    The rank falls back to 0 when the environment does not say (the error is raised
    where the stage reads its rank, not inside a file write).
    """
    try:
        rank, _ = dist_info()
    except GenbError:
        rank = 0
    return f"r{rank}-p{os.getpid()}-{_HOST}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True


def is_tagged(name: str) -> bool:
    """True for a temporary name that says its owner (:func:`process_tag`)."""
    return _TAG.match(name) is not None


def is_stale(name: str, rank: int) -> bool:
    """True when the temporary file or folder ``name`` belongs to a process that is gone.

    That is: written by an earlier process of the same ``rank`` (a rank runs once at a
    time), or by a process of this machine that no longer exists. Another rank's
    temporary that may still be in flight is never stale; names without a tag
    (written by an older genb) are not judged here (see :func:`genb.core.io.clean_stale`).
    """
    m = _TAG.match(name)
    if not m:
        return False
    owner_rank, pid, host = int(m.group(1)), int(m.group(2)), m.group(3)
    if host == _HOST and pid == os.getpid():
        return False  # this process's own, in flight
    if owner_rank == rank:
        return True
    return host == _HOST and not _pid_alive(pid)


DEFAULT_CPU_THREADS = 1
"""torch's thread count on CPU when ``--threads`` is not given. The bytes of a CPU run follow the
thread count (a reduction split over more threads adds in another order), so the default is a
fixed number, not the machine's cores or cores per process: two processes and one, or two
machines, then give the same bytes."""


def cpu_threads(threads: int | None, device: str) -> int | None:
    """The torch thread count to set for a pipeline on ``device``: ``--threads`` when given, else
    :data:`DEFAULT_CPU_THREADS` on CPU; None (torch's own default, untouched) on CUDA."""
    if threads:
        return threads
    return None if str(device).startswith("cuda") else DEFAULT_CPU_THREADS
