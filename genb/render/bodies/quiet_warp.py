"""Start NVIDIA Warp (anny's skinning kernels) without its banner or a CUDA warning on CPU machines.

``import anny`` calls ``warp.init()``, which prints a multi-line "Warp ... initialized" banner
to stdout and, on a machine without the NVIDIA driver, "Warp CUDA warning: Could not find or
load the NVIDIA CUDA driver" from native code. Neither is news to a genb user: genb runs
anny on the CPU. :func:`init_warp_quietly` raises Warp's log level above its banner and, only
where no CUDA driver library can be loaded, silences the native warning while Warp starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys


def _cuda_driver_present() -> bool:
    """True if ``libcuda`` can be loaded (the check Warp's native code makes)."""
    for name in ("libcuda.so", "libcuda.so.1", "nvcuda.dll"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


@contextlib.contextmanager
def _stderr_silenced():
    """fd 2 points at /dev/null for the block (native code writes there directly)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def init_warp_quietly() -> None:
    """Import and initialise Warp once, quietly; a no-op when Warp is missing or already started.

    ``GENB_WARP_VERBOSE=1`` keeps Warp's own messages.
    """
    try:
        import warp
    except ImportError:
        return
    if os.environ.get("GENB_WARP_VERBOSE") == "1":
        return
    context = getattr(getattr(warp, "_src", None), "context", None) or getattr(warp, "context", None)
    if getattr(context, "runtime", None) is not None:  # already initialised by someone else
        return
    if hasattr(warp.config, "log_level") and hasattr(warp, "LOG_WARNING"):
        warp.config.log_level = max(int(warp.config.log_level), int(warp.LOG_WARNING))
    else:  # Warp before 1.10: a quiet switch
        warp.config.quiet = True
    if _cuda_driver_present():
        warp.init()
    else:
        with _stderr_silenced():
            warp.init()
