"""Logging and progress bars that speak on rank 0 only."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

from genb.store import dist_info

T = TypeVar("T")

_configured = False


def get_logger(name: str) -> logging.Logger:
    """A logger under ``genb`` whose messages are printed on rank 0 only."""
    global _configured
    if not _configured:
        root = logging.getLogger("genb")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[genb] %(message)s"))
        root.addHandler(handler)
        root.propagate = False
        rank, _ = dist_info()
        root.setLevel(logging.INFO if rank == 0 else logging.ERROR)
        _configured = True
    return logging.getLogger(name if name.startswith("genb") else f"genb.{name}")


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", **kwargs: Any) -> Iterable[T]:
    """A tqdm bar on rank 0; the bare iterable elsewhere."""
    rank, _ = dist_info()
    return tqdm(iterable, total=total, desc=desc, disable=rank != 0, dynamic_ncols=True, **kwargs)
