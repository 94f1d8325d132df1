"""Arms hanging by a heavy trunk rest against its side, not inside it.

The key poses' hanging arms are written for an average body. A heavy body's trunk is wider under
the armpit, and the same shoulder angles sink its upper arm up to 4 cm into its ribs (weight and
muscle 1: 20 % of the lower upper arm inside, relaxed standing), where a top's sleeve and side then
cross in a crease that starts well below the armpit. :func:`clear_arms` measures, on the posed
mesh, how deep each hanging upper arm lies inside the trunk and turns that shoulder outward, about
the chest's forward axis, by the angle that lifts its deepest point back to ``ALLOW`` inside the
skin (soft tissue pressed together); the people it turned are posed again, so every label is
computed from the pose that is drawn.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.core.conventions import BODY25_INDEX, PART_INDEX, SEMANTIC_INDEX
from genb.render.bodies.rotations import euler_xyz_to_matrix

ALLOW = 0.003  # m: an arm this deep in the trunk's skin rests against it (soft tissue pressed together)
ARM_FROM = 0.4  # share of the upper arm (shoulder to elbow keypoint) where it is checked: the armpit's skin above
NEAR = 0.1  # m: the trunk vertices within this of the upper arm's axis are those it can lie in
DOWN_COS = np.cos(np.radians(45.0))  # an upper arm within 45 degrees of the trunk's down axis hangs
MAX_DEG = 20.0  # the largest turn outward
DEEPEST = 0.96  # the quantile of the arm's vertices' needs it turns by (a few vertices at the chest's front
# or the shoulder's seam stay: turning outward does not move them off)
GAIN = 0.5  # an arm's depth falls by this share of its lever times the turn (the trunk's side slopes, the
# armpit's skin follows the arm half-way)


class ArmClearance:
    """A body model's trunk and upper-arm vertices, found once; the turns that clear hanging arms.

    Args:
        vertex_parts: (V,) part id per vertex (``conventions.PARTS``).
        faces: (F, 3) int triangle indices.
    """

    def __init__(self, vertex_parts: np.ndarray, faces: np.ndarray):
        parts = np.asarray(vertex_parts)
        self.trunk = np.flatnonzero(parts == PART_INDEX["torso"])
        self.arms = [np.flatnonzero(parts == PART_INDEX[f"{s}_upper_arm"]) for s in ("left", "right")]
        faces = np.asarray(faces, np.int64)
        # each trunk vertex's faces, padded with -1: its normal from those faces alone
        rows = np.full(len(parts), -1, np.int64)
        rows[self.trunk] = np.arange(len(self.trunk))
        corner = rows[faces.ravel()]
        keep = corner >= 0
        owner, face = corner[keep], np.repeat(np.arange(len(faces)), 3)[keep]
        order = np.argsort(owner, kind="stable")
        owner, face = owner[order], face[order]
        count = np.bincount(owner, minlength=len(self.trunk))
        slot = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
        self.trunk_faces = np.full((len(self.trunk), max(int(count.max()), 1)), -1, np.int64)
        self.trunk_faces[owner, slot] = face
        self.faces = faces

    def _normals(self, vertices: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(R, 3) unit normals (area-weighted) of the trunk vertices ``rows`` of one posed body."""
        f = self.trunk_faces[rows]
        tri = vertices[self.faces[np.maximum(f, 0)]].astype(np.float64)  # (R, K, 3, 3)
        fn = np.cross(tri[..., 1, :] - tri[..., 0, :], tri[..., 2, :] - tri[..., 0, :])
        n = (fn * (f >= 0)[..., None]).sum(axis=1)
        return n / np.maximum(np.sqrt(np.einsum("ij,ij->i", n, n))[:, None], 1e-12)

    def depths(self, vertices: np.ndarray, keypoints: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
        """One posed body's upper arm from ``ARM_FROM`` down: each vertex's depth inside the trunk (m,
        > 0 inside: along the nearest trunk vertex's normal, among those within ``NEAR`` of the arm's
        axis) and its distance from the shoulder (m).

        Args:
            vertices: (V, 3) posed vertices, metres. keypoints: (25, 3) BODY25. side: 0 left, 1 right.
        """
        name = ("left", "right")[side]
        s = keypoints[BODY25_INDEX[f"{name}_shoulder"]].astype(np.float64)
        axis = keypoints[BODY25_INDEX[f"{name}_elbow"]] - s
        length2 = max(float(axis @ axis), 1e-12)
        arm = vertices[self.arms[side]] - s
        arm = arm[arm @ axis > ARM_FROM * length2]
        trunk = vertices[self.trunk] - s
        t = np.clip(trunk @ axis / length2, 0.0, 1.0)
        off = trunk - t[:, None] * axis
        rows = np.flatnonzero(np.einsum("ij,ij->i", off, off) < NEAR ** 2)
        if not len(rows) or not len(arm):
            return np.zeros(0), np.zeros(0)
        points = trunk[rows]
        gap2 = np.einsum("ij,ij->i", points, points)[None] - 2.0 * arm @ points.T  # + |arm|^2: the same argmin
        used, k = np.unique(np.argmin(gap2, axis=1), return_inverse=True)  # normals only where they are read
        depth = np.einsum("ij,ij->i", points[used][k] - arm, self._normals(vertices, rows[used])[k])
        return depth, np.sqrt(np.einsum("ij,ij->i", arm, arm))

    def turns(self, vertices: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        """(P, 2) degrees each person's left and right shoulder turns outward (0 where the arm is
        raised or clear of the trunk).

        Args:
            vertices: (P, V, 3) posed bodies, metres. keypoints: (P, 25, 3) BODY25.
        """
        out = np.zeros((len(vertices), 2))
        for p, (v, kp) in enumerate(zip(vertices, keypoints)):
            down = kp[BODY25_INDEX["mid_hip"]] - kp[BODY25_INDEX["neck"]]
            down = down / max(float(np.linalg.norm(down)), 1e-12)
            for side, name in enumerate(("left", "right")):
                upper = kp[BODY25_INDEX[f"{name}_elbow"]] - kp[BODY25_INDEX[f"{name}_shoulder"]]
                if upper @ down < DOWN_COS * np.linalg.norm(upper):
                    continue
                depth, lever = self.depths(v, kp, side)
                need = (depth - ALLOW) / (GAIN * np.maximum(lever, 0.05))
                if not len(need):
                    continue
                j = int(round(DEEPEST * (len(need) - 1)))
                need = float(np.partition(need, j)[j])  # the DEEPEST quantile, one of the needs
                if need > 0:
                    out[p, side] = min(np.degrees(np.arctan(need)), MAX_DEG)
        return out


def turn_out(rotations: np.ndarray, turns: np.ndarray) -> np.ndarray:
    """(P, 20, 3, 3) semantic rotations with each shoulder turned outward by (P, 2) degrees (left,
    right) about its parent's forward axis (the semantic z: +z raises the left arm, -z the right)."""
    out = np.array(rotations, copy=True)
    for side, name in enumerate(("left", "right")):
        sign = 1.0 if side == 0 else -1.0
        euler = np.zeros((len(turns), 3))
        euler[:, 2] = sign * turns[:, side]
        j = SEMANTIC_INDEX[f"{name}_shoulder"]
        out[:, j] = (euler_xyz_to_matrix(euler) @ out[:, j]).astype(out.dtype)
    return out


def clear_arms(clearance: ArmClearance, rotations: np.ndarray, posed, pose, free: np.ndarray | None = None):
    """Hanging arms turned out of the trunk: (posed, rotations), the people whose arms sank in posed
    again by ``pose(indices, rotations)`` (returns their ``PosedBodies``); the rest as they were.

    Args:
        rotations: (P, 20, 3, 3) semantic. posed: their ``PosedBodies``.
        free: (P,) bool, the people whose pose may turn (default all; not a motion-capture frame's).
    """
    turns = clearance.turns(posed.vertices, posed.keypoints)
    if free is not None:
        turns[~np.asarray(free, bool)] = 0.0
    moved = np.flatnonzero(turns.max(axis=1) > 0)
    if not len(moved):
        return posed, rotations
    rotations = np.array(rotations, copy=True)
    rotations[moved] = turn_out(rotations[moved], turns[moved])
    again = pose(moved, rotations[moved])
    vertices, joints, keypoints = posed.vertices.copy(), posed.joints.copy(), posed.keypoints.copy()
    vertices[moved], joints[moved], keypoints[moved] = again.vertices, again.joints, again.keypoints
    params = {k: np.array(v, copy=True) for k, v in posed.params.items()}
    for k, v in again.params.items():
        params[k][moved] = v
    return dataclasses.replace(posed, vertices=vertices, joints=joints, keypoints=keypoints, params=params), rotations
