"""The run folder's guarantees: atomic writes, clear errors, work splitting, typed configs."""

import dataclasses
import errno

import numpy as np
import pytest

from genb.core import dist, io, seeds
from genb.config import field_docs, resolve_config
from genb.errors import GenbError
from genb.render.config import RenderConfig


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_atomic_write_keeps_the_old_file_when_the_disk_is_full(tmp_path, monkeypatch):
    target = tmp_path / "labels.json"
    io.atomic_write_json(target, {"a": 1})
    monkeypatch.setattr(io.os, "replace", _disk_full)
    with pytest.raises(GenbError, match="disk is full"):
        io.atomic_write_json(target, {"a": 2})
    assert target.read_text().strip().replace(" ", "").replace("\n", "") == '{"a":1}'
    assert [p.name for p in tmp_path.iterdir()] == ["labels.json"]  # no temporary file left


def test_atomic_dir_appears_whole_or_not_at_all(tmp_path):
    final = tmp_path / "samples" / "000001"
    with pytest.raises(RuntimeError):
        with io.atomic_dir(final) as tmp:
            (tmp / "image.png").write_bytes(b"x")
            raise RuntimeError("killed")
    assert not final.exists() and list((tmp_path / "samples").iterdir()) == []
    with io.atomic_dir(final) as tmp:
        (tmp / "image.png").write_bytes(b"x")
    assert (final / "image.png").read_bytes() == b"x"


def test_render_stops_cleanly_on_a_full_disk_and_resumes(tmp_path, monkeypatch):
    from genb.render.run import run_render

    cfg = dict(seed=1, image_size=(64, 48), num_people=(1, 2))
    run_render(tmp_path / "run", RenderConfig(num_samples=2, **cfg))
    before = {p: p.read_bytes() for p in sorted((tmp_path / "run" / "samples").rglob("*")) if p.is_file()}
    real_rename = io.os.rename
    monkeypatch.setattr(io.os, "rename", _disk_full)
    with pytest.raises(GenbError, match="disk is full"):
        run_render(tmp_path / "run", RenderConfig(num_samples=4, **cfg))
    monkeypatch.setattr(io.os, "rename", real_rename)
    after = {p: p.read_bytes() for p in sorted((tmp_path / "run" / "samples").rglob("*")) if p.is_file()}
    assert after == before  # finished samples untouched, nothing half-written left
    assert run_render(tmp_path / "run", RenderConfig(num_samples=4, **cfg)).rendered == 2


def test_corrupt_image_is_one_clear_error(tmp_path):
    bad = tmp_path / "image.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(GenbError, match="corrupt"):
        io.read_image(bad)
    with pytest.raises(GenbError, match="does not exist"):
        io.read_image(tmp_path / "missing.png")


def test_work_is_split_by_rank_from_the_environment(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "GENB_SHARD", "SLURM_ARRAY_TASK_COUNT"):
        monkeypatch.delenv(var, raising=False)
    assert dist.dist_info() == (0, 1)
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "4")
    assert dist.dist_info() == (3, 4)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert dist.dist_info() == (1, 2)
    monkeypatch.setenv("GENB_SHARD", "2/5")
    assert dist.dist_info() == (2, 5)
    monkeypatch.setenv("GENB_SHARD", "7/5")
    with pytest.raises(GenbError):
        dist.dist_info()
    parts = [dist.shard(range(10), r, 3) for r in range(3)]
    assert sorted(sum(parts, [])) == list(range(10))


def test_sample_seeds_depend_only_on_seed_index_and_stream():
    a = seeds.sample_rng(0, 5, "scene").random(3)
    assert np.array_equal(a, seeds.sample_rng(0, 5, "scene").random(3))
    assert not np.array_equal(a, seeds.sample_rng(0, 6, "scene").random(3))
    assert not np.array_equal(a, seeds.sample_rng(0, 5, "bodies").random(3))
    assert not np.array_equal(a, seeds.sample_rng(1, 5, "scene").random(3))


def test_configs_layer_defaults_presets_and_flags(tmp_path):
    docs = field_docs(RenderConfig)
    assert all(docs.get(f.name) for f in dataclasses.fields(RenderConfig))  # every flag has help text
    preset = tmp_path / "p.yaml"
    preset.write_text("num_samples: 7\nfov_deg: [30, 40]\n")
    cfg = resolve_config(RenderConfig, "render", preset, {"num_samples": 9, "seed": None})
    assert (cfg.num_samples, cfg.fov_deg, cfg.seed) == (9, (30.0, 40.0), 0)
    preset.write_text("num_sample: 7\n")
    with pytest.raises(GenbError, match="unknown options: num_sample"):
        resolve_config(RenderConfig, "render", preset)
    with pytest.raises(GenbError, match="--body must be one of"):
        resolve_config(RenderConfig, "render", None, {"body": "smpl"})


def test_npz_bytes_read_back_exactly_and_refuse_objects():
    import io

    from genb.core.io import npz_bytes

    arrays = {"keypoints2d": np.arange(6, dtype=np.float32).reshape(3, 2), "body_model": np.array("anny")}
    data = npz_bytes(arrays)
    assert npz_bytes(dict(reversed(list(arrays.items())))) == data  # member order is sorted
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        assert z["body_model"].shape == () and str(z["body_model"]) == "anny"
        np.testing.assert_array_equal(z["keypoints2d"], arrays["keypoints2d"])
    with pytest.raises(ValueError):
        npz_bytes({"people": np.array([{"a": 1}], dtype=object)})
