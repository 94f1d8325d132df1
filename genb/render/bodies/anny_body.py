"""anny (NAVER, Apache-2.0 code, CC0 MakeHuman-derived assets): genb's default body model.

Shape: 6 phenotypes in 0..1, ``(gender, age, muscle, weight, height, proportions)``
(gender 0 = male, 1 = female; age 0 = baby, ~0.33 child, ~0.67 young adult, 1 = old).
Pose: anny's 104-bone rig in its ``local-ref`` parameterisation: each bone's rotation is
relative to its parent, written in world-aligned axes at the bone, and composes down the
chain like SMPL's (``G_bone = G_parent @ D_bone``). anny's world frame is genb's world
frame (Z up, facing -Y, left at +X), so a semantic rotation ``R`` (SMPL frame) becomes
``C R C^T`` with ``C = SEMANTIC_TO_WORLD``. anny's reference pose is an A-pose; per-bone
offsets ``O`` (``render/rigs/anny.yaml``) turn the arms onto the semantic T-pose:
``D_bone = O_parent^T (C R C^T)^f O_bone``.

Native parameters (leading dim P), in the frame of the returned geometry:
``phenotypes (P, 6)``, ``bone_rotations (P, 104, 3, 3)`` (local-ref deltas; index 0 is the
root's orientation, equal to ``root[:, :3, :3]``), ``root (P, 4, 4)`` (the root bone's pose,
which is its local-ref delta since anny's root reference orientation is the identity).
Replay: ``model(pose_parameters=D, phenotype_kwargs=phenotypes)`` with ``D[:, k] =
[bone_rotations[:, k] | 0]`` and ``D[:, 0] = root`` (see :meth:`AnnyBody.forward_params`).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import numpy as np
import torch

from genb.cache import anny_cache_dir
from genb.errors import GenbError
from genb.core.log import get_logger
from genb.render.assets import load_yaml_asset
from genb.render.bodies.base import BodyModel, PosedBodies
from genb.render.bodies.grips import GRIP_CURLS, SIDES, finger_chain, grip_rotations
from genb.render.bodies.quiet_warp import init_warp_quietly
from genb.core.conventions import BODY25, PART_INDEX, SEMANTIC_INDEX, SEMANTIC_JOINTS, SEMANTIC_TO_WORLD
from genb.render.bodies.rotations import matrix_to_axis_angle, axis_angle_to_matrix, rotation_between
from genb.render.bodies.anny_exact import StaturesMixin, rest_vertices_by_matmul

logger = get_logger(__name__)

PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")

# Share of each age group in sample_shapes, and the anny age range it draws from.
AGE_GROUPS = {
    "child": (0.14, (0.05, 0.30)),
    "teen": (0.10, (0.30, 0.50)),
    "adult": (0.56, (0.50, 0.87)),
    "senior": (0.20, (0.87, 1.00)),
}
# anny's age anchors (newborn, baby, child, young, old) and the ages in years they stand for.
_AGE_ANCHORS = np.array([-1 / 3, 0.0, 1 / 3, 2 / 3, 1.0])
_AGE_YEARS = np.array([0.0, 1.0, 11.0, 25.0, 90.0])


def _to_np(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().numpy()


@contextlib.contextmanager
def _build_lock(cache):
    """An exclusive lock on ``cache``/.genb-build.lock while anny builds or reads its cache: processes started
    together on a fresh machine (``--workers``, ranks, a test's subprocess) do not build it at once (during
    such a build in session 32, processes differed by 3e-16 in their bones' rest deltas)."""
    import fcntl

    try:
        f = open(os.path.join(cache, ".genb-build.lock"), "a")
    except OSError:  # a read-only cache another machine built: nothing to build, nothing to lock
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class AnnyBody(StaturesMixin, BodyModel):
    """anny, built once per process.

    Args:
        cache_dir: where anny keeps its build cache (~800 MB, built once in 1-5 minutes on a
            2-core CPU; default ``$ANNY_CACHE_DIR``, else ``$XDG_CACHE_HOME/anny``, else ``~/.cache/anny``).
        device: torch device for the forward passes.
    """

    name = "anny"
    shape_dim = 6
    licence = "anny body model: Apache-2.0 code (NAVER), CC0 assets derived from MakeHuman"

    def __init__(self, cache_dir: str | os.PathLike | None = None, device: str = "cpu"):
        # 1. Point anny at its cache and build the model (fast once the cache exists).
        init_warp_quietly()  # before anny's own warp.init(): no banner, no CUDA warning on a CPU machine
        import anny
        import anny.paths

        # anny itself ignores XDG_CACHE_HOME: always tell it where its cache is
        cache_dir = os.path.expanduser(str(cache_dir if cache_dir is not None else anny_cache_dir()))
        try:
            os.makedirs(cache_dir, exist_ok=True)
        except OSError as e:
            raise GenbError(f"cannot create the anny cache folder {cache_dir}: {e}",
                            "pass a writable folder with --anny-cache-dir (it needs ~800 MB)") from e
        anny.paths.set_anny_cache_path(cache_dir)
        cache = anny.paths.get_anny_cache_path()
        if not any(cache.iterdir()):
            logger.info("building anny's model cache in %s (once: ~800 MB; about 1 minute on an idle 2-core CPU, "
                        "up to 5 on a busy one)", cache)
        try:
            with _build_lock(cache):  # one process builds the cache; the others wait, then read what it wrote
                self.model = anny.Anny().to(device)
        except OSError as e:
            raise GenbError(f"anny could not build or read its cache in {cache}: {e}",
                            "free disk space or pass another folder with --anny-cache-dir") from e
        self.model.eval()
        rest_vertices_by_matmul(self.model)
        self.device = torch.device(device)
        self.dtype = self.model.dtype  # float64
        self.keypoint_regressor = anny.KeypointsRegressor.coco(self.model).to(device)
        if list(self.model.phenotype_labels) != list(PHENOTYPES):
            raise GenbError(f"unexpected anny phenotypes {self.model.phenotype_labels}",
                            "install the anny version genb was tested with (anny>=0.6)")

        # 2. Topology, rig, parts.
        self.faces = _to_np(self.model.get_triangular_faces()).astype(np.int32)
        self.bone_labels: list[str] = list(self.model.bone_labels)
        self.bone_parents = np.array([int(p) for p in self.model.bone_parents])
        self.joint_names = tuple(self.bone_labels)
        self.num_bones = len(self.bone_labels)
        rig = load_yaml_asset("rigs", "anny.yaml")
        self.vertex_parts = self._vertex_parts(rig["parts"])
        ref = self.model.reference_bone_orientations
        if ref is not None and not torch.allclose(ref[0], torch.eye(3, dtype=ref.dtype, device=ref.device)):
            raise GenbError("anny's root reference orientation is not the identity", "install anny>=0.6,<0.7")

        # 3. Keypoints: COCO(+feet) regressor -> BODY25 (neck, mid_hip as midpoints).
        labels = list(self.keypoint_regressor.labels)
        self._body25_pairs = np.zeros((len(BODY25), 2), np.int64)
        for k, name in enumerate(BODY25):
            if name == "neck":
                self._body25_pairs[k] = labels.index("left_shoulder"), labels.index("right_shoulder")
            elif name == "mid_hip":
                self._body25_pairs[k] = labels.index("left_hip"), labels.index("right_hip")
            else:
                self._body25_pairs[k] = labels.index(name), labels.index(name)

        # 4. Semantic joints -> bones (with fractions) and the A-pose -> T-pose offsets.
        self._mapped_bones, self._mapped_sem, self._mapped_frac = [], [], []
        for sem, bones in rig["semantic_to_bones"].items():
            for bone, frac in bones.items():
                self._mapped_bones.append(self.bone_labels.index(bone))
                self._mapped_sem.append(SEMANTIC_INDEX[sem])
                self._mapped_frac.append(float(frac))
        if self._mapped_bones[0] != 0 or self._mapped_sem[0] != SEMANTIC_INDEX["pelvis"]:
            raise GenbError("render/rigs/anny.yaml must map pelvis to the root bone first", "restore the file")
        self._offsets = self._tpose_offsets(rig["tpose_offsets"])
        parent = np.where(self.bone_parents < 0, 0, self.bone_parents)
        # Rest deltas O_parent^T O_bone (identity except where an offset starts), and the
        # parent offsets of the mapped bones.
        self._base_delta = np.einsum("bji,bjk->bik", self._offsets[parent], self._offsets)
        self._base_delta[0] = np.eye(3)
        self._mapped_parent_offset = self._offsets[parent[self._mapped_bones]]
        self._mapped_offset = self._offsets[self._mapped_bones]
        self._stature_ids = self._stature_vertices()
        self._finger_bones, self._grip_rotations = self._finger_chains()
        self.palm_mask = self._palm_mask()

    # ------------------------------------------------------------------ setup helpers
    def _vertex_parts(self, table: list[list[str]]) -> np.ndarray:
        weights = _to_np(self.model.vertex_bone_weights)
        indices = _to_np(self.model.vertex_bone_indices)
        top_bone = indices[np.arange(len(indices)), np.argmax(weights, axis=1)]
        bone_part = np.zeros(self.num_bones, np.uint8)
        for b, label in enumerate(self.bone_labels):
            part = next((p for prefix, p in table if label.startswith(prefix)), "torso")
            if part not in ("head", "torso"):
                side = "left" if label.endswith(".L") else "right"
                part = f"{side}_{part}"
            bone_part[b] = PART_INDEX[part]
        return bone_part[top_bone]

    def _finger_chains(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per side (left, right) the (5, 3) finger bones (thumb first, knuckle to tip) and per grip
        their (2, 5, 3, 3, 3) local rotations in anny's reference frame (:func:`~genb.render.bodies.grips.grip_rotations`)."""
        heads = self._reference_joints()
        bones = np.zeros((2, 5, 3), np.int64)
        rots = {g: np.zeros((2, 5, 3, 3, 3)) for g in GRIP_CURLS}
        for s, side in enumerate("LR"):
            idx = np.array([[self.bone_labels.index(f"finger{f}-{j}.{side}") for j in (1, 2, 3)] for f in range(1, 6)])
            h = heads[idx]  # (5, 3, 3)
            chain = finger_chain(h)  # (5, 4, 3)
            bones[s] = idx
            for g in GRIP_CURLS:
                rots[g][s] = grip_rotations(g, chain, heads[self.bone_labels.index(f"wrist.{side}")])
        return bones, rots

    def _palm_mask(self, bones: tuple[str, ...] = ("wrist", "metacarpal")) -> np.ndarray:
        """(V,) bool: vertices skinned mostly to a wrist or metacarpal bone (the palm and back of the hand),
        or to the bones whose labels start with ``bones``."""
        weights = _to_np(self.model.vertex_bone_weights)
        indices = _to_np(self.model.vertex_bone_indices)
        top = indices[np.arange(len(indices)), np.argmax(weights, axis=1)]
        palm = [b for b, label in enumerate(self.bone_labels) if label.startswith(bones)]
        return np.isin(top, palm)

    def apply_grips(self, D: np.ndarray, grips: list[dict[str, str] | None]) -> np.ndarray:
        """Curl the fingers of the hands that hold something: (P, 104, 3, 3) deltas, modified in place.

        Args:
            D: (P, 104, 3, 3) local-ref deltas. grips: per person None or {side: grip name}
                (:data:`~genb.render.bodies.grips.GRIP_CURLS`).
        """
        for p, grip in enumerate(grips):
            for side, name in (grip or {}).items():
                s = SIDES.index(side)
                D[p, self._finger_bones[s]] = self._grip_rotations[name][s] @ D[p, self._finger_bones[s]]
        return D

    def _reference_joints(self) -> np.ndarray:
        """(104, 3) bone heads of an average adult in anny's reference pose (identity deltas)."""
        with torch.no_grad():
            out = self.model(phenotype_kwargs=torch.full((1, 6), 0.5, dtype=self.dtype, device=self.device))
        return _to_np(out["bone_poses"][0, :, :3, 3])

    def _tpose_offsets(self, table: list[dict[str, Any]]) -> np.ndarray:
        """(104, 3, 3) offset O per bone, in anny's world frame; bones inherit their parent's."""
        heads = self._reference_joints()
        own: dict[int, np.ndarray] = {}
        offsets = np.tile(np.eye(3), (self.num_bones, 1, 1))

        def inherited(b: int) -> np.ndarray:
            while b > 0 and b not in own:
                b = int(self.bone_parents[b])
            return own.get(b, np.eye(3))

        for entry in table:
            b, to = self.bone_labels.index(entry["bone"]), self.bone_labels.index(entry["to"])
            parent_offset = inherited(int(self.bone_parents[b]))
            direction = parent_offset @ (heads[to] - heads[b])  # after the parent's offset
            own[b] = rotation_between(direction, np.asarray(entry["direction"], float)) @ parent_offset
        for b in range(self.num_bones):
            offsets[b] = inherited(b)
        return offsets

    # ------------------------------------------------------------------ BodyModel API
    def rest_shape(self) -> np.ndarray:
        """(1, 6) float32: every phenotype at the middle of its range (0.5)."""
        return np.full((1, self.shape_dim), 0.5, np.float32)

    def sample_shapes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, 6) float32 phenotypes: children, teens, adults and seniors of both genders,
        slim to heavy, weak to muscular, short to tall.

        Adults' and seniors' heights are drawn in metres (men ~N(1.76, 0.09), women
        ~N(1.63, 0.08), seniors 3 cm less) and turned into anny's height phenotype; children
        and teens draw the phenotype itself, so their stature follows their age.
        """
        groups = list(AGE_GROUPS)
        probs = np.array([AGE_GROUPS[g][0] for g in groups])
        group = rng.choice(len(groups), size=n, p=probs / probs.sum())
        lo = np.array([AGE_GROUPS[groups[g]][1][0] for g in group])
        hi = np.array([AGE_GROUPS[groups[g]][1][1] for g in group])
        age = rng.uniform(lo, hi)
        gender = rng.beta(0.4, 0.4, size=n)  # mostly clearly male or female, some in between

        def build(loc: float) -> np.ndarray:
            # 70% around the average, 15% low, 15% high.
            u = rng.uniform(size=n)
            return np.where(u < 0.15, rng.uniform(0.0, 0.3, n),
                            np.where(u > 0.85, rng.uniform(0.7, 1.0, n), np.clip(rng.normal(loc, 0.13, n), 0.0, 1.0)))

        muscle, weight = build(0.5), build(0.45)
        proportions = rng.uniform(0.2, 0.8, size=n)
        height = np.clip(rng.normal(0.5, 0.15, n), 0.05, 0.95)
        shapes = np.stack([gender, age, muscle, weight, height, proportions], 1)

        grown = np.array([groups[g] in ("adult", "senior") for g in group])
        if grown.any():
            target = 1.76 - 0.13 * gender + rng.normal(0.0, 1.0, n) * (0.09 - 0.01 * gender)
            target = target - 0.03 * np.array([groups[g] == "senior" for g in group])
            low, high = shapes.copy(), shapes.copy()
            low[:, 4], high[:, 4] = 0.0, 1.0
            s = self.statures(np.concatenate([low[grown], high[grown]]))
            s0, s1 = s[: grown.sum()], s[grown.sum():]
            shapes[grown, 4] = np.clip((target[grown] - s0) / (s1 - s0), 0.0, 1.0)
        return shapes.astype(np.float32)

    def describe_shapes(self, shapes: np.ndarray) -> list[dict[str, Any]]:
        shapes = np.asarray(shapes, np.float64).reshape(-1, 6)
        heights = self.statures(shapes) if len(shapes) else np.zeros(0)
        out = []
        for (g, age, muscle, weight, _, _), h in zip(shapes, heights):
            years = float(np.interp(age, _AGE_ANCHORS, _AGE_YEARS))
            group = "child" if age < 0.30 else "teen" if age < 0.50 else "adult" if age < 0.87 else "senior"
            out.append({
                "gender": "male" if g < 0.35 else "female" if g > 0.65 else "neutral",
                "age_group": group,
                "age_years": round(years, 1),
                "build": "heavy" if weight > 0.68 else "slim" if weight < 0.32 else "average",
                "muscular": bool(muscle > 0.7),
                "height_m": round(float(h), 3),
            })
        return out

    def semantic_to_native(self, rotations: np.ndarray) -> np.ndarray:
        """(P, 20, 3, 3) semantic rotations -> (P, 104, 3, 3) anny local-ref deltas (float64)."""
        R = np.asarray(rotations, np.float64)
        if R.shape[1:] != (len(SEMANTIC_JOINTS), 3, 3):
            raise ValueError(f"rotations must be (P, {len(SEMANTIC_JOINTS)}, 3, 3), got {R.shape}")
        C = SEMANTIC_TO_WORLD
        Rw = C @ R[:, self._mapped_sem] @ C.T  # (P, M, 3, 3) in anny's world axes
        frac = np.asarray(self._mapped_frac)
        if np.any(frac != 1.0):
            Rw = axis_angle_to_matrix(matrix_to_axis_angle(Rw) * frac[None, :, None])
        D = np.broadcast_to(self._base_delta, (len(R), self.num_bones, 3, 3)).copy()
        D[:, self._mapped_bones] = np.swapaxes(self._mapped_parent_offset, -1, -2) @ Rw @ self._mapped_offset
        return D

    def pose(self, shapes: np.ndarray, rotations: np.ndarray, motion: list[dict[str, Any] | None] | None = None,
             grips: list[dict[str, str] | None] | None = None) -> PosedBodies:
        """Pose P bodies (see :meth:`BodyModel.pose`).

        Args:
            motion: optional, per person, a motion-capture frame from
                :func:`~genb.render.bodies.motion.sample_motion_pose` (or None): its semantic
                ``rotations`` replace that person's (toes and fingers are not transferred).
            grips: optional, per person None or ``{side: grip}``: those hands' fingers curl
                (:meth:`apply_grips`); the curl is in ``bone_rotations``.
        """
        if motion is not None and any(frame is not None for frame in motion):
            rotations = np.array(rotations, np.float64)
            for p, frame in enumerate(motion):
                if frame is not None:
                    rotations[p] = frame["rotations"]
        D = self.semantic_to_native(rotations)
        if grips is not None and any(grips):
            D = self.apply_grips(D, grips)
        root = np.tile(np.eye(4), (len(D), 1, 1))
        root[:, :3, :3] = D[:, 0]
        params = {"phenotypes": np.asarray(shapes, np.float64).reshape(-1, 6), "bone_rotations": D, "root": root}
        vertices, joints, keypoints = self._forward(params)
        return PosedBodies(vertices=vertices, joints=joints, keypoints=keypoints,
                           params={k: v.astype(np.float32) for k, v in params.items()})

    def transform_params(self, params: dict[str, np.ndarray], rotation: np.ndarray, translation: np.ndarray) -> dict[str, np.ndarray]:
        P = len(params["root"])
        T = np.tile(np.eye(4), (P, 1, 1))
        T[:, :3, :3] = np.broadcast_to(np.asarray(rotation, np.float64), (P, 3, 3))
        T[:, :3, 3] = np.broadcast_to(np.asarray(translation, np.float64), (P, 3))
        out = dict(params)
        root = T @ np.asarray(params["root"], np.float64)
        rots = np.array(params["bone_rotations"], np.float64)
        rots[:, 0] = root[:, :3, :3]
        dtype = np.asarray(params["root"]).dtype
        out["root"], out["bone_rotations"] = root.astype(dtype), rots.astype(dtype)
        return out

    def forward_params(self, params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        vertices, _, keypoints = self._forward(params)
        return vertices, keypoints

    # ------------------------------------------------------------------ forward
    def _forward(self, params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vertices (P, V, 3), joints (P, 104, 3), BODY25 keypoints (P, 25, 3), float32."""
        phen = torch.as_tensor(np.asarray(params["phenotypes"], np.float64), dtype=self.dtype, device=self.device)
        rots = torch.as_tensor(np.asarray(params["bone_rotations"], np.float64), dtype=self.dtype, device=self.device)
        root = torch.as_tensor(np.asarray(params["root"], np.float64), dtype=self.dtype, device=self.device)
        P = len(phen)
        if P == 0:
            V = len(self.vertex_parts)
            return np.zeros((0, V, 3), np.float32), np.zeros((0, self.num_bones, 3), np.float32), np.zeros((0, 25, 3), np.float32)
        delta = torch.zeros((P, self.num_bones, 4, 4), dtype=self.dtype, device=self.device)
        delta[:, :, :3, :3] = rots
        delta[:, :, 3, 3] = 1.0
        delta[:, 0] = root
        with torch.no_grad():
            out = self.model(pose_parameters=delta, phenotype_kwargs=phen)
            coco = self.keypoint_regressor(out)
        self._keep_statures(params["phenotypes"], out.get("rest_vertices"))
        pairs = torch.as_tensor(self._body25_pairs, device=self.device)
        body25 = 0.5 * (coco[:, pairs[:, 0]] + coco[:, pairs[:, 1]])
        return (_to_np(out["vertices"]).astype(np.float32), _to_np(out["bone_poses"][..., :3, 3]).astype(np.float32),
                _to_np(body25).astype(np.float32))
