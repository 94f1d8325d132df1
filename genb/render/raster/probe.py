"""The light around a point: the sky (analytic or an ``--environments`` map) and the ground's
bounce projected once on nine spherical harmonics, evaluated per pixel normal.

:class:`LightProbe` is what :func:`genb.render.raster.shading.shade` lights a pixel with besides the
sun: ``sh`` (9, 3) irradiance coefficients in the same "white-Lambertian radiance" units as the
sun, plus the sun's direction and colour. Pure functions, numpy float32.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from genb.render.raster.colour import luminance

# ----------------------------------------------------------------------------- spherical harmonics
_SH_BAND = np.array([math.pi] + [2 * math.pi / 3] * 3 + [math.pi / 4] * 5, np.float32)


def sh_basis(d: np.ndarray) -> np.ndarray:
    """(N, 9) float32 real spherical harmonics (bands 0-2) of unit directions (N, 3)."""
    x, y, z = (np.asarray(d[:, i], np.float32) for i in range(3))
    return np.stack([np.full_like(x, 0.282095), 0.488603 * y, 0.488603 * z, 0.488603 * x, 1.092548 * x * y,
                     1.092548 * y * z, 0.315392 * (3 * z * z - 1), 1.092548 * x * z, 0.546274 * (x * x - y * y)], axis=1)


def sphere_directions(n: int = 512) -> np.ndarray:
    """(n, 3) float64 unit directions spread evenly over the sphere (a Fibonacci lattice)."""
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    a = math.pi * (1 + 5 ** 0.5) * i
    r = np.sqrt(1 - z * z)
    return np.stack([r * np.cos(a), r * np.sin(a), z], axis=1)


def project_sh(directions: np.ndarray, radiance: np.ndarray) -> np.ndarray:
    """(9, 3) SH coefficients of the radiance (N, 3) seen along evenly spread directions (N, 3)."""
    return (sh_basis(directions).T @ radiance.astype(np.float32)) * np.float32(4 * math.pi / len(directions))


def sh_irradiance(coeffs: np.ndarray, normals: np.ndarray, planes: bool = False) -> np.ndarray:
    """(N, 3) irradiance / pi (the radiance a white Lambertian surface reflects) for unit normals (N, 3),
    from radiance SH coefficients (9, 3) (Ramamoorthi and Hanrahan's cosine convolution), written
    out as a quadratic polynomial of the normal (no small matrix products: they are slow in numpy).
    ``planes``: the same values channel-first, (3, N)."""
    c = np.asarray(coeffs, np.float64) * (_SH_BAND / math.pi)[:, None]
    x, y, z = (np.ascontiguousarray(normals[:, i], dtype=np.float32) for i in range(3))
    xy, yz, xz, zz, xx_yy = x * y, y * z, x * z, z * z, x * x - y * y
    out = np.empty((3, len(x)), np.float32).T if planes else np.empty((len(x), 3), np.float32)  # (N, 3) either way
    for k in range(3):
        a = c[:, k] * np.array([0.282095, 0.488603, 0.488603, 0.488603, 1.092548, 1.092548, 0.315392 * 3, 1.092548,
                                0.546274])
        const = np.float32(a[0] - c[6, k] * 0.315392)
        out[:, k] = (const + np.float32(a[1]) * y + np.float32(a[2]) * z + np.float32(a[3]) * x + np.float32(a[4]) * xy
                     + np.float32(a[5]) * yz + np.float32(a[6]) * zz + np.float32(a[7]) * xz + np.float32(a[8]) * xx_yy)
    np.maximum(out, 0.0, out=out)
    return out.T if planes else out


# ----------------------------------------------------------------------------- the light
SKY_SATURATION = 0.5
@dataclasses.dataclass
class LightProbe:
    """The light of one image.

    Attributes:
        toward_sun: (3,) unit world direction towards the key light. sun: (3,) its linear colour
            times intensity (the radiance of a white surface facing it).
        sh: (9, 3) float32 SH coefficients of the ambient radiance (sky above, ground bounce below).
        illuminant: (3,) what a white horizontal surface reflects in the open (for white balance).
        warmth_kept: fraction of the illuminant's colour the camera's white balance leaves in.
    """

    toward_sun: np.ndarray
    sun: np.ndarray
    sh: np.ndarray
    illuminant: np.ndarray
    warmth_kept: float = 0.2


def _sky_above(lighting: dict[str, Any], sky_recipe: dict[str, Any] | None, environment: tuple | None,
               d: np.ndarray) -> np.ndarray:
    """(N, 3) relative sky radiance along directions d (N, 3) with d_z > 0 (scaled later)."""
    if environment is not None:
        import cv2

        from genb.render.scene.envmap import direction_to_pixel

        env, yaw = environment
        small = cv2.resize(env, (64, 32), interpolation=cv2.INTER_AREA)
        u, v = direction_to_pixel(d, 64, 32, yaw)
        return small[np.clip(np.rint(v), 0, 31).astype(int), np.rint(u).astype(int) % 64]
    if sky_recipe is not None and sky_recipe.get("setting") != "indoor":
        from genb.render.scene.sky import sky_radiance

        return sky_radiance(sky_recipe, d)
    amb = np.asarray(lighting["ambient"], np.float32)
    window = _sunlit_window(sky_recipe)
    if window is not None:  # a room the sun shines into: its daylight comes from the window side
        return amb[None, :] * (0.3 + 0.15 * d[:, 2:3] + 1.2 * np.maximum(d @ window, 0.0)[:, None] ** 1.5).astype(np.float32)
    return amb[None, :] * (0.65 + 0.35 * d[:, 2:3]).astype(np.float32)  # a room or a photo: brighter above


def _sunlit_window(sky_recipe: dict[str, Any] | None) -> np.ndarray | None:
    """(3,) unit horizontal direction out through the window a room's sun comes in by, or None
    (:func:`genb.render.scene.places.room.daylight`)."""
    daylight = (sky_recipe or {}).get("daylight") or {}
    if not daylight.get("sun"):
        return None
    a = math.radians(float(daylight["window_azimuth_deg"]))
    return np.array([math.cos(a), math.sin(a), 0.0])


def light_probe(lighting: dict[str, Any], sky_recipe: dict[str, Any] | None = None, ground_albedo: Any = 0.2,
                environment: tuple | None = None) -> LightProbe:
    """The :class:`LightProbe` of a lighting recipe (``scene.json``'s ``lighting``).

    Args:
        sky_recipe: the analytic sky (``genb.render.scene.sky.sample_sky``), or None.
        ground_albedo: (3,) linear albedo of the ground (its bounce light), or a scalar.
        environment: ``(map, yaw_deg)`` of an ``--environments`` map (linear float32), or None.
    """
    toward = -np.asarray(lighting["direction"], np.float64)
    toward /= np.linalg.norm(toward)
    sun = (float(lighting["intensity"]) * np.asarray(lighting["color"], np.float64)).astype(np.float32)
    d = sphere_directions()
    up = d[:, 2] > 0
    rad = np.zeros((len(d), 3), np.float32)
    sky_rad = _sky_above(lighting, sky_recipe, environment, d[up])
    # half desaturated: a real sky dome comes with haze, clouds and surroundings (an analytic clear
    # sky alone lights shade three times bluer than red)
    rad[up] = SKY_SATURATION * sky_rad + (1 - SKY_SATURATION) * luminance(sky_rad)[:, None]
    sky = project_sh(d, rad)
    up_irr = sh_irradiance(sky, np.array([[0.0, 0.0, 1.0]], np.float32))[0]
    target = float(luminance(np.asarray(lighting["ambient"], np.float32)))
    scale = target / max(float(luminance(up_irr)), 1e-6)
    rad *= scale
    up_irr = up_irr * scale
    # the floor's bounce: in a sunlit room only its sun patch (about a fifth of it) has the sun
    patch = 0.2 if _sunlit_window(sky_recipe) is not None else 1.0
    lit_ground = up_irr + sun * max(float(toward[2]), 0.0) * patch
    # the ground below the horizon: a diffuse bounce, its colour half desaturated and its strength
    # lowered (the ground a person sees is partly shaded and mixed with other surfaces)
    g = np.asarray(ground_albedo, np.float32) * np.ones(3, np.float32)
    g = 0.7 * (0.5 * g + 0.5 * float(luminance(g)))
    rad[~up] = g * lit_ground
    setting = (sky_recipe or {}).get("setting")
    kept = {"dusk": 0.75, "indoor": 0.35}.get(setting, 0.2)  # golden hour stays golden
    return LightProbe(toward_sun=toward.astype(np.float32), sun=sun, sh=project_sh(d, rad),
                      illuminant=lit_ground.astype(np.float32), warmth_kept=kept)
