"""A stage's saved settings: its config as plain data, the command and the package versions.

Written by :func:`genb.core.runner.run_stage` beside every stage's outputs
(``render.yaml``, ``enhance.yaml``, ``check.yaml``, ``package.yaml``, ``sweep.yaml``).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import platform
import sys
from pathlib import Path
from typing import Any

PACKAGES = (
    "genb", "torch", "numpy", "anny", "smplx", "pyrender2", "PyOpenGL", "diffusers",
    "transformers", "accelerate", "webdataset", "torchmetrics", "opencv-python-headless",
)


def to_dict(cfg: Any) -> dict[str, Any]:
    """A plain, YAML-safe dict of a config (tuples become lists, paths strings)."""

    def plain(v: Any) -> Any:
        if isinstance(v, (tuple, list)):
            return [plain(x) for x in v]
        if isinstance(v, Path):
            return str(v)
        if dataclasses.is_dataclass(v):
            return to_dict(v)
        return v

    return {f.name: plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape genb's outputs."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def config_record(cfg: Any, command: list[str] | None = None) -> dict[str, Any]:
    """What gets saved next to a stage's outputs: the config, the command and the versions."""
    argv = list(command if command is not None else sys.argv)
    if argv and Path(argv[0]).name in ("__main__.py", "genb"):
        argv[0] = "genb"  # python -m genb, accelerate launch -m genb, or the console script
    return {
        "config": to_dict(cfg),
        "command": " ".join(argv),
        "versions": package_versions(),
    }
