"""Key poses written once in semantic joints, perturbed within per-joint limits.

Tables (``render/poses/``): ``key_poses.yaml`` holds named poses as intrinsic XYZ Euler
angles in degrees per semantic joint (:data:`~genb.core.conventions.SEMANTIC_JOINTS`),
in the semantic body frame (x left, y up, z forward; rest = T-pose); ``joint_limits.yaml``
holds per-joint, per-axis limits and perturbation sigmas, written for the left side and
the spine (the right side mirrors them).

Sign reminders (see the tables' header): hips/knees/spine/neck ``+x`` swings the part
backward for legs and forward for the spine (flexion); shoulders hanging down swing forward
with ``-x``; ``+z`` raises the left arm, ``-z`` the right one (arms down ~ -80 / +80); left
elbow flexion is ``-y``, right elbow ``+y``.

Mirroring a pose left/right: swap ``left_*``/``right_*`` joints and map each rotation
``R -> M R M`` with ``M = diag(-1, 1, 1)``, i.e. Euler ``(x, y, z) -> (x, -y, -z)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genb.errors import GenbError
from genb.render.assets import load_yaml_asset
from genb.core.conventions import SEMANTIC_INDEX, SEMANTIC_JOINTS
from genb.render.bodies.rotations import euler_xyz_to_matrix, matrix_to_euler_xyz, rotation_between

NUM_JOINTS = len(SEMANTIC_JOINTS)
MIRROR_SIGN = np.array([1.0, -1.0, -1.0])


def mirror_index() -> np.ndarray:
    """(20,) index of each semantic joint's left/right counterpart (itself for the spine)."""
    out = np.arange(NUM_JOINTS)
    for i, name in enumerate(SEMANTIC_JOINTS):
        for a, b in (("left_", "right_"), ("right_", "left_")):
            if name.startswith(a):
                out[i] = SEMANTIC_INDEX[b + name[len(a):]]
    return out


def mirror_euler(euler: np.ndarray) -> np.ndarray:
    """(..., 20, 3) Euler degrees -> the left/right mirrored pose."""
    return euler[..., mirror_index(), :] * MIRROR_SIGN


def arm_euler(upper: np.ndarray, fore: np.ndarray, side: str = "left") -> tuple[np.ndarray, np.ndarray]:
    """Shoulder and elbow Euler angles (degrees) that point an arm along given directions.

    A tool for writing key poses. Directions are in the frame of the shoulder's parent
    (the chest; the semantic frame when the spine is straight), x left, y up, z forward.
    The elbow bends about its hinge only (its local y axis), forward.

    Args:
        upper: (3,) direction of the upper arm (shoulder -> elbow).
        fore: (3,) direction of the forearm (elbow -> wrist).
        side: "left" or "right".
    Returns:
        (shoulder (3,), elbow (3,)) intrinsic XYZ Euler angles, degrees.
    """
    sign = 1.0 if side == "left" else -1.0
    upper = np.asarray(upper, float) / np.linalg.norm(upper)
    fore = np.asarray(fore, float) / np.linalg.norm(fore)
    R = rotation_between(np.array([sign, 0.0, 0.0]), upper)
    local = R.T @ fore  # forearm in the upper arm's own (T-pose) frame
    # Twist about the arm axis so that the forearm lies in the local x-z plane, in front (z >= 0).
    tau = np.arctan2(-local[1], local[2]) if np.hypot(local[1], local[2]) > 1e-6 else 0.0
    twist = euler_xyz_to_matrix(np.array([np.degrees(tau), 0.0, 0.0]))
    R = R @ twist
    local = R.T @ fore
    elbow_y = np.degrees(np.arctan2(-local[2], sign * local[0])) * sign
    return matrix_to_euler_xyz(R), np.array([0.0, elbow_y, 0.0])


@dataclass
class KeyPose:
    """A named pose: (20, 3) Euler degrees, a sampling weight and an optional family
    (poses of a family, e.g. walking phases, are blended with each other)."""

    name: str
    euler: np.ndarray
    weight: float = 1.0
    family: str | None = None


class PoseLibrary:
    """Key poses and joint limits, loaded once; samples plausible poses.

    Args:
        key_poses: names of the key poses to use (default: all in ``key_poses.yaml``).
        mirror_prob: chance of mirroring a pose left/right.
        blend_prob: chance of blending a pose with another of its family.
        perturb_scale: multiplies the perturbation sigmas (0 gives the key poses exactly).
    """

    def __init__(self, key_poses: list[str] | None = None, mirror_prob: float = 0.5, blend_prob: float = 0.3,
                 perturb_scale: float = 1.0):
        table = load_yaml_asset("poses", "key_poses.yaml")["poses"]
        limits = load_yaml_asset("poses", "joint_limits.yaml")["joints"]
        self.lower, self.upper, self.sigma = self._limits(limits)
        self.poses: list[KeyPose] = []
        for name, spec in table.items():
            self.poses.append(KeyPose(name, self._euler(name, spec), float(spec.get("weight", 1.0)), spec.get("family")))
        if key_poses:
            unknown = sorted(set(key_poses) - {p.name for p in self.poses})
            if unknown:
                raise GenbError(f"unknown key pose(s) {', '.join(unknown)}",
                                f"use names from render/poses/key_poses.yaml: {', '.join(p.name for p in self.poses)}")
            self.poses = [p for p in self.poses if p.name in key_poses]
        self.names = [p.name for p in self.poses]
        self.mirror_prob, self.blend_prob, self.perturb_scale = mirror_prob, blend_prob, perturb_scale
        w = np.array([p.weight for p in self.poses])
        self._probs = w / w.sum()

    @staticmethod
    def _limits(table: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lower, upper, sigma = np.zeros((3, NUM_JOINTS, 3))
        for name in SEMANTIC_JOINTS:
            side, base = (name.split("_", 1) if name.startswith(("left_", "right_")) else (None, name))
            spec = table[f"left_{base}" if side else name]
            lo, hi, sg = (np.asarray(spec[k], float) for k in ("min", "max", "sigma"))
            if side == "right":  # mirror: (x, y, z) -> (x, -y, -z)
                lo, hi = np.where(MIRROR_SIGN > 0, lo, -hi), np.where(MIRROR_SIGN > 0, hi, -lo)
            i = SEMANTIC_INDEX[name]
            lower[i], upper[i], sigma[i] = lo, hi, sg
        return lower, upper, sigma

    @staticmethod
    def _euler(name: str, spec: dict) -> np.ndarray:
        euler = np.zeros((NUM_JOINTS, 3))
        joints = spec.get("joints", {}) or {}
        unknown = sorted(set(joints) - set(SEMANTIC_INDEX))
        if unknown:
            raise GenbError(f"key pose {name!r} names unknown joints {unknown}", f"use: {', '.join(SEMANTIC_JOINTS)}")
        for joint, angles in joints.items():
            euler[SEMANTIC_INDEX[joint]] = angles
        if spec.get("symmetric"):  # right side = mirror of the left side
            mirrored = mirror_euler(euler)
            right = [i for i, n in enumerate(SEMANTIC_JOINTS) if n.startswith("right_")]
            euler[right] = mirrored[right]
        return euler

    def key_pose(self, name: str, mirrored: bool = False) -> np.ndarray:
        """(20, 3) Euler degrees of a key pose, as written (or mirrored)."""
        euler = self.poses[self.names.index(name)].euler
        return mirror_euler(euler) if mirrored else euler.copy()

    def clip(self, euler: np.ndarray) -> np.ndarray:
        """(..., 20, 3) Euler degrees clipped to the joint limits."""
        return np.clip(euler, self.lower, self.upper)

    def sample_euler(self, rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
        """n poses as (names, (n, 20, 3) Euler degrees within the joint limits)."""
        names, out = [], np.zeros((n, NUM_JOINTS, 3))
        for k in range(n):
            # 1. Pick a key pose, maybe blend it with another of its family.
            i = int(rng.choice(len(self.poses), p=self._probs))
            pose = self.poses[i]
            euler, name = pose.euler.copy(), pose.name
            if pose.family and rng.uniform() < self.blend_prob:
                mates = [j for j, p in enumerate(self.poses) if p.family == pose.family and j != i]
                if mates:
                    j = mates[int(rng.integers(len(mates)))]
                    t = rng.uniform(0.0, 0.5)
                    euler = (1 - t) * euler + t * self.poses[j].euler
                    name = f"{name}~{self.poses[j].name}"
            # 2. Mirror left/right.
            if rng.uniform() < self.mirror_prob:
                euler, name = mirror_euler(euler), f"{name}:mirrored"
            # 3. Perturb within the limits.
            euler = euler + rng.normal(0.0, 1.0, euler.shape) * self.sigma * self.perturb_scale
            out[k] = self.clip(euler)
            names.append(name)
        return names, out

    def sample(self, rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
        """n poses as (names, rotations (n, 20, 3, 3) in the semantic frame).

        A name is the key pose's, with ``~other`` when blended and ``:mirrored`` when mirrored.
        """
        names, euler = self.sample_euler(rng, n)
        return names, euler_xyz_to_matrix(euler)
