"""The run folder: where every stage reads and writes, and how it writes safely.

Layout (see docs/architecture.md for every file's contents)::

    RUN/
      render.yaml                 resolved render config + command + versions
      run.json                    num_samples, seed, body model, conventions
      samples/000000/             one folder per sample, complete or absent
        image.png  depth.npy  control_depth.png  control_normal.png
        control_pose.png  control_seg.png  control_edges.png
        parts.png  instances.png  labels.npz  scene.json
      enhanced/noise-0.40/        one folder per noise level (genb enhance)
        000000.png 000000.json     enhanced image + provenance
        check/000000.json          checker scores and decision (genb check)

Every file is written to a temporary name in the same folder and renamed, so a
killed process never leaves a half-written file; a sample folder is built under
a temporary name and renamed whole, so a sample is either complete or absent.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from genb.errors import GenbError

SAMPLE_DIGITS = 6
TMP_PREFIX = ".tmp-"


# ----------------------------------------------------------------------------- atomic writes


def _disk_error(path: Path, e: OSError) -> GenbError:
    if e.errno == errno.ENOSPC:
        return GenbError(
            f"the disk is full: could not write {path}",
            "free some space (or point the output to another disk) and run the same command again; "
            "finished outputs were kept and the run resumes where it stopped",
        )
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return GenbError(f"cannot write {path}: permission denied", "choose a folder you can write to")
    return GenbError(f"could not write {path}: {e.strerror}", "check the output folder")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _disk_error(path, e) from None


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True, default=_json_default) + "\n").encode())


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def _json_default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def npz_bytes(arrays: dict[str, np.ndarray], compress: bool = False) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buf, **arrays)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def png_bytes(image: np.ndarray, compression: int = 1) -> bytes:
    """PNG bytes of an (H, W), (H, W, 3) RGB or (H, W, 4) RGBA uint8/uint16 image."""
    import cv2

    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR if image.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise GenbError("could not encode a PNG image")
    return buf.tobytes()


def read_image(path: str | Path, mode: str = "RGB") -> np.ndarray:
    """Read an image as uint8 RGB (mode ``"RGB"``) or as stored (``"UNCHANGED"``).

    A missing or unreadable file raises one :class:`GenbError` naming it.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise GenbError(f"image {path} does not exist", "check the path, or re-run the stage that writes it")
    flag = cv2.IMREAD_COLOR if mode == "RGB" else cv2.IMREAD_UNCHANGED
    img = cv2.imread(str(path), flag)
    if img is None:
        raise GenbError(
            f"image {path} is corrupt or not an image",
            "delete it and run the stage that wrote it again (it resumes and rewrites only missing files)",
        )
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB if img.shape[2] == 3 else cv2.COLOR_BGRA2RGBA)
    return img


@contextlib.contextmanager
def atomic_dir(final: str | Path) -> Iterator[Path]:
    """Build a folder under a temporary name and rename it to ``final`` when the block succeeds.

    If the block raises, the temporary folder is removed and ``final`` is untouched.
    """
    final = Path(final)
    tmp = final.with_name(f"{TMP_PREFIX}{final.name}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    try:
        tmp.mkdir(parents=True)
    except OSError as e:
        raise _disk_error(tmp, e) from None
    try:
        yield tmp
        if final.exists():  # another worker finished the same sample first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
            return
        os.rename(tmp, final)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _disk_error(final, e) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ----------------------------------------------------------------------------- work splitting


def dist_info() -> tuple[int, int]:
    """(rank, world_size) from the environment.

    ``RANK``/``WORLD_SIZE`` are set by ``accelerate launch`` and ``torchrun``; a job
    array sets ``SLURM_ARRAY_TASK_ID``/``SLURM_ARRAY_TASK_COUNT`` (or give
    ``GENB_SHARD=i/n``). Nothing set means one process.
    """
    if "GENB_SHARD" in os.environ:
        try:
            i, n = (int(x) for x in os.environ["GENB_SHARD"].split("/"))
        except ValueError:
            raise GenbError(f"GENB_SHARD={os.environ['GENB_SHARD']!r} is not of the form i/n", "set e.g. GENB_SHARD=0/4") from None
        rank, world = i, n
    elif "WORLD_SIZE" in os.environ:
        rank, world = int(os.environ.get("RANK", "0")), int(os.environ["WORLD_SIZE"])
    elif "SLURM_ARRAY_TASK_COUNT" in os.environ:
        rank = int(os.environ["SLURM_ARRAY_TASK_ID"]) - int(os.environ.get("SLURM_ARRAY_TASK_MIN", "0"))
        world = int(os.environ["SLURM_ARRAY_TASK_COUNT"])
    else:
        rank, world = 0, 1
    if world < 1 or not 0 <= rank < world:
        raise GenbError(f"rank {rank} is outside a world of {world} processes", "check RANK/WORLD_SIZE (or GENB_SHARD)")
    return rank, world


def shard(indices: Sequence[int], rank: int, world: int) -> list[int]:
    """The indices process ``rank`` of ``world`` works on: every world-th, from rank."""
    return list(indices[rank::world])


def sample_seed(seed: int, index: int, stream: str) -> np.random.SeedSequence:
    """The seed of one random stream of one sample: depends only on (seed, index, stream)."""
    key = int.from_bytes(stream.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.SeedSequence(entropy=seed, spawn_key=(index, key))


def sample_rng(seed: int, index: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(sample_seed(seed, index, stream))


# ----------------------------------------------------------------------------- the run folder


def noise_name(noise: float) -> str:
    """Folder name of a noise level: ``noise-0.40``."""
    return f"noise-{noise:.2f}"


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
        return self

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.root / "run.json").read_text())

    def sample_ids(self) -> list[int]:
        """Indices of the complete samples (temporary folders are ignored)."""
        if not self.samples_dir.is_dir():
            return []
        return sorted(int(p.name) for p in self.samples_dir.iterdir() if p.name.isdigit() and p.is_dir())

    def clean_stale(self) -> int:
        """Remove temporary files and folders left by killed processes; returns how many."""
        n = 0
        for parent in [self.samples_dir, *self.root.glob("enhanced/*"), *self.root.glob("enhanced/*/check")]:
            if parent.is_dir():
                for p in parent.glob(TMP_PREFIX + "*"):
                    if p.is_dir():
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        p.unlink(missing_ok=True)
                    n += 1
        return n

    # sample contents
    def labels(self, index: int) -> dict[str, np.ndarray]:
        """The ground truth of one sample (see docs/architecture.md, 'labels.npz')."""
        path = self.sample_dir(index) / "labels.npz"
        if not path.is_file():
            raise GenbError(f"sample {index} has no labels ({path})", "re-run `genb render` on this run folder to complete it")
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise GenbError(f"labels {path} are corrupt ({e})", f"delete {path.parent} and re-run `genb render`") from None

    def scene(self, index: int) -> dict[str, Any]:
        """The scene recipe of one sample (camera, lights, background, appearance, people)."""
        return json.loads((self.sample_dir(index) / "scene.json").read_text())

    def image(self, index: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB render."""
        return read_image(self.sample_dir(index) / "image.png")

    def control(self, index: int, name: str) -> np.ndarray:
        """(H, W, 3) uint8 control image: name in depth, normal, pose, seg, edges."""
        return read_image(self.sample_dir(index) / f"control_{name}.png")

    def instances(self, index: int) -> np.ndarray:
        """(H, W) uint8 instance map: 0 background, p+1 for person p."""
        return read_image(self.sample_dir(index) / "instances.png", mode="UNCHANGED")

    def parts(self, index: int) -> np.ndarray:
        """(H, W) uint8 body-part map: 0 background, ids from genb.render.parts."""
        return read_image(self.sample_dir(index) / "parts.png", mode="UNCHANGED")

    def depth(self, index: int) -> np.ndarray:
        """(H, W) float32 metric depth (camera z, metres); 0 where nothing was hit."""
        return np.load(self.sample_dir(index) / "depth.npy")
