"""A boot's shaft reads as a boot's (session 40): a stiff tube up the shin with a clean top edge, not a leg painted
the boot's colour. 26ebc84 drew the shaft as a tight shell over the shin: its top edge was the body's triangles cut
along the leg coordinate (a comb of teeth seen close up), and its walls followed the ankle's narrowing above the
ankle bones and every hollow (seen from any side a waist over the upper, as a bare leg's). Key poses x the child,
average and tall bodies, boots (tests/test_shoes.py's), both legs; the numbers are 26ebc84 -> now."""

import numpy as np
import pytest

from _fixtures_bodies import KEY_BODIES, anny_body, key_posed  # noqa: F401
from test_shoes import STYLES

from genb.core.conventions import BODY25_INDEX as K25

POSES = ("standing", "walk_toe_off", "sitting")
BODIES = {k: KEY_BODIES[k] for k in ("child", "average", "tall")}


@pytest.fixture(scope="module")
def shafts(anny_body):
    """(pose, body, side, shaft vertices of that leg (N, 3), its faces (F, 3), ankle (3,), knee (3,), foot's way (3,),
    its normals (N, 3), the lower leg's skin (M, 3))."""
    from genb.core.conventions import PART_INDEX
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    dresser = Dresser(anny_body)
    faces = anny_body.faces.astype(np.int64)
    out = []
    for pose, name, v, kp in key_posed(anny_body, POSES, BODIES):
        meshes = dresser.dress({"garments": [], "shoes": STYLES["boots"], "hair": {}, "accessories": []}, v,
                               vertex_normals(v, faces), kp)
        (m,) = [m for m in meshes if m.name == "boots:shaft"]
        sv, sf, sn = m.vertices.astype(np.float64), m.faces.astype(np.int64), m.normals.astype(np.float64)
        ankles = kp[[K25["left_ankle"], K25["right_ankle"]]]
        side_of = np.linalg.norm(sv[:, None] - ankles[None], axis=-1).argmin(1)
        for s, side in enumerate(("left", "right")):
            ids = np.flatnonzero(side_of == s)
            keep = np.isin(sf, ids).all(1)
            remap = np.full(len(sv), -1)
            remap[ids] = np.arange(len(ids))
            fwd = 0.5 * (kp[K25[f"{side}_big_toe"]] + kp[K25[f"{side}_small_toe"]]) - kp[K25[f"{side}_heel"]]
            out.append((pose, name, side, sv[ids], remap[sf[keep]], kp[K25[f"{side}_ankle"]].astype(np.float64),
                        kp[K25[f"{side}_knee"]].astype(np.float64), fwd.astype(np.float64), sn[ids],
                        v[dresser.atlas.parts == PART_INDEX[f"{side}_lower_leg"]].astype(np.float64)))
    return out


def _shin_frame(ankle, knee, fwd):
    up = (knee - ankle) / np.linalg.norm(knee - ankle)
    e1 = fwd - (fwd @ up) * up
    e1 /= np.linalg.norm(e1)
    return up, e1, np.cross(up, e1)


def test_no_skin_shows_through_the_shaft_under_its_top(shafts):
    """The shin's skin from 4 cm to 5 mm under the shaft's top (its highest vertex up the shin, the collar's crest)
    stays inside the shaft's wall: the share of those skin vertices less than 1 mm inside the wall there (signed along
    the normal of the nearest vertex of its outer wall) is 0. 26ebc84: median 1.0 (the tight shell's edge turned back
    onto the skin, the body's triangles showing through it as a comb of teeth) -> 0 everywhere."""
    from scipy.spatial import cKDTree

    shares = []
    for pose, name, side, v, f, ankle, knee, fwd, n, skin in shafts:
        up, e1, e2 = _shin_frame(ankle, knee, fwd)
        top = ((v - ankle) @ up).max()
        hs = (skin - ankle) @ up
        near = skin[(hs > top - 0.04) & (hs < top - 0.005)]
        assert len(near) >= 5, (pose, name, side, len(near))
        rel = (v - ankle) - np.outer((v - ankle) @ up, up)
        wall = v[(n * rel).sum(1) > 0], n[(n * rel).sum(1) > 0]  # its outer wall (not a collar's lining)
        _, k = cKDTree(wall[0]).query(near)
        out = ((near - wall[0][k]) * wall[1][k]).sum(1) > -0.001
        shares.append(out.mean())
        assert out.mean() < 0.02, (pose, name, side, out.mean())
    assert np.median(shares) == 0.0, np.median(shares)


def test_the_shaft_has_no_waist(shafts):
    """Seen from 8 sides round the shin, the shaft's outline from 4 cm over the ankle joint (adult; over the upper) to 1 cm under its top
    (its slices' reach that way, every 5 mm up the shin) never falls in more than 2 mm
    under the straight lines over it (its concave envelope up the shin): a stiff tube, not the ankle's narrowing.
    26ebc84: median of each leg's deepest 6.4 mm, at most 8.2 -> 0.4, at most 2.0; its top stands at least 8 cm
    (adult; scaled by the shin) over the ankle joint."""
    deepest = []
    for pose, name, side, v, f, ankle, knee, fwd, n, skin in shafts:
        up, e1, e2 = _shin_frame(ankle, knee, fwd)
        h = (v - ankle) @ up
        wall = np.linalg.norm(np.stack([(v - ankle) @ e1, (v - ankle) @ e2], 1), axis=1) < 0.1  # not the foot
        size = np.clip(np.linalg.norm(knee - ankle) / 0.42, 0.55, 1.25)
        assert h.max() > 0.08 * size, (pose, name, side, h.max())
        e = np.unique(np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1), axis=0)
        e = e[wall[e].all(1)]
        levels = np.arange(0.04 * size, h.max() - 0.01, 0.005)
        ha, hb = h[e[:, 0]][None], h[e[:, 1]][None]  # (1, E)
        t = (levels[:, None] - ha) / np.where(hb == ha, 1.0, hb - ha)  # (L, E) where each edge meets each level
        cut = (t >= 0) & (t <= 1) & (ha != hb)
        pts = v[e[:, 0]][None] + np.clip(t, 0, 1)[..., None] * (v[e[:, 1]] - v[e[:, 0]])[None]  # (L, E, 3)
        worst = 0.0
        for a in np.arange(8) * np.pi / 4:
            d = np.cos(a) * e1 + np.sin(a) * e2
            reach = np.where(cut, (pts - ankle) @ d, -np.inf).max(1)  # the slice's reach that way
            for i in range(len(levels)):
                for j in range(i + 2, len(levels)):
                    w = (levels[i + 1:j] - levels[i]) / (levels[j] - levels[i])
                    worst = max(worst, float((reach[i] * (1 - w) + reach[j] * w - reach[i + 1:j]).max()))
        deepest.append(worst)
        assert worst < 0.004, (pose, name, side, worst)
    assert np.median(deepest) < 0.002, np.median(deepest)
