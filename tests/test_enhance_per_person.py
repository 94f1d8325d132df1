"""genb enhance --per-person: crop geometry, the person/detail passes through the tiny pipeline, compositing."""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import subprocess
import sys

import numpy as np
import pytest

from _fixtures_enhance import tiny_enhance_config
from genb.enhance.crops import (
    CropBox, composite, crop_image, crop_intrinsics, far_to_near, feathered_mask, map_points, resampling, square_box, uncrop,
)
from genb.enhance.crop_files import read_saved_crop
from genb.enhance.stage import run_enhance
from genb.errors import GenbError
from genb.core.io import read_image
from genb.core.run import RunFolder

PP = dict(per_person=True, person_min_size=20, save_crops=True)


def _pngs(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


def _copy(run: RunFolder, dst) -> RunFolder:
    return RunFolder(shutil.copytree(run.root, dst, ignore=shutil.ignore_patterns("enhanced")))


# ----------------------------------------------------------------------------- geometry (no model)


def test_crop_intrinsics_project_the_keypoints_where_the_crop_has_them(_people_run_template, request):
    runs = [_people_run_template]
    try:
        runs.append(request.getfixturevalue("tiny_run"))  # real renders, when the render stage is here
    except (pytest.FixtureLookupError, ImportError):
        pass
    checked = 0
    for run in runs:
        for i in run.sample_ids():
            labels = run.labels(i)
            for p in range(len(labels["bbox_full"])):
                box = square_box(labels["bbox_full"][p], 64, 1.25)
                K = crop_intrinsics(labels["cam_int"], box)
                X = labels["keypoints3d"][p].astype(np.float64)
                uv = (X @ K.T)[:, :2] / X[:, 2:]
                np.testing.assert_allclose(uv, map_points(labels["keypoints2d"][p], box), atol=1e-3)
                checked += 1
    assert checked >= 6


def test_crop_pixels_sit_where_the_affine_map_says():
    """A ramp image u + 1000 v: the crop's value at crop pixel (u', v') is the source coordinate that
    maps there (independent check of the cv2.resize half-pixel convention against crop_affine)."""
    H, W = 60, 80
    v, u = np.mgrid[0:H, 0:W].astype(np.float32)
    ramp = u + 1000.0 * v
    box = CropBox(x0=20, y0=10, side=30, size=90)  # upscaled x3, inside the image
    crop = crop_image(ramp, box, "linear")
    A = box.affine()
    inv = np.linalg.inv(A)
    vv, uu = np.mgrid[10:80, 10:80]  # away from the border, where linear interpolation clamps
    src = np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)]).T @ inv.T
    np.testing.assert_allclose(crop[vv.ravel(), uu.ravel()], src[:, 0] + 1000.0 * src[:, 1], atol=2e-2)
    back, (iy, ix) = uncrop(crop, box, H, W)
    np.testing.assert_allclose(back[2:-2, 2:-2], ramp[iy, ix][2:-2, 2:-2], atol=2e-2)


def test_render_crops_pasted_back_land_on_the_render(_people_run_template):
    """Geometry round trip: pasting each person's crop of the render (no model) back gives the render
    again up to resampling, and clearly worse when the crop is put one pixel off."""
    run = _people_run_template
    for i in run.sample_ids():
        render, instances, labels = run.image(i), run.instances(i), run.labels(i)
        order = far_to_near(labels["keypoints3d"])
        for size in (256,):  # enlarged, as people are at the model resolution
            boxes = [square_box(labels["bbox_full"][p], size) for p in range(3)]
            layers = [(p, crop_image(render, b, resampling(b)), b) for p, b in enumerate(boxes)]
            back = composite(render, layers, instances, order, 4, 2)
            shifted = composite(render, [(p, c, CropBox(b.x0 + 1, b.y0, b.side, b.size)) for p, c, b in layers],
                                instances, order, 4, 2)
            people = instances > 0
            err = np.abs(back[people].astype(int) - render[people]).mean()
            off = np.abs(shifted[people].astype(int) - render[people]).mean()
            assert err < 1.5 and off > 2 * err + 1


def test_crop_leaving_the_image_is_padded_and_pastes_only_inside():
    img = np.arange(40 * 50 * 3, dtype=np.uint8).reshape(40, 50, 3)
    box = CropBox(x0=-10, y0=30, side=20, size=20)
    crop = crop_image(img, box, "linear", "zero")
    assert crop.shape == (20, 20, 3) and not crop[10:, :].any() and not crop[:, :10].any()
    np.testing.assert_array_equal(crop[:10, 10:], img[30:40, 0:10])
    piece, (iy, ix) = uncrop(crop, box, 40, 50)
    assert piece.shape == (10, 10, 3) and (iy, ix) == (slice(30, 40), slice(0, 10))


def test_feathered_mask_and_far_to_near_compositing():
    mask = np.zeros((40, 40), bool)
    mask[15:25, 15:25] = True
    a = feathered_mask(mask, dilate=6, feather=4)
    assert (a[mask] == 1).all() and a[15, 9] == 0 and a[15, 13] == 1 and 0 < a[15, 10] < 1
    # two people: 1 (near) covers the right part of 0 (far); white far crop, black near crop
    instances = np.zeros((40, 40), np.uint8)
    instances[5:35, 5:25] = 1
    instances[10:35, 18:32] = 2
    base = np.full((40, 40, 3), 100, np.uint8)
    box = CropBox(0, 0, 40, 40)
    far, near = np.full((40, 40, 3), 255, np.uint8), np.zeros((40, 40, 3), np.uint8)
    order = far_to_near(np.array([[[0, 0, 6.0]] * 25, [[0, 0, 3.0]] * 25]))
    assert order == [0, 1]
    out = composite(base, [(0, far, box), (1, near, box)], instances, order, dilate=4, feather=2)
    away = (instances == 1) & (feathered_mask(instances == 2, 4, 2) == 0)  # where the near one's feather ends
    assert (out[instances == 2] == 0).all() and (out[away] == 255).all() and away.sum() > 200
    only_far = composite(base, [(0, far, box)], instances, order, dilate=4, feather=2)
    assert (only_far[instances == 2] == 100).all()  # the far crop never paints the nearer person
    d = feathered_mask(instances > 0, 4, 2)
    assert (out[d == 0] == 100).all()  # outside every mask: the base's bytes


# ----------------------------------------------------------------------------- the passes (tiny pipeline)


def test_noise_zero_every_pass_returns_the_render(people_run):
    cfg = tiny_enhance_config(noise=0.0, noise_person=0.0, detail=("face",), base_model="nobody/not-a-model",
                              offline=True, **PP)
    run_enhance(people_run, cfg)
    folder = people_run.enhanced_dir(0.0)
    for i in people_run.sample_ids():
        assert np.array_equal(read_image(folder / f"{i:06d}.png"), people_run.image(i))
        rec = json.loads((folder / f"{i:06d}.json").read_text())["per_person"]
        assert [p["steps_run"] for p in rec["passes"]] and all(p["steps_run"] == 0 for p in rec["passes"])
        for c in sorted((folder / "crops").glob(f"{i:06d}_p*.json")):
            _, saved_box = read_saved_crop(c)
            crop = read_image(c.with_suffix(".png"))
            assert np.array_equal(crop, crop_image(people_run.image(i), saved_box, resampling(saved_box)))  # the render's crop


@pytest.fixture(scope="module")
def _people_outputs(tiny_pipeline_dir, _people_run_template, tmp_path_factory):
    """The same run enhanced whole-image only and per-person (person batch 3), at 0.4."""
    root = tmp_path_factory.mktemp("pp")
    whole = _copy(_people_run_template, root / "whole")
    run_enhance(whole, tiny_enhance_config())
    pp = _copy(_people_run_template, root / "pp")
    run_enhance(pp, tiny_enhance_config(person_batch_size=3, **PP))
    return whole, pp


def test_outside_the_people_the_result_is_the_whole_image_pass(_people_outputs):
    import cv2

    whole, pp = _people_outputs
    for i in whole.sample_ids():
        a = read_image(whole.enhanced_dir(0.4) / f"{i:06d}.png")
        b = read_image(pp.enhanced_dir(0.4) / f"{i:06d}.png")
        instances = whole.instances(i)
        dist = cv2.distanceTransform((instances == 0).astype(np.uint8), cv2.DIST_L2, 5)
        outside = dist >= 8  # --person-dilate
        assert outside.sum() > 0.3 * outside.size
        assert np.array_equal(a[outside], b[outside])
        rec = json.loads((pp.enhanced_dir(0.4) / f"{i:06d}.json").read_text())["per_person"]
        enhanced = [q["person"] for q in rec["passes"]]
        assert len(enhanced) == 2 and [s["person"] for s in rec["skipped"]] == [int(np.argmax(
            whole.labels(i)["keypoints3d"][:, 0, 2]))]  # the tiny far one
        for p in enhanced:
            inside = instances == p + 1
            assert np.abs(a[inside].astype(int) - b[inside]).mean() > 5  # the crops did something


def test_saved_crops_carry_their_camera_box_and_keypoints(_people_outputs):
    _, pp = _people_outputs
    folder = pp.enhanced_dir(0.4) / "crops"
    files = sorted(folder.glob("*.json"))
    assert len(files) == 4
    for path in files:
        rec, box = read_saved_crop(path)
        i, p = rec.index, rec.person
        labels = pp.labels(i)
        assert read_image(path.with_suffix(".png")).shape == (64, 64, 3) and rec.resolution == 64
        X = labels["keypoints3d"][p]
        uv = (X @ rec.cam_int.T)[:, :2] / X[:, 2:]
        np.testing.assert_allclose(uv, rec.keypoints2d, atol=1e-6)
        np.testing.assert_allclose(rec.keypoints2d, map_points(labels["keypoints2d"][p], box), atol=1e-9)
        # the person is in the crop: their keypoints land on their pixels of the crop of instances.png
        ids = crop_image(pp.instances(i), box, "nearest", "zero")
        kp = np.rint(rec.keypoints2d[rec.keypoints_vis]).astype(int)
        assert np.mean(ids[kp[:, 1], kp[:, 0]] == p + 1) > 0.8
        assert rec.strength == 0.4 and rec.steps_run == 4
        colours = ["red", "green", "blue"]  # that person's recipe only (make_people_run)
        assert f"{colours[p]} t-shirt" in rec.prompt and sum(f"{c} t-shirt" in rec.prompt for c in colours) == 1
        assert ("brown ponytail hair" in rec.prompt) == (p == 0)
        assert path.read_bytes() == (json.dumps(rec.to_json(), indent=1, sort_keys=True) + "\n").encode()  # read, written: same


def test_a_nearer_person_is_never_overwritten_by_a_farther_crop(_people_outputs):
    whole, pp = _people_outputs
    for i in pp.sample_ids():
        labels = pp.labels(i)
        near, far = int(np.argmin(labels["keypoints3d"][:, 0, 2])), int(np.argsort(labels["keypoints3d"][:, 0, 2])[1])
        base = read_image(whole.enhanced_dir(0.4) / f"{i:06d}.png")
        result = read_image(pp.enhanced_dir(0.4) / f"{i:06d}.png")
        instances = pp.instances(i)
        layers = {}
        for p in (near, far):
            _, box = read_saved_crop(pp.enhanced_dir(0.4) / "crops" / f"{i:06d}_p{p:02d}.json")
            layers[p] = (p, read_image(pp.enhanced_dir(0.4) / "crops" / f"{i:06d}_p{p:02d}.png"), box)
        order = far_to_near(labels["keypoints3d"])
        near_only = composite(base, [layers[near]], instances, order, 8, 6)
        mine = instances == near + 1
        assert np.array_equal(result[mine], near_only[mine])
        # and the far crop would have changed those pixels had it been pasted there
        piece, (iy, ix) = uncrop(layers[far][1], layers[far][2], *instances.shape)
        covered = np.zeros_like(mine)
        covered[iy, ix] = True
        overlap = mine & covered
        assert overlap.sum() > 50
        full = np.zeros_like(base)
        full[iy, ix] = piece
        assert np.abs(full[overlap].astype(int) - result[overlap]).mean() > 5
        assert np.array_equal(composite(base, [layers[far], layers[near]], instances, order, 8, 6), result)


def test_same_bytes_across_person_batch_sizes_and_after_resume(_people_outputs, tmp_path):
    _, pp = _people_outputs
    reference = _pngs(pp.enhanced_dir(0.4))
    one = _copy(pp, tmp_path / "one")
    run_enhance(one, tiny_enhance_config(person_batch_size=1, batch_size=1, **PP))
    assert _pngs(one.enhanced_dir(0.4)) == reference
    # a run killed after sample 1's first crop: resume re-reads that crop and makes the rest
    folder = one.enhanced_dir(0.4)
    for p in list(folder.glob("000001*")) + [folder / "crops" / "000001_p02.png", folder / "crops" / "000001_p02.json"]:
        p.unlink(missing_ok=True)
    kept = folder / "crops" / "000001_p01.png"
    mtime = kept.stat().st_mtime_ns
    summary = run_enhance(one, tiny_enhance_config(person_batch_size=2, **PP))
    assert summary.enhanced == 1 and summary.skipped == 1
    assert _pngs(folder) == reference and kept.stat().st_mtime_ns == mtime
    # without --save-crops the crops are only kept while their sample is unfinished
    bare = _copy(pp, tmp_path / "bare")
    run_enhance(bare, tiny_enhance_config(per_person=True, person_min_size=20))
    assert not (bare.enhanced_dir(0.4) / ".crops-partial").exists() and not (bare.enhanced_dir(0.4) / "crops").exists()
    assert {k: v for k, v in reference.items() if "/" not in k} == _pngs(bare.enhanced_dir(0.4))


@pytest.mark.slow
def test_same_bytes_across_processes(_people_outputs, tmp_path, monkeypatch):
    _, pp = _people_outputs
    two = _copy(pp, tmp_path / "two")
    env = {**os.environ, "GENB_SHARD": "1/2", "OMP_NUM_THREADS": "1", "GENB_QUIET_TINY": "1"}
    args = [sys.executable, "-m", "genb", "enhance", str(two.root), "--preset", "tiny", "--steps", "10", "--threads", "1",
            "--batch-size", "2", "--per-person", "--person-min-size", "20", "--save-crops"]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    monkeypatch.setenv("GENB_SHARD", "0/2")  # this process: sample 0; the other one made sample 1
    run_enhance(two, tiny_enhance_config(**PP))
    assert _pngs(two.enhanced_dir(0.4)) == _pngs(pp.enhanced_dir(0.4))


def test_per_person_settings_are_checked(people_run):
    with pytest.raises(GenbError, match="need --per-person"):
        tiny_enhance_config(save_crops=True)
    with pytest.raises(GenbError, match="unknown detail"):
        tiny_enhance_config(per_person=True, detail=("feet",))
    with pytest.raises(GenbError, match="--person-context"):
        tiny_enhance_config(per_person=True, person_context=0.5)
    run_enhance(people_run, tiny_enhance_config(per_person=True, noise_person=0.0, limit=1))
    with pytest.raises(GenbError, match="different settings: .*--per-person was True, now False"):
        run_enhance(people_run, tiny_enhance_config(limit=1))  # a whole-image run into a per-person folder


# ----------------------------------------------------------------------------- genb package --crops


def test_package_writes_the_saved_crops_with_their_camera(tiny_pipeline_dir, tiny_run, tmp_path):
    import webdataset as wds

    from genb.package.stage import PackageConfig, run_package

    run = _copy(tiny_run, tmp_path / "run")
    run_enhance(run, tiny_enhance_config(**PP))
    saved = {p.stem for p in (run.enhanced_dir(0.4) / "crops").glob("*.json")}
    assert saved
    summary = run_package(run, tmp_path / "out", PackageConfig(noise=0.4, include_rejected=True, crops=True,
                                                               min_visible_keypoints=0, card=False, image_format="png"))
    full = run_package(run, tmp_path / "full", PackageConfig(noise=0.4, include_rejected=True, format="genb",
                                                             min_visible_keypoints=0, card=False, image_format="png"))
    npz = dict(np.load(summary.npz_files["genb"], allow_pickle=False))
    whole_image = dict(np.load(full.npz_files["genb"], allow_pickle=False))
    row_of = {(int(i), int(p)): k for k, (i, p) in enumerate(zip(whole_image["sample_index"], whole_image["person_index"]))}
    assert sorted(Path(n).stem for n in npz["imgname"]) == sorted(saved)
    for k, name in enumerate(npz["imgname"]):
        i, p = int(npz["sample_index"][k]), int(npz["person_index"][k])
        image = read_image(summary.out / name)
        assert image.shape == (64, 64, 3) and tuple(npz["image_size"][k]) == (64, 64)
        assert np.array_equal(image, read_image(run.enhanced_dir(0.4) / "crops" / f"{i:06d}_p{p:02d}.png"))
        # cam_int is the crop's K: it projects the (unchanged) 3D keypoints and joints onto the stored 2D ones
        kp3d, kp2d, K = npz["keypoints_3d"][k][:25], npz["keypoints_2d"][k][:25], npz["cam_int"][k].astype(np.float64)
        uv = (kp3d[:, :3] @ K.T)[:, :2] / kp3d[:, 2:3]
        assert np.abs(uv - kp2d[:, :2]).max() < 1e-2
        j3d, j2d = npz["joints_3d"][k].astype(np.float64), npz["joints_2d"][k]
        assert np.abs((j3d @ K.T)[:, :2] / j3d[:, 2:3] - j2d).max() < 1e-2
        np.testing.assert_allclose(kp3d[:, :3], run.labels(i)["keypoints3d"][p], atol=1e-6)
        rec, box = read_saved_crop(run.enhanced_dir(0.4) / "crops" / f"{i:06d}_p{p:02d}.json")
        np.testing.assert_allclose(K, rec.cam_int, rtol=1e-6, atol=1e-4)
        # the crop box a trainer cuts: the full image's center/scale mapped into the crop
        w = row_of[(i, p)]
        np.testing.assert_allclose(npz["center"][k], map_points(whole_image["center"][w], box), atol=1e-3)
        np.testing.assert_allclose(npz["scale"][k], whole_image["scale"][w] * box.scale, rtol=1e-5)
    items = list(wds.WebDataset([str(u) for u in summary.shards], shardshuffle=False).decode("rgb8")
                 .rename(jpg="jpg;jpeg;png"))
    assert sorted(it["__key__"].rsplit("_", 2)[1] + "_" + it["__key__"].rsplit("_", 1)[1] for it in items) == sorted(saved)
    for it in items:
        (person,) = it["data.pyd"]
        info = person["extra_info"]
        mask = it["detection.npz"]["masks"][info["detection_npz_idx"]]
        assert it["jpg"].shape == (64, 64, 3) and mask.shape == (64, 64) and mask.any()
        assert tuple(info["image_size"]) == (64, 64)
    whole = _copy(tiny_run, tmp_path / "whole")
    run_enhance(whole, tiny_enhance_config(limit=1))  # whole-image only: no crops to package
    with pytest.raises(GenbError, match="--crops needs the per-person crops"):
        run_package(whole, tmp_path / "out2", PackageConfig(noise=0.4, include_rejected=True, crops=True))
    assert not (tmp_path / "out2").exists()


def test_face_and_hand_detail_passes_placed_from_keypoints(_people_outputs, tmp_path):
    import cv2

    _, pp = _people_outputs
    run = _copy(pp, tmp_path / "detail")
    run_enhance(run, tiny_enhance_config(detail=("face", "hands"), detail_min_size=6, detail_size=32, **PP))
    plain, detail = pp.enhanced_dir(0.4), run.enhanced_dir(0.4)
    assert _pngs(detail / "crops") == _pngs(plain / "crops")  # the person crops are the same; details come after
    kinds = set()
    for i in run.sample_ids():
        labels = run.labels(i)
        rec = json.loads((detail / f"{i:06d}.json").read_text())["per_person"]
        passes = [q for q in rec["passes"] if q["kind"] != "person"]
        kinds |= {q["kind"] for q in passes}
        touched = np.zeros(run.instances(i).shape, bool)
        for q in passes:
            box = CropBox(*q["box"])
            assert box.size == 32 and q["steps_run"] == 4 and q["strength"] == 0.4
            joint = {"face": 0, "right_hand": 4, "left_hand": 7}[q["kind"]]  # nose, wrists: inside their square
            u, v = labels["keypoints2d"][q["person"], joint]
            assert box.x0 <= u < box.x0 + box.side and box.y0 <= v < box.y0 + box.side
            iy, ix, _, _ = box.window(*touched.shape)
            grown = cv2.dilate((run.instances(i) == q["person"] + 1).astype(np.uint8), np.ones((17, 17), np.uint8))
            region = np.zeros_like(touched)
            region[iy, ix] = True
            touched |= region & grown.astype(bool)
        a, b = read_image(plain / f"{i:06d}.png"), read_image(detail / f"{i:06d}.png")
        assert np.array_equal(a[~touched], b[~touched])  # only the detail squares, on their person, change
        assert passes and not np.array_equal(a, b)
    assert kinds == {"face", "right_hand", "left_hand"}


# ----------------------------------------------------------------------------- genb sweep: both modes


def test_sweep_compares_whole_image_and_per_person_modes(tiny_run, tiny_pipeline_dir, tiny_vitpose_dir, tiny_sam_dir,
                                                         tmp_path):
    import csv

    from genb.sweep.stage import PER_PERSON_ENHANCED, SweepConfig, run_sweep

    run = _copy(tiny_run, tmp_path / "run")
    levels = (0.0, 0.5)
    cfg = SweepConfig(
        noise=levels, enhance_preset="tiny", enhance_args="--steps 2 --threads 1 --batch-size 4 --device cpu",
        per_person_args="--person-min-size 16",
        check_args=(f"--pose-model {tiny_vitpose_dir} --sam-model {tiny_sam_dir} --device cpu --min-box-px 8 "
                    "--min-vis-fraction 0.1 --min-keypoints 1 --max-keypoint-drift inf --min-mask-iou 0"),
        contact_samples=2, contact_cell=64,
    )
    out = run_sweep(run, cfg)
    assert out.per_person is not None and [r["noise"] for r in out.per_person.rows] == list(levels)
    assert (run.root / "sweep" / "per-person" / "sweep.csv").is_file() and (run.root / "sweep" / "modes.md").is_file()
    with open(run.root / "sweep" / "modes.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(float(r["noise"]), r["mode"]) for r in rows] == [(0.0, "per-person"), (0.0, "whole-image"),
                                                              (0.5, "per-person"), (0.5, "whole-image")]
    person = run.view(PER_PERSON_ENHANCED)
    for i in run.sample_ids():
        name = f"{i:06d}"
        assert np.array_equal(read_image(person.enhanced_dir(0.0) / f"{name}.png"), run.image(i))
        rec = json.loads((person.enhanced_dir(0.5) / f"{name}.json").read_text())
        assert rec["per_person"]["noise_person"] == 0.5 and (person.check_dir(0.5) / f"{name}.json").is_file()
        assert "per_person" not in json.loads((run.enhanced_dir(0.5) / f"{name}.json").read_text())
