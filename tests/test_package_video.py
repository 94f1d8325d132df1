"""Packaging sequence runs: frames as samples for the image formats (``--frame-step``), and the video formats
WHAM, TRAM and GVHMR read back here the way their loaders read them (each client's reading logic rebuilt below
from its loader, not from genb's writer), re-deriving every frame's camera-frame labels."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from genb.errors import GenbError
from genb.render.labels.camera import project, to_camera
from genb.render.bodies.rotations import axis_angle_to_matrix

FRAMES = 4
Z_UP_TO_Y_UP = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])     # GVHMR: tsf_axisangle['az->ay'] = [-pi/2, 0, 0]
Z_UP_TO_Y_DOWN = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])   # WHAM amass_utils.py: zup2ydown


@pytest.fixture(scope="module")
def seq_smplx(synthetic_smplx_dir, tmp_path_factory):
    """Two SMPL-X sequences of four frames (moving cameras), rendered with the synthetic SMPL-X file."""
    from genb.sequence.stage import SequenceConfig, run_sequences

    root = tmp_path_factory.mktemp("seqpkg") / "run"
    run_sequences(root, SequenceConfig(num_samples=2, frames=FRAMES, image_size=(128, 96), num_people=(1, 2), seed=5,
                                       wardrobe="none", portrait_prob=0.0, png_compression=1, body="smplx",
                                       smplx_dir=str(synthetic_smplx_dir),
                                       camera_motion_weights=(0.0, 1.0, 1.0, 0.0, 1.0)))
    return root


@pytest.fixture(scope="module")
def video_pkg(seq_smplx, synthetic_smpl_dir, tmp_path_factory):
    """Every format of the sequence run, with SMPL fits (short; any fit error accepted: the tests check the
    packaging, not the fit)."""
    from genb.package.stage import PackageConfig, run_package

    out = tmp_path_factory.mktemp("seqpkg") / "out"
    summary = run_package(seq_smplx, out, PackageConfig(smpl_dir=str(synthetic_smpl_dir), smpl_fit_steps=12,
                                                        smpl_max_error_mm=1e6, min_visible_keypoints=0, workers=1))
    return summary


def _labels(root, s: int, t: int) -> dict[str, np.ndarray]:
    return dict(np.load(root / "sequences" / f"{s:06d}" / "samples" / f"{t:06d}" / "labels.npz"))


def _sequence(root, s: int) -> dict[str, np.ndarray]:
    return dict(np.load(root / "sequences" / f"{s:06d}" / "sequence.npz"))


def _smpl(synthetic_smpl_dir):
    from smplx import SMPL
    from smplx.utils import Struct

    from genb.package.smpl_fit import load_smpl_arrays, smpl_model_file

    path = smpl_model_file(synthetic_smpl_dir)
    return SMPL(str(path), data_struct=Struct(**load_smpl_arrays(path)), num_betas=10)


def _t(x):
    import torch

    return torch.as_tensor(np.asarray(x, np.float32))


def test_image_formats_read_frames_as_samples_every_kth_frame(seq_smplx, tmp_path):
    from genb.package.stage import PackageConfig, run_package

    summary = run_package(seq_smplx, tmp_path / "out", PackageConfig(format="genb", frame_step=2, min_visible_keypoints=0,
                                                                     card=False))
    data = np.load(summary.npz_files["genb"])
    # sample s * T + t is frame t of sequence s; every second frame only
    assert sorted(set(data["sample_index"].tolist())) == [s * FRAMES + t for s in range(2) for t in (0, 2)]
    for i, (index, p) in enumerate(zip(data["sample_index"], data["person_index"])):
        s, t = divmod(int(index), FRAMES)
        assert (data["sequence"][i], data["frame"][i], data["fps"][i]) == (s, t, 30.0)
        lab = _labels(seq_smplx, s, t)
        np.testing.assert_allclose(data["keypoints_2d"][i, :25, :2], lab["keypoints2d"][p], atol=1e-5)
        np.testing.assert_allclose(data["cam_ext"][i], lab["cam_ext"], atol=1e-6)
        frame_png = seq_smplx / "sequences" / f"{s:06d}" / "samples" / f"{t:06d}" / "image.png"
        assert (tmp_path / "out" / str(data["imgname"][i])).read_bytes() == frame_png.read_bytes()
    # one sequence's folder alone: the same sample numbers (its frames within the run)
    one = run_package(seq_smplx / "sequences" / "000001", tmp_path / "one",
                      PackageConfig(format="genb", min_visible_keypoints=0, card=False))
    idx = np.load(one.npz_files["genb"])["sample_index"]
    assert sorted(set(idx.tolist())) == [FRAMES + t for t in range(FRAMES)]


def test_enhanced_frames_are_selected_per_sequence(seq_smplx, tmp_path):
    """Each sequence's own enhanced images and decisions; a sequence with every frame rejected adds nothing."""
    import shutil

    from _fixtures_package import write_decisions, write_enhanced

    from genb.core.run import RunFolder
    from genb.package.stage import PackageConfig, run_package

    root = tmp_path / "run"
    shutil.copytree(seq_smplx, root)
    for s, accepted in ((0, {0: True, 1: True, 2: False, 3: True}), (1, {t: False for t in range(FRAMES)})):
        sub = RunFolder(root / "sequences" / f"{s:06d}")
        write_enhanced(sub, 0.4)
        write_decisions(sub, 0.4, accepted)
    summary = run_package(root, tmp_path / "out", PackageConfig(format="genb", noise=0.4, frame_step=1,
                                                                min_visible_keypoints=0, card=False))
    data = np.load(summary.npz_files["genb"])
    assert sorted(set(data["sample_index"].tolist())) == [0, 1, 3]
    enhanced = root / "sequences" / "000000" / "enhanced" / "noise-0.40" / "000003.png"
    row = int(np.flatnonzero(data["sample_index"] == 3)[0])
    assert (tmp_path / "out" / str(data["imgname"][row])).read_bytes() == enhanced.read_bytes()
    summary = run_package(root, tmp_path / "out2", PackageConfig(format="genb", noise=0.4, frame_step=2,
                                                                 min_visible_keypoints=0, card=False))
    assert sorted(set(np.load(summary.npz_files["genb"])["sample_index"].tolist())) == [0]


def test_video_formats_need_sequences_and_their_body_model(seq_smplx, tmp_path):
    from genb.package.frames import open_frames
    from genb.package.stage import PackageConfig, resolve_formats, run_package

    with pytest.raises(GenbError, match="sequence run"):
        resolve_formats(PackageConfig(format="wham"), "smplx", True, sequences=False)
    chosen, skipped = resolve_formats(PackageConfig(), "anny", True, sequences=False)
    assert {"wham", "tram", "gvhmr"} <= set(skipped) and not {"wham", "tram", "gvhmr"} & set(chosen)
    chosen, skipped = resolve_formats(PackageConfig(), "anny", False, sequences=True)
    assert "SMPL fits" in skipped["wham"] and "SMPL fits" in skipped["tram"] and "SMPL-X" in skipped["gvhmr"]
    with pytest.raises(GenbError, match="needs a sequence run"):
        open_frames(tmp_path, frame_step=3)
    with pytest.raises(GenbError, match="frame-step"):
        run_package(seq_smplx, tmp_path / "x", PackageConfig(format="genb", frame_step=0))
    assert not (tmp_path / "x").exists()


def test_tracks_split_where_a_frame_is_missing():
    from genb.package.video import tracks

    rows = {"sequence": np.array([0, 0, 0, 0, 1, 0]), "person_index": np.array([0, 0, 0, 0, 0, 1]),
            "frame": np.array([6, 0, 2, 4, 0, 2])}
    rows["frame"][0] = 8  # frames 0 2 4 8 of person 0: a gap at 6
    order, track = tracks(rows)
    assert rows["frame"][order].tolist() == [0, 2, 4, 8, 2, 0]
    assert track.tolist() == [0, 0, 0, 1, 2, 3]


def test_gvhmr_support_files_read_as_gvhmr_reads_them(video_pkg, seq_smplx, smplx_body):
    """hmr4d/dataset/bedlam/bedlam.py BedlamDatasetV2: _load_dataset, _load_data, _process_data."""
    import torch

    support = video_pkg.npz_files["gvhmr"].parent / "hmr4d_support"
    motion_files = torch.load(support / "smplpose_v2.pth")
    valid_range = torch.load(support / "mid_to_valid_range_all60.pt")
    assert set(valid_range) <= set(motion_files) and len(valid_range) >= 2
    model = smplx_body.model
    checked = 0
    for mid in valid_range:  # _get_idx2meta: the sequences are the keys of the valid ranges
        data = motion_files[mid]
        # mid2featname: {scene}/{seq}.pt, scene = mid.split('/')[-3]
        scene, seqsubj = mid.split("/")[-3], mid.split("/")[-1]
        feats = torch.load(support / "imgfeats" / "bedlam_all60" / scene / f"{seqsubj}.pt")
        start, end = valid_range[mid]
        length = end - start
        assert 0 <= start < end <= len(data["pose"])
        data = {k: (v[start:end] if isinstance(v, torch.Tensor) and v.dim() > 1 and k != "skeleton" else v)
                for k, v in data.items()}
        bbx_xys = feats["bbx_xys"][start - feats["start_end"][0]:end - feats["start_end"][0]]
        # _process_data
        body_pose = data["pose"][:, 3:]
        betas = data["beta"].repeat(length, 1)
        global_orient = data["global_orient_incam"]
        transl = data["trans_incam"] + data["cam_ext"][:, :3, 3]
        global_orient_w, transl_w = data["pose"][:, :3], data["trans"]
        offset = data["skeleton"][0]
        # hmr_global.get_T_w2c_from_wcparams
        R_w = torch.as_tensor(axis_angle_to_matrix(global_orient_w.double().numpy()))
        R_c = torch.as_tensor(axis_angle_to_matrix(global_orient.double().numpy()))
        R_w2c = R_c @ R_w.transpose(-1, -2)
        t_w2c = transl.double() + offset - torch.einsum("fij,fj->fi", R_w2c, transl_w.double() + offset)
        np.testing.assert_allclose(R_w2c.numpy(), data["cam_ext"][:, :3, :3].numpy(), atol=1e-4)
        np.testing.assert_allclose(t_w2c.numpy(), data["cam_ext"][:, :3, 3].numpy(), atol=1e-4)
        rest = {k: torch.zeros(length, n) for k, n in (("jaw_pose", 3), ("leye_pose", 3), ("reye_pose", 3),
                                                        ("left_hand_pose", 45), ("right_hand_pose", 45),
                                                        ("expression", 10))}  # not read: body joints only
        with torch.no_grad():
            cam = model(global_orient=global_orient, body_pose=body_pose, betas=betas, transl=transl, **rest).joints[:, :22]
            world = model(global_orient=global_orient_w, body_pose=body_pose, betas=betas, transl=transl_w,
                          **rest).joints[:, :22]
        s, p, first = int(mid.split("seq_")[1][:6]), int(seqsubj.split("-p")[1][:2]), int(seqsubj.split("f")[-1])
        seq = _sequence(seq_smplx, s)
        for i in range(length):
            t = first + start + i
            lab = _labels(seq_smplx, s, t)
            ext = data["cam_ext"][i].double().numpy()
            # camera-frame SMPL-X = the frame's labels; projected with K onto its 2D joints
            np.testing.assert_allclose(cam[i].numpy(), lab["joints3d"][p, :22], atol=1e-4)
            uv = project(cam[i].double().numpy(), data["cam_int"][i].double().numpy())
            np.testing.assert_allclose(uv, lab["joints2d"][p, :22], atol=2e-3)
            # the world trajectory with the extrinsics gives the camera frame; Y up is genb's Z-up world rotated
            np.testing.assert_allclose(to_camera(world[i].double().numpy(), ext), lab["joints3d"][p, :22], atol=1e-4)
            np.testing.assert_allclose(world[i].double().numpy() @ Z_UP_TO_Y_UP, seq["world_joints3d"][t, p, :22],
                                       atol=1e-4)
            np.testing.assert_allclose(ext[:3, :3] @ np.array([0.0, -1.0, 0.0]),  # gravity_vec = [0, -1, 0]
                                       seq["cam_ext"][t][:3, :3] @ np.array([0.0, 0.0, -1.0]), atol=1e-6)
            # bbx_xys: a square around the in-frame body joints (BEDLAM's crop: their box x 1.2)
            j2d = lab["joints2d"][p, :22]
            inside = (j2d >= 0).all(1) & (j2d[:, 0] <= 128) & (j2d[:, 1] <= 96)
            assert (np.abs(j2d[inside] - bbx_xys[i, :2].numpy()) <= bbx_xys[i, 2].item() / 2 + 1e-3).all()
            checked += 1
        assert feats["img_wh"].tolist() == [128, 96] and "features" not in feats
    assert checked >= 8


def test_wham_labels_read_as_wham_reads_them(video_pkg, seq_smplx, synthetic_smpl_dir):
    """lib/data/datasets/bedlam.py BEDLAMDataset (joblib.load of a dict of tensors) and _dataset.py's windows."""
    import torch

    path = video_pkg.npz_files["wham"].with_suffix(".pth")
    with open(path, "rb") as f:  # joblib.load unpickles a plain pickle file the same way
        labels = pickle.load(f)
    assert all(isinstance(v, torch.Tensor) for v in labels.values())
    # prepare_video_batch: contiguous groups of vid
    vid = labels["vid"].numpy()
    names, group = np.unique(vid, return_index=True)
    indices = np.split(np.arange(len(vid)), np.sort(group)[1:])
    assert all(len(np.unique(vid[ix])) == 1 for ix in indices) and len(indices) == len(names)
    rows = np.load(video_pkg.npz_files["wham"])
    gen = np.load(video_pkg.npz_files["genb"])
    gen_row = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(gen["sample_index"], gen["person_index"]))}
    smpl = _smpl(synthetic_smpl_dir)
    for ix in indices:
        start, end = ix[0], ix[-1]
        assert np.all(np.diff(rows["frame"][ix]) == 1) and len(set(rows["sequence"][ix])) == 1
        pose = labels["pose"][start:end + 1].reshape(-1, 24, 3)
        transl = labels["c_trans"][start:end + 1]
        betas = labels["betas"][start:end + 1, :10]
        w_transl = labels["w_trans"][start:end + 1]
        root = labels["root"][start:end + 1]
        extrinsics = labels["extrinsics"][start:end + 1]
        K = labels["intrinsics"][start:end + 1]
        with torch.no_grad():
            cam = smpl(global_orient=pose[:, 0], body_pose=pose[:, 1:].reshape(-1, 69), betas=betas, transl=transl).joints[:, :24]
            world = smpl(global_orient=root, body_pose=pose[:, 1:].reshape(-1, 69), betas=betas, transl=w_transl).joints[:, :24]
        for i, r in enumerate(ix):
            s, t, p = int(rows["sequence"][r]), int(rows["frame"][r]), int(rows["person_index"][r])
            lab = _labels(seq_smplx, s, t)
            ext = extrinsics[i].double().numpy()
            # the camera-frame parameters are the frame's SMPL fit (as in the genb npz)
            g = gen_row[(s * FRAMES + t, p)]
            np.testing.assert_allclose(pose[i, 0].numpy(), gen["smpl_global_orient"][g], atol=1e-6)
            np.testing.assert_allclose(transl[i].numpy(), gen["smpl_transl"][g], atol=1e-6)
            # the world trajectory with the extrinsics gives the camera-frame SMPL joints to 1e-4
            np.testing.assert_allclose(to_camera(world[i].double().numpy(), ext), cam[i].double().numpy(), atol=1e-4)
            # WHAM's world is Y down: the same camera as genb's Z-up world, rotated
            np.testing.assert_allclose(ext @ np.block([[Z_UP_TO_Y_DOWN, np.zeros((3, 1))], [np.zeros((1, 3)), 1]]),
                                       lab["cam_ext"], atol=1e-5)
            np.testing.assert_allclose(K[i].numpy(), lab["cam_int"], rtol=1e-6)
            np.testing.assert_allclose(labels["bbox"][r, 2].item() / 200, rows["scale"][r], rtol=1e-6)
        # cam_angvel = R[:-1] @ R[1:].T * 30: the packaged frames are 1/30 s apart
        assert np.allclose(rows["fps"][ix], 30.0)


def test_tram_npz_read_as_tram_reads_it(video_pkg, seq_smplx):
    """lib/datasets/video_dataset.py VideoDataset('bedlam_vid'): np.load without pickles, split_into_chunks."""
    data = np.load(video_pkg.npz_files["tram"])  # allow_pickle=False, as TRAM loads it
    imgname = data["imgname"].astype(np.bytes_)
    seqname, invalid = data["seqname"], data["invalid"]
    seqlen, stride = 2, 1
    names, group = np.unique(seqname, return_index=True)
    perm = np.argsort(group)
    names, group = names[perm], group[perm]
    indices = np.split(np.arange(len(seqname)), group[1:])
    chunks = 0
    for i, ix in enumerate(indices):
        assert len(set(seqname[ix])) == 1 and np.all(np.diff(data["frame"][ix]) == 1)
        for start in range(0, len(ix) - seqlen + 1, stride):
            if invalid[ix[start:start + seqlen]].sum() == 0:
                chunks += 1
    assert chunks >= 4
    S, part = data["S"], data["part"]
    assert S.shape[1:] == (24, 4) and part.shape[1:] == (24, 3) and data["pose"].shape[1] == 72
    for r in range(len(imgname)):
        s, t, p = int(data["sequence"][r]), int(data["frame"][r]), int(data["person_index"][r])
        lab = _labels(seq_smplx, s, t)
        K = np.array([[data["img_focal"][r], 0, data["img_center"][r][0]],
                      [0, data["img_focal"][r], data["img_center"][r][1]], [0, 0, 1]], np.float64)
        np.testing.assert_allclose(K, lab["cam_int"], rtol=1e-6)
        assert tuple(data["orig_shape"][r]) == tuple(lab["image_size"])  # (H, W): center_processing reads [::-1]
        conf = S[r, :, 3] > 0
        # SPIN's 24: right ankle, knee, hip, left hip, ... nose, left eye, right eye, left ear, right ear
        body25 = {0: 11, 1: 10, 2: 9, 3: 12, 4: 13, 5: 14, 6: 4, 7: 3, 8: 2, 9: 5, 10: 6, 11: 7,
                  19: 0, 20: 16, 21: 15, 22: 18, 23: 17}
        for j, k in body25.items():
            np.testing.assert_allclose(S[r, j, :3], lab["keypoints3d"][p, k], atol=1e-5)
            np.testing.assert_allclose(part[r, j, :2], lab["keypoints2d"][p, k], atol=1e-4)
        assert not conf[[12, 13, 15, 16, 17, 18]].any()
        # the 2D joints are the 3D joints projected with the intrinsics
        np.testing.assert_allclose(project(S[r, conf, :3].astype(np.float64), K), part[r, conf, :2], atol=1e-3)
        frame_png = seq_smplx / "sequences" / f"{s:06d}" / "samples" / f"{t:06d}" / "image.png"
        assert (video_pkg.out / imgname[r].decode()).read_bytes() == frame_png.read_bytes()


def test_every_format_is_written_for_a_sequence_run(video_pkg):
    import json
    import tarfile

    assert set(video_pkg.npz_files) == {"genb", "bedlam", "camerahmr", "camerahmr-hands", "humandata", "wham", "tram",
                                        "gvhmr"}
    index = json.loads((video_pkg.out / "webdataset" / "index.json").read_text())
    assert index["samples"] == 2 * FRAMES  # one shard sample per frame
    with tarfile.open(video_pkg.out / "webdataset" / index["shards"][0]["name"]) as tar:
        keys = {m.name.split(".")[0] for m in tar.getmembers()}
    assert keys == {f"genb_n000_{i:06d}" for i in range(2 * FRAMES)}
    card = (video_pkg.out / "README.md").read_text()
    for title in ("WHAM BEDLAM labels", "TRAM bedlam_vid npz", "GVHMR BEDLAM support files"):
        assert title in card


def test_three_processes_write_the_same_video_files_as_one(seq_smplx, tmp_path, monkeypatch):
    """Ranks (GENB_SHARD) take blocks of frames, which cut tracks: the merge regroups them into the same
    tracks, byte for byte (the GVHMR support files and npz; WHAM and TRAM go through the same regrouping)."""
    from genb.package.stage import PackageConfig, run_package

    cfg = PackageConfig(format="gvhmr", min_visible_keypoints=0, card=False)
    run_package(seq_smplx, tmp_path / "one", cfg)
    for rank in (2, 0, 1):  # blocks of 3, 3, 2 frames: tracks of 4 frames are cut
        monkeypatch.setenv("GENB_SHARD", f"{rank}/3")
        run_package(seq_smplx, tmp_path / "two", cfg)
    monkeypatch.delenv("GENB_SHARD")
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one" / "gvhmr").rglob("*") if p.is_file())
    assert len(files) >= 5
    for f in files:
        assert (tmp_path / "two" / f).read_bytes() == (tmp_path / "one" / f).read_bytes(), f
