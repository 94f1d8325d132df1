"""Hanging folds: loose trouser legs hang in folds below the knee and loose sleeves sag in folds
under a raised arm, in the normals (what the shading and the normal control map show) and,
outwards only, in the geometry; a tight garment on a straight body has none."""

import numpy as np
import pytest

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401

SHAPE = np.array([[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]], np.float32)


@pytest.fixture(scope="module")
def posed(anny_body):
    """The dresser and the body in a few key poses: name -> (vertices, normals, keypoints)."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    names = ["standing", "reaching_forward", "walk_passing"]
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in names]))
    p = anny_body.pose(np.repeat(SHAPE, len(names), axis=0), rot)
    faces = np.asarray(anny_body.faces)
    return Dresser(anny_body), {n: (p.vertices[k], vertex_normals(p.vertices[k], faces), p.keypoints[k])
                                for k, n in enumerate(names)}


def _folded(dresser, shell, body, thickness, ease):
    from genb.render.dress.folds import fold
    from genb.render.dress.shells import pose_shell

    v, n, kp = body
    pv, pn = pose_shell(shell, v, n, thickness, ease)
    return pv, pn, fold(shell, dresser.atlas, pv, pn, kp, ease)


def _tilt(a, b):
    return np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0)))


def test_loose_trousers_hang_in_folds_below_the_knee(posed):
    """Standing straight in trousers with 3 cm of flare: the normals below the knee tilt (folds
    running down the leg), those above the knee do not, the cloth only moves outwards; the same
    cut with no flare (a tight leg) folds nowhere."""
    dresser, bodies = posed
    a = dresser.atlas
    shell = dresser.bottom_shell(1.95, 0.25, 0.03, ease=0.008)
    pv, pn, got = _folded(dresser, shell, bodies["standing"], 0.012, 0.008)
    assert got is not None
    fv, fn, _ = got
    from genb.render.dress.folds import _coords

    leg = _coords(shell, a)["leg"]
    tilt = _tilt(fn, pn)
    below, above = (leg > 1.3) & (leg < 1.9), (leg >= 0) & (leg < 0.8)
    assert tilt[below].std() > 3.0, tilt[below].std()
    assert tilt[above].max() < 0.1, tilt[above].max()
    assert (np.einsum("ij,ij->i", fv - pv, pn) >= -1e-6).all()
    assert 0.001 < np.linalg.norm(fv - pv, axis=1).max() <= 0.0121
    tight = dresser.bottom_shell(1.95, 0.25, 0.0, ease=0.002)
    assert _folded(dresser, tight, bodies["standing"], 0.004, 0.002)[2] is None


def test_sleeves_sag_in_folds_under_a_raised_arm_only(posed):
    """A loose long-sleeved top: with the arms reaching forward the underside of the upper sleeves folds;
    standing with the arms down, or a tight sleeve, gives no hanging folds."""
    dresser, bodies = posed
    shell = dresser.top_shell(1.9, 0.0, ease=0.02)
    v, n, kp = bodies["reaching_forward"]
    pv, pn, got = _folded(dresser, shell, bodies["reaching_forward"], 0.009, 0.02)
    assert got is not None
    fv, fn, _ = got
    near = np.zeros(len(pv), bool)
    for side in ("left", "right"):
        mid = 0.5 * (kp[K25[f"{side}_shoulder"]] + kp[K25[f"{side}_elbow"]])
        near |= np.linalg.norm(pv - mid, axis=1) < 0.08
    under = near & (pn[:, 2] < -0.4)
    assert _tilt(fn[under], pn[under]).std() > 2.0
    assert _folded(dresser, shell, bodies["standing"], 0.009, 0.02)[2] is None
    tight = dresser.top_shell(1.9, 0.0, ease=0.002)
    pv2, pn2, got = _folded(dresser, tight, bodies["reaching_forward"], 0.006, 0.002)
    if got is not None:  # compression folds at a bent elbow may remain; none hang under the upper arm
        near2 = np.zeros(len(pv2), bool)
        for side in ("left", "right"):
            mid = 0.5 * (kp[K25[f"{side}_shoulder"]] + kp[K25[f"{side}_elbow"]])
            near2 |= np.linalg.norm(pv2 - mid, axis=1) < 0.08
        assert _tilt(got[1][near2], pn2[near2]).max() < 0.1
