"""Skin albedo: measured reflectance per tone and low-contrast variation over the body.

:func:`tone_albedo` turns a tone's CIELAB reflectance (``render/appearance/skin_tones.yaml``,
``lab``) into linear RGB albedo; :func:`tone_srgb` encodes it for the colour pass (which
stores sRGB-encoded albedo). :class:`SkinRegions` finds, once per body model from its rest
atlas (:class:`genb.render.dress.atlas.BodyAtlas`: works for anny and SMPL-X, no UVs needed),
the regions where skin differs: cheeks, nose and ears (redder), palms and soles (lighter on
dark skin), nails; :func:`skin_variation` draws one person's variation and
:func:`apply_variation` applies it to the body's vertex colours. Pure functions of arrays.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from genb.core.conventions import PART_INDEX

_XYZ_TO_RGB = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
_D65 = np.array([0.95047, 1.0, 1.08883])


def lab_to_linear(lab: Any) -> np.ndarray:
    """(3,) linear sRGB of a CIELAB colour (D65 white)."""
    L, a, b = (float(x) for x in lab)
    fy = (L + 16) / 116
    f = np.array([fy + a / 500, fy, fy - b / 200])
    xyz = np.where(f ** 3 > 0.008856, f ** 3, (f - 16 / 116) / 7.787) * _D65
    return np.clip(_XYZ_TO_RGB @ xyz, 0.0, 1.0)


def _encode(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0.0, 1.0)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.power(lin, 1 / 2.4) - 0.055)


def _decode(srgb: np.ndarray) -> np.ndarray:
    srgb = np.clip(srgb, 0.0, 1.0)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


@functools.lru_cache(maxsize=None)
def _tones() -> dict[str, tuple]:
    from genb.render.assets import load_yaml_asset

    return {t["name"]: tuple(t["lab"]) for t in load_yaml_asset("appearance", "skin_tones.yaml")["tones"]}


def tone_albedo(name: str) -> np.ndarray:
    """(3,) float32 linear albedo of a skin tone (``monk-01`` .. ``monk-10``)."""
    return lab_to_linear(_tones()[name]).astype(np.float32)


def tone_srgb(name: str) -> np.ndarray:
    """(3,) float32 sRGB-encoded albedo of a skin tone, 0..1 (what the colour pass stores)."""
    return _encode(tone_albedo(name)).astype(np.float32)


def tone_darkness(name: str) -> float:
    """0 for the lightest tone's lightness (L* 70) .. 1 for the darkest (L* 30)."""
    return float(np.clip((70.0 - _tones()[name][0]) / 40.0, 0.0, 1.0))


@dataclasses.dataclass
class SkinRegions:
    """Per-vertex weights (V,) float32 0..1 of the regions where skin differs, for one topology."""

    flush: np.ndarray  # cheeks, nose, ears, knuckles: redder (blood close to the surface)
    palms: np.ndarray  # palms and soles: less melanin
    nails: np.ndarray  # finger nails
    freckle_zone: np.ndarray  # face, shoulders, forearms: where freckles show
    noise: np.ndarray  # (V,) a fixed pseudo-random value per vertex
    touched: np.ndarray | None = None  # (R,) int the vertices in the flush, palm or nail regions (set from them)

    def __post_init__(self):
        if self.touched is None:
            self.touched = np.flatnonzero((self.flush > 0) | (self.palms > 0) | (self.nails > 0))


def skin_regions(atlas) -> SkinRegions:
    """The :class:`SkinRegions` of a body atlas (rest pose, once per body model)."""
    from genb.render.dress.materials import hash_noise

    h, parts, n = atlas.head, atlas.parts, atlas.normals
    head = parts == PART_INDEX["head"]
    front = head & (h[:, 1] > 0.03)
    cheeks = front & (np.abs(h[:, 0]) > 0.025) & (np.abs(h[:, 0]) < 0.07) & (h[:, 2] > -0.05) & (h[:, 2] < 0.01)
    nose = front & (np.abs(h[:, 0]) < 0.018) & (h[:, 2] > -0.03) & (h[:, 2] < 0.02) & (h[:, 1] > 0.085)
    ears = head & (np.abs(h[:, 0]) > 0.06) & (np.abs(h[:, 1]) < 0.03) & (h[:, 2] > -0.04) & (h[:, 2] < 0.03)
    hands = np.isin(parts, [PART_INDEX["left_hand"], PART_INDEX["right_hand"]])
    feet = np.isin(parts, [PART_INDEX["left_foot"], PART_INDEX["right_foot"]])
    arm = np.nan_to_num(atlas.arm, nan=0.0)
    # the semantic T-pose holds the palms down: palm skin faces -z, the backs of the hands +z
    palms = (hands & (n[:, 2] < -0.35)) | (feet & (n[:, 2] < -0.7))
    fingertips = hands & (arm > np.quantile(arm[hands], 0.85) if hands.any() else hands)
    nails = fingertips & (n[:, 2] > 0.5)
    knuckles = hands & (n[:, 2] > 0.3) & ~nails
    flush = np.zeros(len(parts), np.float32)
    flush[cheeks] = 1.0
    flush[nose] = 0.8
    flush[ears] = 0.7
    flush[knuckles] = 0.35
    zone = (front | np.isin(parts, [PART_INDEX[f"{s}_lower_arm"] for s in ("left", "right")])
            | ((parts == PART_INDEX["torso"]) & (atlas.torso > 0.8)))
    return SkinRegions(flush=flush, palms=palms.astype(np.float32), nails=nails.astype(np.float32),
                       freckle_zone=zone.astype(np.float32), noise=hash_noise(atlas.rest * 40.0, 3.0))


def skin_variation(rng: np.random.Generator, tone: str) -> dict[str, float]:
    """One person's skin variation (JSON-able): redness, freckle density, palm lightening."""
    dark = tone_darkness(tone)
    return {
        "redness": round(float(rng.uniform(0.2, 1.0) * (1.0 - 0.6 * dark)), 4),
        "freckles": round(float(rng.uniform(0.02, 0.12)) if rng.random() < 0.3 * (1 - dark) else 0.0, 4),
        "palm_lightening": round(float(rng.uniform(0.35, 0.6) * dark), 4),
    }


def apply_variation(colors: np.ndarray, regions: SkinRegions, variation: dict[str, float],
                    skin: np.ndarray | None = None, per_pixel: bool = False) -> np.ndarray:
    """(V, 3) float32 sRGB-encoded body colours with the person's skin variation (low contrast).

    Args:
        colors: (V, 3) sRGB-encoded albedo of the body's vertices.
        variation: from :func:`skin_variation`. skin: (V,) bool vertices that show skin
            (None: all); the others (painted clothes, brows, lips) are left alone.
        per_pixel: the skin texture (:mod:`genb.render.dress.skin_texture`) draws the freckles and the
            unevenness per pixel: leave them out here (regions, palms and nails stay per vertex).
    """
    if per_pixel:  # only the regions change: the other vertices keep their colours (exactly: they round-trip)
        out = np.clip(np.asarray(colors, np.float32), 0.0, 1.0)
        edge = np.flatnonzero((np.abs(out - 0.04045) < 1e-6).any(axis=1))  # the one value that does not round-trip
        rows = regions.touched if not len(edge) else np.union1d(regions.touched, edge)
        w = np.ones(len(rows)) if skin is None else np.asarray(skin, np.float64)[rows]
        out[rows] = _regions_only(out[rows], regions, variation, rows, w)
        return out
    lin = _decode(np.asarray(colors, np.float64))
    w = np.ones(len(lin)) if skin is None else np.asarray(skin, np.float64)
    lin = _regional(lin, variation, regions.flush, regions.palms, regions.nails, w)
    # freckles: small darker, browner spots
    f = (regions.noise < variation["freckles"]) * regions.freckle_zone * w
    lin *= 1.0 - 0.18 * f[:, None] * np.array([0.8, 1.0, 1.15])
    # a little per-vertex unevenness everywhere
    lin *= (0.975 + 0.05 * regions.noise)[:, None] ** w[:, None]
    return _encode(lin).astype(np.float32)


def _regions_only(colors: np.ndarray, regions: SkinRegions, variation: dict[str, float], rows: np.ndarray,
                  w: np.ndarray) -> np.ndarray:
    """(R, 3) float32 the regional variation (flush, palms, nails) of the colours (R, 3) of the vertices ``rows``
    (their skin share ``w`` (R,))."""
    lin = _regional(_decode(np.asarray(colors, np.float64)), variation, regions.flush[rows], regions.palms[rows],
                    regions.nails[rows], w)
    return _encode(lin).astype(np.float32)


def _regional(lin: np.ndarray, variation: dict[str, float], flush: np.ndarray, palms: np.ndarray,
              nails: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Linear colours (N, 3) with redness over ``flush``, lighter palms and pink nails (float32 weights (N,),
    times the skin's share ``w`` (N,) float64), in place."""
    red = variation["redness"] * flush * w
    lin *= 1.0 + red[:, None] * np.array([0.07, -0.035, -0.045])
    # palms and soles: toward a lighter, pinker version of the skin
    p = variation["palm_lightening"] * palms * w
    lighter = np.minimum(lin * np.array([1.9, 1.95, 2.0]) + np.array([0.05, 0.03, 0.03]), 0.75)
    lin += p[:, None] * (lighter - lin)
    # nails: pinkish, lighter
    k = 0.6 * nails * w
    lin += k[:, None] * (np.maximum(lin, np.array([0.45, 0.3, 0.28])) - lin)
    return lin
