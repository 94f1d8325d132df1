"""SMPL parameters, honestly obtained: a batched torch fit of SMPL to each posed body.

Trainers that need SMPL (CameraHMR's SMPL loader, 4D-Humans/TokenHMR's ``body_pose``/``betas``)
get the SMPL body that best matches genb's ground-truth body, fitted with the user's own SMPL
model file, never SMPL-X or anny values relabelled. :class:`SmplFitter` is built once per
process; :meth:`SmplFitter.fit` fits N bodies at once (pose, betas and translation, camera frame):

1. initialise: global orientation and translation from the torso keypoints (Kabsch), or from
   SMPL-X's own global orientation and body pose, which share SMPL's first 22 joints;
2. joints: Adam on the BODY25 keypoints (SMPL's from its joints and keypoint vertices, with
   genb's neck and mid-hip as shoulder/hip midpoints);
3. surface: Adam on point-to-plane distances from SMPL's vertices to the target surface and
   back (nearest neighbours from KD-trees, refreshed every few steps), plus the keypoints.

The error recorded per person is the **vertex-to-surface** distance of the fitted SMPL
vertices to the target mesh (exact point-to-triangle distances to the triangles around
each nearest target vertex), mean and max in millimetres.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path

import numpy as np

from genb.errors import GenbError
from genb.render.bodies.model_file import SMPL_SHAPES, check_model_arrays

DOWNLOAD_HINT = ("download SMPL from https://smpl.is.tue.mpg.de and convert SMPL_NEUTRAL.pkl to .npz "
                 "(np.savez of its arrays), or pass --smpl-allow-pickle to read the .pkl")
REQUIRED = ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table")
NUM_BETAS = 10
# SMPL joint index of each BODY25 keypoint (OpenPose order; >= 24: smplx's extra vertex keypoints
# in its SMPL output: nose 24, eyes 25-26, ears 27-28, toes and heels 29-34), -1/-2: midpoints.
_SMPL_BODY25 = np.array([24, -1, 17, 19, 21, 16, 18, 20, -2, 2, 5, 8, 1, 4, 7, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34])
TORSO25 = np.array([1, 2, 5, 8, 9, 12])  # neck, shoulders, mid-hip, hips


@dataclasses.dataclass
class FitConfig:
    joint_steps: int = 60
    surface_steps: int = 120
    refresh_every: int = 10
    lr: float = 0.03
    surface_samples: int = 2000  # target points used for the target -> SMPL term
    smpl_samples: int = 1500  # SMPL vertices skinned per step of the surface stage


def smpl_model_file(model_dir: str | os.PathLike, gender: str = "neutral", allow_pickle: bool = False) -> Path:
    """The SMPL model file in ``model_dir`` (``SMPL_<GENDER>.npz``; ``.pkl`` only with ``allow_pickle``)."""
    folder = Path(model_dir)
    if folder.is_file():
        candidates = [folder]
    else:
        stem = f"SMPL_{gender.upper()}"
        candidates = [folder / f"{stem}.npz", folder / "smpl" / f"{stem}.npz"]
        if allow_pickle:
            candidates += [folder / f"{stem}.pkl", folder / "smpl" / f"{stem}.pkl"]
    for c in candidates:
        if c.is_file():
            if c.suffix == ".pkl" and not allow_pickle:
                break
            return c
    pkl = not allow_pickle and any((folder / f"SMPL_{gender.upper()}.pkl").is_file() for _ in [0]) if folder.is_dir() else False
    raise GenbError(
        f"no SMPL model file SMPL_{gender.upper()}.npz in {model_dir}" + (" (only a .pkl, which is a pickle)" if pkl else ""),
        DOWNLOAD_HINT)


def load_smpl_arrays(path: Path) -> dict[str, np.ndarray]:
    """The SMPL arrays of a model file (.npz read without pickles; .pkl only when asked for explicitly)."""
    try:
        if path.suffix == ".pkl":
            with open(path, "rb") as f:
                raw = pickle.load(f, encoding="latin1")  # noqa: S301 - only behind --smpl-allow-pickle
            data = {k: raw[k] for k in REQUIRED if k in raw}
        else:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in REQUIRED if k in z.files}
    except Exception as e:  # a bad zip, a pickle needing chumpy, ...
        raise GenbError(f"{path} is not a readable SMPL model file ({type(e).__name__}: {e})", DOWNLOAD_HINT) from e
    check_model_arrays(path, data, SMPL_SHAPES, DOWNLOAD_HINT, "SMPL")
    out = {}
    for k, v in data.items():
        v = v.toarray() if hasattr(v, "toarray") else v  # scipy sparse J_regressor in the .pkl
        out[k] = np.asarray(getattr(v, "r", v))  # chumpy arrays expose .r
    return out


def point_triangle_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(...) distance from points ``p`` to triangles ``abc`` (all (..., 3)), exact (Ericson's closest point)."""
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = (ab * ap).sum(-1), (ac * ap).sum(-1)
    bp = p - b
    d3, d4 = (ab * bp).sum(-1), (ac * bp).sum(-1)
    cp = p - c
    d5, d6 = (ab * cp).sum(-1), (ac * cp).sum(-1)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    denom = np.where(np.abs(va + vb + vc) > 1e-30, va + vb + vc, 1e-30)
    v, w = vb / denom, vc / denom
    q = a + ab * v[..., None] + ac * w[..., None]  # interior
    # edges and vertices (ordered so that the right region wins)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ab = np.clip(d1 / np.where(d1 - d3 != 0, d1 - d3, 1), 0, 1)
        t_ac = np.clip(d2 / np.where(d2 - d6 != 0, d2 - d6, 1), 0, 1)
        t_bc = np.clip((d4 - d3) / np.where((d4 - d3) + (d5 - d6) != 0, (d4 - d3) + (d5 - d6), 1), 0, 1)
    on_ab, on_ac, on_bc = a + ab * t_ab[..., None], a + ac * t_ac[..., None], b + (c - b) * t_bc[..., None]
    q = np.where(((vc <= 0) & (d1 >= 0) & (d3 <= 0))[..., None], on_ab, q)
    q = np.where(((vb <= 0) & (d2 >= 0) & (d6 <= 0))[..., None], on_ac, q)
    q = np.where(((va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0))[..., None], on_bc, q)
    q = np.where(((d1 <= 0) & (d2 <= 0))[..., None], a, q)
    q = np.where(((d3 >= 0) & (d4 <= d3))[..., None], b, q)
    q = np.where(((d6 >= 0) & (d5 <= d6))[..., None], c, q)
    return np.linalg.norm(p - q, axis=-1)


class SurfaceDistance:
    """Vertex-to-surface distances to one target mesh (a KD-tree over its vertices, built once).

    Args:
        verts: (V, 3) target mesh vertices; faces: (F, 3) its triangles (only used ones matter).
        k: nearest target vertices whose incident triangles are tested.
    """

    def __init__(self, verts: np.ndarray, faces: np.ndarray, k: int = 3):
        from scipy.spatial import cKDTree

        used = np.unique(faces)
        self.verts, self.faces, self.k = verts, faces, k
        self.used = used
        self.tree = cKDTree(verts[used])
        # incident triangles of each vertex, padded CSR -> (V, M) with -1
        order = np.argsort(faces.ravel(), kind="stable")
        vert_of = faces.ravel()[order]
        counts = np.bincount(vert_of, minlength=len(verts))
        m = int(counts.max())
        table = np.full((len(verts), m), -1, np.int64)
        starts = np.cumsum(counts) - counts
        pos = np.arange(len(order)) - np.repeat(starts, counts)
        table[vert_of, pos] = order // 3
        self.incident = table

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """(P,) distance of each point to the mesh, metres."""
        _, nn = self.tree.query(points, k=self.k)
        tris = self.incident[self.used[nn]].reshape(len(points), -1)  # (P, k*M)
        valid = tris >= 0
        t = np.where(valid, tris, 0)
        tri = self.verts[self.faces[t]]  # (P, T, 3, 3)
        d = point_triangle_distance(points[:, None, :], tri[..., 0, :], tri[..., 1, :], tri[..., 2, :])
        return np.where(valid, d, np.inf).min(axis=1)


def kabsch(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation R (3, 3) and translation t (3,) minimising ||R src + t - dst|| for (K, 3) point sets."""
    cs, cd = src.mean(0), dst.mean(0)
    U, _, Vt = np.linalg.svd((src - cs).T @ (dst - cd))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(Vt.T @ U.T))])
    R = Vt.T @ D @ U.T
    return R, cd - R @ cs


class SmplFitter:
    """Fits SMPL to posed bodies (camera frame); built once per process.

    Args:
        model_dir: folder with ``SMPL_NEUTRAL.npz`` (or the file itself).
        gender: which SMPL file.
        allow_pickle: also read ``SMPL_<GENDER>.pkl`` (a pickle can run code: trusted files only).
        config: optimisation settings.
    """

    def __init__(self, model_dir: str | os.PathLike, gender: str = "neutral", allow_pickle: bool = False,
                 config: FitConfig | None = None):
        import torch
        from smplx import SMPL
        from smplx.utils import Struct

        self.path = smpl_model_file(model_dir, gender, allow_pickle)
        arrays = load_smpl_arrays(self.path)
        try:
            self.model = SMPL(str(self.path), data_struct=Struct(**arrays), gender=gender, num_betas=NUM_BETAS)
        except Exception as e:
            raise GenbError(f"smplx could not build SMPL from {self.path}: {type(e).__name__}: {e}", DOWNLOAD_HINT) from e
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.faces = np.asarray(self.model.faces, np.int64)
        self.cfg = config or FitConfig()
        self.torch = torch
        self._prepare_lbs()

    def _prepare_lbs(self) -> None:
        """Tensors for :meth:`lbs` (linear blend skinning over a vertex subset), from the smplx module's own."""
        torch, m = self.torch, self.model
        self.parents = m.parents
        self.J_template = torch.matmul(m.J_regressor, m.v_template)  # (24, 3)
        self.J_shapedirs = torch.einsum("jv,vcb->jcb", m.J_regressor, m.shapedirs)  # (24, 3, B)
        self.posedirs = m.posedirs.view(m.posedirs.shape[0], -1, 3)  # (207, V, 3)
        from smplx.vertex_ids import vertex_ids

        ids = vertex_ids["smplh"]
        # BODY25's vertex keypoints, in OpenPose order (nose, eyes, ears, toes, heels)
        self.kp_vertex_ids = np.array([ids[k] for k in ("nose", "reye", "leye", "rear", "lear", "LBigToe",
                                                         "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel")])

    def lbs(self, go, bp, betas, transl, ids: np.ndarray):
        """SMPL's linear blend skinning for the vertices ``ids`` only: (N, len(ids), 3) vertices, (N, 24, 3) joints.

        The same operations as ``smplx.lbs.lbs`` (shape blend shapes, pose correctives from
        ``posedirs``, rigid joint transforms, skinning weights), restricted to a subset so that
        each optimisation step costs ~len(ids) / 6890 of a full forward.
        """
        from smplx.lbs import batch_rigid_transform, batch_rodrigues

        torch, m = self.torch, self.model
        N = len(go)
        idx = torch.as_tensor(ids)
        v_shaped = m.v_template[idx] + torch.einsum("nb,vcb->nvc", betas, m.shapedirs[idx])
        J = self.J_template + torch.einsum("nb,jcb->njc", betas, self.J_shapedirs)
        rot = batch_rodrigues(torch.cat([go, bp], 1).reshape(-1, 3)).view(N, -1, 3, 3)
        feat = (rot[:, 1:] - torch.eye(3)).reshape(N, -1)
        v_posed = v_shaped + torch.einsum("np,pvc->nvc", feat, self.posedirs[:, idx])
        J_t, A = batch_rigid_transform(rot, J, self.parents)
        T = torch.einsum("vj,njab->nvab", m.lbs_weights[idx], A)
        v = torch.einsum("nvab,nvb->nva", T[..., :3, :3], v_posed) + T[..., :3, 3]
        return v + transl[:, None], J_t + transl[:, None]

    def body25(self, joints, kp_verts):
        """(N, 25, 3) BODY25 keypoints from SMPL joints (N, 24, 3) and the 11 keypoint vertices (N, 11, 3)."""
        torch = self.torch
        allj = torch.cat([joints, kp_verts], 1)  # 24 joints, then smplx's extra keypoint order
        idx = torch.as_tensor(np.where(_SMPL_BODY25 < 0, 0, _SMPL_BODY25))
        out = allj[:, idx].clone()
        out[:, 1] = 0.5 * (joints[:, 16] + joints[:, 17])  # neck: the shoulders' midpoint (as genb's)
        out[:, 8] = 0.5 * (joints[:, 1] + joints[:, 2])  # mid-hip: the hips' midpoint
        return out

    def forward(self, go, bp, betas, transl, ids: np.ndarray | None = None):
        """Vertices (``ids``, or all) and BODY25 keypoints of SMPL bodies."""
        ids = np.arange(self.model.v_template.shape[0]) if ids is None else ids
        v, J = self.lbs(go, bp, betas, transl, np.concatenate([ids, self.kp_vertex_ids]))
        return v[:, : len(ids)], self.body25(J, v[:, len(ids):])

    def fit(self, vertices: np.ndarray, faces: np.ndarray, keypoints: np.ndarray,
            init_pose: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Fit SMPL to N bodies.

        Args:
            vertices: (N, V, 3) target meshes, camera frame, metres; faces: (F, 3) their triangles.
            keypoints: (N, 25, 3) their BODY25 keypoints, camera frame.
            init_pose: optional (N, 72) SMPL-layout axis-angle start (global orient + 23 joints),
                e.g. SMPL-X's global orient and 21 body joints with zero hands.
        Returns:
            ``global_orient`` (N, 3), ``body_pose`` (N, 69), ``betas`` (N, 10), ``transl`` (N, 3)
            (``smpl(...)`` gives camera-frame vertices), ``v2s_mean_mm``, ``v2s_max_mm`` (N,).
        """
        torch = self.torch
        before = torch.get_num_threads()
        torch.set_num_threads(1)  # small batched problems: extra threads only contend (also across workers)
        try:
            return self._fit(vertices, faces, keypoints, init_pose)
        finally:
            torch.set_num_threads(before)

    def _fit(self, vertices, faces, keypoints, init_pose):
        torch, cfg = self.torch, self.cfg
        from scipy.spatial import cKDTree

        N = len(vertices)
        tgt_kp = torch.as_tensor(keypoints, dtype=torch.float32)
        # 1. Start: global orientation and translation from the torso keypoints.
        go = torch.zeros(N, 3)
        bp = torch.zeros(N, 69)
        if init_pose is not None:
            go = torch.as_tensor(init_pose[:, :3], dtype=torch.float32).clone()
            bp = torch.as_tensor(init_pose[:, 3:72], dtype=torch.float32).clone()
        betas = torch.zeros(N, NUM_BETAS)
        none = np.zeros(0, np.int64)
        with torch.no_grad():
            _, kp0 = self.forward(go, bp, betas, torch.zeros(N, 3), none)
        transl = torch.zeros(N, 3)
        if init_pose is None:
            from genb.render.bodies.rotations import matrix_to_axis_angle

            rots = []
            for n in range(N):
                R, t = kabsch(kp0[n, TORSO25].numpy().astype(np.float64), keypoints[n, TORSO25].astype(np.float64))
                rots.append(R)
                transl[n] = torch.as_tensor(t, dtype=torch.float32)
            # rotating about the origin = rotating the root about its rest position, then moving it
            with torch.no_grad():
                j0 = self.lbs(torch.zeros(N, 3), torch.zeros(N, 69), betas, torch.zeros(N, 3), none)[1][:, 0]
            go = torch.as_tensor(matrix_to_axis_angle(np.stack(rots)), dtype=torch.float32)
            R = torch.as_tensor(np.stack(rots), dtype=torch.float32)
            transl = transl + torch.einsum("nij,nj->ni", R, j0) - j0
        else:
            with torch.no_grad():
                transl = (tgt_kp[:, TORSO25] - kp0[:, TORSO25]).mean(1)
        params = [p.requires_grad_(True) for p in (go, bp, betas, transl)]

        # 2. Keypoints only.
        opt = torch.optim.Adam(params, lr=cfg.lr)
        for _ in range(cfg.joint_steps):
            opt.zero_grad()
            _, kp = self.forward(*params, none)
            loss = ((kp - tgt_kp) ** 2).sum(-1).mean() + 1e-4 * (betas ** 2).mean()
            loss.backward()
            opt.step()

        # 3. Surface (point-to-plane both ways, neighbours refreshed) and keypoints.
        trees = [cKDTree(v) for v in vertices]
        normals = vertex_normals(vertices, faces)
        rng = np.random.default_rng(0)
        used = np.unique(faces)
        sample = [used[rng.choice(len(used), size=min(cfg.surface_samples, len(used)), replace=False)] for _ in range(N)]
        tgt_s = torch.as_tensor(np.stack([vertices[n, sample[n]] for n in range(N)]), dtype=torch.float32)
        smpl_all = np.unique(self.faces)
        smpl_ids = np.sort(rng.choice(smpl_all, size=min(cfg.smpl_samples, len(smpl_all)), replace=False))
        opt = torch.optim.Adam(params, lr=cfg.lr * 0.5)
        for step in range(cfg.surface_steps):
            if step % cfg.refresh_every == 0:
                with torch.no_grad():
                    v_now = self.forward(*params, smpl_ids)[0].numpy()
                nn = np.stack([trees[n].query(v_now[n])[1] for n in range(N)])
                near = torch.as_tensor(np.take_along_axis(vertices, nn[..., None], 1), dtype=torch.float32)
                nrm = torch.as_tensor(np.take_along_axis(normals, nn[..., None], 1), dtype=torch.float32)
                back = np.stack([cKDTree(v_now[n]).query(tgt_s[n].numpy())[1] for n in range(N)])
                back_t = torch.as_tensor(back)
            opt.zero_grad()
            v, kp = self.forward(*params, smpl_ids)
            diff = v - near
            plane = (diff * nrm).sum(-1)
            fwd = (plane ** 2).mean() + 0.1 * (diff ** 2).sum(-1).mean()
            bwd = ((torch.gather(v, 1, back_t[..., None].expand(-1, -1, 3)) - tgt_s) ** 2).sum(-1).mean()
            loss = fwd + 0.5 * bwd + 0.1 * ((kp - tgt_kp) ** 2).sum(-1).mean() + 1e-5 * (betas ** 2).mean()
            loss.backward()
            opt.step()

        with torch.no_grad():  # the final bodies through smplx's own SMPL forward
            final = self.model(global_orient=go, body_pose=bp, betas=betas, transl=transl)
            v_fit = final.vertices.numpy().astype(np.float64)
            j_fit = final.joints[:, :24].numpy().astype(np.float32)
        smpl_used_np = smpl_all
        mean, mx = np.zeros(N), np.zeros(N)
        for n in range(N):
            d = SurfaceDistance(vertices[n].astype(np.float64), faces)(v_fit[n, smpl_used_np])
            mean[n], mx[n] = 1000 * d.mean(), 1000 * d.max()
        return {"global_orient": go.detach().numpy().astype(np.float32),
                "body_pose": bp.detach().numpy().astype(np.float32),
                "betas": betas.detach().numpy().astype(np.float32),
                "transl": transl.detach().numpy().astype(np.float32),
                "v2s_mean_mm": mean.astype(np.float32), "v2s_max_mm": mx.astype(np.float32),
                "vertices": v_fit.astype(np.float32), "joints": j_fit}


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N, V, 3) unit area-weighted vertex normals of N meshes sharing ``faces``."""
    tri = vertices[:, faces]
    fn = np.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0])
    out = np.zeros_like(vertices, dtype=np.float64)
    for c in range(3):
        np.add.at(out, (slice(None), faces[:, c]), fn)
    return out / np.maximum(np.linalg.norm(out, axis=-1, keepdims=True), 1e-12)
