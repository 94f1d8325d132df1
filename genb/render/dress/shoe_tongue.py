"""A sneaker's tongue: a padded flap standing up out of the opening, on the front of the ankle.

In the posed foot's frame (:func:`genb.render.dress.shoes.foot_frame`), the tongue comes out of the throat: its root
runs under the upper's top in front of the rearmost lace bar (:data:`ROOT_AT`, its outer face :data:`HIDE` under
the upper, bent across as the upper's top is, :func:`shoe_tongue`), and just behind that bar its outer face is level
with the upper's top before the opening's lining was dipped (it covers the lining's middle; its root stood on the
dipped lining as a flap 5 mm proud, its end and dark underside showing). From there its middle line climbs the front of the ankle: at
each height it stands :data:`GAP` in front of the foremost skin at or above that height (within its width),
never leaning forward as it climbs, up to :data:`RISE` over the collar (adult size), its top rounded as a
quarter ellipse over the last :data:`TOP_R` of its half width.
Across, it is a flat superellipse (0.6 of the upper's width there, 6 mm thick at an adult's size). Pure
geometry over arrays.
"""

from __future__ import annotations

import functools

import numpy as np

from genb.render.dress.shoe_loft import loft_faces, unit_ring

RISE = 0.028  # the tongue's top over the collar, adult, metres
GAP = 0.003  # its inner face off the skin
HALF_THICK = 0.003  # half its thickness (padded), adult
WIDTH = 0.3  # its half width as a share of the upper's width at its root
STEPS = 9  # stations up the ankle
TOP_U = np.array([0.35, 0.65, 0.85, 0.97])  # the top's rounding, as shares of its reach (TOP_R of its half width)
TOP_R = 0.45
TONGUE_RING = 12
ROOT_AT = (0.05, 0.025)  # the hidden root's stations, shares of the foot in front of the one behind the rearmost bar
HIDE = 0.0006  # the hidden root's outer face under the upper's top, adult


@functools.lru_cache(maxsize=None)
def _faces(S: int) -> np.ndarray:
    f = loft_faces(S, TONGUE_RING)[:, ::-1]  # the ring runs clockwise about the tongue's way up: see tongue()
    f = np.ascontiguousarray(f, np.uint32)
    f.flags.writeable = False
    return f


def _front(foot: np.ndarray, h: np.ndarray, y0: float, half: float, fallback: float) -> np.ndarray:
    """(M,) the foremost x of the skin ``foot`` (N, 3) at or above each height ``h`` (M,) within ``half`` of
    ``y0`` across (``fallback`` where none is)."""
    near = foot[np.abs(foot[:, 1] - y0) < half]
    order = np.argsort(-near[:, 2], kind="stable")
    zs, best = near[order, 2], np.maximum.accumulate(near[order, 0])  # the foremost of all at least this high
    j = np.searchsorted(-zs, -h, side="right") - 1
    return np.where(j >= 0, best[np.maximum(j, 0)], fallback)


def tongue(foot: np.ndarray, root: tuple[float, float, float], half_width: float, top: float, size: float,
           pal: dict, under: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0)),
           bend=lambda dy: 0.0 * dy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tongue's mesh in the foot's frame.

    Args:
        foot: (N, 3) the foot's and the ankle's skin, foot frame, metres. root: (x, y, z) where it leaves the
            upper (behind the rearmost lace bar, on the upper's top). half_width: the upper's half width there.
        top: the height of its top (the collar's plus :data:`RISE`). size: the last's scale. pal: the shoe's
            palette (``tongue`` its outer face, ``lining`` its inner face, ``rim`` its edge).
        under: (x (K,), z (K,)) the hidden root's stations in front of ``root`` (its middle line), toes first.
        bend: how far the upper's top falls at an offset across (an array of them) from its middle: the root's
            stations bent so (fading out over the first 2 cm of the climb).
    Returns:
        (vertices (M, 3), faces (F, 3) uint32 facing out, colours (M, 3)).
    """
    x_r, y_r, z_r = root
    w, th = WIDTH * 2 * half_width, HALF_THICK * size
    reach = TOP_R * w
    h = np.linspace(z_r + 0.004 * size, max(top - reach, z_r + 0.012 * size), STEPS)
    front = _front(foot, h - 2 * th - GAP, y_r, w + 0.006, x_r - GAP - th)  # the skin a little below too
    x = np.minimum.accumulate(np.minimum(front + GAP + th, x_r))  # never leaning forward as it climbs
    cx = np.r_[under[0], x_r, x]
    cz = np.r_[under[1], z_r - th, h]  # behind the rearmost bar its outer face level with the upper's top
    # the top's rounding: on along the last direction, narrowing as a quarter ellipse
    d = np.array([cx[-1] - cx[-2], cz[-1] - cz[-2]])
    d /= max(float(np.hypot(*d)), 1e-9)
    cx, cz = np.r_[cx, cx[-1] + d[0] * reach * TOP_U], np.r_[cz, cz[-1] + d[1] * reach * TOP_U]
    narrow = np.r_[np.ones(STEPS + 1 + len(under[0])), np.sqrt(1 - TOP_U ** 2)]
    tx, tz = np.gradient(cx), np.gradient(cz)
    n = np.hypot(tx, tz)
    nx, nz = tz / n, -tx / n  # forward and up: the tongue's outer side
    uy, uz = unit_ring(TONGUE_RING, 4.0)
    across = w * narrow[:, None] * uy[None]
    out = np.broadcast_to(th * uz[None], across.shape)  # flat across (edges bent round the shin went into it)
    fade = np.clip(1.0 - (cz - cz[len(under[0])]) / (0.02 * size), 0.0, 1.0)
    fade[: len(under[0]) + 1] = 1.0
    sag = fade[:, None] * bend(across)  # the root bent across as the upper's top
    S = len(cx)
    v = np.empty((S * TONGUE_RING + 2, 3))
    v[:-2, 0] = (cx[:, None] + nx[:, None] * out).ravel()
    v[:-2, 1] = (y_r + across).ravel()
    v[:-2, 2] = (cz[:, None] + nz[:, None] * out - sag).ravel()
    v[-2] = [cx[0] - 0.001 * nz[0], y_r, cz[0] - 0.001]  # the caps' tips: under the root, over the top
    v[-1] = [cx[-1] + d[0] * reach * 0.03, y_r, cz[-1] + d[1] * reach * 0.03]
    ring_col = np.where((uz > 0.3)[:, None], pal["tongue"], np.where((uz < -0.3)[:, None], pal["lining"], pal["rim"]))
    col = np.concatenate([np.tile(ring_col, (S, 1)), [pal["rim"], pal["rim"]]])
    return v, _faces(S), col


def _ring_at(xf: np.ndarray, rings: np.ndarray, x: float) -> np.ndarray:
    """(n, 2) the loft's ring at ``x``, on the straight lines between its rings ``rings`` (R, n, 2) at ``xf`` (R,)."""
    i = int(np.clip(np.searchsorted(xf, x), 1, len(xf) - 1))
    wgt = float(np.clip((x - xf[i - 1]) / (xf[i] - xf[i - 1]), 0.0, 1.0))
    return rings[i - 1] * (1 - wgt) + rings[i] * wgt


def shoe_tongue(foot: np.ndarray, xf: np.ndarray, rings: np.ndarray, x0: float, L: float, z0: float, collar: float,
                at: float, size: float, pal: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tongue` on an upper (its rings (R, n, 2) at ``xf`` (R,), foot frame, before the opening's lining was
    dipped; the foot's back ``x0``, length ``L``, lowest point ``z0``, the collar's height over it ``collar``): out of
    the upper's top at the share ``at`` of the foot, its hidden root :data:`ROOT_AT` in front of it, its top
    :data:`RISE` over the collar."""
    n = rings.shape[1]
    th = HALF_THICK * size
    xu = x0 + (at + np.asarray(ROOT_AT)) * L
    zu = np.array([_ring_at(xf, rings, x)[n // 4, 1] for x in xu]) - th - HIDE * size
    x_r = x0 + at * L
    r = _ring_at(xf, rings, x_r)
    y_r, z_r = r[n // 4]
    topy, topz = r[: n // 2 + 1, 0][::-1], r[: n // 2 + 1, 1][::-1]  # the ring's top half, y ascending
    bend = lambda dy: z_r - np.interp(y_r + dy, topy, topz)  # noqa: E731
    return tongue(foot, (x_r, float(y_r), float(z_r)), 0.5 * float(np.ptp(r[:, 0])), z0 + collar + RISE * size,
                  size, pal, (xu, zu), bend)
