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
heel breast) at a quarter of the foot's length. Boots add a shaft up the shin (a stiff tube,
:mod:`genb.render.dress.shoe_shaft`). The heel's half round, the toe's narrowing and spring, the sole's tread and the upper kept inside the
sole below its top: :mod:`genb.render.dress.shoe_sole`. The upper is drawn on a finer grid (2 rings a station, 24 points a ring) coloured by region, with
laces and a boot's welt: :mod:`genb.render.dress.shoe_look`.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.materials import hash_noise, hex_rgb
from genb.render.dress.mesh import GarmentMesh, mesh_normals
from genb.render.dress.shoe_loft import RING, loft, refine, ring, unit_ring
from genb.render.dress.shoe_tongue import shoe_tongue
from genb.render.dress.shoe_profile import NOSE_ROOM, nose_heights, slope_limited, top_envelope
from genb.render.dress.shoe_sole import TREAD, end_stations, into_sole, sole_ring, sole_unit, tips, toe_spring
from genb.render.dress.shoe_laces import laces
from genb.render.dress.shoe_look import DIP, LOOKS, REGIONS, dip_opening, palette, regions, welt
from genb.render.dress.vec import cross, length, roll

ADULT_FOOT = 0.26  # metres heel to toe tip at which a style's heights are given
STATIONS = 14  # cross-sections along the foot
P_UPPER = 3.0  # superellipse exponent of the upper (2 = ellipse, larger = boxier)
P_SOLE = 8.0
SOLE_RING = 16  # points around the sole's and the heel block's rings
REFINE = 2  # the upper's rings per station (the colour regions' grid: about 9 mm apart on an adult)


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
        spring: how far the toe's bottom rises at the tip (toe spring, adult; :func:`~genb.render.dress.shoe_sole.toe_spring`).
        p, p_open: the upper's superellipse exponent over the toes and the vamp, and behind the opening (larger:
            straighter side walls, the widest nearer the top line; blended over the top line's rise).
    """

    sole: float
    toe_height: float
    collar: float
    open_from: float
    sole_outset: float = 0.004
    heel: float = 0.0
    heel_length: float = 0.0
    spring: float = 0.0
    p: float = P_UPPER
    p_open: float = P_UPPER


LASTS = {
    "sneakers": Last(sole=0.026, toe_height=0.045, collar=0.075, open_from=0.42, sole_outset=0.005,
                     spring=0.014, p_open=4.0),
    "boots": Last(sole=0.022, toe_height=0.05, collar=0.2, open_from=0.0, sole_outset=0.004, heel=0.042,
                  heel_length=0.27, spring=0.009),
    "flat_shoes": Last(sole=0.009, toe_height=0.032, collar=0.038, open_from=0.76, sole_outset=0.002, heel=0.025,
                       heel_length=0.25, spring=0.007, p_open=5.0),
}
SOLE_COLOURS = {"sneakers": "f0eee8", "boots": "2a2420", "flat_shoes": "3a3230"}
# a sole never takes its upper's colour: a sneaker's turns white, black or gum; a boot's dark brown, tan gum or
# black; a flat or dress shoe's black, dark brown or tan leather (never white: a dark boot on a white sole reads
# as a sneaker)
SOLE_FALLBACKS = {"sneakers": ("f0eee8", "1e1e20", "8a6a4a"), "boots": ("5a4030", "8a6a4a", "121214"),
                  "flat_shoes": ("121214", "5a4030", "8a6a4a")}


def sole_colour(shoes: dict) -> str:
    """The sole's hex: the outfit's ``sole`` or the style's, unless within sRGB distance 60 of the
    upper; then the first of the style's :data:`SOLE_FALLBACKS` that stands apart."""
    upper = hex_rgb(shoes["color"])
    first = shoes.get("sole") or SOLE_COLOURS.get(shoes["type"], "2a2420")
    for c in (first, *SOLE_FALLBACKS.get(shoes["type"], SOLE_FALLBACKS["sneakers"])):
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
        one): (vertices (M, 3) local, faces (F, 3) uint32; the upper's are its rings' points, ring by ring,
        then the two end caps' tips); ``top`` (S,) the top line's height above the foot's lowest point
        at ``x`` (S,) the stations; ``rings``: the upper's stations (R,) and rings (R, RING, 2) (y, z),
        refined :data:`REFINE` times between stations, the opening's lining dipped; ``foot``: (x0, L, z0,
        size) the foot's back, length, lowest point and the last's scale; ``sole_half``: the sole's
        stations, middles and half widths (less its outset).
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
    y_hi, y_lo = slope_limited(_grow(y_hi, np.maximum), x), -slope_limited(-_grow(y_lo, np.minimum), x)
    z_hi = top_envelope(local[under, 0], local[under, 2], x, z_hi)  # the toes' own fall (shoe_profile)
    top = np.minimum(np.maximum(z_hi + t, z0 + last.toe_height), cap_top)
    top = np.maximum(top, z0 + last.sole + 0.012)
    zb = z0 - 0.003
    yc = 0.5 * (y_hi + y_lo)
    a = 0.5 * (y_hi - y_lo) + t
    b = 0.5 * (top - zb)
    zc = zb + b
    # widen each station until it holds its vertices under the top line (superellipse test)
    rel_z = np.clip(np.abs(local[under, 2] - zc[k[under]]) / b[k[under]], 0.0, 0.9)
    p = (last.p_open + (last.p - last.p_open) * rise)[k[under]]  # straighter walls behind the opening
    need = (np.abs(local[under, 1] - yc[k[under]]) + t) / (1 - rel_z ** p) ** (1 / p)
    a = slope_limited(np.maximum(a, _grow(_station_max(k[under], need, STATIONS, 0.0), np.maximum)), x)
    # the heel's half round and the toe's narrowing (stations past the foot), the toe spring, the sole
    xs, ends, nb = end_stations(x, size)
    pad = lambda q: np.concatenate([[q[0]] * nb, q, [q[-1]] * (len(xs) - nb - len(q))])  # noqa: E731
    yc, zc, a, b, rise = pad(yc), pad(zc), pad(a), pad(b), pad(rise)
    low = _grow(-_station_max(k, -local[:, 2], STATIONS, -np.inf), np.minimum) - z0  # each station's lowest vertex
    lift = toe_spring(xs, np.concatenate([np.full(nb, np.inf), low, np.full(len(xs) - nb - STATIONS, np.inf)]), x0, L,
                      last.spring * size)
    # the spring raises the upper's bottom, not its top over the foot; the heel's top falls with its half round,
    # the nose's as a quarter ellipse to just over the sole's top (shoe_profile)
    nf = len(xs) - nb - STATIONS
    high = np.maximum(2 * b - lift, last.sole + 0.015) * np.r_[0.5 + 0.5 * ends[:nb], np.ones(len(xs) - nb)]
    high = nose_heights(high, ends, nf, last.sole + 0.003 + NOSE_ROOM * size)
    rings = (ring(yc, zb + lift + 0.5 * high, a * ends, 0.5 * high, last.p) * rise[:, None, None]
             + ring(yc, zb + lift + 0.5 * high, a * ends, 0.5 * high, last.p_open) * (1 - rise)[:, None, None])
    half = a * ends + last.sole_outset  # the sole stands out of the upper's widest all round
    bottom = z0 - 0.004 + lift
    xf, rings = refine(xs, rings, REFINE)  # the same surface, finer: the colour regions' grid
    rings = dip_opening(rings, (xf - x0) / L, last.open_from, DIP * size)
    rings = into_sole(rings, xf, xs, yc, half, bottom, last.sole + 0.004)
    upper = loft(xf, rings, tips(xs, size))
    sole, heel = _sole_and_heel(xs, yc, half, bottom, last, z0, x0 + last.heel_length * L, size)
    return {"last": last, "upper": upper, "sole": sole, "heel": heel, "top": top - z0, "x": x,
            "rings": (xf, rings), "foot": (x0, L, z0, size), "sole_half": (xs, yc, half - last.sole_outset),
            "lift": lift}


def _sole_and_heel(xs: np.ndarray, yc: np.ndarray, half: np.ndarray, bottom: np.ndarray, last: Last, z0: float,
                   breast: float, size: float):
    """The sole slab under stations ``xs`` (S,) of half widths ``half`` (S,) centred on ``yc`` (S,) from ``bottom``
    (S,) (:func:`~genb.render.dress.shoe_sole.sole_ring`), and the heel block (None without one; its flat front
    at ``breast``): each (vertices (M, 3), faces (F, 3))."""
    back, front = tips(xs, size)
    sole = loft(xs, sole_ring(yc, bottom, half, last.sole + 0.004), (back - last.sole_outset, front + last.sole_outset))
    heel = None
    if last.heel > last.sole:  # a heel block at the back, a little proud of the sole, flat-fronted
        back = xs[0] - 0.004 * size
        xh = np.linspace(xs[0], breast, 4)
        hw = np.interp(xh, xs, half) + 0.002
        low = z0 - 0.004 + 0.0005  # above the sole's bottom: no coplanar tie with it
        hh = 0.5 * (z0 - 0.004 + last.heel - low)
        r = ring(np.interp(xh, xs, yc), np.full(4, low + hh), hw, np.full(4, hh), P_SOLE, SOLE_RING)
        heel = loft(xh, r, (back, breast))
    return sole, heel


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
    """Per foot the upper, the sole and the style's details of a shoe (``shoes``: ``type``, ``color``,
    ``thickness``, optionally ``sole``: the sole's hex), posed with the foot.

    Args:
        vertices: (V, 3) posed body, world frame, metres. keypoints: (25, 3) BODY25.
        faces: (F, 3) body faces. feet: side -> (:func:`foot_vertices`, :func:`foot_faces`).
    Returns:
        :class:`~genb.render.dress.mesh.GarmentMesh` list per foot: ``upper`` (coloured by region,
        :func:`~genb.render.dress.shoe_look.upper_colours`), ``sole`` (with its heel block), and where the
        style has them ``laces`` and ``welt``; an upper covers and hides the body faces under its top
        line (the ankle above the opening stays drawn).
    """
    style = shoes["type"] if shoes["type"] in LASTS else "sneakers"
    last, look = LASTS[style], LOOKS[style]
    color = hex_rgb(shoes["color"])
    sole_color = hex_rgb(sole_colour(shoes))
    pal = palette(color, sole_color, look)
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
        sole = made["sole"]
        shade = np.r_[np.where(np.tile(sole_unit()[2], len(made["sole_half"][0])), TREAD, 1.0), 1.0, 1.0]
        if made["heel"] is not None:  # the heel block joins the sole's mesh (one draw), a shade darker
            (sv, sf), (hv, hf) = sole, made["heel"]
            sole = (np.concatenate([sv, hv]), np.concatenate([sf, hf + len(sv)]).astype(np.uint32))
            shade = np.r_[shade, np.full(len(hv), 0.85)]
        grain = lambda lv: 0.96 + 0.06 * hash_noise(lv * 7.0)  # noqa: E731
        pieces = [("upper", *made["upper"], _upper_colours(made, style, pal, color, grain(made["upper"][0]))),
                  ("sole", *sole, sole_color[None] * (grain(sole[0]) * shade)[:, None])]
        x0, L, z0, size = made["foot"]
        lace = laces(look.laces, look.lace_from, look.lace_to, *made["rings"], x0, L, size, pal)
        if lace is not None:
            pieces.append(("laces", *lace))
        if look.tongue:
            pieces.append(("tongue", *shoe_tongue(local, *made["rings"], x0, L, z0, made["last"].collar,
                                                  look.lace_from - 0.025, size, pal)))
        xs, yc, half = made["sole_half"]
        band = welt(look, xs, yc, half + last.sole_outset, z0 + made["lift"] + made["last"].sole, size, P_SOLE)
        if band is not None:
            pieces.append(("welt", *band, pal["welt"][None] * grain(band[0])[:, None]))
        for name, lv, f, col in pieces:
            v = (origin + lv @ R.T).astype(np.float32)
            hold = covered if name == "upper" else None
            out.append(GarmentMesh(v, mesh_normals(v, f), f, np.ascontiguousarray(col, np.float32), part, hold,
                                   f"{shoes['type']}:{side}:{name}", hold))
    return out


S_GRID = np.arange(-0.1, 1.2, 0.0025)  # the shares along the foot the region table is made at


@functools.lru_cache(maxsize=None)
def _region_table(style: str) -> np.ndarray:
    """(len(S_GRID), RING) int8 a style's upper regions (:func:`~genb.render.dress.shoe_look.regions`) on a
    grid of shares along the foot 0.0025 apart (0.65 mm of an adult's foot): made once per style."""
    side, up = unit_ring(RING, LASTS[style].p)  # the toe box's (the regions' rows in its terms)
    t = regions(LOOKS[style], S_GRID, side, up, LASTS[style].open_from)
    t.flags.writeable = False
    return t


def _upper_colours(made: dict, style: str, pal: dict, color: np.ndarray, grain: np.ndarray) -> np.ndarray:
    """(M, 3) the colours of :func:`shoe_last`'s upper: each ring point's region (:func:`_region_table`
    at its ring's share along the foot) in its palette colour, times ``grain`` (M,); the end caps' tips
    the upper's colour."""
    xf, _ = made["rings"]
    x0, L, _, _ = made["foot"]
    table = np.stack([color if r == "upper" else pal[r] for r in REGIONS]).astype(np.float64)
    row = np.clip(np.round(((xf - x0) / L - S_GRID[0]) / 0.0025).astype(np.int64), 0, len(S_GRID) - 1)
    lab = _region_table(style)[row].reshape(-1)
    return np.concatenate([table[lab], table[:1], table[:1]]) * grain[:, None]
