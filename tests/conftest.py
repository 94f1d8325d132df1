"""Shared fixtures: every tests/_fixtures_*.py module is star-imported here."""

import importlib
import os
import pathlib
import sys

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
# OpenMP threads that wait sleep instead of spinning: the tests run 2-thread cases (tests/test_determinism.py)
# on machines whose cores are busy with other jobs, where spinning made them ~15x slower. Scheduling only:
# the bytes are the same. Set before torch starts its OpenMP runtime; subprocesses inherit it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The dresser's shell store (genb/render/dress/shell_store.py): one of the session's own, not the user's cache
# (subprocesses inherit it; removed at exit).
if "GENB_SHELL_CACHE" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["GENB_SHELL_CACHE"] = tempfile.mkdtemp(prefix="genb-test-shells-")
    atexit.register(shutil.rmtree, os.environ["GENB_SHELL_CACHE"], True)

_here = pathlib.Path(__file__).parent
sys.path.insert(0, str(_here))
for _path in sorted(_here.glob("_fixtures_*.py")):
    _module = importlib.import_module(_path.stem)
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
