"""Deterministic npz files: row dicts of per-person arrays, merged and written the same way by every format."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genb.core.io import atomic_write_bytes, npz_bytes


def concat_rows(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate row dicts and sort rows by (sample_index, person_index)."""
    nonempty = [c for c in chunks if len(c.get("imgname", ())) > 0]
    if not nonempty:  # keep the keys (0 rows each), so that loaders find every array they index
        return max(chunks, key=len) if chunks else {}
    chunks = nonempty
    keys = list(chunks[0])
    out = {k: np.concatenate([c[k] for c in chunks], axis=0) for k in keys}
    order = np.lexsort((out["person_index"], out["sample_index"]))
    return {k: v[order] for k, v in out.items()}


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an npz atomically and deterministically."""
    atomic_write_bytes(path, npz_bytes(arrays))


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def empty_rows() -> dict[str, np.ndarray]:
    return {"imgname": np.zeros(0, dtype=str)}
