"""The colour pass's level of detail (genb.render.raster.lod)."""

import numpy as np
import pytest
import trimesh

from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
from genb.render.raster import lod
from genb.render.raster.casters import COARSE_MIN_FACES, coarse_faces
from genb.render.raster.gl import Rasterizer
from genb.render.raster.meshes import Lighting, MeshLayer

W, H = 200, 160


def _sphere():
    m = trimesh.creation.icosphere(subdivisions=5, radius=0.3)  # 20480 faces: dense enough to coarsen
    return np.asarray(m.vertices, np.float32), np.asarray(m.faces)


def _camera():
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 1.0]), camera_to_world_rotation(0, 0, 0))  # looks along +Y
    return K, ext


@pytest.fixture(scope="module")
def sphere_raster():
    v, f = _sphere()
    assert len(f) >= COARSE_MIN_FACES
    parts = (v[:, 2] > 0).astype(np.uint8) + 3  # two parts: upper and lower half
    r = Rasterizer(f, parts)
    yield r, v, f
    r.close()


def test_projected_extent_is_focal_length_times_size_over_depth():
    K, ext = _camera()
    box = np.array([[x, 5.0, z] for x in (-0.2, 0.2) for z in (0.5, 1.5)] * 7, np.float64)  # 0.4 m wide, 1 m tall
    assert lod.projected_extent(box, K, ext) == pytest.approx(K[1, 1] * 1.0 / 5.0, rel=1e-6)
    behind = box.copy()
    behind[0, 1] = -1.0  # a vertex behind the camera: never coarse
    assert lod.projected_extent(behind, K, ext) == float("inf")
    far, near = box + [0, 20.0, 0], box - [0, 3.0, 0]
    limit = K[1, 1] * 1.0 / 10.0
    assert lod.coarse_people([far, near], K, ext, limit_px=limit) == [True, False]


def test_colour_faces_choose_coarse_draws_by_size_and_keep_hidden_faces_coarse():
    v, f = _sphere()
    c = coarse_faces(f, len(v))
    show = v[f].mean(axis=1)[:, 2] > -0.1  # a "garment" hides the lower cap
    (ids, faces), hidden = lod.colour_faces(f, c, show, small=False)
    assert ids is None and np.array_equal(faces, f[show])
    assert np.array_equal(hidden[0], c.centres)
    np.testing.assert_array_equal(c.centres[hidden[1]], c.shown(~show))  # local indices name the same corners
    (ids, faces), _ = lod.colour_faces(f, c, show, small=True)
    np.testing.assert_array_equal(ids[faces], c.shown(show))
    assert len(faces) < 0.35 * show.sum()
    (ids, faces), hidden = lod.colour_faces(f, c, None, small=True)
    assert hidden is None and np.array_equal(ids[faces], c.faces)
    (ids, faces), hidden = lod.colour_faces(f, None, show, small=True)  # a sparse topology: drawn as it is
    assert ids is None and np.array_equal(faces, f[show]) and np.array_equal(hidden[1], f[~show])


def _render(r, v, limit_px, y=3.0):
    K, ext = _camera()
    light = Lighting(np.array([0.0, 1.0, -1.0]), 0.8, np.ones(3), np.full(3, 0.3))
    person = MeshLayer(v + np.array([0.0, y, 1.0], np.float32), np.full((len(v), 3), 0.6, np.float32))
    r.lod_px = limit_px
    try:
        passes = r.build_passes([person], K, ext, light, None)
    finally:
        r.lod_px = lod.LOD_PX
    faces = sum(len(p.indices) for m in passes[0][0].meshes for p in m.primitives)
    return r.decode(r.run_passes(passes, W, H), ext, False), faces


def test_small_people_draw_coarse_colour_and_keep_exact_labels_and_coverage_within_a_pixel(sphere_raster):
    """A sphere 30 px across, drawn coarse in the colour pass: the label pass (instances, parts, depth,
    normals) is bit for bit the fine one, and the colour pass's coverage differs from the mask only
    on the mask's one-pixel border."""
    r, v, f = sphere_raster
    fine, n_fine = _render(r, v, limit_px=0.0)
    coarse, n_coarse = _render(r, v, limit_px=1e9)
    assert n_coarse < 0.35 * n_fine
    for name in ("instances", "parts", "depth", "normals"):
        np.testing.assert_array_equal(getattr(coarse, name), getattr(fine, name))
    mask = fine.instances > 0
    assert 500 < mask.sum() < 2000
    covered = coarse.coverage > 0.5
    border = mask & ~(np.roll(mask, 1, 0) & np.roll(mask, -1, 0) & np.roll(mask, 1, 1) & np.roll(mask, -1, 1))
    outside = ~mask & (np.roll(mask, 1, 0) | np.roll(mask, -1, 0) | np.roll(mask, 1, 1) | np.roll(mask, -1, 1))
    assert not (covered & ~mask & ~outside).any() and not (mask & ~covered & ~border).any()
    assert np.abs(coarse.coverage - fine.coverage).sum() < 0.02 * mask.sum()  # a few edge pixels' worth
    np.testing.assert_array_equal(coarse.color[mask & ~border], fine.color[mask & ~border])  # flat albedo inside


def test_garments_coarse_for_small_people_and_in_the_sun_pass(sphere_raster):
    """A dressed sphere: a small person's garment is drawn coarse (its open edge kept) in the colour pass,
    a large person's in full; both cast coarse garments in the sun's pass; the label pass draws every face."""
    from types import SimpleNamespace

    r, v, f = sphere_raster
    K, ext = _camera()
    light = Lighting(np.array([0.3, 0.5, -1.0]), 0.8, np.ones(3), np.full(3, 0.3))
    cap = f[v[f].mean(axis=1)[:, 2] > 0.0]  # the upper half, pushed out: a "garment" hiding what it covers
    hides = np.flatnonzero(v[f].mean(axis=1)[:, 2] > 0.02)
    counts = {}
    for name, y in (("small", 12.0), ("large", 1.5)):
        body = v + np.array([0.0, y, 1.0], np.float32)
        n = body / np.linalg.norm(body - body.mean(axis=0), axis=1, keepdims=True)
        piece = SimpleNamespace(vertices=(v * 1.03 + np.array([0.0, y, 1.0], np.float32)).astype(np.float32), normals=n,
                                faces=cap.astype(np.uint32), colors=np.full((len(v), 3), 0.2, np.float32), part=15, hides=hides)
        person = MeshLayer(body, np.full((len(v), 3), 0.6, np.float32), normals=n, extras=[piece])
        r.lod_px = 50.0  # the sphere spans ~9 px at 12 m, ~70 px at 1.5 m
        try:
            passes = r.build_passes([person], K, ext, light, None)
        finally:
            r.lod_px = lod.LOD_PX
        garment = [m for m in passes[0][0].meshes if m.primitives[0].material.doubleSided][0]
        counts[name] = len(garment.primitives[0].indices)
        label_faces = sum(len(p.indices) for m in passes[1][0].meshes for p in m.primitives)
        assert label_faces == len(f) + len(cap)  # every body face (shown or pushed back) and every garment face
        sun, _ = r.build_shadow_pass(passes[0][0], light.direction, W, H)
        sun_faces = sorted(len(p.indices) for m in sun[0].meshes for p in m.primitives)
        assert max(sun_faces) < 0.5 * len(cap)  # the garment casts coarse
    assert counts["small"] < 0.5 * len(cap) and counts["large"] == len(cap)
