"""Registries: a toy control map, drift measure, package format and body model, registered from outside the package.

Each is registered the way a user's plugin module would (docs/architecture.md, "How to
add") and must reach every stage that lists its kind, with no edit inside genb.
"""

import json
import shutil

import numpy as np
import pytest

from genb.errors import GenbError

from genb.check.measures import DRIFT_MEASURES, DriftMeasure, Rule
from genb.core.controls import CONTROL_MAPS, ControlMap
from genb.core.run import RunFolder
from genb.package.formats import PACKAGE_FORMATS, PackageFormat
from genb.render.bodies import BODY_MODELS, BodySpec

from _fixtures_check import enhance_with
from _fixtures_enhance import tiny_enhance_config

NOISE = 0.4


def _silhouette(sample):
    """(H, W, 3) uint8: white where a person is."""
    return np.repeat(((sample.images["instances"] > 0) * 255).astype(np.uint8)[..., None], 3, axis=-1)


@pytest.fixture
def silhouette_map():
    spec = CONTROL_MAPS.register(ControlMap("silhouette", models={"sd15": "me/controlnet-silhouette"}, draw=_silhouette))
    yield spec
    CONTROL_MAPS.unregister("silhouette")


def _color_shift(inputs):
    out = []
    for m in inputs.masks:
        diff = np.abs(inputs.enhanced[m].astype(np.float64).mean(0) - inputs.render[m].astype(np.float64).mean(0))
        out.append({"color_shift": float(diff.mean() / 255.0)})
    return out


@pytest.fixture
def one_process(monkeypatch):
    """No rank or shard variables from the environment: every stage runs the whole run here."""
    for var in ("RANK", "WORLD_SIZE", "GENB_SHARD"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def color_measure():
    spec = DRIFT_MEASURES.register(DriftMeasure(
        "color", scores=("color_shift",), compute=_color_shift,
        rules=(Rule("color_shift", "max", "max_color_shift", "color"),),
        defaults={"max_color_shift": 0.05}, sweep="color_shift"))
    yield spec
    DRIFT_MEASURES.unregister("color")


def test_a_toy_control_map_reaches_render_enhance_and_show(silhouette_map, tmp_path, tiny_pipeline_dir, one_process,
                                                           monkeypatch):
    from genb.enhance.config import EnhanceConfig
    from genb.enhance.stage import run_enhance
    from genb.render.config import RenderConfig
    from genb.show.samples import show_run
    from genb.render.run import run_render
    from genb.core.io import read_image

    run = RunFolder(tmp_path / "run")
    run_render(run.root, RenderConfig(num_samples=2, seed=2, image_size=(64, 48), num_people=(1, 2)))
    silhouette = read_image(run.sample_dir(0) / "control_silhouette.png")
    assert np.array_equal(silhouette[..., 0] > 0, run.instances(0) > 0) and silhouette.any()
    # enhance: conditioned on it (the tiny pipeline grows a ControlNet for it), provenance names it
    import torch

    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # --threads 1 must not leak into later tests
    cfg = tiny_enhance_config(controls=("depth", "silhouette"), steps=4)
    assert cfg.control_model("silhouette") == "tiny"
    assert EnhanceConfig(controls=("silhouette",)).control_model("silhouette") == "me/controlnet-silhouette"
    run_enhance(run, cfg)
    record = json.loads((run.enhanced_dir(NOISE) / "000000.json").read_text())
    assert [c["file"] for c in record["controls"]] == ["control_depth.png", "control_silhouette.png"]
    # show: a column for it
    from genb.core.io import read_image as read

    with_maps = read(show_run(run.root, tmp_path / "maps.png", num=1, with_maps=True, tile_width=64))
    assert with_maps.shape[1] == 64 * (2 + len(CONTROL_MAPS))  # overlay, render, one tile per registered map


def test_a_toy_drift_measure_reaches_check_summary_and_sweep(color_measure, check_run, one_process):
    from genb.core.records.check import CheckRecord
    from genb.check.stage import load_config, run_check
    from genb.sweep.table import accuracy_row, table_columns

    assert "color_shift_mean" in table_columns([{"color_shift_mean": 0.1}])

    tint = np.array([0, 0, 60], np.int16)
    enhance_with(check_run, NOISE, lambda i, r: np.clip(r.astype(np.int16) + tint, 0, 255).astype(np.uint8))
    cfg = load_config("flow_only", noise=NOISE, min_box_px=16, measures=("flow", "color"))
    summary = run_check(check_run, cfg)
    rec = CheckRecord.read(check_run.check_dir(NOISE) / "000000.json")
    assert rec.thresholds["max_color_shift"] == 0.05
    checked = [p for p in rec.people if p["status"] != "skipped"]
    assert checked and all(p["color_shift"] > 0.05 for p in checked)
    assert {r.score for r in rec.rejections()} == {"color_shift"}
    assert summary.rejections["color_shift"] >= len(checked)
    assert "color_shift" in summary.distributions
    header = (check_run.check_dir(NOISE) / "summary.csv").read_text().splitlines()[0]
    assert "color_shift" in header
    # a looser threshold from the command line accepts the same samples
    shutil.rmtree(check_run.check_dir(NOISE))
    loose = load_config("flow_only", noise=NOISE, min_box_px=16, measures=("flow", "color"),
                        thresholds=("max_color_shift=0.9",))
    assert run_check(check_run, loose).rejections.get("color_shift", 0) == 0
    # the sweep table has a column for it
    records = [CheckRecord.read(check_run.check_dir(NOISE) / f"{i:06d}.json").to_json() for i in check_run.sample_ids()]
    row = accuracy_row(records)
    assert np.isfinite(row["color_shift_mean"])


def _toy_rows(rec, imgname, index):
    """One row per person: the image, the sample and person (rows are merged in their order), the 2D keypoints."""
    n = len(rec)
    return {"imgname": np.array([imgname] * n, dtype=str), "sample_index": np.full(n, index, np.int64),
            "person_index": rec.person_index, "kp2d": rec.keypoints_2d}, 0


@pytest.fixture
def toy_format():
    spec = PACKAGE_FORMATS.register(PackageFormat("TOY", rows=_toy_rows, folder="toy", suffix="-toy",
                                                  title="a toy trainer's npz"))
    yield spec
    PACKAGE_FORMATS.unregister("TOY")


def test_a_toy_package_format_is_written_by_genb_package(toy_format, tiny_run, tmp_path, capsys):
    from genb.cli import main
    from genb.package.stage import PackageConfig

    out = tmp_path / "out"
    assert main(["package", str(tiny_run.root), str(out), "--format", "TOY"]) == 0
    path = out / "toy" / "genb-n000-toy.npz"
    assert not (out / "genb").exists() and not (out / "webdataset").exists()
    assert "a toy trainer's npz" in (out / "README.md").read_text()
    # "all" writes it next to the built-in formats, with the same people
    out_all = tmp_path / "all"
    assert main(["package", str(tiny_run.root), str(out_all), "--format", "all", "--no-card"]) == 0
    assert (out_all / "toy" / "genb-n000-toy.npz").read_bytes() == path.read_bytes()
    with np.load(path) as z, np.load(out_all / "genb" / "genb-n000.npz") as g:
        assert len(z["imgname"]) == len(g["imgname"]) > 0
        np.testing.assert_array_equal(z["imgname"], g["imgname"])
        np.testing.assert_array_equal(z["sample_index"], g["sample_index"])
        np.testing.assert_array_equal(z["kp2d"], g["keypoints_2d"])
        assert all((out / name).is_file() for name in set(z["imgname"]))
    capsys.readouterr()
    assert main(["package", str(tiny_run.root), str(tmp_path / "bad"), "--format", "NOPE"]) == 2
    err = capsys.readouterr().err
    assert "--format must be one of" in err and "TOY" in err and "webdataset" in err
    with pytest.raises(GenbError):
        PackageConfig(format="NOPE").validate()
    PACKAGE_FORMATS.unregister("TOY")
    with pytest.raises(GenbError):
        PackageConfig(format="TOY").validate()


TOY_LICENCE = "Toy Body Licence 1.0"
TOY_URL = "https://example.org/toy-body-licence"


@pytest.fixture
def toy_body():
    from genb.render.bodies.anny_body import AnnyBody

    class ToyBody(AnnyBody):  # anny's mesh and rig under another name
        name = "toybody"

    spec = BODY_MODELS.register(BodySpec("toybody", build=lambda anny_cache_dir=None, device="cpu", **_: ToyBody(
        cache_dir=anny_cache_dir, device=device), licence=TOY_LICENCE, licence_url=TOY_URL))
    yield spec
    BODY_MODELS.unregister("toybody")


def test_a_toy_body_model_renders_and_its_licence_reaches_the_card(toy_body, tmp_path, one_process, capsys):
    from genb.cli import main
    from genb.render.config import RenderConfig
    from genb.render.run import run_render

    run = RunFolder(tmp_path / "run")
    run_render(run.root, RenderConfig(num_samples=1, seed=3, image_size=(64, 48), num_people=(1, 1), body="toybody",
                                      wardrobe="none"))
    labels = run.labels(0)
    assert str(labels["body_model"]) == "toybody" and "toybody_phenotypes" in labels
    out = tmp_path / "out"
    assert main(["package", str(run.root), str(out), "--format", "genb", "--min-visible-keypoints", "0"]) == 0
    card = (out / "README.md").read_text()
    assert TOY_LICENCE in card and TOY_URL in card and "| body model | toybody |" in card
    with np.load(out / "genb" / "genb-n000.npz") as z:
        assert "toybody_phenotypes" in z.files
    # --body lists it; an unknown body is one clear error
    capsys.readouterr()
    assert main(["render", str(tmp_path / "bad"), "--body", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "--body must be one of anny, smplx, toybody" in err
    with pytest.raises(GenbError, match="--body must be one of"):
        RenderConfig(body="nobody").validate()


# ----------------------------------------------------------------------------- built-ins through their registries


def test_sdxl_without_its_preset_takes_the_sdxl_controlnets():
    from genb.config import resolve_config
    from genb.core.controls import CONTROL_MAPS
    from genb.enhance.config import EnhanceConfig

    cfg = resolve_config(EnhanceConfig, "enhance", None, {"architecture": "sdxl", "controls": ("depth", "pose")})
    assert [cfg.control_model(c) for c in cfg.controls] == [CONTROL_MAPS.get(c).models["sdxl"] for c in cfg.controls]
    with pytest.raises(GenbError, match="'normal' has no ControlNet model for --architecture sdxl"):
        resolve_config(EnhanceConfig, "enhance", None, {"architecture": "sdxl", "controls": ("depth", "normal")})


def test_the_pipeline_cache_is_keyed_on_the_control_models(tiny_pipeline_dir):
    from genb.enhance.stage import get_stage

    first = get_stage(tiny_enhance_config(controls=("depth",)), 0).loaded
    again = get_stage(tiny_enhance_config(controls=("depth",)), 0).loaded
    other = get_stage(tiny_enhance_config(controls=("depth",), control_models=(
        f"depth={tiny_pipeline_dir / 'controlnet-normal'}",)), 0).loaded
    assert again is first and other is not first
    assert str((tiny_pipeline_dir / "controlnet-normal").resolve()) in [s.location for s in other.sources]


def test_the_tiny_cache_is_keyed_on_what_is_built(silhouette_map, tmp_path, monkeypatch):
    """A map added to the built-ins (no version bumped by hand) builds a new tiny pipeline."""
    from genb.enhance import tiny

    monkeypatch.setenv("GENB_CACHE", str(tmp_path))
    CONTROL_MAPS.unregister("silhouette")
    plain = tiny.tiny_cache_dir()
    CONTROL_MAPS.register(silhouette_map)
    assert tiny.tiny_cache_dir() != plain
    monkeypatch.setattr(tiny, "BUILTIN_CONTROLS", tiny.BUILTIN_CONTROLS + ("silhouette",))  # now a built-in
    assert tiny.tiny_cache_dir() != plain


def test_a_registered_maps_missing_model_names_a_flag_that_exists(silhouette_map):
    from genb.enhance.models import model_flag

    assert model_flag("controlnet-silhouette") == "--control-models silhouette=MODEL"
    assert model_flag("controlnet-depth") == "--depth-model" and model_flag("vae") == "--vae-model"


def test_an_anny_body_under_another_name_gets_the_same_clothes(toy_body):
    """The atlas's rest shape is a property of the body model, not a test of its name."""
    from genb.render.bodies import load_body_model
    from genb.render.dress.atlas import build_atlas

    anny, toy = load_body_model("anny"), toy_body.build()
    assert toy.name == "toybody"
    a, b = build_atlas(anny), build_atlas(toy)
    for field in ("arm", "leg", "torso", "head", "rest"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(toy.rest_shape(), anny.rest_shape())


def test_appending_a_part_class_recolours_no_other():
    import cv2

    from genb.core.conventions import PARTS
    from genb.render.labels import maps

    n = len(PARTS)
    now, grown = maps.part_palette(n), maps.part_palette(n + 1)
    np.testing.assert_array_equal(now[:n], grown[:n])
    np.testing.assert_array_equal(now[64:], grown[64:])  # scene classes too
    assert len({tuple(c) for c in grown[1 : n + 1]}) == n  # the new class has a colour of its own
    # the colours runs were drawn with so far are kept (ids 1..23 evenly spread over 23 hues)
    hues = np.linspace(0, 179, n - 1, endpoint=False).astype(np.uint8)
    hsv = np.stack([hues, np.full_like(hues, 220), np.full_like(hues, 230)], axis=1)[None]
    np.testing.assert_array_equal(now[1:n], cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0])


def test_an_installed_plugin_registers_through_its_entry_point(tmp_path, monkeypatch, capsys):
    """A package declaring a ``genb.plugins`` entry point is imported before the command line is
    parsed: its control map is in ``--controls`` with no edit inside genb."""
    import sys

    from genb.cli import main
    from genb.core import plugins

    (tmp_path / "genb_toy_plugin.py").write_text(
        "import numpy as np\n"
        "from genb.core.controls import CONTROL_MAPS, ControlMap\n"
        "CONTROL_MAPS.register(ControlMap('toyplug', models={'sd15': 'me/toy'},\n"
        "    draw=lambda s: np.zeros((*s.images['instances'].shape, 3), np.uint8)))\n")
    dist = tmp_path / "genb_toy_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: genb-toy-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[genb.plugins]\ntoy = genb_toy_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert "toy" in plugins.load_plugins() and "toyplug" in CONTROL_MAPS
        assert main(["enhance", str(tmp_path / "nope"), "--controls", "depth,toyplug"]) == 2
        assert "toyplug" not in capsys.readouterr().err  # the run folder is missing, the control is known
    finally:
        CONTROL_MAPS.unregister("toyplug")
        plugins._loaded.pop("toy", None)
        sys.modules.pop("genb_toy_plugin", None)


def test_a_measure_declares_the_estimators_the_checker_loads():
    """A plugin measure that declares ``flow`` gets the flow estimator without any built-in asking for it."""
    from genb.check.stage import Checker, load_config

    DRIFT_MEASURES.register(DriftMeasure("flowish", ("flowish",), compute=lambda inputs: [{"flowish": 0.0}] * len(inputs.masks),
                                         estimators=("flow",), units="pixels"))
    try:
        checker = Checker(load_config(None, measures=("flowish",)))
        assert checker.flow is not None and checker.pose_estimator is None and checker.segmenter is None
        assert Checker(load_config(None, measures=("flow",))).flow is not None
    finally:
        DRIFT_MEASURES.unregister("flowish")
