"""Deferred shading, skin and eyes: light in linear RGB, measured skin albedo, painted eyes."""

import subprocess
import sys

import numpy as np
import pytest

from genb.render.dress import face

from genb.render.raster import shading

from genb.render.dress import skin
from genb.render.raster.probe import light_probe, project_sh, sh_irradiance, sphere_directions
from genb.render.raster.normals import encode_normals
from genb.render.config import RenderConfig
from genb.core.records.scene import read_scene
from genb.render.dress.skin_report import person_skin, summarise


def test_sh_irradiance_of_a_uniform_sky_is_uniform_and_of_a_sky_above_is_brighter_up():
    d = sphere_directions(2048)
    const = project_sh(d, np.full((len(d), 3), 0.5, np.float32))
    normals = sphere_directions(64).astype(np.float32)
    np.testing.assert_allclose(sh_irradiance(const, normals), 0.5, rtol=0.02)
    above = project_sh(d, np.where(d[:, 2:3] > 0, 1.0, 0.0).repeat(3, 1).astype(np.float32))
    up, side, down = sh_irradiance(above, np.array([[0, 0, 1], [1, 0, 0], [0, 0, -1]], np.float32))[:, 0]
    assert up == pytest.approx(1.0, abs=0.08) and side == pytest.approx(0.5, abs=0.05) and down < 0.08


def test_a_surface_facing_the_sun_is_brighter_than_one_turned_away_and_shadows_remove_the_sun():
    lighting = {"direction": [0.0, 0.0, -1.0], "intensity": 0.8, "color": [1.0, 1.0, 1.0], "ambient": [0.3, 0.3, 0.3]}
    probe = light_probe(lighting, None, 0.2)
    R = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], np.float64)  # a camera looking along world +y
    n_world = np.array([[0, 0, 1], [0, 0, 1], [0, -0.7071, 0.7071]], np.float32)  # up, up, tilted to the camera
    n_cam = n_world @ R.T.astype(np.float32)
    rays = np.tile(np.array([[0, 0, 1]], np.float32), (3, 1))
    albedo = np.full((3, 3), 0.5, np.float32)
    parts = np.full(3, 64, np.uint8)  # ground material
    out = shading.shade(albedo, n_cam, rays, parts, probe, R, np.array([1, 0, 1], np.float32), np.ones(3, np.float32))
    assert out[0, 0] > out[2, 0] > out[1, 0] > 0  # lit > oblique > in shadow (sky light only)
    assert out[1, 0] == pytest.approx(0.5 * 0.3, rel=0.25)  # shadow: albedo x the sky's irradiance


def test_skin_albedo_is_measured_reflectance_ordered_red_green_blue():
    for i in range(1, 11):
        a = skin.tone_albedo(f"monk-{i:02d}")
        assert a[0] > a[1] > a[2] > 0.02
    assert skin.tone_albedo("monk-01")[1] > 4 * skin.tone_albedo("monk-10")[1]
    # not the display swatch: the darkest tone reflects far more than its swatch's 0.02
    assert skin.tone_albedo("monk-10")[0] > 0.08


def test_filmic_tone_curve_and_exposure_are_monotone_and_bounded():
    x = np.linspace(0, 20, 200).astype(np.float32)
    y = shading.filmic(x)
    assert (np.diff(y) >= 0).all() and y[0] == 0 and y[-1] <= 1.0
    e = shading.auto_exposure(np.full((100, 3), 0.05, np.float32))
    assert 0.05 * e == pytest.approx(shading.KEY_VALUE, rel=0.05)  # a grey scene lands on the key value


def test_eyes_are_painted_around_the_body_models_eye_landmarks(anny_body):
    from genb.render.dress.atlas import build_atlas

    atlas = build_atlas(anny_body)
    layout = face.eye_layout(anny_body, atlas)
    assert len(layout.vertex_ids) > 20
    col = np.full((anny_body.num_vertices, 3), 0.6, np.float32)
    painted = face.paint_eyes(col, layout, {"iris": "blue"})
    changed = np.flatnonzero(np.abs(painted - col).sum(axis=1) > 0.05)
    assert set(changed) <= set(layout.vertex_ids)  # only the eyes' vertices change
    lum = painted[changed].mean(axis=1)
    assert lum.max() > 0.75 and lum.min() < 0.15  # white of the eye and the pupil / lash line


BEDLAM = dict(num_samples=3, seed=71, image_size=(256, 192), camera_effects=False)


@pytest.fixture(scope="module")
def bedlam_run(tmp_path_factory):
    """Three samples of the bedlam preset at 256x192, rendered once for this module."""
    from genb.config import resolve_config
    from genb.render.run import run_render

    root = tmp_path_factory.mktemp("bedlam")
    cfg = resolve_config(RenderConfig, "render", "bedlam", BEDLAM)
    run_render(root, cfg)
    return root


def test_lit_skin_is_skin_coloured_in_a_bedlam_run(bedlam_run):
    import cv2

    rows = []
    for d in sorted((bedlam_run / "samples").iterdir()):
        img = cv2.imread(str(d / "image.png"))[..., ::-1]
        parts = cv2.imread(str(d / "parts.png"), cv2.IMREAD_UNCHANGED)
        inst = cv2.imread(str(d / "instances.png"), cv2.IMREAD_UNCHANGED)
        rows += person_skin(img, parts, inst, read_scene(d / "scene.json"), min_pixels=15)
    s = summarise(rows)
    assert s["people"] >= 4
    assert s["r_gt_g_gt_b"] >= 0.9, rows
    for r in rows:
        assert max(r["rgb"]) > 30, r  # no skin crushed to black


def _gbuffer_image():
    """A lit image of a fixed synthetic G-buffer (a sphere on a ground plane, sun shadows, skin)."""
    H, W = 96, 128
    K = np.array([[100.0, 0, 64], [0, 100.0, 48], [0, 0, 1]])
    ext = np.eye(4)
    ext[:3, :3] = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]
    yy, xx = np.mgrid[0:H, 0:W]
    r2 = ((xx - 64) ** 2 + (yy - 48) ** 2) / 30.0 ** 2
    inside = r2 < 1
    nz = -np.sqrt(np.clip(1 - r2, 0, 1))
    n = np.stack([(xx - 64) / 30.0, (yy - 48) / 30.0, nz], -1) * inside[..., None] + (~inside)[..., None] * [0, -1, 0]
    normals = encode_normals(n.reshape(-1, 3)).reshape(H, W, 3)
    depth = np.where(inside, 3.0 + 0.9 * nz, 5.0).astype(np.float32)
    parts = np.where(inside, 1, 64).astype(np.uint8)
    albedo = np.where(inside[..., None], [190, 150, 130], [120, 110, 90]).astype(np.uint8)
    lighting = {"direction": [0.3, 0.5, -0.8], "intensity": 0.85, "color": [1, 0.95, 0.9], "ambient": [0.2, 0.25, 0.35]}
    probe = light_probe(lighting, None, 0.2)
    sun = np.where(yy > 80, 0.3, 1.0).astype(np.float32)
    img = shading.light_image(albedo, np.ones((H, W), np.float32), depth, normals, parts, K, ext, probe, sun)
    return np.rint(img).astype(np.uint8)


def test_shading_gives_the_same_bytes_in_another_process():
    """A pure function of the G-buffer: the same bytes in a process with other thread counts."""
    import hashlib
    import os

    here = hashlib.sha256(_gbuffer_image().tobytes()).hexdigest()
    code = ("import hashlib, sys; sys.path.insert(0, 'tests'); from test_shading import _gbuffer_image;"
            "print(hashlib.sha256(_gbuffer_image().tobytes()).hexdigest())")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip().splitlines()[-1] == here
    img = _gbuffer_image()
    assert img[48, 64].astype(int).sum() > img[90, 10].astype(int).sum() * 0.5  # and it is lit


def test_distant_ground_is_the_prefiltered_texture_not_aliased():
    """A plane to the horizon with a black-and-white 0.25 m checker: near the camera the checks
    are resolved; in a far band, where a pixel covers many checks, the texture is prefiltered
    (mip-mapped): the band is the texture's mean, without moire (low variance)."""
    from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
    from genb.render.raster.gl import Rasterizer
    from genb.render.raster.meshes import GroundLayer, Lighting, MeshLayer
    from genb.render.scene import props

    W, H = 256, 192
    v, f, _ = props.box_mesh([0.1, 0.1, 0.1], [0.0, 3.0, 0.0])
    r = Rasterizer(f, np.ones(24, np.int64))
    check = np.kron((np.indices((8, 8)).sum(0) % 2) * 255, np.ones((8, 8))).astype(np.uint8)
    tex = np.repeat(check[..., None], 3, axis=2)  # 64 px, 8 checks of 0.25 m per 2 m tile
    ground = GroundLayer(tex, size=800.0, tile=2.0)
    K = intrinsics_from_fov(60.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 1.6]), camera_to_world_rotation(0.0, -8.0, 0.0))
    light = Lighting(np.array([0.0, 0.0, -1.0]), 0.8, np.ones(3), np.full(3, 0.3))
    out = r.render([MeshLayer(v.astype(np.float32), np.full((24, 3), 0.5, np.float32))], K, ext, W, H, light, ground)
    albedo = out.color[..., 0].astype(np.float64)
    rows = np.flatnonzero((out.depth > 0).all(axis=1))
    far = albedo[rows[:6]]  # just below the horizon: 60-300 m away, hundreds of checks per pixel
    near = albedo[-20:]
    assert near.std() > 80  # resolved checks
    reference = tex[..., 0].astype(np.float64).mean()  # the texture prefiltered over a large footprint
    assert abs(far.mean() - reference) < 25 and far.std() < 12, (far.mean(), far.std())


def test_ground_variation_is_prefiltered_to_its_mean_far_away():
    from genb.render.raster.texture import ground_variation

    rng = np.random.default_rng(0)
    xy = rng.uniform(-500, 500, (20000, 2))
    near = ground_variation(xy, np.full(len(xy), 0.01), seed=5)
    far = ground_variation(xy, np.full(len(xy), 20.0), seed=5)  # footprints larger than every cell
    assert near[:, 0].std() > 0.05 and abs(near[:, 0].mean() - 1.0) < 0.02
    np.testing.assert_allclose(far, 1.0, atol=1e-6)  # nothing left to alias
    again = ground_variation(xy, np.full(len(xy), 0.01), seed=5)
    assert np.array_equal(near, again)


def test_surface_mottling_fades_with_the_footprint_and_follows_the_surface():
    from genb.render.raster.texture import surface_variation

    rng = np.random.default_rng(1)
    pts = rng.uniform(-5, 5, (5000, 3))
    wall = np.tile([[0.0, 1.0, 0.0]], (len(pts), 1))  # a wall facing +y: the pattern lies in x, z
    near = surface_variation(pts, wall, np.full(len(pts), 0.002), np.ones(len(pts)))
    assert 0.02 < near.std() < 0.2
    moved = pts + [0.0, 0.3, 0.0]  # along the normal: the same pattern (projected along the dominant axis)
    assert np.array_equal(near, surface_variation(moved, wall, np.full(len(pts), 0.002), np.ones(len(pts))))
    far = surface_variation(pts, wall, np.full(len(pts), 5.0), np.ones(len(pts)))
    np.testing.assert_allclose(far, 1.0, atol=1e-6)


def test_surface_mottling_grouped_by_axis_and_octave_is_the_per_point_sum():
    """surface_variation hashes per axis group and skips faded octaves: the same bits as every octave at
    every point with its own seed (the plain formula, written out here)."""
    from genb.render.raster.texture import SURFACE_OCTAVES, prefilter_weight, surface_variation, value_noise

    rng = np.random.default_rng(2)
    pts = rng.uniform(-3, 3, (4000, 3))
    nrm = rng.normal(size=(4000, 3))
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    fp = rng.uniform(0.0, 0.5, 4000) ** 2  # near (every octave) to far (none)
    strength = rng.uniform(0.5, 1.5, 4000).astype(np.float32)
    axis = np.argmax(np.abs(nrm), axis=1)
    a = np.where(axis == 0, pts[:, 1], pts[:, 0]).astype(np.float64)
    b = np.where(axis == 2, pts[:, 1], pts[:, 2]).astype(np.float64)
    total = np.zeros(len(pts), np.float32)
    for k, (cell, amp) in enumerate(SURFACE_OCTAVES):
        n = value_noise(a / cell, b / cell, 11 + 13 * k + 101 * axis) - np.float32(0.5)
        total += np.float32(2 * amp) * n * prefilter_weight(fp, cell)
    assert np.array_equal(surface_variation(pts, nrm, fp, strength), (1.0 + total * strength).astype(np.float32))
