"""A coat's tail on a lunge's raised thigh hangs beside it (dress.coat_back.raised, bare): no flat ledge of
cloth sticking out level past the thigh's sides."""

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_curtain import SHAPES
from test_seat_tent import COAT, SHIRT, TROUSERS

LUNGES = ("lunge", "kneeling_one_knee")


def ledge(T: np.ndarray, F: np.ndarray, v: np.ndarray, kp: np.ndarray, off: float = 0.03, level: float = 0.7) -> float:
    """Square metres of the tail (vertices ``T`` (N, 3), faces ``F``) that lie level (|normal z| over ``level``)
    beside the raised thigh seen from above: farther than the thigh's radius (90th percentile of its skin
    ``v``'s distance from its axis) plus ``off`` from its axis in plan, 0.3-1.0 of its length along it, and
    no lower than its axis minus its radius (a ledge level with the thigh, not cloth hanging below it)."""
    side = max(("left", "right"), key=lambda s: kp[K25[f"{s}_knee"], 2] - kp[K25[f"{s}_hip"], 2])
    h, ax = kp[K25[f"{side}_hip"]], kp[K25[f"{side}_knee"]] - kp[K25[f"{side}_hip"]]
    L = float(np.linalg.norm(ax))
    u = ax / L
    dv = v - h
    ta = dv @ u
    rv = np.linalg.norm(dv - ta[:, None] * u, axis=1)
    r = float(np.percentile(rv[(ta > 0.3 * L) & (ta < L) & (rv < 0.13)], 90))
    P = T[F]
    c = P.mean(axis=1)
    n = np.cross(P[:, 1] - P[:, 0], P[:, 2] - P[:, 0])
    area = 0.5 * np.linalg.norm(n, axis=1)
    dc = c - h
    a = dc @ u
    plan = np.linalg.norm(dc[:, :2] - np.clip(dc[:, :2] @ ax[:2] / (ax[:2] @ ax[:2]), 0.0, 1.0)[:, None] * ax[:2], axis=1)
    m = (a > 0.3 * L) & (a < L) & (c[:, 2] > h[2] + a * u[2] - r) & (plan > r + off)
    m &= np.abs(n[:, 2]) > level * np.maximum(2.0 * area, 1e-12)
    return float(area[m].sum())


def test_a_lunges_coat_tail_hangs_beside_the_raised_thigh(anny_body):
    """Lunge and kneeling on one knee x child, average, heavy, tall, a closed coat over a shirt and trousers:
    the tail's level cloth beside the raised thigh (:func:`ledge`). On 5afc362 the raised thigh carried its
    panel as a wide flared half-pipe whose sides stood out level past the thigh (a flat disc seen from the
    front): 16-225 cm^2 per person, 755 in all; now (dress.coat_back: a raised thigh lets what lies beside
    it fall, ``raised`` and ``bare``) the sides hang as a curtain: 0-102, 266 in all."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    dresser = Dresser(anny_body)
    got = {}
    for s, shape in enumerate(SHAPES):
        posed = anny_body.pose(np.tile(shape, (len(LUNGES), 1)), euler_xyz_to_matrix(np.stack([lib.key_pose(p) for p in LUNGES])))
        for k, name in enumerate(LUNGES):
            v, kp = posed.vertices[k].astype(np.float64), posed.keypoints[k].astype(np.float64)
            lift = -v[:, 2].min()
            v, kp = v + [0.0, 0.0, lift], kp + [0.0, 0.0, lift]
            meshes = dresser.dress({"garments": [SHIRT, TROUSERS, COAT]}, v, vertex_normals(v, np.asarray(anny_body.faces)), kp)
            (tail,) = [m for m in meshes if m.name == "coat:skirt"]
            got[name, s] = ledge(tail.vertices.astype(np.float64), tail.faces.astype(np.int64), v, kp)
    assert sum(got.values()) < 0.045, got
    assert max(got.values()) < 0.015, got


def test_only_a_lunge_raises_a_thigh():
    """dress.coat_back.raised is 0 in every key pose but the lunge and kneeling on one knee (the average body):
    standing, walking, running, seated, crouching and on the ground their tails are as they were."""
    from genb.render.bodies.anny_body import AnnyBody
    from genb.render.dress.coat_back import raised

    body, lib = AnnyBody(), PoseLibrary()
    posed = body.pose(np.tile(SHAPES[1], (len(lib.names), 1)), euler_xyz_to_matrix(np.stack([lib.key_pose(p) for p in lib.names])))
    for k, name in enumerate(lib.names):
        kp = posed.keypoints[k].astype(np.float64)
        pc = {f"{s}_{j}": kp[K25[f"{s}_{j}"]] for s in ("left", "right") for j in ("hip", "knee", "ankle")}
        assert (max(raised(pc)) > 0.99) == (name in LUNGES) and (max(raised(pc)) == 0.0 or name in LUNGES), (name, raised(pc))
