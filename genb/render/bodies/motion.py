"""Poses from the user's motion-capture files (AMASS-style ``.npz``).

A file holds ``poses (T, 156)`` (SMPL-H: root 3 + body 63 + hands 90) or ``(T, 165)``
(SMPL-X: root 3 + body 63 + jaw 3 + eyes 6 + hands 90), axis-angles in radians, and
usually ``trans (T, 3)``, ``betas`` and ``gender`` (not used: genb samples its own shapes
and places people itself). AMASS's world frame is Z up; the root orientation is turned into
genb's semantic frame (y up) and its heading (rotation about the vertical) is removed, so the
scene sampler chooses where the person faces; tilt (bending, lying) is kept.

``sample_motion_pose(rng, motion_dir)`` returns native SMPL-X pose parameters for
:meth:`SmplxBody.pose_native` and the same pose as semantic rotations for any body model.
"""

from __future__ import annotations

import functools
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from genb.errors import GenbError
from genb.core.conventions import SEMANTIC_JOINTS, SEMANTIC_TO_WORLD
from genb.render.bodies.rotations import axis_angle_to_matrix, heading_free, matrix_to_axis_angle

# SMPL-X body joints 1..21 in body_pose order, and which semantic joint each drives.
_BODY_JOINTS = ("left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle", "right_ankle",
                "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head", "left_shoulder",
                "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
_SEMANTIC_FROM_BODY = {"spine1": "spine_lower", "spine2": "spine_mid", "spine3": "spine_upper"}


class MotionLibrary:
    """The ``.npz`` motion files under a folder, listed once, loaded lazily (a few kept in memory).

    Args:
        motion_dir: folder searched recursively for ``*.npz`` files with a ``poses`` array.
        up_axis: the files' vertical axis: "z" (AMASS) or "y" (already in the SMPL frame).
        cache_files: how many loaded files to keep in memory.
    """

    def __init__(self, motion_dir: str | os.PathLike, up_axis: str = "z", cache_files: int = 16):
        self.root = Path(os.path.expanduser(str(motion_dir)))
        if not self.root.is_dir():
            raise GenbError(f"motion folder {self.root} does not exist",
                            "pass a folder of AMASS-style .npz files (arrays poses (T, 156 or 165), trans, betas)")
        self.files = sorted(p for p in self.root.rglob("*.npz") if p.is_file())
        if not self.files:
            raise GenbError(f"motion folder {self.root} holds no .npz file",
                            "put AMASS-style .npz files (arrays poses (T, 156 or 165), trans, betas) in it")
        if up_axis not in ("z", "y"):
            raise GenbError(f"unknown motion up axis {up_axis!r}", "use 'z' (AMASS) or 'y'")
        self.up_axis = up_axis
        self._cache: OrderedDict[Path, np.ndarray] = OrderedDict()
        self._cache_files = cache_files

    def poses(self, path: Path) -> np.ndarray:
        """(T, 156 or 165) float64 pose array of one file."""
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        try:
            with np.load(path, allow_pickle=False) as data:
                if "poses" not in data.files:
                    raise GenbError(f"motion file {path} has no 'poses' array (it holds {', '.join(data.files)})",
                                    "use AMASS-style .npz files: poses (T, 156 or 165), trans, betas")
                poses = np.asarray(data["poses"], np.float64)
        except (OSError, ValueError) as e:
            raise GenbError(f"cannot read motion file {path}: {e}", "remove or replace the file") from e
        if poses.ndim != 2 or poses.shape[1] not in (156, 165) or len(poses) == 0:
            raise GenbError(f"motion file {path}: poses has shape {poses.shape}, expected (T, 156) or (T, 165)",
                            "use AMASS SMPL-H (156) or SMPL-X (165) pose arrays")
        self._cache[path] = poses
        if len(self._cache) > self._cache_files:
            self._cache.popitem(last=False)
        return poses

    def frame(self, file_index: int, frame_index: int) -> dict[str, Any]:
        """One frame as SMPL-X parameters (semantic frame, heading removed) and semantic rotations."""
        path = self.files[file_index]
        poses = self.poses(path)
        pose = poses[frame_index % len(poses)]
        root = axis_angle_to_matrix(pose[:3])
        if self.up_axis == "z":
            root = SEMANTIC_TO_WORLD.T @ root  # AMASS world (Z up) -> SMPL frame (Y up)
        root = heading_free(root)
        body = pose[3:66].reshape(21, 3)
        hands = pose[66:156] if len(pose) == 156 else pose[75:165]
        rotations = np.tile(np.eye(3), (len(SEMANTIC_JOINTS), 1, 1))
        rotations[SEMANTIC_JOINTS.index("pelvis")] = root
        for j, name in enumerate(_BODY_JOINTS):
            sem = _SEMANTIC_FROM_BODY.get(name, name)
            if sem in SEMANTIC_JOINTS:
                rotations[SEMANTIC_JOINTS.index(sem)] = axis_angle_to_matrix(body[j])
        return {
            "global_orient": matrix_to_axis_angle(root),
            "body_pose": body.reshape(63).copy(),
            "left_hand_pose": hands[:45].copy(),
            "right_hand_pose": hands[45:90].copy(),
            "rotations": rotations,
            "name": f"{path.relative_to(self.root)}:{frame_index % len(poses)}",
        }

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """A random frame of a random file (depends only on ``rng``)."""
        file_index = int(rng.integers(len(self.files)))
        frame = int(rng.integers(1 << 30))
        return self.frame(file_index, frame)


@functools.lru_cache(maxsize=4)
def _library(motion_dir: str, up_axis: str) -> MotionLibrary:
    return MotionLibrary(motion_dir, up_axis=up_axis)


def sample_motion_pose(rng: np.random.Generator, motion_dir: str | os.PathLike, up_axis: str = "z") -> dict[str, Any]:
    """A pose from a random frame of the user's motion files.

    Args:
        rng: the sample's generator (the draw depends only on it and the sorted file list).
        motion_dir: folder of AMASS-style ``.npz`` files (searched recursively).
        up_axis: the files' vertical axis, "z" for AMASS.
    Returns:
        ``global_orient (3,)`` (semantic frame, y up, heading removed), ``body_pose (63,)``,
        ``left_hand_pose (45,)``, ``right_hand_pose (45,)`` (absolute axis-angles, radians), for
        :meth:`~genb.render.bodies.smplx_body.SmplxBody.pose_native`; ``rotations (20, 3, 3)``
        the same pose in semantic joints (toes and fingers dropped), for any body model's
        ``pose``; ``name`` ``"<file>:<frame>"``.
    """
    return _library(str(motion_dir), up_axis).sample(rng)
