"""A coat's tail lying on the ground folds there (dress.fall_folds.fold_tail).

Crouching and sitting on the ground with the knees up x the child, average, heavy and tall bodies x a closed coat
(tail to 1.2 along the leg) over a shirt and trousers: 8 tails, their backs lying on the ground behind the feet
(an open coat's tail reaches the ground in 1 of those 8 cases: it falls in front of the knees). Per tail, over
its vertices within 4 cm of the ground (below the top ring): the angle of its normals (the shading's) from their
unit mean over +-4 of 44 columns round the ring (+-12 of a refined tail's 132: ``test_fall_folds``' remainder, the
folds, not the tail's own turn), mean degrees.

On 15423f4 the back lay on the ground as a flat sheet (its only turns where it leaves the curtain falling onto
it): 10.2 degrees on average (8.7-12.8). Now (the tail refined to 132 columns and 27 folds round it where it lies
on the ground, from its length to spare: ridges up to 18 mm over it, 7-15 cm apart): 31.6 degrees (28.5-36.3).
(9 folds round the 44 columns gave 20.8, 17.4-26.7, 25-45 cm apart.)
"""

import numpy as np

from genb.render.dress import fall_folds
from test_coat_fall import FOLDED, _dressed
from test_fall_folds import _ring_remainder
from test_seat_tent import COAT

from _fixtures_bodies import anny_body  # noqa: F401


def test_a_coat_tail_on_the_ground_folds(anny_body):
    got = {}
    for key, kp, v, meshes in _dressed(anny_body, FOLDED, (COAT,)):
        tail = next(m for m in meshes if m.name.endswith(":skirt"))
        X = tail.vertices.astype(np.float64).reshape(-1, tail.columns, 3)
        N = tail.normals.astype(np.float64).reshape(-1, tail.columns, 3)
        on = X[..., 2] < float(v[:, 2].min()) + 0.04
        on[0] = False
        angle = np.degrees(np.arccos(np.clip((N * _ring_remainder(N, 4 * tail.columns // 44)).sum(-1), -1.0, 1.0)))
        got[key] = round(float(angle[on].mean()), 1) if on.sum() >= 20 else None
    print(got)
    a = np.array([g for g in got.values() if g is not None])
    assert len(got) == 8 and len(a) == 8, got
    assert a.mean() > 24.0 and a.min() > 20.0, got  # 10.2 (8.7-12.8) degrees on 15423f4


def test_a_tail_off_the_ground_is_left_as_it_is():
    """A tail hanging clear of the ground (standing, walking): the same grid, no slope (the same bytes)."""
    theta = (np.arange(44) + 0.5) / 44 * 2 * np.pi
    z = np.linspace(0.9, 0.4, 24)[:, None]
    X = np.stack([0.2 * np.cos(theta) + 0 * z, 0.2 * np.sin(theta) + 0 * z, z + 0 * theta], -1)
    Y, slope = fall_folds.fold_tail(X, X * 1.1, 0.003, None)
    assert Y is X and not slope.any()
