"""What the video formats (:mod:`~genb.package.wham`, :mod:`~genb.package.tram`, :mod:`~genb.package.gvhmr`) share.

A video format's ``rows`` turn one frame's packaged people into per-person-frame rows (like
the image formats, so ranks, parts and the merge stay the same); its ``write`` regroups the
merged rows into **tracks**: one person's consecutive packaged frames of one sequence
(:func:`tracks`), in frame order, which is what the clients' loaders cut their windows from.

World frames. genb's world is Z up, metres, ``cam_ext`` world-to-camera (OpenCV camera). The
clients want gravity along another axis; :func:`world_from_camera` turns a body's camera-frame
root (orientation, translation, pelvis) into the client's world with the frame's extrinsics:

* ``R_w = A @ R_ext.T @ R_c``, pelvis ``p_w = A @ R_ext.T @ (p_c - t_ext)``, and the body model's
  ``transl_w = p_w - j0`` (``j0 = p_c - transl_c``: the rest pelvis, fixed by the betas; SMPL and
  SMPL-X rotate the body about it), and the client's extrinsics ``ext @ inv(A)`` (4x4), so that
  ``ext_client @ world_client`` are the frame's camera-frame labels again (tested to 1e-4).

``A`` is one of :data:`AXES`: WHAM's Y-down world (its AMASS preprocessing's ``zup2ydown``),
GVHMR's Y-up world (``gravity_vec = [0, -1, 0]``, "BEDLAM is ay"), genb's own Z up.
"""

from __future__ import annotations

import math

import numpy as np

from genb.core.log import get_logger
from genb.package.joints44 import JOINTS44
from genb.package.records import PersonRecords
from genb.render.bodies.rotations import axis_angle_to_matrix, matrix_to_axis_angle

logger = get_logger(__name__)

# World axes: genb's Z-up world -> the client's world (a rotation).
AXES = {
    "z_up": np.eye(3),
    "y_up": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),   # z -> y: axis-angle [-pi/2, 0, 0]
    "y_down": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]),  # z -> -y (WHAM's zup2ydown)
}

# SPIN's 24 "ground truth" joints (TRAM lib/core/constants.py JOINT_NAMES[25:]): the 19 extra
# joints of the 44-joint order, then Nose, Left Eye, Right Eye, Left Ear, Right Ear (BODY25 ones).
J24_FROM_44 = np.array(list(range(25, 44)) + [JOINTS44.index(f"op_{n}") for n in
                                                ("nose", "left_eye", "right_eye", "left_ear", "right_ear")])


def gender_letter(gender: np.ndarray) -> np.ndarray:
    """genb's ``female``/``male``/``neutral`` as ``f``/``m``/``n``."""
    return np.array([{"female": "f", "male": "m"}.get(str(g), "n") for g in gender], dtype=str)


def frame_rows(rec: PersonRecords, imgname: str, sample_index: int, keep: np.ndarray) -> dict[str, np.ndarray]:
    """The rows every video format carries for the people ``keep`` (indices into ``rec``) of one frame.

    ``sequence``, ``frame`` (int64) and ``fps`` (float64) come from the frame's labels; ``cam_int``
    (N, 3, 3) and ``cam_ext`` (N, 4, 4, genb's Z-up world to camera) are the frame's camera.
    """
    n = len(keep)
    s, t, fps = rec.frame if rec.frame is not None else (-1, sample_index, float("nan"))
    return {
        "imgname": np.array([imgname] * n, dtype=str),
        "sample_index": np.full(n, sample_index, np.int64),
        "person_index": rec.person_index[keep],
        "sequence": np.full(n, s, np.int64),
        "frame": np.full(n, t, np.int64),
        "fps": np.full(n, fps, np.float64),
        "cam_int": np.repeat(rec.cam_int[None], n, axis=0).astype(np.float32),
        "cam_ext": np.repeat(rec.cam_ext[None], n, axis=0).astype(np.float32),
        "image_size": np.repeat(rec.image_size[None], n, axis=0),
        "center": rec.center[keep],
        "scale": rec.scale[keep],
        "client_keep": rec.client_keep[keep].astype(bool),
    }


def world_from_camera(orient_c: np.ndarray, transl_c: np.ndarray, pelvis_c: np.ndarray, cam_ext: np.ndarray,
                      axes: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A body's root in the client's world, and the client's extrinsics.

    Args:
        orient_c: (N, 3) axis-angle global orientation, camera frame.
        transl_c: (N, 3) the body model's ``transl``, camera frame (metres).
        pelvis_c: (N, 3) the posed root joint (pelvis), camera frame.
        cam_ext: (4, 4) or (N, 4, 4) genb world (Z up) to camera.
        axes: a key of :data:`AXES`.

    Returns:
        ``orient_w`` (N, 3), ``transl_w`` (N, 3) float64, ``ext`` (N, 4, 4) float64 client world to camera.
    """
    A = AXES[axes]
    ext = np.broadcast_to(np.asarray(cam_ext, np.float64), (len(orient_c), 4, 4))
    R_ext, t_ext = ext[:, :3, :3], ext[:, :3, 3]
    to_world = A @ np.transpose(R_ext, (0, 2, 1))  # (N, 3, 3) camera -> client world
    orient_w = matrix_to_axis_angle(to_world @ axis_angle_to_matrix(np.asarray(orient_c, np.float64)))
    pelvis_w = np.einsum("nij,nj->ni", to_world, np.asarray(pelvis_c, np.float64) - t_ext)
    j0 = np.asarray(pelvis_c, np.float64) - np.asarray(transl_c, np.float64)
    A4 = np.eye(4)
    A4[:3, :3] = A
    return orient_w, pelvis_w - j0, ext @ A4.T  # inv(A4) = A4.T


def frame_step(frames: np.ndarray, sequences: np.ndarray) -> int:
    """The packaged frames' spacing: the gcd of the gaps between a sequence's packaged frames (1 if none)."""
    step = 0
    for s in np.unique(sequences):
        f = np.unique(frames[sequences == s])
        for d in np.diff(f):
            step = math.gcd(step, int(d))
    return step or 1


def tracks(rows: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Order the merged rows by track, and number the tracks.

    A track is one person's (``sequence``, ``person_index``) packaged frames, in frame order,
    split where a frame is missing (the person left out there, or the frame not packaged),
    frames being ``frame_step`` apart (:func:`frame_step`).

    Returns:
        ``order`` (N,) int64 row order (tracks contiguous, frames ascending), ``track`` (N,) int64
        the track number of each reordered row (0, 1, ... in order of first appearance).
    """
    seq, person, frame = (np.asarray(rows[k], np.int64) for k in ("sequence", "person_index", "frame"))
    if len(seq) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((frame, person, seq))
    step = frame_step(frame, seq)
    s, p, f = seq[order], person[order], frame[order]
    new = np.ones(len(order), bool)
    new[1:] = (s[1:] != s[:-1]) | (p[1:] != p[:-1]) | (f[1:] - f[:-1] != step)
    return order, np.cumsum(new) - 1


def track_names(rows: dict[str, np.ndarray], track: np.ndarray) -> np.ndarray:
    """(N,) str, one name per track: ``seq_<sequence>_p<person>_f<first frame>`` (the reordered rows)."""
    first = np.r_[True, track[1:] != track[:-1]]
    names = np.array([f"seq_{s:06d}_p{p:02d}_f{f:06d}" for s, p, f in
                      zip(rows["sequence"][first], rows["person_index"][first], rows["frame"][first])], dtype=str)
    return names[track] if len(track) else np.zeros(0, dtype=str)


def reorder(rows: dict[str, np.ndarray], order: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.asarray(v)[order] for k, v in rows.items()}


def longest_run(flags: np.ndarray) -> tuple[int, int]:
    """``[start, end)`` of the longest run of True in ``flags`` ((0, 0) if none)."""
    best, start = (0, 0), None
    for i, ok in enumerate(list(np.asarray(flags, bool)) + [False]):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def smpl_rows(rec: PersonRecords, keep: np.ndarray) -> dict[str, np.ndarray]:
    """The SMPL fit of the people ``keep``: ``pose`` (N, 72) axis-angle camera frame (global 0:3, body 3:72),
    ``betas`` (N, 10), ``transl`` (N, 3) camera frame, ``pelvis`` (N, 3) its posed root joint, camera frame."""
    fit = rec.smpl
    return {
        "pose": np.concatenate([np.asarray(fit["global_orient"])[keep].reshape(-1, 3),
                                np.asarray(fit["body_pose"])[keep].reshape(-1, 69)], axis=1).astype(np.float32),
        "betas": np.asarray(fit["betas"], np.float32)[keep].reshape(len(keep), -1)[:, :10],
        "transl": np.asarray(fit["transl"], np.float32)[keep].reshape(-1, 3),
        "pelvis": np.asarray(fit["joints"], np.float32)[keep][:, 0],
    }


def warn_fps(rows: dict[str, np.ndarray], client: str, expected: float = 30.0) -> None:
    """Log a warning when the packaged frames are not ``expected`` fps apart (the client assumes that rate)."""
    fps = np.asarray(rows["fps"], np.float64) / frame_step(np.asarray(rows["frame"]), np.asarray(rows["sequence"]))
    if len(fps) and not np.allclose(fps, expected):
        logger.warning("%s assumes %g fps; these frames are %s fps apart (render --fps, package --frame-step)",
                       client, expected, ", ".join(f"{f:g}" for f in np.unique(fps)))


def tracked(merged: dict[str, np.ndarray], column: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The merged rows in track order (:func:`tracks`, :func:`reorder`) with each row's track index in
    ``column`` (the client's name for it), and that (N,) track index."""
    order, track = tracks(merged)
    rows = reorder(merged, order)
    rows[column] = track
    return rows, track
