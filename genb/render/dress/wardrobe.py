"""Wardrobes as data: load and check a wardrobe YAML (sampling an outfit from it: :mod:`.outfit`).

A wardrobe (``render/wardrobe/<name>.yaml``, or any YAML file in the same schema) lists
palettes, fabric patterns, garment types with their cuts, shoes, hair styles with their mix
per gender and age, and accessories with their probabilities.
:func:`genb.render.dress.outfit.sample_outfit` draws
one person's outfit as a JSON-able dict (saved in ``scene.json``), from which
:class:`~genb.render.dress.dresser.Dresser` rebuilds the meshes exactly.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from genb.config import read_user_yaml
from genb.errors import GenbError
from genb.render.assets import asset_path
from genb.render.dress.outfit import _gendered
from genb.render.dress.hair import CURLS

SECTIONS = ("palettes", "patterns", "tops", "bottoms", "dresses", "dress_prob", "shoes", "hair", "accessories", "skin")
PATTERNS = ("solid", "stripes", "checks", "denim", "knit", "print")
GARMENT_KEYS = {"weight", "sleeve", "waist", "thickness", "palettes", "patterns", "gender", "hood", "open_prob",
                "tail", "length", "loose", "flare", "ease"}
SHOE_KEYS = {"weight", "cut", "thickness", "colors", "soles"}
HAIRLINES = ("short", "medium", "long")
HAIR_SHAPES = ("none", "ponytail", "bun")
FACIAL_HAIR = ("stubble", "beard", "moustache")
GENDERS = ("female", "male", "neutral")
AGE_GROUPS = ("child", "teen", "adult", "senior")
_HEX = re.compile(r"^[0-9a-fA-F]{6}$")


def _fail(source: str, where: str, problem: str, fix: str) -> None:
    raise GenbError(f"wardrobe {source}: {where}: {problem}", fix)


def resolve_wardrobe(name: str) -> Path | None:
    """The YAML file of a ``--wardrobe`` value (a preset of ``render/wardrobe/`` or a path); None for ``none``."""
    if name == "none":
        return None
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise GenbError(f"wardrobe file {name} does not exist", "give a YAML file, a preset name (e.g. everyday) or none")
        return path
    try:
        return asset_path("wardrobe", f"{name}.yaml")
    except GenbError:
        presets = sorted(p.stem for p in asset_path("wardrobe").glob("*.yaml"))
        raise GenbError(f"unknown wardrobe {name!r}", f"use one of: {', '.join(presets)}, none, or a YAML file") from None


@functools.lru_cache(maxsize=8)
def load_wardrobe(name: str) -> dict[str, Any] | None:
    """The checked wardrobe of a ``--wardrobe`` value (None for ``none``); read once per process.

    Raises:
        GenbError: unknown names, missing sections or bad values, saying where.
    """
    path = resolve_wardrobe(name)
    if path is None:
        return None
    data = read_user_yaml(path, "wardrobe", "fix the file's syntax (see render/wardrobe/everyday.yaml)")
    validate_wardrobe(data, str(path))
    return data


def _check_range(src: str, where: str, value: Any, lo: float, hi: float, allow_scalar: bool = True) -> None:
    vals = [value] if allow_scalar and isinstance(value, (int, float)) else value
    if (not isinstance(vals, list) or len(vals) not in ((1, 2) if allow_scalar else (2,))
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)):
        _fail(src, where, f"expected a number or [min, max], got {value!r}", f"e.g. [{lo}, {hi}]")
    if not (lo <= vals[0] <= vals[-1] <= hi):
        _fail(src, where, f"{value!r} is outside [{lo}, {hi}] or min > max", f"give values in [{lo}, {hi}]")


def _check_weight(src: str, where: str, w: Any) -> None:
    if not isinstance(w, (int, float)) or isinstance(w, bool) or not 0 <= w <= 1e6:
        _fail(src, where, f"a weight is one number in [0, 1e6], got {w!r}", "e.g. weight: 1")


def _check_weights(src: str, where: str, table: Any, known: tuple[str, ...] | set[str]) -> None:
    if not isinstance(table, dict) or not table:
        _fail(src, where, f"expected a non-empty table of name: weight, got {table!r}", "e.g. {solid: 1}")
    unknown = sorted(set(table) - set(known))
    if unknown:
        _fail(src, where, f"unknown name(s) {', '.join(map(str, unknown))}", f"use: {', '.join(sorted(known))}")
    for k, w in table.items():
        if not isinstance(w, (int, float)) or isinstance(w, bool) or w < 0:
            _fail(src, f"{where}.{k}", f"weight must be a number >= 0, got {w!r}", "e.g. 1")
    if sum(table.values()) <= 0:
        _fail(src, where, "all weights are 0", "give at least one weight above 0")


def _check_colors(src: str, where: str, colors: Any) -> None:
    if not isinstance(colors, list) or not colors or not all(isinstance(c, str) and _HEX.match(c) for c in colors):
        _fail(src, where, f"expected a list of sRGB hex colours like \"1f2a44\", got {colors!r}", "quote each colour: \"1f2a44\"")


def _check_prob(src: str, where: str, p: Any) -> None:
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
        _fail(src, where, f"expected a probability in [0, 1], got {p!r}", "give a value between 0 and 1")


def validate_wardrobe(data: Any, src: str = "<wardrobe>") -> None:
    """Check a parsed wardrobe; one :class:`GenbError` naming the first problem and its place."""
    if not isinstance(data, dict):
        _fail(src, "top level", "expected a mapping of sections", f"sections: {', '.join(SECTIONS)}")
    from genb.render.dress.kinds import extra_sections

    extra = extra_sections()  # sections of garment kinds registered outside genb, and their probabilities
    known = set(SECTIONS) | set(extra) | {f"{s}_prob" for s in extra}
    unknown = sorted(set(data) - known)
    if unknown:
        _fail(src, "top level", f"unknown section(s) {', '.join(unknown)}", f"sections: {', '.join(sorted(known))}")
    for section in ("palettes", "patterns", "tops", "bottoms", "shoes", "hair"):
        if not isinstance(data.get(section), dict) or not data[section]:
            _fail(src, section, "missing or empty section", "see render/wardrobe/everyday.yaml for the schema")
    _check_palettes_and_patterns(src, data)
    for section in ("tops", "bottoms", "dresses", *sorted(extra)):
        for name, spec in (data.get(section) or {}).items():
            _check_garment(src, section, name, spec, data)
    for key in ("dress_prob", *(f"{s}_prob" for s in sorted(extra))):
        if key in data:
            if not isinstance(data[key], dict) or set(data[key]) - set(GENDERS):
                _fail(src, key, "expected {female|male|neutral: probability}", "e.g. {female: 0.2}")
            for g, p in data[key].items():
                _check_prob(src, f"{key}.{g}", p)
    _check_shoes(src, data["shoes"])
    _check_hair(src, data["hair"])
    _check_accessories_and_skin(src, data)
    _check_drawable(src, data)


def _check_palettes_and_patterns(src: str, data: dict) -> None:
    """``palettes`` (hex colour lists) and ``patterns`` (known names, optional scale range)."""
    for name, pal in data["palettes"].items():
        if not isinstance(pal, dict) or set(pal) != {"colors"}:
            _fail(src, f"palettes.{name}", "a palette is {colors: [hex, ...]}", "e.g. {colors: [\"1f2a44\"]}")
        _check_colors(src, f"palettes.{name}.colors", pal["colors"])
    unknown = sorted(set(data["patterns"]) - set(PATTERNS))
    if unknown:
        _fail(src, "patterns", f"unknown pattern(s) {', '.join(unknown)}", f"patterns: {', '.join(PATTERNS)}")
    for name, spec in data["patterns"].items():
        if spec and set(spec) - {"scale"}:
            _fail(src, f"patterns.{name}", f"unknown key(s) {sorted(set(spec) - {'scale'})}", "patterns take only scale: [min, max]")
        if spec and "scale" in spec:
            _check_range(src, f"patterns.{name}.scale", spec["scale"], 0.001, 1.0)


def _check_garment(src: str, section: str, name: str, spec: Any, data: dict) -> None:
    """One garment of ``tops``, ``bottoms`` or ``dresses``: its keys, ranges, palettes, patterns and gender factors."""
    where = f"{section}.{name}"
    if not isinstance(spec, dict):
        _fail(src, where, "expected a table of settings", "see render/wardrobe/everyday.yaml")
    bad = sorted(set(spec) - GARMENT_KEYS)
    if bad:
        _fail(src, where, f"unknown key(s) {', '.join(bad)}", f"keys: {', '.join(sorted(GARMENT_KEYS))}")
    for key in ("weight", "thickness", "palettes", "patterns"):
        if key not in spec:
            _fail(src, where, f"missing {key}", "see render/wardrobe/everyday.yaml")
    _check_weight(src, f"{where}.weight", spec["weight"])
    _check_range(src, f"{where}.thickness", spec["thickness"], 0.0005, 0.08)
    if section != "bottoms" and spec.get("sleeve") is not None:
        _check_range(src, f"{where}.sleeve", spec["sleeve"], 0.0, 2.0)
    if section != "tops":
        if "length" not in spec:
            _fail(src, where, "missing length", "e.g. length: [1.88, 1.97] (0 hip, 1 knee, 2 ankle)")
        _check_range(src, f"{where}.length", spec["length"], 0.1, 1.98)
    if "waist" in spec:
        _check_range(src, f"{where}.waist", spec["waist"], -0.5, 0.6)
    if "tail" in spec:
        _check_range(src, f"{where}.tail", spec["tail"], 0.1, 1.98)
    if "flare" in spec:
        _check_range(src, f"{where}.flare", spec["flare"], 0.0, 0.1)
    if "ease" in spec:
        _check_range(src, f"{where}.ease", spec["ease"], 0.0, 0.1)
    if "open_prob" in spec:
        _check_prob(src, f"{where}.open_prob", spec["open_prob"])
    _check_weights(src, f"{where}.palettes", spec["palettes"], set(data["palettes"]))
    _check_weights(src, f"{where}.patterns", spec["patterns"], set(data["patterns"]))
    if "gender" in spec:
        if not isinstance(spec["gender"], dict) or set(spec["gender"]) - set(GENDERS):
            _fail(src, f"{where}.gender", f"expected {{female|male|neutral: factor}}, got {spec['gender']!r}", "e.g. {male: 0}")
        for g, f in spec["gender"].items():
            if not isinstance(f, (int, float)) or isinstance(f, bool) or not 0 <= f <= 100:
                _fail(src, f"{where}.gender.{g}", f"a factor is one number in [0, 100], got {f!r}", "e.g. {male: 0}")


def _check_shoes(src: str, shoes: dict) -> None:
    """The ``shoes`` section: weights, and cut, thickness and colours for all but barefoot."""
    for name, spec in shoes.items():
        where = f"shoes.{name}"
        if not isinstance(spec, dict) or "weight" not in spec:
            _fail(src, where, "expected a table with a weight", "e.g. {weight: 1, cut: 1.9, thickness: [0.01, 0.015], colors: [...]}")
        bad = sorted(set(spec) - SHOE_KEYS)
        if bad:
            _fail(src, where, f"unknown key(s) {', '.join(bad)}", f"keys: {', '.join(sorted(SHOE_KEYS))}")
        _check_weight(src, f"{where}.weight", spec["weight"])
        if name != "barefoot":
            for key in ("cut", "thickness", "colors"):
                if key not in spec:
                    _fail(src, where, f"missing {key}", "shoes other than barefoot need cut, thickness and colors")
            _check_range(src, f"{where}.cut", spec["cut"], 1.0, 2.2)
            _check_range(src, f"{where}.thickness", spec["thickness"], 0.001, 0.05)
            _check_colors(src, f"{where}.colors", spec["colors"])
            if "soles" in spec:
                _check_colors(src, f"{where}.soles", spec["soles"])


def _check_hair(src: str, hair: dict) -> None:
    """The ``hair`` section: colours, styles, the gender-age mix, grey and facial hair."""
    for key in ("colors", "styles", "mix"):
        if key not in hair:
            _fail(src, "hair", f"missing {key}", "see render/wardrobe/everyday.yaml")
    for name, spec in hair["colors"].items():
        if not isinstance(spec, dict) or set(spec) != {"weight", "hex"}:
            _fail(src, f"hair.colors.{name}", "a hair colour is {weight: w, hex: [...]}", "e.g. {weight: 1, hex: [\"2e2119\"]}")
        _check_weight(src, f"hair.colors.{name}.weight", spec["weight"])
        _check_colors(src, f"hair.colors.{name}.hex", spec["hex"])
    for name, spec in hair["styles"].items():
        where = f"hair.styles.{name}"
        spec = spec or {}
        bad = sorted(set(spec) - {"hairline", "thickness", "shape", "curl"})
        if bad:
            _fail(src, where, f"unknown key(s) {', '.join(bad)}", "keys: hairline, thickness, shape, curl")
        if spec:
            if spec.get("hairline") not in HAIRLINES:
                _fail(src, f"{where}.hairline", f"unknown hairline {spec.get('hairline')!r}", f"use one of: {', '.join(HAIRLINES)}")
            _check_range(src, f"{where}.thickness", spec.get("thickness"), 0.0005, 0.08)
            if spec.get("shape", "none") not in HAIR_SHAPES:
                _fail(src, f"{where}.shape", f"unknown shape {spec['shape']!r}", f"use one of: {', '.join(HAIR_SHAPES)}")
            if spec.get("curl", "straight") not in CURLS:
                _fail(src, f"{where}.curl", f"unknown curl {spec['curl']!r}", f"use one of: {', '.join(CURLS)}")
    keys = {f"{g}_{a}" for g in ("female", "male") for a in AGE_GROUPS}
    missing = sorted(keys - set(hair["mix"]))
    if missing or set(hair["mix"]) - keys:
        _fail(src, "hair.mix", f"needs exactly the keys {', '.join(sorted(keys))}", "add the missing gender_age rows")
    for k, table in hair["mix"].items():
        _check_weights(src, f"hair.mix.{k}", table, set(hair["styles"]))
    if "gray_prob" in hair:
        for a, p in hair["gray_prob"].items():
            if a not in AGE_GROUPS:
                _fail(src, "hair.gray_prob", f"unknown age group {a!r}", f"use: {', '.join(AGE_GROUPS)}")
            _check_prob(src, f"hair.gray_prob.{a}", p)
        _check_colors(src, "hair.gray_colors", hair.get("gray_colors"))
    for a, p in (hair.get("facial_hair_prob") or {}).items():
        if a not in AGE_GROUPS:
            _fail(src, "hair.facial_hair_prob", f"unknown age group {a!r}", f"use: {', '.join(AGE_GROUPS)}")
        _check_prob(src, f"hair.facial_hair_prob.{a}", p)
    if hair.get("facial_hair"):
        _check_weights(src, "hair.facial_hair", hair["facial_hair"], FACIAL_HAIR)


def _check_accessories_and_skin(src: str, data: dict) -> None:
    """The optional ``accessories`` and ``skin`` sections."""
    from genb.render.dress.describe import accessory_kinds

    kinds = accessory_kinds()
    for name, spec in (data.get("accessories") or {}).items():
        if name not in kinds:
            _fail(src, "accessories", f"unknown accessory {name!r}", f"use: {', '.join(sorted(kinds))}")
        if not isinstance(spec, dict) or set(spec) != {"prob", "colors"}:
            _fail(src, f"accessories.{name}", "an accessory is {prob: p, colors: [...]}", "e.g. {prob: 0.1, colors: [\"1e1e20\"]}")
        _check_prob(src, f"accessories.{name}.prob", spec["prob"])
        _check_colors(src, f"accessories.{name}.colors", spec["colors"])
    skin = data.get("skin") or {}
    if set(skin) - {"tone_jitter", "lips"}:
        _fail(src, "skin", f"unknown key(s) {sorted(set(skin) - {'tone_jitter', 'lips'})}", "keys: tone_jitter, lips")
    if "tone_jitter" in skin:
        _check_range(src, "skin.tone_jitter", skin["tone_jitter"], 0.0, 0.5)
    if "lips" in skin:
        _check_colors(src, "skin.lips", [skin["lips"]])


def _check_drawable(src: str, data: dict) -> None:
    """Every table sampling draws from has a positive total weight for every gender it is drawn for."""
    for gender in GENDERS:
        for section in ("tops", "bottoms"):
            if sum(_gendered(data[section], gender).values()) <= 0:
                _fail(src, section, f"every {section[:-1]} weighs 0 for {gender} bodies (nothing to draw)",
                      f"give at least one of {', '.join(sorted(data[section]))} a weight above 0 for {gender}")
        tops = _gendered(data["tops"], gender)
        if any(tops.get(n, 0) > 0 for n in ("jacket", "coat")) and len(set(tops) - {"jacket", "coat"}) and \
                sum(w for n, w in tops.items() if n not in ("jacket", "coat")) <= 0:
            _fail(src, "tops", f"jackets and coats are worn over another top, but every other top weighs 0 "
                  f"for {gender} bodies", "give a shirt, t-shirt or sweater a weight above 0")
    for where, table in (("shoes", data["shoes"]), ("hair.colors", data["hair"]["colors"])):
        if sum(float(s["weight"]) for s in table.values()) <= 0:
            _fail(src, where, "all weights are 0 (nothing to draw)", "give at least one entry a weight above 0")


# ----------------------------------------------------------------------------- sampling
