"""A synthetic SMPL model file, shaped like the real one, loaded through ``smplx.SMPL``.

``write_synthetic_smpl(folder)`` writes ``SMPL_NEUTRAL.npz`` (V = 6890, 24 joints, 10 shape
directions, 207 pose directions) built from the same capsule figure as the synthetic SMPL-X
file of ``_fixtures_bodies`` (fewer segments so it fits SMPL's vertex count), skinned to
SMPL's 24 joints, with the vertices ``smplx`` reads as SMPL's extra keypoints (nose, eyes,
ears, toes, heels, finger tips; ``smplx.vertex_ids['smplh']``) moved to those places.
Shape directions: beta0 scales about the soles (3.5% per unit), beta1 thickens (1.2 cm per
unit), beta2 lengthens the legs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smplx.joint_names import JOINT_NAMES
from smplx.vertex_ids import vertex_ids as VERTEX_IDS

from _fixtures_bodies import _capsule, _joint_positions, write_model_file

NUM_VERTICES = 6890
SMPL_JOINTS = tuple(JOINT_NAMES[:22]) + ("left_hand", "right_hand")


def build_synthetic_smpl() -> dict[str, np.ndarray]:
    from scipy.optimize import nnls

    Jx = _joint_positions()
    names = list(JOINT_NAMES[:55])
    J = np.zeros((24, 3))
    J[:22] = Jx[:22]
    J[22], J[23] = (0.80, 0.44, 0.0), (-0.80, 0.44, 0.0)
    idx = SMPL_JOINTS.index
    parents = np.array([-1 if i == 0 else names.index(p) for i, p in enumerate(
        ["pelvis", "pelvis", "pelvis", "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee",
         "spine2", "left_ankle", "right_ankle", "spine3", "spine3", "spine3", "neck", "left_collar",
         "right_collar", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow"])] + [20, 21])
    foot_y = -0.96
    segs = []

    def seg(a, b, r, bone_a, bone_b, segments=16, rings=8, blend=0.15):
        segs.append((np.asarray(a, float), np.asarray(b, float), r, idx(bone_a), idx(bone_b), segments, rings, blend))

    for s, sx in (("left", 1), ("right", -1)):
        seg(J[idx(f"{s}_hip")], J[idx(f"{s}_knee")], (0.075, 0.08), f"{s}_hip", f"{s}_knee")
        seg(J[idx(f"{s}_knee")], J[idx(f"{s}_ankle")], (0.055, 0.058), f"{s}_knee", f"{s}_ankle")
        seg((sx * 0.10, foot_y + 0.035, -0.07), (sx * 0.11, foot_y + 0.035, 0.17), (0.045, 0.035),
            f"{s}_ankle", f"{s}_foot", blend=0.0)
        seg(J[idx(f"{s}_collar")], J[idx(f"{s}_shoulder")], (0.05, 0.05), f"{s}_collar", f"{s}_shoulder")
        seg(J[idx(f"{s}_shoulder")], J[idx(f"{s}_elbow")], (0.048, 0.05), f"{s}_shoulder", f"{s}_elbow")
        seg(J[idx(f"{s}_elbow")], J[idx(f"{s}_wrist")], (0.038, 0.04), f"{s}_elbow", f"{s}_wrist")
        seg(J[idx(f"{s}_wrist")] + (sx * 0.02, 0, 0), (sx * 0.88, 0.44, 0.0), (0.045, 0.018), f"{s}_wrist", f"{s}_hand")
    seg((0, -0.10, 0), (0, 0.12, 0), (0.15, 0.10), "pelvis", "spine1", segments=24, rings=10)
    seg((0, 0.12, -0.01), (0, 0.26, -0.01), (0.145, 0.10), "spine1", "spine2", segments=24)
    seg((0, 0.26, -0.01), (0, 0.44, -0.01), (0.16, 0.105), "spine2", "spine3", segments=24)
    seg((0, 0.44, -0.02), (0, 0.58, -0.02), (0.05, 0.05), "neck", "head")
    seg((0, 0.62, 0.02), (0, 0.70, 0.02), (0.08, 0.095), "head", "head", segments=24, rings=12)

    verts, faces, weights, seg_of = [], [], [], []
    offset = 0
    for k, (a, b, r, ba, bb, segments, rings, blend) in enumerate(segs):
        V, F, T = _capsule(a, b, r, segments, rings)
        W = np.zeros((len(V), 24))
        w_end = np.clip((T - (1 - blend)) / max(blend, 1e-9), 0, 1) * 0.5 if blend > 0 else np.zeros(len(V))
        W[:, ba] += 1 - w_end
        W[:, bb] += w_end
        verts.append(V); faces.append(F + offset); weights.append(W); seg_of.append(np.full(len(V), k))
        offset += len(V)
    V, F, W, S = np.concatenate(verts), np.concatenate(faces), np.concatenate(weights), np.concatenate(seg_of)
    assert len(V) <= NUM_VERTICES, len(V)
    pad = np.arange(NUM_VERTICES - len(V)) % len(V)
    V, W, S = np.concatenate([V, V[pad]]), np.concatenate([W, W[pad]]), np.concatenate([S, S[pad]])
    used = np.zeros(len(V), bool)
    used[F.ravel()] = True

    # Put the vertices smplx reads as SMPL's extra keypoints where those keypoints are (swap them in).
    head, feet, hands = len(segs) - 1, {"L": 2, "R": 9}, {"l": 6, "r": 13}
    targets = {"nose": ((0.0, 0.66, 0.115), head), "reye": ((-0.035, 0.69, 0.10), head),
               "leye": ((0.035, 0.69, 0.10), head), "rear": ((-0.085, 0.66, 0.02), head),
               "lear": ((0.085, 0.66, 0.02), head)}
    for side, sx in (("L", 1), ("R", -1)):
        targets[f"{side}BigToe"] = ((sx * 0.085, foot_y + 0.01, 0.19), feet[side])
        targets[f"{side}SmallToe"] = ((sx * 0.14, foot_y + 0.01, 0.15), feet[side])
        targets[f"{side}Heel"] = ((sx * 0.10, foot_y, -0.10), feet[side])
    for side, sx in (("l", 1), ("r", -1)):
        for tip, z in (("thumb", 0.015), ("index", 0.01), ("middle", 0.0), ("ring", -0.005), ("pinky", -0.01)):
            targets[f"{side}{tip}"] = ((sx * 0.92, 0.44, z), hands[side])
    perm = np.arange(len(V))  # new position -> old vertex
    taken: set[int] = set()
    for key, (point, s) in targets.items():
        cand = [c for c in np.flatnonzero((S[perm] == s) & used[perm]) if c not in taken]
        pos = cand[int(np.argmin(np.linalg.norm(V[perm[cand]] - np.asarray(point), axis=1)))]
        want = VERTEX_IDS["smplh"][key]
        perm[[want, pos]] = perm[[pos, want]]
        taken.add(want)
    inv = np.argsort(perm)
    V, W, S, F = V[perm], W[perm], S[perm], inv[F]
    used = np.zeros(len(V), bool)
    used[F.ravel()] = True

    J_reg = np.zeros((24, len(V)))
    pool = np.flatnonzero(used)
    for j in range(24):
        near = pool[np.argsort(np.linalg.norm(V[pool] - J[j], axis=1))[:150]]
        A = np.vstack([V[near].T, 10.0 * np.ones(len(near))])
        w, _ = nnls(A, np.concatenate([J[j], [10.0]]))
        J_reg[j, near] = w / w.sum()

    shapedirs = np.zeros((len(V), 3, 10))
    shapedirs[:, :, 0] = 0.035 * (V - np.array([0.0, foot_y, 0.0]))
    for k, (a, b, *_rest) in enumerate(segs):
        m = S == k
        u = (b - a) / np.linalg.norm(b - a)
        d = V[m] - a
        radial = d - (d @ u)[:, None] * u
        n = np.linalg.norm(radial, axis=1, keepdims=True)
        shapedirs[m, :, 1] = np.where(n > 1e-9, radial / np.maximum(n, 1e-9), 0.0) * 0.012
    hip_y = J[1, 1]
    shapedirs[:, 1, 2] = -0.03 * np.clip((hip_y - V[:, 1]) / (hip_y - foot_y), 0, 1)
    kintree = np.stack([np.where(parents < 0, 4294967295, parents), np.arange(24)]).astype(np.int64)
    return {"v_template": V, "f": F.astype(np.int64), "shapedirs": shapedirs, "posedirs": np.zeros((len(V), 3, 207)),
            "J_regressor": J_reg, "weights": W, "kintree_table": kintree}


def write_synthetic_smpl(folder: str | Path, gender: str = "NEUTRAL") -> Path:
    """Write ``folder/SMPL_<gender>.npz`` (see :func:`build_synthetic_smpl`); returns its path."""
    return write_model_file(folder, "SMPL", gender, build_synthetic_smpl())


@pytest.fixture(scope="session")
def synthetic_smpl_dir(tmp_path_factory) -> Path:
    """A folder holding a synthetic ``SMPL_NEUTRAL.npz`` (pass it as ``--smpl-dir``)."""
    folder = tmp_path_factory.mktemp("smpl_model")
    write_synthetic_smpl(folder)
    return folder
