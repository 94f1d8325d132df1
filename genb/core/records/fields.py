"""Type checks for records read from disk: a record decides nothing until its fields have their types.

JSON has no schema, so ``"accepted": "false"`` (a string, truthy) or a missing key would
otherwise decide silently. Every reader in :mod:`genb.core.records` runs :func:`require`
first; a wrong type is one :class:`~genb.errors.GenbError` naming the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genb.errors import GenbError

NUMBER = (int, float)


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):  # bool is an int in Python, never in a record
        return bool in kinds
    return isinstance(value, kinds)


def _name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({int: "a whole number", float: "a number", bool: "true/false", str: "text",
                        list: "a list", dict: "a mapping", type(None): "null"}.get(k, k.__name__) for k in kinds)


def require(obj: Any, fields: dict[str, type | tuple[type, ...]], path: str | Path, fix: str,
            optional: dict[str, type | tuple[type, ...]] | None = None, what: str = "record") -> dict[str, Any]:
    """``obj`` if it is a mapping whose ``fields`` have their types (and ``optional`` ones, when present).

    Args:
        obj: the parsed JSON.
        fields: required key -> type (or tuple of types); ``float`` accepts whole numbers.
        path: the file, for the message.
        fix: what to do about a bad file.
        optional: keys that may be missing (or null), with their types when present.
        what: what the file is (``"check record"``), for the message.
    """
    if not isinstance(obj, dict):
        raise GenbError(f"{path} is corrupt: it holds a {type(obj).__name__}, not a {what}", fix)
    for key, kind in fields.items():
        if key not in obj:
            raise GenbError(f"{path} is corrupt: its {what} has no {key!r}", fix)
        _check(obj[key], kind, key, path, fix, what)
    for key, kind in (optional or {}).items():
        if obj.get(key) is not None:
            _check(obj[key], kind, key, path, fix, what)
    return obj


def _check(value: Any, kind, key: str, path, fix: str, what: str) -> None:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds and int not in kinds:
        kinds = (*kinds, int)
    if not _is(value, kinds):
        raise GenbError(f"{path} is corrupt: {key!r} of its {what} is {value!r}, not {_name(kind)}", fix)


def list_of(items: Any, kind: type, key: str, path: str | Path, fix: str, what: str = "record") -> list[Any]:
    """``items`` if it is a list whose every element is a ``kind``."""
    if not isinstance(items, list) or not all(_is(x, kind) for x in items):
        raise GenbError(f"{path} is corrupt: {key!r} of its {what} is not a list of {_name(kind)}", fix)
    return items
