"""Body atlas: per-vertex coordinates of a body model's topology that garments are cut by.

Computed once per body model on an average body in the semantic T-pose (arms along
+-x, legs along -z), from the model's own BODY25 keypoints, so the same code cuts
garments for anny and SMPL-X, and a cut (e.g. "sleeve to the elbow") lands at the same
anatomical place on every body shape the model makes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX, SEMANTIC_JOINTS
from genb.render.raster.meshes import vertex_face_incidence, vertex_normals

ARM_PARTS = [PART_INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("upper_arm", "lower_arm", "hand")]
LEG_PARTS = [PART_INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("upper_leg", "lower_leg", "foot")]


@dataclasses.dataclass
class BodyAtlas:
    """Rest-pose coordinates of every vertex (V = the model's vertex count).

    Attributes:
        faces: (F, 3) int triangles. parts: (V,) uint8 part ids (``conventions.PARTS``).
        arm: (V,) position along the arm: 0 shoulder, 1 elbow, 2 wrist (> 2 in the hand);
            NaN off the arms.
        leg: (V,) position along the leg: 0 hip, 1 knee, 2 ankle (> 2 in the foot); NaN off the legs.
        torso: (V,) height on the trunk: 0 at the hips' height, 1 at the shoulders' (every vertex).
        head: (V, 3) metres from the ears' midpoint in the head's frame (:func:`head_frame`):
            (to the left, forward, up).
        rest: (V, 3) rest-pose positions, metres, relative to mid-hip (texture coordinates).
        normals: (V, 3) rest-pose unit normals (world axes: x left, y back, z up).
        side: (V,) +1 on the body's left half (x > 0), -1 on the right.
        stature: metres, crown to soles of the rest body.
        keypoints: (25, 3) the rest body's BODY25 keypoints, metres, relative to mid-hip (as ``rest``).
    """

    faces: np.ndarray
    parts: np.ndarray
    arm: np.ndarray
    leg: np.ndarray
    torso: np.ndarray
    head: np.ndarray
    rest: np.ndarray
    normals: np.ndarray
    side: np.ndarray
    stature: float
    incidence: object = None
    keypoints: np.ndarray | None = None


def _piecewise(x: np.ndarray, knots: list[float]) -> np.ndarray:
    """Map x through knots[0] -> 0, knots[1] -> 1, ..., linearly extrapolated at both ends."""
    k = np.asarray(knots, np.float64)
    i = np.clip(np.searchsorted(k, x) - 1, 0, len(k) - 2)
    return i + (x - k[i]) / (k[i + 1] - k[i])


def head_frame(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The head's frame from BODY25 keypoints (25, 3): origin (3,) the ears' midpoint, and
    (3, 3) columns (to the left ear, forward to the nose, up), world frame."""
    kp = np.asarray(keypoints, np.float64)
    origin = 0.5 * (kp[K25["left_ear"]] + kp[K25["right_ear"]])
    side = kp[K25["left_ear"]] - kp[K25["right_ear"]]
    side /= np.linalg.norm(side)
    fwd = kp[K25["nose"]] - origin
    fwd -= side * (fwd @ side)
    fwd /= np.linalg.norm(fwd)
    return origin, np.stack([side, fwd, np.cross(fwd, side)], 1)


def trunk_frame(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The trunk's frame from BODY25 keypoints: origin (3,) the neck, (3, 3) columns (to the
    left shoulder, backward, up along the spine), and the neck-to-mid-hip length in metres."""
    kp = np.asarray(keypoints, np.float64)
    side = kp[K25["left_shoulder"]] - kp[K25["right_shoulder"]]
    side /= np.linalg.norm(side)
    up = kp[K25["neck"]] - kp[K25["mid_hip"]]
    length = float(np.linalg.norm(up))
    up -= side * (up @ side)
    up /= np.linalg.norm(up)
    return kp[K25["neck"]], np.stack([side, np.cross(up, side), up], 1), length


def build_atlas(body) -> BodyAtlas:
    """The :class:`BodyAtlas` of a body model (one rest forward pass; build once per process)."""
    shape = body.rest_shape()  # a property of the body model, not of its registered name
    rest = body.pose(shape, np.tile(np.eye(3), (1, len(SEMANTIC_JOINTS), 1, 1)))
    v = rest.vertices[0].astype(np.float64)
    kp = rest.keypoints[0].astype(np.float64)
    parts = np.asarray(body.vertex_parts)
    V = len(v)

    arm = np.full(V, np.nan)
    leg = np.full(V, np.nan)
    for side in ("left", "right"):
        s = 1.0 if side == "left" else -1.0
        sh, el, wr = (kp[K25[f"{side}_{j}"]] for j in ("shoulder", "elbow", "wrist"))
        ids = np.isin(parts, [PART_INDEX[f"{side}_{p}"] for p in ("upper_arm", "lower_arm", "hand")])
        arm[ids] = _piecewise(s * v[ids, 0], [s * sh[0], s * el[0], s * wr[0]])
        hp, kn, an = (kp[K25[f"{side}_{j}"]] for j in ("hip", "knee", "ankle"))
        ids = np.isin(parts, [PART_INDEX[f"{side}_{p}"] for p in ("upper_leg", "lower_leg", "foot")])
        leg[ids] = _piecewise(-v[ids, 2], [-hp[2], -kn[2], -an[2]])
    hip_z, neck_z = kp[K25["mid_hip"], 2], kp[K25["neck"], 2]
    torso = (v[:, 2] - hip_z) / (neck_z - hip_z)
    origin, frame = head_frame(kp)
    head = (v - origin) @ frame
    faces = np.asarray(body.faces)
    incidence = vertex_face_incidence(faces, V)
    normals = vertex_normals(v.astype(np.float32), faces, incidence)
    return BodyAtlas(faces=faces, parts=parts, arm=arm, leg=leg, torso=torso, head=head,
                     rest=v - kp[K25["mid_hip"]], normals=normals, side=np.where(v[:, 0] >= 0, 1.0, -1.0),
                     stature=float(v[:, 2].max() - v[:, 2].min()), incidence=incidence,
                     keypoints=kp - kp[K25["mid_hip"]])
