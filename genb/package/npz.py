"""Deterministic npz files: row dicts of per-person arrays, merged and written the same way by every format."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from genb.store import atomic_write_bytes


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


def npz_bytes_deterministic(arrays: dict[str, np.ndarray], compress: bool = False, allow_pickle: bool = False) -> bytes:
    """``np.savez`` bytes that depend only on the arrays (fixed zip timestamps, sorted keys).

    Readable with ``np.load`` like any npz; no pickles unless ``allow_pickle``
    (HumanData's dict-valued keys are 0-d object arrays, as mmhuman3d dumps them).
    """
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", compression=method, compresslevel=1 if compress else None) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.external_attr = 0o644 << 16
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(arrays[name]) if allow_pickle
                                      else np.ascontiguousarray(arrays[name]), allow_pickle=allow_pickle)
            zf.writestr(info, member.getvalue(), compresslevel=1 if compress else None)
    return buf.getvalue()


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an npz atomically and deterministically."""
    atomic_write_bytes(path, npz_bytes_deterministic(arrays))


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def empty_rows() -> dict[str, np.ndarray]:
    return {"imgname": np.zeros(0, dtype=str)}
