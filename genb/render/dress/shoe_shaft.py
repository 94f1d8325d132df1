"""A boot's shaft: a leather tube standing up the shin from the boot's upper (:mod:`genb.render.dress.shoes`).

Along the shin's axis (the ankle keypoint to the knee's), the leg's skin between the ankle and the boot's cut is
sliced into :data:`LEVELS` bands; each band's cross-section is its convex outline seen along the axis (no hollow
behind the ankle bones or the Achilles tendon) plus the shaft's thickness, read as a radius at :data:`SHAFT_RING`
angles round one straight axis (the bands' middles fitted by a line). Along its height each angle's radius is
its concave envelope (:func:`concave_envelope`: straight or bulging walls, never a waist at the ankle), so the
shaft reads as a stiff tube, not as a leg painted the boot's colour (the tight shell it replaced followed the
calf, the ankle's narrowing and every hollow, and its top edge was the body's triangles cut along a line).
At the top the wall turns over a rounded collar into the shaft (:data:`LIP` deep, the lining's colour inside);
at the bottom it starts :data:`INTO` below the ankle, inside the upper. Pure geometry over arrays.
"""

from __future__ import annotations

import functools

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.materials import hash_noise, hex_rgb
from genb.render.dress.shoe_look import palette

LEVELS = 9  # bands up the shin
SHAFT_RING = 32  # points round the shaft
INTO = 0.02  # how far under the ankle joint the shaft starts (inside the upper), adult, metres
LIP = 0.012  # how far the collar's lining reaches down inside the shaft
COLLAR = 0.35  # the collar's roll: its inner edge in by this share of the wall's thickness


def concave_envelope(h: np.ndarray, r: np.ndarray) -> np.ndarray:
    """(K, A) the least concave functions of ``h`` (K,) (ascending) over each column of ``r`` (K, A): a
    wall's radius up its height with no waist (its straight lines between the points that bulge most)."""
    out = r.copy()
    K = len(h)
    for i in range(K):
        for j in range(i + 2, K):
            w = (h[i + 1:j] - h[i]) / (h[j] - h[i])
            line = r[i][None] * (1 - w)[:, None] + r[j][None] * w[:, None]
            out[i + 1:j] = np.maximum(out[i + 1:j], line)
    return out


def _hull_radius(p: np.ndarray, ang: np.ndarray) -> np.ndarray:
    """(A,) the distance from the origin to the convex outline of points ``p`` (N, 2) along directions ``ang``
    (A,): the support of the points over each direction's neighbours (the hull's polar radius, from above)."""
    d = np.stack([np.cos(ang), np.sin(ang)], 1)
    proj = p @ d.T  # (N, A) each point's reach along each direction
    reach = proj.max(0)
    # the polar radius of the hull: min over support directions of reach_k / cos(angle between)
    c = d @ d.T  # (A, A) cosines between directions
    with np.errstate(divide="ignore"):
        rad = np.where(c > 0.2, reach[None] / np.maximum(c, 1e-9), np.inf).min(1)
    return np.maximum(rad, 0.0)


@functools.lru_cache(maxsize=None)
def shaft_faces(S: int, n: int) -> np.ndarray:
    """(F, 3) faces of an open tube of ``S`` rings of ``n`` points, facing out (away from the axis) for rings
    counter-clockwise about the axis going up."""
    i = np.arange(S - 1)[:, None] * n
    j = np.arange(n)[None]
    a, b, c, d = i + j, i + (j + 1) % n, i + n + (j + 1) % n, i + n + j
    f = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
    f = np.ascontiguousarray(f, np.uint32)
    f.flags.writeable = False
    return f


def shaft(leg: np.ndarray, ankle: np.ndarray, knee: np.ndarray, forward: np.ndarray, top: float, thickness: float,
          size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shaft's mesh.

    Args:
        leg: (N, 3) the skin of the lower leg and the ankle, world frame, metres. ankle, knee: (3,) the joints'
            keypoints. forward: (3,) the foot's way (heel to toes). top: the shaft's top, metres up the shin from
            the ankle. thickness: its wall's room off the skin. size: the last's scale (a child's shorter lip).
    Returns:
        (vertices (M, 3) world, faces (F, 3) uint32 facing out, (M,) bool the collar's lining (inside)).
    """
    up = knee - ankle
    up = up / max(float(np.linalg.norm(up)), 1e-9)
    e1 = forward - (forward @ up) * up
    e1 = e1 / max(float(np.linalg.norm(e1)), 1e-9)
    e2 = np.cross(up, e1)
    rel = leg - ankle
    h, q = rel @ up, np.stack([rel @ e1, rel @ e2], 1)
    bottom = -INTO * size
    top = max(top, bottom + 0.05 * size)
    levels = np.linspace(bottom, top, LEVELS)
    band = 0.6 * (levels[1] - levels[0]) + 0.004
    # 1. The bands' middles on one straight axis.
    mids = []
    for hk in levels:
        sel = np.abs(h - hk) < band
        mids.append(0.5 * (q[sel].min(0) + q[sel].max(0)) if sel.any() else np.full(2, np.nan))
    mids = np.array(mids)
    ok = np.isfinite(mids[:, 0])
    fit = np.polyfit(levels[ok], mids[ok], 1) if ok.sum() > 1 else np.array([[0.0, 0.0], mids[ok][0]])
    axis = levels[:, None] * fit[0][None] + fit[1][None]
    # 2. Each band's convex outline plus the wall's thickness, as radii round the axis.
    ang = np.arange(SHAFT_RING) / SHAFT_RING * 2 * np.pi
    r = np.zeros((LEVELS, SHAFT_RING))
    for k, hk in enumerate(levels):
        sel = np.abs(h - hk) < band
        r[k] = _hull_radius(q[sel] - axis[k], ang) + thickness if sel.any() else np.nan
    r = np.where(np.isfinite(r), r, np.nanmax(r, axis=0, keepdims=True))
    r = concave_envelope(levels, r)  # 3. no waist up the wall
    # 4. The collar: the wall rolled over the top and down inside as the lining.
    t = thickness
    hs = np.concatenate([levels, [top + 0.3 * t, top, top - LIP * size]])
    rs = np.concatenate([r, r[-1:] - COLLAR * t, r[-1:] - 0.8 * t, r[-1:] - 0.8 * t])
    ax = np.concatenate([axis, axis[-1:], axis[-1:], axis[-1:]])
    S = len(hs)
    v = (ankle[None, None] + hs[:, None, None] * up[None, None]
         + (ax[:, 0, None] + rs * np.cos(ang)[None])[..., None] * e1[None, None]
         + (ax[:, 1, None] + rs * np.sin(ang)[None])[..., None] * e2[None, None])
    lining = np.zeros((S, SHAFT_RING), bool)
    lining[-2:] = True  # the roll's inner edge and the lining below it
    return v.reshape(-1, 3), shaft_faces(S, SHAFT_RING), lining.ravel()



_SHINS: dict = {}  # (id(atlas), cut) -> (atlas, side -> (the shin's vertex ids, those at the cut))


def shin_skin(atlas, cut: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per side (N,) the lower leg's vertex ids from 0.15 above ``cut`` down (the skin a shaft up to ``cut`` stands
    round, by the body's leg coordinate) and (M,) those within 0.02 of ``cut`` (where its top is); made once a body."""
    got = _SHINS.get((id(atlas), cut))
    if got is None or got[0] is not atlas:
        leg = np.nan_to_num(atlas.leg, nan=-np.inf)
        out = {}
        for side in ("left", "right"):
            on = atlas.parts == PART_INDEX[f"{side}_lower_leg"]
            out[side] = (np.flatnonzero(on & (leg >= cut - 0.15)), np.flatnonzero(on & (np.abs(leg - cut) < 0.02)))
        got = _SHINS[(id(atlas), cut)] = (atlas, out)
    return got[1]


def boot_shaft(atlas, shoes: dict, vertices: np.ndarray, keypoints: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both legs' shafts of boots ``shoes`` (``cut``, ``thickness``: the wall's room off the skin's convex outline,
    ``color``) as one mesh: (vertices (M, 3) float32 world, faces (F, 3) uint32, colours (M, 3) float32: the upper's,
    the collar's lining inside). ``vertices``: (V, 3) the posed body, world, metres; ``keypoints``: (25, 3) BODY25."""
    vs, fs, ls, base = [], [], [], 0
    for side, (ids, near) in shin_skin(atlas, float(shoes["cut"])).items():
        kp = lambda name: keypoints[K25[f"{side}_{name}"]].astype(np.float64)  # noqa: E731
        ankle, knee = kp("ankle"), kp("knee")
        up = (knee - ankle) / max(float(np.linalg.norm(knee - ankle)), 1e-9)
        top = float(np.mean((vertices[near] - ankle) @ up)) if len(near) else 0.15
        size = float(np.clip(np.linalg.norm(knee - ankle) / 0.42, 0.55, 1.25))
        v, f, lin = shaft(vertices[ids].astype(np.float64), ankle, knee, 0.5 * (kp("big_toe") + kp("small_toe")) - kp("heel"),
                          top, float(shoes["thickness"]), size)
        vs.append(v)
        fs.append(f + base)
        ls.append(lin)
        base += len(v)
    v = np.concatenate(vs).astype(np.float32)
    upper = hex_rgb(shoes["color"])
    col = np.where(np.concatenate(ls)[:, None], palette(upper, upper)["lining"], upper)
    col = col * (0.96 + 0.06 * hash_noise(v.astype(np.float64) * 7.0))[:, None]
    return v, np.ascontiguousarray(np.concatenate(fs), np.uint32), col.astype(np.float32)
