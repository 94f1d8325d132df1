"""An installed wheel (not the checkout) finds its assets and presets."""

import os
import shutil
import site
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_install_finds_assets_and_presets(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", "runs", "build", "*.egg-info", "__pycache__"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
                            str(tmp_path / "wheels"), str(src)], check=True, capture_output=True, text=True,
                           timeout=300)
    assert "Warning" not in build.stdout + build.stderr, build.stdout + build.stderr  # packaging builds cleanly
    venv = _venv_seeing_this_interpreters_packages(tmp_path / "venv")
    wheel = next((tmp_path / "wheels").glob("genb-*.whl"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing of the checkout on the path
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300, env=env)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import genb; print(genb.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True, env=env).stdout
    assert str(venv) in where  # the wheel's genb, not the checkout's
    # run from an unrelated folder: nothing of the checkout is reachable
    res = subprocess.run([str(venv / "bin" / "genb"), "render", str(tmp_path / "run"), "--preset", "demo",
                          "--num-samples", "1", "--image-size", "96,64"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "run" / "samples" / "000000" / "labels.npz").is_file()
    import yaml

    record = yaml.safe_load((tmp_path / "run" / "render.yaml").read_text())
    assert record["config"]["num_people"] == [1, 4]  # the demo preset was read from the installed package


def _venv_seeing_this_interpreters_packages(venv: Path) -> Path:
    """A fresh venv that also sees the packages of the interpreter running the tests.

    ``venv --system-site-packages`` would see the *base* interpreter's packages, not those of
    a virtual environment the tests run in (where a newcomer installed the dependencies); a
    ``.pth`` file that adds this interpreter's site folders works in both cases. The venv's
    own site-packages stays first, so the wheel's genb wins over the checkout's.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    dirs = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    lines = [f"import site; site.addsitedir({d!r})" for d in dirs if Path(d).is_dir()]
    (Path(purelib) / "_genb_test_parent_site.pth").write_text("\n".join(lines) + "\n")
    # pip comes from this interpreter's site folders (the venv was made without its own)
    return venv


def test_every_data_folder_is_listed_as_a_package():
    """setuptools warns about (and may one day drop) data folders missing from `packages`."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    for prefix, folder in (("genb.assets", REPO / "render"), ("genb.configs", REPO / "configs")):
        for d in [folder, *(p for p in folder.rglob("*") if p.is_dir() and p.name != "__pycache__")]:
            name = ".".join([prefix, *d.relative_to(folder).parts])
            assert name in listed, f"add {name!r} to [tool.setuptools] packages in pyproject.toml"
    for d in (REPO / "genb").rglob("__init__.py"):
        name = ".".join(d.parent.relative_to(REPO).parts)
        assert name in listed, f"add {name!r} to [tool.setuptools] packages in pyproject.toml"
