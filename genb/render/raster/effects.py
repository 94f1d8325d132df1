"""Camera effects on the image only (the labels stay exact): depth of field, motion blur,
vignetting, sensor noise and JPEG-like compression.

:func:`sample_effects` draws a JSON-able recipe (each effect with its own probability;
recorded in ``scene.json``); :func:`apply_effects` applies it to a uint8 image in a fixed
order (optics, then the sensor, then the encoder). Pure functions, vectorised (OpenCV).
"""

from __future__ import annotations

import functools
from typing import Any

import cv2
import numpy as np

# Probability of each effect in an image.
PROBABILITIES = {"depth_of_field": 0.3, "motion_blur": 0.15, "vignetting": 0.4, "noise": 0.5, "jpeg": 0.5}


def sample_effects(rng: np.random.Generator, enabled: bool, focus_candidates_m: list[float]) -> dict[str, Any]:
    """A recipe of camera effects; ``{}`` when disabled.

    Args:
        focus_candidates_m: distances (metres) of the people, one of which is focused on.
    """
    if not enabled:
        return {}
    draws = {k: bool(rng.random() < p) for k, p in PROBABILITIES.items()}
    out: dict[str, Any] = {}
    if draws["depth_of_field"] and focus_candidates_m:
        out["depth_of_field"] = {"focus_m": float(focus_candidates_m[int(rng.integers(len(focus_candidates_m)))]),
                                 "max_blur_px": float(rng.uniform(1.5, 5.0))}
    if draws["motion_blur"]:
        out["motion_blur"] = {"length_px": float(rng.uniform(2.0, 5.0)), "angle_deg": float(rng.uniform(0, 180))}
    if draws["vignetting"]:
        out["vignetting"] = {"strength": float(rng.uniform(0.1, 0.35))}
    if draws["noise"]:
        out["noise"] = {"sigma": float(rng.uniform(1.0, 5.0)), "seed": int(rng.integers(2**31))}
    if draws["jpeg"]:
        out["jpeg"] = {"quality": int(rng.integers(55, 95))}
    return out


def depth_of_field(image: np.ndarray, depth: np.ndarray, focus_m: float, max_blur_px: float) -> np.ndarray:
    """Thin-lens blur from metric depth: the circle of confusion grows with ``|1/z - 1/focus|``
    (relative to the focus); each pixel blends the sharp image with one blurred by
    ``max_blur_px`` by its circle of confusion (empty pixels count as far)."""
    z = np.where(depth > 0, depth, np.float32(1e3)).astype(np.float32)
    w = np.clip(np.abs(np.float32(focus_m) / z - 1.0), 0.0, 1.0)
    blurred = cv2.GaussianBlur(image, (0, 0), max(max_blur_px / 2, 0.3))
    planes = []
    for sharp, soft in zip(cv2.split(image), cv2.split(blurred)):  # sharp + w (soft - sharp), channel by channel
        v = soft.astype(np.float32)
        v -= sharp
        v *= w
        v += sharp
        v += np.float32(0.5)
        planes.append(np.clip(v, 0, 255, out=v).astype(np.uint8))
    return cv2.merge(planes)


def motion_blur(image: np.ndarray, length_px: float, angle_deg: float) -> np.ndarray:
    """A short linear blur (camera shake) of ``length_px`` along ``angle_deg``."""
    n = max(3, int(np.ceil(length_px)) | 1)
    kernel = np.zeros((n, n), np.float32)
    kernel[n // 2, :] = 1.0
    M = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), angle_deg, 1.0)
    kernel = cv2.warpAffine(kernel, M, (n, n))
    return cv2.filter2D(image, -1, kernel / max(float(kernel.sum()), 1e-6))


def vignetting(image: np.ndarray, strength: float) -> np.ndarray:
    """Darken towards the corners by ``1 - strength * r^2`` (r = 1 at the corners)."""
    H, W = image.shape[:2]
    y = (np.arange(H) - (H - 1) / 2) / ((H - 1) / 2 + 1e-9)
    x = (np.arange(W) - (W - 1) / 2) / ((W - 1) / 2 + 1e-9)
    gain = 1.0 - strength * (x[None, :] ** 2 + y[:, None] ** 2) / 2
    planes = []
    for plane in cv2.split(image):  # channel by channel, in place: the same float64 values, half the time
        v = plane * gain
        v += 0.5
        planes.append(np.clip(v, 0, 255, out=v).astype(np.uint8))
    return cv2.merge(planes)


@functools.cache
def _normal_quantiles() -> np.ndarray:
    """(65536,) float32 the standard normal's quantiles at (i + 0.5) / 65536: 16 random bits -> a Gaussian
    sample (within 4.3 sigma; steps far finer than a level of noise)."""
    from scipy.special import ndtri

    return ndtri((np.arange(65536, dtype=np.float64) + 0.5) / 65536).astype(np.float32)


def gaussian_noise(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """float32 standard normal noise of ``shape`` from 16 random bits per value (:func:`_normal_quantiles`):
    a quarter of the cost of ``rng.standard_normal``; the same values for the same generator state on every
    machine (the bits are read little-endian)."""
    bits = np.frombuffer(rng.bytes(2 * int(np.prod(shape))), "<u2")
    return _normal_quantiles().take(bits).reshape(shape)


def sensor_noise(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Signal-dependent Gaussian noise (shot + read noise), ``sigma`` in 8-bit levels at mid grey."""
    rng = np.random.default_rng(seed)
    levels = np.arange(256, dtype=np.float32)
    std = cv2.LUT(np.ascontiguousarray(image), sigma * np.sqrt(0.3 + levels / 128.0))  # per level: a table (the same float32 values)
    noisy = gaussian_noise(rng, image.shape)
    noisy *= std
    noisy += image
    noisy += np.float32(0.5)
    return np.clip(noisy, 0, 255, out=noisy).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG at ``quality`` (blocking and ringing as in web photos)."""
    ok, buf = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]) if ok else image


def apply_effects(image: np.ndarray, depth: np.ndarray, recipe: dict[str, Any]) -> np.ndarray:
    """(H, W, 3) uint8 image with the recipe's effects: optics, then sensor, then encoder."""
    out = image
    if "depth_of_field" in recipe:
        out = depth_of_field(out, depth, **recipe["depth_of_field"])
    if "motion_blur" in recipe:
        out = motion_blur(out, **recipe["motion_blur"])
    if "vignetting" in recipe:
        out = vignetting(out, **recipe["vignetting"])
    if "noise" in recipe:
        out = sensor_noise(out, **recipe["noise"])
    if "jpeg" in recipe:
        out = jpeg(out, **recipe["jpeg"])
    return out
