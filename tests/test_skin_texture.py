"""Skin texture per pixel in the body's UV space (genb.render.dress.skin_texture): it varies inside a
triangle (not per vertex), keeps every tone's colour, fades to the per-vertex albedo far away, and
changes image pixels of skin only (labels, depth and the normal map stay the same bytes)."""

import types

import numpy as np
import pytest

from genb.core.conventions import BODY_PARTS, PART_INDEX
from genb.render.dress import skin
from genb.render.dress.fabric import decode_texcoords
from genb.render.dress.skin_texture import UV_OFFSET_M, SkinLayout, body_uv, skin_factor
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov

EVERYTHING = {"redness": 1.0, "freckles": 0.12, "texture_seed": 7, "mottling": 0.08, "blemishes": 0.25}


def _layout(**kw) -> SkinLayout:
    """A layout whose atlas says: freckle zone, flushing, bare skin everywhere (1 m per UV unit)."""
    atlas = np.ones((8, 8, 3), np.float32)
    return SkinLayout(index=np.zeros(0, np.int64), faces=np.zeros((0, 3), np.int64), face_ids=np.zeros(0, np.int64),
                      uv=np.zeros((0, 2)), scale=1.0, atlas=atlas, span=2.0, **kw)


@pytest.fixture(scope="module")
def raster():
    from genb.render.raster.gl import Rasterizer

    return Rasterizer(np.array([[0, 1, 2]]), np.zeros(3, np.int64))


def test_skin_varies_per_pixel_inside_one_triangle(raster):
    """One triangle 40 cm across at 1 m, skin coordinates at its corners: the texcoord pass gives
    every pixel its own coordinates and the skin texture varies inside the triangle, where
    per-vertex colours could only interpolate three values linearly."""
    import pyrender

    from genb.render.dress.texcoords import ClothMap
    from genb.render.raster.texcoord_pass import TexturedPiece, build_texcoord_pass, render_texcoord_pass

    V = np.array([[-0.2, 1.0, 0.6], [0.2, 1.0, 0.6], [0.0, 1.0, 1.0]], np.float32)
    uv = UV_OFFSET_M + 0.5 + V[:, [0, 2]].astype(np.float64)
    piece = TexturedPiece(V, ClothMap(np.arange(3), np.array([[0, 1, 2]]), uv))
    W, H = 256, 192
    K = intrinsics_from_fov(40.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 0.8]), camera_to_world_rotation(0, 0, 0))
    rgba, depth = render_texcoord_pass(raster, build_texcoord_pass(pyrender, K, ext, [[piece]]), W, H)
    hit = depth > 0
    assert hit.sum() > 2000
    t = decode_texcoords(rgba.reshape(-1, 4)[hit.ravel()])
    fp = (depth[hit] / K[0, 0]).astype(np.float32)  # about 1.4 mm: every feature shows
    f = skin_factor(_layout(), EVERYTHING, t[:, 0], t[:, 1], fp).T
    # the best plane through the pixels' factors (what interpolating three vertex values gives) leaves a lot
    A = np.c_[t, np.ones(len(t))]
    resid = f[:, 1] - A @ np.linalg.lstsq(A, f[:, 1], rcond=None)[0]
    assert resid.std() > 0.02, resid.std()
    # neighbouring pixels mostly differ: texture, not a handful of flat patches
    img = np.zeros((H, W), np.float32)
    img[hit] = f[:, 1]
    both = hit[:, 1:] & hit[:, :-1]
    assert (np.abs(np.diff(img, axis=1))[both] > 1e-3).mean() > 0.5


@pytest.mark.parametrize("tone", [f"monk-{k:02d}" for k in range(1, 11)])
def test_skin_texture_keeps_each_tone_within_its_colour_range(tone):
    """Over the whole range of a person's variation, every textured skin pixel stays skin-coloured
    (R > G > B on 99 % of them; without freckles 98 % within 20 % of the tone's albedo, freckles at
    most 45 % darker) and their mean is the tone's."""
    rng = np.random.default_rng(0)
    u, v = (rng.uniform(0.2, 2.0, 40000).astype(np.float32) for _ in range(2))
    fp = np.full(len(u), 5e-4, np.float32)
    for freckles in (0.0, 0.12):
        f = skin_factor(_layout(), {**EVERYTHING, "freckles": freckles}, u, v, fp).T
        srgb = skin._encode(skin.tone_albedo(tone)[None] * f)
        assert ((srgb[:, 0] > srgb[:, 1]) & (srgb[:, 1] > srgb[:, 2])).mean() > 0.99
        assert f.min() > 0.55 and f.max() < 1.3
        assert np.all(np.abs(f.mean(axis=0) - 1) < 0.02), f.mean(axis=0)
        if not freckles:
            lo, hi = np.percentile(f, [1, 99], axis=0)
            assert np.all(lo > 0.8) and np.all(hi < 1.2), (lo, hi)


def test_far_skin_is_exactly_the_per_vertex_albedo():
    """Once a pixel spans centimetres every feature has faded to its mean: the factor is 1."""
    rng = np.random.default_rng(1)
    u, v = (rng.uniform(0.2, 2.0, 5000).astype(np.float32) for _ in range(2))
    f = skin_factor(_layout(), EVERYTHING, u, v, np.full(len(u), 0.05, np.float32)).T
    assert np.abs(f - 1).max() < 1e-5


def test_a_body_model_without_uvs_falls_back_to_per_vertex_skin(tmp_path):
    """SMPL-X files without ``vt``/``ft`` (most of them): no layout, the per-vertex variation stays."""
    path = tmp_path / "SMPLX_NEUTRAL.npz"
    np.savez(path, f=np.array([[0, 1, 2]]))
    assert body_uv(types.SimpleNamespace(faces=np.array([[0, 1, 2]]), model_path=str(path))) is None
    np.savez(path, f=np.array([[0, 1, 2]]), vt=np.array([[0, 0], [1, 0], [0, 1.0]]), ft=np.array([[0, 1, 2]]))
    uv, ft = body_uv(types.SimpleNamespace(faces=np.array([[0, 1, 2]]), model_path=str(path)))
    assert uv.shape == (3, 2) and ft.tolist() == [[0, 1, 2]]


def test_skin_texture_in_a_render_changes_skin_pixels_only(monkeypatch):
    """A close-up rendered with and without the skin texture: labels, depth and the normal map are
    the same bytes; the image differs on bare skin (faces and hands) and, with the hair's fringe (thinning
    strands at the hair's outline that let the pixel beside them show: genb.render.raster.hair_fringe),
    on hair pixels within the fringe's reach of changed skin; without the fringe, nowhere else. (Seed 3,
    sample 1 after the s34 framing's draws: 2 fringe pixels by up to 5 levels, 0 without the fringe.)"""
    import cv2

    import genb.render.people as people_mod
    import genb.render.stage as stage_mod
    from genb.render.config import RenderConfig
    from genb.render.raster import hair_fringe
    from genb.render.stage import RenderStage

    cfg = dict(num_samples=4, seed=3, image_size=(240, 320), num_people=(1, 1), portrait_prob=1.0,
               person_height_frac=(0.8, 0.95), truncation_prob=0.0, camera_effects=False, props=(0, 0), occluders=(0, 0))
    stage = RenderStage(RenderConfig(**cfg))
    assert stage.skin_layout is not None  # anny ships its UVs
    preps = [stage.prepare(i) for i in range(4)]
    index = next(i for i, p in enumerate(preps) if any(r.get("pattern") == "skin" for r in p.fabrics.values()))

    def pair():  # (textured, plain) renders of the sample
        monkeypatch.setattr(people_mod, "SKIN_PER_PIXEL_PX", 20)
        textured = stage.finish(stage.prepare(index))
        monkeypatch.setattr(people_mod, "SKIN_PER_PIXEL_PX", 1e9)
        return textured, stage.finish(stage.prepare(index))

    textured, plain = pair()
    for name in ("parts", "instances", "body_instances", "control_normal", "control_depth", "control_seg"):
        assert np.array_equal(textured.images[name], plain.images[name]), name
    assert np.array_equal(textured.depth, plain.depth)
    assert np.array_equal(textured.labels["keypoints2d"], plain.labels["keypoints2d"])
    body = np.isin(plain.images["parts"], [PART_INDEX[p] for p in BODY_PARTS[1:]])
    diff = (textured.images["image"] != plain.images["image"]).any(-1)
    assert diff[body].mean() > 0.08, diff[body].mean()  # low contrast: +-2 % moves few 8-bit values at 7 mm a pixel
    reach = int(np.ceil(hair_fringe.MAX_PX * 1.5 * (1 + 0.5 * hair_fringe.RAGGED)))  # the fringe's widest band
    near = cv2.dilate((diff & body).astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8)).astype(bool)
    fringe = (plain.images["parts"] == PART_INDEX["hair"]) & near
    assert not diff[~body & ~fringe].any()
    monkeypatch.setattr(stage_mod, "soften_hair_edges", lambda *a, **k: 0)  # no fringe: skin pixels alone change
    textured, plain = pair()
    diff = (textured.images["image"] != plain.images["image"]).any(-1)
    assert not diff[~body].any() and diff[body].mean() > 0.08
