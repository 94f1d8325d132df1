"""Registries of what users extend: control maps, drift measures (and, later, formats and body models).

A registry maps names to specs. Built-in specs are registered where they are
defined; a user registers their own from outside the package (a plugin module
imported before the stage runs) with ``REGISTRY.register(spec)``. Every place
that lists the kind (config validation, the stage, ``show``, summaries) asks the
registry, so adding one touches one file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from genb.errors import GenbError


class Named(Protocol):
    name: str


S = TypeVar("S", bound=Named)


class Registry(Generic[S]):
    """Specs by name, in registration order.

    Args:
        kind: what the specs are, for messages (``"control map"``).
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._specs: dict[str, S] = {}

    def register(self, spec: S, replace: bool = False) -> S:
        """Add ``spec`` (under ``spec.name``); a second spec of one name is an error unless ``replace``."""
        if not replace and spec.name in self._specs and self._specs[spec.name] is not spec:
            raise GenbError(f"a {self.kind} named {spec.name!r} is already registered",
                            "give yours another name, or pass replace=True")
        self._specs[spec.name] = spec
        return spec

    def unregister(self, name: str) -> None:
        self._specs.pop(name, None)

    def get(self, name: str) -> S:
        try:
            return self._specs[name]
        except KeyError:
            raise GenbError(f"unknown {self.kind} {name!r}", f"use one of: {', '.join(self._specs)}") from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[S]:
        return iter(list(self._specs.values()))

    def __len__(self) -> int:
        return len(self._specs)
