"""A package's rank markers (``OUT/.parts/done-rXX-of-YY.json``): written last by each rank, read
by whichever rank merges. A marker is a file another process wrote, so every name in it is
resolved inside ``OUT`` before it is opened (:func:`genb.core.io.inside`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genb.core.io import atomic_write_json, read_json
from genb.core.paths import inside
from genb.core.records.fields import require
from genb.errors import GenbError

PARTS = ".parts"
FIX = "delete it and run the same `genb package` command again (that rank is redone)"


def marker_name(rank: int, world: int) -> str:
    return f"done-r{rank:02d}-of-{world:02d}.json"


def write_rank_marker(out: Path, rank: int, world: int, marker: dict[str, Any]) -> None:
    """The one writer: atomic, written after every part of the rank (it marks the rank done)."""
    atomic_write_json(out / PARTS / marker_name(rank, world), marker)


def read_rank_marker(out: Path, path: Path) -> dict[str, Any]:
    """A rank's marker, validated: counts that are counts, its npz parts inside ``OUT/.parts``, its
    shards inside ``OUT/webdataset`` (absolute names, ``..`` and symlinks out are refused)."""
    m = require(read_json(path), {"rank": int, "world": int, "samples": int, "people": int, "shards": dict,
                                  "npz_parts": dict, "stats": dict}, path, FIX, what="rank marker")
    for name in m["npz_parts"].values():
        inside(out / PARTS, name, f"the part file named in {path.name}")
    for name, count in m["shards"].items():
        inside(out / "webdataset", name, f"the shard named in {path.name}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise GenbError(f"{path} is corrupt: shard {name} has {count!r} samples", FIX)
    return m
