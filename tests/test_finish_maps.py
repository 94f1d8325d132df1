"""Camera effects and control maps of the completing half: behaviour kept by their faster forms."""

import numpy as np

from genb.render.labels import maps
from genb.render.raster import effects
from genb.render.scene import sky


def test_sensor_noise_is_seeded_and_grows_with_the_level():
    img = np.zeros((200, 200, 3), np.uint8)
    img[:, 100:] = 200
    a, b = effects.sensor_noise(img, 4.0, 7), effects.sensor_noise(img, 4.0, 7)
    assert np.array_equal(a, b) and not np.array_equal(a, effects.sensor_noise(img, 4.0, 8))
    dark = a[:, :100].astype(np.float64)  # clipped at 0 below: only its mean is compared
    bright = a[:, 100:].astype(np.float64) - 200
    assert abs(bright.mean()) < 0.3 and 4.0 * np.sqrt(0.3 + 200 / 128) * 0.9 < bright.std() < 4.0 * np.sqrt(0.3 + 200 / 128) * 1.1
    assert dark.mean() < bright.std()


def test_camera_response_applies_each_channels_gain_in_linear_light():
    img = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    out = sky.camera_response(img, 1.3, [1.1, 1.0, 0.8])
    lin = (img / 255.0) ** 2.2 * 1.3 * np.array([1.1, 1.0, 0.8])
    want = np.clip(np.clip(lin, 0, 1) ** (1 / 2.2) * 255 + 0.5, 0, 255).astype(np.uint8)
    assert np.array_equal(out, want)


def test_depth_control_is_normalised_inverse_depth_and_empty_is_black():
    depth = np.array([[1.0, 2.0, 0.0], [4.0, 0.0, 1.0]], np.float32)
    out = maps.depth_control(depth)
    assert out.shape == (2, 3, 3) and (out[..., 0] == out[..., 2]).all()
    assert out[0, 0, 0] == 255 and out[1, 0, 0] == 0 and out[0, 2, 0] == 0 and out[1, 1, 0] == 0
    assert out[0, 1, 0] == round((0.5 - 0.25) / 0.75 * 255)
    assert np.array_equal(maps.seg_control(np.array([[0, 3]], np.uint8)), maps.PART_PALETTE[[[0, 3]]])


def test_gaussian_noise_from_bits_is_standard_normal_and_seeded():
    g = effects.gaussian_noise(np.random.default_rng(3), (400, 500))
    assert g.dtype == np.float32 and g.shape == (400, 500)
    assert abs(g.mean()) < 0.01 and abs(g.std() - 1.0) < 0.01
    assert abs(np.mean(np.abs(g) > 1.96) - 0.05) < 0.003  # the tails as a Gaussian's
    assert len(np.unique(g[:50])) > 20000  # fine steps, not a few levels
    assert np.array_equal(g, effects.gaussian_noise(np.random.default_rng(3), (400, 500)))
    assert not np.array_equal(g, effects.gaussian_noise(np.random.default_rng(4), (400, 500)))


def test_vignetting_darkens_the_corners_as_the_formula_says():
    img = np.random.default_rng(1).integers(0, 256, (30, 41, 3), dtype=np.uint8)
    out = effects.vignetting(img, 0.3)
    y = (np.arange(30) - 14.5) / (14.5 + 1e-9)
    x = (np.arange(41) - 20.0) / (20.0 + 1e-9)
    gain = 1.0 - 0.3 * (x[None, :] ** 2 + y[:, None] ** 2) / 2
    assert np.array_equal(out, np.clip(img * gain[..., None] + 0.5, 0, 255).astype(np.uint8))
    assert out.shape == img.shape and out.dtype == np.uint8 and out[15, 20].tolist() == img[15, 20].tolist()


def test_depth_of_field_blends_sharp_and_blurred_by_the_circle_of_confusion():
    import cv2

    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    depth = rng.uniform(0.5, 8.0, (40, 50)).astype(np.float32)
    depth[:5] = 0
    out = effects.depth_of_field(img, depth, 2.0, 3.0)
    z = np.where(depth > 0, depth, np.float32(1e3)).astype(np.float32)
    w = np.clip(np.abs(np.float32(2.0) / z - 1.0), 0.0, 1.0)[..., None]
    blurred = cv2.GaussianBlur(img, (0, 0), 1.5).astype(np.float32)
    assert np.array_equal(out, np.clip(img.astype(np.float32) + w * (blurred - img) + 0.5, 0, 255).astype(np.uint8))
