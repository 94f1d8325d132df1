"""Find the renderer's asset library (YAML tables: key poses, joint limits, rig maps).

The assets live in the checkout's top-level ``render/`` folder and are installed
as the package ``genb.assets`` (see ``pyproject.toml``), so both a checkout and an
installed wheel find them.
"""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path
from typing import Any

import yaml

from genb.errors import GenbError

_ROOT = Path(__file__).resolve().parents[2]
# Only a source checkout (pyproject.toml next to genb/) counts: in site-packages a sibling
# "render" folder would belong to another distribution.
_CHECKOUT_ASSETS = _ROOT / "render" if (_ROOT / "pyproject.toml").is_file() else _ROOT / "genb" / "assets"


def asset_path(*parts: str) -> Path:
    """Path of an asset, e.g. ``asset_path("poses", "key_poses.yaml")``.

    Looks in the checkout's top-level ``render/`` folder first, else in the
    installed package ``genb.assets``.

    Raises:
        GenbError: when neither holds the asset.
    """
    candidate = _CHECKOUT_ASSETS.joinpath(*parts)
    if candidate.exists():
        return candidate
    try:
        installed = Path(str(importlib.resources.files("genb.assets").joinpath(*parts)))
    except ModuleNotFoundError:
        installed = None
    if installed is not None and installed.exists():
        return installed
    raise GenbError(
        f"renderer asset {'/'.join(parts)} not found (looked in {_CHECKOUT_ASSETS} and the installed genb.assets)",
        "reinstall genb (pip install -e .) or restore the file from the repository's render/ folder",
    )


@functools.lru_cache(maxsize=None)
def load_yaml_asset(*parts: str) -> Any:
    """Parsed YAML asset, read once per process (treat the result as read-only)."""
    with open(asset_path(*parts), encoding="utf-8") as f:
        return yaml.safe_load(f)
