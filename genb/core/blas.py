"""Thread counts of the renderer's libraries: one BLAS thread per process, torch's threads per block.

numpy, scipy and OpenCV each ship an OpenBLAS that, by default, splits even a small product
(a (N, 3) x (3, 3) rotation of a pixel list) over every core, and whose idle threads then spin
waiting for the next call. The renderer already keeps both cores busy with its own threads
(preparing, GL, completing); those spinning BLAS threads only take CPU time from them (measured on
2 cores: about 40 ms CPU less per 512x512 sample in the completing half and 25 in the preparing
half, with one BLAS thread). :func:`limit_blas_threads` sets the thread count of every OpenBLAS
already loaded (through its own ``*_set_num_threads`` entry point, found in ``/proc/self/maps``) and
of those loaded later (``OPENBLAS_NUM_THREADS``); a count the user set in that variable is kept.
Results do not depend on it: each output of a product is computed by one thread either way.
"""

from __future__ import annotations

import contextlib
import ctypes
import os

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads")


def loaded_openblas() -> list[str]:
    """Paths of the OpenBLAS libraries loaded in this process (Linux; [] elsewhere)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return []
    return sorted(p for p in paths if os.path.isfile(p))


def _entries(names: tuple[str, ...]):
    """(path, function) of each loaded OpenBLAS that has one of ``names`` (the first it has)."""
    for path in loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        fn = next((f for f in (getattr(lib, name, None) for name in names) if f is not None), None)
        if fn is not None:
            yield path, fn


def limit_blas_threads(n: int = 1, respect_env: bool = False) -> int:
    """Let every OpenBLAS of this process (loaded now or later) use ``n`` threads. Returns how many
    loaded libraries were set; a library without the entry point is left alone. ``respect_env``: do
    nothing when ``OPENBLAS_NUM_THREADS`` is already set (the user's own choice)."""
    if respect_env and os.environ.get("OPENBLAS_NUM_THREADS"):
        return 0
    os.environ["OPENBLAS_NUM_THREADS"] = str(n)
    done = 0
    for _, setter in _entries(_SETTERS):
        setter.argtypes = [ctypes.c_int]
        setter(int(n))
        done += 1
    return done


def blas_threads() -> dict[str, int]:
    """{library path: its thread count} of the loaded OpenBLAS libraries that report one."""
    out = {}
    for path, getter in _entries(_GETTERS):
        getter.restype = ctypes.c_int
        out[path] = int(getter())
    return out


@contextlib.contextmanager
def torch_threads(n: int):
    """torch's intra-op thread count set to ``n`` inside the block, restored after it (the renderer's
    body forwards run on one thread: the same bits in every process, no fight with llvmpipe's threads)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
