"""A coat's or a jacket's shell stays out of the thighs and knees a crouch folds up against it
(dress.knee_clear): no knee through a sleeve or the front (bedlam seed 320, sample 4 on beb768f)."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from genb.core.conventions import PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_seat_tent import COAT, JACKET, SHIRT, TROUSERS

SHAPES = {"child": [0.5, 0.2, 0.5, 0.5, 0.5, 0.5], "average": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
          "heavy": [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], "tall": [1.0, 0.5, 0.5, 0.5, 1.0, 0.5]}
CLOTH_ALLOWED = 32  # shell vertices under the trousers' surface: 22 the child kneeling in a jacket, untouched (its thighs
# within FLEX), as on beb768f (measured 22; the shell's seat is left to the seat tent); with the trousers' seat filled
# (dress.seat_fill) 30: that child 20, the crouching child's coat and jacket 4 each, at the seat's edge
POSES = ("crouching", "sitting_floor_knees_up", "kneeling", "kneeling_one_knee")


def _in_legs(dresser, v, n, shell_vertices, trousers):
    """(G,) bool shell vertices more than 3 mm under the skin of a thigh (from a third of the way to the knee),
    a knee or a shin (under their nearest such leg vertex within 5 cm, along its normal), and (G,) bool those
    under the trousers' surface there (their nearest trousers vertex within 3 cm of those legs, along its normal)."""
    from genb.render.raster.meshes import vertex_normals

    a = dresser.atlas
    feet = np.isin(a.parts, [PART_INDEX["left_foot"], PART_INDEX["right_foot"]])
    legs = np.flatnonzero(dresser.is_leg & ~feet & (np.nan_to_num(a.leg) > 0.3))
    tree = cKDTree(v[legs])
    d, j = tree.query(shell_vertices)
    j = legs[j]
    skin = (np.einsum("ij,ij->i", shell_vertices - v[j], n[j]) < -0.003) & (d < 0.05)
    tv = trousers.vertices.astype(np.float64)
    tn = vertex_normals(tv, np.asarray(trousers.faces, np.int64))
    on = tree.query(tv)[0] < 0.03
    tv, tn = tv[on], tn[on]
    d, j = cKDTree(tv).query(shell_vertices)
    return skin, (np.einsum("ij,ij->i", shell_vertices - tv[j], tn[j]) < -0.003) & (d < 0.04)


@pytest.fixture(scope="module")
def through(anny_body):
    """{(pose, body, garment): (sleeve vertices in a leg, front/trunk vertices in a leg)} over crouching,
    knees up, kneeling and kneeling on one knee x child, average, heavy, tall x closed coat, closed jacket."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    dresser = Dresser(anny_body)
    lib = PoseLibrary()
    faces = np.asarray(anny_body.faces)
    out = {}
    for name, shape in SHAPES.items():
        posed = anny_body.pose(np.tile(np.array(shape, np.float32), (len(POSES), 1)),
                               euler_xyz_to_matrix(np.stack([lib.key_pose(p) for p in POSES])))
        for k, pose in enumerate(POSES):
            v, kp = posed.vertices[k].astype(np.float64), posed.keypoints[k]
            n = vertex_normals(v, faces)
            for garment in (COAT, JACKET):
                meshes = dresser.dress({"garments": [SHIRT, TROUSERS, garment]}, v, n, kp)
                m = next(x for x in meshes if x.name == garment["type"])  # the shell, not a tail
                arms = dresser.is_arm | np.isin(dresser.atlas.parts, [PART_INDEX["left_hand"], PART_INDEX["right_hand"]])
                sleeve = np.zeros(len(m.vertices), bool)
                trousers = next(x for x in meshes if x.name == "trousers")
                inside, cloth = _in_legs(dresser, v, n, m.vertices.astype(np.float64), trousers)
                near_arm = cKDTree(v[arms]).query(m.vertices)[0] < cKDTree(v[~arms]).query(m.vertices)[0]
                sleeve |= near_arm
                out[(pose, name, garment["type"])] = (int((inside & sleeve).sum()), int((inside & ~sleeve).sum()), int(cloth.sum()))
    return out


def test_no_knee_through_a_crouching_coat_or_jacket(through):
    """Crouching, knees up, kneeling and kneeling on one knee x child, average, heavy, tall x closed coat and
    jacket: shell vertices more than 3 mm under the skin of a thigh or knee. On beb768f 4325 in all (crouching
    124-229 a case, knees up 179-401, sleeves and fronts alike; kneeling none; on one knee 20-33): the knee
    showed through the jacket's side (bedlam seed 320, sample 4). Now none. Under the trousers' surface
    there (their seat and crease stand up to 4 cm off a crouching thigh): 5183 -> 22, all the child kneeling
    in a jacket (its thighs within coat_join.FLEX: untouched, 22 on beb768f too); 30 with the trousers' seat
    filled (:data:`CLOTH_ALLOWED`)."""
    total = sum(s + f for s, f, _ in through.values())
    cloth = sum(c for _, _, c in through.values())
    worst = sorted(through.items(), key=lambda kv: -sum(kv[1]))[:3]
    print("shell vertices in a leg:", total, "under the trousers:", cloth, "worst", worst,
          "kneeling child jacket", through[("kneeling", "child", "jacket")])
    assert len(through) == len(POSES) * len(SHAPES) * 2
    assert total == 0, worst
    assert cloth <= CLOTH_ALLOWED, cloth


def test_spread_keeps_the_push_and_fades_it():
    """A push on one vertex of a strip of triangles spreads to its neighbours at half (of their pushed
    neighbours' mean), then a quarter; nothing farther."""
    from genb.render.dress.knee_clear import spread

    faces = np.array([[i, i + 1, i + 2] for i in range(8)])
    push = np.zeros((10, 3))
    push[0] = [0.0, 0.0, 0.04]
    out = spread(push, faces, rings=2, share=0.5)
    assert np.allclose(out[0], push[0]) and np.allclose(out[1:3, 2], 0.02) and np.allclose(out[3:5, 2], 0.01)
    assert np.allclose(out[5:], 0.0)


def test_standing_jackets_are_untouched(anny_body):
    """Standing or walking (no thigh past coat_join.FLEX) knee_clear does nothing: a jacket is bit for bit
    what it was without it."""
    from genb.render.dress import Dresser, knee_clear
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    names = ("standing", "walk_passing")
    posed = anny_body.pose(np.tile(np.array(SHAPES["average"], np.float32), (2, 1)),
                           euler_xyz_to_matrix(np.stack([lib.key_pose(p) for p in names])))
    dresser = Dresser(anny_body)
    for k in range(2):
        v, kp = posed.vertices[k], posed.keypoints[k]
        n = vertex_normals(v, np.asarray(anny_body.faces))
        m = next(x for x in dresser.dress({"garments": [SHIRT, TROUSERS, JACKET]}, v, n, kp) if x.name == "jacket")
        before = m.vertices.copy(), m.normals.copy()
        wearer = type("Wearer", (), {"keypoints": kp, "dresser": dresser, "vertices": v, "normals": n})()
        knee_clear.lay(wearer, None, m, 0.03)
        assert np.array_equal(before[0], m.vertices) and np.array_equal(before[1], m.normals), names[k]
