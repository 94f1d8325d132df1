"""Sky and daylight: an analytic sky (Preetham et al. 1999) whose sun is the key light.

Pure functions of arrays and a random generator. The sky is evaluated per pixel from
the camera ray's world direction, so the horizon follows the camera's pitch and roll
exactly (it is where a ray's world z changes sign). The same recipe gives the key
light (the sun's direction and colour) and the ambient light, so shadows, shading
and sky agree.

Settings: ``clear`` and ``hazy`` (Preetham sky, turbidity 2-3 and 4-6), ``overcast``
(the CIE overcast sky, sun hidden: weak key light, strong ambient), ``dusk`` (sun
2-12 degrees up, warm light) and ``indoor`` (a room: no sky is seen; ceiling-like
light from above).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SETTINGS = ("clear", "hazy", "overcast", "dusk", "indoor")
SETTING_WEIGHTS = (0.38, 0.17, 0.2, 0.1, 0.15)

# CIE XYZ -> linear sRGB (D65).
_XYZ_TO_RGB = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])


def _perez_coefficients(turbidity: float) -> np.ndarray:
    """(3, 5) Perez coefficients A..E for Y, x, y (Preetham's fit to turbidity)."""
    T = turbidity
    return np.array([
        [0.1787 * T - 1.4630, -0.3554 * T + 0.4275, -0.0227 * T + 5.3251, 0.1206 * T - 2.5771, -0.0670 * T + 0.3703],
        [-0.0193 * T - 0.2592, -0.0665 * T + 0.0008, -0.0004 * T + 0.2125, -0.0641 * T - 0.8989, -0.0033 * T + 0.0452],
        [-0.0167 * T - 0.2608, -0.0950 * T + 0.0092, -0.0079 * T + 0.2102, -0.0441 * T - 1.6537, -0.0109 * T + 0.0529],
    ])


def _perez(theta: np.ndarray, gamma: np.ndarray, c: np.ndarray) -> np.ndarray:
    A, B, C, D, E = c
    return (1 + A * np.exp(B / np.maximum(np.cos(theta), 0.01))) * (1 + C * np.exp(D * gamma) + E * np.cos(gamma) ** 2)


def _zenith(turbidity: float, theta_s: float) -> np.ndarray:
    """(3,) zenith luminance (kcd/m^2) and chromaticity x, y."""
    T, t = turbidity, theta_s
    chi = (4.0 / 9.0 - T / 120.0) * (math.pi - 2 * t)
    Y = (4.0453 * T - 4.9710) * math.tan(chi) - 0.2155 * T + 2.4192
    t3, t2 = t ** 3, t ** 2
    x = (T * T * (0.00166 * t3 - 0.00375 * t2 + 0.00209 * t) + T * (-0.02903 * t3 + 0.06377 * t2 - 0.03202 * t + 0.00394)
         + (0.11693 * t3 - 0.21196 * t2 + 0.06052 * t + 0.25886))
    y = (T * T * (0.00275 * t3 - 0.00610 * t2 + 0.00317 * t) + T * (-0.04214 * t3 + 0.08970 * t2 - 0.04153 * t + 0.00516)
         + (0.15346 * t3 - 0.26756 * t2 + 0.06670 * t + 0.26688))
    return np.array([max(Y, 0.05), x, y])


def preetham_radiance(directions: np.ndarray, sun: np.ndarray, turbidity: float) -> np.ndarray:
    """Linear sRGB sky radiance in arbitrary units (the zenith's luminance is about 1).

    Args:
        directions: (N, 3) unit world directions (z up); those below the horizon get the
            horizon's value.
        sun: (3,) unit world direction towards the sun.
        turbidity: 2 (very clear) .. 10 (hazy).
    Returns:
        (N, 3) float32.
    """
    d = np.asarray(directions, np.float64)
    dz = np.clip(d[:, 2], 0.02, 1.0)  # below the horizon: the horizon
    theta = np.arccos(dz)
    horiz = d[:, :2] / np.maximum(np.linalg.norm(d[:, :2], axis=1, keepdims=True), 1e-9)
    sun_h = sun[:2] / max(float(np.linalg.norm(sun[:2])), 1e-9)
    theta_s = math.acos(min(max(float(sun[2]), 0.02), 1.0))
    cos_gamma = np.clip(np.cos(theta) * math.cos(theta_s) + np.sin(theta) * math.sin(theta_s) * (horiz @ sun_h), -1, 1)
    gamma = np.arccos(cos_gamma)
    coef = _perez_coefficients(turbidity)
    zen = _zenith(turbidity, theta_s)
    f0 = [float(_perez(np.array([0.0]), np.array([theta_s]), coef[k])[0]) for k in range(3)]
    Yxy = np.stack([zen[k] * _perez(theta, gamma, coef[k]) / f0[k] for k in range(3)], axis=1)
    Y, x, y = Yxy[:, 0] / zen[0], Yxy[:, 1], np.maximum(Yxy[:, 2], 1e-4)
    XYZ = np.stack([x * Y / y, Y, (1 - x - y) * Y / y], axis=1)
    return np.clip(XYZ @ _XYZ_TO_RGB.T, 0.0, None).astype(np.float32)


def overcast_radiance(directions: np.ndarray, tint: np.ndarray) -> np.ndarray:
    """(N, 3) CIE overcast sky: luminance ``(1 + 2 sin(elevation)) / 3`` of the zenith's, tinted."""
    dz = np.clip(np.asarray(directions)[:, 2], 0.0, 1.0)
    return ((1 + 2 * dz) / 3)[:, None].astype(np.float32) * np.asarray(tint, np.float32)


def sun_color(elevation_deg: float) -> np.ndarray:
    """(3,) linear RGB colour of direct sunlight (max 1) at an elevation: white high, orange low."""
    t = float(np.clip((elevation_deg - 2.0) / 38.0, 0.0, 1.0)) ** 0.6
    return np.array([1.0, 0.55, 0.28]) * (1 - t) + np.array([1.0, 0.97, 0.92]) * t


def sample_sky(rng: np.random.Generator, setting: str | None = None) -> dict[str, Any]:
    """A sky and light recipe (JSON-able): setting, sun, turbidity, fog, exposure, white balance,
    and the ``lighting`` (key direction it travels, intensity, colour; ambient colour)."""
    if setting is None:
        setting = SETTINGS[int(rng.choice(len(SETTINGS), p=np.array(SETTING_WEIGHTS) / sum(SETTING_WEIGHTS)))]
    azimuth = float(rng.uniform(0, 360))
    elevation = {"clear": (20, 70), "hazy": (15, 65), "overcast": (40, 80), "dusk": (2, 12), "indoor": (55, 85)}[setting]
    elevation = float(rng.uniform(*elevation))
    turbidity = float(rng.uniform(*{"clear": (2.0, 3.2), "hazy": (4.0, 6.5), "dusk": (2.5, 4.5)}.get(setting, (3.0, 3.0))))
    a, e = math.radians(azimuth), math.radians(elevation)
    toward = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    sun = sun_color(elevation)
    if setting in ("clear", "hazy", "dusk"):
        key = float(rng.uniform(0.7, 0.95)) * (0.75 if setting == "hazy" else 1.0)
        sky_tint = np.array([0.55, 0.7, 1.0]) if setting != "dusk" else np.array([0.75, 0.65, 0.8])
        ambient = sky_tint * float(rng.uniform(0.3, 0.45))
        if setting == "dusk":
            key *= 0.85
    elif setting == "overcast":
        key = float(rng.uniform(0.1, 0.25))
        ambient = np.array([0.93, 0.95, 1.0]) * float(rng.uniform(0.6, 0.8))
        sun = np.array([1.0, 1.0, 1.0])
    else:  # indoor: ceiling light from nearly above, warm or neutral
        key = float(rng.uniform(0.35, 0.6))
        sun = np.array([1.0, 0.92, 0.8]) if rng.random() < 0.5 else np.array([1.0, 1.0, 0.97])
        ambient = np.array([1.0, 0.96, 0.9]) * float(rng.uniform(0.45, 0.6))
    # Camera response: exposure and white balance (a colour temperature error of the camera).
    wb = float(rng.normal(0.0, 0.04))
    cloud_cover = float(rng.uniform(0.0, 0.7)) if setting in ("clear", "hazy", "dusk") else 0.0
    return {
        "setting": setting, "sun_azimuth_deg": azimuth, "sun_elevation_deg": elevation, "turbidity": turbidity,
        "visibility_m": float(rng.uniform(*{"clear": (300, 900), "hazy": (80, 220), "overcast": (150, 400),
                                            "dusk": (200, 600)}.get(setting, (1e6, 1e6)))),
        "exposure": float(np.exp(rng.normal(0.0, 0.12))),
        "white_balance": [1.0 + wb, 1.0, 1.0 - wb],
        "cloud_cover": cloud_cover, "cloud_seed": int(rng.integers(2**31)),
        "lighting": {"direction": (-toward).tolist(), "intensity": key, "color": sun.tolist(),
                     "ambient": ambient.tolist()},
    }


def ray_directions(K: np.ndarray, cam_ext: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H * W, 3) unit world directions of the rays through every pixel centre."""
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    pix = np.stack([u.ravel(), v.ravel(), np.ones(u.size)], axis=1)
    d = pix @ np.linalg.inv(K).T @ cam_ext[:3, :3]  # (R^T x)^T = x^T R: camera -> world
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def sky_radiance(recipe: dict[str, Any], directions: np.ndarray) -> np.ndarray:
    """(N, 3) linear RGB sky colour of a recipe, scaled so a clear sky's horizon is about 0.8."""
    setting = recipe["setting"]
    if setting == "overcast":
        return overcast_radiance(directions, np.array([1.45, 1.5, 1.58]))
    if setting == "indoor":
        return np.broadcast_to(np.array([0.6, 0.57, 0.52], np.float32), directions.shape).copy()
    a, e = math.radians(recipe["sun_azimuth_deg"]), math.radians(recipe["sun_elevation_deg"])
    sun = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    rad = preetham_radiance(directions, sun, recipe["turbidity"])
    # Normalise by the horizon 90 degrees from the sun, so every sky has about the same brightness.
    ref_dir = np.array([[-math.sin(a), math.cos(a), 0.05]])
    ref = float(preetham_radiance(ref_dir / np.linalg.norm(ref_dir), sun, recipe["turbidity"])[0, 1])
    scale = 0.75 / max(ref, 1e-6) * np.array([0.9, 0.97, 1.1], np.float32)  # Preetham's horizon is warm
    if setting == "dusk":
        scale *= 0.8
    return rad * scale


def clouds(recipe: dict[str, Any], directions: np.ndarray, radiance: np.ndarray) -> np.ndarray:
    """Cumulus-like clouds over a clear, hazy or dusk sky: a layer 1.5 km up whose density is a sum of
    random waves (its seed and cover from the recipe: ``cloud_seed``, ``cloud_cover`` 0..1), lit white on
    top and grey underneath, fading into haze towards the horizon. (N, 3) linear RGB."""
    cover = float(recipe.get("cloud_cover", 0.0))
    if cover <= 0 or recipe["setting"] not in ("clear", "hazy", "dusk"):
        return radiance
    rng = np.random.default_rng(int(recipe.get("cloud_seed", 0)))
    up = directions[:, 2]
    t = 1500.0 / np.maximum(up, 0.03)
    x, y = directions[:, 0] * t, directions[:, 1] * t
    field = np.zeros(len(directions))
    for k in range(5):  # waves of 600 m to 5 km, random directions and phases
        a, ph = rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi)
        f = 2 * np.pi / (5000.0 / 1.7**k)
        field += np.sin(f * (x * np.cos(a) + y * np.sin(a)) + ph) / 1.4**k
    field /= 2.4
    density = np.clip((field - (0.45 - 0.9 * cover)) / 0.4, 0.0, 1.0) * np.clip((up - 0.02) / 0.15, 0.0, 1.0)
    lit = np.array([1.0, 0.98, 0.95]) * (1.25 if recipe["setting"] != "dusk" else 0.85)
    shade = lit * (0.95 - 0.3 * np.clip(field, 0, 1))[:, None]
    return (radiance * (1 - density[:, None]) + shade * density[:, None]).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Linear 0..1 -> sRGB-encoded 0..1 (the standard curve)."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def sky_image(recipe: dict[str, Any], K: np.ndarray, cam_ext: np.ndarray, width: int, height: int,
              step: int = 8) -> np.ndarray:
    """(H, W, 3) uint8 sky seen through the camera (below the horizon: the horizon's colour,
    which the ground's aerial perspective fades into).

    The sky is smooth: it is evaluated every ``step`` pixels and interpolated bilinearly. A room with
    windows (``outside``, :mod:`genb.render.scene.places.room`) shows the sky outside: its glass takes it.
    """
    import cv2

    if recipe["setting"] == "indoor" and "outside" in recipe:
        recipe = recipe["outside"]

    w, h = -(-width // step), -(-height // step)
    # the coarse grid's pixel centres, in full-resolution pixels (cv2.resize's alignment)
    Kc = K.copy()
    Kc[:2, :2] *= 1.0 / step
    Kc[:2, 2] = (K[:2, 2] + 0.5) / step - 0.5
    d = ray_directions(Kc, cam_ext, w, h)
    rad = clouds(recipe, d, sky_radiance(recipe, d))
    rgb = linear_to_srgb(1.25 * rad / (1.0 + 0.6 * rad))  # soft shoulder so the sun's glow rolls off
    coarse = (rgb.reshape(h, w, 3) * 255).astype(np.float32)
    full = cv2.resize(coarse, (w * step, h * step), interpolation=cv2.INTER_LINEAR)[:height, :width]
    return np.clip(full + 0.5, 0, 255).astype(np.uint8)


def aerial_perspective(image: np.ndarray, backdrop: np.ndarray, depth: np.ndarray, K: np.ndarray,
                       visibility_m: float, far_m: float) -> np.ndarray:
    """Fade distant surfaces into the sky's horizon colour (``backdrop``) by their ray length.

    Args:
        image, backdrop: (H, W, 3) uint8. depth: (H, W) camera z, metres (0 = nothing hit).
        visibility_m: extinction length; far_m: distance where everything has faded (the
            far end of the ground).
    """
    H, W = depth.shape
    rows = np.flatnonzero((depth > 0).any(axis=1))
    if not len(rows):  # nothing hit: no haze anywhere
        return image.copy()
    u = ((np.arange(W) - K[0, 2]) / K[0, 0]).astype(np.float32)
    v = ((np.arange(H) - K[1, 2]) / K[1, 1]).astype(np.float32)
    # the rows with a hit pixel and their neighbours (the haze's dilation); the others keep the image
    r0, r1 = max(int(rows[0]) - 1, 0), min(int(rows[-1]) + 2, H)
    out = image.copy() if (r0, r1) != (0, H) else np.empty_like(image)
    out[r0:r1] = _haze(image[r0:r1], backdrop[r0:r1], depth[r0:r1], u, v[r0:r1], visibility_m, far_m)
    return out


def _haze(image: np.ndarray, backdrop: np.ndarray, depth: np.ndarray, u: np.ndarray, v: np.ndarray,
          visibility_m: float, far_m: float) -> np.ndarray:
    """:func:`aerial_perspective` of a band of rows; ``u`` (W,), ``v`` (rows,) the pixels' ray slopes."""
    import cv2

    dist = depth * np.sqrt(1.0 + u[None, :] ** 2 + v[:, None] ** 2)
    f = 1.0 - np.exp(dist * np.float32(-1.0 / visibility_m))
    s = np.clip((dist - 0.5 * far_m) / (0.45 * far_m), 0.0, 1.0)
    f = np.maximum(f, s * s * (3 - 2 * s))
    # pixels the label pass missed but the anti-aliased colour pass partly covered (the ground's
    # far edge): the haze of their neighbours
    empty = depth <= 0
    f[empty] = 0.0
    f[empty] = cv2.dilate(f, np.ones((3, 3), np.uint8))[empty]
    out = backdrop.astype(np.float32)  # image + f * (backdrop - image) + 0.5, in place (the same values)
    out -= image
    out *= cv2.merge([f, f, f])  # f per channel (a broadcast over rows of 3 is many times slower)
    out += image
    out += np.float32(0.5)
    return np.clip(out, 0, 255, out=out).astype(np.uint8)


def camera_response(image: np.ndarray, exposure: float, white_balance: list[float]) -> np.ndarray:
    """(H, W, 3) uint8 image with the camera's exposure and white balance gains (applied in linear light)."""
    levels = np.power(np.arange(256, dtype=np.float64) / 255.0, 2.2)
    gains = exposure * np.asarray(white_balance, np.float64)
    lut = np.clip(np.power(np.clip(levels[:, None] * gains[None, :], 0, 1), 1 / 2.2) * 255 + 0.5, 0, 255).astype(np.uint8)
    import cv2

    return cv2.LUT(np.ascontiguousarray(image), np.ascontiguousarray(lut[None, :, :]))  # a table per channel
