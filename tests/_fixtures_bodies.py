"""Body model fixtures: a synthetic SMPL-X file loaded through the real ``smplx`` path, and anny.

``write_synthetic_smplx(folder)`` writes ``SMPLX_NEUTRAL.npz`` with every key ``smplx`` reads,
shaped like the real file (V = 10475, 55 joints, 400 shape+expression directions, 486 pose
directions). The body is a 1.7 m T-posed figure of capsules in SMPL-X's rest frame (x left,
y up, z forward), each capsule skinned to its bone (blended near the joints), with the
vertices that ``smplx`` picks as keypoints (nose, eyes, ears, toes, heels, finger tips) moved
to those places, so renders and keypoints mean something. Shape directions: beta0 scales the
body about the soles (3.5% per unit), beta1 thickens it (1.2 cm per unit, torso 2 cm),
beta2 lengthens the legs; the others are zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smplx.joint_names import JOINT_NAMES
from smplx.vertex_ids import vertex_ids as SMPLX_VERTEX_IDS

NUM_VERTICES = 10475
NUM_JOINTS = 55

# Left-side and centre joints (x left, y up, z forward), metres; right side mirrors x.
_LEFT = {
    "pelvis": (0.0, 0.0, 0.0), "left_hip": (0.09, -0.08, 0.0), "spine1": (0.0, 0.11, -0.02),
    "left_knee": (0.10, -0.48, 0.01), "spine2": (0.0, 0.24, -0.01), "left_ankle": (0.10, -0.87, -0.02),
    "spine3": (0.0, 0.31, 0.0), "left_foot": (0.11, -0.93, 0.10), "neck": (0.0, 0.50, -0.02),
    "left_collar": (0.07, 0.42, -0.01), "head": (0.0, 0.58, 0.0), "left_shoulder": (0.18, 0.44, -0.02),
    "left_elbow": (0.44, 0.44, -0.03), "left_wrist": (0.68, 0.44, -0.02), "jaw": (0.0, 0.59, 0.04),
    "left_eye_smplhf": (0.033, 0.665, 0.085),
}
_FINGER_Z = {"index": 0.03, "middle": 0.01, "ring": -0.01, "pinky": -0.03}
for _f, _z in _FINGER_Z.items():
    for _k in range(3):
        _LEFT[f"left_{_f}{_k + 1}"] = (0.77 + 0.025 * _k, 0.44, _z)
for _k in range(3):
    _LEFT[f"left_thumb{_k + 1}"] = (0.71 + 0.02 * _k, 0.43, 0.05 + 0.015 * _k)


def _joint_positions() -> np.ndarray:
    J = np.zeros((NUM_JOINTS, 3))
    for i, name in enumerate(JOINT_NAMES[:NUM_JOINTS]):
        if name in _LEFT:
            J[i] = _LEFT[name]
        else:
            mirror = name.replace("right", "left")
            J[i] = _LEFT[mirror] * np.array([-1.0, 1.0, 1.0])
    return J


def _parents() -> np.ndarray:
    p = {"pelvis": -1, "left_hip": "pelvis", "right_hip": "pelvis", "spine1": "pelvis", "left_knee": "left_hip",
         "right_knee": "right_hip", "spine2": "spine1", "left_ankle": "left_knee", "right_ankle": "right_knee",
         "spine3": "spine2", "left_foot": "left_ankle", "right_foot": "right_ankle", "neck": "spine3",
         "left_collar": "spine3", "right_collar": "spine3", "head": "neck", "left_shoulder": "left_collar",
         "right_shoulder": "right_collar", "left_elbow": "left_shoulder", "right_elbow": "right_shoulder",
         "left_wrist": "left_elbow", "right_wrist": "right_elbow", "jaw": "head", "left_eye_smplhf": "head",
         "right_eye_smplhf": "head"}
    names = list(JOINT_NAMES[:NUM_JOINTS])
    out = np.zeros(NUM_JOINTS, np.int64)
    for i, n in enumerate(names):
        if n in p:
            out[i] = -1 if p[n] == -1 else names.index(p[n])
        else:  # finger joint: previous knuckle, or the wrist
            side = n.split("_")[0]
            k = int(n[-1])
            out[i] = names.index(f"{side}_wrist") if k == 1 else names.index(n[:-1] + str(k - 1))
    return out


def _capsule(a, b, radii, segments: int, rings: int):
    """Vertices and faces of an elliptical capsule from a to b (radii: (r_side, r_front))."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    axis = b - a
    length = np.linalg.norm(axis)
    u = axis / length
    helper = np.array([0.0, 0.0, 1.0]) if abs(u[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(u, helper); e1 /= np.linalg.norm(e1)
    e2 = np.cross(u, e1)
    # e1/e2 give the cross-section; pick the one closest to x as the "side" axis.
    if abs(e2[0]) > abs(e1[0]):
        e1, e2 = e2, e1
    r1, r2 = radii
    r_axial = min(r1, r2)
    theta = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    # latitude from -pi/2 (cap at a) to +pi/2 (cap at b), with the cylinder in between
    phis = np.linspace(-np.pi / 2, np.pi / 2, rings)[1:-1]
    verts, ts = [], []
    for phi in phis:
        t = 0.0 if phi < 0 else 1.0
        ring_centre = a + axis * t + u * r_axial * np.sin(phi)
        scale = np.cos(phi)
        pts = ring_centre + scale * (np.cos(theta)[:, None] * e1 * r1 + np.sin(theta)[:, None] * e2 * r2)
        verts.append(pts)
        ts.append(np.full(segments, t + r_axial * np.sin(phi) / length))
    # Cylinder body: extra rings between the two caps.
    n_body = max(2, int(length / 0.02))
    caps_lo = [v for v, p in zip(verts, phis) if p < 0]
    caps_hi = [v for v, p in zip(verts, phis) if p >= 0]
    t_lo = [t for t, p in zip(ts, phis) if p < 0]
    t_hi = [t for t, p in zip(ts, phis) if p >= 0]
    body, t_body = [], []
    for s in np.linspace(0, 1, n_body + 2)[1:-1]:
        centre = a + axis * s
        body.append(centre + np.cos(theta)[:, None] * e1 * r1 + np.sin(theta)[:, None] * e2 * r2)
        t_body.append(np.full(segments, s))
    rings_v = caps_lo + body + caps_hi
    rings_t = t_lo + t_body + t_hi
    V = np.concatenate([a[None] - u * r_axial] + rings_v + [b[None] + u * r_axial])
    T = np.concatenate([[-r_axial / length]] + rings_t + [[1 + r_axial / length]])
    F = []
    n = len(rings_v)
    for j in range(segments):
        k = (j + 1) % segments
        F.append([0, 1 + k, 1 + j])
        for r in range(n - 1):
            i0, i1 = 1 + r * segments, 1 + (r + 1) * segments
            F.append([i0 + j, i0 + k, i1 + j])
            F.append([i0 + k, i1 + k, i1 + j])
        last = 1 + (n - 1) * segments
        F.append([last + j, last + k, len(V) - 1])
    F = np.array(F)
    # Make faces point outward: flip if the first side face's normal points to the axis.
    tri = V[F[len(F) // 2]]
    nrm = np.cross(tri[1] - tri[0], tri[2] - tri[0])
    centre = tri.mean(0)
    proj = a + u * np.dot(centre - a, u)
    if np.dot(nrm, centre - proj) < 0:
        F = F[:, ::-1]
    return V, F, T


def build_synthetic_smplx(fingers: bool = False) -> dict[str, np.ndarray]:
    """The arrays of a structurally valid SMPL-X model file (see the module docstring). ``fingers``:
    the hands are a palm and five fingers of three thin capsules each, every phalanx skinned to its own
    finger joint (so a hand pose curls them); otherwise each hand is one capsule skinned to the wrist."""
    J = _joint_positions()
    names = list(JOINT_NAMES[:NUM_JOINTS])
    idx = names.index
    foot_y = -0.96
    # Capsules: (start, end, radii, bone, bone blended in near the end, segments, rings, blend length).
    segs = []

    def seg(a, b, r, bone_a, bone_b, segments=24, rings=10, blend=0.15):
        segs.append((np.asarray(a, float), np.asarray(b, float), r, bone_a, bone_b, segments, rings, blend))

    for s, sx in (("left", 1), ("right", -1)):
        seg(J[idx(f"{s}_hip")], J[idx(f"{s}_knee")], (0.075, 0.08), f"{s}_hip", f"{s}_knee")
        seg(J[idx(f"{s}_knee")], J[idx(f"{s}_ankle")], (0.055, 0.058), f"{s}_knee", f"{s}_ankle")
        heel = (sx * 0.10, foot_y + 0.035, -0.07)
        toe = (sx * 0.11, foot_y + 0.035, 0.17)
        seg(heel, toe, (0.045, 0.035), f"{s}_ankle", f"{s}_foot", blend=0.0)
        seg(J[idx(f"{s}_collar")], J[idx(f"{s}_shoulder")], (0.05, 0.05), f"{s}_collar", f"{s}_shoulder")
        seg(J[idx(f"{s}_shoulder")], J[idx(f"{s}_elbow")], (0.048, 0.05), f"{s}_shoulder", f"{s}_elbow")
        seg(J[idx(f"{s}_elbow")], J[idx(f"{s}_wrist")], (0.038, 0.04), f"{s}_elbow", f"{s}_wrist")
        seg(J[idx(f"{s}_wrist")] + (sx * 0.02, 0, 0), (sx * 0.84, 0.44, 0.0), (0.045, 0.018), f"{s}_wrist", f"{s}_middle1", blend=0.0)
    seg((0, -0.10, 0), (0, 0.12, 0), (0.15, 0.10), "pelvis", "spine1", segments=32, rings=12)
    seg((0, 0.12, -0.01), (0, 0.26, -0.01), (0.145, 0.10), "spine1", "spine2", segments=32)
    seg((0, 0.26, -0.01), (0, 0.44, -0.01), (0.16, 0.105), "spine2", "spine3", segments=32)
    seg((0, 0.44, -0.02), (0, 0.58, -0.02), (0.05, 0.05), "neck", "head")
    seg((0, 0.62, 0.02), (0, 0.70, 0.02), (0.08, 0.095), "head", "head", segments=32, rings=16)
    head_seg = len(segs) - 1
    if fingers:  # the hand capsule (wrist to fingertips) becomes the palm, the fingers their own capsules
        for s, sx, hand in (("left", 1, 6), ("right", -1, 13)):
            a, _b, _r, ba, _bb, n, rg, _bl = segs[hand]
            segs[hand] = (a, np.array([sx * 0.76, 0.44, 0.0]), (0.04, 0.016), ba, ba, n, rg, 0.0)
            for f in ("thumb", "index", "middle", "ring", "pinky"):
                heads = [J[idx(f"{s}_{f}{k}")] for k in (1, 2, 3)]
                heads.append(heads[2] + (heads[2] - heads[1]))
                for k in range(3):
                    seg(heads[k], heads[k + 1], (0.008, 0.007), f"{s}_{f}{k + 1}", f"{s}_{f}{k + 1}", segments=6, rings=4, blend=0.0)

    verts, faces, weights, seg_of = [], [], [], []
    offset = 0
    for k, (a, b, r, ba, bb, segments, rings, blend) in enumerate(segs):
        V, F, T = _capsule(a, b, r, segments, rings)
        W = np.zeros((len(V), NUM_JOINTS))
        w_end = np.clip((T - (1 - blend)) / max(blend, 1e-9), 0, 1) * 0.5 if blend > 0 else np.zeros(len(V))
        W[:, idx(ba)] += 1 - w_end
        W[:, idx(bb)] += w_end
        verts.append(V); faces.append(F + offset); weights.append(W); seg_of.append(np.full(len(V), k))
        offset += len(V)
    V = np.concatenate(verts); F = np.concatenate(faces); W = np.concatenate(weights); S = np.concatenate(seg_of)
    if len(V) > NUM_VERTICES:
        raise RuntimeError(f"synthetic SMPL-X has {len(V)} vertices > {NUM_VERTICES}")
    # Pad with copies of existing vertices (unused by faces) up to SMPL-X's vertex count.
    pad = np.arange(NUM_VERTICES - len(V)) % len(V)
    V = np.concatenate([V, V[pad]]); W = np.concatenate([W, W[pad]]); S = np.concatenate([S, S[pad]])
    used = np.zeros(len(V), bool); used[F.ravel()] = True

    # Move the vertices smplx reads as keypoints to their places (nearest used vertex, swapped in).
    foot_segs = {"left": 2, "right": 9}
    hand_segs = {"l": 6, "r": 13}
    targets = {
        "nose": ((0.0, 0.66, 0.115), head_seg), "reye": ((-0.035, 0.69, 0.10), head_seg),
        "leye": ((0.035, 0.69, 0.10), head_seg), "rear": ((-0.085, 0.66, 0.02), head_seg),
        "lear": ((0.085, 0.66, 0.02), head_seg),
        "LBigToe": ((0.085, foot_y + 0.01, 0.19), foot_segs["left"]), "LSmallToe": ((0.14, foot_y + 0.01, 0.15), foot_segs["left"]),
        "LHeel": ((0.10, foot_y, -0.10), foot_segs["left"]), "RBigToe": ((-0.085, foot_y + 0.01, 0.19), foot_segs["right"]),
        "RSmallToe": ((-0.14, foot_y + 0.01, 0.15), foot_segs["right"]), "RHeel": ((-0.10, foot_y, -0.10), foot_segs["right"]),
    }
    for side in ("l", "r"):
        sx = 1 if side == "l" else -1
        for tip, z in (("thumb", 0.045), ("index", 0.03), ("middle", 0.01), ("ring", -0.01), ("pinky", -0.03)):
            targets[f"{side}{tip}"] = ((sx * 0.88, 0.44, z), hand_segs[side])
    new_to_old = np.arange(len(V))
    old_to_new = np.arange(len(V))
    taken: set[int] = set()
    for key, (point, s) in targets.items():
        cand = np.where((S == s) & used)[0]
        cand = cand[[c not in taken for c in cand]]
        old = cand[np.argmin(np.linalg.norm(V[cand] - np.asarray(point), axis=1))]
        taken.add(int(old))
        target_new, pos = SMPLX_VERTEX_IDS["smplx"][key], old_to_new[old]
        a_old = new_to_old[target_new]
        new_to_old[target_new], new_to_old[pos] = old, a_old
        old_to_new[old], old_to_new[a_old] = target_new, pos
    V, W, S = V[new_to_old], W[new_to_old], S[new_to_old]
    F = old_to_new[F]

    # Joint regressor: non-negative weights on nearby vertices that sum to 1 and reproduce J.
    from scipy.optimize import nnls

    J_reg = np.zeros((NUM_JOINTS, len(V)))
    used = np.zeros(len(V), bool); used[F.ravel()] = True
    pool = np.where(used)[0]
    for j in range(NUM_JOINTS):
        near = pool[np.argsort(np.linalg.norm(V[pool] - J[j], axis=1))[:150]]
        A = np.vstack([V[near].T, 10.0 * np.ones(len(near))])
        w, _ = nnls(A, np.concatenate([J[j], [10.0]]))
        J_reg[j, near] = w / w.sum()

    # Shape directions (V, 3, 400): 300 shape + 100 expression.
    shapedirs = np.zeros((len(V), 3, 400))
    sole = np.array([0.0, foot_y, 0.0])
    shapedirs[:, :, 0] = 0.035 * (V - sole)
    # beta1: thicker, away from each capsule's axis
    for k, (a, b, r, *_rest) in enumerate(segs):
        m = S == k
        u = (b - a) / np.linalg.norm(b - a)
        d = V[m] - a
        radial = d - (d @ u)[:, None] * u
        n = np.linalg.norm(radial, axis=1, keepdims=True)
        radial = np.where(n > 1e-9, radial / np.maximum(n, 1e-9), 0.0)
        shapedirs[m, :, 1] = radial * (0.02 if k >= 14 and k <= 16 else 0.012)
    # beta2: longer legs (points below the hips move down, proportionally)
    hip_y = J[idx("left_hip"), 1]
    below = np.clip((hip_y - V[:, 1]) / (hip_y - foot_y), 0, 1)
    shapedirs[:, 1, 2] = -0.03 * below

    # Facial landmarks: the 51 faces nearest the face's centre.
    head_faces = np.argsort(np.linalg.norm(V[F].mean(1) - np.array([0, 0.64, 0.09]), axis=1))[:51]
    parents = _parents()
    kintree = np.stack([np.where(parents < 0, 4294967295, parents), np.arange(NUM_JOINTS)]).astype(np.int64)
    rng = np.random.default_rng(0)
    hand_mean = np.tile([0.0, 0.0, 0.25], 15)  # a slightly curled relaxed hand
    return {
        "v_template": V.astype(np.float64),
        "f": F.astype(np.int32),
        "shapedirs": shapedirs.astype(np.float32),
        "posedirs": np.zeros((len(V), 3, 486), np.float32),
        "J_regressor": J_reg,
        "kintree_table": kintree,
        "weights": W,
        "hands_componentsl": np.eye(45),
        "hands_componentsr": np.eye(45),
        "hands_meanl": hand_mean,
        "hands_meanr": hand_mean * np.tile([1.0, -1.0, -1.0], 15),
        "lmk_faces_idx": head_faces.astype(np.int64),
        "lmk_bary_coords": np.full((51, 3), 1 / 3),
        "dynamic_lmk_faces_idx": rng.choice(head_faces, size=(79, 17)).astype(np.int64),
        "dynamic_lmk_bary_coords": np.full((79, 17, 3), 1 / 3),
    }


def write_model_file(folder: str | Path, prefix: str, gender: str, arrays: dict) -> Path:
    """Write ``folder/<prefix>_<GENDER>.npz`` holding ``arrays`` (the layout smplx loads); returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}_{gender.upper()}.npz"
    np.savez(path, **arrays)
    return path


def write_synthetic_smplx(folder: str | Path, gender: str = "NEUTRAL", fingers: bool = False) -> Path:
    """Write ``folder/SMPLX_<gender>.npz`` (see :func:`build_synthetic_smplx`); returns its path."""
    return write_model_file(folder, "SMPLX", gender, build_synthetic_smplx(fingers))


@pytest.fixture(scope="session")
def synthetic_smplx_dir(tmp_path_factory) -> Path:
    """A folder holding a synthetic ``SMPLX_NEUTRAL.npz`` (pass it as ``--smplx-dir``)."""
    folder = tmp_path_factory.mktemp("smplx_model")
    write_synthetic_smplx(folder)
    return folder


@pytest.fixture(scope="session")
def anny_body():
    """anny built once for the whole test session (its cache makes this ~0.5 s after the first build)."""
    from genb.render.bodies.anny_body import AnnyBody

    return AnnyBody()


@pytest.fixture(scope="session")
def smplx_body(synthetic_smplx_dir):
    """SmplxBody over the synthetic model file, loaded through the real smplx path."""
    from genb.render.bodies.smplx_body import SmplxBody

    return SmplxBody(synthetic_smplx_dir)


# The four bodies the dressing tests pose (anny shape parameters).
KEY_BODIES = {"child": [0.5, 0.2, 0.5, 0.5, 0.5, 0.5], "average": [0.5, 0.67, 0.5, 0.5, 0.5, 0.5],
              "heavy": [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], "tall": [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]}


def key_posed(body, poses, bodies: dict = KEY_BODIES):
    """Yield (pose, body name, vertices, keypoints) for each key pose x body, each posed on its own (copies)."""
    from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

    lib = PoseLibrary()
    for pose in poses:
        rot = euler_xyz_to_matrix(lib.key_pose(pose)[None])
        for name, shape in bodies.items():
            posed = body.pose(np.asarray([shape], np.float32), rot)
            yield pose, name, posed.vertices[0].copy(), posed.keypoints[0].copy()


def grounded_skirts(body, poses, outfits: dict, bodies: dict = KEY_BODIES):
    """Yield (pose, body name, outfit name), vertices, keypoints, skirt mesh for each key pose x body (:func:`key_posed`,
    stood on the ground: its lowest vertex at z 0) x outfit (name -> garment list with one skirt or dress) dressed."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    dresser, faces = Dresser(body), np.asarray(body.faces)
    for pose, name, v, kp in key_posed(body, poses, bodies):
        lift = -v[:, 2].min()
        v[:, 2] += lift
        kp[:, 2] += lift
        n = vertex_normals(v, faces)
        for outfit, garments in outfits.items():
            (m,) = [g for g in dresser.dress({"garments": garments}, v, n, kp) if g.name.endswith(":skirt")]
            yield (pose, name, outfit), v, kp, m
