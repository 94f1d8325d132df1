"""Loose garments on a seat: a seated person's coat tail, skirt or dress lies on the seat's top and
falls over its edges, never through it (genb.render.dress.seat_cloth).

Real anny bodies (child, heavy, tall) in the seated key poses, each on the seat the renderer puts
under them (contact.seat_recipe: its top at the lowest buttock point), as a crate, a chair, a stool
and a flight of steps in turn; the seat's solid is read from the prop's own meshes (scene.props:
each piece an axis-aligned box or a cylinder in the seat's frame; a chair's backrest too).

Before (a0e67fa, the dresser blind to the seat: a coat's tail floored 2.5 cm under the buttocks'
skin, skirts and dresses floored at the ground): 2231 garment vertices lie more than 2 mm inside
the seat over the 3 poses x 3 bodies x (coat, skirt, dress) (coat 1197, skirt 489, dress 545).
After: none.
"""

import math

import numpy as np
import pytest

from genb.core.conventions import PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_hang import COAT, DRESS, SHAPES, SKIRT, TOP, TROUSERS

SEATED = ("sitting", "sitting_leaning_forward", "sitting_relaxed")
KINDS = ("crate", "chair", "stool", "steps")
OUTFITS = {"coat": [TOP, TROUSERS, COAT], "skirt": [TOP, SKIRT], "dress": [DRESS]}
DEPTH = 0.002  # metres: a garment vertex deeper than this inside the seat counts


def seat_solid_depth(P: np.ndarray, recipe: dict) -> np.ndarray:
    """(N,) metres each point ``P`` (N, 3) lies inside the seat's pieces up to its top (the prop's
    meshes in its own frame: boxes' extents, or a cylinder's radius for a round seat), 0 outside."""
    from genb.render.scene.places.kinds import prop_meshes

    a = math.radians(recipe["yaw_deg"])
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    loc = np.column_stack([(P[:, :2] - recipe["position"]) @ R, P[:, 2]])
    top = recipe["size"][2]
    (v, f, *_), = prop_meshes(recipe)
    v = np.column_stack([(v[:, :2].astype(np.float64) - recipe["position"]) @ R, v[:, 2]])
    out = np.zeros(len(P))
    for piece in np.asarray(f).reshape(-1, 12, 3) if recipe["type"] != "stool" else []:  # boxes: 12 faces each
        q = v[np.unique(piece)]
        lo, hi = q.min(axis=0), q.max(axis=0)
        d = np.minimum(loc - lo, hi - loc).min(axis=1)
        out = np.maximum(out, d)
    if recipe["type"] == "stool":  # its seat: a disc as wide as the recipe, its top at the seat's height
        r = recipe["size"][0] / 2 - np.hypot(loc[:, 0], loc[:, 1])
        out = np.maximum(out, np.minimum.reduce([r, top - loc[:, 2], loc[:, 2] - (top - 0.05)]))
    return np.clip(out, 0.0, None)


YAW_DEG = 130.0  # every other case turns the person and their seat by this about the vertical


def _turned(P: np.ndarray, yaw_deg: float) -> np.ndarray:
    """(N, 3) points ``P`` turned by ``yaw_deg`` about the world's vertical axis."""
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    return np.column_stack([c * P[:, 0] - s * P[:, 1], s * P[:, 0] + c * P[:, 1], P[:, 2]])


def seated_bodies(body, shapes):
    """Every seated pose x body ``shapes`` (shape-major), lifted onto the ground: (shape index, pose, v and kp
    (float64), n (float32), the farthest vertex's horizontal radius, the buttocks' vertex ids)."""
    from genb.render.raster.meshes import vertex_normals
    from genb.render.scene import contact

    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in SEATED]))
    rest = body.pose(body.sample_shapes(np.random.default_rng(0), 1), np.tile(np.eye(3), (1, rot.shape[1], 1, 1)))
    buttocks = contact.support_groups(rest.vertices[0], rest.keypoints[0], np.asarray(body.vertex_parts))["buttocks"]
    faces = np.asarray(body.faces)
    for si, shape in enumerate(shapes):
        posed = body.pose(np.tile(shape, (len(SEATED), 1)), rot)
        for pi, name in enumerate(SEATED):
            v, kp = posed.vertices[pi].astype(np.float64), posed.keypoints[pi].astype(np.float64)
            lift = -v[:, 2].min()
            v[:, 2] += lift
            kp[:, 2] += lift
            n = vertex_normals(v.astype(np.float32), faces)
            yield si, name, v, kp, n, float(np.sqrt((v[:, 0] ** 2 + v[:, 1] ** 2).max())), buttocks


def seated_cases(anny_body):
    """(pose, shape index, outfit name, seat recipe, dress kwargs) for every seated pose x body x
    garment, the seat kind turning with the case and every other case turned by ``YAW_DEG`` (body
    and seat); yields the posed (v, n, kp) too."""
    from genb.render.scene import contact

    k = 0
    for si, name, v, kp, n, radius, buttocks in seated_bodies(anny_body, SHAPES):
        for outfit in OUTFITS:
            yaw = YAW_DEG * (k % 2)
            vt, nt, kt = _turned(v, yaw), _turned(n.astype(np.float64), yaw), _turned(kp, yaw)
            rec = contact.seat_recipe(np.random.default_rng(k), vt[buttocks], yaw, radius)
            rec = {**rec, "type": KINDS[k % len(KINDS)], "color": "808080"}
            k += 1
            yield name, si, outfit, rec, vt.astype(np.float32), nt.astype(np.float32), kt.astype(np.float32)


@pytest.fixture(scope="module")
def seated(anny_body):
    from genb.render.dress import Dresser
    from genb.render.dress.seat_cloth import seat_of

    dresser = Dresser(anny_body)
    out = []
    for name, si, outfit, rec, v, n, kp in seated_cases(anny_body):
        meshes = dresser.dress({"garments": OUTFITS[outfit]}, v, n, kp, seat=seat_of(rec))
        (loose,) = [m for m in meshes if m.name.endswith(":skirt")]
        out.append((name, si, outfit, rec, v, loose))
    return out


def test_loose_garments_stay_out_of_the_seat(seated):
    """No coat tail, skirt or dress vertex more than 2 mm inside the seat (2231 before, see the module)."""
    inside = {}
    for name, si, outfit, rec, v, loose in seated:
        d = seat_solid_depth(loose.vertices.astype(np.float64), rec)
        inside[(name, si, outfit, rec["type"])] = int((d > DEPTH).sum())
    assert sum(inside.values()) == 0, {k: c for k, c in inside.items() if c}


def test_cloth_lies_on_the_seat_not_beside_it(seated):
    """The cloth that rests on a seat lies on its top within its footprint: no cloth vertex lies flat
    at the top's height 3-12 cm beyond any of its four edges (a plate of cloth out past it) unless
    skin holds it there (within 2 cm: the thighs carry a skirt's front past the seat's front edge),
    at either yaw, and the seat carries some of the cloth (its back lies on the top behind the
    buttocks). At most 2 such vertices over all cases: 2 since a child's garments are as loose for its size as an
    adult's (dress.fit), the child's dress leaning forward on a chair, past its front edge (0 before); since a
    seated lap sags between the knees (dress.seat_lap) those 2 are gone and 2 others lie there: the child's skirt
    sitting relaxed on steps, the lowest line of that sag just past the front edge at the top's height."""
    from scipy.spatial import cKDTree

    from genb.render.dress.seat_cloth import local_xy, seat_of

    on_top, beyond = {0.0: 0, YAW_DEG: 0}, {}
    for name, si, outfit, rec, v, loose in seated:
        seat = seat_of(rec)
        X = loose.vertices.astype(np.float64)
        x, y = local_xy(seat, X)
        h = rec["size"][2]
        near_top = np.abs(X[:, 2] - h - 0.004) < 0.004
        inside = np.hypot(x, y) < seat.width / 2 if seat.round else (np.abs(x) < seat.width / 2) & (np.abs(y) < seat.depth / 2)
        on_top[rec["yaw_deg"]] += int((near_top & inside).sum())
        held = cKDTree(v.astype(np.float64)).query(X, distance_upper_bound=0.02)[0] < 0.02
        # metres past each edge (a disc as wide as the recipe: its rim); a plate out past one starts at it:
        # 3-12 cm past (further on, cloth at the top's height is a dress's lap sagging between the knees)
        past = ({"rim": np.hypot(x, y) - seat.width / 2} if seat.round else
                {"back": y - seat.depth / 2, "front": -y - seat.depth / 2, "sides": np.abs(x) - seat.width / 2})
        edges = {edge: (d > 0.03) & (d < 0.12) for edge, d in past.items()}
        # a plate lies flat; cloth hanging past the edge crosses the band upright (a hem's turned-back strip: flat anywhere)
        flat = (np.abs(loose.normals[:, 2]) > 0.9) & (~loose.hem if loose.hem is not None else True)
        for edge, out in edges.items():
            beyond[(name, si, outfit, rec["type"], rec["yaw_deg"], edge)] = int((near_top & out & ~held & flat).sum())
    assert sum(beyond.values()) <= 2, {k: c for k, c in beyond.items() if c}
    assert all(c > 0 for c in on_top.values()), on_top


@pytest.mark.parametrize("kind", ["chair", "bench", "crate", "stool", "steps"])
def test_push_out_leaves_nothing_in_the_seat_or_its_backrest(kind):
    """One push puts every point out of the seat's solid, backrest included, at any yaw: a second push
    moves nothing. (Lifted onto the top near the back edge, cloth ended inside a chair's backrest: 18-26
    of 20,000 random points before the backrest was pushed out of again after the box.)"""
    from genb.render.dress.seat_cloth import push_out, seat_of

    rng = np.random.default_rng(1)
    for yaw in (0.0, 37.0, 210.0):
        seat = seat_of({"type": kind, "position": [0.3, -0.2], "yaw_deg": yaw, "size": [0.5, 0.45, 0.46]})
        P = np.column_stack([rng.uniform(-0.1, 0.7, 20000), rng.uniform(-0.6, 0.2, 20000), rng.uniform(0.0, 1.2, 20000)])
        once = push_out(P, seat)
        moved = np.linalg.norm(push_out(once, seat) - once, axis=1)
        assert (np.linalg.norm(once - P, axis=1) > 0).sum() > 1000 and moved.max() < 1e-9, (kind, yaw, int((moved > 0).sum()))
