"""dress.stride: the cloth a shin raised behind carries is laid round it as a sleeve; nothing changes for a
shin that hangs (standing) or runs back in front of the hips (cross-legged)."""

import numpy as np

from genb.render.dress.capsules import PIECES, SECTORS
from genb.render.dress.stride import raised_behind, wrap_back_shins


def _legs(right_shin: np.ndarray, right_thigh: np.ndarray | None = None):
    """Frames, origins and capsules of a standing pelvis (it faces -y) with the left leg hanging straight
    down and the right shin along ``right_shin`` (unit, from its knee 0.45 m from its hip along
    ``right_thigh``, unit; default straight down)."""
    x, y, z = np.eye(3)
    down = -z

    def frame(axis):
        s = x - axis * (x @ axis)
        s /= np.linalg.norm(s)
        return np.stack([axis, s, np.cross(axis, s)], 1)

    hips = {0: np.array([0.1, 0.0, 0.9]), 1: np.array([-0.1, 0.0, 0.9])}
    thighs = {0: down, 1: down if right_thigh is None else right_thigh}
    knees = {k: hips[k] + 0.45 * thighs[k] for k in (0, 1)}
    shins = {0: down, 1: right_shin}
    F = [frame(z)]
    O = [np.array([0.0, 0.0, 0.9])]
    A, B = [], []
    for k in (0, 1):
        F += [frame(thighs[k]), frame(shins[k])]
        O += [hips[k], knees[k]]
        ankle = knees[k] + 0.4 * shins[k]
        for p, q in ((hips[k], knees[k]), (knees[k], ankle)):
            for i in range(PIECES):
                A.append(p + (q - p) * i / PIECES), B.append(p + (q - p) * (i + 1) / PIECES)
    R = np.full((len(A), SECTORS), 0.05)
    return (np.stack(F), np.stack(O)), (np.array(A), np.array(B), R)


def test_a_shin_raised_behind_is_wrapped_and_a_hanging_one_is_not():
    frames, caps = _legs(np.array([0.0, 0.9, 0.44]) / np.hypot(0.9, 0.44))  # the right shin back and up (a lunge's back leg)
    assert raised_behind(frames, 1, caps[1][2 * PIECES * 2 - 1]) == 1.0
    assert raised_behind(frames, 0, caps[1][2 * PIECES - 1]) == 0.0
    bins, rings = 44, 6
    theta = (np.arange(bins) + 0.5) / bins * 2 * np.pi
    knee = frames[1][4]
    # a grid of the right shin's cloth 20 cm off it, around it at 5 to 30 cm down the shin
    s = np.linspace(0.05, 0.3, rings)[:, None, None]
    axis = frames[0][4][:, 0]
    up = np.array([0.0, 0.0, 1.0]) - axis * axis[2]
    X = knee + s * axis + 0.2 * up / np.linalg.norm(up) + np.zeros((rings, bins, 3))
    W = np.zeros((rings * bins, 5))
    right = np.cos(theta) < 0  # the right half of the skirt: its shin carries it
    W[:, 4] = np.tile(right, rings)
    W[:, 2] = np.tile(~right, rings)
    Y = wrap_back_shins(X, W, theta, frames, caps, 0.01)
    assert np.array_equal(Y[:, ~right], X[:, ~right])  # the left shin hangs: its cloth untouched
    rel = Y[:, right] - knee
    along = rel @ axis
    radial = np.linalg.norm(rel - along[..., None] * axis, axis=-1)
    assert np.allclose(along, np.broadcast_to(s[:, :, 0], along.shape))  # as far down the shin as before
    assert np.allclose(radial, 0.05 + 0.01 + 0.02)  # round it: its radius, the offset and the ease
    # the half turn of columns goes the whole way round: directions spread over every side of the shin
    d = (rel - along[..., None] * axis)[0] / radial[0][:, None]
    assert (d @ np.array([1.0, 0.0, 0.0])).max() > 0.95 and (d @ np.array([1.0, 0.0, 0.0])).min() < -0.95


def _raised(shin, thigh=None) -> float:
    frames, caps = _legs(np.asarray(shin, float) / np.linalg.norm(shin), thigh)
    return raised_behind(frames, 1, caps[1][2 * PIECES * 2 - 1])


def test_a_cross_legged_shin_or_a_hanging_one_is_not_raised_behind():
    """Each of the two conditions that keep a cross-legged shin from being raised behind holds alone:
    its direction (running back across, under BACK[0] towards the back) with its ankle behind the hip,
    and its ankle in front of the hip with a direction raised behind; each case's twin, with the other
    condition only, is raised (so each assertion can fail)."""
    for shin in ([0.0, 0.0, -1.0], [0.0, -0.6, -0.8]):  # hanging, or forward under the knee
        assert _raised(shin) == 0.0, shin
    # direction alone: the shin runs back across (0.66 towards the back) from a knee under the hip; its ankle
    # is 26 cm behind the hip (the ankle condition passes): not raised; steeper back (0.9), raised
    assert _raised([-0.7, 0.66, 0.27]) == 0.0
    assert _raised([-0.3, 0.9, 0.3]) == 1.0
    # ankle alone: the same steep-back shin from a knee 45 cm in front of the hip (the thigh forward, as
    # cross-legged): its ankle 9 cm in front of the hip: not raised; with the knee 30 cm ahead, raised
    forward = np.array([0.0, -1.0, 0.0])
    assert _raised([-0.3, 0.9, 0.3], forward) == 0.0
    assert _raised([-0.3, 0.9, 0.3], np.array([0.0, -2.0, -np.sqrt(5.0)]) / 3.0) > 0.0
