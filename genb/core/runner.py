"""The run every stage shares: :func:`run_stage` over a stage's :class:`StageSpec`.

A stage declares its items, its done test, its setup (models loaded once), its per-item
work and its aggregate; :func:`run_stage` owns the rest, in one order for every stage::

    refuse a foreign folder -> validate inputs -> the resume rule (genb.core.resume)
    -> plan this rank's block -> device (cuda:LOCAL_RANK) and setup, only with work
    -> write the settings record (any rank, when missing) -> clean own temporaries
    -> work (undone if it fails before the first output) -> finish (aggregate)

The finish works the same under ``accelerate launch``, ``torchrun`` and job arrays, with or
without a process group: it watches the records the ranks write. Whichever rank sees every
item done aggregates (so a job array whose tasks run one after another still ends with a
summary of the whole run); rank 0 of a launcher that starts every rank at once also waits
for the others, up to ``GENB_WAIT_SECONDS`` (default 600), then says what is missing.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from genb.core import dist, io
from genb.core.log import get_logger
from genb.core.resume import guard_settings
from genb.core.settings import config_record, to_dict
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
                get_logger(__name__).warning(
                    "rank 0 waited %.0f s and %d %s are still missing: another rank is still running or "
                    "stopped; the last rank to finish writes the summary (or run the same command again "
                    "with one process once every rank has run)", timeout, left, what)
        if left:
            return False
        if aggregate is not None:
            aggregate()
        return True


# ----------------------------------------------------------------------------- the stage runner


@dataclasses.dataclass
class StageContext:
    """What :func:`run_stage` hands a stage's hooks."""

    ranks: Ranks
    """This process's rank, world and local rank."""
    device: str
    """The resolved torch device of this rank (``cuda:<LOCAL_RANK>``, ``cpu``)."""
    plan: Plan | None = None
    """This rank's items and the ones left to do (set before ``setup``)."""
    state: Any = None
    """What ``setup`` returned (the loaded models), for ``work``."""


@dataclasses.dataclass
class StageSpec(Generic[T]):
    """What one stage declares; :func:`run_stage` does everything else, once for every stage.

    The hooks are plain callables so a stage's own logic stays in its module.
    """

    name: str
    """The command (``render``, ``enhance`` ...), for messages."""
    folder: Path
    """The stage's output folder; its settings record lives in it."""
    record: str
    """The settings record's file name (``render.yaml``)."""
    config: Any
    """The stage's config dataclass (saved in the record, compared on resume)."""
    items: Callable[[], Sequence[T]]
    """Every item of the stage, in a fixed order (all ranks)."""
    is_done: Callable[[T], bool]
    """True when an item's outputs exist (it is skipped)."""
    work: Callable[[StageContext, list[T]], Any]
    """Does this rank's items that are not done; its return value is :func:`run_stage`'s."""
    validate: Callable[[], None] | None = None
    """Checks the stage's inputs (raises :class:`GenbError`); runs before anything is read or written."""
    setup: Callable[[StageContext], Any] | None = None
    """Loads the models once (only when this rank has work); runs before anything is written."""
    aggregate: Callable[[], Any] | None = None
    """Writes the stage's summary; run by whichever rank sees every item done."""
    missing: Callable[[], int] | None = None
    """How many items of every rank are not done (default: count ``is_done`` over ``items``)."""
    what: str = "outputs"
    """The outputs, for the finish's messages."""
    keep: Iterable[str] = ()
    """Config fields that may change between invocations (workers, threads, limit ...)."""
    inputs: Callable[[], dict[str, str]] | None = None
    """Content digests of the input files that shape an output (:func:`digest_files`)."""
    markers: Sequence[str] | None = None
    """Files that make a non-empty folder this stage's; None: the folder is inside a run, no refusal."""
    ours: str = "a genb folder"
    """What this stage's folder is called, for the refusal."""
    outputs_exist: Callable[[], bool] | None = None
    """True when the folder holds outputs (default: any item done)."""
    extra_records: Callable[[], dict[str, Any]] | None = None
    """JSON files written beside the record, by name in ``folder``: a mapping, or a typed record with
    ``write(path)`` (render's :class:`~genb.core.records.run.RunManifest`)."""
    record_extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    """More keys of the settings record (package's selection)."""
    folders: Sequence[Path] = ()
    """Sub-folders to create before ``work`` (removed again if the command fails before any output)."""
    clean: Sequence[Path] | None = None
    """Folders whose stale temporaries this rank removes (default: ``folder``)."""
    device: str | None = None
    """The ``--device`` value to resolve (``auto``); None: ``auto``."""
    redo: bool = False
    """True under ``--redo``: every item is redone, the settings are not compared."""
    redo_flag: str | None = None
    """The flag that redoes every output (offered when a resume is refused)."""
    guard: bool = True
    """False for a stage whose outputs are always recomputed whole (sweep)."""
    main_only: bool = False
    """True when only rank 0 writes (the sweep's tables): other ranks write no record either."""
    split: bool = True
    """False when every rank takes every item (the sweep: its enhance and check split their own work)."""
    command: list[str] | None = None
    """The command line to save in the record (default ``sys.argv``)."""


@dataclasses.dataclass
class StageRun(Generic[T]):
    """What :func:`run_stage` did on this rank."""

    plan: Plan[T]
    """This rank's items and those it did."""
    result: Any
    """``work``'s value (None when this rank had nothing to do)."""
    complete: bool
    """True when every item of every rank is done (and ``aggregate`` ran here)."""
    device: str
    """The device this rank used."""


def run_stage(spec: StageSpec[T]) -> StageRun[T]:
    """Run one stage over its items: the same steps for every stage.

    1. refuse a foreign folder; validate the inputs;
    2. compare the settings and input digests with the saved record (the resume rule);
    3. plan this rank's contiguous block of the items, minus what is done;
    4. resolve the device (``cuda:<LOCAL_RANK>``) and load the models (``setup``), only with work;
    5. only now create the folder and write the settings record (any rank, when missing:
       job-array tasks start in any order), remove this rank's stale temporaries;
    6. ``work`` on what is left; a failure before the folder holds any output removes what
       step 5 created, so the folder is as the command found it;
    7. the finish: whichever rank sees every item done runs ``aggregate``.

    Returns the plan, ``work``'s value and whether the whole stage is complete.
    """
    folder = Path(spec.folder)
    ranks = Ranks.from_env()
    ctx = StageContext(ranks, dist.pick_device(spec.device or "auto"))
    # 1. Foreign folders, inputs.
    if spec.markers is not None:
        refuse_foreign(folder, spec.markers, spec.name, spec.ours)
    if spec.validate is not None:
        spec.validate()
    items = list(spec.items())
    is_done = (lambda _x: False) if spec.redo else spec.is_done
    outputs_exist = spec.outputs_exist or (lambda: any(spec.is_done(x) for x in items))
    # 2. The resume rule.
    inputs = spec.inputs() if spec.inputs is not None else {}
    record_path = folder / spec.record
    if spec.guard and not spec.redo:
        guard_settings(record_path, to_dict(spec.config), spec.keep, outputs_exist=outputs_exist(),
                       stage=spec.name, inputs=inputs, redo_flag=spec.redo_flag)
    # 3. This rank's share.
    ctx.plan = ranks.plan(items, is_done) if spec.split else Plan(items, items, [x for x in items if not is_done(x)])
    # 4. Models, once, before anything is written.
    if ctx.plan.todo and spec.setup is not None:
        ctx.state = spec.setup(ctx)
    # 5. The folder and its record (the one it replaces kept, should the work fail).
    previous = record_path.read_bytes() if record_path.is_file() else None
    created = _write_records(spec, folder, record_path, inputs, ranks) if ranks.main or not spec.main_only else []
    ranks.clean(spec.clean if spec.clean is not None else [folder])
    # 6. The work.
    result = None
    if ctx.plan.todo:
        try:
            result = spec.work(ctx, ctx.plan.todo)
        except BaseException:
            if created and _holds_only(folder, created):
                _undo(created)
            elif previous is not None and record_path.is_file() and record_path.read_bytes() != previous:
                io.atomic_write_bytes(record_path, previous)  # a failed command leaves the record it found
            raise
    # 7. The finish.
    missing = spec.missing or (lambda: sum(not spec.is_done(x) for x in items))
    complete = ranks.finish(missing, spec.aggregate, spec.what)
    return StageRun(ctx.plan, result, complete, ctx.device)


def _write_records(spec: StageSpec, folder: Path, record_path: Path, inputs: dict[str, str],
                   ranks: Ranks) -> list[Path]:
    """Create the folders and write the settings record (and extra records).

    Any rank writes a missing one (job-array tasks start in any order); rank 0 refreshes
    them (the latest command and resumable fields). Returns what did not exist before,
    deepest first (for :func:`_undo`).
    """
    import yaml

    created: list[Path] = []
    _make_dirs(folder, created)
    # rank 0 refreshes the records (the latest command, num_samples ...); any rank writes a missing one
    if spec.redo or ranks.main or not record_path.is_file():
        if not record_path.is_file():
            created.insert(0, record_path)
        record = config_record(spec.config, spec.command)
        record.update(spec.record_extra)
        record["inputs"] = inputs
        io.atomic_write_text(record_path, yaml.safe_dump(record, sort_keys=False))
    for name, obj in (spec.extra_records() if spec.extra_records is not None else {}).items():
        path = folder / name
        if ranks.main or not path.is_file():
            if not path.is_file():
                created.insert(0, path)
            if hasattr(obj, "write"):  # a typed record (render's RunManifest): its own writer
                obj.write(path)
            else:
                io.atomic_write_json(path, obj)
    for d in spec.folders:  # after the records: a rank starting now sees a folder marked as the stage's
        _make_dirs(d, created)
    return created


def _make_dirs(d: Path, created: list[Path]) -> None:
    """Create ``d`` (and its parents), adding what did not exist to the front of ``created`` (deepest first)."""
    new_dirs = [p for p in (d, *d.parents) if not p.exists()]
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GenbError(f"cannot create {d}: {e.strerror}", "choose a folder you can write to") from None
    created[:0] = new_dirs


def _holds_only(folder: Path, created: list[Path]) -> bool:
    """True when ``folder`` holds nothing but what this command created (its records and empty
    folders) and temporaries: the command failed before its first output."""
    ours = set(created)
    for p in folder.rglob("*"):
        if p in ours or p.name.startswith(io.TMP_PREFIX) or any(t.name.startswith(io.TMP_PREFIX) for t in p.parents):
            continue
        if p.is_dir() and p in ours:
            continue
        return False
    return True


def _undo(created: list[Path]) -> None:
    """Remove the records and (empty) folders a failed command created, deepest first."""
    for p in created:
        try:
            if p.is_dir():
                io.clean_stale([p], dist.dist_info()[0])
                p.rmdir()
            else:
                p.unlink()
        except OSError:
            pass


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
