"""The run mechanics every stage shares: whose items, what is done, saved settings, stale files, the finish.

A stage run goes through the same steps whatever the stage::

    ranks = Ranks.from_env()                                  # rank, world, device by local rank
    guard_settings(out / "enhance.yaml", record, keep, ...)   # one rule for resuming
    ranks.clean(folders)                                      # own rank's (or dead processes') temporaries
    plan = ranks.plan(items, is_done, group)                  # contiguous blocks, done items skipped
    ... the stage's own work on plan.todo, progress on rank 0 ...
    ranks.finish(missing, aggregate, what)                    # the barrier-and-aggregate step

The finish works the same under ``accelerate launch``, ``torchrun`` and job
arrays, with or without a process group: it watches the records the ranks write.
Whichever rank sees every item done aggregates (so a job array whose tasks run one
after another still ends with a summary of the whole run); rank 0 of a launcher
that starts every rank at once also waits for the others, up to
``GENB_WAIT_SECONDS`` (default 600), then says what is missing.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from genb.core import dist, io
from genb.errors import GenbError

T = TypeVar("T")

DEFAULT_WAIT_SECONDS = 600.0


def wait_seconds() -> float:
    """How long rank 0 waits for the other ranks: ``GENB_WAIT_SECONDS``, else 600 s under a
    launcher that starts every rank at once, 0 for job arrays and ``GENB_SHARD``."""
    text = os.environ.get("GENB_WAIT_SECONDS")
    if text is None:
        return DEFAULT_WAIT_SECONDS if dist.launched_together() else 0.0
    try:
        value = float(text)
    except ValueError:
        raise GenbError(f"GENB_WAIT_SECONDS={text!r} is not a number", "set e.g. GENB_WAIT_SECONDS=600") from None
    if value < 0:
        raise GenbError(f"GENB_WAIT_SECONDS={text!r} is negative", "set e.g. GENB_WAIT_SECONDS=600")
    return value


@dataclasses.dataclass
class Plan(Generic[T]):
    """This rank's share of a stage's items."""

    items: list[T]
    """Every item of the stage, in order (all ranks)."""
    mine: list[T]
    """This rank's contiguous block of ``items``."""
    todo: list[T]
    """The items of ``mine`` that are not done yet."""

    @property
    def skipped(self) -> int:
        return len(self.mine) - len(self.todo)


@dataclasses.dataclass
class Ranks:
    """Where this process stands in a multi-process run."""

    rank: int
    world: int
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> "Ranks":
        rank, world = dist.dist_info()
        return cls(rank, world, dist.local_rank())

    @property
    def main(self) -> bool:
        return self.rank == 0

    def device(self, device: str = "auto") -> str:
        """The torch device of this rank: ``auto``/``cuda`` -> ``cuda:<local rank>`` (:func:`~genb.core.dist.pick_device`)."""
        return dist.pick_device(device)

    def clean(self, folders: Iterable[str | Path]) -> int:
        """Remove this rank's stale temporaries (and those of processes of this machine that are gone)."""
        return io.clean_stale(folders, self.rank)

    def plan(self, items: Sequence[T], is_done: Callable[[T], bool]) -> Plan[T]:
        """This rank's contiguous block of ``items`` and the part of it not done yet.

        Give batches as items (lists of indices formed from fixed positions) to keep a
        batch the same samples whatever the number of ranks; a batch is to do when any
        of its members is.
        """
        items = list(items)
        mine = dist.blocks(items, self.rank, self.world)
        return Plan(items, mine, [x for x in mine if not is_done(x)])

    def finish(self, missing: Callable[[], int], aggregate: Callable[[], Any] | None, what: str,
               timeout: float | None = None, poll: float = 0.5) -> bool:
        """The barrier-and-aggregate step. Returns True when everything is done (and aggregated).

        Args:
            missing: how many items of the whole stage (every rank) have no record yet.
            aggregate: writes the stage's summary; run by whichever rank sees every item done.
            what: the stage's outputs, for messages (``"check records in RUN/..."``).
            timeout: how long rank 0 waits for the other ranks (default :func:`wait_seconds`).
        """
        left = missing()
        if left and self.world > 1 and self.main:
            timeout = wait_seconds() if timeout is None else timeout
            deadline = time.monotonic() + timeout
            while left and time.monotonic() < deadline:
                time.sleep(poll)
                left = missing()
            if left and timeout > 0:
                from genb.log import get_logger

                get_logger(__name__).warning(
                    "rank 0 waited %.0f s and %d %s are still missing: another rank is still running or "
                    "stopped; the last rank to finish writes the summary (or run the same command again "
                    "with one process once every rank has run)", timeout, left, what)
        if left:
            return False
        if aggregate is not None:
            aggregate()
        return True


def guard_settings(path: str | Path, new: dict[str, Any], keep: Iterable[str] = (), outputs_exist: bool = False,
                   stage: str = "stage") -> None:
    """The one resume rule: refuse outputs made with other settings than ``new``.

    Args:
        path: the stage's saved record (``render.yaml``, ``enhance.yaml`` ...), holding ``config``.
        new: the new config as a plain dict (:func:`genb.config.to_dict`).
        keep: fields that may differ between invocations (workers, threads, limit ...).
        outputs_exist: the folder already holds this stage's outputs. Then a missing record
            is an error (nothing says how they were made), as is a corrupt one, always.
        stage: the stage's name, for messages.
    """
    path = Path(path)
    if not path.is_file():
        if outputs_exist:
            raise GenbError(
                f"{path.parent} holds outputs of `genb {stage}` but no {path.name} saying how they were made",
                f"move that folder away to start over, or restore {path.name}",
            )
        return
    old = io.read_yaml_record(path).get("config")
    if not isinstance(old, dict):
        raise GenbError(f"{path} is corrupt: it has no config mapping",
                        f"restore it, or move {path.parent} away to start over")
    keep = set(keep)
    changed = sorted(k for k, v in new.items() if k not in keep and k in old and old[k] != v)
    if changed:
        raise GenbError(
            f"{path.parent} was made by `genb {stage}` with different settings ({', '.join(changed)}); "
            "resuming would mix two datasets",
            f"use a new output folder, or repeat the original settings (see {path})",
        )


def refuse_foreign(folder: str | Path, markers: Sequence[str], stage: str, ours: str) -> None:
    """Refuse to write into a folder that exists, is not empty and is not this stage's.

    Args:
        folder: the output folder.
        markers: files whose presence makes it this stage's (``run.json``, ``render.yaml``).
        stage: the stage's name.
        ours: what this stage's folder is called, for the message (``"a run folder"``).
    """
    folder = Path(folder)
    if folder.is_file():
        raise GenbError(f"{folder} is a file, not a folder", f"give a folder for `genb {stage}` to write")
    if not folder.is_dir() or any((folder / m).exists() for m in markers):
        return
    entries = sorted(p.name for p in folder.iterdir() if not p.name.startswith(io.TMP_PREFIX))
    if entries:
        shown = ", ".join(entries[:4]) + (" ..." if len(entries) > 4 else "")
        raise GenbError(
            f"{folder} is not empty ({shown}) and is not {ours}; `genb {stage}` will not write into it",
            f"give a new or empty folder for `genb {stage}`",
        )
