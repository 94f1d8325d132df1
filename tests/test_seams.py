"""Seams, hems and stitching per pixel (genb.render.dress.seams): the regions the cloth coordinates
carry, seam records that never touch the outfit, a jeans' outseam drawn as one straight continuous
groove down the side of the leg (in the albedo and the normals), far jeans keeping their bytes."""

import types

import numpy as np
import pytest

from genb.core.conventions import PART_INDEX
from genb.render.dress.fabric import cloth_coordinates, decode_texcoords
from genb.render.dress.seams import cloth_records, regions, seam_layout


def test_cloth_coordinates_tell_their_region():
    rng = np.random.default_rng(0)
    rest = np.concatenate([rng.uniform([-0.2, -0.15, -0.3], [0.2, 0.15, 1.0], (200, 3)),  # trunk, hood
                           rng.uniform([0.1, -0.1, 0.3], [0.75, 0.1, 0.6], (200, 3)),  # left arm
                           rng.uniform([-0.75, -0.1, 0.3], [-0.1, 0.1, 0.6], (200, 3)),  # right arm
                           rng.uniform([0.0, -0.1, -1.0], [0.2, 0.1, 0.1], (200, 3)),  # left leg
                           rng.uniform([-0.2, -0.1, -1.0], [0.0, 0.1, 0.1], (200, 3))])  # right leg
    region = np.repeat(np.arange(5), 200)
    centres = np.array([[0, 0, 0], [0, 0, 0.45], [0, 0, 0.45], [0.1, 0, -0.2], [-0.1, 0, -0.2]], float)
    uv = cloth_coordinates(rest, region, centres)
    skirt = cloth_coordinates(np.stack([rng.uniform(0, 2 * np.pi * 0.18, 200), np.zeros(200),
                                        rng.uniform(-1.1, 0.0, 200)], 1), np.full(200, 5))
    got = regions(*np.concatenate([uv, skirt]).astype(np.float32).T)
    assert np.array_equal(got, np.concatenate([region, np.full(200, 5)]))
    lay = seam_layout(uv, region, np.full(6, 0.1))
    assert np.allclose(lay[0, 1:], [rest[:200, 2].min(), rest[:200, 2].max()], atol=1e-6)
    assert np.isnan(lay[5]).all()


def test_seam_records_are_copies_with_merged_layouts():
    from genb.render.dress.texcoords import ClothMap

    g = {"kind": "coat", "color": "303030", "pattern": "checks"}
    shell_map = ClothMap(np.zeros(0, int), np.zeros((0, 3), int), np.zeros((0, 2)), seams=np.full((6, 3), np.nan, np.float32))
    shell_map.seams[0] = (0.12, 0.0, 0.5)
    tail_map = ClothMap(np.zeros(0, int), np.zeros((0, 3), int), np.zeros((0, 2)), seams=np.full((6, 3), np.nan, np.float32))
    tail_map.seams[5] = (0.18, -0.8, 0.0)
    part = PART_INDEX["coat"]
    person = types.SimpleNamespace(extras=[types.SimpleNamespace(fabric=g, part=part, uv=shell_map),
                                           types.SimpleNamespace(fabric=g, part=part, uv=tail_map)])
    rec = cloth_records([person])[(1, part)]
    assert "seams" not in g and rec is not g  # the outfit (scene.json) is never changed
    assert np.allclose(rec["seams"][0], (0.12, 0.0, 0.5)) and np.allclose(rec["seams"][5], (0.18, -0.8, 0.0))


@pytest.fixture(scope="module")
def raster():
    from genb.render.raster.gl import Rasterizer

    return Rasterizer(np.array([[0, 1, 2]]), np.zeros(3, np.int64))


@pytest.fixture(scope="module")
def jeans(anny_body):
    from genb.render.dress.dresser import Dresser
    from genb.render.dress.texcoords import shell_texcoords

    d = Dresser(anny_body, store_root=None)
    shell = d.bottom_shell(1.9, 0.25)
    return shell, shell_texcoords(shell, d.atlas, d._uv_centres)


def _side_view(raster, jeans, distance: float, W=192, H=256):
    """The jeans' rest shell seen from its left (+x), the thigh at the image centre: the texcoord
    pass and a RasterOutput of flat grey cloth facing the camera."""
    from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
    from genb.render.raster.gl import RasterOutput
    from genb.render.raster.normals import encode_normal_xy
    from genb.render.raster.texcoord_pass import build_texcoord_pass, render_texcoord_pass
    import pyrender

    shell, cmap = jeans
    r = np.asarray(shell.rest, np.float32)
    world = np.stack([r[:, 1], distance + 0.1 - r[:, 0], r[:, 2] + 1.1], 1)  # +x (the left side) faces the camera
    piece = types.SimpleNamespace(vertices=world, uv=cmap)
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 0.8]), camera_to_world_rotation(0, 0, 0))
    rgba, depth = render_texcoord_pass(raster, build_texcoord_pass(pyrender, K, ext, [[piece]]), W, H)
    hit = depth > 0
    out = RasterOutput(color=np.full((H, W, 3), 90, np.uint8), coverage=hit.astype(np.float32), depth=depth.copy(),
                       instances=hit.astype(np.uint8), parts=np.where(hit, PART_INDEX["lower_clothes"], 0).astype(np.uint8),
                       normals=encode_normal_xy(np.full((H, W, 2), 128, np.uint8), hit))
    return out, rgba, depth, K, cmap


def _draw(out, rgba, depth, K, record):
    from genb.render.raster.detail import apply_cloth

    o = types.SimpleNamespace(**{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(out).items()})
    apply_cloth(o, rgba, depth, {(1, PART_INDEX["lower_clothes"]): record}, K)
    return o


def test_jeans_outseam_is_a_straight_continuous_groove_down_the_leg(raster, jeans):
    out, rgba, depth, K, cmap = _side_view(raster, jeans, 0.45)
    g = {"kind": "bottom", "type": "jeans", "color": "3b5a8a", "pattern": "denim", "pattern_scale": 0.005}
    plain, seamed = _draw(out, rgba, depth, K, g), _draw(out, rgba, depth, K, {**g, "seams": cmap.seams})
    for name in ("depth", "instances", "parts"):
        assert np.array_equal(getattr(plain, name), getattr(seamed, name))
    darker = plain.color.astype(np.float32).sum(-1) - seamed.color.astype(np.float32).sum(-1)
    bent = (plain.normals != seamed.normals).any(-1)
    uv = decode_texcoords(rgba.reshape(-1, 4)).reshape(*depth.shape, 2)
    H, W = depth.shape
    leg = (depth > 0) & (uv[..., 1] < -1.35 - 0.1) & (uv[..., 1] > -1.35 - 0.6)  # the left thigh and shin
    rows = [y for y in range(H) if leg[y].sum() > 20]
    assert len(rows) > H // 3
    cols = np.array([int(np.argmax(np.where(leg[y], darker[y], -1e9))) for y in rows])
    at_seam = np.abs(uv[rows, cols, 0]) < 0.004  # the darkest pixel of every row lies on the outseam (u = 0)
    assert at_seam.mean() > 0.9
    fit = np.polyval(np.polyfit(rows, cols, 2), rows)
    assert np.percentile(np.abs(cols - fit), 90) <= 1.5  # one smooth line, not scattered marks
    assert all(bent[y, max(c - 1, 0):c + 2].any() for y, c in zip(rows, cols))  # the normal map shows it all along
    assert darker[rows, cols].min() > 3


def test_far_jeans_keep_their_bytes(raster, jeans):
    out, rgba, depth, K, cmap = _side_view(raster, jeans, 2.2)  # 10 mm of cloth per pixel or more
    g = {"kind": "bottom", "type": "jeans", "color": "3b5a8a", "pattern": "denim", "pattern_scale": 0.005}
    plain, seamed = _draw(out, rgba, depth, K, g), _draw(out, rgba, depth, K, {**g, "seams": cmap.seams})
    assert (depth > 0).sum() > 200
    assert np.array_equal(plain.color, seamed.color) and np.array_equal(plain.normals, seamed.normals)


def test_a_solid_garment_changes_only_at_its_seams_and_edges(raster, jeans):
    """A solid garment drawn per pixel for its seams: its colour-pass values stay wherever no seam,
    hem or band is near (more than 2 cm off every line), and its outseam darkens the cloth."""
    out, rgba, depth, K, cmap = _side_view(raster, jeans, 0.45)
    g = {"kind": "bottom", "type": "trousers", "color": "8a7a5a", "pattern": "solid"}
    seamed = _draw(out, rgba, depth, K, {**g, "seams": cmap.seams})
    assert np.array_equal(_draw(out, rgba, depth, K, g).color, out.color)  # no layout: nothing drawn
    changed = (seamed.color != out.color).any(-1) | (seamed.normals != out.normals).any(-1)
    uv = decode_texcoords(rgba.reshape(-1, 4)).reshape(*depth.shape, 2)
    lay = cmap.seams
    leg = (depth > 0) & (uv[..., 1] < -1.0)
    u, v = uv[..., 0], uv[..., 1] + 1.35
    pi_r = np.pi * lay[3, 0]
    off_lines = (np.abs(u - pi_r * np.rint(u / pi_r)) > 0.02) & (v - lay[3, 1] > 0.05)
    assert changed[leg].mean() > 0.02
    assert not changed[leg & off_lines].any()
    assert (seamed.color[leg & (np.abs(u) < 0.001)].astype(int).sum(-1) < out.color[leg & (np.abs(u) < 0.001)].astype(int).sum(-1)).all()


def test_real_shells_coordinates_tell_their_regions(anny_body):
    """Every map vertex of real shells (a hooded long-sleeved top, a tank top, jeans, shorts) is read
    back into its own chart's region from its cloth coordinates: the region offsets never overlap on a
    body. Tops are trunk and arms (their hips the trunk's), trousers and shorts two legs up to the waist."""
    from genb.render.dress.dresser import Dresser
    from genb.render.dress.texcoords import shell_texcoords

    d = Dresser(anny_body, store_root=None)
    expect = ({0, 1, 2}, {0}, {3, 4}, {3, 4})
    for shell, want in zip((d.top_shell(1.98, 0.0, hood=True), d.top_shell(-1.0, 0.1), d.bottom_shell(1.97, 0.3),
                            d.bottom_shell(0.5, 0.22)), expect):
        cmap = shell_texcoords(shell, d.atlas, d._uv_centres)
        used = np.unique(cmap.faces)
        got = regions(*cmap.uv[used].astype(np.float32).T)
        assert np.array_equal(got, cmap.region[used])
        assert set(np.unique(got).tolist()) == want
        assert np.isfinite(cmap.seams[sorted(want)]).all()


def _flat(fabric, lay, region, u, v):
    """Albedo factor and slope magnitude of ``fabric``'s seams over a grid of cloth coordinates (region's
    own frame, metres), 1.5 mm of cloth per pixel: (len(v), len(u)) arrays (1 and 0 where nothing is drawn)."""
    from genb.render.dress.fabric import REGION_OFFSETS
    from genb.render.dress.seams import apply_seams

    U, V = np.meshgrid(u, v)
    uu = (U.ravel() + REGION_OFFSETS[region, 0]).astype(np.float32)
    vv = (V.ravel() + REGION_OFFSETS[region, 1]).astype(np.float32)
    base = np.full((len(uu), 3), 0.5, np.float32)
    got = apply_seams({**fabric, "seams": lay}, uu, vv, np.full(len(uu), 0.0015, np.float32), lambda ids: base[ids])
    dark, slope = np.ones(len(uu)), np.zeros(len(uu))
    if got is not None:
        at, alb, su, sv = got
        dark[at] = alb.mean(-1) / 0.5
        slope[at] = np.hypot(su, sv)
    return dark.reshape(U.shape), slope.reshape(U.shape)


def test_jeans_have_back_pockets_and_front_openings_trousers_only_openings():
    """Trousers are two legs up to the waist: on a leg's chart (u = 0 at the outseam, its back's middle
    at +pi R / 2) jeans have a patch pocket on the back and both bottoms a curved front opening."""
    R = 0.09
    lay = np.full((6, 3), np.nan, np.float32)
    lay[3] = (R, -0.8, 0.145)
    u = np.linspace(-np.pi * R, np.pi * R, 567)
    v = np.linspace(0.145, -0.08, 226)  # 1 mm rows from the top
    jeans = {"kind": "bottom", "type": "jeans", "color": "3b5a8a", "pattern": "denim"}
    trousers = {"kind": "bottom", "type": "trousers", "color": "8a7a5a", "pattern": "solid"}
    dj, sj = _flat(jeans, lay, 3, u, v)
    dt, st = _flat(trousers, lay, 3, u, v)
    back = np.pi * R / 2
    row = np.argmin(np.abs(v - (0.145 - 0.15)))  # 15 cm below the waist: across the back pocket
    for side in (-1, 1):
        edge = np.abs(u - (back + side * 0.055)) < 0.002
        assert sj[row, edge].max() > 0 and dj[row, edge].min() < 0.97  # its stitched side
        assert dt[row, edge].min() == 1.0  # trousers have none
    inner = np.abs(u - back) < 0.03
    assert sj[row, inner].max() == 0  # flat inside
    # the front opening: a circle's arc from the band 9.3 cm in front of the outseam down to it
    near_band = np.argmin(np.abs(v - (0.145 - 0.06)))
    cols = np.flatnonzero(np.abs(u + 0.093) < 0.01)
    mid = np.flatnonzero(np.abs(u + 0.2) < 0.005)  # towards the fly: nothing
    for d, s in ((dj, sj), (dt, st)):
        assert s[near_band, cols].max() > 0
        assert s[near_band, mid].max() == 0
    low = np.argmin(np.abs(v - (0.145 - 0.125)))  # the arc meets the outseam 13.5 cm down
    assert (s[low - 12:low + 12, np.abs(u + 0.004) < 0.004] > 0).any()


def test_shirts_have_a_chest_pocket_and_sleeves_an_armhole_seam():
    R = 0.117
    lay = np.full((6, 3), np.nan, np.float32)
    lay[0] = (R, 0.0, 0.53)
    lay[1] = lay[2] = (0.048, 0.18, 0.35)
    u = np.linspace(-np.pi * R, np.pi * R, 368)
    v = np.linspace(0.53, 0.0, 531)
    shirt = {"kind": "top", "type": "long_sleeve_shirt", "color": "c0c8d0", "pattern": "solid", "sleeve": 1.9}
    tee = {**shirt, "type": "t_shirt", "sleeve": 0.5}
    _, s_shirt = _flat(shirt, lay, 0, u, v)
    _, s_tee = _flat(tee, lay, 0, u, v)
    _, s_sweater = _flat({**shirt, "type": "sweater"}, lay, 0, u, v)  # pulled over the head: no pocket
    row = np.argmin(np.abs(v - (0.53 - 0.2)))  # across the pocket
    front = np.pi * R / 2
    left = np.abs(u - (front - 0.075 - 0.045)) < 0.002  # the pocket's outer side (the wearer's left)
    right = np.abs(u - (front + 0.075 + 0.045)) < 0.002  # the mirror place: nothing
    assert s_shirt[row, left].max() > 0 and s_shirt[row, right].max() == 0 and s_tee[row, left].max() == 0
    assert s_sweater[row, left].max() == 0
    ua = np.linspace(-np.pi * 0.048, np.pi * 0.048, 101)
    va = np.linspace(0.35, 0.18, 171)
    _, s_arm = _flat(tee, lay, 1, ua, va)
    hit = s_arm[:, 50] > 0  # down the sleeve's top (u = 0), away from its underarm seam
    assert hit[np.abs(va - (0.35 - 0.06)) < 0.002].any()  # the armhole, 6 cm out from the armpit
    assert not hit[(va < 0.35 - 0.075) & (va > 0.18 + 0.04)].any()  # nothing else until the hem


def test_seams_read_the_callers_local_frame_as_their_own():
    """A patterned garment's pixels carry their regions and local coordinates once (raster.detail):
    handed to apply_seams, the seams are the same bits as computed there, over near and far pixels."""
    from genb.render.dress.seams import apply_seams, local_frame

    rng = np.random.default_rng(4)
    lay = np.full((6, 3), np.nan, np.float32)
    lay[0], lay[3], lay[4] = (0.15, -0.05, 0.62), (0.09, -0.8, 0.145), (0.09, -0.8, 0.145)
    n = 40000
    u = rng.uniform(-1.0, 1.5, n).astype(np.float32)
    v = np.where(rng.random(n) < 0.5, rng.uniform(-0.1, 0.7, n), rng.uniform(-2.2, -1.2, n)).astype(np.float32)
    fabric = {"kind": "bottom", "type": "jeans", "color": "3b5a8a", "pattern": "denim", "seams": lay}
    base = rng.random((n, 3)).astype(np.float32)
    for fp in (np.full(n, 0.0015, np.float32), rng.uniform(0.001, 0.012, n).astype(np.float32)):
        own = apply_seams(fabric, u, v, fp, lambda ids: base[ids])
        shared = apply_seams(fabric, u, v, fp, lambda ids: base[ids], local_frame(u, v))
        assert own is not None and len(own[0]) > 1000
        for a, b in zip(own, shared):
            assert np.array_equal(a, b)


def test_solid_seams_fade_in_with_the_scale_instead_of_popping_in():
    """Mid-distance people (350-450 px per metre, 2.2-2.9 mm of cloth per pixel, where buttons are a few
    pixels wide) get a solid garment's seams faded in with their scale: none below 350 px/m, whole from
    450 px/m, in between the seams' change of albedo and slopes scaled by the weight (today's main:
    nothing up to 450 px/m, then all of it)."""
    from genb.render.dress.lod import detail_of
    from genb.render.dress.seams import apply_seams, solid_seams

    shirt = {"kind": "top", "type": "long_sleeve_shirt", "color": "8a7a5a", "pattern": "solid", "sleeve": 1.9}
    assert not solid_seams(shirt, detail_of(340.0)) and detail_of(340.0).seam_weight == 0.0
    mid = detail_of(400.0)
    assert solid_seams(shirt, mid) and mid.seam_weight == pytest.approx(0.5)
    assert detail_of(450.0).seam_weight == 1.0 and detail_of(2000.0).seam_weight == 1.0
    lay = np.full((6, 3), np.nan, np.float32)
    lay[0] = (0.15, -0.05, 0.62)
    u = np.linspace(-0.5, 0.5, 700, dtype=np.float32)
    v = np.linspace(-0.05, 0.62, 400, dtype=np.float32)
    U, V = (x.ravel() for x in np.meshgrid(u, v))
    fp = np.full(len(U), 0.003, np.float32)
    base = np.full((len(U), 3), 0.4, np.float32)
    whole = apply_seams({**shirt, "seams": lay}, U, V, fp, lambda ids: base[ids])
    half = apply_seams({**shirt, "seams": lay, "seam_weight": 0.5}, U, V, fp, lambda ids: base[ids])
    assert np.array_equal(whole[0], half[0]) and np.abs(whole[1] - 0.4).max() > 0.1  # the placket's buttons
    assert np.allclose(half[1] - 0.4, 0.5 * (whole[1] - 0.4), atol=1e-6)
    assert np.allclose(half[2], 0.5 * whole[2]) and np.allclose(half[3], 0.5 * whole[3])


def test_a_placket_buttons_shirts_jackets_and_coats_not_sweaters_or_hoodies():
    """A button placket runs down the front of a long-sleeved shirt and a closed jacket or coat; a
    sweater, a hoodie (or any hooded top) is pulled over the head and has none (before: every top
    with long sleeves got one, buttons and all, a hoodie's under its hood)."""
    from genb.render.dress.seams import apply_seams

    lay = np.full((6, 3), np.nan, np.float32)
    lay[0] = (0.15, -0.05, 0.62)  # the trunk: u across 0.15 m, v from the hem to the neck
    u = np.linspace(0.222, 0.262, 80, dtype=np.float32)  # along the front's middle (the placket)
    v = np.linspace(0.25, 0.5, 125, dtype=np.float32)  # clear of the hem, the neckband, the pockets (a hoodie's
    # kangaroo pocket's top 0.23 m up) and a hoodie's cords (4.8 cm off the middle)
    U, V = (x.ravel() for x in np.meshgrid(u, v))
    fp = np.full(len(U), 0.002, np.float32)
    base = np.full((len(U), 3), 0.4, np.float32)

    def change(**garment):
        fabric = {"kind": "top", "color": "8a7a5a", "pattern": "solid", "sleeve": 1.9, "seams": lay, **garment}
        got = apply_seams(fabric, U, V, fp, lambda ids: base[ids])
        return 0.0 if got is None else float(np.abs(got[1] - 0.4).max())

    assert change(type="long_sleeve_shirt") > 0.1 and change(kind="coat", type="jacket") > 0.1
    assert change(type="sweater") < 0.02 and change(type="hoodie", hood=True) < 0.02
    assert change(type="zip_top", hood=True) < 0.02


def test_hoodies_have_drawstrings_and_a_kangaroo_pocket():
    """A hooded top has the hood's two drawstrings down from the front of its neckline (4.5 cm either
    side of the middle, 23 cm long, for a trunk radius of 14 cm) and a kangaroo pocket low on the front
    (sewn along its top 26 cm above the hem, slanted hand openings); a sweater has neither (d0d7369: a
    hoodie was a sweater with a bulge on its back, nothing on its front)."""
    R, lo, hi = 0.14, -0.06, 0.56
    lay = np.full((6, 3), np.nan, np.float32)
    lay[0] = (R, lo, hi)
    front = np.pi * R / 2
    u = front + np.linspace(-0.2, 0.2, 401)  # 1 mm columns across the front's middle
    v = np.linspace(hi, lo, 621)  # 1 mm rows from the top
    hoodie = {"kind": "top", "type": "hoodie", "hood": True, "color": "bcbcbc", "pattern": "solid", "sleeve": 1.9}  # linear 0.5 as _flat's base
    d_h, s_h = _flat(hoodie, lay, 0, u, v)
    d_s, s_s = _flat({**hoodie, "type": "sweater", "hood": False}, lay, 0, u, v)
    x = u - front
    down = hi - v - 0.029  # metres below the front of the neckline (dress.neckline: 2.9 cm below the back's)
    rows = (down > 0.03) & (down < 0.2)
    for side in (-1, 1):
        cord = np.abs(x - side * 0.045) < 0.0015
        assert (np.abs(d_h[rows][:, cord] - 1) > 0.1).all()  # a paler cord all the way down
        assert (d_s[rows][:, cord] == 1).all()
    past = (down > 0.25) & (down < 0.3)  # below the cords' ends
    assert (d_h[past][:, np.abs(x - 0.045) < 0.0015] == 1).all()
    between = np.abs(x) < 0.02
    assert (d_h[rows][:, between] == 1).all()  # plain cloth between the cords
    top = np.argmin(np.abs(v - (lo + 0.26)))  # the pocket's top seam across the middle
    assert (s_h[top - 2:top + 3][:, between].max(0) > 0).all() and s_s[top - 2:top + 3].max() == 0
    mid = np.argmin(np.abs(v - (lo + 0.19)))  # a hand opening, slanting out from 10 to 16.5 cm
    for side in (-1, 1):
        opening = (np.abs(x - side * 0.1325) < 0.01)
        assert s_h[mid, opening].max() > 0 and s_s[mid].max() == 0
    assert s_h[mid, np.abs(x) < 0.09].max() == 0  # flat inside the pocket
