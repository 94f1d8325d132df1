"""A fallen skirt or dress gathers into folds and lies cleanly on the ground (dress.fall_folds).

Over test_skirt_fall's cases (kneeling, kneeling on one knee, cross-legged, legs out, lunge x the child,
average, heavy and tall bodies x a long skirt and a long dress: 40), per case on the finished mesh:

- folds round the hem: the hem ring's normals less their mean over +-4 columns (the bell's own turn), the
  count of sign changes of that remainder's part round the ring, halved (folds round the hem), and its mean
  angle over the cloth within 6 cm of the ground (degrees);
- the hem's sawtooth: the share of vertices of the lowest 3 rings within 3 cm of the ground that stick out of
  their two ring neighbours' mean along the grid's normal (``settle.grid_normals``) by more than 1.5 mm the other way from both neighbours
  (a zig-zag from vertex to vertex);
- under the ground: cloth vertices below the ground (the body's lowest point, metres) plus 3 mm, the cloth's
  lowest point over the ground.

On e9a3c6f (before): 4.45 folds round the hem on average (3-6: the bell's own turns), 17.2 degrees (10.2-22.6);
cloth under the ground in many cases (6.5 vertices a case on average, 44 at most), its lowest 43 mm under it (a
cross-legged heavy body's dress); sawtooth 3.84 % (at most 17 %). Now: 8.2 folds (6-9), 29.2 degrees (18.2-40.5);
no vertex under the ground, the lowest 3 mm over it (the floor); sawtooth 2.49 % (at most 14.3 %: kneeling, the
average body's dress).
"""

import numpy as np
import pytest

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
    S = _ring_remainder(N)
    low = X[..., 2] < ground + 0.06
    angle = np.degrees(np.arccos(np.clip((N * S).sum(-1), -1.0, 1.0)))
    t = np.roll(X[-1], -1, 0) - np.roll(X[-1], 1, 0)
    a = ((N[-1] - S[-1]) * t).sum(-1)
    H, Nh = X[-3:], grid_normals(X)[-3:]  # the surface's own normals (not the shading's tilted ones)
    dd = ((H - 0.5 * (np.roll(H, 1, 1) + np.roll(H, -1, 1))) * Nh).sum(-1)
    zig = (np.abs(dd) > 0.0015) & (dd * np.roll(dd, 1, 1) < 0) & (dd * np.roll(dd, -1, 1) < 0)
    near = H[..., 2] < ground + 0.03
    return {"count": int((np.sign(a) != np.sign(np.roll(a, 1))).sum() // 2),
            "angle": float(angle[low].mean()) if low.any() else 0.0,
            "saw": float(zig[near].mean()) if near.any() else 0.0,
            "under": int((X[1:, :, 2] < ground + 0.003 - 1e-6).sum()), "lowest": float(X[1:, :, 2].min() - ground)}


@pytest.fixture(scope="module")
def folded(anny_body):
    return {key: measures(v, m.vertices.reshape(-1, 44, 3).astype(np.float64), m.normals.reshape(-1, 44, 3).astype(np.float64))
            for key, v, m in fallen_grids(anny_body)}


def test_a_fallen_skirt_gathers_into_folds_and_lies_cleanly_on_the_ground(folded):
    m = {k: np.array([d[k] for d in folded.values()]) for k in ("count", "angle", "saw", "under", "lowest")}
    print({k: (round(float(x.mean()), 4), round(float(x.min()), 4), round(float(x.max()), 4)) for k, x in m.items()})
    assert len(m["count"]) == 40
    assert m["count"].mean() > 7.0 and m["count"].min() >= 5, m["count"]  # 4.4 (3-6) before
    assert m["angle"].mean() > 20.0, m["angle"]  # 17.2 degrees before
    assert m["under"].max() == 0 and m["lowest"].min() > 0.0025, (m["under"], m["lowest"])  # 6.5 a case, -43 mm before; +3 mm now
    assert m["saw"].mean() < 0.75 * SAW_BEFORE and m["saw"].max() < 0.155, m["saw"]  # 2.49 %, at most 14.3 % now (17 % before)
