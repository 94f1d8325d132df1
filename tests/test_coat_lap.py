"""A seated person's coat tail lies on the lap (dress.coat_lap): seen from above, the cloth over the thighs is
on them, not a flat sheet standing off them.

The chair key poses (sitting, relaxed, leaning forward) x child, average, heavy, tall bodies in a closed coat
(tail 1.2) over a shirt and trousers, dressed without a seat. Each thigh's upper skin (part upper leg, normal
within 60 degrees of up, from 0.35 to 0.85 of the way from the hip joint to the knee: the lap, away from the
hip crease that the coat's front bridges) is cast straight up onto the tail's triangles.
"""

import numpy as np
import pytest

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_curtain import SHAPES
from test_seat_cloth import SEATED
from test_seat_tent import COAT, SHIRT, TROUSERS

STANDOFF = 0.05  # metres: tail this far over the thigh's skin is a sheet off the lap (trousers and coat: 3 cm)


def up_hits(P: np.ndarray, V: np.ndarray, F: np.ndarray) -> np.ndarray:
    """(N,) metres from each point of ``P`` (N, 3) straight up to the lowest triangle of the mesh ``V`` (M, 3),
    ``F`` (K, 3) above it; inf where none is above."""
    A, B, C = V[F[:, 0]], V[F[:, 1]], V[F[:, 2]]
    lo, hi = np.minimum(np.minimum(A, B), C), np.maximum(np.maximum(A, B), C)
    out = np.full(len(P), np.inf)
    for i, p in enumerate(P):
        m = (lo[:, 0] <= p[0]) & (hi[:, 0] >= p[0]) & (lo[:, 1] <= p[1]) & (hi[:, 1] >= p[1]) & (hi[:, 2] > p[2])
        a, b, c = A[m], B[m], C[m]
        e0, e1, q = b[:, :2] - a[:, :2], c[:, :2] - a[:, :2], p[:2] - a[:, :2]
        den = e0[:, 0] * e1[:, 1] - e0[:, 1] * e1[:, 0]
        den = np.where(np.abs(den) < 1e-12, 1e-12, den)
        u = (q[:, 0] * e1[:, 1] - q[:, 1] * e1[:, 0]) / den
        w = (e0[:, 0] * q[:, 1] - e0[:, 1] * q[:, 0]) / den
        z = a[:, 2] + u * (b[:, 2] - a[:, 2]) + w * (c[:, 2] - a[:, 2])
        hit = (u >= 0) & (w >= 0) & (u + w <= 1) & (z > p[2])
        if hit.any():
            out[i] = float((z[hit] - p[2]).min())
    return out


def lap_points(v: np.ndarray, n: np.ndarray, kp: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """(V,) bool: the thighs' upper skin from 0.35 to 0.85 of the way from the hip joint to the knee."""
    sel = np.zeros(len(v), bool)
    for side in ("left", "right"):
        hip, knee = kp[K25[f"{side}_hip"]], kp[K25[f"{side}_knee"]]
        d = knee - hip
        t = (v - hip) @ d / float(d @ d)
        sel |= (parts == PART_INDEX[f"{side}_upper_leg"]) & (t > 0.35) & (t < 0.85) & (n[:, 2] > 0.5)
    return sel


@pytest.fixture(scope="module")
def lap_gaps(anny_body):
    """{(pose, body index): ((N,) metres from each lap point up to the coat's tail, (N,) to the trousers;
    inf: none above)}."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(p) for p in SEATED]))
    dresser, faces, parts, out = Dresser(anny_body), np.asarray(anny_body.faces), np.asarray(anny_body.vertex_parts), {}
    for s, shape in enumerate(SHAPES):
        posed = anny_body.pose(np.tile(shape, (len(SEATED), 1)), rot)
        for p, name in enumerate(SEATED):
            v, kp = posed.vertices[p].astype(np.float64), posed.keypoints[p].astype(np.float64)
            n = vertex_normals(v.astype(np.float32), faces)
            meshes = dresser.dress({"garments": [SHIRT, TROUSERS, COAT]}, v.astype(np.float32), n, kp.astype(np.float32))
            tail = next(m for m in meshes if m.name == "coat:skirt")
            trousers = next(m for m in meshes if m.part == PART_INDEX["lower_clothes"])
            lap = v[lap_points(v, n, kp, parts)]
            out[(name, s)] = (up_hits(lap, tail.vertices.astype(np.float64), tail.faces),
                              up_hits(lap, trousers.vertices.astype(np.float64), trousers.faces.astype(np.int64)))
    return out


def test_a_seated_coat_tail_lies_on_the_lap(lap_gaps):
    """Of the lap points under the tail, at most 20 % in any case (and 10 % over all) have it more than
    :data:`STANDOFF` over them. On 9794ba5 the front panels went on forward from the shell's hem nearly level:
    89-100 % per case, 98.8 % over all (median per case 85-125 mm over the skin). Now (coat_lap.lay): 0-6.2 %
    per case, 2.6 % over all (median 30-36 mm: the drop's 3 cm clearance)."""
    shares, under = {}, []
    for key, (g, _) in lap_gaps.items():
        g = g[np.isfinite(g)]
        under.append(g)
        shares[key] = round(100 * float((g > STANDOFF).mean()), 1)
    total = 100 * float((np.concatenate(under) > STANDOFF).mean())
    assert max(shares.values()) <= 20.0 and total <= 10.0, (round(total, 1), shares)


def test_the_lap_is_covered_as_before(lap_gaps):
    """The tail covers the lap seen from straight above: the drop is straight down (on 9794ba5 and now every lap
    point in every case)."""
    covered = [float(np.isfinite(g).mean()) for g, _ in lap_gaps.values()]
    assert min(covered) > 0.9, covered


def test_a_seated_coat_tail_lies_over_the_trousers(lap_gaps):
    """Seen from straight above, the tail lies over the trousers on the lap (coat_lap.over_cloth), not within 2 mm
    of them or under them (the trousers then showed through it in flecks): lap points where the first tail
    surface above the skin is less than 2 mm over the first trousers surface, over all cases. On 8699cdb (the
    tail dropped to 3 cm over the skin, the trousers standing 2-3 cm off it with their ease and filled seat):
    63 of 849 (7.4 %); now 13 (1.5 %)."""
    close = total = 0
    for g, t in lap_gaps.values():
        ok = np.isfinite(g) & np.isfinite(t)
        close += int((g[ok] < t[ok] + 0.002).sum())
        total += int(ok.sum())
    assert close <= 0.025 * total, (close, total)
