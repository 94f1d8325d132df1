"""A sequence run's own files: ``RUN/sequences.json`` (the run) and ``RUN/sequences/NNNNNN/sequence.json``
(one sequence's recipe). One typed record, one writer and one reader each, and the one test of
what a folder is (a sequence run, one sequence, or neither).

Both are :class:`~genb.core.records.keyed.KeyedRecord`\\ s: the keys later stages read are typed and
checked; the rest (camera path, motions, people, layout notes) are kept as they were, so reading
and writing a record gives the same bytes (``atomic_write_json``: sorted keys, one-space indent).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from genb.core.io import atomic_write_json, read_json
from genb.core.records.keyed import KeyedRecord

SEQUENCES_FILE = "sequences.json"
SEQUENCE_FILE = "sequence.json"
FLOW_FILE = "flow.npz"  # in each frame's folder: the exact forward flow to the next frame
SEQUENCE_FIX = "re-render the sequence run (the same `genb render --frames T` command into a new folder)"


@dataclasses.dataclass
class SequencesManifest(KeyedRecord):
    """``RUN/sequences.json``: how many sequences of how many frames, at what frame rate."""

    REQUIRED: ClassVar[dict[str, Any]] = {"num_sequences": int, "frames": int, "fps": (int, float)}
    OPTIONAL: ClassVar[dict[str, Any]] = {"seed": int, "body_model": str, "image_size": list}
    WHAT: ClassVar[str] = "sequence run manifest"

    num_sequences: int
    frames: int
    """Frames per sequence (T)."""
    fps: float
    seed: int | None = None
    body_model: str | None = None
    image_size: list[int] | None = None

    @classmethod
    def from_json(cls, d: Any, path: str | Path = SEQUENCES_FILE) -> "SequencesManifest":
        return cls(**cls.split(cls.check(d, path, SEQUENCE_FIX)))

    def write(self, path: str | Path) -> None:
        """The one writer (atomic)."""
        atomic_write_json(path, self.to_json())


@dataclasses.dataclass
class SequenceRecord(KeyedRecord):
    """``sequences/NNNNNN/sequence.json``: one sequence's index, length and rate (and its recipe in ``extra``:
    camera path, people and their motions)."""

    REQUIRED: ClassVar[dict[str, Any]] = {"index": int, "frames": int, "fps": (int, float)}
    OPTIONAL: ClassVar[dict[str, Any]] = {"seed": int, "body_model": str}
    WHAT: ClassVar[str] = "sequence record"

    index: int
    frames: int
    fps: float
    seed: int | None = None
    body_model: str | None = None

    @classmethod
    def from_json(cls, d: Any, path: str | Path = SEQUENCE_FILE) -> "SequenceRecord":
        return cls(**cls.split(cls.check(d, path, SEQUENCE_FIX)))

    def write(self, path: str | Path) -> None:
        """The one writer (atomic)."""
        atomic_write_json(path, self.to_json())


def read_sequences_manifest(root: str | Path) -> SequencesManifest:
    """The one reader of ``RUN/sequences.json``: a missing or corrupt file is one error naming it."""
    path = Path(root) / SEQUENCES_FILE
    return SequencesManifest.from_json(read_json(path), path)


def read_sequence_record(folder: str | Path) -> SequenceRecord:
    """The one reader of ``sequences/NNNNNN/sequence.json``."""
    path = Path(folder) / SEQUENCE_FILE
    return SequenceRecord.from_json(read_json(path), path)


def is_sequence_run(root: str | Path) -> bool:
    """A whole sequence run (``genb render --frames T``: ``sequences.json``)."""
    return (Path(root) / SEQUENCES_FILE).is_file()


def is_sequence_folder(root: str | Path) -> bool:
    """One sequence's folder (``RUN/sequences/NNNNNN``: ``sequence.json`` beside its frames)."""
    return (Path(root) / SEQUENCE_FILE).is_file()
