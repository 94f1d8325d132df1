"""Object textures per pixel (genb.render.raster.surfaces): straight mortar lines on a rendered brick
wall, far facades equal to their prefiltered mean (the vertex colour), and labels, depth and the
other control maps untouched in a render."""

import numpy as np
import pytest

from genb.core.conventions import SCENE_PART_INDEX
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
from genb.render.raster import surfaces as S

BRICK_RED = np.array([168, 85, 63]) / 255.0  # a building colour of the street kinds (a8553f)


@pytest.fixture(scope="module")
def raster():
    from genb.render.raster.gl import Rasterizer

    return Rasterizer(np.array([[0, 1, 2]]), np.zeros(3, np.int64))


def _wall(raster, distance=3.0, yaw_deg=35.0, length=12.0, height=4.0, W=320, H=240, color=BRICK_RED):
    """A real colour and label pass of a thin building-class box turned ``yaw_deg`` from facing the
    camera (at (0, 0, 1.6), looking along +y, level), its front ``distance`` metres ahead."""
    from genb.render.raster.meshes import PropMesh
    from genb.render.scene.props import box_mesh

    v, f, n = box_mesh(np.array([length, 0.3, height]), np.zeros(3))
    a = np.radians(yaw_deg)
    R = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    v = v @ R.T + [0.0, distance + 0.15, 0.0]
    prop = PropMesh(v.astype(np.float32), f.astype(np.uint32), (n @ R.T).astype(np.float32),
                    np.tile(np.asarray(color, np.float32), (len(v), 1)), SCENE_PART_INDEX["building"])
    K = intrinsics_from_fov(60.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 1.6]), camera_to_world_rotation(0, 0, 0))
    passes = raster.build_passes([], K, ext, None, None, [prop])
    out = raster.decode(raster.run_passes(passes, W, H), ext, False)
    return out, K, ext


def _world(out, K, ext):
    H, W = out.depth.shape
    vv, uu = np.mgrid[0:H, 0:W]
    z = out.depth
    pc = np.stack([(uu - K[0, 2]) / K[0, 0] * z, (vv - K[1, 2]) / K[1, 1] * z, z], -1)
    return (pc - ext[:3, 3]) @ ext[:3, :3]


def test_a_brick_facade_shows_straight_level_mortar_lines(raster):
    """Every horizontal mortar joint of a slanted brick wall (mortar: the light, grey pixels) lies on
    one straight image line (a fit leaves under 0.75 px), at a whole number of courses in height."""
    out, K, ext = _wall(raster)
    hit = out.depth > 0
    assert hit.mean() > 0.6
    plain = out.color.copy()
    assert S.apply_surfaces(out, K, ext) > 0.5 * hit.sum()
    blue = out.color[..., 2].astype(np.float32)
    mortar = hit & (blue > plain[..., 2] + 25)  # mortar is far bluer (greyer) than brick
    assert 0.05 < mortar[hit].mean() < 0.4
    z = _world(out, K, ext)[..., 2]
    lines: dict[int, list] = {}
    for c in range(8, out.depth.shape[1] - 8, 3):
        rows = np.flatnonzero(mortar[:, c] & hit[:, c])
        if not len(rows):
            continue
        for run in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1):  # each vertical run: one joint
            if len(run) > 6:  # a vertical joint seen along the column, not a course's joint
                continue
            centre = run.mean()
            k = int(np.rint((z[int(round(centre)), c] + S.MORTAR / 2) / S.BRICK_H))
            lines.setdefault(k, []).append((c, centre))
    fitted = 0
    for pts in lines.values():
        if len(pts) < 30:
            continue
        p = np.array(pts, np.float64)
        a, b = np.polyfit(p[:, 0], p[:, 1], 1)
        resid = np.abs(p[:, 1] - (a * p[:, 0] + b))
        assert np.quantile(resid, 0.95) < 0.75, np.quantile(resid, 0.95)
        fitted += 1
    assert fitted >= 10


def test_a_far_facade_is_its_prefiltered_mean():
    """Brick, render and concrete fade to a factor of 1 (the vertex colour) once the footprint is
    wider than their coarsest feature, and are already close to it (mean within 2 %, little spread) at a
    few centimetres a pixel, where point sampling still shows every joint."""
    rng = np.random.default_rng(0)
    u, v = rng.uniform(-20, 20, 20000).astype(np.float32), rng.uniform(0, 12, 20000).astype(np.float32)
    base = np.tile(S.SRGB_TO_LINEAR[np.rint(BRICK_RED * 255).astype(int)][:, None], (1, len(u))).astype(np.float32)
    for name in ("brick", "render_plaster", "concrete"):
        fn = getattr(S, name)

        def factor(fp):
            args = (u, v, np.full(len(u), fp, np.float32)) + ((base,) if name == "brick" else (3,))
            f = fn(*args)[0]
            return np.broadcast_to(f, (3, len(u))) if f.ndim == 1 else f

        point, mid, far = factor(1e-4), factor(0.025), factor(5.0)
        assert np.abs(far - 1).max() < 0.01, name  # a box filter 20 joints wide: within half a percent
        assert np.all(np.abs(mid.mean(axis=1) - 1) < 0.02), (name, mid.mean(axis=1))
        assert np.all(np.abs(point.mean(axis=1) - 1) < 0.03), (name, point.mean(axis=1))
        # joints and grain under a pixel average out; blotches, streaks and panel tones larger than it stay
        keep = {"brick": 0.6, "concrete": 0.8, "render_plaster": 0.95}[name]
        assert mid.std() < keep * point.std(), (name, mid.std(), point.std())


def test_a_far_wall_keeps_its_vertex_colour_and_a_near_one_changes(raster):
    """Rendered: a facade 150 m away keeps the colour pass's bytes; one 3 m away is textured; one 1 m
    away has its mortar grooves in the normals (only there: the bricks' faces keep theirs)."""
    far, K, ext = _wall(raster, distance=150.0, yaw_deg=0.0, length=80.0, height=30.0)
    before = far.color.copy()
    S.apply_surfaces(far, K, ext)
    assert np.array_equal(far.color, before)
    near, K, ext = _wall(raster)
    before = near.color.copy()
    S.apply_surfaces(near, K, ext)
    assert (near.color != before).any(-1)[near.depth > 0].mean() > 0.5
    close, K, ext = _wall(raster, distance=1.0, yaw_deg=10.0)
    n0, c0 = close.normals.copy(), close.color.copy()
    S.apply_surfaces(close, K, ext)
    bent = (close.normals != n0).any(-1)
    mortar = close.color[..., 2].astype(int) > c0[..., 2].astype(int) + 25
    assert 0.05 < bent[close.depth > 0].mean() < 0.6
    assert mortar[bent].mean() > 0.5  # the grooves follow the joints


def test_object_textures_change_image_and_normals_of_objects_only(monkeypatch):
    """A street sample with and without object textures: depth, parts, instances, keypoints and the
    depth and seg maps are the same bytes; image and normal map change on objects only."""
    import genb.render.stage as stage_mod
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    cfg = dict(num_samples=6, seed=5, image_size=(384, 288), num_people=(1, 2), camera_effects=False,
               places="street", wardrobe="none")
    stage = RenderStage(RenderConfig(**cfg))
    touched = []
    real = stage_mod.apply_surfaces
    monkeypatch.setattr(stage_mod, "apply_surfaces", lambda *a, **k: touched.append(real(*a, **k)))
    for index in range(6):  # a sample with textured objects near enough to show them
        textured = stage.finish(stage.prepare(index))
        if touched[-1] > 3000:
            break
    assert touched[-1] > 3000
    monkeypatch.setattr(stage_mod, "apply_surfaces", lambda *a, **k: 0)
    plain = stage.finish(stage.prepare(index))
    for name in ("parts", "instances", "control_depth", "control_seg", "control_pose"):
        assert np.array_equal(textured.images[name], plain.images[name]), name
    assert np.array_equal(textured.depth, plain.depth)
    assert np.array_equal(textured.labels["keypoints2d"], plain.labels["keypoints2d"])
    objects = (plain.images["instances"] == 0) & (S._KIND[plain.images["parts"]] > 0)
    assert objects.mean() > 0.05
    for name in ("image", "control_normal"):
        diff = (textured.images[name] != plain.images[name]).any(-1)
        if name == "image":
            assert diff[objects].mean() > 0.1, diff[objects].mean()
        else:  # (grooves show only within a few metres: see the test above)
            assert not diff[~objects].any()
