"""Anatomy under tight clothes, where the trunk test (test_dress) does not look: the seat under
trousers and jeans (the buttocks and their cleft) and the chest under tops, in every key pose and
body shape. The measure is the issue's: the high-frequency part of the garment surface (its
distance to a local quadric, :func:`genb.render.dress.checks.roughness`) over the region, as a
share of the skin's own there."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from genb.core.conventions import PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_dress import OUTFITS, _shapes

OUTFITS_WORN = {"t-shirt and jeans": OUTFITS["t-shirt and jeans"]["garments"][:2],
                "shirt and trousers": OUTFITS["closed coat"]["garments"][:2]}


@pytest.fixture(scope="module")
def relief(anny_body):
    """{(region, outfit): [(pose, garment relief / skin relief)]} over every key pose, shapes in turn."""
    from genb.render.dress import Dresser
    from genb.render.dress.checks import roughness
    from genb.render.raster.meshes import vertex_normals

    dresser = Dresser(anny_body)
    a = dresser.atlas
    lib = PoseLibrary()
    names = list(lib.names)
    shapes = _shapes(anny_body)
    posed = anny_body.pose(shapes[[k % len(shapes) for k in range(len(names))]],
                           euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in names])))
    thighs = np.isin(a.parts, [PART_INDEX["left_upper_leg"], PART_INDEX["right_upper_leg"]])
    torso = a.parts == PART_INDEX["torso"]
    # the seat: the back of the pelvis and the buttocks down to the gluteal fold (not the crotch below)
    seat = (a.normals[:, 1] > 0.3) & (a.torso > -0.2) & (a.torso < 0.15) & (np.abs(a.rest[:, 0]) < 0.12) & (torso | thighs)
    # the chest: breasts or pecs and the groove between them, the front below the collar
    chest = torso & (a.normals[:, 1] < -0.3) & (a.torso > 0.45) & (a.torso < 0.9) & (np.abs(a.rest[:, 0]) < 0.13)
    regions = {"seat": (seat, PART_INDEX["lower_clothes"]), "chest": (chest, PART_INDEX["upper_clothes"])}
    out: dict = {}
    faces = np.asarray(anny_body.faces)
    trunk = np.flatnonzero(~np.isin(a.parts, [PART_INDEX[p] for p in ("left_hand", "right_hand", "left_lower_arm",
                                                                        "right_lower_arm")]))
    for k, pose in enumerate(names):
        v, kp = posed.vertices[k], posed.keypoints[k]
        n = vertex_normals(v, faces)
        tree = cKDTree(v[trunk])  # the skin under the cloth (a hand resting on a hip is not under it)
        arms = cKDTree(v[np.setdiff1d(np.arange(len(v)), trunk)])
        dressed = {name: dresser.dress({"garments": g}, v, n, kp) for name, g in OUTFITS_WORN.items()}
        for region, (mask, part) in regions.items():
            skin = roughness(v[trunk], n[trunk], mask[trunk])  # not a hand resting on (or sunk in) it
            for name, garments in dressed.items():
                g = next(g for g in garments if g.part == part)
                d, j = tree.query(g.vertices)
                j = trunk[j]
                over = mask[j] & (d < 0.12) & (np.einsum("ij,ij->i", g.normals, n[j]) > 0.5)
                over &= cKDTree(g.vertices[g.hem]).query(g.vertices)[0] > 0.04  # a hem turns back to the skin
                over &= arms.query(g.vertices)[0] > 0.04  # cloth a hand or forearm rests on is dented by it
                out.setdefault((region, name), []).append((pose, roughness(g.vertices, g.normals, over) / skin))
    return out


def _summary(rows):
    r = np.array([x for _, x in rows])
    worst = sorted(rows, key=lambda x: -x[1])[:3]
    return r, f"median {np.median(r):.2f} mean {r.mean():.2f} worst {[(p, round(x, 2)) for p, x in worst]}"


def test_trousers_bridge_the_buttock_cleft_in_every_key_pose(relief):
    """Trousers and jeans span the cleft and the gluteal folds and keep at most a third of the seat's relief
    over the key poses (the issue's bound; jeans' median at most 1/3, trousers' 0.35). The shells before the
    hollow bridge (dress.bridge) scored a median of 1.05-1.13 here; with it a median of 0.53-0.57 and a mean
    of 0.45-0.46, 0.6 on heavy and tall bodies (their deeper cleft came through anchors smoothed over 6 cm);
    with the seat's anchors smoothed over 12 cm (bridge.seat_zone) a median of 0.35-0.36 (jeans 0.355,
    trousers 0.35), a mean of 0.34-0.35, at most 1.1 (a crouching child, the seat stretched round the bent
    hips), measured with the skin's relief without the arms (beb768f). With the posed seat filled along the
    way it faces (dress.seat_fill: the heavy body's cleft, where its thighs meet under the buttocks, had come
    back in a V): jeans a median 0.32, a mean 0.28, at most 0.41 (arms raised, a lunge, contrapposto on the
    tall body; the crouching child 1.10 -> 0.37); trousers a median 0.335, a mean 0.29, at most 0.40 (e9a3c6f).
    With the fill's hollows raised along the cloth's normals (seat_fill.hollow_lift: the crease along the
    cleft's line, the gluteal folds, a flexed seat's dents): jeans a median 0.32 -> 0.29, a mean 0.28 -> 0.28,
    at most 0.41 -> 0.42; trousers 0.335 -> 0.28, 0.29 -> 0.28, 0.40 -> 0.42 (the worst still standing with
    the arms up or the weight on one leg, on the tall and heavy bodies: the crotch's saddle under the cleft)."""
    bounds = {"t-shirt and jeans": 0.3, "shirt and trousers": 0.3}
    for name in OUTFITS_WORN:
        r, text = _summary(relief[("seat", name)])
        print(f"seat under {name}: {text}")
        assert len(r) == len(PoseLibrary().names) >= 20
        assert np.median(r) <= bounds[name] and r.mean() < 0.29 and r.max() < 0.45, (name, text)


def test_tops_keep_a_third_of_the_chests_relief_in_every_key_pose(relief):
    """Over the chest (breasts or pecs, nipples, the groove between them) a t-shirt and a shirt keep at
    most a third of the skin's relief (the issue's bound) over the key poses. Before dress.chest they
    kept a median of 0.35-0.36; hung from the bust (a tent of 30 cm sag radius over the chest's front,
    in the rest pose) and with their anchors there following the body smoothed over 7.5 cm, a median of
    0.25 (t-shirt) and 0.29 (shirt), a mean of 0.29 and 0.37. The worst is the child folded forward
    (sitting leaning forward, crouching: 0.6-0.99; 0.96 before): the rest body's bust smoothed into a
    small flat chest bent at the waist. With the skin's relief measured without the arms (a forearm lying
    across the chest counted in it) and the cloth a hand or forearm rests on left out: means 0.31 and 0.40,
    the worst crossed arms (0.71, 1.07)."""
    for name in OUTFITS_WORN:
        r, text = _summary(relief[("chest", name)])
        print(f"chest under {name}: {text}")
        assert np.median(r) <= 1 / 3 and r.mean() < 0.42 and r.max() < 1.1, (name, text)


LONG_TOP = {"type": "long_sleeve_shirt", "kind": "top", "sleeve": 1.95, "waist": -0.1, "thickness": 0.018, "ease": 0.012,
            "loose": False, "color": "d8d0b0"}


def test_a_long_tops_back_falls_straight_from_the_buttocks(anny_body):
    """A sweater or hoodie whose hem reaches below the buttocks (waist -0.1, as the wardrobe draws) hangs
    from their widest line (dress.chest.curtain_lift), not tucked in under them to the gluteal fold and
    the crotch (the two lobes and the cleft read through it, its hem a V between the legs from behind).
    Measured: back-facing cloth below the hip joints within 10 cm of the middle (the hem strip aside),
    how far in front of the deepest cloth up to 20 cm above it (a curtain: 0). Standing, relaxed and
    contrapposto x child, heavy, tall over trousers: mean 14.5 mm, the heavy body's worst 43 mm before;
    9.3 mm and 29 mm after. Measured on a long-sleeved shirt cut as such a sweater (the curtain is every top's):
    a sweater's or a hoodie's last 6 cm are now a rib band drawn in under the cloth bloused above it
    (dress.rib_bands, tests/test_rib_bands.py), which this measure counts as tucked in (mean 13.1 mm, worst 27 mm)."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals
    from test_dress import _shapes

    dresser, lib = Dresser(anny_body), PoseLibrary()
    trousers = OUTFITS["closed coat"]["garments"][1]
    shapes = _shapes(anny_body)
    poses = ("standing", "relaxed_standing", "contrapposto")
    means, worst = [], 0.0
    for shape in shapes:
        posed = anny_body.pose(np.repeat(shape[None], len(poses), axis=0),
                               euler_xyz_to_matrix(np.stack([lib.key_pose(p) for p in poses])))
        for v, kp in zip(posed.vertices.astype(np.float64), posed.keypoints):
            top = next(m for m in dresser.dress({"garments": [LONG_TOP, trousers]}, v,
                                                vertex_normals(v, np.asarray(anny_body.faces)), kp)
                       if m.part == PART_INDEX["upper_clothes"])
            G, N, hip = top.vertices.astype(np.float64), top.normals, kp[8]
            off_hem = cKDTree(G[top.hem]).query(G)[0] > 0.02
            back = N[:, 1] > 0.3
            sel = np.flatnonzero(back & (G[:, 2] < hip[2]) & (np.abs(G[:, 0] - hip[0]) < 0.1) & (G[:, 1] > hip[1]) & off_hem)
            tuck = []
            for i in sel:
                above = back & (np.abs(G[:, 0] - G[i, 0]) < 0.02) & (G[:, 2] > G[i, 2]) & (G[:, 2] < G[i, 2] + 0.2)
                tuck.append(max(0.0, G[above, 1].max() - G[i, 1]) if above.any() else 0.0)
            means.append(float(np.mean(tuck)))
            worst = max(worst, float(np.max(tuck)))
    assert np.mean(means) < 0.011 and worst < 0.035, (np.mean(means), worst)
