"""An on-disk cache of the dresser's shells, shared by every process on the machine.

A :class:`~genb.render.dress.shells.Shell` (a cut of the body, its hems, its drape) costs
20-40 ms to build and there are well over a hundred distinct cuts in the default wardrobe:
a fresh process (every worker of a run, every run) builds them again one by one as its
samples ask for them. Stored once, a shell loads in about a millisecond.

A shell depends only on the body model's rest mesh (its atlas), the cut's key and genb's
dressing code. The store's folder is named by a digest of all three inputs it can see: the
atlas arrays, the source of ``genb/render/dress`` (and the mesh helpers it uses) and the
numpy/scipy versions; a file is named by a digest of the key. Loaded shells are the pickled
arrays themselves, so they give the same bytes as shells built in the process. Files are
written to a temporary name and renamed (several processes may write the same shell: they
write the same bytes). Anything unreadable is rebuilt; a folder nobody has used for
:data:`STALE_DAYS` days (older code, another body), and all but the :data:`KEEP_FOLDERS` most
recently used, are removed when a store is opened.

``GENB_SHELL_CACHE=0`` turns the store off; ``GENB_SHELL_CACHE=/some/folder`` moves it
(default: ``<genb cache>/shells``, see :func:`genb.cache.genb_cache_dir`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

STALE_DAYS = 3.0
KEEP_FOLDERS = 4  # body models x code versions kept (~200-300 MB each once a long run has filled one)
_CODE_DIGEST: str | None = None


def _code_digest() -> str:
    """Digest of the code a shell is built by: genb/render/dress/*.py, the mesh helpers, numpy and scipy."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        import scipy

        here = Path(__file__).resolve().parent
        h = hashlib.sha256(f"numpy {np.__version__} scipy {scipy.__version__}".encode())
        sources = [p for p in sorted(here.glob("*.py")) if p.name != "shell_store.py"]  # (this file builds nothing)
        for path in sources + [here.parent / "raster" / "meshes.py"]:
            h.update(path.name.encode())
            h.update(path.read_bytes())
        _CODE_DIGEST = h.hexdigest()
    return _CODE_DIGEST


def atlas_digest(atlas: Any) -> str:
    """Digest of a body atlas's arrays (the body model's rest mesh and its coordinates)."""
    h = hashlib.sha256()
    for name in ("faces", "parts", "arm", "leg", "torso", "head", "rest", "normals", "side"):
        a = np.ascontiguousarray(getattr(atlas, name))
        h.update(f"{name} {a.dtype.str} {a.shape}".encode())
        h.update(a.tobytes())
    h.update(repr(float(atlas.stature)).encode())
    return h.hexdigest()


class ShellStore:
    """The shells of one body model and one version of the dressing code, in ``folder``.

    Args:
        root: the store's root (one subfolder per body and code digest).
        atlas: the body's :class:`~genb.render.dress.atlas.BodyAtlas`.
    """

    def __init__(self, root: str | os.PathLike, atlas: Any):
        self.root = Path(root)
        self.folder = self.root / f"{atlas_digest(atlas)[:20]}-{_code_digest()[:20]}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            os.utime(self.folder)  # in use: not stale
            self._prune()
        except OSError:
            self.folder = None  # an unwritable cache is no cache

    def _prune(self) -> None:
        """Remove sibling folders nobody has opened for :data:`STALE_DAYS` days, and all but the
        :data:`KEEP_FOLDERS` most recently opened (each edit of the dressing code starts a new one;
        a process still using a removed folder only builds its shells again)."""
        limit = time.time() - STALE_DAYS * 86400
        others = []
        for other in self.root.iterdir():
            try:
                if other.is_dir() and other != self.folder:
                    others.append((other.stat().st_mtime, other))
            except OSError:
                pass
        others.sort(reverse=True)
        for k, (mtime, other) in enumerate(others):
            if mtime < limit or k >= KEEP_FOLDERS - 1:
                shutil.rmtree(other, ignore_errors=True)

    def _path(self, key: tuple) -> Path:
        return self.folder / (hashlib.sha256(repr(key).encode()).hexdigest()[:32] + ".pkl")

    def load(self, key: tuple) -> Any | None:
        """The stored shell of ``key``, or None (not stored, unreadable, or the store is off)."""
        if self.folder is None:
            return None
        try:
            with open(self._path(key), "rb") as f:
                stored_key, shell = pickle.load(f)
        except Exception:  # noqa: BLE001 - missing, half-deleted, from an incompatible pickle: rebuild
            return None
        return shell if stored_key == key else None

    def save(self, key: tuple, shell: Any) -> None:
        """Store ``shell`` under ``key`` (atomically; errors leave the store as it was)."""
        if self.folder is None:
            return
        path = self._path(key)
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        try:
            with open(tmp, "wb") as f:
                pickle.dump((key, shell), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass


def default_store_root() -> Path | None:
    """Where :class:`ShellStore` keeps shells: ``$GENB_SHELL_CACHE`` (``0``/``off``: nowhere, None),
    else ``<genb cache>/shells``."""
    from genb.cache import genb_cache_dir

    own = os.environ.get("GENB_SHELL_CACHE", "")
    if own.lower() in ("0", "off", "false", "no"):
        return None
    return Path(own).expanduser() if own else genb_cache_dir() / "shells"
