"""Shoes on a parametric last: they hold the foot in every key pose, have a sole of their own
colour and height, follow the foot's direction, and open at the ankle."""

import numpy as np
import pytest

from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401

STYLES = {
    "sneakers": {"type": "sneakers", "cut": 1.86, "thickness": 0.012, "color": "f4f2ee", "sole": "1e1e20"},
    "boots": {"type": "boots", "cut": 1.55, "thickness": 0.015, "color": "3d2b2b"},
    "flat_shoes": {"type": "flat_shoes", "cut": 1.93, "thickness": 0.008, "color": "5e1f28"},
}


@pytest.fixture(scope="module")
def shod(anny_body):
    """Every key pose (child, heavy, tall in turn) in each shoe style."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    body = anny_body
    lib = PoseLibrary()
    shapes = np.array([[0.5, 0.2, 0.5, 0.5, 0.5, 0.5], [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]],
                      np.float32)
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in lib.names]))
    posed = body.pose(shapes[np.arange(len(lib.names)) % 3], rot)
    dresser = Dresser(body)
    out = []
    for k, name in enumerate(lib.names):
        v, kp = posed.vertices[k], posed.keypoints[k]
        n = vertex_normals(v, body.faces.astype(np.int64))
        for style, shoes in STYLES.items():
            meshes = dresser.dress({"garments": [], "shoes": shoes, "hair": {}, "accessories": []}, v, n, kp)
            out.append((name, style, v, kp, meshes))
    return dresser, out


def _winding(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(P,) generalised winding numbers of points about a triangle mesh (1 inside a closed outward
    mesh, 0 outside): the triangles' solid angles (Van Oosterom and Strackee) over 4 pi."""
    a, b, c = (vertices[faces[:, i]][None].astype(np.float64) - points[:, None].astype(np.float64) for i in range(3))
    la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
    num = np.einsum("pfi,pfi->pf", a, np.cross(b, c))
    den = la * lb * lc + np.einsum("pfi,pfi->pf", a, b) * lc + np.einsum("pfi,pfi->pf", b, c) * la \
        + np.einsum("pfi,pfi->pf", c, a) * lb
    return (2 * np.arctan2(num, den)).sum(1) / (4 * np.pi)


def test_the_upper_holds_every_foot_vertex_it_covers(shod):
    """Each upper is a closed surface, and the body vertices of the faces it covers lie inside it or in the
    sole under it (the upper's bottom sits inside the sole, shoe_sole.into_sole), in every key pose and style
    (the last is fitted to the posed foot)."""
    dresser, people = shod
    faces = dresser.atlas.faces
    for name, style, v, kp, meshes in people:
        uppers = [m for m in meshes if m.name.endswith(":upper")]
        assert len(uppers) == 2, (name, style, [m.name for m in meshes])
        for m in uppers:
            edges = np.sort(m.faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
            assert (np.unique(edges, axis=0, return_counts=True)[1] == 2).all(), (name, style)  # closed
            far = m.vertices.max(0) + 1.0
            assert abs(_winding(far[None], m.vertices, m.faces)[0]) < 1e-6
            ids = np.unique(faces[m.covered])
            assert len(ids) > 50, (name, style)
            sole = next(q for q in meshes if q.name == m.name.replace(":upper", ":sole"))
            inside = (_winding(v[ids], m.vertices, m.faces) + _winding(v[ids], sole.vertices, sole.faces)) > 0.5
            assert inside.mean() > 0.99, (name, style, m.name, inside.mean())


def test_soles_have_their_own_colour_and_height_and_the_ankle_comes_out(shod):
    """A sole under each upper: its own colour, about its style's height above the foot's lowest
    point (scaled with the foot), wider than the upper; the upper's top line stays under the ankle keypoint for sneakers and
    flat shoes (the opening), and a flat shoe's is lower than a sneaker's."""
    from genb.core.conventions import BODY25_INDEX as K25
    from genb.render.dress.shoes import LASTS, foot_frame

    _, people = shod
    tops = {}
    for name, style, v, kp, meshes in people:
        by = {m.name: m for m in meshes}
        for side in ("left", "right"):
            upper, sole = by[f"{style}:{side}:upper"], by[f"{style}:{side}:sole"]
            assert np.abs(upper.colors.mean(0) - sole.colors.mean(0)).max() > 0.1, (name, style)
            origin, R = foot_frame(kp, side)
            lu, ls = (upper.vertices - origin) @ R, (sole.vertices - origin) @ R
            front = ls[(ls[:, 0] > 0.45 * ls[:, 0].max()) & (ls[:, 0] < 0.6 * ls[:, 0].max())]  # behind the toe spring
            height = front[:, 2].max() - ls[:, 2].min()
            lo, hi = LASTS[style].sole * np.sqrt([0.55, 1.25]) + 0.004  # scaled with the foot's length
            assert lo - 0.001 < height < hi + 0.001, (name, style, height)
            assert np.ptp(ls[:, 1]) > np.ptp(lu[lu[:, 2] < front[:, 2].max(), 1]), (name, style)
            ankle = (kp[K25[f"{side}_ankle"]] - origin) @ R
            heel_part = lu[lu[:, 0] < 0.25 * lu[:, 0].max()]
            tops.setdefault(style, []).append(heel_part[:, 2].max() - lu[:, 2].min())
            if style != "boots":
                assert heel_part[:, 2].max() < ankle[2], (name, style)
    assert np.median(tops["flat_shoes"]) < np.median(tops["sneakers"]) - 0.02, {k: np.median(t) for k, t in tops.items()}


def test_shoes_point_where_the_feet_point(shod):
    """The long axes of the sole, and of a low shoe's upper, follow the heel-to-toe direction of the
    posed foot (within 12 degrees)."""
    from genb.core.conventions import BODY25_INDEX as K25

    _, people = shod
    for name, style, v, kp, meshes in people:
        for side in ("left", "right"):
            foot = 0.5 * (kp[K25[f"{side}_big_toe"]] + kp[K25[f"{side}_small_toe"]]) - kp[K25[f"{side}_heel"]]
            for piece in ("sole",) if style == "boots" else ("sole", "upper"):
                pts = next(m for m in meshes if m.name == f"{style}:{side}:{piece}").vertices
                axis = np.linalg.svd(pts - pts.mean(0), full_matrices=False)[2][0]
                cos = abs(axis @ foot) / np.linalg.norm(foot)
                assert cos > np.cos(np.radians(12)), (name, style, side, piece, np.degrees(np.arccos(cos)))


def test_boots_and_dress_shoes_stand_on_a_heel_block(shod):
    """Boots (and, lower, flat dress shoes) have a heel block under the back of the sole: its height
    is the style's (scaled with the foot), its front stops at about a quarter of the foot, in front
    of it the sole's waist is the plain sole, and it is a shade darker than the sole. Sneakers have none."""
    from genb.render.dress.shoes import LASTS, foot_frame

    _, people = shod
    for name, style, v, kp, meshes in people:
        for side in ("left", "right"):
            sole = next(m for m in meshes if m.name == f"{style}:{side}:sole")
            origin, R = foot_frame(kp, side)
            ls = (sole.vertices - origin) @ R
            length, bottom = ls[:, 0].max() - ls[:, 0].min(), ls[:, 2].min()
            s = (ls[:, 0] - ls[:, 0].min()) / length
            back = ls[s < 0.12, 2].max() - bottom
            waist = ls[(s > 0.4) & (s < 0.6), 2].max() - bottom
            last = LASTS[style]
            if last.heel:
                lo, hi = last.heel * np.sqrt([0.55, 1.25])
                assert lo - 0.002 < back < hi + 0.002, (name, style, back)
                assert waist < back - 0.006, (name, style, waist, back)  # a step at the heel's breast
                front = s[(ls[:, 2] - bottom > last.sole * np.sqrt(1.25) + 0.006) & (s < 0.7)].max()  # not the toe spring
                assert 0.18 < front < 0.36, (name, style, front)
                wall = (sole.normals @ R)[:, 2] > -0.5  # the wall, not the darker tread
                assert sole.colors[(ls[:, 2] - bottom > waist + 0.003) & (s < 0.5)].mean() < sole.colors[wall & (s > 0.6)].mean()
            else:
                assert abs(back - waist) < 0.006, (name, style, back, waist)


def _detail_share(meshes, side: str, origin, R, plain) -> float:
    """The share of one shoe's outward area, seen from 8 sides 35 degrees above the ground (each face's
    area facing the view, summed over the views; no occlusion), whose colour is none of ``plain`` (the
    upper's, the sole's and the heel block's; the sole's mesh, the upper's only elsewhere: a dark lining
    over a black sole is still a detail) by more than 0.08 in a channel."""
    seen = other = 0.0
    views = [np.array([np.cos(np.radians(35)) * np.cos(a), np.cos(np.radians(35)) * np.sin(a), np.sin(np.radians(35))])
             for a in np.radians(np.arange(0, 360, 45))]
    for m in meshes:
        if m.name.split(":")[1] != side or m.name.endswith(":shaft"):
            continue
        tri = ((m.vertices - origin) @ R)[m.faces.astype(np.int64)]
        n = 0.5 * np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        col = m.colors[m.faces.astype(np.int64)].mean(1)
        own = plain if m.name.endswith(":sole") else plain[:1]  # a detail on the upper may be the sole's colour
        far = np.min([np.abs(col - c).max(1) for c in own], axis=0) > 0.08
        for w in views:
            a = np.clip(n @ w, 0.0, None)
            seen, other = seen + a.sum(), other + a[far].sum()
    return other / seen


def test_each_style_reads_as_itself(shod):
    """A shoe is more than a one-colour blob on a slab (shoe_look): seen from 8 sides at 35 degrees, a
    sneaker's and a boot's area is >= 25 % details (laces, eyelets, toe cap, stays, counter, lining...),
    a flat shoe's >= 15 % (lining, collar rim, toe-cap seam, heel block) (medians on 1e43475: sneakers 9.5 %
    (their darker collar line), boots 0, flat shoes 6.7 %; after: 33, 43, 27 %). On an upper, a detail is measured
    against the upper's colour only (s40-shoesole: a boot's cap and laces became a shade of its leather, a flat
    shoe's sole black under its dark lining; first two key poses, left foot: 45, 45 -> 37, 26 -> 26 %).
    Sneakers and boots have 5
    rows of eyelets laced criss-cross (9 bars: shoe_laces), each bar spanning >= 35 % of the upper's width there
    (about 40 %), lying on it (outside it)
    in another colour than the upper's, with darker or lighter eyelets; the opening of a sneaker and a flat
    shoe shows its dark lining: the upper's points just inside the collar rim are lining-dark and outside
    the skin (>= 90 %; all of them in every pose, 17 mm from the skin, median); boots have a welt standing out of the sole (none of these on 1e43475)."""
    from genb.core.conventions import BODY25_INDEX as K25  # noqa: F401
    from genb.render.dress.materials import hex_rgb
    from genb.render.dress.shoe_laces import bar_count
    from genb.render.dress.shoe_look import LINING_J, LOOKS
    from genb.render.dress.shoes import LASTS, RING, foot_frame, sole_colour
    from genb.render.raster.meshes import vertex_normals

    dresser, people = shod
    faces = dresser.atlas.faces.astype(np.int64)
    shares = {}
    for name, style, v, kp, meshes in people:
        by = {m.name: m for m in meshes}
        shoes = STYLES[style]
        up_c, so_c = hex_rgb(shoes["color"]), hex_rgb(sole_colour(shoes))
        normals = vertex_normals(v, faces)
        for side in ("left", "right"):
            origin, R = foot_frame(kp, side)
            shares.setdefault(style, []).append(_detail_share(meshes, side, origin, R, (up_c, so_c, 0.85 * so_c)))
            upper = by[f"{style}:{side}:upper"]
            lu = (upper.vertices - origin) @ R
            look = LOOKS[style]
            if look.laces:
                lace = by[f"{style}:{side}:laces"]
                bars = ((lace.vertices - origin) @ R).reshape(bar_count(look.laces), -1, 3)
                for bar in bars:
                    near = lu[np.abs(lu[:, 0] - bar[:, 0].mean()) < 0.01]
                    assert np.ptp(bar[:, 1]) > 0.35 * np.ptp(near[:, 1]), (name, style, np.ptp(bar[:, 1]), np.ptp(near[:, 1]))
                inside = _winding(lace.vertices, upper.vertices, upper.faces) > 0.5
                assert inside.mean() < 0.05, (name, style, inside.mean())
                assert np.abs(lace.colors - up_c).max(1).min() > 0.1, (name, style)
            if style != "boots":
                rings = lu[:-2].reshape(-1, RING, 3)
                s = (rings[:, 0, 0] - lu[:, 0].min()) / np.ptp(lu[:, 0])
                keep = (s > 0.1) & (s < LASTS[style].open_from - 0.05)
                pts = rings[keep][:, [RING // 4 - LINING_J, RING // 4 + LINING_J]].reshape(-1, 3) @ R.T + origin
                col = upper.colors[:-2].reshape(-1, RING, 3)[keep][:, [RING // 4 - LINING_J, RING // 4 + LINING_J]].reshape(-1, 3)
                ids = np.unique(faces[upper.covered])
                ids = np.unique(np.r_[ids, np.flatnonzero(np.linalg.norm(v - pts.mean(0), axis=1) < 0.12)])
                near = ids[np.argmin(np.linalg.norm(v[ids][None] - pts[:, None], axis=-1), axis=1)]
                out = np.einsum("ij,ij->i", pts - v[near], normals[near]) > 0
                dark = col @ [0.2126, 0.7152, 0.0722] < 0.6 * (up_c @ [0.2126, 0.7152, 0.0722])
                assert (out & dark).mean() > 0.9, (name, style, side, out.mean(), dark.mean())
            if look.welt:
                sole, band = by[f"{style}:{side}:sole"], by[f"{style}:{side}:welt"]
                assert np.ptp(((band.vertices - origin) @ R)[:, 1]) > np.ptp(((sole.vertices - origin) @ R)[:, 1]) + 0.002
    floor = {"sneakers": 0.25, "boots": 0.25, "flat_shoes": 0.15}
    for style, got in shares.items():
        assert np.median(got) > floor[style] and np.min(got) > floor[style] - 0.05, (style, np.median(got), np.min(got))


def _first_hits(orig, dirs, pieces):
    """Ray casting (Moller-Trumbore): per ray (P,) the index into ``pieces`` [(vertices, faces)] of the piece it
    meets first (-1: none), the distance to it, and to the first hit on any other piece (inf: none)."""
    hits = []
    for v, f in pieces:
        a, b, c = (v[f[:, i].astype(np.int64)] for i in range(3))
        e1, e2 = b - a, c - a
        pv = np.cross(dirs[:, None], e2[None])
        det = np.einsum("pfi,fi->pf", pv, e1)
        inv = np.where(np.abs(det) > 1e-14, 1 / np.where(det == 0, 1, det), 0)
        tv = orig[:, None] - a[None]
        u = np.einsum("pfi,pfi->pf", tv, pv) * inv
        qv = np.cross(tv, e1[None])
        w = np.einsum("pi,pfi->pf", dirs, qv) * inv
        t = np.einsum("pfi,fi->pf", qv, e2) * inv
        hits.append(np.where((inv != 0) & (u >= 0) & (w >= 0) & (u + w <= 1) & (t > 0), t, np.inf).min(1))
    hits = np.array(hits)
    first = np.where(np.isfinite(hits.min(0)), hits.argmin(0), -1)
    others = np.where(np.arange(len(pieces))[:, None] == first[None], np.inf, hits).min(0)
    return first, hits.min(0), others


def test_a_sole_reads_as_a_sole(shod):
    """Seen from below a shoe shows its sole's tread with nothing of the upper within 2 mm behind it (on
    d0d7369 the upper's bottom lay 1 mm over the sole's: 30-45 % of the underside, median per style, the
    upper's and the sole's side walls nearly coincident; after: 0); the tread is a shade darker than the
    sole's wall (0.8); from the side the sole's wall shows under the upper along the middle of the foot
    (flat shoes 85-94 % of the side rays at the sole's heights met the sole -> 100 %); the toe springs up in
    front of the foot (the sole's bottom at its front 5 % over its lowest: 0 mm -> sneakers 14, boots 9, flat
    shoes 6 mm, median) and narrows to a round tip (the underside's width at 97 % of its length over its
    widest, median, on a finer grid of rays (/tmp measure, 60 x 40): 0.74 / 0.75 / 0.56 -> 0.64 / 0.68 / 0.55; on
    this test's grid boots measure 0.73 after)."""
    from genb.render.dress.materials import hex_rgb
    from genb.render.dress.shoes import foot_frame, sole_colour

    _, people = shod
    got = {}
    for name, style, v, kp, meshes in people[::2]:
        sole_c = hex_rgb(sole_colour(STYLES[style]))
        for side in ("left", "right"):
            o, R = foot_frame(kp, side)
            own = [m for m in meshes if m.name.split(":")[1] == side and not m.name.endswith("shaft")]
            pieces = [((m.vertices - o) @ R, m.faces) for m in own]
            k = [m.name for m in own].index(f"{style}:{side}:sole")
            sv, sole = pieces[k][0], own[k]
            x0, L, bottom = sv[:, 0].min(), np.ptp(sv[:, 0]), sv[:, 2].min()
            X, Y = np.meshgrid(np.linspace(x0 + 0.005 * L, x0 + 0.995 * L, 50), np.linspace(sv[:, 1].min(), sv[:, 1].max(), 30))
            org = np.stack([X.ravel(), Y.ravel(), np.full(X.size, bottom - 0.1)], 1)
            first, t, others = _first_hits(org, np.tile([0.0, 0.0, 1.0], (len(org), 1)), pieces)
            hit = first >= 0
            walls = np.array([m.name.endswith((":sole", ":welt")) for m in own])
            with np.errstate(invalid="ignore"):
                bad = hit & (~walls[first] | (others - t < 0.002))
            wid = hit.reshape(X.shape).sum(0)
            mid = sv[(sv[:, 0] > x0 + 0.35 * L) & (sv[:, 0] < x0 + 0.75 * L), 2].max()
            Xs, Zs = np.meshgrid(np.linspace(x0 + 0.35 * L, x0 + 0.75 * L, 10), np.linspace(bottom + 0.0045, mid - 0.003, 3))
            org = np.concatenate([np.stack([Xs.ravel(), np.full(Xs.size, s * 0.3), Zs.ravel()], 1) for s in (-1, 1)])
            dirs = np.repeat([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]], Xs.size, axis=0)
            sfirst = _first_hits(org, dirs, pieces)[0]
            r = got.setdefault(style, {"bad": [], "side": [], "toe": [], "tip": []})
            r["bad"].append(bad.sum() / hit.sum())
            r["side"].append(np.mean([walls[i] for i in sfirst if i >= 0]))
            r["toe"].append(sv[sv[:, 0] > x0 + 0.95 * L, 2].min() - bottom)
            r["tip"].append(wid[int(0.97 * (len(wid) - 1))] / wid.max())
            shade = sole.colors.mean(1) / sole_c.mean()
            up = (sole.normals @ R)[:, 2]
            assert np.median(shade[up < -0.9]) < 0.85 * np.median(shade[up > -0.2]), (name, style)
    spring = {"sneakers": 0.008, "boots": 0.005, "flat_shoes": 0.003}
    for style, r in got.items():
        assert max(r["bad"]) < 0.01, (style, r["bad"])
        assert min(r["side"]) > 0.95, (style, r["side"])
        assert np.median(r["toe"]) > spring[style] and min(r["toe"]) > 0.5 * spring[style], (style, r["toe"])
        assert np.median(r["tip"]) < 0.8, (style, r["tip"])  # narrower at the tip (a weak bound: see the docstring)
