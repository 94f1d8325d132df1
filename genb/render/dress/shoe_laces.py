"""A shoe's laces, criss-crossed over the instep (on the upper of :mod:`genb.render.dress.shoes`).

Eyelet rows run along the instep, a pair a row (0.36 of the upper's width apart); the row nearest the toes
holds a straight bar, and between every two rows two bars cross in an X, from each eyelet to the other side's
eyelet of the next row up, one over the other where they cross (on top in turn, X after X: the one on top rises
by :data:`OVER`, the one under it sinks by as much into the upper, which hides it). Each bar is a flat tape
drawn flush with the upper: its middle :data:`FLUSH` over the upper's top all along (stations a sixth of its
length apart, their height from the upper under them, tilted with its slope across the bar), its underside
just inside the upper and its top :data:`LACE_HALF_H` + :data:`FLUSH` over it, with an eyelet pad at each
row's eyelets (one pad an eyelet). It stood 0.8 mm off the upper (its top 3 mm over it, 5.6 at an X): seen
edge-on over the instep the bars and the gaps under them made a hairy outline. Pure geometry over arrays.
"""

from __future__ import annotations

import functools

import numpy as np

from genb.render.dress.shoe_loft import loft_faces, ring

ALONG = np.array([0.0, 0.0, 0.0, 1 / 6, 2 / 6, 0.5, 4 / 6, 5 / 6, 1.0, 1.0, 1.0])  # a bar's stations, shares of it
EYE_AT = np.array([-1.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, -0.3, 0.0, 1.0])  # and out by eyelet radii
BAR_RING = 8  # points round a lace bar
EYE_R = 0.0034  # an eyelet's radius and the bar's half width along the foot, adult, metres
LACE_HALF_H = 0.0007  # a lace's half height (not scaled: a child's laces are as thick)
PAD_HALF_H = 0.0005  # an eyelet pad's
FLUSH = 0.0003  # the bar's middle over the upper's top
OVER = 0.0008  # at an X's middle the bar on top rises by this, the one under it sinks by as much
SPREAD = 0.36  # the eyelets' distance apart, a share of the upper's width there


def bar_count(rows: int) -> int:
    """How many bars ``rows`` eyelet rows hold: a straight one and two crossing between each two rows."""
    return 2 * rows - 1 if rows else 0


@functools.lru_cache(maxsize=None)
def _template(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S, m, 2) a bar's ring offsets (across, up) at an adult's size (flat pads, rounder lace), (B, S) bool
    which stations are pads (one pad an eyelet), and the faces of the B bars."""
    z = np.zeros(len(ALONG))
    pad = (np.abs(EYE_AT) == 1) | ((EYE_AT == 0) & ((ALONG == 0) | (ALONG == 1)))
    d = ring(z, z, np.where(pad, EYE_R, EYE_R * 0.94), np.where(pad, PAD_HALF_H, LACE_HALF_H), 4.0, BAR_RING)
    B = bar_count(rows)
    pads = np.zeros((B, len(ALONG)), bool)
    pads[0] = pad  # the straight bar: both ends
    pads[1:] = pad & (ALONG == 1)  # an X's bars: their ankle-side ends (the row nearer the toes has its own)
    per = len(ALONG) * BAR_RING + 2
    f = loft_faces(len(ALONG), BAR_RING)[None] + (np.arange(B) * per)[:, None, None]
    for q in (d, pads, f):
        q.flags.writeable = False
    return d, pads, np.ascontiguousarray(f.reshape(-1, 3), np.uint32)


def _rings_at(xs: np.ndarray, rings: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(B, n, 2) the loft's rings at ``x`` (B,), on the straight lines between its rings at ``xs`` (S,)."""
    i = np.minimum(np.maximum(np.searchsorted(xs, x) - 1, 0), len(xs) - 2)
    w = np.minimum(np.maximum((x - xs[i]) / (xs[i + 1] - xs[i]), 0.0), 1.0)[:, None, None]
    return rings[i] * (1 - w) + rings[i + 1] * w


def _height(xs: np.ndarray, rings: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(P,) the upper's top at points (``x``, ``y``) (P,): its ring there (top half, y ascending), held flat
    past its ends."""
    top = rings.shape[1] // 4
    r = _rings_at(xs, rings, x)[:, : 2 * top + 1][:, ::-1]
    K = r.shape[1]
    k = np.minimum(np.maximum((y[:, None] >= r[:, :, 0]).sum(-1) - 1, 0), K - 2)
    p = np.arange(len(x))
    (y0, z0), (y1, z1) = r[p, k].T, r[p, k + 1].T
    return z0 + np.minimum(np.maximum((y - y0) / np.maximum(y1 - y0, 1e-9), 0.0), 1.0) * (z1 - z0)


def eyelets(xs: np.ndarray, rings: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, 2) each row's eyelets' y (right, left) at ``x`` (R,), :data:`SPREAD` of the upper's width there
    either side of its middle, and (R,) that width."""
    r = _rings_at(xs, rings, x)
    lo, hi = r[..., 0].min(1), r[..., 0].max(1)
    yc, half = 0.5 * (lo + hi), SPREAD * 0.5 * (hi - lo)
    return np.stack([yc - half, yc + half], 1), hi - lo


def _ends(xr: np.ndarray, ey: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bars' ends (B, 2) (x, y) from, to, and (B,) +1/-1: which bar of an X goes over (0: the straight bar)."""
    R = len(xr)
    a = [[xr[-1], ey[-1, 0]]]
    b = [[xr[-1], ey[-1, 1]]]
    over = [0.0]
    for i in range(R - 2, -1, -1):  # from the toes up the instep
        for side in (0, 1):
            a.append([xr[i + 1], ey[i + 1, side]])
            b.append([xr[i], ey[i, 1 - side]])
            over.append(1.0 if side == (i % 2) else -1.0)
    return np.array(a), np.array(b), np.array(over)


def laces(rows: int, lace_from: float, lace_to: float, xs: np.ndarray, rings: np.ndarray, x0: float, L: float,
          size: float, pal: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The laces over the instep: ``rows`` eyelet rows from the share ``lace_from`` of the foot to ``lace_to``, on
    the upper's rings ``rings`` (S, n, 2) at ``xs`` (S,) (foot frame). Returns (vertices (M, 3) local, faces (F, 3)
    uint32, colours (M, 3)), the bars in :func:`_ends`' order, or None without laces."""
    if not rows:
        return None
    d, pads, faces = _template(rows)
    d, hw = d * np.array([size, 1.0]), EYE_R * size
    xr = x0 + L * np.linspace(lace_from, lace_to, rows)
    ey, _ = eyelets(xs, rings, xr)
    a, b, over = _ends(xr, ey)
    B, S, m = len(a), len(ALONG), BAR_RING
    u = b - a
    D = np.hypot(u[:, 0], u[:, 1])
    u /= D[:, None]
    c = np.stack([-u[:, 1], u[:, 0]], 1)  # across the bar
    t = D[:, None] * ALONG[None] + hw * EYE_AT[None]  # (B, S) along the bar from its first end
    p = a[:, None] + t[..., None] * u[:, None]
    q = np.concatenate([p, p + hw * c[:, None], p - hw * c[:, None]]).reshape(-1, 2)
    z = _height(xs, rings, q[:, 0], q[:, 1]).reshape(3, B, S)
    phi = np.arctan2(z[1] - z[2], 2 * hw)[..., None]  # (B, S, 1) the upper's slope across the bar
    lift = FLUSH / np.maximum(np.cos(phi[..., 0]), 0.25)  # flush with the sloping surface
    mid = 0.5 * (1 + np.cos(np.pi * np.minimum(np.abs(ALONG - 0.5) / 0.4, 1.0)))
    cross = np.sign(over)[:, None] * OVER * mid[None]  # over (under) the other bar of its X
    zs = np.maximum(z[0], 0.5 * (z[1] + z[2])) + lift + cross
    cs, sn = np.cos(phi), np.sin(phi)
    pts = np.empty((B, S * m + 2, 3))
    off_c, off_z = d[None, ..., 0] * cs - d[None, ..., 1] * sn, d[None, ..., 0] * sn + d[None, ..., 1] * cs
    pts[:, : S * m, 0] = (p[..., 0][..., None] + off_c * c[:, None, None, 0]).reshape(B, -1)
    pts[:, : S * m, 1] = (p[..., 1][..., None] + off_c * c[:, None, None, 1]).reshape(B, -1)
    pts[:, : S * m, 2] = (zs[..., None] + off_z).reshape(B, -1)
    for k, j in ((0, 0), (1, -1)):  # the end caps' tips, on the bar's middle line just past its ends
        pts[:, S * m + k, :2] = p[:, j] + (2 * k - 1) * 0.0005 * u
        pts[:, S * m + k, 2] = zs[:, j]
    eye, lace = np.asarray(pal["eyelet"]), np.asarray(pal["laces"])
    col = np.where(pads[..., None, None], eye, lace)  # (B, S, 1, 3)
    col = np.concatenate([np.broadcast_to(col, (B, S, m, 3)).reshape(B, -1, 3),
                          np.where(pads[:, [0, -1], None], eye, lace)], 1)
    return pts.reshape(-1, 3), faces, col.reshape(-1, 3)
