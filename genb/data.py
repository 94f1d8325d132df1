"""Read a genb package in PyTorch: a ``Dataset`` of people with their image and labels.

For users without a loader of their own (trainers that already read BEDLAM npz
files or 4D-Humans shards can point those at the package instead)::

    from torch.utils.data import DataLoader
    from genb.data import PackagedDataset

    ds = PackagedDataset("OUT", crop_size=256)      # one item per person
    batch = next(iter(DataLoader(ds, batch_size=8, shuffle=True)))
    batch["image"]          # (8, 3, 256, 256) float32 in 0..1, the person's square crop
    batch["keypoints_2d"]   # (8, 44, 3) crop pixels + confidence (44-joint order)
    batch["cam_int"]        # (8, 3, 3) the FULL image's intrinsics (crops keep the camera)

:func:`crop_matrix` is the crop (``center``, ``scale * 200`` side -> ``crop_size``
pixels); ``item["crop_from_image"]`` is its (2, 3) matrix so predictions can be
mapped back to the full image. :func:`webdataset_people` reads the shards the
way 4D-Humans does and yields one dict per person.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from genb.errors import GenbError
from genb.core.io import read_image
from genb.core.paths import inside

# Per-person npz keys returned as tensors when present (beside image and crop).
ARRAY_KEYS = (
    "center", "scale", "cam_int", "cam_ext", "keypoints_3d", "bbox", "bbox_full", "image_size",
    "sample_index", "person_index", "joints_2d", "joints_3d",
    "smplx_global_orient", "smplx_body_pose", "smplx_betas", "smplx_transl", "smplx_left_hand_pose",
    "smplx_right_hand_pose", "smplx_jaw_pose", "smplx_expression",
    "anny_phenotypes", "anny_bone_rotations", "anny_root",
    "smpl_global_orient", "smpl_body_pose", "smpl_betas", "smpl_transl",
)


def crop_matrix(center: np.ndarray, side: float, crop_size: int) -> np.ndarray:
    """(2, 3) affine map from full-image pixels to the pixels of a square crop.

    The square of side ``side`` pixels centred on ``center`` (x, y) becomes a
    ``crop_size`` x ``crop_size`` image; pixel centres sit at integer coordinates
    in both (OpenCV convention), so ``crop = M @ [u, v, 1]``.
    """
    k = crop_size / float(side)
    cx, cy = float(center[0]), float(center[1])
    return np.array([[k, 0.0, (side / 2 - cx + 0.5) * k - 0.5],
                     [0.0, k, (side / 2 - cy + 0.5) * k - 0.5]], np.float64)


def find_npz(root: str | Path) -> Path:
    """genb's own npz of a package folder (``OUT/genb/*.npz``), or the file itself."""
    root = Path(root)
    if root.is_file():
        return root
    files = sorted((root / "genb").glob("*.npz")) if (root / "genb").is_dir() else []
    if len(files) != 1:
        raise GenbError(
            f"{root} holds {len(files)} genb npz files under genb/ (expected exactly one)",
            "give the package folder written by `genb package --format genb|all`, or its genb/*.npz file",
        )
    return files[0]


class PackagedDataset:
    """One item per packaged person: image (full or cropped) and labels as tensors.

    Args:
        root: a package folder (``genb package ... OUT``) or its ``genb/*.npz`` file.
        crop_size: side of the square person crop in pixels; None returns the full image.
    """

    def __init__(self, root: str | Path, crop_size: int | None = 256):
        self.npz_path = find_npz(root)
        self.image_dir = self.npz_path.parent.parent  # imgname is relative to the package folder
        with np.load(self.npz_path, allow_pickle=False) as z:
            self.data = {k: z[k] for k in z.files}
        if "imgname" not in self.data:
            raise GenbError(f"{self.npz_path} has no imgname array", "give an npz written by `genb package`")
        self.crop_size = crop_size

    def __len__(self) -> int:
        return len(self.data["imgname"])

    def __getitem__(self, index: int) -> dict[str, Any]:
        import cv2
        import torch

        d = self.data
        image = read_image(inside(self.image_dir, str(d["imgname"][index]), f"imgname of row {index}"))
        kp2d = d["keypoints_2d"][index].astype(np.float32).copy()
        item: dict[str, Any] = {"imgname": str(d["imgname"][index]), "gender": str(d["gender"][index]),
                                "body_model": str(d["body_model"][index]) if "body_model" in d else ""}
        for k in ARRAY_KEYS:
            if k in d:
                item[k] = torch.as_tensor(np.asarray(d[k][index]))
        item["keypoints_2d_full"] = torch.as_tensor(kp2d.copy())
        if self.crop_size:
            side = float(d["scale"][index]) * 200.0
            M = crop_matrix(d["center"][index], side, self.crop_size)
            image = cv2.warpAffine(image, M, (self.crop_size, self.crop_size), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            kp2d[:, :2] = kp2d[:, :2] @ M[:, :2].T.astype(np.float32) + M[:, 2].astype(np.float32)
            item["crop_from_image"] = torch.as_tensor(M.astype(np.float32))
        item["keypoints_2d"] = torch.as_tensor(kp2d)
        item["image"] = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float() / 255.0
        return item


# What a ``.data.pyd`` may hold: numpy arrays and scalars (and what pickles them), plain containers.
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"), ("builtins", "dict"), ("builtins", "list"), ("builtins", "tuple"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray"), ("builtins", "complex"),
    ("collections", "OrderedDict"),
}


class _PlainUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays, dicts, lists, numbers and strings only."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def load_pyd(data: bytes, where: str = "a .data.pyd member") -> Any:
    """Unpickle a 4D-Humans ``.data.pyd`` without running code: numpy arrays, dicts, lists, numbers, strings only.

    Raises GenbError naming the forbidden object for anything else (a pickle can run code when loaded).
    """
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as e:
        raise GenbError(f"{where} holds a pickled object other than numpy arrays, dicts, lists, numbers and strings "
                        f"({e}); it was not loaded, since unpickling it could run code",
                        "read only shards from sources you trust (genb writes plain types only)") from None


def webdataset_people(urls: str | list[str]) -> Iterator[dict[str, Any]]:
    """Iterate the people of genb shards as 4D-Humans does: ``decode('rgb8')``, one dict per person.

    ``.data.pyd`` members are unpickled with :func:`load_pyd` (plain types only), never with
    ``pickle.loads``. Yields ``{"__key__", "jpg" (H, W, 3) uint8, "data.pyd" (the person's dict),
    "mask" (H, W) bool}``.
    """
    import webdataset as wds

    if isinstance(urls, (str, Path)):
        urls = [str(urls)]

    def pyd(key: str, value: bytes) -> Any:
        return load_pyd(value, f"{key} in {', '.join(map(str, urls))}") if key.endswith("pyd") else None

    dataset = wds.WebDataset([str(u) for u in urls], shardshuffle=False, empty_check=False)
    dataset = dataset.decode(pyd, "rgb8").rename(jpg="jpg;jpeg;png")
    items = iter(dataset)
    while True:
        try:
            item = next(items)
        except StopIteration:
            return
        except Exception as e:  # webdataset wraps decoder errors; surface ours as they are
            cause = e.__cause__ or e.__context__
            if isinstance(cause, GenbError):
                raise cause from None
            raise
        masks = item.get("detection.npz", {}).get("masks") if "detection.npz" in item else None
        for person in item["data.pyd"]:
            if masks is not None:
                mask = masks[person["extra_info"]["detection_npz_idx"]]
            else:
                mask = np.ones(item["jpg"].shape[:2], bool)
            yield {"__key__": item["__key__"], "jpg": item["jpg"], "data.pyd": person, "mask": mask}
