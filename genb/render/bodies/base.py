"""The body model interface: what the renderer needs from anny, SMPL-X or any other rig.

A body model turns shape parameters and a pose written in semantic joints
(see :mod:`genb.core.conventions`) into posed meshes, joints and BODY25
keypoints in the **world frame** (Z up, metres), and keeps its own native
parameters so the ground truth can be replayed through the model itself.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class PosedBodies:
    """P people posed by one body model.

    Attributes:
        vertices: (P, V, 3) float32, world frame, metres.
        joints: (P, J, 3) float32, the model's native skeleton joints, world frame, metres.
        keypoints: (P, 25, 3) float32, BODY25 keypoints, world frame, metres.
        params: native parameters, each with leading dim P, that reproduce
            ``vertices`` through the model (e.g. SMPL-X ``global_orient``,
            ``body_pose``, ``betas``, ``transl``; anny ``phenotypes``,
            ``bone_rotations``, ``root``). Rigid transforms of the bodies go
            through :meth:`BodyModel.transform_params`.
    """

    vertices: np.ndarray
    joints: np.ndarray
    keypoints: np.ndarray
    params: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.vertices)


class BodyModel(abc.ABC):
    """A body model built once per process (never per sample).

    Attributes:
        name: ``"anny"`` or ``"smplx"``; prefixes its parameters in labels.npz.
        faces: (F, 3) int32 triangle indices.
        vertex_parts: (V,) uint8 part id of each vertex (``conventions.PARTS``).
        joint_names: names of the J native joints returned in ``PosedBodies.joints``.
        shape_dim: number of shape parameters per person.
        licence: one line on the terms of the model's assets (goes into dataset cards).
        palm_mask: (V,) bool, the palm and back of each hand without the fingers, or None (held
            objects then rest against the whole hand).
    """

    name: str
    faces: np.ndarray
    vertex_parts: np.ndarray
    joint_names: tuple[str, ...]
    shape_dim: int
    licence: str
    palm_mask: np.ndarray | None = None  # (V,) bool: the palm and back of the hand (not the fingers), if known

    @property
    def num_vertices(self) -> int:
        return len(self.vertex_parts)

    def rest_shape(self) -> np.ndarray:
        """(1, shape_dim) float32: the model's average shape, at which garments' cut coordinates are
        measured (:func:`genb.render.dress.atlas.build_atlas`). Zeros (mean betas) unless the model
        says otherwise; a subclass keeps its parent's, whatever name it is registered under."""
        return np.zeros((1, self.shape_dim), np.float32)

    @abc.abstractmethod
    def sample_shapes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, shape_dim) float32 shape parameters spread over the model's range
        (children, heavy and tall bodies included)."""

    @abc.abstractmethod
    def describe_shapes(self, shapes: np.ndarray) -> list[dict[str, Any]]:
        """Per person: ``gender`` ("female" | "male" | "neutral"), ``age_group``
        ("child" | "teen" | "adult" | "senior"), ``build`` ("slim" | "average" | "heavy")
        and anything else worth a prompt. Used for prompts and dataset cards."""

    @abc.abstractmethod
    def pose(self, shapes: np.ndarray, rotations: np.ndarray) -> PosedBodies:
        """Pose P bodies.

        Args:
            shapes: (P, shape_dim) shape parameters.
            rotations: (P, len(SEMANTIC_JOINTS), 3, 3) rotation of each semantic
                joint, written in the semantic body frame relative to a T-pose.
            (models may take ``grips=``, per person None or ``{side: grip}``: fingers curled
            round a held object, part of the recorded parameters; see :mod:`genb.render.bodies.grips`)
        Returns:
            bodies with zero yaw, root at the world origin (not yet on the ground).
        """

    @abc.abstractmethod
    def transform_params(self, params: dict[str, np.ndarray], rotation: np.ndarray, translation: np.ndarray) -> dict[str, np.ndarray]:
        """Native parameters of the bodies after the rigid map ``x -> R x + t``.

        Args:
            params: native parameters, leading dim P.
            rotation: (P, 3, 3) or (3, 3).
            translation: (P, 3) or (3,), metres.
        """

    @abc.abstractmethod
    def forward_params(self, params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Replay native parameters through the model: (vertices (P,V,3), keypoints (P,25,3)).

        Used by tests to prove that the saved parameters reproduce the saved geometry.
        """


def rigid_transform_bodies(model: BodyModel, bodies: PosedBodies, rotation: np.ndarray, translation: np.ndarray) -> PosedBodies:
    """Apply ``x -> R x + t`` (per person) to every array and to the native parameters.

    Args:
        rotation: (P, 3, 3) or (3, 3).
        translation: (P, 3) or (3,), metres.
    """
    P = len(bodies)
    R = np.broadcast_to(np.asarray(rotation, np.float64), (P, 3, 3))
    t = np.broadcast_to(np.asarray(translation, np.float64), (P, 3))

    def move(x: np.ndarray) -> np.ndarray:
        return (x.astype(np.float64) @ R.transpose(0, 2, 1) + t[:, None]).astype(np.float32)  # matmul: 5x einsum's speed

    return PosedBodies(
        vertices=move(bodies.vertices),
        joints=move(bodies.joints),
        keypoints=move(bodies.keypoints),
        params=model.transform_params(bodies.params, R, t),
    )
