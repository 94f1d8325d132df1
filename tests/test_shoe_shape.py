"""A shoe's shape beyond a box on a sole (session 38): a low, round toe box, a sneaker's tongue, laces crossing
over the instep, a flat shoe's low vamp, and a smooth outline (the upper leaving the sole along a clean line,
the outline seen from above without steps). Key poses x the child, average, heavy and tall bodies; the numbers
in the docstrings are medians over them, on ccda6a9 -> now (the right foot)."""

import numpy as np
import pytest

from _fixtures_bodies import anny_body, key_posed  # noqa: F401
from test_shoes import STYLES

POSES = ("standing", "walk_toe_off", "sitting", "crouching", "lunge")


@pytest.fixture(scope="module")
def shod4(anny_body):
    return dress_right_feet(anny_body)


def dress_right_feet(anny_body):
    """(pose, body, style, body vertices, foot ids, foot frame (origin, R), {piece: local vertices}, {piece: mesh})
    for the right foot, every pose of POSES x the four key bodies x each style."""
    from genb.render.dress import Dresser
    from genb.render.dress.shoes import foot_frame
    from genb.render.raster.meshes import vertex_normals

    dresser = Dresser(anny_body)
    faces = anny_body.faces.astype(np.int64)
    out = []
    for pose, name, v, kp in key_posed(anny_body, POSES):
        n = vertex_normals(v, faces)
        o, R = foot_frame(kp, "right")
        for style, shoes in STYLES.items():
            meshes = dresser.dress({"garments": [], "shoes": shoes, "hair": {}, "accessories": []}, v, n, kp)
            own = {m.name.split(":")[2]: m for m in meshes if m.name.split(":")[1] == "right"}
            local = {k: (m.vertices.astype(np.float64) - o) @ R for k, m in own.items()}
            out.append((pose, name, style, v, dresser.feet["right"][0], (o, R), local, own))
    return out


def _median_by(rows):
    got = {}
    for k, value in rows:
        got.setdefault(k, []).append(value)
    return {k: float(np.median(q)) for k, q in got.items()}


def test_the_toe_box_is_low_and_rises_to_the_instep(shod4):
    """The upper's top at 10 % of the shoe's length from its tip, over the sole's bottom, as a share of the
    shoe's length (sneakers, standing: child 45.5, average 66.6, heavy 67.1, tall 82.2 mm -> 43.1, 52.8, 56.9,
    63.8; the toe spring lifted the whole toe box, each station stood as high as its neighbours' highest toe,
    and the nose stayed as high as the toes to the tip). Median share per style 0.20 / 0.20 / 0.18 -> 0.16 /
    0.17 / 0.15 (sneakers / boots / flat shoes), each body's at most 0.19 (0.22 before); and it rises to the
    instep: at 30 % from the tip at least 8 mm (adult) higher than at 10 %."""
    from genb.render.dress.shoe_loft import RING

    rows, rises = [], []
    for pose, name, style, v, ids, frame, local, own in shod4:
        up, so = local["upper"], local["sole"]
        x1, L, zb = so[:, 0].max(), np.ptp(so[:, 0]), so[:, 2].min()
        rings = up[:-2].reshape(-1, RING, 3)
        h = np.interp(x1 - np.array([0.1, 0.3]) * L, rings[:, 0, 0], rings[..., 2].max(1)) - zb  # the upper's top
        rows.append((style, h[0] / L))
        rises.append((h[1] - h[0]) / (L / 0.3))
        assert h[0] / L < 0.21, (pose, name, style, h[0], L)
    med = _median_by(rows)
    bound = {"sneakers": 0.175, "boots": 0.185, "flat_shoes": 0.17}
    for style, got in med.items():
        assert got < bound[style], (style, got)
    assert np.median(rises) > 0.008, np.median(rises)


def test_a_sneaker_has_a_tongue(anny_body, shod4):
    """A sneaker's tongue (``sneakers:<side>:tongue``) stands up out of the opening: its top is at least 20 mm
    (adult, scaled with the foot) over the collar (the upper's highest point over the back quarter of the shoe;
    ccda6a9 had no tongue; now 25-62 mm, median 37: over the collar by RISE, more where the instep at its root
    is already as high), it leans on the front of the ankle (every vertex within 35 mm of the skin; median of
    the farthest 23 mm, at most 31). Still imperfect: some of its vertices lie inside the body (whole-body winding
    number; its inner face at its root, where the ankle leaves the opening, and its top where a crouch folds the
    shin over it): median 9.4 %, at most 32 % (a tall body sitting); the test keeps those from growing. Other styles
    have none."""
    from test_shoes import _winding

    far, inside = [], []
    faces = anny_body.faces.astype(np.int64)
    for pose, name, style, v, ids, frame, local, own in shod4:
        if style != "sneakers":
            assert "tongue" not in own, (pose, name, style)
            continue
        assert "tongue" in own, (pose, name, [k for k in own])
        up, tg, so = local["upper"], local["tongue"], local["sole"]
        foot = (v[ids].astype(np.float64) - frame[0]) @ frame[1]
        L = np.ptp(so[:, 0])
        collar = up[up[:, 0] < so[:, 0].min() + 0.25 * L, 2].max()
        size = np.clip((np.ptp(foot[:, 0])) / 0.26, 0.55, 1.25)
        assert tg[:, 2].max() - collar > 0.02 * size, (pose, name, tg[:, 2].max() - collar)
        d = np.linalg.norm(tg[:, None] - foot[None], axis=-1)
        assert d.min(1).max() < 0.042, (pose, name, d.min(1).max())  # 35 mm before its root went under the upper
        far.append(d.min(1).max())
        inside.append((_winding(own["tongue"].vertices.astype(np.float64), v.astype(np.float64), faces) > 0.5).mean())
    assert np.median(far) < 0.028, np.median(far)  # 25 mm before its root went under the upper (s41)
    assert np.median(inside) < 0.1 and max(inside) < 0.36, (np.median(inside), max(inside))


def test_the_laces_cross_over_the_instep(shod4):
    """Sneakers and boots are laced criss-cross: a straight bar at the row nearest the toes and, between every
    two rows of eyelets, two bars crossing in an X (ccda6a9: 5 bars straight across, at 90 degrees to the foot;
    now 9 bars, the X's at 40-60 degrees to it), one of each X lifted over the other where they cross (by at
    least a lace's thickness), every bar lying on the upper along its length (its underside -3.5 to 9 mm over the
    upper's top under it (-0.5 before s41; since, drawn flush, an X's under-bar sinks into the upper under the
    other), on its rings' top halves; the bar over its X's other and on a slope, 7.1 mm in a heavy
    body's crouch; median of each shoe's highest under 5.5 mm)."""
    from genb.render.dress.shoe_laces import ALONG, BAR_RING, _height, bar_count
    from genb.render.dress.shoe_loft import RING
    from genb.render.dress.shoe_look import LOOKS

    highest = []
    for pose, name, style, v, ids, frame, local, own in shod4:
        look = LOOKS[style]
        if not look.laces:
            continue
        S = len(ALONG)
        bars = local["laces"].reshape(bar_count(look.laces), -1, 3)
        assert len(bars) == 9, (style, len(bars))
        mids = bars[:, : S * BAR_RING].reshape(len(bars), S, BAR_RING, 3).mean(2)  # (B, S, 3) the middle line
        way = mids[:, -3, :2] - mids[:, 2, :2]
        angle = np.degrees(np.arctan2(np.abs(way[:, 1]), np.abs(way[:, 0])))
        assert angle[0] > 80, (pose, name, angle)
        assert ((angle[1:] > 25) & (angle[1:] < 70)).all(), (pose, name, angle)
        for k in range(1, len(bars), 2):
            a, b = mids[k, S // 2], mids[k + 1, S // 2]
            assert np.linalg.norm(a[:2] - b[:2]) < 0.004, (pose, name, k)  # they cross in the middle
            assert abs(a[2] - b[2]) > 0.0015, (pose, name, k, a[2] - b[2])
        rings = local["upper"][:-2].reshape(-1, RING, 3)
        low = bars[:, : S * BAR_RING].reshape(len(bars), S, BAR_RING, 3)[..., 2].min(2)  # (B, S) underside
        p = mids[:, 3:S - 3].reshape(-1, 3)
        gap = low[:, 3:S - 3].ravel() - _height(rings[:, 0, 0], rings[..., 1:], p[:, 0], p[:, 1])
        assert gap.min() > -0.0035 and gap.max() < 0.009, (pose, name, gap.min(), gap.max())  # -0.5 mm before s41;
        # s41: drawn flush, an X's under-bar sinks 0.8 mm, hidden by the bar on top (-3.44 mm the deepest: a heavy
        # body's crouching boot; -1.6 to -3.4 mm over the key cases, each bar's top on the upper)
        highest.append(gap.max())
    assert np.median(highest) < 0.0055, np.median(highest)


def test_a_flat_shoe_has_a_low_vamp(shod4):
    """A flat shoe's opening reaches down the top of the foot to near the toes' base: the foremost foot vertex
    standing 2 mm over the upper's top line (its rings' tops between them) lies at most 0.34 of the shoe's
    length from its tip (median 0.38 -> 0.30; standing child 75, average 125, heavy 136, tall 145 mm -> 65, 99,
    109, 114), and the toes stay covered (none of the foot's front 12 % shows)."""
    from genb.render.dress.shoe_loft import RING

    shares = []
    for pose, name, style, v, ids, frame, local, own in shod4:
        if style != "flat_shoes":
            continue
        up, so = local["upper"], local["sole"]
        foot = (v[ids].astype(np.float64) - frame[0]) @ frame[1]
        tops = up[:-2].reshape(-1, RING, 3)[:, RING // 4]
        line = np.interp(foot[:, 0], tops[:, 0], tops[:, 2])
        out = foot[foot[:, 2] > line + 0.002]
        share = (so[:, 0].max() - out[:, 0].max()) / np.ptp(so[:, 0])
        shares.append(share)
        assert share < 0.36, (pose, name, share)
        assert out[:, 0].max() < foot[:, 0].max() - 0.12 * np.ptp(foot[:, 0]), (pose, name)
    assert np.median(shares) < 0.33, np.median(shares)


def test_the_outline_is_smooth(shod4):
    """The upper leaves the sole along a clean line: the line where the upper crosses the sole's top, over the
    perimeter of its convex hull seen from above (1 for a smooth convex line; the sawtooth where a ring's point
    just over the top faced its neighbour's just under it made it longer), median sneakers 1.026 -> 1.006,
    flat shoes 1.043 -> 1.017 (boots 1.03 both: their heel block); and the outline seen from above changes its
    half width by at most 0.31 m a metre between the foot's stations (steps of up to 1.14, 27 mm over 24)."""
    from scipy.spatial import ConvexHull

    from genb.render.dress.shoe_sole import HEEL_U, TOE_U, sole_unit
    from genb.render.dress.shoes import STATIONS

    rows = []
    n, nb, S = len(sole_unit()[0]), len(HEEL_U), STATIONS + len(HEEL_U) + len(TOE_U)
    for pose, name, style, v, ids, frame, local, own in shod4:
        up, sv = local["upper"], local["sole"]
        r = sv[: S * n].reshape(S, n, 3)  # the sole's rings (its heel block's vertices follow)
        xs, top = r[:, 0, 0], r[:, :, 2].max(1)
        h = up[:, 2] - np.interp(up[:, 0], xs, top) + 1e-9
        f = own["upper"].faces.astype(np.int64)
        tri, ht = up[f], h[f]
        ends = []
        for i in range(3):
            a, b, ha, hb = tri[:, i], tri[:, (i + 1) % 3], ht[:, i], ht[:, (i + 1) % 3]
            cut = (ha > 0) != (hb > 0)
            ends.append(np.where(cut[:, None], a + (b - a) * (ha / np.where(cut, ha - hb, 1))[:, None], np.nan))
        ends = np.stack(ends, 1)
        seg = ends[np.isfinite(ends[..., 0]).sum(1) == 2]
        seg = seg[np.isfinite(seg[..., 0])].reshape(-1, 2, 3)
        length = np.linalg.norm(seg[:, 0] - seg[:, 1], axis=1).sum()
        rows.append((style, length / ConvexHull(seg.reshape(-1, 3)[:, :2]).area))
        half = np.ptp(r[:, :, 1], 1) / 2
        slope = np.abs(np.diff(half[nb:nb + STATIONS]) / np.diff(xs[nb:nb + STATIONS])).max()  # not the rounded ends
        assert slope < 0.31, (pose, name, style, slope)
    med = _median_by(rows)
    assert med["sneakers"] < 1.012 and med["flat_shoes"] < 1.025 and med["boots"] < 1.04, med
