"""Same bytes by construction: draw order, repeated renders, enhancement batch invariance,
thread counts and seed streams. docs/architecture.md ("Same bytes") states the guarantee that
each test here checks; CI runs the thread-dependent ones at 1 and 2 threads.
"""

import gc
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from _fixtures_enhance import tiny_enhance_config
from genb.core.seeds import sample_rng, stream_key
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
from genb.render.raster.gl import Rasterizer
from genb.render.raster.meshes import Lighting, PropMesh
from genb.render.raster.context import draw_order

REPO = Path(__file__).resolve().parents[1]
THREADS = (1, 2)


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".yaml"}


def _env(**extra) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "PYOPENGL_PLATFORM": "egl", "GENB_QUIET_TINY": "1"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _churn(k: int) -> list:
    """Allocations of varied sizes that stay alive: later objects land at other addresses."""
    return [np.empty(int(n)) for n in np.random.default_rng(k).integers(1, 5000, 200)] + [object() for _ in range(997 * k)]


# ----------------------------------------------------------------------------- seed streams


def test_stream_names_count_whole():
    a = sample_rng(3, 5, "wardrobe").random(4)
    assert not np.array_equal(a, sample_rng(3, 5, "wardrobe_v2").random(4))  # same first 8 bytes
    assert not np.array_equal(sample_rng(3, 5, "appearance").random(4), sample_rng(3, 5, "appearance_b").random(4))
    np.testing.assert_array_equal(a, sample_rng(3, 5, "wardrobe").random(4))
    assert len({stream_key(s) for s in ("scene", "bodies", "appearance", "setting", "effects", "wardrobe",
                                        "enhance", "wardrobe_v2", "")}) == 9


def test_stream_keys_are_stable_across_processes():
    """Not Python's salted ``hash()``: the same key in every process, machine and version."""
    assert stream_key("scene") == int.from_bytes(hashlib.blake2b(b"scene", digest_size=8).digest(), "little")
    code = "from genb.core.seeds import sample_rng; print(sample_rng(7, 2, 'wardrobe_v2').random(3).tolist())"
    out = subprocess.run([sys.executable, "-c", code], env=_env(PYTHONHASHSEED="123"), capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == sample_rng(7, 2, "wardrobe_v2").random(3).tolist()


# ----------------------------------------------------------------------------- draw order


@pytest.fixture(scope="module")
def quad_raster():
    """A rasterizer over a one-quad 'body' topology (for scenes of props alone)."""
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    return Rasterizer(faces, np.ones(4, np.int64))


def _board(color: float, part: int) -> PropMesh:
    """A 2 m x 2 m upright board at y = 3 m facing the camera (-y); every board is the same surface."""
    v = np.array([[-1, 3, 0], [1, 3, 0], [1, 3, 2], [-1, 3, 2]], np.float32)
    f = np.array([[0, 1, 2], [0, 2, 3]], np.uint32)
    n = np.tile(np.array([[0, -1, 0]], np.float32), (4, 1))
    return PropMesh(v, f, n, np.full((4, 3), color, np.float32), part)


def test_coincident_meshes_resolve_by_scene_order_not_by_address(quad_raster):
    """Two meshes on the same surface: the one added first wins in every pass, whatever the objects'
    addresses (pyrender's own order is a set's); drawn backwards, the other one wins."""
    W, H = 64, 48
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 1.0]), camera_to_world_rotation(0, 0, 0))
    light = Lighting(np.array([0.0, 1.0, -1.0]), 0.0, np.ones(3), np.ones(3))  # ambient only: colour = albedo
    seen = set()
    for k in range(6):
        keep = _churn(k)
        passes = quad_raster.build_passes([], K, ext, light, None, [_board(0.2, 66), _board(0.8, 67)])
        nodes = draw_order(passes[1][0])
        assert [int(round(n.mesh.primitives[0].color_0[0, 1] * 255)) for n in nodes] == [66, 67]
        (rgba, _), (seg, _) = quad_raster.run_passes(passes, W, H)
        centre = (H // 2, W // 2)
        seen.add((int(rgba[centre][0]), int(seg[centre][1])))
        (rgba_r, _), (seg_r, _) = quad_raster.run_passes(passes, W, H, reverse=True)
        assert int(seg_r[centre][1]) == 67 and int(rgba_r[centre][0]) > int(rgba[centre][0]) + 100
        del keep
    assert seen == {(51, 66)}  # 0.2 * 255: the first board, every time


@pytest.fixture(scope="module")
def demo_stage():
    from genb.config import resolve_config
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    stage = RenderStage(resolve_config(RenderConfig, "render", "demo", DEMO))
    yield stage
    stage.close()


DEMO = dict(image_size=(256, 192), seed=7, num_samples=8)
"""The issue's case (``--preset demo --image-size 256,192 --seed 7``), a few samples."""


def _run(raster, prep, reverse: bool = False) -> list:
    """The sample's raw pass results as RenderStage.rasterize gives them (the sun's map at its own size)."""
    out = raster.run_passes(list(prep.passes), prep.width, prep.height, reverse=reverse)
    if prep.look is not None and prep.look.shadow_pass is not None:
        cam = prep.look.shadow_cam
        out.insert(1, raster.run_passes([prep.look.shadow_pass], cam.width, cam.height, reverse=reverse)[0])
    if prep.texcoord_pass is not None:  # the patterned garments' cloth coordinates, last
        from genb.render.raster.texcoord_pass import render_texcoord_pass

        out.append(render_texcoord_pass(raster, prep.texcoord_pass, prep.width, prep.height, reverse=reverse))
    return out


def _differs(a, b) -> np.ndarray:
    """(H, W) bool pixels where two raw pass results differ (any channel, colour or depth)."""
    out = None
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        if x is None:
            continue
        d = x != y
        d = d.any(-1) if d.ndim == 3 else d
        out = d if out is None else out | d
    return out


@pytest.fixture(scope="module")
def order_scan(demo_stage):
    """Each demo sample rasterized in scene order and backwards: {index: (prepared, raw results,
    pixels that differ per pass)}."""
    scan = {}
    for i in range(DEMO["num_samples"]):
        prep = demo_stage.prepare(i)
        fwd = _run(demo_stage.raster, prep)
        rev = _run(demo_stage.raster, prep, reverse=True)
        scan[i] = (prep, fwd, [_differs(a, b) for a, b in zip(fwd, rev)])
    return scan


def test_no_coincident_surfaces_between_meshes(order_scan):
    """Drawn backwards, a scene changes only where two meshes cross (isolated pixels whose depths
    round to the same value); coincident surfaces (a decal, a garment on the skin as another mesh, a
    prop face on the ground) would flip whole areas."""
    for i, (prep, _, diffs) in order_scan.items():
        for d in diffs:
            assert d.mean() < 1e-3, f"sample {i}: {int(d.sum())} pixels depend on the draw order"
            block = d[:-1, :-1] & d[1:, :-1] & d[:-1, 1:] & d[1:, 1:]
            assert not block.any(), f"sample {i}: a 2x2 block depends on the draw order (coincident surfaces)"


def _sensitive(order_scan) -> list[int]:
    """Samples whose bytes the draw order changes (a repetition test that would catch a set order)."""
    picked = [i for i, (_, _, diffs) in order_scan.items() if any(d.any() for d in diffs)][:3]
    if not picked:
        warnings.warn("no demo sample depends on the draw order: the repetition tests lose their power")
        picked = [0, 1]
    return picked


@pytest.fixture(scope="module")
def demo_reference(demo_stage, order_scan, tmp_path_factory):
    """The order-sensitive samples completed from the scan's first rasterization and written."""
    from genb.render.run import write_sample
    from genb.core.run import RunFolder

    root = tmp_path_factory.mktemp("det") / "reference"
    ids = _sensitive(order_scan)
    for i in ids:
        prep, fwd, _ = order_scan[i]
        write_sample(RunFolder(root), i, demo_stage.complete(prep, fwd))
    return ids, root


def test_repeated_renders_in_one_process_are_byte_identical(demo_stage, demo_reference, tmp_path):
    """The same indices again, with allocations in between (new objects at other addresses):
    every output file byte-identical."""
    from genb.render.run import write_sample
    from genb.core.run import RunFolder

    ids, reference = demo_reference
    for k in range(2):
        keep = _churn(k + 1)
        out = tmp_path / f"again{k}"
        for i in ids:
            write_sample(RunFolder(out), i, demo_stage(i))
        del keep
        gc.collect()
        assert _digest(out) == _digest(reference)


@pytest.mark.parametrize("threads", THREADS)
def test_another_process_renders_the_same_bytes(demo_reference, tmp_path, threads):
    """A separate process with llvmpipe's and torch's thread counts set to ``threads`` writes the same files."""
    ids, reference = demo_reference
    code = textwrap.dedent(f"""
        from genb.config import resolve_config
        from genb.render.config import RenderConfig
        from genb.render.stage import RenderStage
        from genb.render.run import write_sample
        from genb.core.run import RunFolder
        stage = RenderStage(resolve_config(RenderConfig, "render", "demo", {DEMO!r}))
        for i in {ids!r}:
            write_sample(RunFolder({str(tmp_path / "other")!r}), i, stage(i))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=_env(LP_NUM_THREADS=threads, OMP_NUM_THREADS=threads))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _digest(tmp_path / "other") == _digest(reference)


# ----------------------------------------------------------------------------- enhancement


def _pngs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


def _copy(run, dest):
    import shutil

    from genb.core.run import RunFolder

    return RunFolder(shutil.copytree(run.root, dest))


@pytest.mark.parametrize("threads", THREADS)
def test_enhance_same_bytes_any_batch_size(tiny_pipeline_dir, people_run, tmp_path, threads):
    """Batch sizes 1 and 3 (uneven batches), person batch sizes 1 and 3: the same bytes at a given
    thread count; each sample and crop goes through the model alone."""
    from genb.enhance.stage import run_enhance

    pp = dict(per_person=True, person_min_size=20, save_crops=True, threads=threads)
    outputs = []
    for k, (batch, person_batch) in enumerate(((1, 1), (3, 3))):
        run = _copy(people_run, tmp_path / f"b{k}")
        run_enhance(run, tiny_enhance_config(batch_size=batch, person_batch_size=person_batch, **pp))
        outputs.append(_pngs(run.enhanced_dir(0.4)))
    assert len(outputs[0]) >= 4 and any("crops/" in name for name in outputs[0])
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("threads", THREADS)
def test_enhance_batch_invariance_with_avx2_kernels(tiny_pipeline_dir, enhance_run, tmp_path, threads):
    """On an AVX2-only CPU MKL picks other kernels for other batch shapes (the issue's failure);
    this machine is made to use them (a no-op where they are the native ones)."""
    code = textwrap.dedent(f"""
        import shutil, sys
        sys.path.insert(0, {str(REPO / "tests")!r})
        from _fixtures_enhance import tiny_enhance_config
        from genb.enhance.stage import run_enhance
        from genb.core.run import RunFolder
        outs = []
        for b in (1, 4):
            run = RunFolder(shutil.copytree({str(enhance_run.root)!r}, {str(tmp_path)!r} + f"/b{{b}}"))
            run_enhance(run, tiny_enhance_config(batch_size=b, threads={threads}))
            outs.append({{p.name: p.read_bytes() for p in sorted(run.enhanced_dir(0.4).glob("*.png"))}})
        assert len(outs[0]) == 4 and outs[0] == outs[1], [k for k in outs[0] if outs[0][k] != outs[1][k]]
    """)
    env = _env(MKL_ENABLE_INSTRUCTIONS="AVX2", ONEDNN_MAX_CPU_ISA="AVX2", ATEN_CPU_CAPABILITY="avx2")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize("threads", (None, 2))
def test_enhance_same_bytes_in_another_process_whatever_its_environment(tiny_pipeline_dir, enhance_run, tmp_path,
                                                                      threads):
    """One process against two (the second a separate process with another OMP_NUM_THREADS, as a
    launcher sets per process): the same bytes, with the default thread count (None: 1 on CPU) or
    an explicit one."""
    from genb.enhance.stage import run_enhance

    def config(**kw):
        cfg = tiny_enhance_config(**kw)
        cfg.threads = threads  # tiny_enhance_config pins 1: here the default (None) is under test
        return cfg

    one = _copy(enhance_run, tmp_path / "one")
    run_enhance(one, config())
    two = _copy(enhance_run, tmp_path / "two")
    args = [sys.executable, "-m", "genb", "enhance", str(two.root), "--preset", "tiny", "--steps", "10",
            "--batch-size", "2"] + ([] if threads is None else ["--threads", str(threads)])
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300,
                          env=_env(GENB_SHARD="1/2", OMP_NUM_THREADS=3 - (threads or 1)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    os.environ["GENB_SHARD"] = "0/2"
    try:
        run_enhance(two, config(batch_size=1))  # rank 0 of 2: samples 0 and 1, one at a time
    finally:
        del os.environ["GENB_SHARD"]
    assert len(_pngs(one.enhanced_dir(0.4))) == 4
    assert _pngs(two.enhanced_dir(0.4)) == _pngs(one.enhanced_dir(0.4))


def test_default_thread_count_is_fixed_on_cpu():
    from genb.core.dist import DEFAULT_CPU_THREADS, cpu_threads

    assert cpu_threads(None, "cpu") == DEFAULT_CPU_THREADS == 1
    assert cpu_threads(3, "cpu") == 3
    assert cpu_threads(None, "cuda:1") is None  # GPU runs: torch's own default, untouched


def test_arrays_the_render_threads_share_are_read_only(demo_stage, tmp_path):
    """The prepare, GL, complete and writer threads share these: an in-place write raises."""
    import cv2

    from genb.render.scene.envmap import load_environment

    split = demo_stage.raster.split
    for a in (demo_stage.proj_vert_ids, demo_stage.face_parts, demo_stage.raster.faces, split.faces, split.vertex_ids):
        with pytest.raises(ValueError, match="read-only"):
            a.flat[0] = 0
    cv2.imwrite(str(tmp_path / "sky.png"), np.full((16, 32, 3), 200, np.uint8))
    env = load_environment(str(tmp_path / "sky.png"))
    assert env is load_environment(str(tmp_path / "sky.png"))  # cached: the same array for every sample
    with pytest.raises(ValueError, match="read-only"):
        env *= 2.0


def test_a_run_drawn_by_another_sampling_scheme_is_not_resumed(tmp_path):
    """A run whose run.json says another format (older genb: other random draws) is refused, not
    mixed with samples drawn the new way; nothing in it changes."""
    import json

    from genb.errors import GenbError
    from genb.render.config import RenderConfig
    from genb.render.run import run_render

    cfg = RenderConfig(num_samples=1, seed=0, image_size=(64, 48), num_people=(1, 1), wardrobe="none")
    run_render(tmp_path / "run", cfg)
    manifest = tmp_path / "run" / "run.json"
    record = json.loads(manifest.read_text())
    record["format_version"] = 1
    manifest.write_text(json.dumps(record))
    before = sorted(p.name for p in (tmp_path / "run" / "samples").iterdir())
    with pytest.raises(GenbError, match="drawn differently"):
        run_render(tmp_path / "run", RenderConfig(num_samples=2, seed=0, image_size=(64, 48), num_people=(1, 1),
                                                 wardrobe="none"))
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == before
