"""Package formats: the npz files ``genb package`` writes, one spec per format.

A :class:`PackageFormat` says the format's name (``--format``), where its file goes
(``OUT/<folder>/<dataset name><suffix>.npz``), which runs it cannot carry, how one
sample's packaged people become rows, and how the merged rows are written. The
built-in formats live in their own modules (:mod:`genb.package.genb_npz`,
:mod:`~genb.package.bedlam`, :mod:`~genb.package.camerahmr`,
:mod:`~genb.package.humandata`; the video formats :mod:`~genb.package.wham`,
:mod:`~genb.package.tram`, :mod:`~genb.package.gvhmr`) and are registered here; WebDataset shards are
written by :mod:`genb.package.wds`, not through this registry.

Adding one (see docs/architecture.md, "How to add")::

    from genb.package.formats import PACKAGE_FORMATS, PackageFormat

    PACKAGE_FORMATS.register(PackageFormat("toy", rows=lambda rec, imgname, index: (
        {"imgname": np.array([imgname] * len(rec)), "sample_index": np.full(len(rec), index),
         "person_index": rec.person_index, "kp2d": rec.keypoints_2d}, 0)))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from genb.core.registry import Registry
from genb.package import bedlam, camerahmr, genb_npz, gvhmr, humandata, npz, tram, wham

WEBDATASET = "webdataset"
DEFAULT_FIX = ("package this run as --format genb or webdataset (keypoints, boxes, camera), "
               "or render it with --body smplx")


def _any_run(body_model: str, has_smpl: bool) -> str | None:
    return None


@dataclasses.dataclass(frozen=True)
class PackageFormat:
    """One npz package format."""

    name: str
    """Its name in ``--format`` (not ``all`` or ``webdataset``)."""
    rows: Callable[[Any, str, int], tuple[dict[str, np.ndarray], int]]
    """``rows(records, imgname, sample_index) -> ({key: (N, ...) array}, people its client would drop)``
    from one sample's :class:`genb.package.records.PersonRecords`; the rows carry ``imgname``,
    ``sample_index`` and ``person_index`` (the merge sorts by them) besides the format's own keys."""
    unsupported: Callable[[str, bool], str | None] = _any_run
    """``unsupported(body_model, has_smpl) -> why not`` (None: this run can be written in this format)."""
    write: Callable[[Any, dict[str, np.ndarray]], None] = npz.write_npz
    """``write(path, merged rows)``: writes the merged rows of every sample."""
    folder: str = ""
    """Its folder under the package (default: its name)."""
    suffix: str = ""
    """Appended to the file's stem (``genb-n040-hands.npz``)."""
    title: str = ""
    """Its line in the dataset card (default: its name)."""
    fix: str = DEFAULT_FIX
    """What to do when ``--format <name>`` is asked for a run it cannot carry."""
    video: bool = False
    """A video format: written only for sequence runs (``genb render --frames``; :mod:`genb.package.video`)."""

    def __post_init__(self):
        if self.name in ("all", WEBDATASET):
            from genb.errors import GenbError

            raise GenbError(f"{self.name!r} is a reserved --format name", "give your package format another name")
        object.__setattr__(self, "folder", self.folder or self.name)
        object.__setattr__(self, "title", self.title or self.name)


PACKAGE_FORMATS: Registry[PackageFormat] = Registry("package format")

for _spec in (
    PackageFormat(genb_npz.NAME, genb_npz.rows, genb_npz.unsupported,
                  title="genb npz (genb.data.PackagedDataset)"),
    PackageFormat(bedlam.NAME, bedlam.rows, bedlam.unsupported,
                  title="BEDLAM trainer npz (train/dataset/dataset.py)"),
    PackageFormat(camerahmr.NAME, camerahmr.rows, camerahmr.unsupported,
                  title="CameraHMR npz, SMPL (core/datasets/dataset_train.py)",
                  fix="give your SMPL model files with --smpl-dir (SMPL_NEUTRAL.npz), so genb fits SMPL to each body"),
    PackageFormat(camerahmr.HANDS, camerahmr.hands_rows, camerahmr.unsupported_hands, folder="camerahmr",
                  suffix="-hands", title="CameraHMR SMPL-X hands npz (core/datasets/dataset_train_hands.py)"),
    PackageFormat(humandata.NAME, humandata.rows, humandata.unsupported, humandata.write,
                  title="mmhuman3d HumanData (SMPLer-X / SMPLest-X / AiOS; np.load(..., allow_pickle=True))"),
    PackageFormat(wham.NAME, wham.rows, wham.unsupported, wham.write, video=True,
                  title="WHAM BEDLAM labels (lib/data/datasets/bedlam.py; the .pth beside it, without ViT features)",
                  fix="give your SMPL model files with --smpl-dir, and a sequence run (genb render --frames)"),
    PackageFormat(tram.NAME, tram.rows, tram.unsupported, tram.write, video=True,
                  title="TRAM bedlam_vid npz (lib/datasets/video_dataset.py)",
                  fix="give your SMPL model files with --smpl-dir, and a sequence run (genb render --frames)"),
    PackageFormat(gvhmr.NAME, gvhmr.rows, gvhmr.unsupported, gvhmr.write, video=True,
                  title="GVHMR BEDLAM support files (hmr4d/dataset/bedlam/bedlam.py; hmr4d_support/ beside it, "
                        "without ViT features)",
                  fix="render the sequences with --body smplx"),
):
    PACKAGE_FORMATS.register(_spec)


def format_choices() -> tuple[str, ...]:
    """Every ``--format`` value: ``all``, the registered npz formats, ``webdataset`` (read live)."""
    return ("all", *PACKAGE_FORMATS.names(), WEBDATASET)
