"""``--format humandata``: mmhuman3d's HumanData ``.npz`` (SMPLer-X, SMPLest-X, AiOS), SMPL-X bodies.

Written as ``HumanData.dump`` writes it (open-mmlab/mmhuman3d
``mmhuman3d/data/data_structures/human_data.py``: ``np.savez_compressed`` of its keys, dict
values as 0-d object arrays, ``__key_strict__``, ``__data_len__`` (older mmhuman3d wrote ``__temporal_len__``),
``__keypoints_compressed__``) and as SMPLer-X's ``datasets/humandata.py`` ``load_data``
reads it (``np.load(..., allow_pickle=True)``, ``content['meta'].item()``,
``content['smplx'].item()``, ``content['keypoints2d_smplx'][:, MAPPING, :2]`` and its
``_mask``, ``bbox_xywh[i][:4]``):

* ``image_path`` (N,) relative to the package folder; ``bbox_xywh`` (N, 5) the square crop
  box (BEDLAM's definition, x 1.2 padding, :mod:`genb.package.crops`) + confidence 1;
* ``keypoints2d_smplx`` (N, 144, 3) / ``keypoints3d_smplx`` (N, 144, 4) in the SMPL-X
  keypoint order of ``smplx.joint_names.JOINT_NAMES`` (mmhuman3d's ``smplx`` convention):
  the 55 SMPL-X joints and the face/foot keypoints genb has (nose, eyes, ears, toes,
  heels) are filled, finger tips and face landmarks are zeros; ``*_mask`` (144,) says which;
* ``smplx``: ``global_orient`` (N, 3), ``body_pose`` (N, 21, 3), ``left_hand_pose`` /
  ``right_hand_pose`` (N, 15, 3) (``flat_hand_mean=True``), ``jaw_pose``, ``leye_pose``,
  ``reye_pose`` (N, 3), ``betas`` (N, 10), ``expression`` (N, 10), ``transl`` (N, 3),
  camera frame (``smplx(**smplx)`` gives camera-frame vertices);
* ``meta``: ``gender``, ``height``, ``width``, ``focal_length`` (N, 2), ``principal_point``
  (N, 2) (per-image pinhole camera, no distortion); ``misc``: provenance.
"""

from __future__ import annotations

import numpy as np

from genb.core.io import npz_bytes
from genb.package.records import PersonRecords
from genb.core.conventions import BODY25_INDEX
from genb.core.io import atomic_write_bytes

NAME = "humandata"
NUM_KEYPOINTS = 144  # len(smplx.joint_names.JOINT_NAMES), mmhuman3d's smplx convention
# keypoints 55-65 (nose, right/left eye, right/left ear, left big/small toe, left heel, right ...) from BODY25
_EXTRA = ("nose", "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe",
          "left_heel", "right_big_toe", "right_small_toe", "right_heel")
FROM_BODY25 = np.array([BODY25_INDEX[n] for n in _EXTRA])
MASK = np.zeros(NUM_KEYPOINTS, np.float32)
MASK[: 55 + len(_EXTRA)] = 1.0
SMPLX_KEYS = {"global_orient": (3,), "body_pose": (21, 3), "left_hand_pose": (15, 3), "right_hand_pose": (15, 3),
              "jaw_pose": (3,), "leye_pose": (3,), "reye_pose": (3,), "betas": (10,), "expression": (10,),
              "transl": (3,)}


def unsupported(body_model: str, has_smpl: bool) -> str | None:
    if body_model != "smplx":
        return f"HumanData for SMPLer-X/AiOS carries SMPL-X parameters; {body_model} bodies have none"
    return None


def rows(rec: PersonRecords, imgname: str, sample_index: int) -> tuple[dict[str, np.ndarray], int]:
    """Flat per-person rows (``smplx.*`` keys); :func:`write` assembles the HumanData structure."""
    n = len(rec)
    kp2 = np.zeros((n, NUM_KEYPOINTS, 3), np.float32)
    kp3 = np.zeros((n, NUM_KEYPOINTS, 4), np.float32)
    kp2[:, :55, :2], kp2[:, :55, 2] = rec.joints_2d[:, :55], rec.joints_conf[:, :55]
    kp3[:, :55, :3], kp3[:, :55, 3] = rec.joints_3d[:, :55], 1.0
    b25_2d, b25_3d = rec.keypoints_2d[:, :25], rec.keypoints_3d[:, :25]  # the 44-joint order starts with BODY25
    kp2[:, 55:66] = b25_2d[:, FROM_BODY25]
    kp3[:, 55:66] = b25_3d[:, FROM_BODY25]
    side = rec.scale * 200.0
    bbox = np.stack([rec.center[:, 0] - side / 2, rec.center[:, 1] - side / 2, side, side, np.ones(n)], 1)
    out = {
        "imgname": np.array([imgname] * n, dtype=str),
        "bbox_xywh": bbox.astype(np.float32),
        "keypoints2d_smplx": kp2, "keypoints3d_smplx": kp3,
        "gender": rec.gender.astype(str),
        "height": np.full(n, rec.image_size[0], np.int64), "width": np.full(n, rec.image_size[1], np.int64),
        "focal_length": np.repeat(rec.cam_int[None, [0, 1], [0, 1]], n, axis=0).astype(np.float32),
        "principal_point": np.repeat(rec.cam_int[None, [0, 1], [2, 2]], n, axis=0).astype(np.float32),
        "sample_index": np.full(n, sample_index, np.int64), "person_index": rec.person_index,
    }
    for k, shape in SMPLX_KEYS.items():
        v = rec.params.get(k)
        out[f"smplx.{k}"] = (np.zeros((n, *shape), np.float32) if v is None
                             else np.asarray(v, np.float32).reshape(n, *shape))
    return out, 0


def write(path, merged: dict[str, np.ndarray]) -> None:
    """Write the merged rows as a HumanData ``.npz`` (dict keys as 0-d object arrays, as ``HumanData.dump``)."""
    n = len(merged.get("imgname", ()))
    get = lambda k, shape, dt=np.float32: merged.get(k, np.zeros((0, *shape), dt))  # noqa: E731
    smplx = {k: get(f"smplx.{k}", shape) for k, shape in SMPLX_KEYS.items()}
    meta = {"gender": [str(g) for g in merged.get("gender", [])], "height": get("height", (), np.int64),
            "width": get("width", (), np.int64), "focal_length": get("focal_length", (2,)),
            "principal_point": get("principal_point", (2,)),
            "sample_index": get("sample_index", (), np.int64), "person_index": get("person_index", (), np.int64)}
    arrays = {
        "__key_strict__": np.array(False), "__data_len__": np.array(n), "__keypoints_compressed__": np.array(False),
        "config": np.array("genb"),
        "image_path": merged.get("imgname", np.zeros(0, dtype=str)),
        "bbox_xywh": get("bbox_xywh", (5,)),
        "keypoints2d_smplx": get("keypoints2d_smplx", (NUM_KEYPOINTS, 3)),
        "keypoints3d_smplx": get("keypoints3d_smplx", (NUM_KEYPOINTS, 4)),
        "keypoints2d_smplx_mask": MASK, "keypoints3d_smplx_mask": MASK,
        "smplx": _object(smplx), "meta": _object(meta),
        "misc": _object({"source": "genb", "bbox_source": "keypoints", "cam_param_type": "perspective",
                         "flat_hand_mean": True, "kps3d_root_aligned": False, "image_path_root": "package folder"}),
    }
    atomic_write_bytes(path, npz_bytes(arrays, compress=True, allow_pickle=True))


def _object(d: dict) -> np.ndarray:
    a = np.empty((), dtype=object)
    a[()] = d
    return a


def data_len(content) -> int:
    """The number of rows of a HumanData file as loaded by ``np.load``: ``__data_len__`` (what
    current mmhuman3d writes and genb writes), else ``__temporal_len__`` (older releases)."""
    for key in ("__data_len__", "__temporal_len__"):
        if key in getattr(content, "files", content):
            return int(content[key])
    raise KeyError("neither __data_len__ nor __temporal_len__: not a HumanData file")
