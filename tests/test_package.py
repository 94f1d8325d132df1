"""genb package: read the outputs back the way HPS trainers do, and check them against the run's ground truth."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from _fixtures_package import PKG_ACCEPTED, PKG_NOISE, package_files, write_decisions
from genb.errors import GenbError
from genb.package import joints44 as J
from genb.package.stage import PackageConfig, run_package
from genb.render.labels.camera import project


def package(run, out, **kw):
    return run_package(run, out, PackageConfig(**kw))


def read_shards_like_4d_humans(urls):
    """4D-Humans' ImageDataset.load_tars_as_webdataset up to split_data (no augmentation)."""
    import webdataset as wds

    dataset = wds.WebDataset([str(u) for u in urls], shardshuffle=False)
    dataset = dataset.decode("rgb8").rename(jpg="jpg;jpeg;png")
    for item in dataset:
        for data in item["data.pyd"]:
            if "detection.npz" in item:
                mask = item["detection.npz"]["masks"][data["extra_info"]["detection_npz_idx"]]
            else:
                mask = np.ones_like(item["jpg"][:, :, 0], dtype=bool)
            yield {"__key__": item["__key__"], "jpg": item["jpg"], "data.pyd": data, "mask": mask}


def bedlam_get_bbox_valid(joints, img_height, img_width, rescale=1.2):
    """BEDLAM data_processing/df_full_body.py get_bbox_valid, restated loop for loop (an independent check)."""
    valid_j = [j for j in joints if not (j[0] > img_width or j[1] > img_height or j[0] < 0 or j[1] < 0)]
    if len(valid_j) < 1:
        return [-1, -1], -1, 0
    joints = np.array(valid_j)
    bbox = [min(joints[:, 0]), min(joints[:, 1]), max(joints[:, 0]), max(joints[:, 1])]
    center = [(bbox[2] + bbox[0]) / 2, (bbox[3] + bbox[1]) / 2]
    return center, max(bbox[2] - bbox[0], bbox[3] - bbox[1]) / 200 * rescale, len(valid_j)


def reprojection_error(kp3d44: np.ndarray, kp2d44: np.ndarray, cam_int: np.ndarray) -> np.ndarray:
    """Pixel distance between projected 3D joints and the stored 2D joints, for provided joints."""
    uv = project(kp3d44[..., :3].astype(np.float64), cam_int.astype(np.float64))
    return np.linalg.norm(uv - kp2d44[..., :2], axis=-1)[..., J.PROVIDED]


# ----------------------------------------------------------------------------- the 44 joints


def test_joints44_order_flip_and_fill():
    assert J.NUM_JOINTS == 44 and J.PROVIDED.sum() == 38
    # The loaders' flip permutation swaps left and right names of genb's 44 names.
    flip = lambda n: n.replace("left", "@").replace("right", "left").replace("@", "right")  # noqa: E731
    assert [flip(n) for n in J.JOINTS44] == [J.JOINTS44[p] for p in J.FLIP_PERMUTATION]
    rng = np.random.default_rng(0)
    pts, conf = rng.normal(size=(2, 25, 2)), rng.random((2, 25)) > 0.5
    out = J.to_joints44(pts, conf)
    assert out.shape == (2, 44, 3)
    np.testing.assert_allclose(out[:, :25, :2], pts, rtol=1e-6)
    np.testing.assert_array_equal(out[:, :25, 2], conf)
    assert (out[:, 25:37, :2] == pts[:, [11, 10, 9, 12, 13, 14, 4, 3, 2, 5, 6, 7]].astype(np.float32)).all()
    assert (out[:, 39, :2] == pts[:, 8].astype(np.float32)).all()  # Pelvis (MPII) = MidHip
    assert (out[:, ~J.PROVIDED] == 0).all()


# ----------------------------------------------------------------------------- WebDataset shards


def test_shards_read_like_4d_humans_match_ground_truth(tiny_run, tmp_path):
    summary = package(tiny_run, tmp_path / "out", format="webdataset", min_visible_keypoints=0)
    assert summary.npz is None and summary.shards
    people = list(read_shards_like_4d_humans(summary.shards))
    total = sum(len(tiny_run.labels(i)["keypoints_vis"]) for i in tiny_run.sample_ids())
    assert len(people) == total
    keys = [p["__key__"] for p in people]
    assert keys == sorted(keys)  # deterministic member order: sample order
    for p in people:
        d = p["data.pyd"]
        info = d["extra_info"]
        i, k = info["sample_index"], info["person_index"]
        labels = tiny_run.labels(i)
        H, W = labels["image_size"]
        # image: decoded RGB of the right size, close to the render (JPEG q95)
        assert p["jpg"].shape == (H, W, 3) and p["jpg"].dtype == np.uint8
        assert np.abs(p["jpg"].astype(int) - tiny_run.image(i).astype(int)).mean() < 6
        # keypoints: 2D are the labels' pixels; 2D reprojects from 3D and cam_int (< 0.5 px)
        assert d["keypoints_2d"].shape == (44, 3) and d["keypoints_3d"].shape == (44, 4)
        np.testing.assert_allclose(d["keypoints_2d"][:25, :2], labels["keypoints2d"][k], atol=1e-4)
        # anny without an SMPL fit: 4D-Humans' joint map puts SMPL's neck and pelvis in slots 1 and 8,
        # which genb cannot give, so their confidence is 0 (the shoulder / hip midpoints stay as points)
        neck_pelvis = [J.OP_NECK, J.OP_MID_HIP]
        conf = labels["keypoints_in_frame"][k].astype(np.float32)
        conf[neck_pelvis] = 0
        np.testing.assert_array_equal(d["keypoints_2d"][:25, 2], conf)
        np.testing.assert_allclose(d["keypoints_3d"][:25, :3], labels["keypoints3d"][k], atol=1e-6)
        assert reprojection_error(d["keypoints_3d"], d["keypoints_2d"], info["cam_int"]).max() < 0.5
        provided = J.PROVIDED.copy()
        provided[neck_pelvis] = False
        assert (d["keypoints_3d"][provided, 3] == 1).all() and (d["keypoints_3d"][~provided, 3] == 0).all()
        # crop (BEDLAM's definition over the in-frame BODY25 keypoints for anny) and camera
        c, sc, n_in = bedlam_get_bbox_valid(labels["keypoints2d"][k], H, W)
        if n_in:
            np.testing.assert_allclose(d["center"], c, atol=1e-3)
            np.testing.assert_allclose(d["scale"], [sc] * 2, rtol=1e-5)
        assert 0 <= d["center"][0] <= W and 0 <= d["center"][1] <= H
        np.testing.assert_allclose(info["cam_int"], labels["cam_int"])
        # anny: no SMPL parameters claimed; anny's own parameters kept
        assert d["has_body_pose"] == 0 and d["has_betas"] == 0
        assert d["body_pose"].shape == (72,) and d["betas"].shape == (10,)
        np.testing.assert_allclose(info["anny_phenotypes"], labels["anny_phenotypes"][k])
        # mask: the person's visible pixels
        np.testing.assert_array_equal(p["mask"], tiny_run.instances(i) == k + 1)
        # 4D-Humans' own filters run on these dicts
        assert d["scale"].min().item() * 200 > 1
        losses = d.get("extra_info", {}).get("fitting_loss", np.array({})).item()
        assert losses.get("reprojection_loss") is None


def test_shards_roll_by_count_and_ranks_merge_to_the_same_npz(tiny_run, tmp_path, monkeypatch):
    one = package(tiny_run, tmp_path / "one", shard_maxcount=1, card=False)
    n = len(tiny_run.sample_ids())
    assert [p.name for p in one.shards] == [f"genb-r00-{s:06d}.tar" for s in range(n)]
    # two processes (GENB_SHARD) write their own shards; the last one merges
    for rank in (0, 1):
        monkeypatch.setenv("GENB_SHARD", f"{rank}/2")
        two = package(tiny_run, tmp_path / "two", shard_maxcount=1, card=False)
    assert sorted(p.name for p in two.shards) == sorted(
        [f"genb-r00-{s:06d}.tar" for s in range((n + 1) // 2)] + [f"genb-r01-{s:06d}.tar" for s in range(n // 2)])
    assert one.npz.read_bytes() == two.npz.read_bytes()
    # rolled by size: every sample starts a new shard once the limit is passed
    monkeypatch.delenv("GENB_SHARD")
    small = package(tiny_run, tmp_path / "small", shard_maxsize_mb=1e-6, card=False, format="webdataset")
    assert len(small.shards) == n


def test_same_inputs_same_bytes(tiny_run, tmp_path):
    a = package(tiny_run, tmp_path / "a", workers=1, card=False)
    b = package(tiny_run, tmp_path / "b", workers=2, card=False)
    fa, fb = package_files(tmp_path / "a"), package_files(tmp_path / "b")
    assert fa.keys() == fb.keys() and any(k.endswith(".tar") for k in fa)
    assert fa == fb
    assert a.npz.read_bytes() == b.npz.read_bytes()


# ----------------------------------------------------------------------------- BEDLAM npz


def test_genb_npz_matches_ground_truth_and_anny_refuses_smpl_formats(tiny_run, tmp_path):
    summary = package(tiny_run, tmp_path / "out", format="genb", min_visible_keypoints=0, card=False)
    assert not summary.shards and list(summary.npz_files) == ["genb"]
    assert summary.npz.name == "genb-n000.npz" and "_" not in summary.npz.stem
    img_dir = tmp_path / "out"  # imgname is relative to the package folder
    data = np.load(summary.npz, allow_pickle=False)
    imgname, scale, center = data["imgname"], data["scale"], data["center"]
    keypoints = data["keypoints_2d"]
    assert "gtkps" not in data.files and "pose_cam" not in data.files
    cam_int = data["cam_int"]
    assert len(imgname) == sum(len(tiny_run.labels(i)["keypoints_vis"]) for i in tiny_run.sample_ids())
    for index in range(len(imgname)):
        i, k = int(data["sample_index"][index]), int(data["person_index"][index])
        labels = tiny_run.labels(i)
        path = os.path.join(img_dir, imgname[index])
        assert Path(path).read_bytes() == (tiny_run.sample_dir(i) / "image.png").read_bytes()
        cv_img = cv2.imread(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        assert cv_img.shape[:2] == tuple(labels["image_size"])
        np.testing.assert_allclose(keypoints[index, :25, :2], labels["keypoints2d"][k], atol=1e-4)
        assert reprojection_error(data["keypoints_3d"][index], keypoints[index], cam_int[index]).max() < 0.5
        # crop: BEDLAM's get_bbox_valid of the in-frame keypoints; genb's amodal box keeps its own name
        H, W = labels["image_size"]
        c, sc, n_in = bedlam_get_bbox_valid(labels["keypoints2d"][k], H, W)
        if n_in:
            assert scale[index] == pytest.approx(sc, rel=1e-5)
            np.testing.assert_allclose(center[index], c, atol=1e-3)
        np.testing.assert_allclose(data["bbox_full"][index], labels["bbox_full"][k])
        np.testing.assert_allclose(data["cam_ext"][index], labels["cam_ext"])
        np.testing.assert_allclose(data["proj_verts"][index], labels["proj_verts"][k])
        np.testing.assert_allclose(data["joints_2d"][index], labels["joints2d"][k])
        assert data["gender"][index] == labels["gender"][k]
    assert data["anny_phenotypes"].shape == (len(imgname), 6)
    assert data["anny_bone_rotations"].shape == (len(imgname), 104, 3, 3)
    # anny bodies cannot be read as SMPL-X or SMPL: those formats refuse, naming the fix
    for fmt in ("bedlam", "camerahmr", "camerahmr-hands"):
        with pytest.raises(GenbError) as e:
            package(tiny_run, tmp_path / fmt, format=fmt, card=False)
        assert f"--format {fmt}" in str(e.value) and e.value.fix
        assert not (tmp_path / fmt).exists()


def smplx_joints(smplx_body, pose, betas):
    """SMPL-X joints (P, 55, 3) of BEDLAM-layout poses (no translation), through the real smplx module."""
    import torch

    m = smplx_body.model
    n = len(pose)
    t = lambda x: torch.as_tensor(np.asarray(x, np.float32))  # noqa: E731
    with torch.no_grad():
        out = m(global_orient=t(pose[:, :3]), body_pose=t(pose[:, 3:66]), jaw_pose=t(pose[:, 66:69]),
                leye_pose=t(pose[:, 69:72]), reye_pose=t(pose[:, 72:75]), left_hand_pose=t(pose[:, 75:120]),
                right_hand_pose=t(pose[:, 120:165]), betas=t(betas[:, :10]), transl=t(np.zeros((n, 3))),
                expression=t(np.zeros((n, 10))), return_verts=True)
    return out.joints[:, :55].numpy().astype(np.float64)


def test_bedlam_npz_read_like_bedlam_means_projected_smplx_joints(pkg_smplx_run, smplx_body, tmp_path):
    summary = package(pkg_smplx_run, tmp_path / "out", min_visible_keypoints=0, card=False)
    assert set(summary.npz_files) == {"genb", "bedlam", "camerahmr-hands", "humandata"}  # no SMPL files: no camerahmr
    # BEDLAM train/dataset/dataset.py DatasetHMR.__init__, is_train:
    data = np.load(summary.npz_files["bedlam"], allow_pickle=True)
    pose_cam = data["pose_cam"][:, :22 * 3].astype(np.float64)  # NUM_JOINTS_SMPLX = 22
    betas = data["shape"].astype(np.float64)
    if betas.shape[-1] == 10:
        betas = np.hstack((betas, np.zeros((betas.shape[0], 1))))
    keypoints = data["gtkps"][:, :24]
    gender = np.array([0 if str(g) == "m" else 1 for g in data["gender"]]).astype(np.int32)
    assert "proj_verts" not in data.files  # BEDLAM's loader then uses its zeros (N, 437, 3)
    assert betas.shape[1] == 11 and data["pose_cam"].shape[1] == 165 and data["gtkps"].shape[1:] == (55, 3)
    # __getitem__: translation = cam_ext[:, 3]; translation[:3] += trans_cam
    translation = data["cam_ext"][:, :, 3].copy()
    translation[:, :3] += data["trans_cam"]
    joints = smplx_joints(smplx_body, data["pose_cam"], betas) + translation[:, None, :3]
    uv = np.stack([project(j, K.astype(np.float64)) for j, K in zip(joints, data["cam_int"])])
    # the rows BEDLAM pairs with predicted SMPL-X joints are exactly these projections
    np.testing.assert_allclose(keypoints[..., :2], uv[:, :24], atol=0.05)
    assert set(np.unique(keypoints[..., 2])) <= {0.0, 1.0}
    gen = np.load(summary.npz_files["genb"])
    for index in range(len(keypoints)):
        i, k = int(data["sample_index"][index]), int(data["person_index"][index])
        labels = pkg_smplx_run.labels(i)
        np.testing.assert_allclose(data["gtkps"][index, :, :2], labels["joints2d"][k], atol=1e-4)
        expect = {"male": 0, "female": 1, "neutral": 1}[str(labels["gender"][k])]
        assert gender[index] == expect and data["gender"][index] == str(labels["gender"][k])[0]
        # crop: get_bbox_valid(joints2d[:22]) x 1.2, >= 12 joints in frame
        H, W = labels["image_size"]
        c, sc, n_in = bedlam_get_bbox_valid(labels["joints2d"][k][:22], H, W)
        assert n_in >= 12
        np.testing.assert_allclose(data["center"][index], c, atol=1e-3)
        assert data["scale"][index] == pytest.approx(sc, rel=1e-5)
    # people BEDLAM's rule drops are not in the bedlam npz but are in genb's
    assert len(keypoints) <= len(gen["imgname"])
    # CameraHMR's hands loader (core/datasets/dataset_train_hands.py) reads its npz
    hands = np.load(summary.npz_files["camerahmr-hands"], allow_pickle=True)
    for key in ("lh_c", "rh_c", "lh_s", "rh_s"):
        assert key in hands.files
    pose = hands["pose_cam"].astype(np.float32)
    assert hands["shape"].shape[1] == 16 and hands["gtkps"].shape[1:] == (44, 3)
    np.testing.assert_allclose(pose[:, 75:120], data["pose_cam"][:, 75:120])
    from genb.package.joints44 import FLIP_PERMUTATION

    assert hands["gtkps"][:, FLIP_PERMUTATION].shape == hands["gtkps"].shape  # its 44-entry flip
    # slots 1 and 8 (OP Neck, OP MidHip) hold SMPL-X's neck (12) and pelvis (0), as its joint map does
    hands_joints = smplx_joints(smplx_body, hands["pose_cam"], hands["shape"])
    hands_t = hands["cam_ext"][:, :, 3].copy()
    hands_t[:, :3] += hands["trans_cam"]
    uv_h = np.stack([project(j, K.astype(np.float64)) for j, K in zip(hands_joints + hands_t[:, None, :3], hands["cam_int"])])
    np.testing.assert_allclose(hands["gtkps"][:, [1, 8], :2], uv_h[:, [12, 0]], atol=0.05)
    lh = hands["gtkps"][:, 7, :2]  # OP LWrist lies inside the left-hand crop
    assert (np.abs(lh - hands["lh_c"]).max(axis=1) <= hands["lh_s"] * 100 + 1e-3).all()
    # shards: no SMPL files, so no SMPL parameters claimed (and no SMPL-X values in SMPL slots)
    people = list(read_shards_like_4d_humans(summary.shards))
    assert len(people) == len(gen["imgname"])
    for p in people:
        d = p["data.pyd"]
        assert d["has_body_pose"] == 0 and d["has_betas"] == 0
        assert (d["body_pose"] == 0).all() and (d["betas"] == 0).all()
        assert d["extra_info"]["smplx_betas"].shape == (10,)


def test_humandata_read_like_smpler_x_reprojects_with_its_camera_meta(pkg_smplx_run, smplx_body, tmp_path):
    summary = package(pkg_smplx_run, tmp_path / "out", format="humandata", min_visible_keypoints=0, card=True)
    # SMPLer-X datasets/humandata.py load_data
    content = np.load(summary.npz_files["humandata"], allow_pickle=True)
    assert not content["__keypoints_compressed__"]
    # mmhuman3d's HumanData.load takes the length from __data_len__ (older files: __temporal_len__)
    from genb.package.humandata import data_len

    assert int(content["__data_len__"]) == len(content["image_path"]) == data_len(content)
    assert "__temporal_len__" not in content.files
    assert data_len({"__temporal_len__": np.array(3)}) == 3
    # hand poses are absolute (flat_hand_mean=True): the file and the card say so
    assert content["misc"].item()["flat_hand_mean"] is True
    card = " ".join((tmp_path / "out" / "README.md").read_text().split())
    assert "HumanData hand poses are absolute" in card and "hands_meanl" in card
    meta = content["meta"].item()
    image_path = content["image_path"]
    image_shape = np.stack([np.array(meta["height"]), np.array(meta["width"])], axis=-1)
    focal_length = np.array(meta["focal_length"], dtype=np.float32)
    principal_point = np.array(meta["principal_point"], dtype=np.float32)
    bbox_xywh = content["bbox_xywh"]
    smplx = content["smplx"].item()
    keypoints2d = content["keypoints2d_smplx"][:, :, :2]
    keypoints3d = content["keypoints3d_smplx"][:, :, :3]
    mask = content["keypoints2d_smplx_mask"]
    n = len(image_path)
    assert n == sum(len(pkg_smplx_run.labels(i)["keypoints_vis"]) for i in pkg_smplx_run.sample_ids())
    for i in range(n):
        assert (tmp_path / "out" / image_path[i]).is_file()
        K = np.array([[focal_length[i][0], 0, principal_point[i][0]], [0, focal_length[i][1], principal_point[i][1]], [0, 0, 1]])
        uv = project(keypoints3d[i].astype(np.float64), K)
        assert np.abs(uv - keypoints2d[i])[mask > 0].max() < 1e-2  # keypoints reproject with the camera meta
        x, y, w, h = bbox_xywh[i][:4]
        assert w == h > 0 and tuple(image_shape[i]) == tuple(pkg_smplx_run.labels(0)["image_size"])
    # the SMPL-X parameters replay to the 3D keypoints (camera frame, transl included)
    params = {k: np.asarray(v, np.float64).reshape(n, -1) for k, v in smplx.items()}
    _, kp25 = smplx_body.forward_params(params)
    from genb.package.humandata import FROM_BODY25

    np.testing.assert_allclose(kp25[:, FROM_BODY25], keypoints3d[:, 55:66], atol=1e-4)
    assert (mask[:66] == 1).all() and (mask[66:] == 0).all()


# ----------------------------------------------------------------------------- selection by the checker


def test_only_accepted_samples_and_include_rejected(pkg_run, tmp_path):
    summary = package(pkg_run, tmp_path / "acc", noise=PKG_NOISE, min_visible_keypoints=0)
    data = np.load(summary.npz)
    accepted = sorted(i for i, ok in PKG_ACCEPTED.items() if ok)
    assert sorted(set(data["sample_index"].tolist())) == accepted
    # the enhanced images are packaged, not the renders
    for name, i in zip(data["imgname"], data["sample_index"]):
        assert (tmp_path / "acc" / name).read_bytes() == (pkg_run.enhanced_dir(PKG_NOISE) / f"{i:06d}.png").read_bytes()
    keys = {p["__key__"] for p in read_shards_like_4d_humans(summary.shards)}
    assert keys == {f"genb_n040_{i:06d}" for i in accepted}
    card = (tmp_path / "acc" / "README.md").read_text()
    assert "| accepted | 2 (50.0%) |" in card and "noise 0.40" in card

    every = package(pkg_run, tmp_path / "all", noise=PKG_NOISE, include_rejected=True, card=False)
    assert sorted(set(np.load(every.npz)["sample_index"].tolist())) == pkg_run.sample_ids()
    # --source render packages the renders of the accepted samples
    renders = package(pkg_run, tmp_path / "ren", noise=PKG_NOISE, source="render", format="genb", card=False)
    d = np.load(renders.npz)
    assert renders.npz.name == "genb-render-n040.npz"
    assert sorted(set(d["sample_index"].tolist())) == accepted
    assert (tmp_path / "ren" / d["imgname"][0]).read_bytes() == (pkg_run.sample_dir(int(d["sample_index"][0])) / "image.png").read_bytes()


def test_missing_check_results_is_an_error_naming_the_fix(pkg_run, tmp_path, capsys):
    from genb.cli import main

    for p in pkg_run.check_dir(PKG_NOISE).glob("*.json"):
        p.unlink()
    out = tmp_path / "out"
    with pytest.raises(GenbError) as e:
        package(pkg_run, out, noise=PKG_NOISE)
    assert "genb check" in e.value.fix and "--include-rejected" in e.value.fix
    assert not out.exists()
    assert main(["package", str(pkg_run.root), str(out), "--noise", "0.4"]) == 2
    assert "no check results for noise 0.40" in capsys.readouterr().err
    # nothing accepted is an error too
    write_decisions(pkg_run, PKG_NOISE, {i: False for i in PKG_ACCEPTED})
    with pytest.raises(GenbError, match="accepted none"):
        package(pkg_run, out, noise=PKG_NOISE)
    # no enhanced images at that noise
    with pytest.raises(GenbError, match="genb enhance"):
        package(pkg_run, out, noise=0.7)


def test_resume_keeps_a_finished_package_and_refuses_other_settings(tiny_run, tmp_path):
    out = tmp_path / "out"
    first = package(tiny_run, out, card=False)
    before = {p: p.stat().st_mtime_ns for p in first.shards}
    again = package(tiny_run, out, card=False)
    assert again.skipped and again.packaged == 0
    assert {p: p.stat().st_mtime_ns for p in again.shards} == before
    with pytest.raises(GenbError, match="different settings: --jpeg-quality"):
        package(tiny_run, out, card=False, jpeg_quality=50)
    assert {p: p.stat().st_mtime_ns for p in first.shards} == before


# ----------------------------------------------------------------------------- card, CLI, torch Dataset


def test_card_cli_and_dataset(tiny_run, tmp_path, capsys):
    from genb.cli import main
    from genb.data import PackagedDataset, crop_matrix

    out = tmp_path / "out"
    assert main(["package", str(tiny_run.root), str(out), "--format", "all", "--image-format", "png"]) == 0
    assert "packaged" in capsys.readouterr().out
    card = (out / "README.md").read_text()
    n_people = sum(len(tiny_run.labels(i)["keypoints_vis"]) for i in tiny_run.sample_ids())
    assert f"| people in them | {n_people} |" in card
    assert "Apache-2.0" in card and "CC0" in card and "no `pose_cam`, `shape`, `trans_cam`" in card
    assert "* render: `" in card and "* package: `" in card and "| webdataset | " in card
    flat = " ".join(card.split())
    assert "register them with `TYPE: ImageDataset`" in flat and "not `BedlamDataset`" in flat  # TokenHMR
    for name in ("people_per_image", "fov", "body_shape", "visible_joints"):
        img = cv2.imread(str(out / "card" / f"{name}.png"))
        assert img is not None and img.shape[0] > 50
    # png shards hold the source bytes exactly
    import tarfile

    with tarfile.open(next((out / "webdataset").glob("*.tar"))) as tar:
        member = tar.getmember("genb_n000_000000.png")
        assert tar.extractfile(member).read() == (tiny_run.sample_dir(0) / "image.png").read_bytes()

    # the torch Dataset: full images, then crops whose keypoints follow the pixels
    full = PackagedDataset(out, crop_size=None)
    item = full[0]
    H, W = tiny_run.labels(0)["image_size"]
    assert item["image"].shape == (3, H, W) and float(item["image"].max()) <= 1.0
    assert item["cam_int"].shape == (3, 3) and item["keypoints_2d"].shape == (44, 3)
    # an image whose red/green channels are the pixel's x/y shows where crop keypoints land
    ramp = np.zeros((H, W, 3), np.uint8)
    ramp[..., 0], ramp[..., 1] = np.arange(W)[None, :], np.arange(H)[:, None]
    for name in set(full.data["imgname"]):
        cv2.imwrite(str(out / name), ramp[..., ::-1])
    crops = PackagedDataset(out, crop_size=64)
    checked = 0
    for index in range(len(crops)):
        it = crops[index]
        kp, src = it["keypoints_2d"].numpy(), it["keypoints_2d_full"].numpy()
        patch = (it["image"].numpy().transpose(1, 2, 0) * 255).round()
        for j in np.flatnonzero(src[:, 2] > 0):
            u, v = kp[j, :2]
            x, y = src[j, :2]
            if 1 <= u < 62 and 1 <= v < 62 and 1 <= x < W - 2 and 1 <= y < H - 2:
                val = patch[int(round(v)), int(round(u))]
                scale = 64 / (float(it["scale"]) * 200)
                tol = 1.0 / min(scale, 1.0) + 0.6
                assert abs(val[0] - x) < tol and abs(val[1] - y) < tol
                checked += 1
    assert checked > 10
    M = crop_matrix(np.array([50.0, 40.0]), 20.0, 10)
    np.testing.assert_allclose(M @ [40.0 - 0.5, 30.0 - 0.5, 1.0], [-0.5, -0.5])  # outer pixel edges map to edges


def test_config_validation_and_preset():
    from genb.config import resolve_config

    cfg = resolve_config(PackageConfig, "package", "default")
    assert cfg.format == "all" and cfg.min_visible_keypoints == 4
    for bad in ({"noise": 1.5}, {"source": "enhanced"}, {"jpeg_quality": 0}, {"shard_maxcount": 0}):
        with pytest.raises(GenbError):
            resolve_config(PackageConfig, "package", None, bad)


def test_min_visible_keypoints_drops_people(tiny_run, tmp_path):
    counts = np.concatenate([tiny_run.labels(i)["keypoints_vis"].sum(1) for i in tiny_run.sample_ids()])
    threshold = int(counts.max())  # keeps the best-seen people, drops the others
    summary = package(tiny_run, tmp_path / "out", min_visible_keypoints=threshold)
    data = np.load(summary.npz)
    assert len(data["imgname"]) == int((counts >= threshold).sum()) >= 1
    assert (data["keypoints_2d"][:, :25, 2].sum(1) >= 0).all()
    card = (tmp_path / "out" / "README.md").read_text()
    assert f"| people left out (fewer than {threshold} visible keypoints) | {int((counts < threshold).sum())} |" in card
    # nobody left at all: an empty npz, readable, and no shard samples
    none = package(tiny_run, tmp_path / "none", min_visible_keypoints=25, card=False) if counts.max() < 25 else None
    if none is not None:
        assert len(np.load(none.npz)["imgname"]) == 0 and none.shards == []


def test_pickled_people_hold_only_plain_types(tiny_run, tmp_path):
    summary = package(tiny_run, tmp_path / "out", format="webdataset", card=False)
    import tarfile

    allowed = (np.ndarray, np.generic, int, float, str, bool, dict, list)
    with tarfile.open(summary.shards[0]) as tar:
        for m in tar.getmembers():
            if m.name.endswith(".data.pyd"):
                for person in pickle.loads(tar.extractfile(m).read()):
                    for v in list(person.values()) + list(person["extra_info"].values()):
                        assert isinstance(v, allowed), type(v)


def test_example_train_loop_reads_the_package(tiny_run, tmp_path, capsys):
    import importlib.util

    out = tmp_path / "out"
    package(tiny_run, out, card=False)
    spec = importlib.util.spec_from_file_location("train_loop", Path(__file__).parents[1] / "examples" / "train_loop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loss = module.main([str(out), "--steps", "3", "--crop", "64", "--shards"])
    assert np.isfinite(loss)
    text = capsys.readouterr().out
    n = len(np.load(next((out / "genb").glob("*.npz")))["imgname"])
    assert f"{n} people in" in text and f"{n} people in the shards" in text


def test_a_failure_midway_leaves_no_partial_shards_and_resumes(tiny_run, tmp_path, monkeypatch):
    from genb.package import stage as stage_module

    clean = package(tiny_run, tmp_path / "clean", card=False)
    real_call = stage_module.PackageStage.__call__

    def failing(self, index):
        if index == 2:
            raise GenbError("disk hiccup")
        return real_call(self, index)

    monkeypatch.setattr(stage_module.PackageStage, "__call__", failing)
    out = tmp_path / "out"
    with pytest.raises(GenbError, match="disk hiccup"):
        package(tiny_run, out, card=False)
    assert not list((out / "webdataset").glob("*.tar")) and not list(out.rglob("done-*.json"))
    monkeypatch.setattr(stage_module.PackageStage, "__call__", real_call)
    again = package(tiny_run, out, card=False)
    assert not list((out / "webdataset").glob(".tmp-*"))
    assert package_files(out) == package_files(tmp_path / "clean") and again.npz.read_bytes() == clean.npz.read_bytes()


def test_shards_are_read_with_a_restricted_unpickler(tiny_run, tmp_path):
    import fractions
    import io
    import tarfile

    from genb.data import load_pyd, webdataset_people

    summary = package(tiny_run, tmp_path / "out", format="webdataset", card=False, masks=False)
    people = list(webdataset_people(summary.shards))
    assert people and isinstance(people[0]["data.pyd"]["keypoints_2d"], np.ndarray)
    # a shard whose .data.pyd carries any other object is refused, naming it, and nothing of it runs
    bad = tmp_path / "bad.tar"
    payload = pickle.dumps([{"keypoints_2d": np.zeros((44, 3)), "extra_info": {"x": fractions.Fraction(1, 3)}}])
    with tarfile.open(bad, "w") as tar:
        for name, data in (("k0.data.pyd", payload), ("k0.jpg", (tiny_run.sample_dir(0) / "image.png").read_bytes())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(GenbError, match="fractions.Fraction") as e:
        list(webdataset_people([bad]))
    assert "trust" in e.value.fix
    assert load_pyd(pickle.dumps({"a": [1, 2.0, "s", np.float32(3)]}))["a"][3] == 3
