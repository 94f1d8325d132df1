"""Hair under a cap stays under it (genb.render.dress.hairline.cap_press): seen from the front and the
sides, no hair shows through the cap's band. On d0d7369 the hair under a cap kept its thickness up to the
cap's edge, and stood in front of the cap's hem (a wall slanting in from the cap's edge to the skin):
a band labelled hair across the cap's front between its crown and its brim (close heads, seed 21 #2,
a red cap). Measured here with an orthographic z-buffer of the head, hair and cap in the head's frame
(1 mm pixels): hair pixels inside the cap's outline less than 1.5 cm in front of the cap (through it,
not the hair of the temples in front of the cap's far side). Child, average, heavy and tall bodies in
key poses."""

import numpy as np
import pytest

from genb.core.conventions import PART_INDEX
from genb.render.raster.meshes import vertex_normals

from _fixtures_bodies import anny_body, key_posed  # noqa: F401

POSES = ("standing", "crouching")
HAIRS = {"short": {"style": "short", "color": "2e2119", "hairline": "short", "thickness": 0.014, "shape": "none"},
         "curly": {"style": "curly", "color": "2e2119", "hairline": "medium", "thickness": 0.042, "shape": "none",
                   "curl": "curly"}}
PX = 0.001  # metres a pixel
VIEWS = {"front": (0, 2, 1, 1.0), "left": (1, 2, 0, 1.0), "right": (1, 2, 0, -1.0)}  # (across, up, depth axis, sign)


def zbuffer(tris: np.ndarray, ids: np.ndarray, view: str, size: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """(N, N) ids and depths (nearer: larger) of head-frame triangles ``tris`` (F, 3, 3) seen orthographically
    from ``view``: each triangle sampled on a barycentric grid finer than half a pixel, the nearest sample kept."""
    a, b, d, sign = VIEWS[view]
    edge = np.linalg.norm(tris - np.roll(tris, 1, axis=1), axis=2).max(1)
    steps = np.clip(np.ceil(edge / (0.4 * PX)).astype(int), 1, 60)
    pts, who = [], []
    for k in np.unique(steps):
        s = np.flatnonzero(steps == k)
        i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
        m = i + j <= k
        w = np.stack([i[m], j[m], k - i[m] - j[m]], 1) / k
        pts.append(np.einsum("sc,fcx->fsx", w, tris[s]).reshape(-1, 3))
        who.append(np.repeat(ids[s], len(w)))
    p, who = np.concatenate(pts), np.concatenate(who)
    n = int(size / PX)
    x = np.floor(p[:, a] / PX + n / 2).astype(int)
    y = np.floor((0.05 - p[:, b]) / PX + n / 2).astype(int)
    ok = (x >= 0) & (x < n) & (y >= 0) & (y < n)
    pix, depth, who = (y * n + x)[ok], sign * p[ok, d], who[ok]
    o = np.lexsort((depth, pix))
    pix, depth, who = pix[o], depth[o], who[o]
    last = np.r_[pix[1:] != pix[:-1], True]
    img, dep = np.full(n * n, -1), np.full(n * n, -np.inf)
    img[pix[last]], dep[pix[last]] = who[last], depth[last]
    return img.reshape(n, n), dep.reshape(n, n)


def hair_through_cap(body, dresser, v, kp, hair) -> dict:
    """{view: hair pixels (mm^2) seen inside the cap's outline within 1.5 cm in front of the cap}."""
    from genb.render.dress.atlas import head_frame

    f = np.asarray(body.faces).astype(np.int64)
    outfit = {"garments": [], "hair": hair, "accessories": [{"type": "cap", "color": "c0202a"}]}
    meshes = dresser.dress(outfit, v, vertex_normals(v, f), kp)
    o, R = head_frame(kp)
    head = f[(np.asarray(body.vertex_parts) == PART_INDEX["head"])[f].all(1)]
    tris, ids = [(v[head] - o) @ R], [np.zeros(len(head), int)]
    for m in meshes:
        if m.part in (PART_INDEX["hair"], PART_INDEX["headwear"]):
            t = (np.asarray(m.vertices, np.float64)[np.asarray(m.faces, np.int64)] - o) @ R
            tris.append(t)
            ids.append(np.full(len(t), 1 if m.part == PART_INDEX["hair"] else 2))
    tris, ids = np.concatenate(tris), np.concatenate(ids)
    high = tris[:, :, 2].max(1) > 0.0  # the cap's edge runs 4.5 cm or more over the ears: what lies lower is not under it
    tris, ids = tris[high], ids[high]
    out = {}
    for view in VIEWS:
        img, dep = zbuffer(tris, ids, view)
        cap, cap_dep = zbuffer(tris[ids == 2], ids[ids == 2], view)
        with np.errstate(invalid="ignore"):
            out[view] = int(((img == 1) & (cap == 2) & (dep - cap_dep < 0.015)).sum())
    return out


@pytest.mark.parametrize("style", list(HAIRS))
def test_no_hair_shows_through_a_cap(anny_body, style):
    from genb.render.dress import Dresser

    dresser = Dresser(anny_body)
    worst = {}
    for pose, body, v, kp in key_posed(anny_body, POSES):
        got = hair_through_cap(anny_body, dresser, v, kp, HAIRS[style])
        print(pose, body, style, got)
        for view, px in got.items():
            worst[view] = max(worst.get(view, 0), px)
    # mm^2 over 2 poses x 4 bodies, front and sides: on d0d7369 a short cut 333-448 and 9-48, curly hair 1331-1417
    # and 67-147; now 9-39 and 0-4, 93-247 and 6-33 (what is left: a 1-2 mm line where the brim meets the cap's
    # band, and the hair swelling out from under the cap's edge at the temples, seen against the edge)
    assert worst["front"] <= LIMIT_FRONT[style], worst
    assert max(worst["left"], worst["right"]) <= LIMIT_SIDE[style], worst


LIMIT_FRONT = {"short": 60, "curly": 300}
LIMIT_SIDE = {"short": 8, "curly": 45}
