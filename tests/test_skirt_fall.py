"""A long skirt or dress falls onto the legs and the ground when a knee is on the ground (dress.fall): no
inflated bell standing round a kneeling or cross-legged person's legs with its hem in the air.

Measured over kneeling, kneeling on one knee, sitting cross-legged, sitting with the legs out and a lunge
x the child, average, heavy and tall bodies x a long skirt (to above the ankle) and a long dress
(test_hang's garments), per case: the hem ring's median height over the ground, and the mean distance of
the lowest 6 of the 24 rings to the nearest skin or the ground (how far the cloth stands off what holds it).
On beb768f (before the fall): hem median 15.5 cm on average over the 40 cases, 4.2 cm at the least (a
child's legs out), 32.0 cm at most (the tall lunge's dress); the lowest rings 7.5 cm off on average.
Now: hem median 1.44 cm on average (0.49 cm the median case: on the ground, 3 mm over it), 9.4 cm at most (the
heavy lunge's dress, the front knee's cloth); the lowest rings 3.5 cm off on average (8.1 cm at most). The bounds:
the hem under 0.3 and the lowest rings under 0.6 of their heights on beb768f, the median case's hem under 1 cm.
"""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from test_hang import DRESS, LONG_SKIRT, TOP

from _fixtures_bodies import anny_body, grounded_skirts  # noqa: F401

POSES = ("kneeling", "kneeling_one_knee", "sitting_cross_legged", "sitting_floor_legs_out", "lunge")
BODIES = {"child": [0.5, 0.2, 0.5, 0.5, 0.5, 0.5], "average": [0.5] * 6, "heavy": [0.0, 0.7, 0.5, 1.0, 0.5, 0.5],
          "tall": [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]}
OUTFITS = {"long_skirt": [TOP, LONG_SKIRT], "dress": [DRESS]}
HEM_BEFORE, OFF_BEFORE = 0.155, 0.075  # metres, means over the 40 cases on beb768f


def _bell(v: np.ndarray, X: np.ndarray) -> tuple[float, float]:
    """The hem ring's median height over the ground (z = 0) and the mean distance of the lowest 6 rings
    of the loose grid ``X`` (rings, bins, 3) to the nearest skin vertex of ``v`` (V, 3) or the ground."""
    low = X[-6:].reshape(-1, 3).astype(np.float64)
    d = np.minimum(cKDTree(v).query(low)[0], low[:, 2])
    return float(np.median(X[-1, :, 2])), float(d.mean())


def fallen_grids(anny_body):
    """Per fall pose x body x outfit: ((pose, body, outfit), the body's vertices on the ground (z = 0),
    the loose garment's mesh)."""
    for key, v, kp, m in grounded_skirts(anny_body, POSES, OUTFITS, BODIES):
        yield key, v, m


@pytest.fixture(scope="module")
def fallen(anny_body):
    return {key: _bell(v, m.vertices.reshape(-1, m.columns, 3)) for key, v, m in fallen_grids(anny_body)}


def test_a_long_skirt_falls_onto_the_ground_and_the_legs_when_a_knee_is_down(fallen):
    hem = np.array([h for h, _ in fallen.values()])
    off = np.array([o for _, o in fallen.values()])
    print("hem mean %.4f median %.4f max %.4f; off mean %.4f max %.4f" % (hem.mean(), np.median(hem), hem.max(), off.mean(), off.max()))
    assert len(hem) == 40
    assert hem.mean() < 0.3 * HEM_BEFORE, (hem.mean(), {k: round(h, 3) for k, (h, _) in fallen.items() if h > 0.03})
    assert np.median(hem) < 0.01, np.median(hem)
    assert off.mean() < 0.6 * OFF_BEFORE, (off.mean(), {k: round(o, 3) for k, (_, o) in fallen.items()})
