"""A long skirt or dress on folded knees (crouching, sitting on the ground with the knees drawn up) falls close
round the legs, not as a bell standing out past the knees (genb.render.dress.knee_drape)."""

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from genb.core.conventions import PART_INDEX
from genb.render.raster.meshes import vertex_normals

from _fixtures_bodies import anny_body, key_posed  # noqa: F401
from test_hang import DRESS, LONG_SKIRT, TOP, _legs_out

OUTFITS = {"long_skirt": ([TOP, LONG_SKIRT], LONG_SKIRT["length"]), "dress": ([DRESS], DRESS["length"]),
           "knee_dress": ([{**DRESS, "length": 1.2}], 1.2)}
POSES = ("crouching", "sitting_floor_knees_up")
HELD = ("arm", "hand", "head", "neck")  # parts that do not hold a skirt out


def tent(v: np.ndarray, parts: np.ndarray, cloth: np.ndarray) -> float:
    """Metres the loose garment's grid ``cloth`` (rings * columns, 3) below its top quarter of rings (under the
    hips: the waistband's own ease aside) lies outside, seen from above, the convex hull of the body's legs and
    trunk (``v`` (V, 3), ``parts`` (V,)): the farthest."""
    keep = ~np.isin(parts, [PART_INDEX[p] for p in PART_INDEX if any(k in p for k in HELD)])
    E = ConvexHull(v[keep][:, :2].astype(np.float64)).equations
    low = cloth[len(cloth) // 4:].astype(np.float64)
    return float(max(0.0, (low[:, :2] @ E[:, :2].T + E[:, 2]).max()))


@pytest.fixture(scope="module")
def folded(anny_body):
    """Crouching and knees up x child, average, heavy, tall x a long skirt, a long dress and a dress to just under
    the knee: (pose, body, outfit, the tent, the covered leg vertices outside the cloth)."""
    from genb.render.dress import Dresser

    dresser, faces = Dresser(anny_body), np.asarray(anny_body.faces)
    out = []
    for pose, body, v, kp in key_posed(anny_body, POSES):
        lift = -v[:, 2].min()
        v[:, 2] += lift
        kp[:, 2] += lift
        n = vertex_normals(v, faces)
        for outfit, (garments, hem) in OUTFITS.items():
            (loose,) = [m for m in dresser.dress({"garments": garments}, v, n, kp) if m.name.endswith(":skirt")]
            out.append((pose, body, outfit, tent(v, dresser.atlas.parts, loose.vertices), _legs_out(dresser, v, loose, hem)[0]))
    return out


def test_a_long_skirt_on_folded_knees_stays_close_round_the_legs(folded):
    """The farthest the cloth (below the hips) stands outside the legs' and the trunk's outline seen from above.
    Main 8699cdb: the long skirt 11.2-20.8 cm (the child least, the tall body most), the long dress 8.8-18.1,
    the knee dress 5.8-15.1: a bell round the raised thighs. Now 3.3-6.1 cm (long skirt 4.8-6.1, long dress
    3.5-4.8, knee dress 3.3-4.8: the 3 cm margin and the settling's offset over the skin)."""
    worst = max(t for *_, t, _ in folded)
    assert worst < 0.07, sorted(((round(100 * t, 1), p, b, o) for p, b, o, t, _ in folded), reverse=True)[:6]


def test_a_draped_skirt_still_covers_the_folded_legs(folded):
    """Covered leg vertices (test_hang's: 0.25 above the hem along the leg) outside the cloth, summed over the
    cases: main 8699cdb 237 (the knee dress 213 of them: its hem just under the knee, the thighs' sides at the
    hem; at most 59 in one case, the tall crouch's), now 260 (the knee dress 227, the long dress 24 -> 27, the
    long skirt 0 -> 6: the heavy crouch's; at most 47); a guard, not fixed here."""
    total = sum(o for *_, o in folded)
    assert total <= 275 and max(o for *_, o in folded) <= 50, [(p, b, o_, o) for p, b, o_, _, o in folded if o]


def test_nothing_moves_without_folded_knees():
    """Standing, walking, on a chair (knees bent 90 degrees) the grid is returned as it was (the same array)."""
    from genb.render.dress.knee_drape import drape, folded as how_folded

    pc = {"left_hip": np.array([0.1, 0.0, 0.9]), "right_hip": np.array([-0.1, 0.0, 0.9]),
          "left_knee": np.array([0.1, -0.45, 0.9]), "right_knee": np.array([-0.1, -0.45, 0.9]),
          "left_ankle": np.array([0.1, -0.45, 0.45]), "right_ankle": np.array([-0.1, -0.45, 0.45])}
    assert how_folded(pc) == 0.0
    X = np.zeros((4, 6, 3))
    assert drape(X, pc, None, None, 0.0) is X


def test_a_knee_length_skirt_is_not_draped_from_a_raised_knee():
    """knee_drape.reaching: a grid whose columns run 0.8 leg lengths (a knee-length skirt, 0.73-0.83 in lunges and
    one-knee kneels) gets nothing, 1.2 (a skirt to above the ankle or a long dress, 1.14-1.25) all of it; drape then
    returns a knee-length skirt's grid as it was on a raised knee (the same array: test_hang's sawtooth for the
    child kneeling on one knee stays at ccda6a9's 7.61 %, 8.33 % when it was moved in)."""
    from genb.render.dress.knee_drape import drape, raised, reaching
    from genb.render.dress.fall import low

    pc = {"left_hip": np.array([0.1, 0.0, 0.5]), "right_hip": np.array([-0.1, 0.0, 0.5]),
          "left_knee": np.array([0.1, 0.45, 0.5]), "right_knee": np.array([-0.1, -0.1, 0.05]),
          "left_ankle": np.array([0.1, 0.45, 0.05]), "right_ankle": np.array([-0.1, -0.5, 0.05])}
    assert low(pc, 0.0) == 1.0 and raised(pc, 0.0) == 1.0
    legs = 0.5 * sum(np.linalg.norm(pc[f"{s}_knee"] - pc[f"{s}_hip"]) + np.linalg.norm(pc[f"{s}_ankle"] - pc[f"{s}_knee"])
                     for s in ("left", "right"))
    for share, want in ((0.8, 0.0), (1.2, 1.0)):
        X = np.zeros((5, 6, 3))
        X[..., 2] = np.linspace(0.0, -share * legs, 5)[:, None]
        assert reaching(X, pc) == pytest.approx(want)
    X[..., 2] *= 0.8 / 1.2
    assert drape(X, pc, None, None, 0.0) is X
