"""A boot's shaft: a leather tube standing up the shin from the boot's upper (:mod:`genb.render.dress.shoes`).

Along the shin's axis (the ankle keypoint to the knee's), the leg's skin between the ankle and the boot's cut is
sliced into :data:`LEVELS` bands; each band's cross-section is its convex outline seen along the axis (no hollow
behind the ankle bones or the Achilles tendon) plus the shaft's thickness, read as a radius at :data:`SHAFT_RING`
angles round one straight axis (the bands' middles fitted by a line). Along its height each angle's radius is
its concave envelope (:func:`concave_envelope`: straight or bulging walls, never a waist at the ankle), so the
shaft reads as a stiff tube, not as a leg painted the boot's colour (the tight shell it replaced followed the
calf, the ankle's narrowing and every hollow, and its top edge was the body's triangles cut along a line).
At the top the wall turns over a rounded collar into the shaft (:data:`LIP` deep, the lining's colour inside);
at the bottom it starts :data:`INTO` below the ankle, inside the upper. Its outer wall, as radii round its axis
(:class:`Tube`), is what trousers' legs lie over or tuck into (:mod:`genb.render.dress.boot_hem`). Its top is the
skin's height at the boot's cut (:func:`shin_skin`), between the shin mesh's rings round it where none lies there.
Pure geometry over arrays.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.materials import hash_noise, hex_rgb
from genb.render.dress.shoe_look import palette

LEVELS = 9  # bands up the shin
SHAFT_RING = 32  # points round the shaft
INTO = 0.02  # how far under the ankle joint the shaft starts (inside the upper), adult, metres
ABOVE = 0.03  # how far over the top the skin its top ring holds reaches, adult, metres
LIP = 0.012  # how far the collar's lining reaches down inside the shaft
COLLAR = 0.35  # the collar's roll: its inner edge in by this share of the wall's thickness


@dataclasses.dataclass(frozen=True)
class Tube:
    """A shaft's outer wall as radii round a straight axis (what the trousers' legs lie over or tuck into,
    :mod:`genb.render.dress.boot_hem`). ankle: (3,) world; up, e1, e2: (3,) the shin's frame (e1 the foot's way);
    levels: (L,) heights up ``up`` from the ankle, metres; axis: (L, 2) the axis in (e1, e2); r: (L, A) the wall's
    radius at :data:`SHAFT_RING` angles (0 along e1, counter-clockwise about ``up``)."""

    ankle: np.ndarray
    up: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    levels: np.ndarray
    axis: np.ndarray
    r: np.ndarray

    def wall(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For (P, 3) world ``points``: (P,) their height up the shin, (P, 3) unit directions out from the axis,
        (P,) their distance from it and (P,) the wall's radius there (its top ring's over the top, its bottom's
        under the bottom; between the ring's points read linearly in angle, just outside the wall's flat chords)."""
        rel = points - self.ankle
        h = rel @ self.up
        lv = self.levels
        s = np.clip((h - lv[0]) / (lv[-1] - lv[0]), 0.0, 1.0)
        dq = np.stack([rel @ self.e1, rel @ self.e2], 1) - (self.axis[0] + s[:, None] * (self.axis[-1] - self.axis[0]))
        rad = np.sqrt((dq * dq).sum(1))
        A = self.r.shape[1]
        a = np.mod(np.arctan2(dq[:, 1], dq[:, 0]) / (2 * np.pi) * A, A)
        i0 = np.floor(a).astype(np.int64) % A
        fa = a - np.floor(a)
        k = s * (len(lv) - 1)
        k0 = np.minimum(np.floor(k).astype(np.int64), len(lv) - 2)
        fk = k - k0
        i1 = (i0 + 1) % A
        r = self.r
        R = (r[k0, i0] * (1 - fa) + r[k0, i1] * fa) * (1 - fk) + (r[k0 + 1, i0] * (1 - fa) + r[k0 + 1, i1] * fa) * fk
        d = dq / np.maximum(rad, 1e-9)[:, None]
        return h, d[:, :1] * self.e1 + d[:, 1:] * self.e2, rad, R


@functools.lru_cache(maxsize=None)
def _spans(K: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of ``K`` evenly spaced levels i < j - 1 and each level k between them, sorted by k: (P,) i, j, the
    weight of j in the straight line between them at k, and (K - 2,) where each k = 1 .. K - 2 starts."""
    i, j, k = np.array(sorted((c, a, b) for a in range(K) for b in range(a + 2, K) for c in range(a + 1, b))).T[[1, 2, 0]]
    out = (i, j, (k - i) / (j - i), np.searchsorted(k, np.arange(1, K - 1)))
    for q in out:
        q.flags.writeable = False
    return out


def concave_envelope(r: np.ndarray) -> np.ndarray:
    """(K, A) the least concave functions over each column of ``r`` (K, A) at evenly spaced levels: a wall's
    radius up its height with no waist (the straight lines between the levels that bulge most)."""
    i, j, w, starts = _spans(len(r))
    out = r.copy()
    if len(r) > 2:
        lines = r[i] * (1 - w)[:, None] + r[j] * w[:, None]
        out[1:-1] = np.maximum(r[1:-1], np.maximum.reduceat(lines, starts, axis=0))
    return out


@functools.lru_cache(maxsize=None)
def _directions(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) unit directions round the shaft and (n, n) 1 / the cosine between two of them (inf past 78 degrees)."""
    ang = np.arange(n) / n * 2 * np.pi
    d = np.stack([np.cos(ang), np.sin(ang)], 1)
    c = d @ d.T
    inv = np.where(c > 0.2, 1.0 / np.maximum(c, 0.2), np.inf)
    for q in (d, inv):
        q.flags.writeable = False
    return d, inv


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
          size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, Tube]:
    """The shaft's mesh.

    Args:
        leg: (N, 3) the skin of the lower leg and the ankle, world frame, metres. ankle, knee: (3,) the joints'
            keypoints. forward: (3,) the foot's way (heel to toes). top: the shaft's top, metres up the shin from
            the ankle. thickness: its wall's room off the skin. size: the last's scale (a child's shorter lip).
    Returns:
        (vertices (M, 3) world, faces (F, 3) uint32 facing out, (M,) bool the collar's lining (inside), its
        outer wall as a :class:`Tube`).
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
    # 1. The skin binned by its nearest level (sorted, so each level's points are one run); the bands' middles on one
    # straight axis (a least-squares line through them; one band: its middle).
    k = np.round((h - bottom) / (levels[1] - levels[0])).astype(np.int64)
    k[(h > top) & (h < top + ABOVE * size)] = LEVELS - 1  # the top holds the skin just over it (a widening calf)
    keep = np.flatnonzero((k >= 0) & (k < LEVELS))
    keep = keep[np.argsort(k[keep], kind="stable")]
    k, q = k[keep], q[keep]
    ok = np.zeros(LEVELS, bool)
    ok[k] = True
    starts = np.searchsorted(k, np.flatnonzero(ok))
    d, inv = _directions(SHAFT_RING)
    if not len(k):  # no skin between the ankle and the cut: a plain tube round the ankle
        q, starts, ok[0] = np.zeros((1, 2)), np.zeros(1, np.int64), True
    lk, mk = levels[ok], 0.5 * (np.minimum.reduceat(q, starts) + np.maximum.reduceat(q, starts))
    lc = lk - lk.mean()
    slope = (lc @ (mk - mk.mean(0))) / (lc @ lc) if len(lk) > 1 else np.zeros(2)
    axis = mk.mean(0)[None] + (levels - lk.mean())[:, None] * slope[None]
    # 2. Each band's convex outline seen along the axis plus the wall's thickness, as radii round it: per
    # direction the polar radius of the outline, the least over the support lines of the others.
    # (each level's reach its neighbours' too: the skin between two rings stays inside the wall between them)
    reach = np.full((LEVELS, SHAFT_RING), -np.inf)
    reach[ok] = np.maximum.reduceat(q @ d.T, starts)
    reach = np.maximum(reach, np.maximum(np.r_[reach[:1], reach[:-1]], np.r_[reach[1:], reach[-1:]]))
    reach = np.where(np.isfinite(reach), reach, reach[np.isfinite(reach[:, 0])].max(0)) - axis @ d.T
    r = np.maximum((reach[:, None, :] * inv[None]).min(2), 0.0) + thickness
    r = concave_envelope(r)  # 3. no waist up the wall
    # 4. The collar: the wall rolled over the top and down inside as the lining.
    t = thickness
    hs = np.concatenate([levels, [top + 0.3 * t, top, top - LIP * size]])
    rs = np.concatenate([r, r[-1:] - COLLAR * t, r[-1:] - 0.8 * t, r[-1:] - 0.8 * t])
    ax = np.concatenate([axis, axis[-1:], axis[-1:], axis[-1:]])
    S = len(hs)
    v = (ankle[None, None] + hs[:, None, None] * up[None, None]
         + (ax[:, 0, None] + rs * d[:, 0][None])[..., None] * e1[None, None]
         + (ax[:, 1, None] + rs * d[:, 1][None])[..., None] * e2[None, None])
    lining = np.zeros((S, SHAFT_RING), bool)
    lining[-2:] = True  # the roll's inner edge and the lining below it
    return v.reshape(-1, 3), shaft_faces(S, SHAFT_RING), lining.ravel(), Tube(ankle, up, e1, e2, levels, axis, r)



_SHINS: dict = {}  # (id(atlas), cut) -> (atlas, side -> (the shin's vertex ids, the rings round the cut, weight))


def _rings_round(leg: np.ndarray, on: np.ndarray, cut: float) -> tuple[np.ndarray, np.ndarray, float]:
    """The vertex ids within 0.02 of ``cut`` twice and weight 0; where no ring of the shin's mesh lies there (its
    leg coordinate jumps 1.57 -> 1.65 and 1.68 -> 1.77), the nearest ring under the cut and the one over it (each
    within 0.02 of its own) and the cut's share of the way from the one to the other."""
    at = np.flatnonzero(on & (np.abs(leg - cut) < 0.02))
    if len(at):
        return at, at, 0.0
    lo, hi = leg[on & (leg < cut)].max(initial=-np.inf), leg[on & (leg > cut)].min(initial=np.inf)
    if not np.isfinite(lo) or not np.isfinite(hi):
        return at, at, 0.0
    return (np.flatnonzero(on & (np.abs(leg - lo) < 0.02)), np.flatnonzero(on & (np.abs(leg - hi) < 0.02)),
            float((cut - lo) / (hi - lo)))


def shin_skin(atlas, cut: float) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """Per side (N,) the lower leg's vertex ids from 0.15 above ``cut`` down (the skin a shaft up to ``cut`` stands
    round, by the body's leg coordinate) and where its top is: the vertex ids of the rings round ``cut`` and the share
    of the second (:func:`_rings_round`); made once a body."""
    got = _SHINS.get((id(atlas), cut))
    if got is None or got[0] is not atlas:
        leg = np.nan_to_num(atlas.leg, nan=-np.inf)
        out = {}
        for side in ("left", "right"):
            on = atlas.parts == PART_INDEX[f"{side}_lower_leg"]
            out[side] = (np.flatnonzero(on & (leg >= cut - 0.15)), *_rings_round(leg, on, cut))
        got = _SHINS[(id(atlas), cut)] = (atlas, out)
    return got[1]


def boot_shaft(atlas, shoes: dict, vertices: np.ndarray, keypoints: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Tube]]:
    """Both legs' shafts of boots ``shoes`` (``cut``, ``thickness``: the wall's room off the skin's convex outline,
    ``color``) as one mesh: (vertices (M, 3) float32 world, faces (F, 3) uint32, colours (M, 3) float32: the upper's,
    the collar's lining inside) and per side its outer wall (:class:`Tube`). ``vertices``: (V, 3) the posed body,
    world, metres; ``keypoints``: (25, 3) BODY25."""
    vs, fs, ls, tubes, base = [], [], [], {}, 0
    for side, (ids, below, above, w) in shin_skin(atlas, float(shoes["cut"])).items():
        kp = lambda name: keypoints[K25[f"{side}_{name}"]].astype(np.float64)  # noqa: E731
        ankle, knee = kp("ankle"), kp("knee")
        up = (knee - ankle) / max(float(np.linalg.norm(knee - ankle)), 1e-9)
        # the top: the skin's height at the cut (between the shin's rings round it: a fixed 15 cm stood a child's
        # shaft's top over the skin it holds, its top ring shrunk to the wall's thickness round the axis)
        height = lambda at: float(np.mean((vertices[at] - ankle) @ up))  # noqa: E731
        top = (height(below) * (1.0 - w) + height(above) * w if w else height(below)) if len(below) else 0.15
        size = float(np.clip(np.linalg.norm(knee - ankle) / 0.42, 0.55, 1.25))
        v, f, lin, tubes[side] = shaft(vertices[ids].astype(np.float64), ankle, knee, 0.5 * (kp("big_toe") + kp("small_toe")) - kp("heel"),
                          top, float(shoes["thickness"]), size)
        vs.append(v)
        fs.append(f + base)
        ls.append(lin)
        base += len(v)
    v = np.concatenate(vs).astype(np.float32)
    upper = hex_rgb(shoes["color"])
    col = np.where(np.concatenate(ls)[:, None], palette(upper, upper)["lining"], upper)
    col = col * (0.96 + 0.06 * hash_noise(v.astype(np.float64) * 7.0))[:, None]
    return v, np.ascontiguousarray(np.concatenate(fs), np.uint32), col.astype(np.float32), tubes
