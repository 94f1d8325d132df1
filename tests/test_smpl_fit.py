"""SMPL fitting and the formats that need SMPL: a synthetic SMPL file (tests/_fixtures_smpl.py),
the fit recovering a known SMPL body, and CameraHMR's / 4D-Humans' loaders reading the fits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genb.errors import GenbError
from genb.package.smpl_fit import FitConfig, SmplFitter
from genb.package.stage import PackageConfig, run_package
from genb.render.labels.camera import project

# CameraHMR core/constants.py smpl_to_openpose: BODY25 from SMPL's 45 smplx joints (Neck = SMPL neck,
# MidHip = pelvis: genb's BODY25 has shoulder / hip midpoints there, so the SMPL formats write the
# fit's own neck and pelvis into those two slots, which must then match exactly)
SMPL_TO_OPENPOSE = [24, 12, 17, 19, 21, 16, 18, 20, 0, 2, 5, 8, 1, 4, 7, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34]
SAME_DEFINITION = [i for i in range(25) if i not in (1, 8)]


@pytest.fixture(scope="module")
def fitter(synthetic_smpl_dir):
    return SmplFitter(synthetic_smpl_dir, config=FitConfig(joint_steps=60, surface_steps=180))


def test_subset_skinning_is_smplx_and_the_fit_recovers_a_known_smpl_body(fitter):
    rng = np.random.default_rng(1)
    N = 2
    go = torch.tensor(rng.normal(0, 0.3, (N, 3)) + [np.pi, 0, 0], dtype=torch.float32)
    bp = torch.tensor(rng.normal(0, 0.25, (N, 69)), dtype=torch.float32)
    bp[:, 60:] = 0
    betas = torch.tensor(rng.normal(0, 1.0, (N, 10)), dtype=torch.float32)
    transl = torch.tensor([[0.2, 0.1, 4.0], [-0.5, 0.3, 6.0]])
    with torch.no_grad():
        ref = fitter.model(global_orient=go, body_pose=bp, betas=betas, transl=transl)
        v, J = fitter.lbs(go, bp, betas, transl, np.arange(ref.vertices.shape[1]))
        _, kp = fitter.forward(go, bp, betas, transl)
    assert (v - ref.vertices).abs().max() < 1e-5 and (J - ref.joints[:, :24]).abs().max() < 1e-5
    res = fitter.fit(ref.vertices.numpy(), fitter.faces, kp.numpy())
    # the fitted SMPL surface lies on the known one within a few mm, its keypoints too
    assert (res["v2s_mean_mm"] < 4.0).all(), res["v2s_mean_mm"]
    with torch.no_grad():
        _, kp_fit = fitter.forward(*(torch.as_tensor(res[k]) for k in ("global_orient", "body_pose", "betas", "transl")))
    kp_err = 1000 * np.linalg.norm(kp_fit.numpy() - kp.numpy(), axis=-1)
    assert kp_err.mean() < 6.0, kp_err.mean(1)
    # the reported error is the real vertex-to-surface distance (checked against a dense sampling)
    from scipy.spatial import cKDTree

    tri = ref.vertices.numpy()[0][fitter.faces]
    w = rng.dirichlet(np.ones(3), size=(len(tri), 20))
    dense = np.einsum("fsk,fkc->fsc", w, tri).reshape(-1, 3)
    used = np.unique(fitter.faces)
    d, _ = cKDTree(dense).query(res["vertices"][0][used])
    assert abs(1000 * d.mean() - res["v2s_mean_mm"][0]) < 1.0


def test_pickled_smpl_files_need_the_explicit_flag(synthetic_smpl_dir, tmp_path):
    import pickle

    with np.load(synthetic_smpl_dir / "SMPL_NEUTRAL.npz") as z:
        pickle.dump({k: z[k] for k in z.files}, open(tmp_path / "SMPL_NEUTRAL.pkl", "wb"))
    with pytest.raises(GenbError, match=r"only a \.pkl") as e:
        SmplFitter(tmp_path)
    assert "--smpl-allow-pickle" in e.value.fix
    assert SmplFitter(tmp_path, allow_pickle=True).path.suffix == ".pkl"


def test_camerahmr_and_shards_read_smpl_fits_as_their_loaders_do(pkg_smplx_run, synthetic_smpl_dir, fitter, tmp_path):
    from smplx import SMPL

    with pytest.raises(GenbError, match="--format camerahmr") as e:
        run_package(pkg_smplx_run, tmp_path / "no", PackageConfig(format="camerahmr"))
    assert "--smpl-dir" in e.value.fix
    summary = run_package(pkg_smplx_run, tmp_path / "out", PackageConfig(smpl_dir=str(synthetic_smpl_dir),
                                                                          smpl_fit_steps=120, card=True))
    # CameraHMR core/datasets/dataset_train.py DatasetTrain.__init__ / __getitem__
    data = np.load(summary.npz_files["camerahmr"], allow_pickle=True)
    body_pose = data["pose_cam"][:, :24 * 3].astype(np.float64)  # NUM_PARAMS_SMPL = 24
    betas = data["shape"].astype(np.float64)[:, :10]  # NUM_BETAS = 10
    keypoints = data["gtkps"][:, :44]  # NUM_JOINTS = 44
    assert len(body_pose) > 0 and data["pose_cam"].shape[1] == 72 and data["shape"].shape[1] == 10
    translation = data["cam_ext"][:, :, 3].copy()
    translation[:, :3] += data["trans_cam"]
    # its trainer regenerates SMPL ground truth from these: the keypoints come back within the fit error
    smpl = SMPL(str(fitter.path), data_struct=fitter.model and _struct(fitter))
    t = lambda x: torch.as_tensor(np.asarray(x, np.float32))  # noqa: E731
    with torch.no_grad():
        out = smpl(global_orient=t(body_pose[:, :3]), body_pose=t(body_pose[:, 3:]), betas=t(betas))
    joints = out.joints.numpy()[:, SMPL_TO_OPENPOSE] + translation[:, None, :3]
    uv = np.stack([project(j.astype(np.float64), K.astype(np.float64)) for j, K in zip(joints, data["cam_int"])])
    px = np.linalg.norm(uv - keypoints[:, :25, :2], axis=-1)[:, SAME_DEFINITION]
    metres_per_px = np.median(joints[..., 2]) / data["cam_int"][0, 0, 0]
    assert (data["smpl_v2s_mean_mm"] <= 15).all()
    assert np.median(px) * metres_per_px < 0.01, np.median(px)  # under 1 cm at the body
    # neck and mid-hip: the regenerated SMPL's own joints, to a hundredth of a pixel
    slots = np.linalg.norm(uv[:, [1, 8]] - keypoints[:, [1, 8], :2], axis=-1)
    assert slots.max() < 0.01, slots.max()
    # 4D-Humans hmr2/datasets/image_dataset.py filters with its standard config: pose supervision is kept
    from test_package import read_shards_like_4d_humans

    kept = 0
    for p in read_shards_like_4d_humans(summary.shards):
        d = p["data.pyd"]
        has_betas, has_body_pose = d["has_betas"], d["has_body_pose"]
        if (np.abs(d["betas"]) > 3).any():  # SUPPRESS_BETAS_THRESH = 3
            has_betas = False
        both = float((has_body_pose > 0) and (has_betas > 0))  # POSES_BETAS_SIMULTANEOUS
        kept += both
        if both:
            assert d["extra_info"]["smpl_v2s_mean_mm"] <= 15
            # 4D-Humans' joint map puts SMPL's neck and pelvis in slots 1 and 8: so do the shards
            K = d["extra_info"]["cam_int"].astype(np.float64)
            with torch.no_grad():
                j = smpl(global_orient=t(d["body_pose"][None, :3]), body_pose=t(d["body_pose"][None, 3:]),
                         betas=t(d["betas"][None])).joints.numpy()[0, [12, 0]] + d["extra_info"]["smpl_transl"]
            np.testing.assert_allclose(d["keypoints_3d"][[1, 8], :3], j, atol=1e-4)
            np.testing.assert_allclose(d["keypoints_2d"][[1, 8], :2], project(j, K), atol=1e-2)
            row = np.flatnonzero((data["sample_index"] == d["extra_info"]["sample_index"])
                                 & (data["person_index"] == d["extra_info"]["person_index"]))
            if len(row):
                np.testing.assert_allclose(d["body_pose"], data["pose_cam"][row[0]], atol=1e-6)
    assert kept >= len(body_pose) > 0
    card = (tmp_path / "out" / "README.md").read_text()
    assert "vertex-to-surface error per person" in card and "SMPL parameters are fits" in card


def _struct(fitter):
    from smplx.utils import Struct

    from genb.package.smpl_fit import load_smpl_arrays

    return Struct(**load_smpl_arrays(fitter.path))
