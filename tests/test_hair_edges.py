"""Hair that ends softly and irregularly: the fringe at the hair's outline (coverage thinning strand by
strand), locks that taper to their tips at their own lengths, strands and clumps of irregular widths
(no single stripe frequency), and tufts that break a short cut's offset outline."""

import numpy as np

from genb.core.conventions import PART_INDEX

HAIR = PART_INDEX["hair"]


# ----------------------------------------------------------------------------- the fringe
def _disk_scene(depth_m=1.0, radius=20, size=64):
    """A hair disk (value 50) on a plain surround (value 200), seen at ``depth_m`` with fx = 500."""
    from genb.render.raster.strands import StrandPixels

    yy, xx = np.mgrid[:size, :size]
    hair = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < radius ** 2
    flat = np.flatnonzero(hair.ravel())
    image = np.where(hair[..., None], 50.0, 200.0).astype(np.float32) * np.ones(3, np.float32)
    depth = np.full((size, size), depth_m, np.float32)
    K = np.array([[500.0, 0, size / 2], [0, 500.0, size / 2], [0, 0, 1]])
    rows, cols = np.divmod(flat, size)
    # strands run down the image; u across them (columns), 2 mm per pixel at 1 m
    tangent = np.tile(np.array([0.0, 1.0, 0.0], np.float32), (len(flat), 1))
    u = (cols * depth_m / 500.0).astype(np.float32)
    jitter = np.zeros(len(flat), np.float32)
    strands = StrandPixels(flat, tangent, jitter, np.ones(len(flat), np.float32), u)
    return image, hair, depth, K, strands


def test_the_hair_thins_out_at_its_outline_strand_by_strand_and_nowhere_else():
    """Close (2 mm per pixel: a 3 px fringe) the hair's outermost pixels cover only part of what lies
    behind them (between the hair's value and the surround's), the coverage rises inward and is full
    a few pixels in; where the strands end at the outline (top and bottom of the disk) the coverage
    varies strand by strand, where they run along it (left and right) it is a smooth ramp; nothing
    outside the hair changes. Far (2 cm per pixel) nothing changes at all."""
    import cv2

    from genb.render.raster.hair_fringe import soften_hair_edges

    image, hair, depth, K, strands = _disk_scene()
    out = image.copy()
    changed = soften_hair_edges(out, strands, depth, K)
    assert changed > 0
    assert np.array_equal(out[~hair], image[~hair])
    dist = cv2.distanceTransform(hair.astype(np.uint8), cv2.DIST_L2, 3)
    cover = (200.0 - out[..., 0]) / 150.0  # 1: hair, 0: what lies behind
    ring = hair & (dist < 1.5)
    deep = hair & (dist > 8)
    assert np.allclose(cover[deep], 1.0)
    assert 0.1 < cover[ring].mean() < 0.75, cover[ring].mean()
    means = [cover[hair & (dist >= d) & (dist < d + 1)].mean() for d in (1, 2, 3, 4)]
    assert all(b >= a for a, b in zip(means, means[1:])), means  # rising inward
    yy, xx = np.mgrid[:64, :64]
    tips = ring & (np.abs(xx - 32) < 8)  # strands (vertical) end on the top and bottom of the outline
    sides = ring & (np.abs(yy - 32) < 5)
    assert cover[tips].std() > 0.15, cover[tips].std()  # ragged: strands stop at their own distance
    assert cover[sides].std() < 0.5 * cover[tips].std(), (cover[sides].std(), cover[tips].std())  # smooth sides
    far_img, _, far_depth, _, far_strands = _disk_scene(depth_m=10.0)
    before = far_img.copy()
    assert soften_hair_edges(far_img, far_strands, far_depth, K) == 0
    assert np.array_equal(far_img, before)


def test_no_strands_or_no_strand_coordinates_change_nothing():
    from genb.render.raster.hair_fringe import soften_hair_edges

    image, hair, depth, K, strands = _disk_scene()
    before = image.copy()
    assert soften_hair_edges(image, None, depth, K) == 0
    strands.u = None
    assert soften_hair_edges(image, strands, depth, K) == 0
    assert np.array_equal(image, before)


# ----------------------------------------------------------------------------- locks
def _standing_keypoints():
    from genb.core.conventions import BODY25_INDEX as K

    kp = np.zeros((25, 3))
    kp[K["nose"]] = (0.0, -0.1, 1.62)
    kp[K["left_ear"]], kp[K["right_ear"]] = (0.075, 0.0, 1.6), (-0.075, 0.0, 1.6)
    kp[K["neck"]] = (0.0, 0.0, 1.45)
    kp[K["left_shoulder"]], kp[K["right_shoulder"]] = (0.18, 0.0, 1.42), (-0.18, 0.0, 1.42)
    kp[K["mid_hip"]] = (0.0, 0.0, 0.95)
    return kp


def test_long_hair_thins_to_tips_that_end_at_their_own_lengths():
    """Long hair's sheet is one closed slab per panel (every edge shared by two faces but along the
    root and the tips), thins to its tips (a third of its thickness there or less), and its chains'
    lengths differ (tips at several heights, not a straight hem); deterministic."""
    from genb.render.dress.hair_locks import LENGTH, NODES, THICK, hair_locks, thick_taper

    hair = {"style": "long", "color": "2e2119", "hairline": "long", "thickness": 0.016, "shape": "none"}
    mesh = hair_locks(hair, _standing_keypoints(), 0.016, None)
    assert thick_taper(np.array([1.0]))[0] <= 0.3 + 1e-9
    lengths, open_edges = [], 0
    for start, p in mesh.panels:
        rings = mesh.vertices[start:start + NODES * 2 * p].reshape(NODES, 2 * p, 3).astype(np.float64)
        outer, inner = rings[:, :p], rings[:, p:][:, ::-1]
        gap = np.linalg.norm(outer - inner, axis=2)  # (NODES, p) the slab's thickness
        assert (gap[-1] <= 0.3 * THICK + 1e-4).all() and (gap[1] > 0.85 * THICK).all(), (gap[-1], gap[1])
        lengths.append(np.linalg.norm(np.diff(0.5 * (outer + inner), axis=0), axis=2).sum(axis=0))
    f = np.sort(np.concatenate([mesh.faces[:, [0, 1]], mesh.faces[:, [1, 2]], mesh.faces[:, [2, 0]]]).astype(np.int64), axis=1)
    _, counts = np.unique(f, axis=0, return_counts=True)
    open_edges = int((counts == 1).sum())
    assert open_edges == sum(2 * 2 * p for _, p in mesh.panels + mesh.under)  # the root's and the tip's rings only
    length = np.concatenate(lengths)
    assert length.max() - length.min() > 0.1 * LENGTH, length
    again = hair_locks(hair, _standing_keypoints(), 0.016, None)
    assert np.array_equal(mesh.vertices, again.vertices)  # deterministic


# ----------------------------------------------------------------------------- strands
def _spectrum_peak_share(x, step):
    x = x - x.mean()
    p = np.abs(np.fft.rfft(x))[1:] ** 2
    f = np.fft.rfftfreq(len(x), step)[1:]
    peak = f[np.argmax(p)]
    return float(p[np.abs(f - peak) < 0.1 * peak].sum() / p.sum())


def test_strand_relief_has_no_single_stripe_frequency():
    """Across 20 cm of hair seen at 0.3 mm per pixel, no frequency band (+-10 % around the strongest)
    holds more than a quarter of the relief's or the albedo's power (regular ridges of one width, as a
    knit's ribs, hold over 40 %), for several seeds."""
    from genb.render.dress.hair_texture import strand_albedo

    step = 0.0002
    u = np.arange(0, 0.2, step, dtype=np.float32)
    for seed in (3, 1234, 777):
        rec = {"color": "7a5a3c", "seed": seed, "skin": [0.6, 0.45, 0.35]}
        alb, slope, _, _ = strand_albedo(rec, u, np.full_like(u, 0.3), np.full_like(u, 0.0003))
        assert _spectrum_peak_share(slope, step) < 0.25, (seed, _spectrum_peak_share(slope, step))
        assert _spectrum_peak_share(alb.mean(1), step) < 0.25


def test_strands_have_irregular_widths_and_drift_along_their_length():
    """The strands' cells across u are from about half to a few times their nominal width (spread, not a
    comb), never backwards (monotone), and a cell's borders move along v (neighbours merge and part)."""
    from genb.render.dress.hair_texture import strand_cells

    u = np.arange(0, 0.3, 0.00005, dtype=np.float32)
    cell, _ = strand_cells(u, np.full_like(u, 0.1), 0.008, 5)
    assert (np.diff(cell) >= 0).all()
    edges = u[1:][np.diff(cell) > 0]
    widths = np.diff(edges) / 0.008
    assert widths.std() > 0.15 and widths.min() > 0.5 and widths.max() < 3.5, (widths.std(), widths.min(), widths.max())
    other, _ = strand_cells(u, np.full_like(u, 0.13), 0.008, 5)
    assert (other != cell).mean() > 0.1


def test_tufts_are_clumps_along_the_strands_and_wrap_at_the_parting():
    """The tufts' noise changes faster across the strands (u) than along them, is the same on both
    sides of the parting (u wraps), and a few seeded patterns serve every person (cached per shell)."""
    from genb.render.dress.hair import TUFT_VARIANTS, U_RADIUS, tuft_noise

    half = np.pi * U_RADIUS
    u, along = np.meshgrid(np.linspace(-half, half, 400), np.linspace(0.0, 0.2, 400))
    n = tuft_noise(u.ravel(), along.ravel(), 1).reshape(400, 400)
    du, dv = 2 * half / 399, 0.2 / 399
    across = np.abs(np.diff(n, axis=1)).mean() / du
    alongd = np.abs(np.diff(n, axis=0)).mean() / dv
    assert across > 1.5 * alongd, (across, alongd)
    assert np.allclose(n[:, 0], n[:, -1])
    assert n.min() < -0.5 and n.max() > 0.5
    assert TUFT_VARIANTS >= 2


# ----------------------------------------------------------------------------- a real render
def test_a_real_render_softens_only_hair_pixels_and_changes_no_label(monkeypatch):
    """A real close render with and without the fringe: only hair pixels change, some of them (the
    outline), most hair pixels not; depth, parts, instances and keypoints are the same bytes."""
    import genb.render.stage as S
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    cfg = dict(num_samples=12, seed=21, image_size=(256, 256), num_people=(1, 1), portrait_prob=0.0,
               person_height_frac=(1.3, 1.5), head_row=(0.02, 0.1), camera_height=(1.3, 1.6),
               truncation_prob=0.0, camera_effects=False, props=(0, 0), occluders=(0, 0))
    stage = RenderStage(RenderConfig(**cfg))
    index = next(i for i in range(12) if any(k[1] == HAIR for k in stage.prepare(i).fabrics))
    soft = stage.finish(stage.prepare(index))
    monkeypatch.setattr(S, "soften_hair_edges", lambda *a, **k: 0)
    hard = stage.finish(stage.prepare(index))
    for name in ("parts", "instances", "body_instances"):
        assert np.array_equal(soft.images[name], hard.images[name]), name
    assert np.array_equal(soft.depth, hard.depth)
    assert np.array_equal(soft.labels["keypoints2d"], hard.labels["keypoints2d"])
    diff = (soft.images["image"] != hard.images["image"]).any(-1)
    hair = soft.images["parts"] == HAIR
    assert diff.any() and not diff[~hair].any()
    assert 0.02 < diff[hair].mean() < 0.6, diff[hair].mean()


def test_an_occluders_edge_over_the_hair_stays_sharp():
    """Where what lies outside the hair's outline is nearer than the hair (a hand, a brim, another
    person in front), the outline is the occluder's: no hair pixel next to it is blended with it;
    the outline against what lies behind the hair still softens."""
    from genb.render.raster.hair_fringe import soften_hair_edges

    image, hair, depth, K, strands = _disk_scene()
    xx = np.mgrid[:64, :64][1]
    depth[~hair & (xx < 32)] = 0.9  # in front of the hair on the left, behind it (1.1 m) on the right
    depth[~hair & (xx >= 32)] = 1.1
    out = image.copy()
    soften_hair_edges(out, strands, depth, K)
    changed = (out != image).any(-1)
    assert not changed[:, :30].any()
    assert changed[:, 34:].sum() > 20


def test_a_locks_sides_lie_in_shade_and_its_strand_coordinates_say_it_is_a_lock():
    """Long hair's strand coordinates start at LOCK_V (u across the sheet, panels whole turns of
    LOCK_TURN apart), and the strand texture darkens the sides of its bundles (u = 0 and half a turn of
    LOCK_TURN) against their middle; a ponytail (a piece) has no such shade."""
    from genb.render.dress.hair import LOCK_TURN, LOCK_V, PIECE_V
    from genb.render.dress.hair_locks import hair_locks
    from genb.render.dress.hair_texture import strand_albedo

    hair = {"style": "long", "color": "7a5a3c", "hairline": "long", "thickness": 0.016, "shape": "none"}
    mesh = hair_locks(hair, _standing_keypoints(), 0.016, None)
    uv = mesh.uv.uv
    assert uv[:, 1].min() >= LOCK_V
    firsts = np.array([uv[np.flatnonzero(mesh.uv.index == s)[0], 0] for s, _ in mesh.panels])  # each panel's first point
    assert np.allclose(np.mod(firsts / LOCK_TURN, 1.0), 0.0, atol=1e-9), firsts  # each panel a whole number of turns on
    rec = {"color": "7a5a3c", "seed": 9, "skin": [0.6, 0.45, 0.35]}
    n = 4000
    along = np.linspace(0.0, 0.3, n).astype(np.float32)
    fp = np.full(n, 0.02, np.float32)  # strands under a pixel: only the lock's own shade varies
    at = lambda ph, v0: strand_albedo(rec, np.full(n, ph * LOCK_TURN, np.float32), v0 + along, fp)[0].mean()  # noqa: E731
    sides, middle = 0.5 * (at(0.0, LOCK_V) + at(0.5, LOCK_V)), 0.5 * (at(0.25, LOCK_V) + at(0.75, LOCK_V))
    assert sides < 0.7 * middle, (sides, middle)
    assert np.isclose(at(0.0, PIECE_V), at(0.25, PIECE_V), rtol=0.02)
