"""Typed records of JSON files that other tools may extend: typed fields, unknown keys kept, bytes kept.

A :class:`KeyedRecord` subclass is a dataclass whose fields (all but ``extra`` and ``present``)
are the keys genb reads, each with its type checked on reading (:func:`genb.core.records.fields.require`).
Keys genb does not read go to ``extra`` and are written back as they were; ``present`` remembers
which typed keys the file held (a key written as ``null`` stays ``null``, a missing key stays
missing), so reading and writing a record gives the same JSON.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from genb.core.records.fields import require


@dataclasses.dataclass
class KeyedRecord:
    """Base of a record read from (and written to) one JSON mapping."""

    REQUIRED: ClassVar[dict[str, Any]] = {}
    """Key -> type(s) every file holds."""
    OPTIONAL: ClassVar[dict[str, Any]] = {}
    """Key -> type(s) when present and not null."""
    WHAT: ClassVar[str] = "record"

    extra: dict[str, Any] = dataclasses.field(default_factory=dict, kw_only=True)
    """Keys genb does not read, kept as they were."""
    present: frozenset[str] | None = dataclasses.field(default=None, kw_only=True, repr=False, compare=False)
    """Typed keys the file held (None: every typed field that is not None)."""

    @classmethod
    def typed_keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name not in ("extra", "present")]

    @classmethod
    def check(cls, d: Any, path: str | Path, fix: str) -> dict[str, Any]:
        """``d`` with its keys' types checked; one :class:`~genb.errors.GenbError` naming ``path`` if not."""
        return require(d, cls.REQUIRED, path, fix, optional=cls.OPTIONAL, what=cls.WHAT)

    @classmethod
    def split(cls, d: dict[str, Any]) -> dict[str, Any]:
        """Constructor arguments from a checked mapping: typed keys, ``extra`` and ``present``."""
        names = cls.typed_keys()
        return {**{k: d[k] for k in names if k in d}, "extra": {k: v for k, v in d.items() if k not in names},
                "present": frozenset(k for k in names if k in d)}

    def has(self, name: str) -> bool:
        """Whether the record holds typed key ``name`` (a ``null`` one included)."""
        return name in self.present if self.present is not None else getattr(self, name) is not None

    def to_json(self) -> dict[str, Any]:
        """The mapping written to disk (typed keys the record holds, then ``extra``)."""
        out = dict(self.extra)
        for name in self.typed_keys():
            value = getattr(self, name)
            if self.has(name):
                out[name] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    """A field's JSON value: records as mappings, tuples and arrays as lists."""
    if isinstance(value, KeyedRecord):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return value
