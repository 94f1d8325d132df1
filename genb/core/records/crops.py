"""A saved person crop's record (``enhanced/noise-s/crops/NNNNNN_pPP.json``, beside its PNG).

Written by ``genb enhance --per-person --save-crops`` (``genb.enhance.person_tasks.crop_record``),
the JSON after the PNG; read by the per-person pass when it resumes and by ``genb package
--crops``, both through :func:`read_crop_record` (the resume redoes a crop whose record is
unreadable; packaging stops with the error).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genb.core.io import read_json
from genb.core.records.fields import list_of, require
from genb.errors import GenbError

FIX = ("delete it with its .png and re-run `genb enhance ... --per-person --save-crops` "
       "(it redoes missing crops only)")


def read_crop_record(path: str | Path) -> dict[str, Any]:
    """The crop's record, validated: ``person`` and ``index`` whole numbers, ``box`` four whole numbers
    ``[x0, y0, side, size]`` (``size`` >= 1); ``cam_int`` (3, 3), ``keypoints2d`` (25, 2),
    ``keypoints_vis`` (25,) bool and ``bbox_full`` (4,) as arrays when present."""
    rec = require(read_json(path), {"index": int, "person": int, "box": list}, path, FIX,
                  optional={"torch_seed": int, "steps_run": int, "cam_int": list, "keypoints2d": list,
                            "keypoints_vis": list, "bbox_full": list}, what="crop record")
    box = list_of(rec["box"], int, "box", path, FIX, "crop record")
    if len(box) != 4 or box[2] < 1 or box[3] < 1:
        raise GenbError(f"{path} is corrupt: box {box} is not [x0, y0, side, size]", FIX)
    for key, shape, dtype in (("cam_int", (3, 3), np.float64), ("keypoints2d", (25, 2), np.float64),
                              ("keypoints_vis", (25,), bool), ("bbox_full", (4,), np.float64)):
        if rec.get(key) is None:
            continue
        try:
            value = np.asarray(rec[key], dtype)
        except (TypeError, ValueError):
            value = None
        if value is None or value.shape != shape:
            raise GenbError(f"{path} is corrupt: {key!r} of its crop record is not {shape}", FIX)
        rec[key] = value
    return rec
