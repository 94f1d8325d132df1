"""genb enhance: the tiny SD-1.5-architecture pipeline (random weights) through the real stage."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil

import numpy as np
import pytest

from _fixtures_enhance import ENHANCED_NOISE, tiny_enhance_config
from genb.cli import main
from genb.enhance.config import EnhanceConfig
from genb.enhance.schedule import steps_for, steps_run
from genb.enhance.stage import run_enhance
from genb.errors import GenbError
from genb.core.io import read_image
from genb.core.run import RunFolder


def _outputs(run: RunFolder, noise: float) -> dict[str, bytes]:
    folder = run.enhanced_dir(noise)
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


def _record(run: RunFolder, noise: float, i: int) -> dict:
    return json.loads((run.enhanced_dir(noise) / f"{run.sample_name(i)}.json").read_text())


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize("noise", [1.7, -0.1, float("nan")])
def test_noise_outside_0_1_is_one_clear_error(noise):
    with pytest.raises(GenbError, match="--noise .* outside \\[0, 1\\]"):
        tiny_enhance_config(noise=noise)


def test_cli_bad_noise_exits_2_without_traceback(enhance_run, capsys):
    assert main(["enhance", str(enhance_run.root), "--preset", "tiny", "--noise", "1.7"]) == 2
    err = capsys.readouterr().err
    assert "outside [0, 1]" in err and "fix:" in err and "Traceback" not in err
    assert not enhance_run.enhanced_dir(1.7).exists()


@pytest.mark.parametrize("preset", ["sd15", "sdxl", "tiny"])
def test_shipped_presets_resolve(preset):
    from genb.config import resolve_config

    cfg = resolve_config(EnhanceConfig, "enhance", preset)
    assert len(cfg.per_control("control_scales")) == len(cfg.controls)


def test_sd15_default_names_the_public_v11_controlnets():
    from genb.config import resolve_config

    cfg = resolve_config(EnhanceConfig, "enhance", "sd15")
    assert cfg.controls == ("depth", "normal", "pose")
    assert [getattr(cfg, f"{c}_model") for c in cfg.controls] == [
        "lllyasviel/control_v11f1p_sd15_depth", "lllyasviel/control_v11p_sd15_normalbae",
        "lllyasviel/control_v11p_sd15_openpose"]


def test_bad_control_settings_are_errors():
    with pytest.raises(GenbError, match="unknown control"):
        tiny_enhance_config(controls=("depth", "heat"))
    with pytest.raises(GenbError, match="2 values for 3 controls"):
        tiny_enhance_config(control_scales=(1.0, 0.5))
    from genb.config import resolve_config

    with pytest.raises(GenbError, match="no ControlNet model"):
        resolve_config(EnhanceConfig, "enhance", "sdxl", {"controls": ("depth", "normal")})


@pytest.mark.parametrize("target", [1, 4, 10, 17])
def test_steps_for_fixes_the_steps_run_at_every_noise(target):
    for s in np.round(np.arange(0.05, 1.0001, 0.05), 2):
        n = steps_for(target, float(s))
        assert steps_run(n, float(s)) == target
        assert n == 1 or steps_run(n - 1, float(s)) < target  # the smallest such schedule
    assert steps_run(25, 0.4) == 10 and steps_run(30, 0.29) == 8  # floor, as diffusers does


# ----------------------------------------------------------------------------- outputs


def test_outputs_and_provenance(enhanced_run):
    import importlib.util

    run = enhanced_run
    if importlib.util.find_spec("genb.render.stage"):
        assert run.manifest.body_model != "handmade"  # the real rendered tiny_run
    folder = run.enhanced_dir(ENHANCED_NOISE)
    assert (folder / "enhance.yaml").is_file()
    for i in run.sample_ids():
        img = read_image(folder / f"{run.sample_name(i)}.png")
        assert img.shape == run.image(i).shape and img.dtype == np.uint8
        rec = _record(run, ENHANCED_NOISE, i)
        assert rec["strength"] == ENHANCED_NOISE and rec["steps_run"] == steps_run(10, ENHANCED_NOISE) == 4
        assert rec["num_inference_steps"] == 10 and rec["random_weights"] is True
        assert [c["name"] for c in rec["controls"]] == ["depth", "normal", "pose"]
        assert {m["role"] for m in rec["models"]} == {"base", "controlnet-depth", "controlnet-normal", "controlnet-pose"}
        assert rec["prompt"].startswith("a photo of") and rec["negative_prompt"] and rec["guidance_scale"] == 7.5
        assert rec["seed"] == run.manifest.seed and isinstance(rec["torch_seed"], int)
        assert not np.array_equal(img, run.image(i))  # it did something


def test_steps_run_recorded_and_fixed_across_noise(tiny_pipeline_dir, enhance_run):
    for noise in (0.3, 0.8):
        run_enhance(enhance_run, tiny_enhance_config(noise=noise, limit=1))
        assert _record(enhance_run, noise, 0)["steps_run"] == steps_run(10, noise)
    for noise in (0.25, 0.5):
        run_enhance(enhance_run, tiny_enhance_config(noise=noise, steps_run=3, limit=1, steps=10))
    assert _record(enhance_run, 0.25, 0)["steps_run"] == 3 and _record(enhance_run, 0.25, 0)["num_inference_steps"] == 12
    assert _record(enhance_run, 0.5, 0)["steps_run"] == 3 and _record(enhance_run, 0.5, 0)["num_inference_steps"] == 6


def test_noise_zero_is_the_render_and_loads_no_model(enhance_run):
    cfg = tiny_enhance_config(noise=0.0, base_model="nobody/not-a-model", offline=True)
    run_enhance(enhance_run, cfg)
    for i in enhance_run.sample_ids():
        out = read_image(enhance_run.enhanced_dir(0.0) / f"{enhance_run.sample_name(i)}.png")
        assert np.array_equal(out, enhance_run.image(i))
        assert _record(enhance_run, 0.0, i)["steps_run"] == 0


# ----------------------------------------------------------------------------- determinism and resume


def test_same_seed_same_bytes_any_batch_size(tiny_pipeline_dir, _enhance_run_template, tmp_path):
    runs = []
    for k, batch in enumerate((2, 1, 4)):
        run = RunFolder(shutil.copytree(_enhance_run_template.root, tmp_path / f"r{k}"))
        run_enhance(run, tiny_enhance_config(batch_size=batch))
        runs.append(_outputs(run, 0.4))
    assert len(runs[0]) == 4
    assert runs[0] == runs[1] == runs[2]
    other = RunFolder(shutil.copytree(_enhance_run_template.root, tmp_path / "other_seed"))
    run_enhance(other, tiny_enhance_config(seed=123))
    assert all(_outputs(other, 0.4)[k] != v for k, v in runs[0].items())


def test_resume_after_a_partial_run(tiny_pipeline_dir, enhance_run, tmp_path):
    run = enhance_run
    run_enhance(run, tiny_enhance_config(limit=2))
    folder = run.enhanced_dir(0.4)
    first = {p.name: p.stat().st_mtime_ns for p in folder.glob("0*.png")}
    assert sorted(first) == ["000000.png", "000001.png"]
    # a killed process: a stale temporary file, and an image whose record was never written
    (folder / ".tmp-dead-000002.png").write_bytes(b"half")
    os.utime(folder / ".tmp-dead-000002.png", (0, 0))
    (folder / "000003.png").write_bytes(b"not really a png")
    summary = run_enhance(run, tiny_enhance_config())
    assert summary.enhanced == 2 and summary.skipped == 2
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("00000[01].png")} == first
    assert not list(folder.glob(".tmp-*"))
    fresh = RunFolder(shutil.copytree(run.root, tmp_path / "fresh", ignore=shutil.ignore_patterns("enhanced")))
    run_enhance(fresh, tiny_enhance_config())
    assert _outputs(fresh, 0.4) == _outputs(run, 0.4)


def test_resume_with_other_settings_is_refused(tiny_pipeline_dir, enhance_run):
    run_enhance(enhance_run, tiny_enhance_config(limit=1))
    before = _outputs(enhance_run, 0.4)
    with pytest.raises(GenbError, match=r"different settings: --guidance-scale was 7.5, now 3.0(.|\n)*fix: repeat the original settings \(--guidance-scale 7.5\)"):
        run_enhance(enhance_run, tiny_enhance_config(guidance_scale=3.0))
    run_enhance(enhance_run, tiny_enhance_config(limit=1, batch_size=1))  # runtime-only change: fine
    assert _outputs(enhance_run, 0.4) == before


# ----------------------------------------------------------------------------- region-aware noise


def _regions(run: RunFolder, i: int, margin: int = 10):
    """Interior of the people and of the background, away from the mask edge (latent cells are 8 px)."""
    import cv2

    person = run.instances(i) > 0
    kernel = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    inner = cv2.erode(person.astype(np.uint8), kernel).astype(bool)
    outer = ~cv2.dilate(person.astype(np.uint8), kernel).astype(bool)
    return inner, outer


def test_region_person_noise_zero_keeps_the_people_exactly(tiny_pipeline_dir, enhance_run):
    run_enhance(enhance_run, tiny_enhance_config(noise=0.6, noise_person=0.0, limit=2))
    for i in (0, 1):
        out = read_image(enhance_run.enhanced_dir(0.6) / f"{enhance_run.sample_name(i)}.png")
        render = enhance_run.image(i)
        person = enhance_run.instances(i) > 0
        assert np.array_equal(out[person], render[person])
        _, background = _regions(enhance_run, i)
        assert np.abs(out[background].astype(int) - render[background]).mean() > 10
        rec = _record(enhance_run, 0.6, i)
        assert rec["region_mode"] and rec["region"]["steps_run"] == {"person": 0, "background": 6}


def test_region_background_noise_zero_keeps_the_background_exactly(tiny_pipeline_dir, enhance_run):
    run_enhance(enhance_run, tiny_enhance_config(noise=0.0, noise_person=0.5, limit=1, region_dilate=0))
    out = read_image(enhance_run.enhanced_dir(0.0) / "000000.png")
    render, person = enhance_run.image(0), enhance_run.instances(0) > 0
    assert np.array_equal(out[~person], render[~person])
    assert np.abs(out[person].astype(int) - render[person]).mean() > 10
    assert _record(enhance_run, 0.0, 0)["region"]["steps_run"] == {"person": 5, "background": 0}


def test_region_each_region_follows_its_own_strength(tiny_pipeline_dir, enhance_run):
    """Background 0.6, people 0.2: in latent space (before the random VAE decoder mixes everything)
    the people match a plain 0.2 run and the background a plain 0.6 run."""
    from genb.enhance.regions import latent_weights, person_mask
    from genb.enhance.enhancer import EnhanceInput, EnhanceStage

    latents = {}
    for name, kw in {"region": dict(noise=0.6, noise_person=0.2), "low": dict(noise=0.2),
                     "high": dict(noise=0.6)}.items():
        cfg = tiny_enhance_config(steps=20, **kw)
        stage = EnhanceStage(cfg, seed=5)
        latents[name] = stage([EnhanceInput.read(enhance_run, i, cfg, stage.templates) for i in (0, 1)]).latents
    assert stage.plan.steps_run == 12
    for k, i in enumerate((0, 1)):
        w = latent_weights(person_mask(enhance_run.instances(i), 4), latents["low"].shape[2:])
        person, background = w >= 0.999, w <= 0.001
        assert person.sum() >= 8 and background.sum() >= 8

        def d(a, b, m):
            return np.abs(latents[a][k][:, m] - latents[b][k][:, m]).mean()

        assert d("region", "low", person) < 0.25 * d("region", "high", person)
        assert d("region", "high", background) < 0.25 * d("region", "low", background)


# ----------------------------------------------------------------------------- models


def test_missing_model_is_one_error_naming_it(enhance_run, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GenbError) as e:
        run_enhance(enhance_run, tiny_enhance_config(pose_model="someone/no-such-controlnet"))
    assert "controlnet-pose model 'someone/no-such-controlnet'" in e.value.problem
    assert "--model-dir" in e.value.fix and "hf download someone/no-such-controlnet" in e.value.fix
    code = main(["enhance", str(enhance_run.root), "--preset", "sd15", "--threads", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "lllyasviel/control_v11f1p_sd15_depth" in err
    assert not list(enhance_run.enhanced_dir(0.4).glob("*.png"))


def test_model_dir_and_local_folders_load_through_from_pretrained(tiny_pipeline_dir, enhance_run, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(tiny_pipeline_dir / "base", models / "me" / "base-model")
    shutil.copytree(tiny_pipeline_dir / "controlnet-depth", models / "depth-net")
    cfg = tiny_enhance_config(base_model="me/base-model", controls=("depth",), depth_model="someone/depth-net",
                              model_dir=str(models), offline=True, limit=1)
    run_enhance(enhance_run, cfg)
    rec = _record(enhance_run, 0.4, 0)
    assert [(m["role"], m["kind"]) for m in rec["models"]] == [("base", "folder"), ("controlnet-depth", "folder")]
    assert rec["models"][0]["location"] == str((models / "me" / "base-model").resolve())


def test_sdxl_architecture_runs_with_region_mode(tiny_pipeline_dir, enhance_run):
    cfg = tiny_enhance_config(architecture="sdxl", noise=0.6, noise_person=0.0, limit=2)
    run_enhance(enhance_run, cfg)
    rec = _record(enhance_run, 0.6, 1)
    assert rec["architecture"] == "sdxl" and rec["scheduler"] == "EulerDiscreteScheduler"
    assert rec["steps_run"] == 6 and rec["region"]["steps_run"] == {"person": 0, "background": 6}
    out = read_image(enhance_run.enhanced_dir(0.6) / "000001.png")
    person = enhance_run.instances(1) > 0
    assert np.array_equal(out[person], enhance_run.image(1)[person]) and not np.array_equal(out, enhance_run.image(1))


def test_check_flag_without_checker_is_a_clear_error(tiny_pipeline_dir, enhance_run, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "genb.check.stage", None)  # as if genb.check were not installed
    with pytest.raises(GenbError, match="--check needs the checker") as e:
        run_enhance(enhance_run, tiny_enhance_config(limit=1, check=True))
    assert "genb check" in e.value.fix
    assert (enhance_run.enhanced_dir(0.4) / "000000.png").is_file()  # the enhanced images are kept


def test_check_flag_runs_the_checker(enhanced_run, tmp_path):
    from genb.config import REPO_CONFIGS

    if not (REPO_CONFIGS / "check" / "flow_only.yaml").is_file() or enhanced_run.manifest.body_model == "handmade":
        pytest.skip("needs the checker's flow_only preset and a rendered run with labels")
    run = RunFolder(shutil.copytree(enhanced_run.root, tmp_path / "run"))
    summary = run_enhance(run, tiny_enhance_config(noise=ENHANCED_NOISE, check=True, check_preset="flow_only"))
    assert summary.enhanced == 0  # all done already: resumed, then checked
    for i in run.sample_ids():
        rec = json.loads((run.check_dir(ENHANCED_NOISE) / f"{run.sample_name(i)}.json").read_text())
        assert isinstance(rec["accepted"], bool)


# ----------------------------------------------------------------------------- prompts


def test_prompt_from_scene_and_replaceable_templates(tiny_pipeline_dir, enhance_run, tmp_path):
    from genb.enhance.prompts import build_prompt, load_templates

    scene = enhance_run.scene(1)
    prompt = build_prompt(scene, load_templates(None))
    assert "woman wearing a red t-shirt, navy trousers and white shoes" in prompt
    assert "man wearing a red long-sleeved shirt" in prompt and "clear blue sky" in prompt
    path = tmp_path / "t.yaml"
    path.write_text('prompt: "candid street photo, {people}; {setting}"\nperson: "{noun} in {top}"\n')
    assert build_prompt(scene, load_templates(str(path))).startswith("candid street photo, woman in a red t-shirt and man")
    run_enhance(enhance_run, tiny_enhance_config(prompt_template="portrait of {people}", limit=1))
    assert _record(enhance_run, 0.4, 0)["prompt"].startswith("portrait of a woman wearing")
    with pytest.raises(GenbError, match="prompt template"):
        load_templates(str(tmp_path / "missing.yaml"))
    crowd = dataclasses.replace(scene, people=scene.people * 4)  # more people than max_people: summarised once
    summary = build_prompt(crowd, load_templates(None))
    assert f"and {len(crowd.people) - 4} more people" in summary and "and and" not in summary


# ----------------------------------------------------------------------------- several processes


@pytest.mark.slow
def test_two_processes_under_accelerate_match_one(tiny_pipeline_dir, _enhance_run_template, tmp_path):
    import subprocess
    import sys

    one = RunFolder(shutil.copytree(_enhance_run_template.root, tmp_path / "one"))
    two = RunFolder(shutil.copytree(_enhance_run_template.root, tmp_path / "two"))
    # the default thread count (no --threads, no OMP_NUM_THREADS): fixed, so one process and two agree
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env.update({"ACCELERATE_USE_CPU": "true", "GENB_QUIET_TINY": "1"})
    args = ["-m", "genb", "enhance", "--preset", "tiny", "--steps", "10", "--batch-size", "2"]
    subprocess.run([sys.executable, *args, str(one.root)], env=env, check=True, capture_output=True)
    proc = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                           "--main_process_port", "29517", *args, str(two.root)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("[genb] enhancing") == 1 and "2 process(es)" in proc.stderr  # 2 ranks, logs on rank 0
    assert _outputs(one, 0.4) == _outputs(two, 0.4) and len(_outputs(two, 0.4)) == 4
    assert {p.name for p in two.enhanced_dir(0.4).glob("*.json")} == {f"{i:06d}.json" for i in range(4)}
