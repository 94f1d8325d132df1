"""Cloth patterns per pixel and detail normals: exact cloth coordinates from the texcoord pass,
straight stripes, prefiltered far cloth, relief in the normals but not in depth or labels,
painted clothes' materials with --wardrobe none, the ground's relief."""

import types

import numpy as np
import pytest

from genb.core.conventions import PART_INDEX, SCENE_PART_INDEX
from genb.render.dress.fabric import decode_texcoords, pattern_albedo, pattern_mean, pattern_slopes
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov


def _plane_piece(width_m=2.0, height_m=1.6, distance=2.0, slant=0.5, n=24, y_far=None):
    """A subdivided plane facing a camera that looks along +y from (0, 0, 0.8): cloth u = world x,
    v = world z (a garment-like piece with a ClothMap over its own topology)."""
    from genb.render.dress.texcoords import ClothMap

    xs = np.linspace(-width_m / 2, width_m / 2, n)
    zs = np.linspace(0.0, height_m, n)
    X, Z = np.meshgrid(xs, zs)
    Y = distance + slant * X if y_far is None else distance + (y_far - distance) * (Z / height_m)
    V = np.stack([X.ravel(), Y.ravel(), Z.ravel()], 1).astype(np.float32)
    F = []
    for i in range(n - 1):
        for j in range(n - 1):
            a = i * n + j
            F += [[a, a + 1, a + n + 1], [a, a + n + 1, a + n]]
    F = np.array(F, np.int64)
    cloth = ClothMap(np.arange(len(V)), F, V[:, [0, 2]].astype(np.float64))
    return types.SimpleNamespace(vertices=V, faces=F.astype(np.uint32), uv=cloth)


@pytest.fixture(scope="module")
def raster():
    from genb.render.raster.gl import Rasterizer

    return Rasterizer(np.array([[0, 1, 2]]), np.zeros(3, np.int64))


def _texcoords(raster, piece, W=256, H=192, fov=50.0):
    import pyrender

    from genb.render.raster.texcoord_pass import build_texcoord_pass, render_texcoord_pass

    K = intrinsics_from_fov(fov, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 0.8]), camera_to_world_rotation(0, 0, 0))
    rgba, depth = render_texcoord_pass(raster, build_texcoord_pass(pyrender, K, ext, [[piece]]), W, H)
    return rgba, depth, K, ext


def _world_points(depth, K, ext):
    H, W = depth.shape
    vv, uu = np.mgrid[0:H, 0:W]
    pc = np.stack([(uu - K[0, 2]) / K[0, 0] * depth, (vv - K[1, 2]) / K[1, 1] * depth, depth], -1)
    return (pc - ext[:3, 3]) @ ext[:3, :3]


def test_texcoord_pass_gives_cloth_coordinates_to_a_third_of_a_millimetre(raster):
    rgba, depth, K, ext = _texcoords(raster, _plane_piece())
    hit = depth > 0
    assert hit.mean() > 0.5
    uv = decode_texcoords(rgba.reshape(-1, 4)).reshape(*depth.shape, 2)
    world = _world_points(depth, K, ext)
    err_u = np.abs(uv[..., 0] - world[..., 0])[hit]
    err_v = np.abs(uv[..., 1] - world[..., 2])[hit]
    assert np.median(err_u) < 2e-4 and np.median(err_v) < 2e-4
    assert err_u.max() < 6e-4 and err_v.max() < 6e-4, (err_u.max(), err_v.max())


def test_stripes_are_straight_lines_on_a_planar_patch(raster):
    """Horizontal 5 cm stripes on a slanted plane: every stripe edge (a change of band along a
    column) lies on one straight image line per edge: a line fit leaves under 0.6 px."""
    rgba, depth, K, ext = _texcoords(raster, _plane_piece(slant=0.6), W=320, H=240)
    hit = depth > 0
    uv = decode_texcoords(rgba.reshape(-1, 4)).reshape(*depth.shape, 2)
    fabric = {"color": "202020", "color2": "e0e0e0", "pattern": "stripes", "pattern_scale": 0.05}
    fp = np.full(hit.sum(), 1e-4, np.float32)
    img = np.zeros(depth.shape, np.float32)
    img[hit] = pattern_albedo(fabric, uv[..., 0][hit], uv[..., 1][hit], fp)[:, 0]
    band = img > 0.3
    cols = [c for c in range(40, 280, 4) if hit[:, c].sum() > 150]
    edges: dict[int, list] = {}
    for c in cols:
        rows = np.flatnonzero(hit[:, c])
        col = band[rows, c]
        for r in np.flatnonzero(col[1:] != col[:-1]):
            k = int(np.floor(uv[rows[r], c, 1] / 0.05 * 2.5 + 0.5))  # which edge (two per 5 cm repeat)
            edges.setdefault(k, []).append((c, rows[r] + 0.5))
    fitted = 0
    for pts in edges.values():
        if len(pts) < 20:
            continue
        p = np.array(pts, np.float64)
        a, b = np.polyfit(p[:, 0], p[:, 1], 1)
        assert np.abs(p[:, 1] - (a * p[:, 0] + b)).max() < 0.6 + 1e-9
        fitted += 1
    assert fitted >= 8


def test_far_cloth_is_the_prefiltered_pattern_not_moire(raster):
    """1 cm checks on a plane receding from 2 m to 60 m: where a pixel covers several checks the
    filtered pattern is the pattern's mean with low variance; point sampling would alias."""
    rgba, depth, K, ext = _texcoords(raster, _plane_piece(width_m=40.0, height_m=6.0, distance=3.0, y_far=60.0, n=40),
                                     W=256, H=192)
    hit = depth > 0
    uv = decode_texcoords(rgba.reshape(-1, 4)).reshape(*depth.shape, 2)
    fabric = {"color": "101010", "color2": "f0f0f0", "pattern": "checks", "pattern_scale": 0.01}
    far = hit & (depth > 30)
    u, v = uv[..., 0][far], uv[..., 1][far]
    footprint = (depth[far] / K[0, 0] / 0.2).astype(np.float32)  # grazing view
    filtered = pattern_albedo(fabric, u, v, footprint)[:, 1]
    point = pattern_albedo(fabric, u, v, np.full_like(footprint, 1e-5))[:, 1]
    from genb.render.raster.colour import SRGB_TO_LINEAR

    mean = float(SRGB_TO_LINEAR[np.rint(pattern_mean(fabric) * 255).astype(int)][1])
    assert far.sum() > 300
    assert point.std() > 0.2  # what per-vertex or point-sampled patterns show: noise
    assert filtered.std() < 0.03 and abs(filtered.mean() - mean) < 0.03, (filtered.std(), filtered.mean(), mean)


def test_relief_is_filtered_and_bends_normals_by_its_slopes():
    from genb.render.raster.normals import bend_normals

    knit = {"color": "808080", "pattern": "knit", "pattern_scale": 0.01}
    u = np.linspace(0, 0.1, 500, dtype=np.float32)
    near_u, _ = pattern_slopes(knit, u, np.zeros_like(u), np.full_like(u, 5e-4))
    far_u, far_v = pattern_slopes(knit, u, np.zeros_like(u), np.full_like(u, 0.05))
    assert np.abs(near_u).max() > 0.1  # ribs tilt the surface
    assert np.abs(far_u).max() < 1e-3 and np.abs(far_v).max() < 1e-3  # sub-pixel relief: flat
    n = np.tile([[0.0, 0.0, -1.0]], (2, 1))
    t_u = np.tile([[1.0, 0.0, 0.0]], (2, 1))
    t_v = np.tile([[0.0, 1.0, 0.0]], (2, 1))
    out = bend_normals(n, t_u, t_v, np.array([0.2, 0.0]), np.array([0.0, 0.0]))
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert out[0, 0] < -0.15 and np.allclose(out[1], n[1])


def _stage(**kw):
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    cfg = dict(num_samples=3, seed=11, image_size=(160, 120), num_people=(1, 2), portrait_prob=0.0,
               person_height_frac=(0.7, 0.95), truncation_prob=0.0, camera_effects=False, props=(0, 0),
               occluders=(0, 0))
    cfg.update(kw)
    return RenderStage(RenderConfig(**cfg))


def test_patterns_and_relief_change_colour_and_normals_but_never_depth_or_labels(monkeypatch):
    """The same sample with and without per-pixel cloth and ground relief: depth, instances and
    parts are the same bytes; the normal map differs on cloth (and ground), the image on cloth."""
    import genb.render.stage as S
    from genb.render.scene import scenery

    stage = _stage(num_samples=8)

    def paved(prep) -> bool:  # jointed paving: relief the 8-bit normal map shows (asphalt grit hardly does)
        return prep.scene["background"].get("ground") == "paving"

    # a sample with a patterned garment on paving
    def garment_patterned(prep) -> bool:  # (skin records sit on the body's parts, 1..14)
        return any(part >= 15 for _, part in prep.fabrics)

    index = next(i for i in range(8) if garment_patterned(prep := stage.prepare(i)) and paved(prep))
    with_detail = stage.finish(stage.prepare(index))
    monkeypatch.setattr(S, "apply_cloth", lambda *a, **k: 0)
    monkeypatch.setattr(scenery.Look, "detail", lambda *a, **k: None)
    plain = stage.finish(stage.prepare(index))
    for name in ("parts", "instances", "body_instances"):
        assert np.array_equal(with_detail.images[name], plain.images[name]), name
    assert np.array_equal(with_detail.depth, plain.depth)
    assert np.array_equal(with_detail.labels["keypoints2d"], plain.labels["keypoints2d"])
    cloth = np.isin(plain.images["parts"], [PART_INDEX[p] for p in ("upper_clothes", "lower_clothes", "coat", "dress")])
    diff_n = (with_detail.images["control_normal"] != plain.images["control_normal"]).any(-1)
    ground = plain.images["parts"] == SCENE_PART_INDEX["ground"]
    hair = plain.images["parts"] == PART_INDEX["hair"]  # strands (tests/test_hair.py)
    assert not diff_n[~(cloth | ground | hair)].any()  # only cloth, hair and ground get detail normals
    assert diff_n[ground].mean() > 0.05  # the ground's relief is in the normal map
    patterned = np.zeros_like(cloth)
    for inst, part in prep.fabrics:  # the patterned garments' own pixels (solid fabrics stay per vertex)
        patterned |= (plain.images["instances"] == inst) & (plain.images["parts"] == part)
    assert (with_detail.images["image"] != plain.images["image"]).any(-1)[patterned & cloth].mean() > 0.2


def test_knit_ribs_bend_the_normals_of_near_cloth_only(raster):
    """A knit plane 0.6 m away (about 1 mm per pixel): its ribs tilt the normals back and forth
    across u (the normal's x follows the ribs' slope); depth is untouched; 30 m away: flat."""
    from genb.render.raster.detail import apply_cloth
    from genb.render.raster.gl import RasterOutput
    from genb.render.raster.normals import encode_normal_xy

    knit = {"color": "808080", "pattern": "knit", "pattern_scale": 0.01}
    for distance, bumpy in ((0.6, True), (30.0, False)):
        piece = _plane_piece(width_m=0.6 * distance, height_m=1.6, distance=distance, slant=0.0)
        rgba, depth, K, ext = _texcoords(raster, piece)
        hit = depth > 0
        xy = np.full((*depth.shape, 2), 128, np.uint8)  # facing the camera
        out = RasterOutput(color=np.full((*depth.shape, 3), 128, np.uint8), coverage=hit.astype(np.float32),
                           depth=depth.copy(), instances=hit.astype(np.uint8),
                           parts=np.where(hit, PART_INDEX["upper_clothes"], 0).astype(np.uint8),
                           normals=encode_normal_xy(xy, hit))
        before = out.normals.copy()
        apply_cloth(out, rgba, depth, {(1, PART_INDEX["upper_clothes"]): knit}, K)
        assert np.array_equal(out.depth, depth)
        moved = (out.normals != before).any(-1)
        if bumpy:
            assert moved[hit].mean() > 0.5
            nx = out.normals[..., 0].astype(np.float64)[hit] - 128
            assert nx.max() > 10 and nx.min() < -10  # both flanks of the ribs
        else:
            assert not moved.any()


def test_wardrobe_none_paints_clothes_that_shade_as_cloth_not_skin():
    from genb.render.dress.painted import material_map, painted_materials
    from genb.render.raster import shading
    from genb.render.raster.probe import light_probe

    stage = _stage(wardrobe="none")
    prep = stage.prepare(0)
    table = prep.look.materials
    assert table is not None and not prep.fabrics
    torso, clothes = PART_INDEX["torso"], PART_INDEX["upper_clothes"]
    assert table[1, torso] == clothes and table[1, PART_INDEX["head"]] == PART_INDEX["head"]
    apps = [p["appearance"] for p in prep.scene["people"]]
    assert np.array_equal(painted_materials(apps), table)
    parts = np.array([[torso, PART_INDEX["head"]]], np.uint8)
    assert material_map(np.array([[1, 1]], np.uint8), parts, table).tolist() == [[clothes, PART_INDEX["head"]]]
    # past the terminator skin's wrap lighting still lights it; a painted shirt (cloth) gets no sun there
    probe = light_probe({"direction": [0.0, 0.0, -1.0], "intensity": 1.0, "color": [1, 1, 1], "ambient": [0.0] * 3},
                        None)
    R = np.eye(3)
    n = np.array([[0.0, 0.0, -0.1]]) + np.array([[0.0, 1.0, 0.0]])
    n = np.repeat(n / np.linalg.norm(n), 2, axis=0).astype(np.float32)
    sun_cam = R @ probe.toward_sun
    n_dot_l = np.full(2, -0.15, np.float32)
    out = shading.shade(np.full((2, 3), 0.5, np.float32), n, np.tile([[0.0, 0.0, 1.0]], (2, 1)).astype(np.float32),
                        np.array([torso, clothes], np.uint8), probe, R, np.ones(2, np.float32), np.ones(2, np.float32),
                        ambient=np.zeros((2, 3), np.float32), n_dot_l=n_dot_l)
    assert sun_cam is not None and out[0, 0] > 0.01 and out[1, 0] < 1e-6


def test_ground_relief_follows_the_textures_joints_and_fades_far_away():
    from genb.render.raster.relief import ground_slopes
    from genb.render.scene import materials

    tile, seed = materials.TILE_M["paving"], 7
    size = 256
    tex = materials.ground_texture("paving", seed, size).astype(np.float32).mean(-1)
    # the texel (row i, column j) lies at s = (j + 0.5) / size, t = 1 - (i + 0.5) / size (pyrender flips rows)
    ii, jj = np.mgrid[0:size, 0:size]
    xy = np.stack([(jj.ravel() + 0.5) / size * tile, (1 - (ii.ravel() + 0.5) / size) * tile], 1).astype(np.float32)
    gx, gy = ground_slopes("paving", xy, np.full(len(xy), 1e-3, np.float32), tile, np.zeros(2), seed)
    steep = np.hypot(gx, gy).reshape(size, size) > 0.2
    mortar = tex <= np.percentile(tex, 8)  # the darkest texels: the mortar lines
    assert steep[mortar].mean() > 3 * steep[~mortar].mean()
    fx, fy = ground_slopes("paving", xy, np.full(len(xy), 0.5, np.float32), tile, np.zeros(2), seed)
    assert np.abs(fx).max() == 0 and np.abs(fy).max() == 0  # far away: flat
    for m in materials.MATERIALS:
        a, b = ground_slopes(m, xy[:2000], np.full(2000, 0.004, np.float32), materials.TILE_M[m], np.zeros(2), seed)
        assert np.isfinite(a).all() and np.isfinite(b).all() and np.hypot(a, b).max() < 1.0, m


def test_ground_relief_in_a_render_moves_ground_normals_only():
    stage = _stage(num_people=(1, 1))
    prep = stage.prepare(0)
    assert prep.look.ground_relief is not None
    results = list(stage.rasterize(prep))
    if prep.texcoord_pass is not None:
        results.pop()
    if prep.look.shadow_pass is not None:
        results.pop(1)
    out = stage.raster.decode(results, prep.cam_ext, prep.has_ground)
    before = out.normals.copy()
    prep.look.detail(out, prep.K, prep.cam_ext)
    changed = (out.normals != before).any(-1)
    ground = out.parts == SCENE_PART_INDEX["ground"]
    assert changed[~ground].sum() == 0
    assert changed[ground].any()


@pytest.mark.parametrize("color", ["1d2533", "25344d", "3b5a8a"])
def test_denims_worn_streaks_stay_indigo_on_dark_denim(color):
    """Denim's worn streaks lighten it toward a paler indigo, at most 1.5 times as bright in the most worn
    places, whatever its colour: before, the streaks mixed 12 % of a fixed pale blue into it, so dark indigo
    jeans (1d2533) showed grey bands 3-4 times as bright as the cloth down the thighs, like a satin sheen."""
    from genb.render.raster.colour import luminance

    rng = np.random.default_rng(0)
    u, v = (rng.uniform(0, 2, 20000).astype(np.float32) for _ in range(2))
    fp = np.full(20000, 1e-4, np.float32)
    lum = luminance(pattern_albedo({"color": color, "pattern": "denim"}, u, v, fp))
    assert np.percentile(lum, 99.5) < 1.5 * np.median(lum), (np.percentile(lum, 99.5) / np.median(lum))
