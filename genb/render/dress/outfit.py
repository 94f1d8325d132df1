"""Sampling one person's outfit from a checked wardrobe (:func:`sample_outfit`): garments with their
cuts on a coarse grid, fabrics, shoes, hair, facial hair and accessories, as a JSON-able dict saved
in ``scene.json``, from which :class:`~genb.render.dress.dresser.Dresser` rebuilds the meshes
exactly. Tops, coats and dresses never read as the wearer's skin."""

from __future__ import annotations

from typing import Any

import numpy as np

from genb.render.dress.contrast import TWO_COLOUR, farthest_apart, reads_as_skin

QUANTUM = 0.1  # cut coordinates are drawn on this grid, so a few shell topologies serve every sample


def _pick(rng: np.random.Generator, table: dict[str, float]) -> str:
    names = sorted(table)
    w = np.array([float(table[n]) for n in names])
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def _draw(rng: np.random.Generator, value: Any, quantum: float | None = None) -> float:
    lo, hi = (value, value) if isinstance(value, (int, float)) else (value[0], value[-1])
    x = float(rng.uniform(lo, hi))
    return round(round(x / quantum) * quantum, 4) if quantum else round(x, 4)


def _fabric(rng: np.random.Generator, wardrobe: dict, spec: dict) -> dict[str, Any]:
    palette = _pick(rng, spec["palettes"])
    colors = wardrobe["palettes"][palette]["colors"]
    pattern = _pick(rng, spec["patterns"])
    out = {"palette": palette, "color": colors[int(rng.integers(len(colors)))], "pattern": pattern}
    if pattern != "solid":
        scale = (wardrobe["patterns"].get(pattern) or {}).get("scale", [0.04, 0.06])
        out["pattern_scale"] = _draw(rng, scale)
        others = [c for c in colors if c != out["color"]] or colors
        second = wardrobe["palettes"]["neutrals"]["colors"] if "neutrals" in wardrobe["palettes"] else others
        pool = others if rng.random() < 0.6 else second
        out["color2"] = pool[int(rng.integers(len(pool)))]
    return out


def _garment(rng: np.random.Generator, wardrobe: dict, section: str, name: str, kind: str) -> dict[str, Any]:
    spec = wardrobe[section][name]
    g: dict[str, Any] = {"type": name, "kind": kind}
    if kind in ("top", "dress", "coat"):
        g["sleeve"] = _draw(rng, spec["sleeve"], QUANTUM) if spec.get("sleeve") is not None else -1.0
    if "length" in spec:
        g["length"] = _draw(rng, spec["length"], QUANTUM)
    else:
        g["length"] = g.get("sleeve", -1.0)  # a top's length is its sleeve's
    if "waist" in spec:
        g["waist"] = _draw(rng, spec["waist"], QUANTUM)
    if "tail" in spec:
        g["tail"] = _draw(rng, spec["tail"], QUANTUM)
    g["thickness"] = _draw(rng, spec["thickness"])
    if "flare" in spec:
        g["flare"] = _draw(rng, spec["flare"])
    if "ease" in spec:
        g["ease"] = _draw(rng, spec["ease"])
    g["loose"] = bool(spec.get("loose", False) or kind == "dress")
    if "open_prob" in spec:
        g["open"] = bool(rng.random() < spec["open_prob"])
    if spec.get("hood"):
        g["hood"] = True
    g.update(_fabric(rng, wardrobe, spec))
    return g


def _contrast_with_skin(rng: np.random.Generator, wardrobe: dict, g: dict[str, Any], skin: str) -> None:
    """Re-draw a top's, coat's or dress's fabric (same garment, its own palettes) while it reads
    as the wearer's skin (:func:`~genb.render.dress.contrast.reads_as_skin`); after a few tries
    take a solid colour of its palettes that stands apart."""
    section = "dresses" if g["kind"] == "dress" else "tops"
    spec = wardrobe[section][g["type"]]
    for _ in range(8):
        if not reads_as_skin(g, skin):
            return
        g.update(_fabric(rng, wardrobe, spec))
    if reads_as_skin(g, skin):
        colors = [c for name in sorted(spec["palettes"]) for c in wardrobe["palettes"][name]["colors"]]
        g["color"] = farthest_apart(colors, skin, rng)
        if g["pattern"] in TWO_COLOUR:
            g["color2"] = farthest_apart(colors, skin, rng)


def _shoes(rng: np.random.Generator, wardrobe: dict) -> dict[str, Any]:
    """A pair of shoes: ``type``, and unless barefoot ``cut``, ``thickness``, ``color`` (the upper)
    and, where the wardrobe lists soles, ``sole``."""
    shoe = _pick(rng, {n: float(s["weight"]) for n, s in wardrobe["shoes"].items()})
    spec = wardrobe["shoes"][shoe]
    shoes: dict[str, Any] = {"type": shoe}
    if shoe != "barefoot" and "cut" in spec:
        shoes.update(cut=_draw(rng, spec["cut"], QUANTUM), thickness=_draw(rng, spec["thickness"]),
                     color=spec["colors"][int(rng.integers(len(spec["colors"])))])
        if spec.get("soles"):
            shoes["sole"] = spec["soles"][int(rng.integers(len(spec["soles"])))]
    else:
        shoes["type"] = "barefoot"
    return shoes


def _gendered(table: dict[str, dict], gender: str) -> dict[str, float]:
    return {n: float(s["weight"]) * float((s.get("gender") or {}).get(gender, 1.0)) for n, s in table.items()}


def _extra_garments(rng: np.random.Generator, wardrobe: dict, gender: str, garments: list[dict]) -> None:
    """Garments of kinds registered outside genb (:func:`genb.render.dress.kinds.garment_kind` with a
    ``section``): one from each such section the wardrobe has, with its ``<section>_prob``. Draws
    nothing (and so moves no other draw) for a wardrobe without such sections."""
    from genb.render.dress.kinds import extra_sections

    for section, kind in sorted(extra_sections().items()):
        if not wardrobe.get(section):
            continue
        if rng.random() < float((wardrobe.get(f"{section}_prob") or {}).get(gender, 0.0)):
            weights = _gendered(wardrobe[section], gender)
            if sum(weights.values()) > 0:
                garments.append(_garment(rng, wardrobe, section, _pick(rng, weights), kind.name))


def sample_outfit(rng: np.random.Generator, wardrobe: dict, description: dict[str, Any]) -> dict[str, Any]:
    """One person's outfit (JSON-able) for a body ``description`` (``gender``, ``age_group``, and
    optionally ``skin``: the sRGB hex of the skin's albedo as rendered, which no top, coat or dress
    may read as).

    Returns ``{"garments": [...], "shoes": {...}, "hair": {...}, "facial_hair": str | None,
    "accessories": [...], "skin_jitter": [r, g, b]}``; garments are drawn inner to outer
    (a top and a bottom or a dress, then maybe a jacket or coat over the top).
    """
    gender = description.get("gender", "neutral")
    age = description.get("age_group", "adult")
    skin = description.get("skin")
    garments: list[dict[str, Any]] = []
    # 1. Clothes: a dress, or a top and a bottom; jackets and coats go over an inner top.
    dress_p = float((wardrobe.get("dress_prob") or {}).get(gender, 0.0))
    if wardrobe.get("dresses") and rng.random() < dress_p:
        weights = _gendered(wardrobe["dresses"], gender)
        if sum(weights.values()) > 0:
            garments.append(_garment(rng, wardrobe, "dresses", _pick(rng, weights), "dress"))
    if not garments:
        tops = _gendered(wardrobe["tops"], gender)
        top = _pick(rng, tops)
        outer = top in ("jacket", "coat")
        if outer:
            inner = {n: w for n, w in tops.items() if n not in ("jacket", "coat")} or tops
            garments.append(_garment(rng, wardrobe, "tops", _pick(rng, inner), "top"))
        else:
            garments.append(_garment(rng, wardrobe, "tops", top, "top"))
        garments.append(_garment(rng, wardrobe, "bottoms", _pick(rng, _gendered(wardrobe["bottoms"], gender)), "bottom"))
        if outer:
            garments.append(_garment(rng, wardrobe, "tops", top, "coat"))
    _extra_garments(rng, wardrobe, gender, garments)
    if skin:
        for g in garments:
            if g["kind"] in ("top", "coat", "dress"):
                _contrast_with_skin(rng, wardrobe, g, skin)
    # 2. Shoes.
    shoes = _shoes(rng, wardrobe)
    # 3. Hair, facial hair.
    hair = wardrobe["hair"]
    if gender == "neutral":
        f, m = hair["mix"][f"female_{age}"], hair["mix"][f"male_{age}"]
        mix = {k: 0.5 * f.get(k, 0.0) + 0.5 * m.get(k, 0.0) for k in set(f) | set(m)}
    else:
        mix = hair["mix"][f"{gender}_{age}"]
    style = _pick(rng, mix)
    style_spec = hair["styles"][style] or {}
    if rng.random() < float((hair.get("gray_prob") or {}).get(age, 0.0)):
        color = hair["gray_colors"][int(rng.integers(len(hair["gray_colors"])))]
        color_name = "gray"
    else:
        color_name = _pick(rng, {n: s["weight"] for n, s in hair["colors"].items()})
        shades = hair["colors"][color_name]["hex"]
        color = shades[int(rng.integers(len(shades)))]
    hair_out: dict[str, Any] = {"style": style, "color": color, "color_name": color_name}
    if style_spec:
        hair_out.update(hairline=style_spec["hairline"], thickness=_draw(rng, style_spec["thickness"]),
                        shape=style_spec.get("shape", "none"))
        if style_spec.get("curl"):  # no draw: the random stream stays as it was
            hair_out["curl"] = style_spec["curl"]
    facial = None
    if gender == "male" and hair.get("facial_hair") and rng.random() < float((hair.get("facial_hair_prob") or {}).get(age, 0.0)):
        facial = _pick(rng, hair["facial_hair"])
    # 4. Accessories, each with its own probability.
    accessories = []
    for name in sorted(wardrobe.get("accessories") or {}):
        spec = wardrobe["accessories"][name]
        if rng.random() < spec["prob"]:
            accessories.append({"type": name, "color": spec["colors"][int(rng.integers(len(spec["colors"])))]})
    if any(a["type"] == "backpack" for a in accessories):  # one bag at a time
        accessories = [a for a in accessories if a["type"] != "bag_strap"]
    jitter = float((wardrobe.get("skin") or {}).get("tone_jitter", 0.0))
    return {"garments": garments, "shoes": shoes, "hair": hair_out, "facial_hair": facial,
            "accessories": accessories,
            "skin_jitter": skin_jitter(rng.uniform(-jitter, jitter, 3))}


def skin_jitter(u: np.ndarray) -> list[float]:
    """A person's (R, G, B) factors on the skin tone's linear albedo from three draws ``u`` in
    [-j, j] (the wardrobe's ``skin.tone_jitter``), along the ways skin varies: lightness (``u[0]``,
    every channel), redness (``|u[1]|``: red up and green down by half of it each, never the other
    way) and yellow against cool (``u[2]``: blue down or up). Green never gains on red, so no draw
    turns skin olive or grey-green (independent per-channel factors did: R 0.94, G 1.03 read green)."""
    light, red, cool = 1.0 + float(u[0]), abs(float(u[1])), float(u[2])
    rgb = light * np.array([1.0 + 0.5 * red, 1.0 - 0.5 * red, 1.0 + cool])
    return [round(float(x), 4) for x in rgb]
