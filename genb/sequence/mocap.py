"""The user's AMASS-style motion files (``--motion-dir``, SMPL-X) played as motion in a sequence.

A clip is consecutive frames of one file, resampled to the sequence's frame rate (nearest
frame; the file's ``mocap_framerate``, else 120 fps). Each frame's body and hand poses and
the root's tilt come from :meth:`genb.render.bodies.motion.MotionLibrary.frame`; the root's
heading over time comes back as a yaw relative to the clip's first frame. The root's path is
not the file's ``trans`` (genb samples its own body shapes, whose legs differ from the
capture's): :func:`genb.sequence.gait.plant_feet` derives it from the feet, as for the
procedural motions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genb.render.bodies.motion import _library
from genb.render.bodies.rotations import axis_angle_to_matrix

DEFAULT_MOCAP_FPS = 120.0


def _file_rate(path) -> float:
    with np.load(path, allow_pickle=False) as data:
        for key in ("mocap_framerate", "mocap_frame_rate"):
            if key in data.files:
                return float(np.asarray(data[key]).reshape(-1)[0])
    return DEFAULT_MOCAP_FPS


def heading_deg(root_axis_angle: np.ndarray) -> np.ndarray:
    """(T,) heading (degrees, about world Z) of AMASS root orientations (T, 3), Z up, in genb's sense:
    a body with heading h faces (sin h, -cos h) (zero faces -Y, as genb's bodies at zero yaw)."""
    R = axis_angle_to_matrix(np.asarray(root_axis_angle, np.float64))
    forward = R[..., :, 2]  # the SMPL body's +z (its front) in the world
    return np.degrees(np.arctan2(forward[..., 0], -forward[..., 1]))


def sample_clip(rng: np.random.Generator, motion_dir: str, frames: int, fps: float) -> tuple[str, list[dict[str, Any]], np.ndarray]:
    """A clip of ``frames`` frames at ``fps``: (name, per-frame motion dicts for ``body.pose``,
    (T,) yaw in degrees relative to the first frame)."""
    lib = _library(str(motion_dir), "z")
    k = int(rng.integers(len(lib.files)))
    path = lib.files[k]
    poses = lib.poses(path)
    step = _file_rate(path) / fps
    span = int(math.ceil((frames - 1) * step)) + 1
    start = int(rng.integers(max(1, len(poses) - span + 1)))
    idx = [(start + int(round(t * step))) % len(poses) for t in range(frames)]
    clip = [lib.frame(k, i) for i in idx]
    yaw = np.unwrap(np.radians(heading_deg(poses[idx, :3])))
    return f"{path.relative_to(lib.root)}:{idx[0]}", clip, np.degrees(yaw - yaw[0])
