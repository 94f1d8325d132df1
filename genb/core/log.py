"""Logging and progress bars that speak on rank 0 only."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

from genb.core.dist import dist_info
from genb.errors import GenbError

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
        root.setLevel(logging.INFO if _rank() == 0 else logging.ERROR)
        _configured = True
    return logging.getLogger(name if name.startswith("genb") else f"genb.{name}")


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", **kwargs: Any) -> Iterable[T]:
    """A tqdm bar on rank 0; the bare iterable elsewhere."""
    return tqdm(iterable, total=total, desc=desc, disable=_rank() != 0, dynamic_ncols=True, **kwargs)


def _rank() -> int:
    """This process's rank; 0 when the environment is wrong (the stage reports that, not the logger)."""
    try:
        return dist_info()[0]
    except GenbError:
        return 0
