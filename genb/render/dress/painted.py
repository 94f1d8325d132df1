"""Materials of painted clothes (``--wardrobe none``): a body part painted as a garment shades as cloth.

With ``--wardrobe none`` a person's clothes are colours on body parts (:func:`genb.render.scene.part_colors`):
the part map keeps the body parts (labels keep their meaning), so the part id alone would light a
painted shirt as skin (wrap lighting, skin's sheen). :func:`painted_materials` lists, per person,
the parts their appearance paints and the garment class whose material they take; :func:`material_map`
turns a part map into the per-pixel material ids :func:`genb.render.shading.light_image` reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.core.conventions import PART_INDEX

_GARMENT_CLASS = {"top": "upper_clothes", "bottom": "lower_clothes", "shoes": "shoes"}


def painted_parts(appearance: dict[str, Any]) -> dict[int, int]:
    """{body part id: material (garment class) id} of one person's painted clothes."""
    from genb.render.assets import load_yaml_asset

    clothing = load_yaml_asset("appearance", "clothing.yaml")
    out = {}
    for garment, extra, flag in (("top", "long_sleeve_parts", "long_sleeves"), ("bottom", "long_parts", "long_bottom"),
                                 ("shoes", None, None)):
        parts = list(clothing[garment]["parts"])
        if extra and appearance.get(flag):
            parts += clothing[garment][extra]
        for p in parts:
            out[PART_INDEX[p]] = PART_INDEX[_GARMENT_CLASS[garment]]
    return out


def painted_materials(appearances: list[dict[str, Any]]) -> np.ndarray:
    """(256, 256) uint8 material id per (instance, part id): the part itself, except painted clothes."""
    table = np.tile(np.arange(256, dtype=np.uint8), (256, 1))
    for i, a in enumerate(appearances):
        for part, material in painted_parts(a).items():
            table[i + 1, part] = material
    return table


def material_map(instances: np.ndarray, parts: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(H, W) uint8 material ids of a label pass's (instances, parts) through :func:`painted_materials`."""
    return table[instances, parts]
