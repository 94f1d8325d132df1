"""Colour against skin: a top, coat or dress must not read as its wearer's bare skin in the image.

Compared against the albedo the skin renders with (``genb.render.dress.skin.tone_srgb``, from the
tone's measured CIELAB reflectance), not the Monk display swatch. A scene's light scales both
albedos alike, and the sRGB encoding turns that into a roughly uniform scale of their sRGB
distance (about light^0.45): dim scenes (indoor, dusk) shrink a distance to about half, and
bright ones clip light colours together so that only a difference in lightness survives. So a
garment colour stands apart when its sRGB distance to the skin's albedo is at least
:data:`MIN_RGB` (twice the image's 60) and its CIE L* differs by at least :data:`MIN_LIGHTNESS`.
A striped, checked or printed fabric needs both its colours apart (the image shows both).
Dark skin (albedo L* under :data:`DARK_SKIN_L`) keeps near-black clothes (a lightness step and
:data:`MIN_RGB_DARK`): a wardrobe that never dressed dark-skinned people in black would teach a
bias; in dim scenes those read close in the image (the share is reported for dark skin apart).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from genb.render.dress.materials import hex_rgb, srgb_to_lab

MIN_RGB = 120.0  # sRGB distance (0-255) between a garment's albedo and the skin's
DARK_SKIN_L = 42.0  # CIE L* of a skin albedo under which near-black clothes stay allowed (Monk 8-10) ...
MIN_RGB_DARK = 60.0  # ... with this sRGB distance (and the lightness step): not a wardrobe without black
MIN_LIGHTNESS = 15.0  # CIE L* difference (survives over-exposure, where hues clip together)
TWO_COLOUR = ("stripes", "checks", "print")  # patterns whose second colour covers much of the cloth


def rgb_hex(rgb: Any) -> str:
    """(3,) sRGB in 0..1 -> 'rrggbb'."""
    return "".join(f"{int(round(float(np.clip(c, 0, 1)) * 255)):02x}" for c in rgb)


@functools.lru_cache(maxsize=8192)  # a pure function of two hex strings: outfits ask it dozens of times a person
def stands_apart(color: str, skin: str) -> bool:
    """Whether a fabric colour (hex) stands apart from a skin albedo (hex) in any light."""
    a, b = hex_rgb(color), hex_rgb(skin)
    la, lb = float(srgb_to_lab(a)[0]), float(srgb_to_lab(b)[0])
    need = MIN_RGB_DARK if lb < DARK_SKIN_L and la < lb else MIN_RGB
    return bool(np.linalg.norm((a - b) * 255.0) >= need and abs(la - lb) >= MIN_LIGHTNESS)


def reads_as_skin(fabric: dict[str, Any], skin: str) -> bool:
    """A fabric (``color``, ``pattern``, ``color2``) that some of the image would show as the skin."""
    if not stands_apart(fabric["color"], skin):
        return True
    return fabric.get("pattern") in TWO_COLOUR and not stands_apart(fabric.get("color2", fabric["color"]), skin)


def farthest_apart(colors: list[str], skin: str, rng: np.random.Generator) -> str:
    """One of ``colors`` that stands apart from the skin (drawn uniformly), or the one with the
    largest sRGB distance if none does."""
    ok = sorted({c for c in colors if stands_apart(c, skin)})
    if ok:
        return ok[int(rng.integers(len(ok)))]
    return max(colors, key=lambda c: float(np.linalg.norm(hex_rgb(c) - hex_rgb(skin))))
