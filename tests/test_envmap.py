"""Environment maps: background through the exact camera, horizon and azimuth, diffuse light."""

import math

import cv2
import numpy as np
import pytest

from genb.render.scene import envmap
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov, project
from genb.render.config import RenderConfig
from genb.core.conventions import SCENE_PART_INDEX
from genb.render.scene.sample import CameraRecipe
from genb.render.stage import RenderStage

W, H = 160, 120
SKY, GROUND, STRIPE = (40, 80, 200), (40, 160, 40), (230, 20, 20)


def _red(rgb) -> bool:
    r, g, b = (int(x) for x in rgb)
    return r > 150 and g < 80 and b < 80


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory):
    """A synthetic 256 x 128 map: blue sky, green ground, a red stripe at azimuth 0 (world +x)
    above the horizon; saved as PNG and as Radiance HDR."""
    folder = tmp_path_factory.mktemp("envs")
    img = np.zeros((128, 256, 3), np.uint8)
    img[:64], img[64:] = SKY, GROUND
    img[8:60, 126:130] = STRIPE  # columns 126..129 straddle azimuth 0 (column 127.5)
    cv2.imwrite(str(folder / "a.png"), img[..., ::-1])
    cv2.imwrite(str(folder / "b.hdr"), (img[..., ::-1].astype(np.float32) / 255.0) ** 2.2)
    return folder


@pytest.mark.parametrize("pitch, roll", [(0.0, 0.0), (10.0, 20.0), (-15.0, -30.0)])
def test_the_maps_horizon_lands_where_pitch_and_roll_say(env_dir, pitch, roll):
    env = envmap.load_environment(str(env_dir / "a.png"))
    K = intrinsics_from_fov(70.0, W, H)
    R = camera_to_world_rotation(-90.0, pitch, roll)  # yaw -90: looking along world +x
    ext = extrinsics(np.array([0.0, 0.0, 1.5]), R)
    img = envmap.environment_background(env, K, ext, W, H, yaw_deg=0.0).astype(int)
    green = (img[..., 1] > img[..., 2])
    # the horizon line: the images of two horizontal directions
    fwd = R[:, 2]
    az = math.atan2(fwd[1], fwd[0])
    d = np.array([[math.cos(az + a), math.sin(az + a), 0.0] for a in (-0.3, 0.3)])
    p = project(d @ ext[:3, :3].T, K)
    slope = (p[1, 1] - p[0, 1]) / (p[1, 0] - p[0, 0])
    checked = 0
    for u in range(2, W - 2, 6):
        row = p[0, 1] + slope * (u - p[0, 0])
        if 3 < row < H - 4:
            first_green = np.flatnonzero(green[:, u])
            assert len(first_green) and abs(first_green[0] - row) <= 1.5, (u, first_green[:1], row)
            checked += 1
    assert checked >= 10
    # the stripe at azimuth 0 (world +x) lands on the image of +x
    sx, sy = project((ext[:3, :3] @ np.array([1.0, 0.0, 0.3]))[None], K)[0]
    if 2 < sx < W - 3 and 2 < sy < H - 3:
        assert _red(img[int(round(sy)), int(round(sx))])


def test_the_map_turns_with_its_yaw_and_lights_from_its_sun(env_dir):
    env = envmap.load_environment(str(env_dir / "a.png"))
    K = intrinsics_from_fov(60.0, W, H)
    ext = extrinsics(np.zeros(3), camera_to_world_rotation(0.0, 5.0, 0.0))  # looking along world +y
    assert not _red(envmap.environment_background(env, K, ext, W, H, 0.0)[H // 3, W // 2])
    turned = envmap.environment_background(env, K, ext, W, H, 90.0)  # the stripe now at azimuth 90: +y
    assert _red(turned[H // 3, W // 2])
    # a bright sun at azimuth 45, elevation 30 degrees
    sun = np.full((64, 128, 3), 0.2, np.float32)
    sun[64 // 2 - 12 + 1 - 2:64 // 2 - 10 + 1, 80:82] = 50.0  # row ~ elevation 30, column ~ azimuth 45
    light = envmap.environment_lighting(sun, 0.0)
    toward = -np.array(light["direction"])
    assert abs(math.degrees(math.atan2(toward[1], toward[0])) - 45.0) < 8
    assert abs(math.degrees(math.asin(toward[2])) - 30.0) < 8
    assert light["intensity"] > 0.5


def test_render_with_environments_shows_the_map_behind_people(env_dir):
    cfg = RenderConfig(num_samples=2, seed=1, image_size=(128, 96), num_people=(1, 2), environments=str(env_dir),
                       camera_effects=False, camera_pitch_deg=(-10.0, 5.0))  # the horizon in view: sky and floor
    stage = RenderStage(cfg)
    seen, darker, shown_sky = set(), 0, 0
    for i in range(2):
        s = stage(i)
        bg = s.scene["background"]
        assert bg["kind"] == "environment" and all("seat_of" in o for o in s.scene["objects"])
        seen.add(bg["path"])
        cam = s.scene["camera"]
        rec = CameraRecipe(**cam)
        K, ext = rec.K, rec.cam_ext
        expect = envmap.environment_background(envmap.load_environment(bg["path"]), K, ext, cam["width"],
                                               cam["height"], bg["yaw_deg"])
        near = cv2.dilate((s.images["instances"] > 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        empty = (s.depth == 0) & ~near
        off = np.abs(s.images["image"][empty].astype(int) - expect[empty]).max(axis=1) > 1
        # a camera pitched down sees only the catcher's ground (no empty pixel): the other sample holds the sky
        shown_sky += int(empty.sum() > 500)
        assert not empty.any() or off.mean() < 0.01  # (sub-pixel limbs the label pass misses blend into a few pixels)
        # the shadow catcher: the ground shows the map's floor, only ever darkened (shadows, contact)
        ground = (s.images["parts"] == SCENE_PART_INDEX["ground"]) & ~near
        assert empty.mean() + ground.mean() > 0.5
        diff = s.images["image"][ground].astype(int) - expect[ground]
        assert (diff.max(axis=1) <= 1).mean() > 0.99
        assert (np.abs(diff).max(axis=1) <= 1).mean() > 0.5
        darker += int((diff.sum(axis=1) < -30).sum())
    assert darker > 20  # people cast shadows on the map's floor
    assert shown_sky >= 1
    stage.close()


def test_the_shadow_catcher_computes_the_sun_and_contact_maps_once(env_dir, monkeypatch):
    """shade() and ground_darkening() ask for the same maps of the same G-buffer: one computation."""
    from genb.render.raster import shadows

    calls = []
    real = shadows.sun_and_contact

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(shadows, "sun_and_contact", counted)
    cfg = RenderConfig(num_samples=1, seed=1, image_size=(96, 64), num_people=(1, 1), environments=str(env_dir),
                       camera_effects=False)
    stage = RenderStage(cfg)
    prep = stage.prepare(0)
    assert prep.look.catcher and prep.look.shadows
    stage.complete(prep, stage.rasterize(prep))
    stage.close()
    assert len(calls) == 1
