"""An installed wheel (not the checkout) finds its assets and presets."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_install_finds_assets_and_presets(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", "runs", "build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path / "wheels"), str(src)], check=True, capture_output=True, timeout=300)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    wheel = next((tmp_path / "wheels").glob("genb-*.whl"))
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import genb; print(genb.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(venv) in where  # the wheel's genb, not the checkout's
    # run from an unrelated folder: nothing of the checkout is reachable
    res = subprocess.run([str(venv / "bin" / "genb"), "render", str(tmp_path / "run"), "--preset", "demo",
                          "--num-samples", "1", "--image-size", "96,64"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "run" / "samples" / "000000" / "labels.npz").is_file()
    import yaml

    record = yaml.safe_load((tmp_path / "run" / "render.yaml").read_text())
    assert record["config"]["num_people"] == [1, 4]  # the demo preset was read from the installed package
