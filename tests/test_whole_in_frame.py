"""closeup and bedlam keep people who are not truncated on purpose whole in the image (``whole_in_frame``:
genb/render/scene/outline.py): the hair's or hat's room above the head, hands, elbows and feet inside the sides.

Per key pose x body (child, average, heavy, tall), one person framed by the preset's own draws without
truncation, bare (``--wardrobe none``: the framing must not depend on the outfit): the room between the head's
top and the image's top edge in metres at the head (hair and caps stand up to 0.093 m out of the crown), and
whether every body vertex not below the image lies inside the left, right (and for bedlam bottom) edges.
On e9a3c6f (no outline; here ``whole_in_frame: false``), closeup: 20 of 48 heads with under 0.08 m of room
(down to -0.08 m: the head cut), 22 of 48 bodies out at a side or the top; bedlam: 25 of 48 bodies out at an
edge. With the outline: closeup 1 of 48 out (the tall body kneeling on one knee: the outline is 121 points, and
those below the image are not tested), every head with 0.089 m of room or more; bedlam 0 of 48.
"""

import numpy as np
import pytest

from genb.core.conventions import BODY25_INDEX
from genb.render.scene import heads, outline
from test_head_row import SHAPES, framed_key_poses

POSES = ["standing", "walk_passing", "waving", "pointing", "reaching_up", "stretching_side", "jumping",
         "bending_over", "sitting", "sitting_floor_legs_out", "crouching", "kneeling_one_knee"]


def _framings(preset: str, over: dict) -> list[tuple[str, int, float, bool]]:
    """Per key pose x body: (pose, body, the room above the head's top in metres at the head, every body vertex
    not below the image inside the image's sides and top (and bottom where ``feet_row`` <= 1))."""
    return [(name, b, *_measure(got, rested, head, cfg))
            for cfg, name, b, got, rested, _, head in framed_key_poses(preset, {"num_people": (1, 1), **over}, POSES)]


def _measure(got, rested: np.ndarray, head: np.ndarray, cfg) -> tuple[float, bool]:
    """The room above the head (metres at the head's depth) and whether the body is inside the image."""
    cam, (x, y), yaw = got.camera, got.xy[0], float(got.yaw[0])
    K, ext, H, W = cam.K, cam.cam_ext, cam.height, cam.width
    c = (heads.turned(rested, yaw) + [x, y, 0]) @ ext[:3, :3].T + ext[:3, 3]
    u, v = c[:, 0] / c[:, 2] * K[0, 0] + K[0, 2], c[:, 1] / c[:, 2] * K[1, 1] + K[1, 2]
    top = int(np.argmin(v[head]))
    room = (v[head][top] + 0.5) * c[head][top, 2] / K[1, 1]  # pixels to the top edge, in metres at the head
    seen = v <= H - 1
    inside = u[seen].min() >= 0 and u[seen].max() <= W - 1 and v.min() >= 0
    if cfg.feet_row[1] <= 1.0:
        inside = inside and v.max() <= H - 1
    return float(room), bool(inside)


@pytest.mark.parametrize("preset", ["closeup", "bedlam"])
def test_people_not_truncated_are_framed_whole_with_room_for_hair(preset):
    """With the preset's outline: every framing keeps 0.09 m (the tallest hair or cap measured) above the head
    and the body inside the image (at most 1 of 48 out); the same draws without it (e9a3c6f's framing) cut or
    crowd many (closeup: 20 heads short of room, 22 bodies out; bedlam: 25 bodies out): the measure sees them."""
    rows = _framings(preset, {})
    assert len(rows) == len(POSES) * len(SHAPES)
    assert sum(not r[3] for r in rows) <= 1, [r for r in rows if not r[3]]
    if preset == "closeup":  # bedlam's head rows are not exact: its room is what the outline's top keeps
        assert min(r[2] for r in rows) >= outline.HAIR_M - 0.01, sorted(rows, key=lambda r: r[2])[:4]
    before = _framings(preset, {"whole_in_frame": False})
    assert sum(not r[3] for r in before) >= 5, [r for r in before if not r[3]]
    if preset == "closeup":
        assert sum(r[2] < outline.HAIR_M - 0.01 for r in before) >= 5


def test_outline_inside_is_the_projection_of_every_point():
    """outline.inside is the exact test of every point's projection (turned, moved); outlines hold the pushed
    crown (HAIR_M out of the ears' midpoint) and the body's farthest points (CLOTH_M further along each direction)."""
    from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov

    K = intrinsics_from_fov(50.0, 192, 256)
    ext = extrinsics(np.array([0.0, 0.0, 1.2]), camera_to_world_rotation(0.0, -12.0, 0.0))
    rng = np.random.default_rng(5)
    pts = rng.normal(0, 0.3, (40, 3)) + [0, 0, 1.0]
    gx, gy = rng.uniform(-2, 2, 200), rng.uniform(0.5, 8, 200)
    got = outline.inside(pts, gx, gy, K, ext, 192, 256, 0.0, 1.0)
    for i in range(200):
        c = (pts + [gx[i], gy[i], 0]) @ ext[:3, :3].T + ext[:3, 3]
        u = (c[:, 0] / c[:, 2] * K[0, 0] + K[0, 2]) / 191
        v = (c[:, 1] / c[:, 2] * K[1, 1] + K[1, 2]) / 255
        want = (c[:, 2] > 0.05).all() and u.min() >= 0 and u.max() <= 1 and v.min() >= 0 and v.max() <= 1
        assert got[i] == want
    assert 10 < got.sum() < 190  # both answers occur
    rested = rng.normal(0, 0.2, (1, 600, 3)) + [0, 0, 1.0]
    kp = np.zeros((1, 25, 3))
    kp[0, BODY25_INDEX["left_ear"]], kp[0, BODY25_INDEX["right_ear"]] = [0.05, 0, 1.2], [-0.05, 0, 1.2]
    ids = np.arange(0, 600, 3)
    got = outline.outlines(rested, kp, ids)
    crown = heads.crowns(rested, ids)[0]
    push = np.linalg.norm(got[0, : len(crown)] - crown, axis=1)
    assert np.allclose(push, outline.HAIR_M)
    D = len(outline.DIRECTIONS)
    assert got.shape == (1, heads.CROWN_POINTS + D + outline.SLABS * 8, 3)
    far = got[0, len(crown):len(crown) + D] - outline.CLOTH_M * outline.DIRECTIONS  # the support points themselves
    assert np.allclose((far * outline.DIRECTIONS).sum(1), (rested[0, ::outline.SUPPORT_STEP] @ outline.DIRECTIONS.T).max(0))
