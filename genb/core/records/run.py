"""The run's manifest ``run.json``: one typed record, one writer, one reader.

Read before anything is decided from it: counts are whole numbers, ``image_size`` is
``[W, H]`` of two whole numbers; a wrong one is one :class:`~genb.errors.GenbError` naming the
file. Keys genb does not read are kept (:class:`~genb.core.records.keyed.KeyedRecord`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from genb.core.io import atomic_write_json, read_json
from genb.core.records.fields import list_of
from genb.core.records.keyed import KeyedRecord
from genb.errors import GenbError

MANIFEST_FIX = "restore run.json (or render the run again into a new folder)"


@dataclasses.dataclass
class RunManifest(KeyedRecord):
    """What every later stage reads about a run (``run.json``)."""

    REQUIRED: ClassVar[dict[str, Any]] = {"num_samples": int, "seed": int, "image_size": list}
    OPTIONAL: ClassVar[dict[str, Any]] = {"body_model": str, "portrait_prob": float, "format_version": int,
                                          "depth_file": str, "conventions": str}
    WHAT: ClassVar[str] = "run manifest"

    num_samples: int
    seed: int
    image_size: tuple[int, int]
    """(W, H) pixels of a landscape image (portrait samples have them turned)."""
    format_version: int | None = None
    """How samples are drawn (None: 1, before it was recorded); a resume with another is refused."""
    body_model: str | None = None
    """The registered body model's name (``genb.render.bodies.BODY_MODELS``)."""
    portrait_prob: float | None = None
    depth_file: str | None = None
    conventions: str | None = None

    @property
    def width(self) -> int:
        return self.image_size[0]

    @property
    def height(self) -> int:
        return self.image_size[1]

    @classmethod
    def from_json(cls, d: Any, path: str | Path = "run.json") -> "RunManifest":
        m = cls.check(d, path, MANIFEST_FIX)
        size = list_of(m["image_size"], int, "image_size", path, MANIFEST_FIX, cls.WHAT)
        if len(size) != 2 or min(size) < 1:
            raise GenbError(f"{path} is corrupt: image_size {size} is not [W, H]", MANIFEST_FIX)
        args = cls.split(m)
        args["image_size"] = (int(size[0]), int(size[1]))
        return cls(**args)

    def write(self, path: str | Path) -> None:
        """The one writer (atomic)."""
        atomic_write_json(path, self.to_json())


def read_manifest(path: str | Path) -> RunManifest:
    """The one reader of ``run.json``: a missing or corrupt file is one error naming it."""
    return RunManifest.from_json(read_json(path), path)


def image_sizes(manifest: RunManifest) -> set[tuple[int, int]]:
    """The (H, W) an image of this run may have: landscape, or portrait (the run's size turned)."""
    w, h = manifest.image_size
    return {(h, w), (w, h)}
