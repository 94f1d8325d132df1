"""An outfit (scene.json's ``garments``, ``shoes``, ``hair``, ...) in words, for prompts."""

from __future__ import annotations

from typing import Any

import numpy as np

# Colour names for prompts (sRGB hex); a garment's colour is named by the nearest one.
COLOR_NAMES = {
    "black": "1e1e20", "charcoal": "3c3f44", "dark gray": "5a5d63", "gray": "8d9096", "light gray": "b9bbbf",
    "white": "f0eee9", "cream": "e8dcc0", "beige": "d8c8a8", "khaki": "b8a47e", "tan": "a0703a", "brown": "6b4a2f",
    "dark brown": "3d2b2b", "navy": "1f2a44", "dark blue": "25344d", "blue": "3b5b84", "light blue": "7fa7d4",
    "pale blue": "cfdbe8", "teal": "2a7f7f", "mint": "c8e3e0", "dark green": "2f3b2f", "forest green": "2f5233",
    "green": "3f7d4a", "olive": "6b6b2f", "mustard": "c9a227", "yellow": "e0c341", "orange": "d9792b", "red": "a4262c",
    "maroon": "5e1f28", "pink": "d98ca0", "pale pink": "e8d3d9", "purple": "5b3f7a", "lavender": "d9d0e8",
}
_NAMES = list(COLOR_NAMES)
_RGB = np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in COLOR_NAMES.values()], np.float64)

GARMENT_WORDS = {
    "t_shirt": "t-shirt", "long_sleeve_shirt": "long-sleeved shirt", "tank_top": "tank top", "sweater": "sweater",
    "hoodie": "hoodie", "jacket": "jacket", "coat": "coat", "trousers": "trousers", "jeans": "jeans",
    "shorts": "shorts", "leggings": "leggings", "skirt": "skirt", "dress": "dress",
}
PATTERN_WORDS = {"stripes": "striped", "checks": "plaid", "print": "patterned", "knit": "knitted", "denim": "denim"}
SHOE_WORDS = {"sneakers": "sneakers", "boots": "boots", "flat_shoes": "flat shoes"}
HAIR_WORDS = {
    "bald": "a bald head", "buzz": "a {color} buzz cut", "short": "short {color} hair", "medium": "shoulder-length {color} hair",
    "long": "long {color} hair", "ponytail": "{color} hair in a ponytail", "bun": "{color} hair in a bun",
    "curly": "curly {color} hair",
}
HAIR_COLOR_WORDS = {"black": "black", "dark_brown": "dark brown", "brown": "brown", "blonde": "blond", "red": "red", "gray": "gray"}
EXTRA_WORDS = {"beard": "a beard", "moustache": "a moustache", "stubble": "stubble"}  # accessories: their kinds' words


def accessory_kinds() -> dict:
    """The registered accessory kinds (:data:`genb.render.dress.kinds.ACCESSORY_KINDS`, built-ins loaded)."""
    from genb.render.dress import accessories  # noqa: F401  (registers the built-in kinds)
    from genb.render.dress.kinds import ACCESSORY_KINDS

    return ACCESSORY_KINDS


def color_name(hex_color: str) -> str:
    """The nearest named colour of an sRGB hex colour."""
    rgb = np.array([int(hex_color[i : i + 2], 16) for i in (0, 2, 4)], np.float64)
    return _NAMES[int(np.argmin((((_RGB - rgb) * [0.3, 0.59, 0.11]) ** 2).sum(1) + ((_RGB - rgb) ** 2).sum(1) * 0.1))]


def garment_words(g: dict[str, Any]) -> str:
    """e.g. ``"a navy striped t-shirt"``, ``"blue jeans"``, ``"a long red dress"``, ``"an open brown coat"``."""
    noun = GARMENT_WORDS.get(g["type"], g["type"].replace("_", " "))
    words = []
    if g["type"] in ("skirt", "dress"):
        length = float(g.get("length", 1.0))
        words.append("short" if length < 0.9 else "knee-length" if length < 1.4 else "long")
    if g.get("open"):
        words.append("open")
    words.append(color_name(g["color"]))
    pattern = PATTERN_WORDS.get(g.get("pattern", "solid"), "")
    if pattern and not (pattern == "denim" and g["type"] == "jeans"):
        words.append(pattern)
    plural = noun in ("trousers", "jeans", "shorts", "leggings")
    text = " ".join(words + [noun])
    return text if plural else f"a {text}"


def describe_outfit(person: dict[str, Any]) -> dict[str, str]:
    """Words of one scene.json person's outfit: ``top``, ``bottom``, ``shoes``, ``hair``, ``extras``
    and ``outfit`` (all of it in one phrase). Empty dict for a person without ``garments``."""
    garments = person.get("garments")
    if not garments:
        return {}
    by_kind: dict[str, list[str]] = {}
    for g in garments:
        by_kind.setdefault(g["kind"], []).append(garment_words(g))
    inner = (by_kind.get("dress") or by_kind.get("top") or [""])[0]
    top = f"{by_kind['coat'][0]} over {inner}" if by_kind.get("coat") and inner else (by_kind.get("coat") or [inner])[0]
    bottom = (by_kind.get("bottom") or [""])[0]
    shoes = person.get("shoes") or {}
    if shoes.get("type", "barefoot") == "barefoot":
        shoe_words = ""
    else:
        shoe_words = f"{color_name(shoes['color'])} {SHOE_WORDS.get(shoes['type'], shoes['type'])}"
    hair = person.get("hair") or {}
    hair_words = HAIR_WORDS.get(hair.get("style", ""), "").format(
        color=HAIR_COLOR_WORDS.get(hair.get("color_name", ""), "dark"))
    kinds = accessory_kinds()
    extras = [kinds[a["type"]].words for a in person.get("accessories", []) if a["type"] in kinds]
    if person.get("facial_hair"):
        hair_words = f"{hair_words} and {EXTRA_WORDS[person['facial_hair']]}" if hair_words else EXTRA_WORDS[person["facial_hair"]]
    items = [w for w in (top, bottom, shoe_words) if w] + extras
    outfit = ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] if items else ""
    if not shoe_words:
        outfit += ", barefoot"
    return {"top": top, "bottom": bottom, "shoes": shoe_words, "hair": hair_words, "extras": ", ".join(extras),
            "outfit": outfit}
