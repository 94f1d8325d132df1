"""A saved person crop's record (``enhanced/noise-s/crops/NNNNNN_pPP.json``, beside its PNG).

One typed record (:class:`CropRecord`), one writer (:meth:`CropRecord.write`, called by
``genb enhance --per-person`` after the PNG), one reader (:func:`read_crop_record`: the per-person
pass when it resumes, ``genb package --crops``; the resume redoes a crop whose record is
unreadable, packaging stops with the error).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from genb.core.io import atomic_write_json, read_json
from genb.core.records.fields import list_of
from genb.core.records.keyed import KeyedRecord
from genb.errors import GenbError

FIX = ("delete it with its .png and re-run `genb enhance ... --per-person --save-crops` "
       "(it redoes missing crops only)")

ARRAYS = (("cam_int", (3, 3), np.float64), ("keypoints2d", (25, 2), np.float64),
          ("keypoints_vis", (25,), bool), ("bbox_full", (4,), np.float64))


@dataclasses.dataclass
class CropRecord(KeyedRecord):
    """One crop pass: where the crop lies, how it was made, and its geometry in crop pixels."""

    REQUIRED: ClassVar[dict[str, Any]] = {"index": int, "person": int, "box": list}
    OPTIONAL: ClassVar[dict[str, Any]] = {"torch_seed": int, "steps_run": int, "cam_int": list, "keypoints2d": list,
                                          "keypoints_vis": list, "bbox_full": list, "kind": str, "resolution": int,
                                          "strength": float, "num_inference_steps": int, "prompt": str, "file": str}
    WHAT: ClassVar[str] = "crop record"

    index: int
    """Sample index."""
    person: int
    box: list[int]
    """``[x0, y0, side, size]``: the square's corner and side in image pixels, its size in crop pixels."""
    kind: str | None = None
    """person, face, left_hand or right_hand."""
    resolution: int | None = None
    strength: float | None = None
    steps_run: int | None = None
    num_inference_steps: int | None = None
    prompt: str | None = None
    torch_seed: int | None = None
    cam_int: np.ndarray | None = None
    """(3, 3) ``K_crop``: projects camera-frame points onto crop pixels."""
    keypoints2d: np.ndarray | None = None
    """(25, 2) BODY25 keypoints in crop pixels."""
    keypoints_vis: np.ndarray | None = None
    """(25,) bool."""
    bbox_full: np.ndarray | None = None
    """(4,) amodal box in crop pixels."""
    file: str | None = None
    """The crop's PNG, relative to its folder (None: not kept)."""

    @classmethod
    def from_json(cls, d: Any, path: str | Path = "a crop record") -> "CropRecord":
        rec = dict(cls.check(d, path, FIX))
        box = list_of(rec["box"], int, "box", path, FIX, cls.WHAT)
        if len(box) != 4 or box[2] < 1 or box[3] < 1:
            raise GenbError(f"{path} is corrupt: box {box} is not [x0, y0, side, size]", FIX)
        for key, shape, dtype in ARRAYS:
            if rec.get(key) is None:
                continue
            try:
                value = np.asarray(rec[key], dtype)
            except (TypeError, ValueError):
                value = None
            if value is None or value.shape != shape:
                raise GenbError(f"{path} is corrupt: {key!r} of its crop record is not {shape}", FIX)
            rec[key] = value
        return cls(**cls.split(rec))

    def write(self, path: str | Path) -> None:
        """The one writer (atomic; after the PNG, so it marks the crop done)."""
        atomic_write_json(path, self.to_json())


def read_crop_record(path: str | Path) -> CropRecord:
    """The one reader: the crop's record with its arrays typed and shaped; a missing or corrupt file is
    one :class:`GenbError` naming it."""
    return CropRecord.from_json(read_json(path), path)
