"""Where genb and the libraries it drives keep their caches: the XDG base directory rule.

``$XDG_CACHE_HOME/<name>`` when ``XDG_CACHE_HOME`` is set (an absolute path), else
``~/.cache/<name>``. A tool's own variable wins over both (``ANNY_CACHE_DIR`` for anny,
``GENB_CACHE`` for genb).
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(name: str) -> Path:
    """``$XDG_CACHE_HOME/name`` (if set and absolute) or ``~/.cache/name``."""
    root = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(root) if root and os.path.isabs(root) else Path.home() / ".cache"
    return base / name


def genb_cache_dir() -> Path:
    """genb's own cache (the tiny test pipelines): ``$GENB_CACHE``, else :func:`user_cache_dir` ``("genb")``."""
    own = os.environ.get("GENB_CACHE")
    return Path(own).expanduser() if own else user_cache_dir("genb")


def anny_cache_dir() -> Path:
    """anny's build cache (~800 MB): ``$ANNY_CACHE_DIR``, else :func:`user_cache_dir` ``("anny")``."""
    own = os.environ.get("ANNY_CACHE_DIR")
    return Path(own).expanduser() if own else user_cache_dir("anny")
