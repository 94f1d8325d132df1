"""A coat's or a jacket's shell and the thighs and knees a crouch folds up against it (dress.knee_clear,
dress.knee_press): the shell pressed in towards the body where a leg lies in it, not torn across the leg."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from genb.core.conventions import PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_seat_tent import COAT, JACKET, SHIRT, TROUSERS

SHAPES = {"child": [0.5, 0.2, 0.5, 0.5, 0.5, 0.5], "average": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
          "heavy": [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], "tall": [1.0, 0.5, 0.5, 0.5, 1.0, 0.5]}
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


def _torn(before: np.ndarray, after: np.ndarray, faces: np.ndarray, sleeve: np.ndarray) -> tuple[int, int, int]:
    """Edges of ``faces`` whose two vertices moved (``before`` -> ``after``, (G, 3)) 5 mm or more each in
    directions more than 90 degrees apart (the sheet torn: one vertex out on one side of a leg, its neighbour
    on the other), those of them with an end on a sleeve (``sleeve``, (G,) bool), and faces whose normal turned
    more than 90 degrees (turned over)."""
    move = after - before
    f = np.asarray(faces, np.int64)
    e = np.unique(np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1), axis=0)
    a, b = move[e[:, 0]], move[e[:, 1]]
    big = (np.linalg.norm(a, axis=1) >= 0.005) & (np.linalg.norm(b, axis=1) >= 0.005)
    torn = big & (np.einsum("ij,ij->i", a, b) < 0.0)
    n0 = np.cross(before[f[:, 1]] - before[f[:, 0]], before[f[:, 2]] - before[f[:, 0]])
    n1 = np.cross(after[f[:, 1]] - after[f[:, 0]], after[f[:, 2]] - after[f[:, 0]])
    flat = np.linalg.norm(n0, axis=1) < 1e-10
    on_sleeve = int((torn & (sleeve[e[:, 0]] | sleeve[e[:, 1]])).sum())
    return int(torn.sum()), on_sleeve, int((~flat & (np.einsum("ij,ij->i", n0, n1) < 0.0)).sum())


def _open(points: np.ndarray, v: np.ndarray, faces: np.ndarray, trousers) -> int:
    """How many of ``points`` (N, 3) lie neither inside the body (``v``, ``faces``) nor inside the ``trousers``' surface
    (generalised winding number under a half about each): those a camera may see from some side."""
    from test_shoes import _winding

    def inside(V, F):
        return np.concatenate([_winding(points[i:i + 32], V, F) for i in range(0, len(points), 32)]) > 0.5

    if not len(points):
        return 0
    hidden = inside(v, np.asarray(faces, np.int64))
    if not hidden.all():
        hidden[~hidden] = inside(trousers.vertices.astype(np.float64), np.asarray(trousers.faces, np.int64))[~hidden]
    return int((~hidden).sum())


@pytest.fixture(scope="module")
def through(anny_body):
    """{(pose, body, garment): (sleeve vertices in a leg, front/trunk vertices in a leg, vertices under the trousers'
    surface, of those in a leg the ones farther than 5 mm past how near they may be pressed to their body point,
    torn edges, turned-over faces)} over crouching, knees up, kneeling and kneeling on one knee x child, average,
    heavy, tall x closed coat, closed jacket (the torn edges and turned-over faces of knee_clear.lay's move alone)."""
    from genb.render.dress import Dresser, knee_clear, knee_press
    from genb.render.raster.meshes import vertex_normals

    dresser = Dresser(anny_body)
    lib = PoseLibrary()
    faces = np.asarray(anny_body.faces)
    out = {}
    lay, seen = knee_clear.lay, []

    def spy(w, shell, mesh, clearance, cloth=0.0):
        before = mesh.vertices.astype(np.float64)
        lay(w, shell, mesh, clearance, cloth)
        ids = np.arange(len(mesh.vertices))
        sleeve = np.asarray(shell.blend @ w.dresser.is_arm.astype(np.float32)).ravel() > 0.5  # as knee_clear.lay's
        seen[:] = [knee_press.anchored(w, shell, ids, clearance, cloth), sleeve,
                   _torn(before, mesh.vertices.astype(np.float64), mesh.faces, sleeve)]

    knee_clear.lay = spy
    try:
        for name, shape in SHAPES.items():
            posed = anny_body.pose(np.tile(np.array(shape, np.float32), (len(POSES), 1)),
                                   euler_xyz_to_matrix(np.stack([lib.key_pose(p) for p in POSES])))
            for k, pose in enumerate(POSES):
                v, kp = posed.vertices[k].astype(np.float64), posed.keypoints[k]
                n = vertex_normals(v, faces)
                for garment in (COAT, JACKET):
                    meshes = dresser.dress({"garments": [SHIRT, TROUSERS, garment]}, v, n, kp)
                    m = next(x for x in meshes if x.name == garment["type"])  # the shell, not a tail
                    trousers = next(x for x in meshes if x.name == "trousers")
                    sv = m.vertices.astype(np.float64)
                    inside, cloth = _in_legs(dresser, v, n, sv, trousers)
                    (anchors, keep), sleeve, (torn, torn_sleeve, over) = seen
                    loose = inside & sleeve & (np.linalg.norm(sv - anchors, axis=1) > keep + 0.005)  # (a sleeve's)
                    out[(pose, name, garment["type"])] = (int((inside & sleeve).sum()), int((inside & ~sleeve).sum()),
                                                          int((cloth & ~sleeve).sum()), int(loose.sum()), torn, over,
                                                          torn_sleeve, _open(sv[inside & ~sleeve], v, faces, trousers))
    finally:
        knee_clear.lay = lay
    return out


def test_no_knee_through_a_crouching_coat_or_jacket(through):
    """Crouching, knees up, kneeling and kneeling on one knee x child, average, heavy, tall x closed coat and
    jacket: shell vertices more than 3 mm under the skin of a thigh or knee. Off the sleeves (the shell's blend
    of the arms at most a half, as knee_clear.lay's), pushed out along the leg's normal: none (none on ccda6a9
    either; 4325 on beb768f), under the trousers' surface there 24 (24 on ccda6a9; bound 40). A sleeve's vertex in a leg lies pressed on the
    body, within 5 mm of as near its body point as it may go (its stacked thickness, or the tops under it + its
    own): where the leg lies in the arm or body itself, hidden in the leg as the arm is: 2439 now (ccda6a9: 0, each
    pushed out along its nearest leg normal, torn across the leg: test below), none farther. Since dress.knee_lift the
    trunk's vertices in a leg are lifted up the trunk out of it, those a lift of knee_lift.LIFT_MAX does not take out
    (the front pinched between the belly and a thigh) left there: 1739 (0 on 32b65fb, pushed out along the legs'
    normals, torn across them: tests/test_knee_lift.py), 1859 under the trousers' surface (24). Each of them hidden
    from every side: inside the body (1735, generalised winding number over a half) or inside the trousers (the other
    4); none where a camera could see it (bound 0). Since the lift only with a knee raised (knee_lift.raised: kneeling
    on one knee pushed out as on 26ebc84): 1655 and 1739 (bounds 1800 -> 1700 and 1900 -> 1800). With dress.fit (a
    child's coat thinner, closer to its thighs) more of a crouching child's front stays pinched in a leg: 1798 and 1488
    (bound 1700 -> 1850; all of them still hidden, asserted)."""
    loose = sum(x[3] for x in through.values())
    sleeves = sum(x[0] for x in through.values())
    trunk = sum(x[1] for x in through.values())
    cloth = sum(x[2] for x in through.values())
    seen = {k: x[7] for k, x in through.items() if x[7]}  # trunk vertices in a leg outside body and trousers
    worst = sorted(through.items(), key=lambda kv: -kv[1][3])[:3]
    print("sleeve vertices in a leg:", sleeves, "trunk:", trunk, "trunk under the trousers:", cloth,
          "not pressed on the body:", loose, "trunk in a leg where it may be seen:", seen, "worst", worst)
    assert len(through) == len(POSES) * len(SHAPES) * 2
    assert loose == 0, worst
    assert trunk <= 1850, trunk
    assert cloth <= 1800, cloth
    assert not seen, seen


def test_a_crouching_coat_is_not_torn_across_a_leg(through):
    """Edges of a coat's or a jacket's shell whose two vertices knee_clear.lay moved 5 mm or more in directions
    more than 90 degrees apart (one out on each side of a thigh or knee: the sheet torn into shards lying on the
    trousers, closeup seed 370 sample 11, seed 361 sample 6's knees as discs in hoops of sleeve), and faces it
    turned over, over the 32 cases. With an end on a sleeve: 681 on ccda6a9 (crouching 31-42 a case), 11 now (a
    sleeve's vertices in a leg are pressed towards their own body point). All: 1026 -> 356, turned over 3807 -> 1314:
    the trunk is still pushed out along the leg's normals, torn across a thigh as on ccda6a9 (pressed in too, 1 and
    80, but the jacket's front went behind the thighs and the sash and backpack webbing fitted to it under the
    trousers: test_bags). Since dress.knee_lift (the trunk lifted up it, sloped round): all 59, each with an end on
    a sleeve (a sleeve pressed in beside the trunk lifted at the side), turned over 309. Since the lift only with a
    knee raised (knee_lift.raised), kneeling on one knee pushed out as on 26ebc84 again: all 76 (bound 70 -> 80), 59
    with an end on a sleeve (bound 70), turned over 446 (bound 350 -> 480). With dress.fit's thinner children's coats
    turned over 512 (bound 480 -> 530; all 33, 18 with an end on a sleeve)."""
    torn = sum(x[4] for x in through.values())
    over = sum(x[5] for x in through.values())
    sleeve = sum(x[6] for x in through.values())
    print("torn edges:", torn, "with an end on a sleeve:", sleeve, "turned-over faces:", over)
    assert sleeve <= 70, {k: x[6] for k, x in through.items() if x[6]}
    assert torn <= 80, {k: x[4] for k, x in through.items() if x[4]}
    assert over <= 530, {k: x[5] for k, x in through.items() if x[5]}


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
