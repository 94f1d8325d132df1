"""Dressed bodies: garments follow every key pose and body shape, the body does not show
through them, the labels keep describing the body, and wardrobes are checked data."""

import json

import numpy as np
import pytest

from genb.errors import GenbError
from genb.render.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
from genb.render.conventions import PART_INDEX, SEMANTIC_JOINTS
from genb.render.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body, smplx_body, synthetic_smplx_dir  # noqa: F401

FABRIC = {"palette": "neutrals", "color": "3b5b84", "pattern": "solid"}
OUTFITS = {
    "t-shirt and jeans": {
        "garments": [
            {"type": "t_shirt", "kind": "top", "sleeve": 0.5, "length": 0.5, "waist": 0.0, "thickness": 0.008,
             "loose": False, **FABRIC, "pattern": "stripes", "pattern_scale": 0.05, "color2": "e8e6e1"},
            {"type": "jeans", "kind": "bottom", "length": 1.95, "waist": 0.25, "thickness": 0.01, "flare": 0.02,
             "loose": False, **FABRIC, "pattern": "denim", "pattern_scale": 0.005, "color2": "25344d"}],
        "shoes": {"type": "sneakers", "cut": 1.85, "thickness": 0.012, "color": "f4f2ee"},
        "hair": {"style": "short", "color": "2e2119", "hairline": "short", "thickness": 0.012, "shape": "none"},
        "facial_hair": "beard", "accessories": []},
    "closed coat": {
        "garments": [
            {"type": "long_sleeve_shirt", "kind": "top", "sleeve": 1.9, "length": 1.9, "waist": 0.0, "thickness": 0.009,
             "loose": False, **FABRIC},
            {"type": "trousers", "kind": "bottom", "length": 1.95, "waist": 0.25, "thickness": 0.012, "flare": 0.03,
             "loose": False, **FABRIC, "color": "1e1e20"},
            {"type": "coat", "kind": "coat", "sleeve": 1.95, "length": 1.95, "waist": -0.15, "tail": 1.2, "thickness": 0.014,
             "loose": False, "open": False, **FABRIC, "color": "6b4a2f"}],
        "shoes": {"type": "boots", "cut": 1.55, "thickness": 0.015, "color": "3d2b2b"},
        "hair": {"style": "long", "color": "c2a26b", "hairline": "long", "thickness": 0.015, "shape": "none"},
        "facial_hair": None, "accessories": [{"type": "bag_strap", "color": "6b4a2f"}]},
    "long dress": {
        "garments": [
            {"type": "dress", "kind": "dress", "sleeve": 0.3, "length": 1.6, "waist": 0.35, "thickness": 0.007,
             "loose": True, **FABRIC, "color": "a4262c", "pattern": "print", "pattern_scale": 0.04, "color2": "f4f2ee"}],
        "shoes": {"type": "flat_shoes", "cut": 1.95, "thickness": 0.008, "color": "1e1e20"},
        "hair": {"style": "ponytail", "color": "3b2a1e", "hairline": "medium", "thickness": 0.008, "shape": "ponytail"},
        "facial_hair": None, "accessories": [{"type": "cap", "color": "1f2a44"}]},
    "skirt and tank top": {
        "garments": [
            {"type": "tank_top", "kind": "top", "sleeve": -1.0, "length": -1.0, "waist": 0.05, "thickness": 0.006,
             "loose": False, **FABRIC, "color": "7fa7d4"},
            {"type": "skirt", "kind": "bottom", "length": 0.9, "waist": 0.3, "thickness": 0.008, "loose": True,
             **FABRIC, "pattern": "checks", "pattern_scale": 0.08, "color2": "1e1e20"}],
        "shoes": {"type": "barefoot"},
        "hair": {"style": "bun", "color": "141110", "hairline": "medium", "thickness": 0.008, "shape": "bun"},
        "facial_hair": None, "accessories": [{"type": "backpack", "color": "2f5233"}]},
}


def _shapes(body):
    if body.name == "anny":  # child, heavy, tall (gender, age, muscle, weight, height, proportions)
        return np.array([[0.5, 0.2, 0.5, 0.5, 0.5, 0.5], [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]],
                        np.float32)
    return body.sample_shapes(np.random.default_rng(1), 3)


def _view(height: float, yaw: float, size: int = 160):
    """A camera looking at a person standing at the origin from ``yaw`` degrees (0: the front)."""
    K = intrinsics_from_fov(40.0, size, size)
    a = np.radians(yaw)
    dist = 1.4 * height + 0.5
    pos = np.array([dist * np.sin(a), -dist * np.cos(a), 0.55 * height])
    return K, extrinsics(pos, camera_to_world_rotation(yaw, 0.0, 0.0))


@pytest.fixture(scope="module", params=["anny", "smplx"])
def dressed_poses(request):
    """Every key pose x (child, heavy, tall), each in one of the outfits above, posed once."""
    from genb.render.dress import Dresser
    from genb.render.raster import Rasterizer, vertex_normals

    body = request.getfixturevalue("anny_body" if request.param == "anny" else "smplx_body")
    lib = PoseLibrary()
    shapes = _shapes(body)
    names = [(n, k % len(shapes)) for k, n in enumerate(lib.names)]  # shapes in turn
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n, _ in names]))
    posed = body.pose(shapes[[s for _, s in names]], rot)
    dresser = Dresser(body)
    raster = Rasterizer(body.faces, body.vertex_parts)
    people = []
    for k, (name, s) in enumerate(names):
        v = posed.vertices[k].copy()
        kp = posed.keypoints[k].copy()
        lift = -v[:, 2].min()
        v[:, 2] += lift
        kp[:, 2] += lift
        outfit_name = list(OUTFITS)[k % len(OUTFITS)]
        n = vertex_normals(v, raster.faces, raster._incidence)
        people.append((name, s, outfit_name, v, dresser.dress(OUTFITS[outfit_name], v, n, kp)))
    return body, raster, people


def test_garments_stay_on_the_body_in_every_key_pose_and_shape(dressed_poses):
    from genb.render.dress.checks import offset_from_skin

    body, _, people = dressed_poses
    assert len({p[0] for p in people}) == len(PoseLibrary().names) >= 20
    for pose, s, outfit, v, garments in people:
        kinds = {g.part for g in garments}
        assert PART_INDEX["upper_clothes"] in kinds or PART_INDEX["dress"] in kinds
        for g in garments:
            assert np.isfinite(g.vertices).all() and len(g.faces), (pose, outfit, g.name)
            d = offset_from_skin(g, v)
            if g.name.endswith(("skirt", "brim", "ponytail", "bun", "backpack", "bag_strap")) or ":" in g.name and \
                    g.name.split(":")[0] in ("sneakers", "boots", "flat_shoes") and not g.name.endswith("shaft"):
                assert d.max() < 0.6, (pose, s, outfit, g.name, d.max())  # hung from the body, not left behind
                continue
            # tight shells: within their offset (thickness + extra) plus half a body edge of the skin
            limit = {"hair:long": 0.1}.get(g.name, 0.045) + 0.03
            assert np.percentile(d, 99) < limit, (pose, s, outfit, g.name, np.percentile(d, 99))


def test_body_does_not_show_through_the_clothes(dressed_poses):
    from genb.render.dress.checks import show_through

    body, raster, people = dressed_poses
    fractions = []
    for k, (pose, s, outfit, v, garments) in enumerate(people):
        K, ext = _view(float(v[:, 2].max()), yaw=(k * 135.0) % 360.0)  # front, back and in between
        through, area = show_through(raster, v, garments, K, ext, 160, 160)
        assert area > 500, (pose, outfit)
        fractions.append(through / area)
    fractions = np.array(fractions)
    print(f"{body.name}: show-through mean {fractions.mean():.4f}, max {fractions.max():.4f}")
    assert fractions.mean() < 0.01
    assert fractions.max() < 0.06
