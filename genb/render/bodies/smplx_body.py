"""SMPL-X through the ``smplx`` package, with the user's own model files.

SMPL-X's rest frame is genb's semantic frame (x left, y up, z forward, T-pose), so a
semantic joint's rotation is the SMPL-X joint's local rotation as is
(``render/rigs/smplx.yaml``). ``SEMANTIC_TO_WORLD`` is folded into ``global_orient`` so
that the outputs are in genb's Z-up world frame.

Native parameters (leading dim P), in the frame of the returned geometry, such that
``smplx.SMPLX(model_dir, gender=..., use_pca=False, flat_hand_mean=True,
num_betas=NUM_BETAS)(**params)`` gives the vertices: ``global_orient (P, 3)``,
``body_pose (P, 63)``, ``left_hand_pose (P, 45)``, ``right_hand_pose (P, 45)``,
``jaw_pose (P, 3)``, ``betas (P, 10)``, ``expression (P, 10)``, ``transl (P, 3)``;
axis-angle in radians, metres (eye poses are zero and not stored). Hand poses are
absolute (``flat_hand_mean=True``); genb poses the hands in the model's own relaxed
``hands_mean``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genb.errors import GenbError
from genb.render.assets import load_yaml_asset
from genb.render.bodies.base import BodyModel, PosedBodies
from genb.render.bodies.grips import GRIP_CURLS, SIDES, finger_chain, grip_rotations
from genb.render.bodies.model_file import SMPLX_SHAPES, check_model_arrays
from genb.core.conventions import BODY25, PART_INDEX, SEMANTIC_JOINTS, SEMANTIC_TO_WORLD
from genb.render.bodies.rotations import axis_angle_to_matrix, matrix_to_axis_angle

from genb.render.bodies.motion import sample_motion_pose  # noqa: F401  (re-exported for the render stage)

NUM_BETAS = 10
NUM_EXPRESSION = 10
NUM_BODY_JOINTS = 21
GENDERS = ("neutral", "male", "female")
DOWNLOAD_HINT = (
    "download 'SMPL-X v1.1 NPZ' from https://smpl-x.is.tue.mpg.de (free registration, "
    "non-commercial licence), unzip it and pass the folder holding SMPLX_NEUTRAL.npz "
    "(and SMPLX_MALE.npz / SMPLX_FEMALE.npz) with --smplx-dir DIR"
)


def smplx_model_file(model_dir: str | os.PathLike | None, gender: str = "neutral") -> Path:
    """The ``SMPLX_<GENDER>.npz`` file in ``model_dir``; a :class:`GenbError` saying where to get
    it and where to put it when the folder or the file is missing."""
    if gender not in GENDERS:
        raise GenbError(f"unknown SMPL-X gender {gender!r}", f"use one of: {', '.join(GENDERS)}")
    name = f"SMPLX_{gender.upper()}.npz"
    if model_dir is None or str(model_dir) == "":
        raise GenbError(f"--body smplx needs the SMPL-X model files, but no --smplx-dir was given (looked for {name})",
                        DOWNLOAD_HINT)
    folder = Path(os.path.expanduser(str(model_dir)))
    if folder.is_file() and folder.name.upper().startswith("SMPLX_") and folder.suffix == ".npz":
        return folder
    path = folder / name
    if not folder.is_dir():
        raise GenbError(f"SMPL-X model folder {folder} does not exist (looked for {path})", DOWNLOAD_HINT)
    if not path.is_file() and (folder / "smplx" / name).is_file():  # smplx.create's layout: DIR/smplx/
        path = folder / "smplx" / name
    if not path.is_file():
        found = sorted(p.name for p in folder.glob("*.npz")) + sorted(p.name for p in folder.glob("*.pkl"))
        seen = f"; it holds {', '.join(found[:6])}" if found else "; it holds no .npz file"
        sub = sorted(str(p.relative_to(folder)) for p in folder.glob(f"**/{name}"))
        where = f" (found {sub[0]} below it: pass that folder)" if sub else ""
        raise GenbError(f"{path} not found{seen}{where}", DOWNLOAD_HINT + " (the .npz files; genb does not read the chumpy .pkl files)")
    return path


class SmplxBody(BodyModel):
    """SMPL-X built once per process from the user's ``SMPLX_<GENDER>.npz``.

    Args:
        model_dir: folder holding ``SMPLX_NEUTRAL.npz`` (or the file itself).
        gender: "neutral", "male" or "female".
        device: torch device for the forward passes.
    """

    name = "smplx"
    shape_dim = NUM_BETAS
    licence = "SMPL-X model (MPI-IS): non-commercial research licence, https://smpl-x.is.tue.mpg.de"

    def __init__(self, model_dir: str | os.PathLike | None, gender: str = "neutral", device: str = "cpu"):
        # 1. Find and check the file, then build the smplx module.
        import smplx

        self.model_path = smplx_model_file(model_dir, gender)
        self.gender = gender
        try:
            with np.load(self.model_path, allow_pickle=False) as data:
                check_model_arrays(self.model_path, data, SMPLX_SHAPES, DOWNLOAD_HINT, "SMPL-X")
        except (OSError, ValueError, EOFError) as e:
            raise GenbError(f"{self.model_path} is not a readable SMPL-X .npz file ({e})", DOWNLOAD_HINT) from e
        self.device = torch.device(device)
        try:
            self.model = smplx.SMPLX(str(self.model_path), gender=gender, use_pca=False, flat_hand_mean=True,
                                     num_betas=NUM_BETAS, num_expression_coeffs=NUM_EXPRESSION, batch_size=1,
                                     ext="npz").to(self.device)
        except Exception as e:  # smplx asserts and raises many kinds on a bad file
            raise GenbError(f"smplx could not load {self.model_path}: {type(e).__name__}: {e}", DOWNLOAD_HINT) from e
        self.model.eval()
        with np.load(self.model_path, allow_pickle=False) as data:
            self._hands_mean = (np.asarray(data["hands_meanl"], np.float64).reshape(45),
                                np.asarray(data["hands_meanr"], np.float64).reshape(45))

        # 2. Topology, joints, parts, keypoints.
        from smplx.joint_names import JOINT_NAMES

        self.faces = np.asarray(self.model.faces, np.int32)
        self.num_joints = int(self.model.J_regressor.shape[0])  # 55
        self.joint_names = tuple(JOINT_NAMES[: self.num_joints])
        rig = load_yaml_asset("rigs", "smplx.yaml")
        self.vertex_parts = self._vertex_parts(rig["parts"])
        self._body25 = np.array([(v, v) if isinstance(v, int) else tuple(v) for v in (rig["body25"][n] for n in BODY25)])
        body_names = self.joint_names[1 : NUM_BODY_JOINTS + 1]
        self._sem_to_body = []  # (semantic index, body_pose joint index)
        for s, sem in enumerate(SEMANTIC_JOINTS):
            joint = rig["semantic_to_joints"][sem]
            if sem == "pelvis":
                continue
            self._sem_to_body.append((s, body_names.index(joint)))
        self._pelvis = SEMANTIC_JOINTS.index("pelvis")

        # 3. Shape space in numpy, for rest joints and statures without a forward pass.
        self._v_template = self.model.v_template.detach().cpu().double().numpy()
        self._shapedirs = self.model.shapedirs.detach().cpu().double().numpy()  # (V, 3, 10)
        self._j_regressor = self.model.J_regressor.detach().cpu().double().numpy()
        self._j0_template = self._j_regressor[0] @ self._v_template
        self._j0_dirs = np.einsum("v,vcb->cb", self._j_regressor[0], self._shapedirs)  # (3, 10)
        rest = self._v_template
        torso = np.isin(self.vertex_parts, [PART_INDEX["torso"]])
        self._torso = torso
        self._template_girth = self._girth(rest[None])[0]
        self._grip_poses = self._grip_hand_poses()

    # ------------------------------------------------------------------ helpers
    def _grip_hand_poses(self) -> dict[str, np.ndarray]:
        """Per grip (:data:`~genb.render.bodies.grips.GRIP_CURLS`) the (2, 45) absolute hand poses
        (left, right; ``flat_hand_mean`` axis-angles in SMPL-X's joint order: index, middle, pinky,
        ring, thumb, knuckle to tip) that curl a flat hand into the grip, from the rest joints."""
        J = self._j_regressor @ self._v_template  # (55, 3) rest joints, SMPL-X frame
        order = ("thumb", "index", "middle", "ring", "pinky")  # grips' order: thumb first
        out = {g: np.zeros((2, 45)) for g in GRIP_CURLS}
        for s, side in enumerate(SIDES):
            first = self.joint_names.index(f"{side}_index1")  # the side's 15 hand joints follow
            idx = np.array([[self.joint_names.index(f"{side}_{f}{k}") for k in (1, 2, 3)] for f in order])
            h = J[idx]  # (5, 3, 3)
            chain = finger_chain(h)  # (5, 4, 3)
            for g in GRIP_CURLS:
                aa = matrix_to_axis_angle(grip_rotations(g, chain, J[self.joint_names.index(f"{side}_wrist")]))
                pose = np.zeros((15, 3))
                pose[(idx - first).reshape(-1)] = aa.reshape(-1, 3)
                out[g][s] = pose.reshape(-1)
        return out

    def _vertex_parts(self, table: dict[str, str]) -> np.ndarray:
        weights = self.model.lbs_weights.detach().cpu().numpy()
        top = np.argmax(weights, axis=1)
        joint_part = np.zeros(self.num_joints, np.uint8)
        for j, name in enumerate(self.joint_names):
            if name in table:
                part = table[name]
            else:  # finger joints
                part = table["left_fingers" if name.startswith("left") else "right_fingers"]
            joint_part[j] = PART_INDEX[part]
        return joint_part[top]

    def shaped_vertices(self, betas: np.ndarray) -> np.ndarray:
        """(P, V, 3) rest-pose vertices (SMPL-X frame, y up) of (P, 10) betas."""
        return self._v_template[None] + np.einsum("vcb,pb->pvc", self._shapedirs, np.asarray(betas, np.float64))

    def rest_pelvis(self, betas: np.ndarray) -> np.ndarray:
        """(P, 3) rest pelvis joint ``J0`` of (P, 10) betas, SMPL-X frame, metres."""
        return self._j0_template[None] + np.asarray(betas, np.float64) @ self._j0_dirs.T

    def _girth(self, verts: np.ndarray) -> np.ndarray:
        """(P,) mean horizontal distance of the torso vertices from the torso's axis, metres."""
        t = verts[:, self._torso]
        centre = t.mean(1, keepdims=True)
        d = t - centre
        return np.sqrt(d[..., 0] ** 2 + d[..., 2] ** 2).mean(1)

    # ------------------------------------------------------------------ BodyModel API
    def sample_shapes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, 10) float32 betas: beta0 and beta1 (stature and girth on SMPL-X) drawn wide
        (sd 1.3, 15% from +-[2, 3.5]), the others N(0, 0.8), all within +-4."""
        betas = rng.normal(0.0, 0.8, size=(n, NUM_BETAS))
        betas[:, :2] = rng.normal(0.0, 1.3, size=(n, 2))
        wide = rng.uniform(size=(n, 2)) < 0.15
        extreme = rng.uniform(2.0, 3.5, size=(n, 2)) * rng.choice([-1.0, 1.0], size=(n, 2))
        betas[:, :2] = np.where(wide, extreme, betas[:, :2])
        return np.clip(betas, -4.0, 4.0).astype(np.float32)

    def statures(self, betas: np.ndarray) -> np.ndarray:
        """(P,) standing height in metres (rest pose, top of the head to the soles) of (P, 10) betas."""
        v = self.shaped_vertices(np.asarray(betas).reshape(-1, NUM_BETAS))
        return v[..., 1].max(1) - v[..., 1].min(1)

    def describe_shapes(self, shapes: np.ndarray) -> list[dict[str, Any]]:
        betas = np.asarray(shapes, np.float64).reshape(-1, NUM_BETAS)
        verts = self.shaped_vertices(betas)
        heights = verts[..., 1].max(1) - verts[..., 1].min(1)
        girth = self._girth(verts) / self._template_girth
        out = []
        for h, g in zip(heights, girth):
            out.append({
                "gender": self.gender,
                "age_group": "child" if h < 1.35 else "adult",
                "build": "heavy" if g > 1.12 else "slim" if g < 0.92 else "average",
                "height_m": round(float(h), 3),
            })
        return out

    def semantic_to_native(self, rotations: np.ndarray) -> dict[str, np.ndarray]:
        """(P, 20, 3, 3) semantic rotations -> ``global_orient`` (P, 3) in the world frame
        (pelvis rotation with ``SEMANTIC_TO_WORLD`` folded in) and ``body_pose`` (P, 63)."""
        R = np.asarray(rotations, np.float64)
        if R.shape[1:] != (len(SEMANTIC_JOINTS), 3, 3):
            raise ValueError(f"rotations must be (P, {len(SEMANTIC_JOINTS)}, 3, 3), got {R.shape}")
        P = len(R)
        body = np.zeros((P, NUM_BODY_JOINTS, 3))
        for s, j in self._sem_to_body:
            body[:, j] = matrix_to_axis_angle(R[:, s])
        global_orient = matrix_to_axis_angle(SEMANTIC_TO_WORLD @ R[:, self._pelvis])
        return {"global_orient": global_orient, "body_pose": body.reshape(P, -1)}

    def pose(self, shapes: np.ndarray, rotations: np.ndarray, motion: list[dict[str, Any] | None] | None = None,
             grips: list[dict[str, str] | None] | None = None) -> PosedBodies:
        """Pose P bodies (see :meth:`BodyModel.pose`).

        Args:
            grips: optional, per person None or ``{side: grip}``: that hand's pose becomes the grip
                (:meth:`_grip_hand_poses`, saved as ``left/right_hand_pose``); other hands keep the
                model's relaxed ``hands_mean``.
            motion: optional, per person, a motion-capture frame from
                :func:`~genb.render.bodies.motion.sample_motion_pose` (or None to keep the
                semantic pose): its native body pose, root tilt and hand poses replace the
                semantic rotations of that person.
        """
        native = self.semantic_to_native(rotations)
        go, body_pose = native["global_orient"], native["body_pose"]
        left = right = None
        if motion is not None and any(frame is not None for frame in motion):
            P = len(go)
            left, right = np.tile(self._hands_mean[0], (P, 1)), np.tile(self._hands_mean[1], (P, 1))
            for p, frame in enumerate(motion):
                if frame is None:
                    continue
                go[p] = matrix_to_axis_angle(SEMANTIC_TO_WORLD @ axis_angle_to_matrix(np.asarray(frame["global_orient"], np.float64)))
                body_pose[p] = np.asarray(frame["body_pose"], np.float64).reshape(-1)
                left[p] = frame.get("left_hand_pose", left[p])
                right[p] = frame.get("right_hand_pose", right[p])
        if grips is not None and any(grips):
            hands = self._hands_with_grips(len(go), grips, left, right)
            left, right = hands[0], hands[1]
        return self.pose_native(shapes, go, body_pose, left, right, world_orient=True)

    def _hands_with_grips(self, P: int, grips: list[dict[str, str] | None], left: np.ndarray | None,
                          right: np.ndarray | None) -> np.ndarray:
        """(2, P, 45) left and right hand poses: ``left``/``right`` (P, 45) or the relaxed mean where
        None, with the holding hands of ``grips`` (per person None or {side: grip}) set to the grip."""
        hands = np.stack([np.tile(self._hands_mean[0], (P, 1)) if left is None else np.array(left, np.float64),
                          np.tile(self._hands_mean[1], (P, 1)) if right is None else np.array(right, np.float64)])
        for p, grip in enumerate(grips):
            for side, name in (grip or {}).items():
                s = SIDES.index(side)
                hands[s, p] = self._grip_poses[name][s]
        return hands

    def pose_native(self, shapes: np.ndarray, global_orient: np.ndarray, body_pose: np.ndarray,
                    left_hand_pose: np.ndarray | None = None, right_hand_pose: np.ndarray | None = None,
                    world_orient: bool = False) -> PosedBodies:
        """Pose P bodies from SMPL-X parameters (e.g. motion-capture frames).

        Args:
            shapes: (P, 10) betas.
            global_orient: (P, 3) axis-angle; in the semantic frame (y up) unless
                ``world_orient``, when it already maps to genb's Z-up world frame.
            body_pose: (P, 63) axis-angle of the 21 body joints.
            left_hand_pose, right_hand_pose: (P, 45) absolute axis-angles; the model's
                relaxed ``hands_mean`` when None.
        Returns:
            bodies with the pelvis at the world origin.
        """
        betas = np.asarray(shapes, np.float64).reshape(-1, NUM_BETAS)
        P = len(betas)
        go = np.asarray(global_orient, np.float64).reshape(P, 3)
        if not world_orient:
            go = matrix_to_axis_angle(SEMANTIC_TO_WORLD @ axis_angle_to_matrix(go))
        params = {
            "global_orient": go,
            "body_pose": np.asarray(body_pose, np.float64).reshape(P, NUM_BODY_JOINTS * 3),
            "left_hand_pose": np.broadcast_to(self._hands_mean[0] if left_hand_pose is None else left_hand_pose, (P, 45)).copy(),
            "right_hand_pose": np.broadcast_to(self._hands_mean[1] if right_hand_pose is None else right_hand_pose, (P, 45)).copy(),
            "jaw_pose": np.zeros((P, 3)),
            "betas": betas,
            "expression": np.zeros((P, NUM_EXPRESSION)),
            "transl": -self.rest_pelvis(betas),
        }
        vertices, joints, keypoints = self._forward(params)
        return PosedBodies(vertices=vertices, joints=joints, keypoints=keypoints,
                           params={k: v.astype(np.float32) for k, v in params.items()})

    def transform_params(self, params: dict[str, np.ndarray], rotation: np.ndarray, translation: np.ndarray) -> dict[str, np.ndarray]:
        P = len(params["global_orient"])
        R = np.broadcast_to(np.asarray(rotation, np.float64), (P, 3, 3))
        t = np.broadcast_to(np.asarray(translation, np.float64), (P, 3))
        dtype = np.asarray(params["global_orient"]).dtype
        go = axis_angle_to_matrix(np.asarray(params["global_orient"], np.float64))
        j0 = self.rest_pelvis(np.asarray(params["betas"], np.float64))
        transl = np.asarray(params["transl"], np.float64)
        out = dict(params)
        out["global_orient"] = matrix_to_axis_angle(R @ go).astype(dtype)
        out["transl"] = (np.einsum("pij,pj->pi", R, j0 + transl) + t - j0).astype(dtype)
        return out

    def forward_params(self, params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        vertices, _, keypoints = self._forward(params)
        return vertices, keypoints

    # ------------------------------------------------------------------ forward
    def _forward(self, params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vertices (P, V, 3), joints (P, 55, 3), BODY25 keypoints (P, 25, 3), float32."""
        P = len(params["betas"])
        if P == 0:
            return (np.zeros((0, len(self.vertex_parts), 3), np.float32), np.zeros((0, self.num_joints, 3), np.float32),
                    np.zeros((0, 25, 3), np.float32))
        names = ("global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "jaw_pose", "leye_pose",
                 "reye_pose", "betas", "expression", "transl")
        kwargs = {}
        for k in names:
            if k in params:
                kwargs[k] = torch.as_tensor(np.asarray(params[k], np.float32), device=self.device).reshape(P, -1)
        for k, dim in (("jaw_pose", 3), ("leye_pose", 3), ("reye_pose", 3), ("expression", NUM_EXPRESSION), ("transl", 3)):
            kwargs.setdefault(k, torch.zeros((P, dim), device=self.device))
        for k, mean in (("left_hand_pose", self._hands_mean[0]), ("right_hand_pose", self._hands_mean[1])):
            kwargs.setdefault(k, torch.as_tensor(np.tile(mean, (P, 1)), dtype=torch.float32, device=self.device))
        with torch.no_grad():
            out = self.model(**kwargs)
        joints = out.joints
        body25 = 0.5 * (joints[:, self._body25[:, 0]] + joints[:, self._body25[:, 1]])
        return (out.vertices.cpu().numpy(), joints[:, : self.num_joints].cpu().numpy(), body25.cpu().numpy())
