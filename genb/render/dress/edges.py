"""Edge bookkeeping shared by the shells and their drape: unique vertex pairs, fast."""

from __future__ import annotations

import numpy as np


def unique_rows(pairs: np.ndarray, return_inverse: bool = False, return_counts: bool = False):
    """``np.unique(pairs, axis=0)`` for (N, 2) non-negative int pairs, through 1-D int64 keys (much faster)."""
    pairs = np.asarray(pairs, np.int64)
    base = int(pairs.max()) + 1 if len(pairs) else 1
    out = np.unique(pairs[:, 0] * base + pairs[:, 1], return_inverse=return_inverse, return_counts=return_counts)
    keys = out[0] if isinstance(out, tuple) else out
    rows = np.stack([keys // base, keys % base], 1)
    return (rows, *out[1:]) if isinstance(out, tuple) else rows
