"""Shoes on a parametric last: an upper lofted along the posed foot, a sole of its own colour.

Per foot, in the posed foot's frame (x from the heel to the toes, y to the side, z up from the
sole; from the BODY25 heel, toe and ankle keypoints, so the shoe follows the foot in any pose),
the foot's vertices are binned into stations along x. Each station's cross-section is a
superellipse (boxy at the sole, rounded on top) wide and high enough to hold the vertices of its
station under the shoe's top line: the last encloses the foot of any body. The style sets the
rest: a toe box with a minimum height and a rounded tip, a heel counter closing the back, the
opening (the top line drops to the collar height behind the instep, where the ankle comes out,
lower and further forward for a flat shoe), and a sole slab slightly wider than the upper,
``sole`` metres high, in its own colour; boots (4.2 cm) and flat shoes (2.5 cm, a dress shoe's
low heel) add a heel block of the sole's material under the back of the foot, its flat front (the
heel breast) at a quarter of the foot's length. Boots add a tight shaft up the shin (the dresser's
shell).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.materials import hash_noise, hex_rgb
from genb.render.dress.mesh import GarmentMesh, mesh_normals
from genb.render.dress.vec import cross, length, roll

ADULT_FOOT = 0.26  # metres heel to toe tip at which a style's heights are given
STATIONS = 14  # cross-sections along the foot
RING = 16  # points around a cross-section
P_UPPER = 3.0  # superellipse exponent of the upper (2 = ellipse, larger = boxier)
P_SOLE = 8.0


@dataclasses.dataclass(frozen=True)
class Last:
    """The shape of a shoe style beyond the foot it holds (metres above the sole's bottom).

    Attributes:
        sole: height of the sole slab. toe_height: least height of the toe box.
        collar: height of the top line behind the instep (the opening). open_from: the share of the
            foot's length from the heel over which the top line is at ``collar``.
        sole_outset: how far the sole stands out of the upper at the sides.
        heel: height of the heel block at the back of the sole (0: none), from the sole's bottom.
        heel_length: the share of the foot's length, from the back, that the heel block covers.
    """

    sole: float
    toe_height: float
    collar: float
    open_from: float
    sole_outset: float = 0.004
    heel: float = 0.0
    heel_length: float = 0.0


LASTS = {
    "sneakers": Last(sole=0.026, toe_height=0.045, collar=0.075, open_from=0.42, sole_outset=0.005),
    "boots": Last(sole=0.022, toe_height=0.05, collar=0.2, open_from=0.0, sole_outset=0.004, heel=0.042,
                  heel_length=0.27),
    "flat_shoes": Last(sole=0.009, toe_height=0.032, collar=0.038, open_from=0.66, sole_outset=0.002, heel=0.025,
                       heel_length=0.25),
}
SOLE_COLOURS = {"sneakers": "f0eee8", "boots": "2a2420", "flat_shoes": "3a3230"}
SOLE_FALLBACKS = ("f0eee8", "1e1e20", "8a6a4a")  # a sole never takes its upper's colour


def sole_colour(shoes: dict) -> str:
    """The sole's hex: the outfit's ``sole`` or the style's, unless within sRGB distance 60 of the
    upper; then the first of :data:`SOLE_FALLBACKS` that stands apart."""
    upper = hex_rgb(shoes["color"])
    first = shoes.get("sole") or SOLE_COLOURS.get(shoes["type"], "2a2420")
    for c in (first, *SOLE_FALLBACKS):
        if length((hex_rgb(c) - upper) * 255) >= 60:
            return c
    return first


def foot_frame(keypoints: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(3,) origin (the heel keypoint) and (3, 3) columns x forward (heel to the toes' middle),
    y to the foot's left, z up (towards the ankle, orthogonal to x), from BODY25 keypoints (25, 3)."""
    kp = np.asarray(keypoints, np.float64)
    heel = kp[K25[f"{side}_heel"]]
    toes = 0.5 * (kp[K25[f"{side}_big_toe"]] + kp[K25[f"{side}_small_toe"]])
    fwd = toes - heel
    fwd /= max(length(fwd), 1e-9)
    up = kp[K25[f"{side}_ankle"]] - heel
    up = up - (up @ fwd) * fwd
    up /= max(length(up), 1e-9)
    return heel, np.stack([fwd, cross(up, fwd), up], 1)


@functools.lru_cache(maxsize=None)
def _unit_ring(n: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    th = np.arange(n) / n * 2 * np.pi
    c, s = np.cos(th), np.sin(th)
    return np.sign(c) * np.abs(c) ** (2 / p), np.sign(s) * np.abs(s) ** (2 / p)


def _ring(yc, zc, a, b, p: float, n: int = RING) -> np.ndarray:
    """(S, n, 2) superellipse points (y, z) per station, counter-clockwise seen from the toes."""
    uy, uz = _unit_ring(n, p)
    return np.stack([yc[:, None] + a[:, None] * uy, zc[:, None] + b[:, None] * uz], -1)


@functools.lru_cache(maxsize=None)
def _loft_faces(S: int, n: int) -> np.ndarray:
    """(F, 3) faces of a tube of S rings of n points capped at both ends (two extra vertices), facing
    out for rings counter-clockwise about +x (the foot frame is right-handed)."""
    i = np.arange(S - 1)[:, None] * n
    j = np.arange(n)[None]
    a, b, c, d = i + j, i + (j + 1) % n, i + n + (j + 1) % n, i + n + j
    jb = np.arange(n)
    f = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3),
                        np.stack([np.full(n, S * n), (jb + 1) % n, jb], -1),
                        np.stack([np.full(n, S * n + 1), (S - 1) * n + jb, (S - 1) * n + (jb + 1) % n], -1)])
    # orientation from a unit tube (x along the axis, rings counter-clockwise in (y, z))
    th = np.arange(n) / n * 2 * np.pi
    v = np.concatenate([np.stack([np.full(n, float(k)), np.cos(th), np.sin(th)], 1) for k in range(S)]
                       + [[[-1.0, 0.0, 0.0], [float(S), 0.0, 0.0]]])
    tri = v[f]
    if np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() < 0:
        f = f[:, ::-1]
    f = np.ascontiguousarray(f, np.uint32)
    f.flags.writeable = False
    return f


def _loft(x: np.ndarray, rings: np.ndarray, tips: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """A closed tube through rings (S, n, 2) at stations x (S,), capped at both ends by a point at
    x = ``tips`` (back, front) in the middle of the end ring. Returns (N, 3) local vertices, (F, 3) faces
    facing out."""
    S, n = rings.shape[:2]
    v = np.empty((S * n + 2, 3))
    v[: S * n, 0] = np.repeat(x, n)
    v[: S * n, 1:] = rings.reshape(-1, 2)
    v[S * n] = [tips[0], *rings[0].mean(0)]
    v[S * n + 1] = [tips[1], *rings[-1].mean(0)]
    return v, _loft_faces(S, n)


def _station_max(k: np.ndarray, values: np.ndarray, S: int, fill: float) -> np.ndarray:
    out = np.full(S, -np.inf)
    np.maximum.at(out, k, values)
    return np.where(np.isfinite(out), out, fill)


def _grow(q: np.ndarray, op) -> np.ndarray:
    """(S,) each station's value ``op``-ed (np.maximum or np.minimum) with its neighbours' (the ends with themselves)."""
    return op(op(q, np.concatenate([q[:1], q[:-1]])), np.concatenate([q[1:], q[-1:]]))


def shoe_last(local: np.ndarray, last: Last, thickness: float) -> dict[str, np.ndarray]:
    """The upper and the sole of one shoe around a foot's vertices in its frame.

    Args:
        local: (N, 3) the foot's vertices in :func:`foot_frame` coordinates, metres.
        last: the style. thickness: the upper's room around the foot, metres.
    Returns:
        ``last``: the style scaled to the foot's length; ``upper``, ``sole`` and ``heel`` (None without
        one): (vertices (M, 3) local, faces (F, 3) uint32); ``collar`` (M,) bool
        upper vertices on the top line of the opening; ``top`` (S,) the top line's height above
        the foot's lowest point at ``x`` (S,) the stations.
    """
    x0, x1 = float(local[:, 0].min()), float(local[:, 0].max())
    z0 = float(local[:, 2].min())
    L = max(x1 - x0, 0.05)
    size = float(np.clip(L / ADULT_FOOT, 0.55, 1.25))  # a child's shoe is a smaller last
    last = dataclasses.replace(last, collar=last.collar * size, toe_height=last.toe_height * size,
                               sole=last.sole * np.sqrt(size), heel=last.heel * np.sqrt(size))
    t = float(thickness)
    x = np.linspace(x0 - 0.2 * t, x1 + 0.4 * t, STATIONS)
    dx = x[1] - x[0]
    # the top line: the collar behind the instep, rising to the vamp; the foot above it comes out
    s = (x - x0) / L
    rise = np.clip((s - last.open_from) / 0.18, 0.0, 1.0)
    cap_top = z0 + last.collar + rise * 1.0  # in front of the opening the upper holds the whole foot
    # every station holds the vertices within reach of it (its neighbours' half-way points)
    k = np.clip(np.round((local[:, 0] - x[0]) / dx).astype(np.int64), 0, STATIONS - 1)
    under = local[:, 2] < cap_top[k]
    y_hi = _station_max(k[under], local[under, 1], STATIONS, np.nan)
    y_lo = -_station_max(k[under], -local[under, 1], STATIONS, np.nan)
    z_hi = _station_max(k[under], local[under, 2], STATIONS, np.nan)
    good = np.isfinite(y_hi)
    idx = np.arange(STATIONS)
    y_hi, y_lo, z_hi = (np.interp(idx, idx[good], q[good]) for q in (y_hi, y_lo, z_hi))
    # neighbouring stations share their extents (a vertex between two stations is held by both)
    y_hi, y_lo, z_hi = _grow(y_hi, np.maximum), _grow(y_lo, np.minimum), _grow(z_hi, np.maximum)
    top = np.minimum(np.maximum(z_hi + t, z0 + last.toe_height), cap_top)
    top = np.maximum(top, z0 + last.sole + 0.012)
    zb = z0 - 0.003
    yc = 0.5 * (y_hi + y_lo)
    a = 0.5 * (y_hi - y_lo) + t
    b = 0.5 * (top - zb)
    zc = zb + b
    # widen each station until it holds its vertices under the top line (superellipse test)
    rel_z = np.clip(np.abs(local[under, 2] - zc[k[under]]) / b[k[under]], 0.0, 0.9)
    need = (np.abs(local[under, 1] - yc[k[under]]) + t) / (1 - rel_z ** P_UPPER) ** (1 / P_UPPER)
    a = np.maximum(a, _grow(_station_max(k[under], need, STATIONS, 0.0), np.maximum))
    # toe box and heel counter: rings beyond the foot round the ends off
    xs = np.concatenate([[x[0] - 0.006], x, [x[-1] + 0.008, x[-1] + 0.016]])
    ends = np.concatenate([[0.82], np.ones(STATIONS), [0.86, 0.58]])
    pad = lambda q: np.concatenate([[q[0]], q, [q[-1], q[-1]]])  # noqa: E731
    yc, zc, a, b = pad(yc), pad(zc), pad(a), pad(b)
    ring = _ring(yc, zc - (1 - ends) * b * 0.5, a * ends, b * (0.5 + 0.5 * ends), P_UPPER)
    upper = _loft(xs, ring, (xs[0] - 0.006, xs[-1] + 0.007))
    on_top = np.zeros((len(xs), RING), bool)
    on_top[1:-2, RING // 4] = s < last.open_from + 0.1  # the ring's top point behind the instep
    collar = np.concatenate([on_top.reshape(-1), [False, False]])
    sh = 0.5 * (last.sole + 0.004)
    sole_ring = _ring(yc, np.full(len(xs), z0 - 0.004 + sh), a * np.sqrt(ends) * 0.97 + last.sole_outset,
                      np.full(len(xs), sh), P_SOLE)
    sole = _loft(xs, sole_ring, (xs[0] - 0.008, xs[-1] + 0.01))
    heel = None
    if last.heel > last.sole:  # a heel block at the back, a little proud of the sole, flat-fronted
        back, breast = xs[0] - 0.006, x0 + last.heel_length * L
        xh = np.linspace(xs[0], breast, 4)
        half = np.interp(xh, xs, a * np.sqrt(ends) * 0.97) + last.sole_outset + 0.002
        bottom = z0 - 0.004 + 0.0005  # above the sole's bottom: no coplanar tie with it
        hh = 0.5 * (z0 - 0.004 + last.heel - bottom)
        ring = _ring(np.interp(xh, xs, yc), np.full(4, bottom + hh), half, np.full(4, hh), P_SOLE)
        heel = _loft(xh, ring, (back, breast))
    return {"last": last, "upper": upper, "sole": sole, "heel": heel, "collar": collar, "top": top - z0, "x": x}


def foot_vertices(atlas, side: str) -> np.ndarray:
    """(N,) body vertex ids of a foot and the ankle just above it (leg coordinate >= 1.85)."""
    leg = np.nan_to_num(atlas.leg, nan=-np.inf)
    return np.flatnonzero((atlas.parts == PART_INDEX[f"{side}_foot"])
                          | ((atlas.parts == PART_INDEX[f"{side}_lower_leg"]) & (leg >= 1.85)))


def foot_faces(faces: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(Ff,) the body faces whose vertices are all in ``ids`` (a foot's)."""
    return np.flatnonzero(np.isin(faces, ids).all(axis=1))


_FOOT_FACES: dict = {}  # id(fids) -> (fids, faces, ids, the foot faces on the foot's own vertices)


def _local_faces(faces: np.ndarray, ids: np.ndarray, fids: np.ndarray) -> np.ndarray:
    """(Ff, 3) the foot faces ``faces[fids]`` with their vertices as indices into the foot's ``ids`` (sorted; every
    vertex of a foot face is one of them, :func:`foot_faces`), made once a body model."""
    got = _FOOT_FACES.get(id(fids))
    if got is None or got[0] is not fids or got[1] is not faces or got[2] is not ids:
        got = _FOOT_FACES[id(fids)] = (fids, faces, ids, np.searchsorted(ids, faces[fids]))
    return got[3]


def shoe_meshes(shoes: dict, vertices: np.ndarray, keypoints: np.ndarray, faces: np.ndarray,
                feet: dict[str, tuple[np.ndarray, np.ndarray]]) -> list:
    """Per foot the upper and the sole of a shoe (``shoes``: ``type``, ``color``, ``thickness``,
    optionally ``sole``: the sole's hex), posed with the foot.

    Args:
        vertices: (V, 3) posed body, world frame, metres. keypoints: (25, 3) BODY25.
        faces: (F, 3) body faces. feet: side -> (:func:`foot_vertices`, :func:`foot_faces`).
    Returns:
        :class:`~genb.render.dress.mesh.GarmentMesh` list (upper, sole per foot); an upper covers and
        hides the body faces under its top line (the ankle above the opening stays drawn).
    """
    last = LASTS.get(shoes["type"], LASTS["sneakers"])
    color = hex_rgb(shoes["color"])
    sole_color = hex_rgb(sole_colour(shoes))
    part = PART_INDEX["shoes"]
    out = []
    for side, (ids, fids) in feet.items():
        origin, R = foot_frame(keypoints, side)
        local = (vertices[ids].astype(np.float64) - origin) @ R
        made = shoe_last(local, last, 0.45 * float(shoes["thickness"]))
        # body faces under the top line (2 cm margin): covered and hidden by the upper
        x = made["x"]
        k = np.clip(np.round((local[:, 0] - x[0]) / (x[1] - x[0])).astype(np.int64), 0, len(x) - 1)
        low = np.minimum(made["top"], np.minimum(roll(made["top"], 1), roll(made["top"], -1)))
        inside = local[:, 2] - local[:, 2].min() < low[k] - 0.02  # per foot vertex
        covered = fids[inside[_local_faces(faces, ids, fids)].all(axis=1)]
        sole, shade = made["sole"], np.ones(len(made["sole"][0]))
        if made["heel"] is not None:  # the heel block joins the sole's mesh (one draw), a shade darker
            (sv, sf), (hv, hf) = sole, made["heel"]
            sole = (np.concatenate([sv, hv]), np.concatenate([sf, hf + len(sv)]).astype(np.uint32))
            shade = np.r_[shade, np.full(len(hv), 0.85)]
        for name, (lv, f) in (("upper", made["upper"]), ("sole", sole)):
            v = (origin + lv @ R.T).astype(np.float32)
            base = color if name == "upper" else sole_color
            col = np.broadcast_to(base, v.shape) * (0.96 + 0.06 * hash_noise(lv * 7.0))[:, None]
            if name == "sole":
                col = col * shade[:, None]
            if name == "upper":  # the opening's edge: a darker padded collar
                col = np.where(made["collar"][:, None], col * 0.6, col)
            out.append(GarmentMesh(v, mesh_normals(v, f), f, np.ascontiguousarray(col, np.float32), part,
                                   covered if name == "upper" else None, f"{shoes['type']}:{side}:{name}",
                                   covered if name == "upper" else None))
    return out
