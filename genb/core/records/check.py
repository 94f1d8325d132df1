"""The checker's record of one sample (``check/NNNNNN.json``): one dataclass, one writer, one reader.

Rejections are structured (:class:`Rejection`: person, score, value, threshold);
the sentences in ``reasons`` are derived from them, never parsed back.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from genb.core.io import atomic_write_json, read_json
from genb.core.records.fields import list_of, require
from genb.core.run import numbered
from genb.errors import GenbError


@dataclasses.dataclass(frozen=True)
class Rejection:
    """One failed threshold rule of one person."""

    person: int
    """Person index in the sample."""
    score: str
    """The score (``flow_drift``, ``mask_iou`` ...)."""
    value: float
    """Its value."""
    threshold: str
    """The config field of the threshold (``max_flow_drift`` ...)."""
    limit: float
    """The threshold's value."""
    kind: str
    """``max`` (value must be <= limit) or ``min`` (value must be >= limit)."""

    def sentence(self) -> str:
        """``person 1: relative_drift 0.083 > max_relative_drift 0.05``."""
        op = ">" if self.kind == "max" else "<"
        return f"person {self.person}: {self.score} {self.value:.3f} {op} {self.threshold} {self.limit:g}"

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Rejection":
        return cls(int(d["person"]), str(d["score"]), float(d["value"]), str(d["threshold"]),
                   float(d["limit"]), str(d["kind"]))


@dataclasses.dataclass
class CheckRecord:
    """The check of one sample.

    Each person is ``{"person", "status", "reasons", "rejections", "box_px", "vis_fraction",
    "keypoint_drift", "pck", "relative_drift", "mask_iou", "flow_drift", "flow_drift_p90",
    "num_keypoints", "keypoints_detected"}`` (None = not measured).
    """

    sample: int
    noise: float
    accepted: bool
    reasons: list[str]
    """Every rejection and skip as a sentence (derived from the structured fields)."""
    people: list[dict[str, Any]]
    measures: list[str] = dataclasses.field(default_factory=list)
    estimators: dict[str, Any] = dataclasses.field(default_factory=dict)
    thresholds: dict[str, float] = dataclasses.field(default_factory=dict)

    def rejections(self) -> list[Rejection]:
        """Every failed rule of every person, structured."""
        return [Rejection.from_json(r) for p in self.people for r in p.get("rejections", [])]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any], path: Path | str = "a check record") -> "CheckRecord":
        fix = "delete it and run `genb check` again (it redoes missing decisions only)"
        require(d, {"sample": int, "noise": float, "accepted": bool}, path, fix, what="check record",
                optional={"reasons": list, "people": list, "measures": list, "estimators": dict, "thresholds": dict})
        list_of(d.get("people") or [], dict, "people", path, fix, "check record")
        list_of(d.get("reasons") or [], str, "reasons", path, fix, "check record")
        try:
            rec = cls(sample=int(d["sample"]), noise=float(d["noise"]), accepted=bool(d["accepted"]),
                      reasons=list(d.get("reasons", [])), people=list(d.get("people", [])),
                      measures=list(d.get("measures", [])), estimators=dict(d.get("estimators") or {}),
                      thresholds=dict(d.get("thresholds") or {}))
            rec.rejections()  # structured rejections parse
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise GenbError(f"{path} is corrupt: not a check record ({type(e).__name__}: {e})",
                            "delete it and run `genb check` again (it redoes missing decisions only)") from None
        return rec

    def write(self, path: str | Path) -> None:
        """The one writer (atomic)."""
        atomic_write_json(path, self.to_json())

    @classmethod
    def read(cls, path: str | Path) -> "CheckRecord":
        """The one reader: a missing or corrupt file is one :class:`GenbError` naming it."""
        return cls.from_json(read_json(path), path)


def read_check_records(check_dir: str | Path) -> list[CheckRecord]:
    """Every ``NNNNNN.json`` of a check folder, by sample index (a corrupt one is an error naming it)."""
    check_dir = Path(check_dir)
    records = []
    for i in numbered(check_dir, ".json"):
        path = check_dir / f"{i:06d}.json"
        record = CheckRecord.read(path)
        if record.sample != i:
            raise GenbError(f"{path} is corrupt: it holds the check of sample {record.sample}",
                            "delete it and run `genb check` again (it redoes missing decisions only)")
        records.append(record)
    return records


def read_decisions(check_dir: str | Path) -> dict[int, bool]:
    """``{sample index: accepted}`` of every check record in ``check_dir`` (empty when there is none).

    Each record is read and validated by :meth:`CheckRecord.read`: a missing ``accepted`` or
    a string ``"false"`` is an error naming the file, never a silent decision.
    """
    return {r.sample: r.accepted for r in read_check_records(check_dir)}
