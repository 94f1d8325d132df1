"""Bad inputs that used to end in a traceback, and first-run friction: one clear error each
(exit 2, a problem and a fix), outputs left as they were; caches, --version, licence, Warp."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from _fixtures_enhance import tiny_enhance_config
from genb.cli import main
from genb.errors import GenbError, short_reason

ROOT = Path(__file__).resolve().parents[1]
NOT_UTF8 = b"tops:\n  t_shirt: {weight: 1}  # caf\xe9 (latin-1)\n"


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes); {} when it does not exist."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _fails(argv: list[str], capsys, *needles: str) -> str:
    """Run ``genb argv``: exit 2, one message naming the problem and a fix, no traceback."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "  fix: " in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


# ----------------------------------------------------------------------------- YAML a user wrote


def test_wardrobe_that_is_not_utf8_is_one_error(tmp_path, capsys):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(NOT_UTF8)
    run = tmp_path / "run"
    _fails(["render", str(run), "--wardrobe", str(bad), "--num-samples", "1"], capsys,
           "wardrobe", "is not UTF-8 text", "line 2", "save the file as UTF-8")
    assert not run.exists()


def test_preset_that_is_not_utf8_is_one_error(tmp_path, capsys):
    bad = tmp_path / "mine.yaml"
    bad.write_bytes(b"num_samples: 2\nseed: 3  # \xff\n")
    run = tmp_path / "run"
    _fails(["render", str(run), "--preset", str(bad)], capsys, "preset", "is not UTF-8 text", "0xff")
    assert not run.exists()


def test_prompt_template_that_is_not_utf8_is_one_error(enhance_run, tiny_pipeline_dir, tmp_path, capsys):
    from genb.enhance.prompts import load_templates

    bad = tmp_path / "template.yaml"
    bad.write_bytes(b"prompt: a photo of {people} in a caf\xe9\n")
    with pytest.raises(GenbError, match="not UTF-8 text") as e:
        load_templates(str(bad))
    assert "UTF-8" in e.value.fix
    before = _snapshot(enhance_run.root)
    _fails(["enhance", str(enhance_run.root), "--preset", "tiny", "--noise", "0.4", "--prompt-template", str(bad)],
           capsys, "prompt template file", "is not UTF-8 text")
    assert _snapshot(enhance_run.root) == before


def test_invalid_yaml_names_the_line(tmp_path):
    from genb.config import read_user_yaml

    bad = tmp_path / "broken.yaml"
    bad.write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(GenbError, match=r"not valid plain YAML .*line") as e:
        read_user_yaml(bad, "preset", "fix it")
    assert e.value.fix == "fix it"
    with pytest.raises(GenbError, match="cannot be read"):
        read_user_yaml(tmp_path / "missing.yaml", "preset", "fix it")


# ----------------------------------------------------------------------------- wardrobes


def _everyday() -> dict:
    from genb.render.assets import asset_path

    return yaml.safe_load(asset_path("wardrobe", "everyday.yaml").read_text())


def test_wardrobe_whose_tops_all_weigh_zero_is_refused(tmp_path, capsys):
    from genb.render.dress.wardrobe import validate_wardrobe

    data = _everyday()
    for spec in data["tops"].values():
        spec["weight"] = 0
    with pytest.raises(GenbError, match="every top weighs 0") as e:
        validate_wardrobe(data, "w.yaml")
    assert "weight above 0" in e.value.fix
    path = tmp_path / "zero.yaml"
    path.write_text(yaml.safe_dump(data))
    run = tmp_path / "run"
    _fails(["render", str(run), "--wardrobe", str(path), "--num-samples", "1"], capsys, "every top weighs 0")
    assert not run.exists()


def test_wardrobe_with_nothing_to_draw_for_one_gender_names_it():
    from genb.render.dress.wardrobe import validate_wardrobe

    data = _everyday()
    for spec in data["bottoms"].values():
        spec["gender"] = {"male": 0}
    with pytest.raises(GenbError, match="every bottom weighs 0 for male bodies"):
        validate_wardrobe(data, "w.yaml")
    data = _everyday()
    for name, spec in data["tops"].items():
        if name not in ("jacket", "coat"):
            spec["weight"] = 0
    with pytest.raises(GenbError, match="worn over another top"):
        validate_wardrobe(data, "w.yaml")
    data = _everyday()
    data["tops"]["t_shirt"]["weight"] = [1, 2]
    with pytest.raises(GenbError, match="one number"):
        validate_wardrobe(data, "w.yaml")
    validate_wardrobe(_everyday(), "everyday.yaml")  # the shipped one passes


# ----------------------------------------------------------------------------- model files


def test_smplx_file_without_shapedirs_or_with_wrong_shapes(tmp_path, capsys):
    from _fixtures_bodies import build_synthetic_smplx, write_model_file
    from genb.render.bodies.smplx_body import SmplxBody

    arrays = build_synthetic_smplx()
    no_shapedirs = {k: v for k, v in arrays.items() if k != "shapedirs"}
    write_model_file(tmp_path / "a", "SMPLX", "NEUTRAL", no_shapedirs)
    with pytest.raises(GenbError, match="lacks the SMPL-X arrays shapedirs") as e:
        SmplxBody(tmp_path / "a")
    assert "smpl-x.is.tue.mpg.de" in e.value.fix
    bad = dict(arrays, weights=arrays["weights"][:, :24])
    write_model_file(tmp_path / "b", "SMPLX", "NEUTRAL", bad)
    with pytest.raises(GenbError, match=r"array weights has shape \(10475, 24\), the model needs \(10475, 55\)"):
        SmplxBody(tmp_path / "b")
    bad = dict(arrays, f=arrays["f"] + 20000)
    write_model_file(tmp_path / "c", "SMPLX", "NEUTRAL", bad)
    with pytest.raises(GenbError, match="faces index vertices outside"):
        SmplxBody(tmp_path / "c")
    _fails(["render", str(tmp_path / "run"), "--body", "smplx", "--smplx-dir", str(tmp_path / "a"),
            "--num-samples", "1"], capsys, "lacks the SMPL-X arrays shapedirs")


def test_smpl_dir_with_wrong_shapes_is_one_error(pkg_run, tmp_path, capsys):
    from _fixtures_bodies import write_model_file
    from _fixtures_smpl import build_synthetic_smpl
    from genb.package.smpl_fit import SmplFitter

    arrays = build_synthetic_smpl()
    write_model_file(tmp_path / "smpl", "SMPL", "NEUTRAL", dict(arrays, shapedirs=arrays["shapedirs"][:, :2]))
    with pytest.raises(GenbError, match=r"SMPL array shapedirs has shape \(\d+, 2, 10\)") as e:
        SmplFitter(tmp_path / "smpl")
    assert "smpl.is.tue.mpg.de" in e.value.fix
    write_model_file(tmp_path / "smpl2", "SMPL", "NEUTRAL", dict(arrays, J_regressor=arrays["J_regressor"][:, :100]))
    with pytest.raises(GenbError, match=r"J_regressor has shape \(24, 100\)"):
        SmplFitter(tmp_path / "smpl2")
    before = _snapshot(pkg_run.root)
    _fails(["package", str(pkg_run.root), str(tmp_path / "out"), "--noise", "0.4", "--format", "camerahmr",
            "--smpl-dir", str(tmp_path / "smpl")], capsys, "shapedirs has shape")
    assert _snapshot(pkg_run.root) == before


# ----------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("size", ["65536,49152", "1048576,32", "8200,64", "4800,4000"])
def test_image_size_without_bound_is_refused(size, tmp_path, capsys):
    run = tmp_path / "run"
    _fails(["render", str(run), "--image-size", size, "--num-samples", "1"], capsys,
           f"--image-size {size} is too large", "at most 8192 pixels a side")
    assert not run.exists()


def test_gl_driver_limit_is_one_error():
    import pyrender

    from genb.render.raster.context import shared_renderer

    r = shared_renderer(pyrender, "egl", 64, 64)
    assert 8192 <= r._genb_max_size < 1 << 30  # asked of the driver (llvmpipe: 16384)
    with pytest.raises(GenbError, match="this GL driver renders at most"):
        shared_renderer(pyrender, "egl", r._genb_max_size + 8, 64)


def test_num_samples_without_bound_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    _fails(["render", str(run), "--num-samples", "100000000000"], capsys, "--num-samples allows at most",
           "several runs")
    assert not run.exists()


# ----------------------------------------------------------------------------- check


def test_check_on_a_sample_with_no_people(check_run):
    from genb.check.stage import CheckConfig, run_check
    from genb.core.io import atomic_write_bytes, npz_bytes, png_bytes
    from _fixtures_check import enhance_with

    d = check_run.sample_dir(0)
    labels = dict(np.load(d / "labels.npz"))
    P = len(labels["keypoints2d"])
    for k, v in labels.items():
        if v.ndim >= 1 and v.shape[0] == P and k not in ("image_size", "cam_int", "cam_ext", "proj_vert_ids"):
            labels[k] = v[:0]
    atomic_write_bytes(d / "labels.npz", npz_bytes(labels))
    atomic_write_bytes(d / "instances.png", png_bytes(np.zeros_like(check_run.instances(0))))
    enhance_with(check_run, 0.4, lambda i, image: image)
    run_check(check_run, CheckConfig(noise=0.4, measures=("flow",)))
    rec = json.loads((check_run.check_dir(0.4) / "000000.json").read_text())
    assert rec["people"] == [] and not rec["accepted"]
    assert rec["reasons"][-1].startswith("the sample has no people")
    assert all((check_run.check_dir(0.4) / f"{check_run.sample_name(i)}.json").is_file()
               for i in check_run.sample_ids())


def test_pose_model_refused_by_weights_only_is_one_error(check_run, tmp_path, capsys):
    import datetime

    import torch
    from safetensors.torch import load_file

    from _fixtures_check import build_tiny_vitpose, enhance_with
    from genb.check.estimators import ModelUnavailable, VitPoseEstimator

    folder = build_tiny_vitpose(tmp_path / "vitpose")
    state = load_file(folder / "model.safetensors")
    (folder / "model.safetensors").unlink()
    state["when"] = datetime.date(2020, 1, 1)  # an object torch.load(weights_only=True) refuses
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(ModelUnavailable, match=r"holds Python objects besides tensors \(datetime\.date\)") as e:
        VitPoseEstimator(str(folder))
    assert "safetensors" in e.value.fix
    enhance_with(check_run, 0.4, lambda i, image: image)
    before = _snapshot(check_run.root / "samples")
    _fails(["check", str(check_run.root), "--noise", "0.4", "--pose-model", str(folder)], capsys,
           "genb does not unpickle them")
    assert _snapshot(check_run.root / "samples") == before


def test_short_reason_never_cuts_a_word():
    text = "We couldn't connect to 'https://huggingface.co' to load the files, and couldn't find them " * 8
    short = short_reason(ValueError(text), 300)
    assert len(short) <= 304 and text.startswith(short.rstrip(" .").replace(" ...", ""))
    words = set(text.split())
    assert all(w in words for w in short.replace(" ...", "").split())
    assert short_reason(ValueError("short\n  message")) == "short message"


# ----------------------------------------------------------------------------- the hub, offline


@pytest.fixture
def unreachable_hub(monkeypatch):
    """The hub's endpoint on a local port nothing listens on (a real refused connection)."""
    from genb import hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    hub.hub_unreachable.cache_clear()
    yield
    hub.hub_unreachable.cache_clear()


def test_enhance_with_an_unreachable_hub_names_the_cause_without_retries(unreachable_hub, tiny_pipeline_dir, capfd):
    import time

    from genb.enhance.models import load_pipeline

    cfg = tiny_enhance_config(base_model="nobody/not-a-model")
    start = time.perf_counter()
    with pytest.raises(GenbError, match=r"the Hugging Face hub cannot be reached \(127\.0\.0\.1:9: .*\) and the "
                                        r"base model 'nobody/not-a-model' is not in the local cache") as e:
        load_pipeline(cfg)
    assert time.perf_counter() - start < 20
    assert "hf download nobody/not-a-model" in e.value.fix and "--base-model" in e.value.fix
    out = capfd.readouterr()
    assert "Retrying" not in out.err + out.out and "config.json" not in str(e.value)


def test_enhance_with_the_hub_switched_off_says_so(monkeypatch, tiny_pipeline_dir):
    from genb.enhance.models import load_pipeline

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GenbError, match=r"the hub is switched off \(HF_HUB_OFFLINE=1 or --offline\)"):
        load_pipeline(tiny_enhance_config(base_model="nobody/not-a-model"))


def test_check_with_an_unreachable_hub_names_the_cause(unreachable_hub):
    from genb.check.estimators import ModelUnavailable, VitPoseEstimator

    with pytest.raises(ModelUnavailable, match="the Hugging Face hub cannot be reached") as e:
        VitPoseEstimator("nobody/not-a-pose-model")
    assert "--pose-model DIR" in e.value.fix and "flow_only" in e.value.fix


# ----------------------------------------------------------------------------- environment maps


def _write_map(path: Path, w: int, h: int) -> Path:
    import cv2

    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2] = (230, 160, 60)  # BGR: sky-blue above the horizon
    img[h // 2:] = (40, 90, 120)  # brown ground below
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)
    return path


def test_environment_maps_far_from_two_to_one_are_refused(tmp_path, capsys):
    from genb.render.scene.envmap import check_aspect, list_environments

    _write_map(tmp_path / "ok" / "a.png", 512, 256)
    assert len(list_environments(str(tmp_path / "ok"))) == 1
    _write_map(tmp_path / "bad" / "b.png", 400, 300)  # 4:3, a photo, not a panorama
    with pytest.raises(GenbError, match=r"400x300 \(aspect 1\.33:1\), not an equirectangular panorama"):
        list_environments(str(tmp_path / "bad"))
    run = tmp_path / "run"
    _fails(["render", str(run), "--environments", str(tmp_path / "bad"), "--num-samples", "1"], capsys,
           "not an equirectangular panorama", "--backgrounds")
    assert not run.exists()
    import logging

    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logging.getLogger("genb").addHandler(handler)
    try:
        check_aspect(_write_map(tmp_path / "near" / "c.png", 500, 240))  # 2.08:1: accepted with a warning
    finally:
        logging.getLogger("genb").removeHandler(handler)
    assert any("not 2:1" in m for m in seen), seen
    hdr = tmp_path / "d.hdr"
    hdr.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 300 +X 400\n")
    from genb.render.scene.envmap import map_size

    assert map_size(hdr) == (400, 300)
    with pytest.raises(GenbError, match="not an equirectangular"):
        check_aspect(hdr)
    # OpenEXR: the size from the header's dataWindow (a box2i), no pixels decoded
    import struct

    def attribute(name: bytes, kind: bytes, value: bytes) -> bytes:
        return name + b"\0" + kind + b"\0" + struct.pack("<i", len(value)) + value

    exr = tmp_path / "e.exr"
    exr.write_bytes(b"\x76\x2f\x31\x01" + struct.pack("<i", 2) + attribute(b"compression", b"compression", b"\0")
                    + attribute(b"dataWindow", b"box2i", struct.pack("<4i", 0, 0, 1023, 511)) + b"\0")
    assert map_size(exr) == (1024, 512)


def test_ade20k_seg_labels_an_environment_maps_ground_below_the_horizon(tmp_path):
    from genb.core.io import read_depth, read_image
    from genb.render.config import RenderConfig
    from genb.core.conventions import SCENE_PART_INDEX
    from genb.render.labels.maps import ADE20K
    from genb.render.scene.sky import ray_directions
    from genb.render.run import run_render
    from genb.core.run import RunFolder

    _write_map(tmp_path / "maps" / "a.png", 512, 256)
    root = tmp_path / "run"
    run_render(root, RenderConfig(num_samples=1, seed=1, image_size=(128, 96), num_people=(1, 1),
                                  environments=str(tmp_path / "maps"), seg_palette="ade20k", wardrobe="none",
                                  camera_effects=False, props=(0, 0), occluders=(0, 0),
                                  camera_pitch_deg=(-10.0, 5.0)))  # the horizon in view: the camera sees both
    run = RunFolder(root)
    labels = run.labels(0)
    seg = read_image(run.sample_dir(0) / "control_seg.png")
    depth = read_depth(run.sample_dir(0))
    h, w = depth.shape
    down = ray_directions(labels["cam_int"], labels["cam_ext"], w, h)[:, 2].reshape(h, w) < 0
    empty = depth <= 0
    # below the horizon the map's floor shows: through the invisible shadow-catching ground (its own
    # ground class) or, past that plane's far edge, as empty pixels labelled earth; never sky
    ground = read_image(run.sample_dir(0) / "parts.png")[..., 0] == SCENE_PART_INDEX["ground"]
    below, above = (empty | ground) & down, empty & ~down
    assert below.sum() > 100 and above.sum() > 100  # the camera sees both
    assert (seg[empty & down] == ADE20K["earth"]).all()
    assert not (seg[below] == ADE20K["sky"]).all(axis=-1).any()
    assert (seg[above] == ADE20K["sky"]).all()


# ----------------------------------------------------------------------------- two renders at once


def test_two_writers_of_one_sample_folder_keep_the_first(tmp_path):
    from genb.core.io import atomic_dir

    final = tmp_path / "samples" / "000000"
    with atomic_dir(final) as tmp:
        (tmp / "image.png").write_bytes(b"mine")
        final.mkdir(parents=True)  # the other process renames its folder in first
        (final / "image.png").write_bytes(b"theirs")
    assert (final / "image.png").read_bytes() == b"theirs"
    assert sorted(p.name for p in final.parent.iterdir()) == ["000000"]  # no temporary left


# ----------------------------------------------------------------------------- first run


def test_caches_follow_xdg_cache_home(monkeypatch, tmp_path):
    from genb.cache import anny_cache_dir, genb_cache_dir, user_cache_dir
    from genb.enhance.tiny import tiny_cache_dir

    for k in ("XDG_CACHE_HOME", "ANNY_CACHE_DIR", "GENB_CACHE"):
        monkeypatch.delenv(k, raising=False)
    assert user_cache_dir("anny") == Path.home() / ".cache" / "anny"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert anny_cache_dir() == tmp_path / "xdg" / "anny"
    assert genb_cache_dir() == tmp_path / "xdg" / "genb"
    assert tiny_cache_dir().parent == tmp_path / "xdg" / "genb"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as the spec says
    assert user_cache_dir("genb") == Path.home() / ".cache" / "genb"
    monkeypatch.setenv("ANNY_CACHE_DIR", str(tmp_path / "own"))
    assert anny_cache_dir() == tmp_path / "own"


def test_anny_builds_in_xdg_cache_home(monkeypatch, tmp_path, anny_body):
    import anny.paths

    from genb.render.bodies.anny_body import AnnyBody

    built = anny.paths.get_anny_cache_path()
    monkeypatch.delenv("ANNY_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "anny").symlink_to(built, target_is_directory=True)  # reuse the built cache: no rebuild
    try:
        AnnyBody()
        assert anny.paths.get_anny_cache_path() == tmp_path / "anny"
    finally:
        anny.paths.set_anny_cache_path(built)


def test_warp_is_quiet_on_a_cpu_machine():
    code = "from genb.render.bodies.anny_body import AnnyBody; AnnyBody()"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GENB_WARP_VERBOSE", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "Warp" not in out.stdout + out.stderr, out.stdout + out.stderr


def test_version_licence_and_help(capsys):
    import genb

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"genb {genb.__version__}"
    project = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{genb.__version__}"' in project and 'license = "Apache-2.0"' in project
    licence = (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for fmt in ("BEDLAM", "CameraHMR", "HumanData", "TokenHMR", "WebDataset", "card"):
        assert fmt in help_text


def test_docs_speak_of_the_project_alone():
    import re

    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        assert not re.search(r"\bissue \d", text), path
        assert "DESIGN.md" not in text and "--with-maps" not in text, path
    readme = (ROOT / "README.md").read_text()
    assert "python -m venv" in readme and "XDG_CACHE_HOME" in readme
    quickstart = (ROOT / "examples" / "quickstart.sh").read_text()
    assert "sys.prefix != sys.base_prefix" in quickstart


def test_quickstart_refuses_the_system_python(tmp_path):
    if sys.prefix != sys.base_prefix or os.environ.get("CONDA_PREFIX"):
        pytest.skip("the tests run inside a virtual environment: the script would install")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "GENB_SYSTEM_INSTALL")}
    out = subprocess.run(["bash", str(ROOT / "examples" / "quickstart.sh"), str(tmp_path / "run")],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2 and "python -m venv .venv" in out.stderr
    assert not (tmp_path / "run").exists()


def test_sweep_feature_extractor_with_an_unreachable_hub_names_the_cause(unreachable_hub):
    from genb.realism import load_feature_extractor

    with pytest.raises(GenbError, match="the Hugging Face hub cannot be reached") as e:
        load_feature_extractor("hf:nobody/not-a-vision-model", fallback="none")
    assert "--feature-extractor hf:" in e.value.fix
