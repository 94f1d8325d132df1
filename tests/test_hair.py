"""Hair that reads as hair: strands per pixel (not per vertex), a hairline that thins into the skin,
curl volume, and the strands' anisotropic highlight. Real renders and the real body model."""

import numpy as np
import pytest

from genb.core.conventions import PART_INDEX

from _fixtures_bodies import anny_body  # noqa: F401

HAIR = PART_INDEX["hair"]


def _grid(n=64, step=0.0004, v0=0.05):
    """u across (columns), v along (rows), 0.4 mm apart: a 2.6 cm patch of hair seen at 0.3 mm per pixel."""
    u, v = np.meshgrid(np.arange(n) * step, v0 + np.arange(n) * step)
    return u.ravel().astype(np.float32), v.ravel().astype(np.float32)


def test_strands_vary_across_them_far_more_than_along_them():
    """Near, the strand texture changes from one strand to the next (across u) and hardly along a
    strand (v); far (a 2 cm footprint), it is its mean colour (prefiltered)."""
    from genb.render.dress.hair_texture import strand_albedo

    rec = {"pattern": "hair", "color": "5a4030", "seed": 7, "skin": [0.7, 0.5, 0.4]}
    u, v = _grid()
    alb, slope, jitter, share = strand_albedo(rec, u, v, np.full(u.size, 0.0003, np.float32))
    g = alb.mean(1).reshape(64, 64)
    across = np.abs(np.diff(g, axis=1)).mean()
    along = np.abs(np.diff(g, axis=0)).mean()
    assert across > 4 * along, (across, along)
    assert g.std() / g.mean() > 0.12  # light and dark strands
    assert np.abs(slope).max() > 0.2 and (share == 1).all()
    far, _, _, _ = strand_albedo(rec, u, v, np.full(u.size, 0.02, np.float32))
    assert far.mean(1).std() < 0.02 * far.mean()  # under a pixel: the mean, no aliasing


def test_curls_bend_the_strands():
    """A curly record's strands wave across u along v: a row of constant u crosses strands."""
    from genb.render.dress.hair_texture import strand_albedo

    u, v = _grid()
    fp = np.full(u.size, 0.0003, np.float32)
    straight = strand_albedo({"color": "5a4030", "seed": 3}, u, v, fp)[0].mean(1).reshape(64, 64)
    curly = strand_albedo({"color": "5a4030", "seed": 3, "curl": "curly"}, u, v, fp)[0].mean(1).reshape(64, 64)
    along = lambda g: np.abs(np.diff(g, axis=0)).mean()  # noqa: E731
    assert along(curly) > 2 * along(straight)


def test_the_hairline_thins_into_the_skin_without_a_hard_edge():
    """Going from the hairline (v = 0) into the hair, the hair's share rises over about a centimetre,
    strand by strand (at one distance some strands have stopped, others not), from a thin fuzz at the
    edge (never bare skin on the hair's own mesh, never full hair) to full hair."""
    from genb.render.dress.hair_texture import hairline_share

    u = (np.arange(2000) * 0.0003).astype(np.float32)
    fp = np.full(u.size, 0.0003, np.float32)
    means = []
    for v in (0.0, 0.002, 0.004, 0.006, 0.008, 0.015, 0.03):
        s = hairline_share(u, np.full(u.size, v, np.float32), fp, 5)
        means.append(s.mean())
        if 0.004 <= v <= 0.006:  # strands end at their own distance: some strands on, others off
            assert ((s > 0.8).mean() > 0.1) and ((s < 0.7).mean() > 0.1), v
    assert 0.3 < means[0] < 0.8, means
    assert all(b >= a - 0.02 for a, b in zip(means, means[1:])), means
    assert len({round(m, 1) for m in means[:5]}) >= 3, means  # several steps in between: no single edge
    assert means[-1] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def dresser(anny_body):
    from genb.render.dress import Dresser

    return Dresser(anny_body)


@pytest.mark.parametrize("hairline", ["short", "medium", "long"])
def test_hair_shells_carry_strand_coordinates_and_thin_out_at_the_hairline(dresser, hairline):
    """v is 0 on the hairline and grows to several cm on the crown; u runs around the crown; the
    shell's thickness tapers to a fifth at the hairline (no ledge over the forehead)."""
    from genb.render.dress.hair import EDGE_LIFT, boundary_vertices, shell_strands

    shell = dresser.hair_shell(hairline)
    st = shell_strands(shell, dresser.atlas)
    G = shell.num_vertices
    v = st.map.uv[:G, 1]
    edge = boundary_vertices(shell.faces, shell.rest)
    on_head = st.head[edge, 2] > -0.12
    assert np.abs(v[edge[on_head]]).max() < 1e-6
    assert v.max() > 0.06
    top = np.argmax(st.head[:, 2])
    assert v[top] > 0.05
    assert st.taper[edge[on_head]].max() == pytest.approx(EDGE_LIFT)
    assert st.taper[top] == pytest.approx(1.0)
    assert np.ptp(st.map.uv[:, 0]) > 0.5  # once around the crown (2 pi x 0.1 m)


def test_curly_hair_has_lumpy_volume_deterministically(dresser):
    """A curly style's offset varies over the head at a few cm (lumps of volume) and is the same for
    the same record, another for another person's; under a cap no lumps (the cap stays over the hair)."""
    from genb.render.dress.hair import hair_profile, shell_strands
    from genb.render.dress.hairline import cap_line

    st = shell_strands(dresser.hair_shell("medium"), dresser.atlas)
    rec = {"style": "curly", "color": "141110", "thickness": 0.04, "curl": "curly"}
    a = hair_profile(st, rec, capped=False)
    assert np.array_equal(a, hair_profile(st, dict(rec), capped=False))
    inner = st.taper == 1.0
    assert a[inner].std() > 0.08 and a[inner].max() > 1.15
    b = hair_profile(st, {**rec, "thickness": 0.041}, capped=False)
    assert not np.allclose(a, b)
    capped = hair_profile(st, rec, capped=True)  # the taper, pressed under the cap's band (hairline.cap_press)
    low = st.head[:, 2] < cap_line(st.head) - 0.08  # 8 cm under the cap's edge: the taper alone
    assert low.any() and np.array_equal(capped[low], st.taper[low]) and (capped <= st.taper).all()


def _stage(**kw):
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    cfg = dict(num_samples=12, seed=21, image_size=(256, 256), num_people=(1, 1), portrait_prob=0.0,
               person_height_frac=(1.3, 1.5), head_row=(0.02, 0.1), camera_height=(1.3, 1.6),
               truncation_prob=0.0, camera_effects=False, props=(0, 0), occluders=(0, 0))
    cfg.update(kw)
    return RenderStage(RenderConfig(**cfg))


def _high_pass(image, mask):
    import cv2

    g = image.astype(np.float32).mean(-1)
    inner = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)  # off the hair's outline
    return float(np.abs(g - cv2.blur(g, (3, 3)))[inner].mean()), int(inner.sum())


def _hair_close_up(stage, need: int = 300) -> int:
    """The first sample whose hair covers ``need`` pixels 2 px in from its outline (the label pass alone):
    a head near enough for the strands' pixel-to-pixel change to be measured. With seed 21 on 8699cdb sample
    0 (the test took the first with hair; all have some) had 438 such pixels; after the s34 framing's draws
    its head has 124 (a smaller head, the test's n > 150 failed), sample 1 2016 (high-pass 6.1 with the
    strands, 1.1 with vertex colours alone)."""
    for i in range(12):
        prep = stage.prepare(i)
        res = list(stage.rasterize(prep))
        res.pop(1)  # the shadow map
        hair = stage.raster.decode(res, prep.cam_ext, True).parts == HAIR
        if _high_pass(np.zeros((*hair.shape, 3), np.uint8), hair)[1] >= need:
            return i
    raise AssertionError(f"no head with {need} hair pixels in 12 samples")


def test_hair_is_drawn_per_pixel_in_a_real_render_and_changes_no_label(monkeypatch):
    """A real render of heads close up: inside the hair the image changes from pixel to pixel (strands,
    their relief and highlight) far more than with the hair's vertex colours alone, and the normal map
    shows the strands on hair pixels; depth, parts, instances and keypoints are the same bytes."""
    import genb.render.dress.dresser as D

    stage = _stage()
    index = _hair_close_up(stage)
    with_hair = stage.finish(stage.prepare(index))
    monkeypatch.setattr(D, "hair_record", lambda *a, **k: None)  # the hair's vertex colours only, as before
    plain = stage.finish(stage.prepare(index))
    for name in ("parts", "instances", "body_instances"):
        assert np.array_equal(with_hair.images[name], plain.images[name]), name
    assert np.array_equal(with_hair.depth, plain.depth)
    assert np.array_equal(with_hair.labels["keypoints2d"], plain.labels["keypoints2d"])
    hair = plain.images["parts"] == HAIR
    hp_hair, n = _high_pass(with_hair.images["image"], hair)
    hp_plain, _ = _high_pass(plain.images["image"], hair)
    assert n >= 300, n  # the close-up's precondition, on the finished render's labels
    print("high-pass in the hair, strands / vertex colours", hp_hair, hp_plain)
    # 2.2 before the natural hairline (dress.hairline, the hair now also covers the temples, where it is thin)
    # and the smooth strand directions (strands.meridian_tangents: the highlight no longer jumps at every triangle)
    assert hp_hair > 1.0 and hp_hair > 1.6 * hp_plain, (hp_hair, hp_plain)
    diff_n = (with_hair.images["control_normal"] != plain.images["control_normal"]).any(-1)
    assert diff_n[hair].mean() > 0.04  # the clumps (8 mm) at about 5 mm per pixel; finer strands fade out
    assert not diff_n[~hair].any()


def test_curly_styles_carry_their_curl_without_moving_the_random_stream():
    """The wardrobe's curly style puts ``curl`` in the outfit's hair record; drawing it takes nothing
    from the wardrobe's random stream (the next outfits are the same as with a style without curl)."""
    import copy

    from genb.render.dress import load_wardrobe, sample_outfit

    w = load_wardrobe("everyday")
    plain = copy.deepcopy(w)
    plain["hair"]["styles"]["curly"].pop("curl")
    a = [sample_outfit(np.random.default_rng(4), w, {"gender": "female", "age_group": "adult"}) for _ in range(1)]
    rng_a, rng_b = np.random.default_rng(4), np.random.default_rng(4)
    seq_a = [sample_outfit(rng_a, w, {"gender": "female", "age_group": "adult"}) for _ in range(60)]
    seq_b = [sample_outfit(rng_b, plain, {"gender": "female", "age_group": "adult"}) for _ in range(60)]
    curly = [o for o in seq_a if o["hair"]["style"] == "curly"]
    assert a and curly and all(o["hair"]["curl"] == "curly" for o in curly)
    for x, y in zip(seq_a, seq_b):
        x["hair"].pop("curl", None)
        assert x == y


@pytest.mark.parametrize("style", ["beard", "moustache"])
def test_a_beard_is_drawn_as_strands_thinning_to_its_edge(anny_body, dresser, style):
    """A beard or a moustache carries strand coordinates and the person's hair record (drawn per
    pixel like the scalp's hair), and it thins to its edge: before, a uniform 8 mm shell of flat
    colour read as a lump of foam on the jaw in close-ups; stubble is drawn per pixel too (it was a shell
    of flat per-vertex streaks)."""
    from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix
    from genb.render.raster.meshes import vertex_normals

    rot = euler_xyz_to_matrix(PoseLibrary().key_pose("standing")[None])
    posed = anny_body.pose(np.full((1, 6), 0.5, np.float32), rot)
    v, kp = posed.vertices[0], posed.keypoints[0]
    n = vertex_normals(v, np.asarray(anny_body.faces))
    hair = {"hairline": "short", "style": "short", "thickness": 0.01, "color": "3b2a1e"}
    for facial in (style, "stubble"):
        meshes = dresser.dress({"garments": [], "hair": hair, "facial_hair": facial}, v, n, kp)
        (m,) = [x for x in meshes if x.part == PART_INDEX["facial_hair"]]
        assert m.fabric["pattern"] == "hair" and m.fabric["color"] == "3b2a1e" and m.uv is not None
        if facial == "stubble":  # a tint of short hairs over the skin (dress.facial_hair), drawn per pixel too
            assert m.fabric["facial"]["short"]
            continue
        from genb.render.dress.hair import boundary_vertices

        from genb.render.dress.shells import pose_shell

        shell = dresser.region_shell(style)
        off = np.linalg.norm(m.vertices - pose_shell(shell, v, n, 0.0)[0], axis=1)  # its thickness
        edge = boundary_vertices(shell.faces, shell.rest)
        inner = np.setdiff1d(np.arange(shell.num_vertices), edge)
        assert np.median(off[edge]) < 0.5 * np.median(off[inner])  # a uniform shell: 1


def test_a_beards_cheek_line_runs_smoothly_from_the_sideburn_to_the_mouth(dresser):
    """The beard's upper edge over each cheek, from in front of the ear to beside the mouth's corner,
    descends without a step, high at the sideburn and low by the mouth. Before (hairline.beard_field),
    a box mask (3.8 cm out, 7.5 cm forward) left the cheek in front of the ear bare and cut the edge
    in steps: along the cheek it ran at -1.3, -2.4, -2.0, then -0.5 to 0 cm (a jump of 1.6 cm) and
    read as a notch in close-ups; now 0.9 cm at the sideburn down to -2.2 cm by the mouth."""
    from genb.render.dress.hair import boundary_vertices

    shell = dresser.region_shell("beard")
    head = np.asarray(shell.blend @ dresser.atlas.head)
    edge = head[boundary_vertices(shell.faces, shell.rest)]
    for sign in (1.0, -1.0):
        side = edge[(sign * edge[:, 0] > 0.03) & (edge[:, 2] > -0.06)]  # the upper edge over this cheek
        bins = np.arange(0.01, 0.08, 0.008)
        tops = [side[(side[:, 1] >= b) & (side[:, 1] < b + 0.008), 2].max(initial=-1.0) for b in bins]
        tops = np.array(tops)
        assert (tops > -0.06).all(), tops  # the edge runs the whole way
        assert np.abs(np.diff(tops)).max() < 0.012, np.round(tops, 3)
        assert tops[0] > tops[-1] + 0.015  # high at the sideburn, low by the mouth


def test_eyebrows_arch_and_thin_to_their_tails(dresser):
    """Eyebrows are painted as an arch over each eye, thickest by the nose and thinning to the tail,
    blended into the skin: before, a flat 4.4 x 1.4 cm box of 70 % hair colour on each side (heavy
    blocks in close-ups, white slabs on grey-haired people)."""
    h, w = dresser.atlas.head, dresser.brow_weight[:, 0]
    on = w > 0.3

    def span(lo, hi):  # the brow's height and middle over |x| in [lo, hi)
        z = h[on & (np.abs(h[:, 0]) >= lo) & (np.abs(h[:, 0]) < hi), 2]
        return z.max() - z.min(), 0.5 * (z.max() + z.min())

    (head_h, head_z), (peak_h, peak_z), (tail_h, tail_z) = span(0.012, 0.02), span(0.03, 0.038), span(0.044, 0.05)
    assert head_h > tail_h + 0.002, (head_h, tail_h)  # thick by the nose, thin at the tail
    assert peak_z > max(head_z, tail_z) + 0.002, (head_z, peak_z, tail_z)  # arched
    col = dresser.skin_colors({"hair": {"color": "000000"}}, np.array([0.8, 0.6, 0.5]))
    brow = col[dresser.brows]
    assert brow.min() < 0.2 and np.ptp(brow[:, 0]) > 0.1  # dark along the middle, lighter at the edges (not one flat tone)


def test_a_moustache_covers_the_upper_lip_to_the_mouths_corners(dresser):
    """A moustache runs over the upper lip as wide as the mouth, its ends a little lower than its middle
    (dress.hairline.moustache_field), and leaves the lip itself bare: before, a box cut straight across the
    upper lip (its middle 7 mm over the lip's edge, its ends 2.7 mm lower than its middle) read as a
    toothbrush moustache in close-ups; now it stops at the lip's edge and its ends droop 1.1 cm."""
    shell = dresser.region_shell("moustache")
    head = np.asarray(shell.blend @ dresser.atlas.head)
    lips = dresser.atlas.head[dresser.lips]
    x = np.abs(head[:, 0])
    assert x.max() > np.abs(lips[:, 0]).max() + 0.003, (x.max(), np.abs(lips[:, 0]).max())  # past the corners
    mid, end = head[x < 0.008, 2], head[x > 0.022, 2]
    assert end.min() < mid.min() - 0.005, (end.min(), mid.min())  # its ends droop past the lip's edge
    assert mid.max() - mid.min() > 0.01  # the middle from under the nose to the lip
    assert mid.min() > lips[np.abs(lips[:, 0]) < 0.008, 2].max() - 0.002  # not over the lip
