"""The tubes a shoe is made of: superellipse rings lofted along an axis, capped at both ends
(:mod:`genb.render.dress.shoes`' upper, sole and heel block, :mod:`genb.render.dress.shoe_look`'s laces),
and a loft's rings refined between its stations."""

from __future__ import annotations

import functools

import numpy as np

RING = 24  # points around an upper's cross-section (16 before the shoes' colour regions: 24 draws them at 15 degrees)


@functools.lru_cache(maxsize=None)
def unit_ring(n: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    th = np.arange(n) / n * 2 * np.pi
    c, s = np.cos(th), np.sin(th)
    return np.sign(c) * np.abs(c) ** (2 / p), np.sign(s) * np.abs(s) ** (2 / p)


def ring(yc, zc, a, b, p: float, n: int = RING) -> np.ndarray:
    """(S, n, 2) superellipse points (y, z) per station, counter-clockwise seen from the toes."""
    uy, uz = unit_ring(n, p)
    return np.stack([yc[:, None] + a[:, None] * uy, zc[:, None] + b[:, None] * uz], -1)


@functools.lru_cache(maxsize=None)
def loft_faces(S: int, n: int) -> np.ndarray:
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


def loft(x: np.ndarray, rings: np.ndarray, tips: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """A closed tube through rings (S, n, 2) at stations x (S,), capped at both ends by a point at
    x = ``tips`` (back, front) in the middle of the end ring. Returns (N, 3) local vertices, (F, 3) faces
    facing out."""
    S, n = rings.shape[:2]
    v = np.empty((S * n + 2, 3))
    v[: S * n, 0] = np.repeat(x, n)
    v[: S * n, 1:] = rings.reshape(-1, 2)
    v[S * n] = [tips[0], *rings[0].mean(0)]
    v[S * n + 1] = [tips[1], *rings[-1].mean(0)]
    return v, loft_faces(S, n)


def refine(x: np.ndarray, rings: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Stations ``x`` (S,) and their rings (S, n, 2) with ``k - 1`` rings put between each pair, on the
    straight lines between their points (the same surface a loft of the coarse rings makes): (k (S - 1) + 1,)
    and (k (S - 1) + 1, n, 2)."""
    t = np.arange((len(x) - 1) * k + 1) / k
    i = np.minimum(t.astype(np.int64), len(x) - 2)
    w = (t - i)[:, None, None]
    return x[i] * (1 - w[:, 0, 0]) + x[i + 1] * w[:, 0, 0], rings[i] * (1 - w) + rings[i + 1] * w
