"""A top, a jacket or a coat worn with a loose skirt lies over it: the skirt's flare never passes
through the garment over it (they crossed along a ragged line: issue 17's "no garment through the
body", garment against garment), standing and walking. (Sitting and crouching were looked at: a
closed skirt's winding number is no measure where the trunk folds over the lap.)"""

import numpy as np
import pytest

from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401

FABRIC = {"palette": "neutrals", "color": "3b5b84", "pattern": "solid"}
TEE = {"type": "t_shirt", "kind": "top", "sleeve": 0.5, "waist": 0.0, "thickness": 0.009, "ease": 0.008, **FABRIC}
SKIRT = {"type": "skirt", "kind": "bottom", "length": 1.5, "waist": 0.3, "thickness": 0.008, "loose": True, **FABRIC}
JACKET = {"type": "jacket", "kind": "coat", "sleeve": 1.95, "waist": -0.1, "thickness": 0.012, "ease": 0.027,
          "open": False, **FABRIC}
DRESS = {"type": "dress", "kind": "dress", "sleeve": 0.3, "length": 1.6, "waist": 0.35, "thickness": 0.007,
         "loose": True, **FABRIC}
COAT = {"type": "coat", "kind": "coat", "sleeve": 1.95, "waist": -0.15, "thickness": 0.014, "ease": 0.04, "tail": 1.2,
        "open": False, **FABRIC}
POSES = ("standing", "walk_passing", "arms_crossed", "walk_toe_off")
SHAPES = np.array([[0.5, 0.2, 0.5, 0.5, 0.5, 0.5], [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]],
                  np.float32)  # child, heavy, tall


@pytest.fixture(scope="module")
def layered(anny_body):
    """Per pose x body: a t-shirt and a jacket over a long skirt, a jacket over a dress, and a t-shirt
    and a closed coat (its tail to above the knee) over a long skirt."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in POSES]))
    dresser = Dresser(anny_body)
    out = []
    for shape in SHAPES:
        posed = anny_body.pose(np.tile(shape, (len(POSES), 1)), rot)
        for k, name in enumerate(POSES):
            v, kp = posed.vertices[k], posed.keypoints[k]
            n = vertex_normals(v, np.asarray(anny_body.faces))
            for outfit in ([TEE, SKIRT, JACKET], [DRESS, JACKET], [TEE, SKIRT, COAT]):
                out.append((name, outfit[-1]["type"], dresser.dress({"garments": outfit}, v, n, kp), v, n))
    return dresser, out


def _inside_skirt(meshes, trunk):
    """Per garment over the skirt: (its vertices inside the loose skirt closed at its waist ring, how
    many lie within 15 cm of the skirt), its hem's strip (turned back towards the skin) and its sleeves
    (``trunk(points)`` False: within 6 cm of an arm) left out."""
    from scipy.spatial import cKDTree

    from genb.render.dress.cover import capped, winding_numbers

    (skirt,) = [m for m in meshes if m.name in ("skirt:skirt", "dress:skirt")]
    cv, cf = capped(skirt.vertices.astype(np.float64), skirt.faces, np.arange(44))
    near_tree = cKDTree(skirt.vertices)
    got = {}
    for m in meshes:
        if m.name in ("t_shirt", "jacket", "coat", "coat:skirt"):
            d, _ = near_tree.query(m.vertices, distance_upper_bound=0.15)
            near = np.isfinite(d)
            if m.hem is not None:  # a hem's strip turns back towards the skin, inside by design
                near &= ~m.hem
            near &= trunk(m.vertices)  # not a sleeve (a skirt's flare still takes in a swinging arm)
            w = np.abs(winding_numbers(m.vertices[near], cv, cf))
            # and behind the skirt's nearest tangent plane: a point just outside a deep crease of the
            # skirt (between striding legs) sees the skirt over most of its sky (a winding number near 1)
            _, i = near_tree.query(m.vertices[near])
            behind = np.einsum("ij,ij->i", m.vertices[near] - skirt.vertices[i], skirt.normals[i]) < 0
            got[m.name] = (int(((w > 0.6) & behind).sum()), int(near.sum()))
    return got


def test_tops_jackets_and_coat_tails_lie_over_a_loose_skirt(layered):
    """Vertices of the garments over a skirt that lie inside it (a winding number over 0.6 against
    the skirt closed at its waist, and behind its nearest tangent plane): before (tops posed as
    offsets of the body, a coat's tail hung from the coat, the skirt flaring through them) 25 % of
    the vertices near the skirt, at worst 77 % (a coat's tail) and 45 % (a t-shirt); now
    (dress.layering: pushed out over the skirt, smoothed, each garment moving at least with the one
    under it) 0.05 %, at worst 0.3 % (a coat walking; sleeves left out)."""
    inside = total = 0
    worst = {}
    from scipy.spatial import cKDTree

    dresser, people = layered
    for name, kind, meshes, v, _ in people:
        arms = cKDTree(v[dresser.is_arm])
        for garment, (k, n) in _inside_skirt(meshes, lambda p: arms.query(p)[0] > 0.06).items():
            inside, total = inside + k, total + n
            worst[name, kind, garment] = k / max(n, 1)
    print(f"inside the skirt: {inside / total:.4f}", sorted(worst.items(), key=lambda x: -x[1])[:8])
    assert inside / total < 0.002, (inside / total, worst)
    assert max(worst.values()) < 0.01, worst



@pytest.mark.parametrize("top", [JACKET, COAT], ids=["jacket", "coat"])
def test_laying_over_a_skirt_puts_no_cloth_into_the_body(anny_body, monkeypatch, top):
    """Laying the garments over the skirt (against the same outfit not laid) puts no vertex newly more
    than 2 mm under the skin, standing or with the arms crossed: the sleeves stay on the arms. Before
    the sleeves were left out, a forearm's sleeve pushed out along the skirt's normal went into the
    forearm (the heavy body standing: 24 of a jacket's vertices, up to 1.6 cm deep, 44 of a coat's;
    now 2-4; a closed coat's hem over a hanging hand, up to 10). Walking, an arm swinging against the
    hip still takes in up to 29 of a coat's vertices laid over the skirt there (the skirt's flare
    passes through that arm too). A coat's shell ending at the buttocks' widest line (its tail hanging
    from there, dress.coat_join.top) puts its hem at the heavy body's hanging forearm: one vertex more
    each side, 5 mm deep (12 -> 14); its back and hips hung straight from there (dress.curtain) bring
    it one vertex more each side, 2.6 mm deep (14 -> 16)."""
    from genb.render.dress import Dresser, dresser as dresser_module
    from genb.render.dress.cover import depth_under_skin
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in ("standing", "arms_crossed")]))
    dresser = Dresser(anny_body)
    for shape in SHAPES[1:]:
        posed = anny_body.pose(np.tile(shape, (2, 1)), rot)
        for v, kp in zip(posed.vertices, posed.keypoints):
            n = vertex_normals(v, np.asarray(anny_body.faces))
            laid = dresser.dress({"garments": [TEE, SKIRT, top]}, v, n, kp)
            with monkeypatch.context() as m:
                m.setattr(dresser_module, "lay_over", lambda uppers, loose: None)
                plain = dresser.dress({"garments": [TEE, SKIRT, top]}, v, n, kp)
            for a, b in zip(plain, laid):
                if a.name in ("t_shirt", "jacket", "coat", "coat:skirt"):
                    new = (depth_under_skin(b.vertices, v, n) > 0.002) & (depth_under_skin(a.vertices, v, n) <= 0.0)
                    assert new.sum() <= (16 if top is COAT else 5), (a.name, int(new.sum()))
