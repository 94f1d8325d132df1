"""The run folder: where every stage reads and writes.

Layout (see docs/architecture.md for every file's contents)::

    RUN/
      render.yaml                 resolved render config + command + versions
      run.json                    num_samples, seed, body model, conventions
      samples/000000/             one folder per sample, complete or absent
        image.png  depth.npz  control_depth.png  control_normal.png
        control_pose.png  control_seg.png  control_edges.png
        parts.png  instances.png  labels.npz  scene.json
      enhanced/noise-0.40/        one folder per noise level (genb enhance)
        000000.png 000000.json     enhanced image + provenance
        check/000000.json          checker scores and decision (genb check)

A sample folder is built under a temporary name and renamed whole, so a sample
is either complete or absent (:func:`genb.core.io.atomic_dir`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from genb.core import io
from genb.core.records.run import RunManifest, image_sizes, read_manifest
from genb.core.records.scene import SceneRecord, read_scene
from genb.errors import GenbError

SAMPLE_DIGITS = 6
_SAMPLE_NAME = re.compile(r"[0-9]{6,}")


def noise_name(noise: float) -> str:
    """Folder name of a noise level: ``noise-0.40``."""
    return f"noise-{noise:.2f}"


def is_sample_name(name: str) -> bool:
    """True for names of the form ``000012`` (ASCII digits only: ``²`` is not a sample)."""
    return _SAMPLE_NAME.fullmatch(name) is not None


def numbered(folder: Path, suffix: str = "") -> list[int]:
    """Sorted indices of the entries ``NNNNNN<suffix>`` of ``folder`` (files with a suffix, else folders)."""
    if not folder.is_dir():
        return []
    out = []
    for p in folder.iterdir():
        stem = p.name[: len(p.name) - len(suffix)] if suffix and p.name.endswith(suffix) else (None if suffix else p.name)
        if stem is not None and is_sample_name(stem) and (p.is_file() if suffix else p.is_dir()):
            out.append(int(stem))
    return sorted(out)


class RunFolder:
    """A run folder on disk. Cheap to create; reads lazily.

    Args:
        root: the run folder.
        enhanced: folder of the enhanced levels under ``root`` (``enhanced``; see :meth:`view`).
    """

    def __init__(self, root: str | Path, enhanced: str = "enhanced"):
        self.root = Path(root)
        self.enhanced_name = enhanced

    def view(self, enhanced: str) -> "RunFolder":
        """The same run with its enhanced levels in ``RUN/<enhanced>/`` instead of ``RUN/enhanced/``
        (e.g. ``genb sweep --per-person-args``'s per-person arm in ``RUN/enhanced-per-person/``)."""
        return RunFolder(self.root, enhanced)

    # layout
    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    def sample_name(self, index: int) -> str:
        return f"{index:0{SAMPLE_DIGITS}d}"

    def sample_dir(self, index: int) -> Path:
        return self.samples_dir / self.sample_name(index)

    def enhanced_dir(self, noise: float) -> Path:
        return self.root / self.enhanced_name / noise_name(noise)

    def check_dir(self, noise: float) -> Path:
        return self.enhanced_dir(noise) / "check"

    # state
    def exists(self) -> bool:
        return (self.root / "run.json").is_file()

    def require(self) -> "RunFolder":
        """Raise a clear error unless this is a run folder made by ``genb render``."""
        if not self.root.exists():
            raise GenbError(f"run folder {self.root} does not exist", "give the folder that `genb render` wrote")
        if not self.exists():
            raise GenbError(
                f"{self.root} is not a genb run folder (no run.json)",
                "give the folder that `genb render` wrote, or run `genb render` into it first",
            )
        _ = self.manifest  # a corrupt run.json is an error here, naming it
        return self

    @property
    def manifest(self) -> RunManifest:
        """``run.json``, validated (:func:`genb.core.records.run.read_manifest`)."""
        return read_manifest(self.root / "run.json")

    def sized(self, image: np.ndarray, path: Path) -> np.ndarray:
        """``image`` if its (H, W) is the run's image size (landscape or portrait); else one error.

        Every image a stage reads from the run goes through this before it decides anything:
        a broken ``instances.png`` or a replaced ``image.png`` of another size is refused.
        """
        if getattr(self, "_sizes", None) is None:
            self._sizes = image_sizes(self.manifest)  # the manifest's size never changes within a run
        if tuple(image.shape[:2]) not in self._sizes:
            w, h = self.manifest.image_size
            raise GenbError(f"{path} is {image.shape[1]}x{image.shape[0]} but the run's images are {w}x{h}",
                            "re-render that sample (delete its folder and run the same `genb render` command), "
                            "or re-run the stage that wrote the file")
        return image

    def sample_ids(self) -> list[int]:
        """Indices of the complete samples (temporary folders and foreign names are ignored)."""
        return numbered(self.samples_dir)

    def stale_folders(self) -> list[Path]:
        """Every folder of the run in which stages write temporaries."""
        return [self.root, self.samples_dir, *self.root.glob("enhanced/*"), *self.root.glob("enhanced/*/check")]

    # sample contents
    def labels(self, index: int) -> dict[str, np.ndarray]:
        """The ground truth of one sample (see docs/architecture.md, 'labels.npz').

        A missing, truncated or garbage file, or one whose keypoint arrays have the
        wrong shape, is one :class:`GenbError` naming the file.
        """
        path = self.sample_dir(index) / "labels.npz"
        if not path.is_file():
            raise GenbError(f"sample {index} has no labels ({path})", "re-run `genb render` on this run folder to complete it")
        return io.read_npz(path, LABEL_SHAPES)

    def scene(self, index: int) -> SceneRecord:
        """The scene recipe of one sample (:class:`~genb.core.records.scene.SceneRecord`: people, background,
        objects, camera; the other keys in its ``extra``)."""
        path = self.sample_dir(index) / "scene.json"
        if not path.is_file():
            raise GenbError(f"sample {index} has no scene.json ({path})", "re-run `genb render` on this run folder to complete it")
        return read_scene(path)

    def image(self, index: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB render."""
        path = self.sample_dir(index) / "image.png"
        return self.sized(io.read_image(path), path)

    def control(self, index: int, name: str) -> np.ndarray:
        """(H, W, 3) uint8 control image: name in depth, normal, pose, seg, edges."""
        path = self.sample_dir(index) / f"control_{name}.png"
        return self.sized(io.read_image(path), path)

    def instances(self, index: int) -> np.ndarray:
        """(H, W) uint8 instance map: 0 background, p+1 for person p."""
        path = self.sample_dir(index) / "instances.png"
        return self.sized(io.read_image(path, mode="UNCHANGED"), path)

    def parts(self, index: int) -> np.ndarray:
        """(H, W) uint8 body-part map: 0 background, ids from genb.core.conventions.PARTS."""
        path = self.sample_dir(index) / "parts.png"
        return self.sized(io.read_image(path, mode="UNCHANGED"), path)

    def depth(self, index: int) -> np.ndarray:
        """(H, W) float32 metric depth (camera z, metres); 0 where nothing was hit."""
        return self.sized(io.read_depth(self.sample_dir(index)), self.sample_dir(index) / io.DEPTH_FILE)

    def enhanced_image(self, noise: float, index: int) -> np.ndarray:
        """(H, W, 3) uint8 enhanced image of sample ``index`` at ``noise``, size-checked."""
        path = self.enhanced_dir(noise) / f"{self.sample_name(index)}.png"
        return self.sized(io.read_image(path), path)


# labels.npz arrays every reader relies on, with their shapes (None: any length; P people)
LABEL_SHAPES: dict[str, tuple[int | None, ...]] = {
    "keypoints2d": (None, 25, 2),
    "keypoints3d": (None, 25, 3),
    "keypoints_vis": (None, 25),
    "bbox": (None, 4),
}
