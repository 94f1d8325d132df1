"""Image, array and record I/O shared by every stage: atomic writes, and reads that fail clearly.

Every write goes to a temporary name in the same folder and is renamed, so a killed
process never leaves a half-written file. Temporary names carry their owner
(``.tmp-r<rank>-p<pid>-<host>-...``, :func:`genb.core.dist.process_tag`) so that a
later run removes only temporaries whose writer is provably gone
(:func:`clean_stale`).

Every read of a file another stage wrote (JSON, YAML records, npz, PNG) raises one
:class:`~genb.errors.GenbError` naming the file when it is missing or corrupt.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import time
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from genb.core.dist import is_stale, is_tagged, process_tag
from genb.errors import GenbError

TMP_PREFIX = ".tmp-"
DEPTH_FILE = "depth.npz"
"""Metric depth of a sample, lossless: see :func:`depth_bytes`; read it with :func:`read_depth`."""
DEPTH_ENCODING = "float32-row-delta-byteplanes-v1"
LEGACY_DEPTH_FILE = "depth.npy"


def tmp_name(name: str) -> str:
    """A temporary name for ``name`` in the same folder, tagged with its owner."""
    return f"{TMP_PREFIX}{process_tag()}-{uuid.uuid4().hex[:6]}-{name}"


# ----------------------------------------------------------------------------- atomic writes


def disk_error(path: Path, e: OSError) -> GenbError:
    """The :class:`GenbError` of a failed write."""
    if e.errno == errno.ENOSPC:
        return GenbError(
            f"the disk is full: could not write {path}",
            "free some space (or point the output to another disk) and run the same command again; "
            "finished outputs were kept and the run resumes where it stopped",
        )
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return GenbError(f"cannot write {path}: permission denied", "choose a folder you can write to")
    return GenbError(f"could not write {path}: {e.strerror}", "check the output folder")


_disk_error = disk_error


@contextlib.contextmanager
def _through_tmp(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path``, renamed onto it when the block succeeds, removed when it fails."""
    tmp = path.with_name(tmp_name(path.name))
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise disk_error(path, e) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise disk_error(path, e) from None
    with _through_tmp(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


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


@contextlib.contextmanager
def atomic_dir(final: str | Path) -> Iterator[Path]:
    """Build a folder under a temporary name and rename it to ``final`` when the block succeeds.

    If the block raises, the temporary folder is removed and ``final`` is untouched. If ``final``
    already holds a folder (another worker or process made the same one first), theirs is kept.
    """
    final = Path(final)
    tmp = final.with_name(tmp_name(final.name))
    try:
        tmp.mkdir(parents=True)
    except OSError as e:
        raise disk_error(tmp, e) from None
    try:
        yield tmp
        if final.exists():  # another worker finished the same sample first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
            return
        try:
            os.rename(tmp, final)
        except OSError as e:
            if e.errno in (errno.ENOTEMPTY, errno.EEXIST) and final.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)  # it appeared meanwhile (two runs of one rank): keep it
                return
            raise
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise disk_error(final, e) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def clean_stale(folders: Iterable[str | Path], rank: int) -> int:
    """Remove the temporaries in ``folders`` whose writer is gone (:func:`genb.core.dist.is_stale`).

    Another rank's temporaries that may still be in flight are kept. Returns how many were removed.
    """
    n = 0
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for p in folder.glob(TMP_PREFIX + "*"):
            if not (is_stale(p.name, rank) or _untagged_and_old(p)):
                continue
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    p.unlink()
            n += 1
    return n


UNTAGGED_STALE_SECONDS = 3600.0
"""A temporary without an owner tag (written by an older genb) is stale once untouched this long."""


def _untagged_and_old(p: Path) -> bool:
    if is_tagged(p.name):
        return False
    try:
        return time.time() - p.stat().st_mtime > UNTAGGED_STALE_SECONDS
    except OSError:
        return False


# ----------------------------------------------------------------------------- encoding


def npz_bytes(arrays: dict[str, np.ndarray], compress: bool = False, allow_pickle: bool = False) -> bytes:
    """The bytes of an ``.npz`` of ``arrays`` (what ``np.load`` reads), a function of the arrays alone.

    Members carry a fixed date, come in sorted order and hold no pickled objects (string
    arrays are unicode; an object array raises ``ValueError``) unless ``allow_pickle`` (HumanData's
    dict-valued keys are 0-d object arrays, as mmhuman3d dumps them).
    """
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    level = 1 if compress else None
    with zipfile.ZipFile(buf, "w", compression=method, compresslevel=level) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.external_attr = 0o644 << 16
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(arrays[name]), allow_pickle=allow_pickle)
            zf.writestr(info, member.getvalue(), compresslevel=level)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def png_bytes(image: np.ndarray, compression: int = 1) -> bytes:
    """PNG bytes of an (H, W), (H, W, 3) RGB or (H, W, 4) RGBA uint8/uint16 image.

    Rows are filtered with PNG's "up" filter rather than libpng's adaptive choice among all
    five: on genb's images (renders, control maps, label maps) that halves the encoding time
    for files within a few percent of the size.
    """
    import cv2

    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR if image.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    params = [cv2.IMWRITE_PNG_COMPRESSION, compression]
    if hasattr(cv2, "IMWRITE_PNG_FILTER"):  # OpenCV >= 4.10
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP if compression > 0 else cv2.IMWRITE_PNG_FILTER_NONE]
    ok, buf = cv2.imencode(".png", image, params)
    if not ok:
        raise GenbError("could not encode a PNG image")
    return buf.tobytes()


def depth_bytes(depth: np.ndarray) -> bytes:
    """``depth.npz`` bytes of an (H, W) float32 metric depth map, lossless (bit for bit).

    The float32 bit patterns are differenced along each row (as uint32, modulo 2**32),
    split into their four byte planes and deflated (level 1): smooth surfaces give small,
    repetitive differences, so a 512x384 map takes about 150-200 KB instead of 768 KB
    raw (a quarter of a sample) at about 13 ms. The file is a plain npz:
    ``depth_planes`` (4, H, W) uint8 (least significant byte first) and ``encoding``.
    """
    d = np.ascontiguousarray(depth, dtype="<f4")
    if d.ndim != 2:
        raise ValueError(f"depth must be (H, W), got {d.shape}")
    bits = d.view("<u4")
    delta = np.empty_like(bits)
    delta[:, :1] = bits[:, :1]
    np.subtract(bits[:, 1:], bits[:, :-1], out=delta[:, 1:])  # wraps modulo 2**32
    planes = np.ascontiguousarray(delta.view(np.uint8).reshape(*d.shape, 4).transpose(2, 0, 1))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, arr in (("depth_planes", planes), ("encoding", np.array(DEPTH_ENCODING))):
            with z.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)
    return buf.getvalue()


def decode_depth(planes: np.ndarray) -> np.ndarray:
    """(H, W) float32 depth from the (4, H, W) uint8 byte planes of :func:`depth_bytes`."""
    delta = np.ascontiguousarray(planes.transpose(1, 2, 0)).view("<u4")[..., 0]
    return np.cumsum(delta, axis=1, dtype="<u4").view("<f4").astype(np.float32, copy=False)


# ----------------------------------------------------------------------------- reading


def _redo(path: Path) -> str:
    return f"delete {path} and re-run the stage that wrote it (stages resume and rewrite only what is missing)"


def read_image(path: str | Path, mode: str = "RGB") -> np.ndarray:
    """Read an image as uint8 RGB (mode ``"RGB"``) or as stored (``"UNCHANGED"``).

    A missing, truncated or unreadable file raises one :class:`GenbError` naming it.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise GenbError(f"image {path} does not exist", "check the path, or re-run the stage that writes it")
    flag = cv2.IMREAD_COLOR if mode == "RGB" else cv2.IMREAD_UNCHANGED
    data = np.fromfile(path, np.uint8)
    img = cv2.imdecode(data, flag) if data.size else None
    if img is None or (data.size >= 8 and data[:8].tobytes() == b"\x89PNG\r\n\x1a\n" and not _png_complete(data)):
        raise GenbError(f"image {path} is corrupt, truncated or not an image", _redo(path))
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB if img.shape[2] == 3 else cv2.COLOR_BGRA2RGBA)
    return img


def _png_complete(data: np.ndarray) -> bool:
    """A PNG ends with its IEND chunk (OpenCV decodes a truncated one into a partly grey image)."""
    return data[-12:].tobytes()[4:8] == b"IEND"


def png_size(path: str | Path) -> tuple[int, int]:
    """(W, H) of a PNG from its header, without decoding; a non-PNG raises a :class:`GenbError`."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        raise GenbError(f"image {path} does not exist", "re-run the stage that writes it") from None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        raise GenbError(f"image {path} is corrupt or not a PNG", _redo(path))
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def read_json(path: str | Path, kind: type = dict) -> Any:
    """A JSON file that must hold a ``kind`` (dict by default); a missing or corrupt one is one clear error."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError:
        raise GenbError(f"{path} does not exist", "re-run the stage that writes it") from None
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise GenbError(f"{path} is corrupt: not JSON ({type(e).__name__})", _redo(path)) from None
    if not isinstance(obj, kind):
        raise GenbError(f"{path} is corrupt: it holds a {type(obj).__name__}, not a {kind.__name__}", _redo(path))
    return obj


def read_yaml_record(path: str | Path) -> dict[str, Any]:
    """A stage's saved settings (``render.yaml``, ``enhance.yaml`` ...): a mapping, else one clear error."""
    import yaml

    path = Path(path)
    try:
        obj = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise GenbError(f"{path} does not exist", "re-run the stage that writes it") from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as e:
        problem = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise GenbError(f"{path} is corrupt or not plain YAML ({problem})",
                        "restore it, or move the folder away and start over; genb reads only plain YAML "
                        "(no tags)") from None
    if not isinstance(obj, dict):
        raise GenbError(f"{path} is corrupt: it holds a {type(obj).__name__}, not a mapping",
                        "restore it, or move the folder away and start over")
    return obj


def read_npz(path: str | Path, shapes: dict[str, tuple[int | None, ...]] | None = None) -> dict[str, np.ndarray]:
    """Every array of an npz file (no pickles); a missing, truncated or garbage file is one clear error.

    Args:
        path: the file.
        shapes: array name -> expected shape (None = any length on that axis); a missing
            array or one of another shape is an error naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise GenbError(f"{path} does not exist", "re-run the stage that writes it")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise ValueError("not an npz archive")
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, AttributeError):
        # np.load's own message on a garbage file advises allow_pickle=True: never do that with data files
        raise GenbError(f"{path} is corrupt: not a readable npz archive of arrays", _redo(path)) from None
    for name, shape in (shapes or {}).items():
        if name not in arrays:
            raise GenbError(f"{path} is corrupt: it has no {name!r} array", _redo(path))
        got = arrays[name].shape
        if len(got) != len(shape) or any(s is not None and s != g for s, g in zip(shape, got)):
            want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
            raise GenbError(f"{path} is corrupt: {name!r} has shape {got}, expected {want}", _redo(path))
    return arrays


def read_depth(sample_dir: str | Path) -> np.ndarray:
    """(H, W) float32 metric depth of a sample (camera z, metres; 0 where nothing was hit).

    Reads ``depth.npz`` (lossless, compressed), or ``depth.npy`` of runs made before it.
    """
    sample_dir = Path(sample_dir)
    path = sample_dir / DEPTH_FILE
    if path.is_file():
        z = read_npz(path, {"depth_planes": (4, None, None)})
        if str(z.get("encoding", "")) != DEPTH_ENCODING:
            raise GenbError(f"{path} has an unknown depth encoding {str(z.get('encoding'))!r}",
                            "read it with the genb version that wrote it, or re-render the sample")
        return decode_depth(z["depth_planes"])
    legacy = sample_dir / LEGACY_DEPTH_FILE
    if legacy.is_file():
        try:
            return np.load(legacy, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            raise GenbError(f"{legacy} is corrupt: not a readable array", _redo(legacy)) from None
    raise GenbError(f"sample {sample_dir} has no depth ({path})", "re-run `genb render` on this run folder to complete it")
