"""The per-person pass's crop files: ``crops/NNNNNN_pPP.png`` + ``.json`` (kept with ``--save-crops``)
or ``.crops-partial/`` (removed once their sample is done).

Each finished crop is written at once, its JSON last, so a killed run resumes per person:
:func:`read_done_crop` gives back a crop an interrupted run already made if it matches the task.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from genb.core.io import TMP_PREFIX, atomic_write_bytes, png_bytes, read_image
from genb.core.records.crops import CropRecord, read_crop_record
from genb.enhance.crops import CropBox
from genb.enhance.person_tasks import CropTask, crop_name
from genb.errors import GenbError

CROP_FILES = {True: "crops", False: ".crops-partial"}
"""Crop folder under ``enhanced/noise-<s>/``: kept (--save-crops) or removed when the sample is done."""


def read_done_crop(folder: Path, task: CropTask) -> tuple[np.ndarray, int] | None:
    """A crop an interrupted run already made (its JSON is written last), if it matches this task,
    with the steps its pass ran."""
    name = crop_name(task.index, task.person)
    path = folder / f"{name}.json"
    if not path.is_file():
        return None
    try:
        rec = read_crop_record(path)  # unreadable: redone (and rewritten) by this pass
        if rec.box != task.box.as_list() or rec.torch_seed != task.torch_seed:
            return None
        image = read_image(folder / f"{name}.png")
    except GenbError:
        return None
    return (image, int(rec.steps_run or 0)) if image.shape == (task.box.size, task.box.size, 3) else None


def write_crop(folder: Path, name: str, image: np.ndarray, record: dict[str, Any]) -> None:
    """Write one finished crop: its PNG, then its record (:class:`CropRecord`, which marks it done)."""
    atomic_write_bytes(folder / f"{name}.png", png_bytes(image))
    path = folder / f"{name}.json"
    CropRecord.from_json(record, path).write(path)


def remove_partial_crops(out_dir: Path, save_crops: bool, done: Callable[[str], bool]) -> None:
    """Remove the partial crops of samples that are done (no-op with --save-crops) and stale temporaries
    (over 2 minutes old) in both crop folders."""
    for name in (True, False):
        folder = out_dir / CROP_FILES[name]
        if not folder.is_dir():
            continue
        now = time.time()
        for p in folder.glob(TMP_PREFIX + "*"):
            try:
                if now - p.stat().st_mtime > 120.0:
                    p.unlink()
            except OSError:
                pass
    folder = out_dir / CROP_FILES[False]
    if save_crops or not folder.is_dir():
        return
    for p in folder.glob("*_p*"):
        if done(p.name.split("_", 1)[0]):
            p.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass


def read_saved_crop(path: str | Path) -> tuple[CropRecord, CropBox]:
    """A saved crop's record (``crops/NNNNNN_pPP.json``: ``cam_int`` (3, 3), ``keypoints2d`` (25, 2),
    ``keypoints_vis`` (25,), ``bbox_full`` (4,) arrays) and its box as a :class:`CropBox`."""
    rec = read_crop_record(path)
    return rec, CropBox(*rec.box)
