"""Boots and flat shoes don't read as sneakers: over the everyday wardrobe's shoes (its sampler, seeds
0-2999), a boot's and a flat shoe's sole is never white-ish (CIE L* over 70: on 26ebc84 42.6 % of the
boots and 72.9 % of the flat shoes, a dark upper's sole falling back to white; after: 0), a sneaker's
keeps its white soles (47.8 %, unchanged), and every sole stands apart from its upper (sRGB distance
>= 60: min 86.5 / 64.5 / 65.2, unchanged); a boot's toe cap and counter are its leather a shade apart
and its laces near its colour (on 26ebc84 a dark boot's cap was mixed 24 % towards white, a grey cap,
and its laces white); a sneaker's heel tab is a narrow strip at the top of the heel (cells of the
region table behind 10 % of the foot: 162 -> 52), no longer a triangle over the heel's rounding."""

import numpy as np

SEEDS = 3000


def _drawn():
    from genb.render.dress.materials import hex_rgb, srgb_to_lab
    from genb.render.dress.outfit import _shoes
    from genb.render.dress.shoes import sole_colour
    from genb.render.dress.wardrobe import load_wardrobe

    wardrobe = load_wardrobe("everyday")
    got = {}
    for seed in range(SEEDS):
        shoes = _shoes(np.random.default_rng(seed), wardrobe)
        if shoes["type"] == "barefoot":
            continue
        sole, upper = hex_rgb(sole_colour(shoes)), hex_rgb(shoes["color"])
        lightness, apart = float(srgb_to_lab(sole)[0]), float(np.linalg.norm((sole - upper) * 255))
        got.setdefault(shoes["type"], []).append((lightness, apart))
    return {k: np.array(v) for k, v in got.items()}


def test_boots_and_flat_shoes_have_dark_soles_that_stand_apart():
    got = _drawn()
    assert set(got) == {"sneakers", "boots", "flat_shoes"}
    for style in ("boots", "flat_shoes"):
        assert (got[style][:, 0] > 70).mean() < 0.01, (style, (got[style][:, 0] > 70).mean())
    assert 0.4 < (got["sneakers"][:, 0] > 70).mean() < 0.6, (got["sneakers"][:, 0] > 70).mean()
    for style, v in got.items():
        assert v[:, 1].min() >= 60, (style, v[:, 1].min())


def test_a_boot_has_no_contrasting_cap_and_laces_near_its_colour():
    from genb.render.dress.materials import hex_rgb
    from genb.render.dress.shoe_look import LOOKS, palette
    from genb.render.dress.shoes import sole_colour
    from genb.render.dress.wardrobe import load_wardrobe

    spec = load_wardrobe("everyday")["shoes"]["boots"]
    for color in spec["colors"]:
        for sole in spec["soles"]:
            upper = hex_rgb(color)
            pal = palette(upper, hex_rgb(sole_colour({"type": "boots", "color": color, "sole": sole})), LOOKS["boots"])
            assert np.abs(pal["accent"] - upper).max() < 0.1, (color, pal["accent"])
            assert 0.1 < np.abs(pal["laces"] - upper).max() < 0.2, (color, pal["laces"])
    dark = hex_rgb("1e1e20")  # a sneaker keeps its contrasting panels and white laces
    pal = palette(dark, hex_rgb("f0eee8"), LOOKS["sneakers"])
    assert np.abs(pal["accent"] - dark).max() > 0.2 and pal["laces"].min() > 0.85


def test_a_sneakers_heel_tab_is_a_narrow_strip():
    from genb.render.dress.shoe_look import REGIONS
    from genb.render.dress.shoes import S_GRID, _region_table

    table = _region_table("sneakers")
    tab = table[S_GRID < 0.1] == REGIONS.index("tab")
    assert 0 < tab.sum() <= 60, tab.sum()
    for style in ("boots", "flat_shoes"):
        assert not (_region_table(style) == REGIONS.index("tab")).any(), style
