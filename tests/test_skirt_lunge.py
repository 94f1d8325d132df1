"""A long skirt or dress in a lunge or kneeling on one knee hangs from the raised knee as a curtain, not as a
sack round the front shin (dress.knee_drape after dress.fall).

Measured over the lunge and kneeling on one knee x the child, average, heavy and tall bodies x a long skirt (to
above the ankle, under a tank top) and a long dress (test_hang's garments), per case: how far the grid's
vertices below the raised knee and on its side of the legs' middle lie outside, seen from above, the outline of
the skin that holds them up (knee_drape.inward: the legs and hips above each vertex's height, plus
knee_drape.MARGIN), the mean over them and the farthest. A curtain falling from the knee stays within that
outline. On ccda6a9: mean 2.64 cm over the 16 cases, the farthest 20.9 cm on average (31.0 cm at most: the cut's
cone round the raised thigh dropped straight down past the knee and round the shin, a sack). Now
(knee_drape.drape with a knee down and the other up, on the raised leg's side): mean 0.52 cm, the farthest
5.4 cm on average (10.4 cm at most). The bounds: 0.3 and 0.4 of ccda6a9's.
"""

import numpy as np
import pytest

from genb.core.conventions import BODY25_INDEX as K25

from _fixtures_bodies import anny_body, grounded_skirts  # noqa: F401
from test_hang import DRESS, LONG_SKIRT, TOP

POSES = ("lunge", "kneeling_one_knee")
OUTFITS = {"long_skirt": [TOP, LONG_SKIRT], "dress": [DRESS]}
BEFORE = (0.0264, 0.209)  # metres on ccda6a9: the mean outside the outline, the farthest (mean over the cases)


def outside(v: np.ndarray, kp: np.ndarray, grid: np.ndarray, support: np.ndarray) -> tuple[float, float]:
    """Metres the grid's vertices (rings, columns, 3) under its waist ring, below the higher knee (BODY25
    keypoints ``kp``) and on its side of the legs' middle (seen from above) lie outside the outline of the skin ``v[support]`` above them (knee_drape.inward, towards
    the vertical through the hips', knees' and ankles' middle): their mean and the farthest."""
    from genb.render.dress import knee_drape

    knee = max(kp[K25["left_knee"]], kp[K25["right_knee"]], key=lambda k: float(k[2]))
    centre = kp[[K25[f"{s}_{j}"] for s in ("left", "right") for j in ("hip", "knee", "ankle")]].mean(axis=0)
    f = (knee - centre)[:2] / np.linalg.norm((knee - centre)[:2])
    P = grid[1:].reshape(-1, 3).astype(np.float64)
    P = P[(P[:, 2] < knee[2]) & ((P[:, :2] - centre[:2]) @ f > 0.0)]
    d = knee_drape.inward(P, centre.astype(np.float64), np.asarray(v[support], np.float64))
    return float(d.mean()), float(d.max())


@pytest.fixture(scope="module")
def lunges(anny_body):
    """(pose, body, outfit) -> :func:`outside` per lunge and one-knee kneel x 4 bodies x long skirt and dress."""
    from genb.render.dress import Dresser, knee_drape

    support = knee_drape.support_ids(Dresser(anny_body).atlas)
    return {key: outside(v, kp, m.vertices.reshape(-1, m.columns, 3), support)
            for key, v, kp, m in grounded_skirts(anny_body, POSES, OUTFITS)}


def test_a_lunge_s_skirt_hangs_from_the_knee_not_round_the_shin(lunges):
    mean = np.array([a for a, _ in lunges.values()])
    far = np.array([b for _, b in lunges.values()])
    print("outside mean %.4f, farthest mean %.4f max %.4f" % (mean.mean(), far.mean(), far.max()))
    assert len(mean) == 16
    assert mean.mean() < 0.3 * BEFORE[0], {k: round(a, 4) for k, (a, _) in lunges.items()}
    assert far.mean() < 0.4 * BEFORE[1], {k: round(b, 3) for k, (_, b) in lunges.items()}
