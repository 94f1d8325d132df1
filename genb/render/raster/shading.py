"""Deferred shading: per-pixel light in linear RGB over the rasterizer's G-buffer, then a camera.

The colour pass writes albedo only (sRGB-encoded in 8 bits, anti-aliased); the label pass
gives depth, camera-frame normals and part ids per pixel; the part id picks the material
(:data:`MATERIALS`: roughness, specular reflectance at normal incidence, subsurface, sheen). Every
covered pixel is then lit (:func:`shade`):

- the sun: a directional light times its shadow-map visibility (:mod:`genb.render.raster.shadows`),
  Lambert (or wrap lighting, a cheap subsurface term, on skin) plus GGX specular, and on cloth
  the fibres' sheen at grazing angles (:mod:`genb.render.raster.sheen`: black cloth keeps its form);
- the sky and the ground's bounce as image-based ambient light: the incident radiance (the
  analytic sky, an ``--environments`` map, or a flat ambient) projected once on nine
  spherical harmonics (:func:`light_probe`), evaluated per pixel normal; its specular part
  from the reflected direction with Schlick's Fresnel;
- ambient occlusion: screen-space (:func:`screen_space_occlusion`), the people's creases
  (:mod:`genb.render.raster.crease`) and the feet's contact darkening.

Then the camera (:func:`develop`): auto exposure from the log-average luminance, white
balance to the illuminant (partial, so dusk stays warm), a filmic tone curve and sRGB.
All functions are pure and vectorised (numpy float32): the same bytes in any process.

Units: light is in "white-Lambertian radiance" units: a white diffuse surface facing the
sun reflects ``sun`` (the recipe's ``intensity * color``) plus its ambient; the sky's
irradiance is scaled so an upward surface receives the recipe's ``ambient`` luminance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genb.core.conventions import PARTS, SCENE_PART_INDEX
from genb.render.raster.albedo_detail import vary_albedo
from genb.render.raster.normals import normal_keys, unit_normal_table
from genb.render.raster.colour import SRGB_TO_LINEAR, linear_to_srgb, luminance
from genb.render.raster.crease import crease_visibility
from genb.render.raster.probe import LightProbe, sh_irradiance
from genb.render.raster.sheen import add_cloth_sheen, rowdot as _rowdot, sheen_column

# ----------------------------------------------------------------------------- materials
# (roughness, F0 specular reflectance, subsurface 0..1) per part class (the sheen: sheen.CLASS_SHEEN).
_SKIN = (0.5, 0.028, 1.0)
_CLASS_MATERIAL = {
    # hair: no GGX lobe, its highlight is the strands' own (raster.strands.kajiya_kay)
    "hair": (0.8, 0.035, 0.0), "upper_clothes": (0.85, 0.035, 0.0), "coat": (0.75, 0.04, 0.0),
    "lower_clothes": (0.8, 0.035, 0.0), "dress": (0.8, 0.035, 0.0), "shoes": (0.45, 0.045, 0.0),
    "headwear": (0.75, 0.035, 0.0), "bag": (0.5, 0.045, 0.0), "facial_hair": (0.8, 0.035, 0.5),
    "ground": (0.9, 0.035, 0.0), "wall": (0.9, 0.035, 0.0), "fence": (0.6, 0.04, 0.0), "box": (0.7, 0.04, 0.0),
    "bench": (0.6, 0.04, 0.0), "pole": (0.35, 0.05, 0.0), "step": (0.85, 0.035, 0.0), "planter": (0.8, 0.035, 0.0),
    "plant": (0.65, 0.03, 0.3), "tree": (0.8, 0.03, 0.0), "car": (0.25, 0.05, 0.0), "held_object": (0.4, 0.045, 0.0),
}
SKIN_WRAP = np.array([0.42, 0.2, 0.14], np.float32)  # wrap per channel: red light reaches past the terminator


def material_table() -> np.ndarray:
    """(256, 4) float32 (roughness, F0, subsurface, sheen) of each part id (body parts: skin; the sheen:
    :data:`genb.render.raster.sheen.CLASS_SHEEN`, cloth's)."""
    table = np.tile(np.array([0.8, 0.04, 0.0, 0.0], np.float32), (256, 1))
    for i, name in enumerate(PARTS):
        if i:
            table[i, :3] = _CLASS_MATERIAL.get(name, _SKIN)
    for name, i in SCENE_PART_INDEX.items():
        table[i, :3] = _CLASS_MATERIAL.get(name, (0.8, 0.04, 0.0))
    table[:, 3] = sheen_column(PARTS, SCENE_PART_INDEX)
    return table


MATERIALS = material_table()
_MATERIAL_COLUMNS = [MATERIALS[:, c] for c in range(4)]  # views: set_part_material's changes show through


def set_part_material(part_id: int, roughness: float, specular: float = 0.04, subsurface: float = 0.0,
                      sheen: float = 0.0) -> None:
    """Give a part class its own material (a hook for garment and prop code that adds classes,
    e.g. leather or glossy paint): GGX roughness 0..1, specular reflectance at normal incidence
    (F0; 0.02-0.06 for non-metals), subsurface 0..1 (1: skin's wrap lighting), cloth's sheen
    (:mod:`genb.render.raster.sheen`; ~0.1 for cloth). Call it when the module is imported (every
    process then shades alike)."""
    MATERIALS[int(part_id)] = (float(roughness), float(specular), float(subsurface), float(sheen))


# ----------------------------------------------------------------------------- per-pixel terms
def screen_space_occlusion(depth: np.ndarray, focal_px: float, radius_m: float = 0.2, reach_m: float = 0.5,
                           strength: float = 0.6) -> np.ndarray:
    """(H, W) float32 ambient visibility (1 open, lower in creases) from a metric depth buffer.

    Eight neighbours at a distance of ``radius_m`` (in pixels at the median depth of the
    covered pixels): each one closer to the camera than the pixel, by less than ``reach_m``,
    occludes a share. Pixels without depth are 1.
    """
    H, W = depth.shape
    hit = depth > 0
    if not hit.any():
        return np.ones((H, W), np.float32)
    z_ref = float(np.median(depth[::4, ::4][hit[::4, ::4]])) if hit[::4, ::4].any() else float(depth[hit].mean())
    r = int(np.clip(radius_m * focal_px / max(z_ref, 0.3), 2, 24))
    d = np.where(hit, depth, np.float32(1e4)).astype(np.float32)
    padded = np.pad(d, r, mode="edge")
    occ = np.zeros((H, W), np.float32)
    inv = np.float32(1.0 / reach_m)
    for dy, dx in ((-r, 0), (r, 0), (0, -r), (0, r), (-r, -r), (-r, r), (r, -r), (r, r)):
        closer = d - padded[r + dy:r + dy + H, r + dx:r + dx + W]
        occ += np.clip(closer * np.float32(4 * inv), 0.0, 1.0) * (closer < reach_m)
    import cv2

    occ = cv2.GaussianBlur(occ, (0, 0), 0.5 * r)  # the eight taps' rings, smoothed into a soft falloff
    vis = 1.0 - np.float32(strength / 8) * occ
    vis[~hit] = 1.0
    return vis


def _occlusion_full(depth: np.ndarray, focal_px: float) -> np.ndarray:
    """(H, W) :func:`screen_space_occlusion` computed at half resolution and interpolated (it is a
    soft, blurred term: a quarter of the cost)."""
    import cv2

    H, W = depth.shape
    half = screen_space_occlusion(np.ascontiguousarray(depth[::2, ::2]), focal_px / 2)
    return cv2.resize(half, (half.shape[1] * 2, half.shape[0] * 2), interpolation=cv2.INTER_LINEAR)[:H, :W]


def _ggx(n_dot_h, n_dot_l, n_dot_v, v_dot_h, rough, f0):
    """GGX/Trowbridge-Reitz specular times n.l (Smith-Schlick geometry, Schlick Fresnel), (N,)."""
    a2 = (rough * rough) ** 2
    denom = n_dot_h * n_dot_h * (a2 - 1.0) + 1.0
    D = a2 / (np.float32(math.pi) * denom * denom)
    k = rough * rough * 0.5
    G = n_dot_l / (n_dot_l * (1 - k) + k) * n_dot_v / (n_dot_v * (1 - k) + k)
    F = f0 + (1.0 - f0) * (1.0 - v_dot_h) ** 5
    return D * G * F / (4.0 * n_dot_v)


def shade(albedo: np.ndarray, normals_cam: np.ndarray, rays_cam: Any, parts: np.ndarray, probe: LightProbe,
          R: np.ndarray, sun_visibility: np.ndarray, occlusion: np.ndarray, ambient: np.ndarray | None = None,
          n_dot_l: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) float32 linear radiance of N lit pixels.

    Args:
        albedo: (N, 3) linear albedo. normals_cam: (N, 3) unit camera-frame normals (OpenCV axes), or a
            function of an index array giving those pixels' normals (with ``ambient`` and ``n_dot_l``
            given, only glossy pixels need them).
        rays_cam: (N, 3) unit camera-frame directions from the camera to the pixels, or a function
            of an index array giving those pixels' rays (only glossy pixels need them).
        parts: (N,) uint8 part ids (materials). probe: the light. R: (3, 3) world-to-camera rotation.
        sun_visibility, occlusion: (N,) float32 sun visibility and ambient occlusion, 0..1.
        ambient, n_dot_l: optional (N, 3) sky irradiance / pi and (N,) cosine to the sun, when the
            caller has them (from per-normal tables); computed here otherwise.
    """
    return _shade_planes(albedo.T, normals_cam, rays_cam, parts, probe, R, sun_visibility, occlusion,
                         None if ambient is None else ambient.T, n_dot_l).T


def _shade_planes(albedo: np.ndarray, normals_cam: Any, rays_cam: Any, parts: np.ndarray, probe: LightProbe,
                  R: np.ndarray, sun_visibility: np.ndarray, occlusion: np.ndarray, ambient: np.ndarray | None,
                  n_dot_l: np.ndarray | None) -> np.ndarray:
    """:func:`shade` channel-first: ``albedo`` and ``ambient`` (3, N) (or their transposed views), returns
    (3, N). The same operations per element as (N, 3) arrays would take (the same bits), with a pixel's
    channels apart: numpy broadcasts a (N,) factor over rows of N many times faster than over rows of 3."""
    rough_t, f0_t, sss_t, sheen_t = _MATERIAL_COLUMNS
    # the skin, glossy and cloth pixels by boolean tables of the 256 classes; their materials gathered for those alone
    skin = np.flatnonzero((sss_t > 0).take(parts))
    glossy = np.flatnonzero((rough_t < 0.8).take(parts))
    cloth = np.flatnonzero((sheen_t > 0).take(parts))
    R32 = R.astype(np.float32)
    l_cam = R32 @ probe.toward_sun
    rays = rays_cam if callable(rays_cam) else (lambda idx: rays_cam[idx])
    normals = normals_cam if callable(normals_cam) else (lambda idx: normals_cam[idx])
    if n_dot_l is None:
        n_dot_l = normals(slice(None)) @ l_cam
    if ambient is None:
        ambient = sh_irradiance(probe.sh, normals(slice(None)) @ R32, planes=True)  # R^T n, row-wise; (3, N)
    # sun: Lambert, or per-channel wrap lighting on skin (light scattered under the surface)
    direct = np.maximum(n_dot_l, 0.0) * sun_visibility
    light = ambient * occlusion[None, :]
    light += direct[None, :] * probe.sun[:, None]
    if len(skin):
        wrap = sss_t.take(parts[skin])[:, None] * SKIN_WRAP[None, :]
        wrapped = np.clip((n_dot_l[skin, None] + wrap) / (1.0 + wrap), 0.0, None) * sun_visibility[skin, None]
        light[:, skin] += ((wrapped - direct[skin, None]) * probe.sun[None, :]).T
    out = light
    out *= albedo
    # specular on the glossier materials (rough ground and cloth: their share is negligible)
    if len(glossy):
        mat = parts[glossy]
        out[:, glossy] += _specular(normals(glossy), rays(glossy), rough_t.take(mat), f0_t.take(mat), n_dot_l[glossy],
                                    sun_visibility[glossy], occlusion[glossy], l_cam, probe, R32)
    if len(cloth):  # the fibres' sheen (genb.render.raster.sheen): dark cloth's folds and edges
        add_cloth_sheen(out, cloth, normals(cloth), rays(cloth), sheen_t.take(parts[cloth]), n_dot_l, sun_visibility,
                        occlusion, ambient, l_cam, probe.sun)
    return out


def _specular(n, rays, rough, f0, n_dot_l, sun_visibility, occlusion, l_cam, probe, R32) -> np.ndarray:
    """(3, M) specular radiance, channel-first: the sun (GGX) and the sky in the reflected direction (Schlick)."""
    v = -rays
    n_dot_v = np.clip(_rowdot(n, v), 1e-3, 1.0)
    out = np.zeros((3, len(n)), np.float32)
    lit = np.flatnonzero((n_dot_l > 0) & (sun_visibility > 0))
    if len(lit):
        h = v[lit] + l_cam[None, :]
        h /= np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-6)
        nh = np.clip(_rowdot(n[lit], h), 0.0, 1.0)
        vh = np.clip(h @ l_cam, 0.0, 1.0)
        spec = _ggx(nh, n_dot_l[lit], n_dot_v[lit], vh, rough[lit], f0[lit]) * sun_visibility[lit]
        out[:, lit] = spec[None, :] * probe.sun[:, None]
    refl = 2.0 * n_dot_v[:, None] * n - v
    fres = f0 + (np.maximum(1.0 - rough, f0) - f0) * (1.0 - n_dot_v) ** 5
    gloss = (1.0 - rough) ** 3  # a rough surface's reflection of the sky is mostly its diffuse light already
    out += (fres * gloss * occlusion)[None, :] * sh_irradiance(probe.sh, refl @ R32, planes=True)
    return out


# ----------------------------------------------------------------------------- the camera
def filmic(x: np.ndarray) -> np.ndarray:
    """A filmic tone curve (Narkowicz's fit of the ACES reference rendering), linear -> 0..1."""
    return np.clip(x * (2.51 * x + 0.03) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0)


KEY_VALUE = 0.14  # the log-average scene luminance lands here before the tone curve


def auto_exposure(radiance: np.ndarray, key: float = KEY_VALUE, lo: float = 0.35, hi: float = 6.0) -> float:
    """Exposure that brings the log-average luminance of the pixels (N, 3) to ``key`` (clamped)."""
    if len(radiance) == 0:
        return 1.0
    sample = radiance[:: max(1, len(radiance) // 20000)]
    log_avg = float(np.exp(np.mean(np.log(luminance(sample) + 1e-3), dtype=np.float64)))
    e = float(np.clip(key / max(log_avg, 1e-4), lo, hi))
    return float(2.0 ** (round(math.log2(e) * 32) / 32))  # in 1/32 stops: one pixel more or less never moves it


def white_balance_gains(probe: LightProbe) -> np.ndarray:
    """(3,) gains that neutralise the illuminant, but for ``probe.warmth_kept`` of its colour."""
    ill = np.maximum(probe.illuminant.astype(np.float64), 1e-4)
    gains = float(luminance(ill)) / ill
    return (gains ** (1.0 - probe.warmth_kept)).astype(np.float32)


_LUT_SIZE, _LUT_MAX = 4096, 16.0


def _tone_lut() -> np.ndarray:
    """(4096,) float32 sRGB-encoded 0..255 of the tone curve, indexed by sqrt(x / 16) * 4095."""
    x = (np.arange(_LUT_SIZE, dtype=np.float64) / (_LUT_SIZE - 1)) ** 2 * _LUT_MAX
    return (linear_to_srgb(filmic(x.astype(np.float32))) * 255.0).astype(np.float32)


_TONE_LUT = _tone_lut()
_TONE_UNIT = _TONE_LUT * np.float32(1 / 255)  # what develop() returns, per entry
_TONE_255 = _TONE_UNIT * np.float32(255)  # ... and that times 255 (light_image's scale), per entry


def _tone_index(radiance: np.ndarray, exposure: float, gains: np.ndarray, planes: bool = False) -> np.ndarray:
    """(N, 3) int32 indices into the tone tables of linear radiance (white balance and exposure applied);
    ``planes``: radiance and indices channel-first, (3, N) (the same values)."""
    g = gains * np.float32(exposure / _LUT_MAX)
    x = radiance * (g[:, None] if planes else g[None, :])
    np.clip(x, 0.0, 1.0, out=x)
    np.sqrt(x, out=x)
    x *= np.float32(_LUT_SIZE - 1)
    x += np.float32(0.5)
    return x.astype(np.int32)


def develop(radiance: np.ndarray, exposure: float, gains: np.ndarray) -> np.ndarray:
    """(N, 3) linear radiance -> sRGB-encoded 0..1: white balance, exposure, tone curve, encoding
    (the last two through one table, finely spaced in the darks)."""
    return _TONE_UNIT.take(_tone_index(radiance, exposure, gains))


def camera_rays(K: np.ndarray, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """(N, 3) float32 unit camera-frame directions through pixel centres (u, v)."""
    x = (u.astype(np.float32) - np.float32(K[0, 2])) * np.float32(1 / K[0, 0])
    y = (v.astype(np.float32) - np.float32(K[1, 2])) * np.float32(1 / K[1, 1])
    norm = x * x
    norm += y * y
    norm += np.float32(1)  # |(x, y, 1)|^2 summed in np.linalg.norm's order (the same bits), then each column over it
    np.sqrt(norm, out=norm)
    return np.stack([x / norm, y / norm, np.float32(1) / norm], axis=1)


# ----------------------------------------------------------------------------- the whole image
_NORMALS = unit_normal_table()  # (65536, 3) the unit normal of each encoded u, v (genb.render.raster.normals)
_FACING = (128 << 8) | 128  # the encoded camera-facing normal


def _add_strand_highlight(radiance, albedo, strands, flat, key, W, K, R32, probe, sun, occ, ambient_table) -> None:
    """Add the hair's Kajiya-Kay highlight (:func:`genb.render.raster.strands.strand_highlight`) to the
    strand pixels among the lit pixels ``flat`` (in place)."""
    from genb.render.raster.strands import strand_highlight

    pos = np.searchsorted(flat, strands.flat)
    ok = np.flatnonzero((pos < len(flat)) & (flat[np.minimum(pos, len(flat) - 1)] == strands.flat))
    idx = pos[ok]
    radiance[idx] += strand_highlight(strands, ok, albedo[idx], _NORMALS.take(key[idx], axis=0),
                                      camera_rays(K, *np.divmod(flat[idx], W)), R32 @ probe.toward_sun, probe.sun,
                                      sun[idx], R32[:, 2].copy(), ambient_table.take(key[idx], axis=0), occ[idx])


def _linear_albedo(enc: np.ndarray, a: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """(3, N) float32 linear albedo, channel-first, of N pixels' colour-pass bytes ``enc`` (N, 3) premultiplied
    by their coverage ``a`` (N,) uint8; ``edge``: the pixels with ``a < 255`` (un-premultiplied)."""
    import cv2

    albedo = np.empty((3, len(enc)), np.float32)
    if not len(enc):
        return albedo
    planes = cv2.split(np.ascontiguousarray(enc).reshape(-1, 1, 3))  # the bytes per channel (OpenCV: quick)
    ae = a[edge].astype(np.uint16)
    for c, plane in enumerate(planes):
        albedo[c] = cv2.LUT(plane, SRGB_TO_LINEAR).ravel()  # a table per byte (the same values)
        if len(edge):
            e = plane.ravel()[edge].astype(np.uint16)
            albedo[c, edge] = SRGB_TO_LINEAR[np.minimum((e * 255 + ae // 2) // np.maximum(ae, 1), 255)]
    return albedo


def light_image(albedo_premult: np.ndarray, coverage: np.ndarray, depth: np.ndarray, normals_encoded: np.ndarray,
                parts: np.ndarray, K: np.ndarray, cam_ext: np.ndarray, probe: LightProbe,
                sun_map: np.ndarray | None = None, contact_map: np.ndarray | None = None,
                exposure_bias: float = 1.0, ground_seed: int | None = None,
                material_ids: np.ndarray | None = None, strands: Any = None) -> np.ndarray:
    """(H, W, 3) float32 sRGB-encoded 0..255 lit image, premultiplied by ``coverage`` (composite
    a background as ``image + (1 - coverage) * background``).

    The per-normal terms (sky irradiance, cosine to the sun) are tabulated once per image over
    the 65536 encoded normals and looked up per pixel.

    Args:
        albedo_premult: (H, W, 3) uint8 colour pass (sRGB-encoded albedo times coverage).
        coverage: (H, W) float32 0..1. depth: (H, W) metric depth (0 = nothing). normals_encoded:
            (H, W, 3) uint8 camera-frame normals. parts: (H, W) uint8 part ids (materials).
        probe: the light (:func:`light_probe`). sun_map, contact_map: (H, W) float32 sun
            visibility and contact occlusion (None: 1).
        exposure_bias: multiplies the auto exposure.
        ground_seed: the ground texture's seed: its large-scale variation (:mod:`genb.render.raster.texture`);
            None: none.
        material_ids: (H, W) uint8 the part class whose material each pixel takes (None: ``parts``;
            painted clothes of ``--wardrobe none`` take their garment's, :mod:`genb.render.dress.painted`).
        strands: hair pixels with their strand directions (:class:`genb.render.raster.strands.StrandPixels`):
            they get the fibres' anisotropic highlight; None: none.
    """
    import cv2

    H, W = depth.shape
    alpha8 = (coverage * np.float32(255) + np.float32(0.5)).astype(np.uint8)
    hit = depth > 0
    flat = np.flatnonzero((hit | (alpha8 > 0)).ravel())  # flat indices: one take per buffer
    if not len(flat):
        return np.zeros((H, W, 3), np.float32)
    if len(flat) == H * W:  # every pixel covered (most outdoor and room samples): the buffers as they are
        def pick(img, *rest):
            return img.reshape(H * W, *rest)
    else:
        def pick(img, *rest):
            return img.reshape(H * W, *rest).take(flat, axis=0)
    a = pick(alpha8)
    enc = pick(albedo_premult, 3)
    edge = np.flatnonzero(a < 255)
    albedo = _linear_albedo(enc, a, edge)
    # G-buffer: where the label pass missed a partly covered edge pixel, a neighbour's part and a
    # camera-facing normal
    hit_px = pick(hit)
    key = pick(normal_keys(normals_encoded))
    key[~hit_px] = _FACING
    part_px = pick(parts)
    if not hit_px.all():
        part_px = np.where(hit_px, part_px, pick(cv2.dilate(parts, np.ones((3, 3), np.uint8))))
    R32 = cam_ext[:3, :3].astype(np.float32)
    # the ground's large-scale variation and the objects' mottling (genb.render.raster.albedo_detail)
    vary_albedo(albedo, flat, hit_px, part_px, depth, normals_encoded, parts, K, cam_ext, ground_seed)
    ambient_table = sh_irradiance(probe.sh, _NORMALS @ R32, planes=True)  # (3, 65536): channel-first below
    cos_table = _NORMALS @ (R32 @ probe.toward_sun)
    occ = pick(_occlusion_full(depth, float(K[0, 0])) * crease_visibility(depth, normals_encoded, parts, K))
    if contact_map is not None:
        occ = occ * pick(contact_map)
    sun = pick(sun_map) if sun_map is not None else np.ones(len(flat), np.float32)
    # the materials: edge pixels the label pass missed keep their neighbour's
    mat_px = part_px if material_ids is None else np.where(hit_px, pick(material_ids), part_px)
    ambient = np.stack([row.take(key) for row in ambient_table])  # (3, N), as _shade_planes takes them
    radiance = _shade_planes(albedo, lambda idx: _NORMALS.take(key[idx], axis=0),  # only the glossy pixels' normals
                             lambda idx: camera_rays(K, *np.divmod(flat[idx], W)), mat_px, probe,
                             cam_ext[:3, :3], sun, occ, ambient, cos_table.take(key))
    if strands is not None and len(strands.flat):
        _add_strand_highlight(radiance.T, albedo.T, strands, flat, key, W, K, R32, probe, sun, occ, ambient_table.T)
    lit = np.flatnonzero(hit_px)  # auto_exposure's own subsample of them (the same pixels), without a copy of all
    exposure = auto_exposure(radiance[:, lit[:: max(1, len(lit) // 20000)]].T) * exposure_bias
    idx = _tone_index(radiance, exposure, white_balance_gains(probe), planes=True)
    srgb = _TONE_255.take(idx)  # develop() times 255, from its own table (the same values)
    if len(edge):  # the anti-aliased edges: develop()'s value times their coverage, times 255
        ie = idx[:, edge]
        srgb[:, edge] = _TONE_UNIT.take(ie) * (a[None, edge].astype(np.float32) * np.float32(1 / 255)) * np.float32(255)
    if len(flat) < H * W:
        planes = np.zeros((3, H * W), np.float32)
        planes[:, flat] = srgb
        srgb = planes
    return cv2.merge([plane.reshape(H, W) for plane in srgb])  # (H, W, 3): OpenCV interleaves the planes
