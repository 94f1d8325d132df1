"""The garment and accessory registries: the built-ins are registrations, a kind registered from
outside genb is checked in wardrobes, drawn, dressed and described like a built-in one, and the
layers stack as before."""

import copy

import numpy as np
import pytest

from _fixtures_bodies import anny_body  # noqa: F401


def test_builtin_kinds_are_registered():
    from genb.render.dress.describe import accessory_kinds
    from genb.render.dress.dresser import DEFAULT_EASE
    from genb.render.dress.kinds import GARMENT_KINDS

    assert {"cap", "backpack", "bag_strap"} <= set(accessory_kinds())
    assert set(GARMENT_KINDS) == {"top", "coat", "bottom", "dress"} == set(DEFAULT_EASE)
    assert accessory_kinds()["cap"].covers_hair and not accessory_kinds()["backpack"].covers_hair


def test_layers_stack_over_the_layers_below():
    """A top over trousers: at least their thickness + 4 mm and their ease + 8 mm; a coat adds its
    thickness to the thickest layer below and keeps 6 mm of ease beyond the top; a bottom is as drawn."""
    from genb.render.dress.kinds import stacked

    top = {"kind": "top", "thickness": 0.008, "ease": 0.004}
    jeans = {"kind": "bottom", "thickness": 0.012, "ease": 0.006}
    coat = {"kind": "coat", "thickness": 0.012, "ease": 0.02}
    (tt, te), (bt, be), (ct, ce) = stacked([top, jeans, coat])
    assert (bt, be) == (0.012, 0.006)
    assert tt == pytest.approx(0.016) and te == pytest.approx(0.014)
    assert ct == pytest.approx(0.016 + 0.012) and ce == pytest.approx(0.02)
    assert stacked([{"kind": "dress", "thickness": 0.002, "ease": 0.0}])[0] == pytest.approx((0.004, 0.008))


def test_an_accessory_kind_registered_from_outside_is_worn(anny_body):
    """A toy kind (a badge on the chest) registered by a user's module: a wardrobe may name it, the
    outfit draws it, the dresser builds it with its seg class, the prompt words name it."""
    from genb.core.conventions import PART_INDEX
    from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix
    from genb.render.dress import Dresser, load_wardrobe, sample_outfit
    from genb.render.dress.atlas import trunk_frame
    from genb.render.dress.describe import describe_outfit
    from genb.render.dress.kinds import ACCESSORY_KINDS, accessory_kind
    from genb.render.dress.materials import hex_rgb
    from genb.render.dress.mesh import GarmentMesh, box, mesh_normals
    from genb.render.raster.meshes import vertex_normals

    @accessory_kind("badge", "bag", "a name badge")
    def badge(w, acc):
        origin, R, _ = trunk_frame(w.keypoints)
        v, f = box(origin + R @ np.array([0.06, 0.2 + w.outer, -0.15]), R, np.array([0.03, 0.005, 0.02]))
        w.out.append(GarmentMesh(v, mesh_normals(v, f), f, np.tile(hex_rgb(acc["color"]), (len(v), 1)),
                                 PART_INDEX["bag"], None, "badge"))

    try:
        w = copy.deepcopy(load_wardrobe("everyday"))  # the loaded wardrobe is shared: not changed here
        w["accessories"] = {**w["accessories"], "badge": {"prob": 1.0, "colors": ["c43d5a"]}}
        from genb.render.dress.wardrobe import validate_wardrobe

        validate_wardrobe(w, "test")
        outfit = sample_outfit(np.random.default_rng(0), w, {"gender": "male", "age_group": "adult"})
        assert {"type": "badge", "color": "c43d5a"} in outfit["accessories"]
        assert "a name badge" in describe_outfit({**outfit})["outfit"]
        body = anny_body
        posed = body.pose(np.full((1, 6), 0.5, np.float32), euler_xyz_to_matrix(PoseLibrary().key_pose("standing")[None]))
        v, kp = posed.vertices[0], posed.keypoints[0]
        meshes = Dresser(body).dress(outfit, v, vertex_normals(v, body.faces.astype(np.int64)), kp)
        assert [m.name for m in meshes].count("badge") == 1
    finally:
        ACCESSORY_KINDS.pop("badge", None)


def test_a_garment_kind_registered_from_outside_is_drawn_from_its_own_section(anny_body):
    """A toy garment kind (a scarf) registered by a user's module with a wardrobe section: the
    wardrobe checks the section, the outfit draws one with the section's probability, the dresser
    builds it over the layers below, the prompt still reads; a wardrobe without the section draws
    exactly what it drew before (no other draw moves)."""
    from genb.core.conventions import PART_INDEX
    from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix
    from genb.render.dress import Dresser, load_wardrobe, sample_outfit
    from genb.render.dress.describe import describe_outfit
    from genb.render.dress.kinds import GARMENT_KINDS, garment_kind
    from genb.render.dress.materials import hex_rgb
    from genb.render.dress.mesh import GarmentMesh, box, mesh_normals
    from genb.render.dress.wardrobe import validate_wardrobe
    from genb.errors import GenbError
    from genb.render.raster.meshes import vertex_normals

    base = copy.deepcopy(load_wardrobe("everyday"))
    before = [sample_outfit(np.random.default_rng(s), base, {"gender": "female", "age_group": "adult"}) for s in range(5)]
    seen = []

    @garment_kind("scarf", "upper_clothes", layer=3, ease=0.01, section="scarves")
    def scarf(w, g, t, e):
        seen.append((t, e))
        neck = w.keypoints[1]
        v, f = box(neck, np.eye(3), np.array([0.08 + t, 0.08 + t, 0.03]))
        w.out.append(GarmentMesh(v, mesh_normals(v, f), f, np.tile(hex_rgb("c43d5a"), (len(v), 1)),
                                 PART_INDEX["upper_clothes"], None, g["type"]))

    try:
        w = copy.deepcopy(base)
        w["scarves"] = {"wool_scarf": {"weight": 1.0, "thickness": 0.006, "length": [0.4, 0.6], "palettes": {"neutrals": 1.0},
                                       "patterns": {"solid": 1.0}}}
        w["scarves_prob"] = {"female": 1.0, "male": 1.0, "neutral": 1.0}
        validate_wardrobe(w, "test")
        outfit = sample_outfit(np.random.default_rng(0), w, {"gender": "female", "age_group": "adult"})
        assert [g["type"] for g in outfit["garments"] if g["kind"] == "scarf"] == ["wool_scarf"]
        describe_outfit({**outfit})
        body = anny_body
        posed = body.pose(np.full((1, 6), 0.5, np.float32), euler_xyz_to_matrix(PoseLibrary().key_pose("standing")[None]))
        v, kp = posed.vertices[0], posed.keypoints[0]
        meshes = Dresser(body).dress(outfit, v, vertex_normals(v, body.faces.astype(np.int64)), kp)
        assert [m.name for m in meshes].count("wool_scarf") == 1
        assert seen and seen[0][0] > 0.006  # over the layers below: thicker than drawn
        bad = copy.deepcopy(w)
        bad["scarves_prob"] = {"female": 2.0}
        with pytest.raises(GenbError, match="scarves_prob"):
            validate_wardrobe(bad, "test")
        # a wardrobe without the section draws what it drew before
        assert [sample_outfit(np.random.default_rng(s), base, {"gender": "female", "age_group": "adult"})
                for s in range(5)] == before
    finally:
        GARMENT_KINDS.pop("scarf", None)
    with pytest.raises(GenbError, match="unknown section"):
        validate_wardrobe(w, "test")  # the kind is gone: its section is unknown again
