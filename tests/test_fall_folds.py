"""A fallen skirt or dress gathers into folds and lies cleanly on the ground (dress.fall_folds).

Over test_skirt_fall's cases (kneeling, kneeling on one knee, cross-legged, legs out, lunge x the child,
average, heavy and tall bodies x a long skirt and a long dress: 40), per case on the finished mesh:

- folds round the hem: the hem ring's normals less their mean over +-4 of 44 columns (the bell's own turn; +-12
  of a refined grid's 132), the count of sign changes of that remainder's part round the ring, halved (folds
  round the hem), the hem's length per fold (their spacing), and the remainder's mean angle over the cloth
  within 6 cm of the ground (degrees);
- the hem's sawtooth: the share of vertices of the lowest 3 rings within 3 cm of the ground that stick out of
  their two ring neighbours' mean along the grid's normal (``settle.grid_normals``) by more than 1.5 mm the
  other way from both neighbours (a zig-zag from vertex to vertex), on the finished mesh and on the grid
  ``lay_hem`` laid on the ground (44 columns: the finished one's 132 are a spline through them, on which a
  zig-zag of the 44 would read as a wave);
- under the ground: cloth vertices below the ground (the body's lowest point, metres) plus 3 mm, the cloth's
  lowest point over the ground.

On e9a3c6f (before the module): 4.45 folds round the hem on average (3-6: the bell's own turns), 17.2 degrees
(10.2-22.6); cloth under the ground in many cases (6.5 vertices a case on average, 44 at most), its lowest 43 mm
under it (a cross-legged heavy body's dress); sawtooth 3.84 % (at most 17 %). On 15423f4 (9 folds round the 44
columns): 8.2 folds (6-9), 30.4 cm apart on the hem (16-53), 29.2 degrees (18.2-40.5); no vertex under the ground,
the lowest 3 mm over it (the floor); sawtooth 2.49 % (at most 14.3 %: kneeling, the average body's dress), 1.89 %
(14.3 %) on the laid grid. Now (the grid refined to 132 columns, 27 folds round it; the laid hem's heights
smoothed on the ground): 21.1 folds (18-25), 11.7 cm apart (6.8-19.4), 35.5 degrees (22.8-44.3); the lowest
3 mm over the ground; sawtooth 0.22 % (at most 2.1 %), 0.67 % (7.4 %: the lunge, the heavy body's long skirt)
on the laid grid.
"""

import numpy as np
import pytest

from genb.render.dress import fall_folds
from genb.render.dress.settle import grid_normals
from test_skirt_fall import fallen_grids

from _fixtures_bodies import anny_body  # noqa: F401

SAW_BEFORE = 0.0384  # the sawtooth's mean share on e9a3c6f


def _ring_remainder(N: np.ndarray, k: int = 4) -> np.ndarray:
    """(..., bins, 3) normals less their unit mean over +-k columns round the ring (axis -2)."""
    S = sum(np.roll(N, s, axis=-2) for s in range(-k, k + 1))
    return S / np.linalg.norm(S, axis=-1, keepdims=True)


def measures(v: np.ndarray, X: np.ndarray, N: np.ndarray) -> dict:
    """The module's measures of one finished grid ``X`` (rings, bins, 3) with normals ``N`` on body ``v`` (V, 3)."""
    ground = float(v[:, 2].min())
    k = 4 * X.shape[1] // 44  # +-4 of the base grid's 44 columns (a fallen grid has 132)
    S = _ring_remainder(N, k)
    low = X[..., 2] < ground + 0.06
    angle = np.degrees(np.arccos(np.clip((N * S).sum(-1), -1.0, 1.0)))
    t = np.roll(X[-1], -1, 0) - np.roll(X[-1], 1, 0)
    a = ((N[-1] - S[-1]) * t).sum(-1)
    count = int((np.sign(a) != np.sign(np.roll(a, 1))).sum() // 2)
    H, Nh = X[-3:], grid_normals(X)[-3:]  # the surface's own normals (not the shading's tilted ones)
    dd = ((H - 0.5 * (np.roll(H, 1, 1) + np.roll(H, -1, 1))) * Nh).sum(-1)
    zig = (np.abs(dd) > 0.0015) & (dd * np.roll(dd, 1, 1) < 0) & (dd * np.roll(dd, -1, 1) < 0)
    near = H[..., 2] < ground + 0.03
    hem = float(np.linalg.norm(np.roll(X[-1], -1, 0) - X[-1], axis=-1).sum())
    return {"count": count, "spacing": hem / max(count, 1),
            "angle": float(angle[low].mean()) if low.any() else 0.0,
            "saw": float(zig[near].mean()) if near.any() else 0.0,
            "under": int((X[1:, :, 2] < ground + 0.003 - 1e-6).sum()), "lowest": float(X[1:, :, 2].min() - ground)}


def grid(m) -> tuple[np.ndarray, np.ndarray]:
    """(rings, columns, 3) float64 vertices and normals of a loose garment's mesh ``m``."""
    c = getattr(m, "columns", 0) or 44
    return m.vertices.reshape(-1, c, 3).astype(np.float64), m.normals.reshape(-1, c, 3).astype(np.float64)


@pytest.fixture(scope="module")
def folded(anny_body):
    laid, lay = [], fall_folds.lay_hem

    def recorded(X, floor):  # the grid laid on the ground, before it is refined and folded
        laid.append(lay(X, floor))
        return laid[-1]

    fall_folds.lay_hem = recorded
    try:
        out = {}
        for key, v, m in fallen_grids(anny_body):
            out[key] = measures(v, *grid(m))
            out[key]["laid_saw"] = measures(v, laid[-1], grid_normals(laid[-1]))["saw"]
        return out
    finally:
        fall_folds.lay_hem = lay


def test_a_fallen_skirt_gathers_into_folds_and_lies_cleanly_on_the_ground(folded):
    m = {k: np.array([d[k] for d in folded.values()]) for k in ("count", "spacing", "angle", "saw", "laid_saw", "under", "lowest")}
    print({k: (round(float(x.mean()), 4), round(float(x.min()), 4), round(float(x.max()), 4)) for k, x in m.items()})
    assert len(m["count"]) == 40
    assert m["count"].mean() > 17.0 and m["count"].min() >= 14, m["count"]  # 4.4 (3-6) on e9a3c6f, 8.2 (6-9) on 15423f4
    assert m["spacing"].mean() < 0.16 and m["spacing"].max() < 0.25, m["spacing"]  # 30.4 cm (16-53) on 15423f4
    assert m["angle"].mean() > 32.0, m["angle"]  # 17.2 degrees on e9a3c6f, 29.2 on 15423f4
    assert m["under"].max() == 0 and m["lowest"].min() > 0.0025, (m["under"], m["lowest"])  # 6.5 a case, -43 mm on e9a3c6f
    assert m["saw"].mean() < 0.25 * SAW_BEFORE and m["saw"].max() < 0.05, m["saw"]  # 2.49 %, at most 14.3 % on 15423f4
    assert m["laid_saw"].mean() < 0.01 and m["laid_saw"].max() < 0.1, m["laid_saw"]  # 1.89 %, at most 14.3 % on 15423f4
