"""A flight of steps as a seat (contact.seat_recipe with the body, contact.step_fronts): the sitter's
buttocks rest on its top tread and the lower steps stay clear of the shins and feet.

Real anny bodies in the seated key poses, the flight built from the prop's own meshes (scene.props:
each step an axis-aligned box in the prop's frame). Before (33376cb: even treads, the top one at
the back), the lowest buttock point hovered 1-221 mm over a lower step (median ~140 mm over 12
bodies x 3 poses); the top step put under the buttocks instead made the lower steps reach through
the shins. Now: no gap, no leg inside, and most upright sitters get two or three steps.
"""

import math

import numpy as np
import pytest

from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_hang import SHAPES

SEATED = ("sitting", "sitting_leaning_forward", "sitting_relaxed")


def step_boxes(recipe: dict) -> tuple[np.ndarray, list]:
    """(2, 2) the rotation to the prop's frame and the (lo, hi) corners of its step boxes there."""
    from genb.render.scene.places.kinds import prop_meshes

    a = math.radians(recipe["yaw_deg"])
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    (v, f, *_), = prop_meshes(recipe)
    v = np.column_stack([(v[:, :2].astype(np.float64) - recipe["position"]) @ R, v[:, 2]])
    boxes = [(v[np.unique(p)].min(axis=0), v[np.unique(p)].max(axis=0)) for p in np.asarray(f).reshape(-1, 12, 3)]
    return R, boxes


def to_local(P: np.ndarray, recipe: dict, R: np.ndarray) -> np.ndarray:
    return np.column_stack([(P[:, :2] - recipe["position"]) @ R, P[:, 2]])


def tread_under(L: np.ndarray, boxes: list) -> np.ndarray:
    """(N,) height of the flight's top over local points ``L`` (N, 3) (0 off its footprint)."""
    out = np.zeros(len(L))
    for lo, hi in boxes:
        over = (L[:, 0] >= lo[0]) & (L[:, 0] <= hi[0]) & (L[:, 1] >= lo[1]) & (L[:, 1] <= hi[1])
        out = np.where(over, np.maximum(out, hi[2]), out)
    return out


def depth_inside(L: np.ndarray, boxes: list) -> np.ndarray:
    """(N,) metres each local point lies inside the flight's boxes (0 outside)."""
    out = np.zeros(len(L))
    for lo, hi in boxes:
        out = np.maximum(out, np.minimum(L - lo, hi - L).min(axis=1))
    return np.clip(out, 0.0, None)


@pytest.fixture(scope="module")
def flights(anny_body):
    """(pose, shape, yaw, recipe, body vertices) of a steps seat under each seated pose x body, at two yaws."""
    from genb.render.scene import contact

    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in SEATED]))
    rest = anny_body.pose(anny_body.sample_shapes(np.random.default_rng(0), 1), np.tile(np.eye(3), (1, rot.shape[1], 1, 1)))
    groups = contact.support_groups(rest.vertices[0], rest.keypoints[0], np.asarray(anny_body.vertex_parts))
    out = []
    for si in range(len(SHAPES)):
        posed = anny_body.pose(np.tile(SHAPES[si], (len(SEATED), 1)), rot)
        for pi, name in enumerate(SEATED):
            v0 = posed.vertices[pi].astype(np.float64)
            v0[:, 2] -= v0[:, 2].min()
            radius = float(np.sqrt((v0[:, :2] ** 2).sum(axis=1).max()))
            for yaw in (0.0, 130.0):
                c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
                v = np.column_stack([v0[:, :2] @ np.array([[c, s], [-s, c]]) + [0.4, -0.3], v0[:, 2]])
                seed = next(k for k in range(200) if contact.seat_recipe(
                    np.random.default_rng(k), v[groups["buttocks"]], yaw, radius, body=v)["type"] == "steps")
                rec = contact.seat_recipe(np.random.default_rng(seed), v[groups["buttocks"]], yaw, radius, body=v)
                out.append((name, si, yaw, {**rec, "color": "808080"}, v, groups))
    return out


def test_buttocks_rest_on_the_top_tread(flights):
    """The lowest buttock point lies on the flight's top tread (hovered 1-221 mm over a lower one
    before) and no buttock point sinks into it."""
    for name, si, yaw, rec, v, groups in flights:
        R, boxes = step_boxes(rec)
        L = to_local(v[groups["buttocks"]], rec, R)
        gap = L[:, 2] - tread_under(L, boxes)
        low = int(np.argmin(L[:, 2]))
        assert abs(gap[low]) < 0.002 and gap.min() > -0.002, (name, si, yaw, float(gap[low]), float(gap.min()))


def test_lower_steps_clear_the_legs(flights):
    """No shin or foot vertex lies inside the flight (the top step at the buttocks with even treads
    in front put the lower steps through the shins), and it is a flight: most upright sitters get
    more than one step."""
    steps = {}
    for name, si, yaw, rec, v, groups in flights:
        R, boxes = step_boxes(rec)
        legs = np.concatenate([groups["shins"], groups["feet"]])
        d = depth_inside(to_local(v[legs], rec, R), boxes)
        assert int((d > 0.002).sum()) == 0, (name, si, yaw, int((d > 0.002).sum()), float(d.max()))
        steps[(name, si, yaw)] = len(boxes)
    assert sum(steps[("sitting", si, 0.0)] > 1 for si in range(len(SHAPES))) >= 2, steps


def test_seat_cloth_sees_the_same_flight(flights):
    """The dresser's view of the seat (seat_cloth.top_height) is the prop's meshes: the tread height
    over points sampled along the flight's depth."""
    from genb.render.dress.seat_cloth import local_xy, seat_of, top_height

    for name, si, yaw, rec, v, groups in flights:
        R, boxes = step_boxes(rec)
        seat = seat_of(rec)
        D = rec["size"][1]
        y = np.linspace(-D / 2 + 1e-4, D / 2 - 1e-4, 97)
        L = np.column_stack([np.zeros_like(y), y, np.zeros_like(y)])
        world = np.column_stack([L[:, :2] @ R.T + rec["position"], L[:, 2]])
        assert np.allclose(local_xy(seat, world)[1], y, atol=1e-9)
        assert np.allclose(top_height(seat, y), tread_under(L, boxes), atol=1e-6), (name, si, yaw)
