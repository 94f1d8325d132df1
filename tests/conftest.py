"""Shared fixtures: every tests/_fixtures_*.py module is star-imported here."""

import importlib
import os
import pathlib
import sys

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_here = pathlib.Path(__file__).parent
sys.path.insert(0, str(_here))
for _path in sorted(_here.glob("_fixtures_*.py")):
    _module = importlib.import_module(_path.stem)
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
