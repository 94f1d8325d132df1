"""Cloth sheen: the fibres' grazing-angle lobe that keeps dark cloth's form visible.

Fibres standing out of a woven or knitted surface reflect light at grazing angles, so cloth
brightens towards its silhouette and on the surfaces turned away from the viewer; on black cloth
(albedo 0.02-0.05) that lobe, not the diffuse light, is what shows its folds and edges. The lobe
is Estevez and Kulla's "Charlie" sheen (Production Friendly Microfacet Sheen BRDF, 2017) with
Neubelt and Pettineo's visibility (Filament's cloth model)::

    f = strength * D(h) * V(l, v),  D = (2 + 1 / r) sin(n, h) ** (1 / r) / (2 pi),
                                     V = 1 / (4 (n.l + n.v - n.l n.v))

for the sun (at ``r = 1/3``: ``sin ** 3``, no power function per pixel), and for the sky and the
ground's bounce that lobe's directional albedo ``E(n.v)`` (:data:`SKY_ALBEDO`, integrated once here;
0.05 facing the viewer, 0.84 at grazing) times the light a white Lambertian surface of the same normal
reflects there (:mod:`genb.render.raster.shading`'s ambient term) and the ambient occlusion cubed: the
lobe's light comes from near the surface's plane, which a crease hides first (an occluder on one side
below 20-50 degrees of elevation takes 0.6-3.5 times the log of the cosine-weighted share from it).
The sheen is colourless (the fibres' surface reflection) and a class's ``strength`` (the material
table's fourth column, :data:`CLASS_SHEEN`; 0 for skin, hair, shoes and the scene) scales it: a
light garment gains a few per cent at its edges, a black one its shape.
"""

from __future__ import annotations

import math

import numpy as np

SHEEN_ROUGHNESS = 1.0 / 3.0  # Charlie's r: the lobe's width (0.3: a narrow rim, 1: broad)
# the sheen's strength (colourless reflectance scale) per cloth class; every other class has none
CLASS_SHEEN = {"upper_clothes": 0.08, "coat": 0.08, "lower_clothes": 0.07, "dress": 0.08, "headwear": 0.07}


def _lobe(sin2_h: np.ndarray) -> np.ndarray:
    """Charlie's distribution of the half vector at :data:`SHEEN_ROUGHNESS` (1/3: sin ** 3, no power
    function per pixel), given sin^2 of its angle to the normal."""
    s2 = np.maximum(sin2_h, 0.0, dtype=np.float32)
    return np.float32(5.0 / (2.0 * math.pi)) * s2 * np.sqrt(s2)  # (2 + 1 / r) sin ** (1 / r) / (2 pi)


def _visibility(n_dot_l: np.ndarray, n_dot_v: np.ndarray) -> np.ndarray:
    """Neubelt and Pettineo's visibility term, 1 / (4 (n.l + n.v - n.l n.v))."""
    return 0.25 / (n_dot_l + n_dot_v - n_dot_l * n_dot_v)


def sky_albedo_table(n_mu: int = 33, n_theta: int = 48) -> np.ndarray:
    """(n_mu,) float32 the sheen lobe's directional albedo ``E(mu)`` under a uniform sky, at
    ``mu = n.v`` from 0 to 1 evenly: the light it reflects towards the viewer over the hemisphere
    (a midpoint rule in the light's polar and azimuth angles, in float64; once per process)."""
    th = (np.arange(n_theta) + 0.5) * (0.5 * math.pi / n_theta)
    ph = (np.arange(2 * n_theta) + 0.5) * (math.pi / n_theta)
    t, p = np.meshgrid(th, ph, indexing="ij")
    towards = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)  # the light
    d_omega = np.sin(t) * (0.5 * math.pi / n_theta) * (math.pi / n_theta)
    out = np.empty(n_mu, np.float64)
    for i, mu in enumerate(np.linspace(0.0, 1.0, n_mu)):
        mu = max(mu, 1e-3)
        h = towards + np.array([math.sqrt(1.0 - mu * mu), 0.0, mu])
        h /= np.linalg.norm(h, axis=-1, keepdims=True)
        nl = towards[..., 2]
        out[i] = np.sum(_lobe(1.0 - h[..., 2] ** 2).astype(np.float64) * _visibility(nl, mu) * nl * d_omega)
    return out.astype(np.float32)


SKY_ALBEDO = sky_albedo_table()
_STEPS = 255
_SKY_TABLE = np.interp(np.arange(_STEPS + 1, dtype=np.float64) / _STEPS, np.linspace(0.0, 1.0, len(SKY_ALBEDO)),
                       SKY_ALBEDO).astype(np.float32)  # E(mu) at 256 steps of mu: a table look-up per pixel


def add_cloth_sheen(out: np.ndarray, cloth: np.ndarray, n: np.ndarray, rays: np.ndarray, strength: np.ndarray,
                    n_dot_l: np.ndarray, sun_visibility: np.ndarray, occlusion: np.ndarray, ambient: np.ndarray,
                    l_cam: np.ndarray, sun: np.ndarray) -> None:
    """Add the sheen of M cloth pixels to their radiance (in place).

    Args:
        out: (3, N) float32 radiance, channel-first. cloth: (M,) the cloth pixels' indices in it.
        n: (M, 3) their unit camera-frame normals. rays: (M, 3) unit directions from the camera to them.
        strength: (M,) the material's sheen. n_dot_l, sun_visibility, occlusion: (N,) the cosine to the
            sun, its visibility and the ambient occlusion. ambient: (3, N) the sky's and the ground's
            light as a white Lambertian surface reflects it. l_cam: (3,) towards the sun, camera frame.
        sun: (3,) the sun's radiance.
    """
    n_dot_v = np.negative(rowdot(n, rays))
    np.clip(n_dot_v, 1e-3, 1.0, out=n_dot_v)  # a normal turned past the silhouette: grazing
    occ = occlusion[cloth]
    sky = _SKY_TABLE.take((n_dot_v * np.float32(_STEPS) + np.float32(0.5)).astype(np.int32))
    sky *= strength
    sky *= occ * occ * occ  # its light comes from near the surface's plane: a crease hides that first
    # the sun's lobe from cosines alone: n.h = (n.l + n.v) / |l + v|, |l + v|^2 = 2 + 2 l.v
    l_dot_v = rays @ -l_cam.astype(np.float32)
    n_dot_l = n_dot_l[cloth]
    n_dot_h = (n_dot_l + n_dot_v) / np.sqrt(np.maximum(2.0 + 2.0 * l_dot_v, 1e-6, dtype=np.float32))
    nl = np.maximum(n_dot_l, 0.0, dtype=np.float32)
    spec = _lobe(1.0 - n_dot_h * n_dot_h) * _visibility(nl, n_dot_v)
    spec *= nl
    spec *= strength
    spec *= sun_visibility[cloth]
    for c in range(3):  # a channel at a time: quicker than (3, M) fancy indexing
        row = out[c]
        row[cloth] += ambient[c].take(cloth) * sky + spec * np.float32(sun[c])


def rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) row-wise dot products of (N, 3) arrays, summed in the order ``np.sum(a * b, axis=1)`` sums
    (the same bits), column by column: quicker than a reduction along the short axis."""
    out = a[:, 0] * b[:, 0]
    out += a[:, 1] * b[:, 1]
    out += a[:, 2] * b[:, 2]
    return out


def sheen_column(parts: list[str], scene_parts: dict[str, int]) -> np.ndarray:
    """(256,) float32 the sheen strength of each part id (the people's parts by name, then the scene's)."""
    col = np.zeros(256, np.float32)
    for i, name in enumerate(parts):
        col[i] = CLASS_SHEEN.get(name, 0.0)
    for name, i in scene_parts.items():
        col[i] = CLASS_SHEEN.get(name, 0.0)
    return col
