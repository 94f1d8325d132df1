"""A shoulder bag hangs under gravity from its sash's hip end (dress/bag_hang.py), in the key poses that
are not upright too (bent over, sitting, crouching, kneeling) and over every body (child, average, heavy, tall)."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from genb.core.conventions import PART_INDEX
from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_bags import _face_samples
from test_dress import OUTFITS
from test_shoes import _winding

CLOTH = [PART_INDEX[p] for p in ("upper_clothes", "coat", "lower_clothes", "dress")]
BODIES = {"child": [0.5, 0.2, 0.5, 0.5, 0.5, 0.5], "average": [0.5, 0.67, 0.5, 0.5, 0.5, 0.5],
          "heavy": [0.0, 0.7, 0.5, 1.0, 0.5, 0.5], "tall": [1.0, 0.7, 0.5, 0.3, 1.0, 0.5]}
POSES = ("bending_over", "standing", "sitting", "crouching", "sitting_floor_knees_up", "kneeling")


@pytest.fixture(scope="module")
def hung(anny_body):
    """Per key pose x body (t-shirt and jeans or a closed coat in turn): the bag, the sash, the drop
    strap, the body's and cloth's points, the body's vertices, the keypoints and the points' normals."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    body, lib = anny_body, PoseLibrary()
    dresser = Dresser(body)
    out = []
    for b, shape in enumerate(BODIES.values()):
        posed = body.pose(np.repeat(np.array([shape], np.float32), len(POSES), 0),
                          euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in POSES])))
        for k, name in enumerate(POSES):
            v, kp = posed.vertices[k], posed.keypoints[k]
            vn = vertex_normals(v, body.faces.astype(np.int64))
            outfit = {**OUTFITS[("t-shirt and jeans", "closed coat")[(k + b) % 2]],
                      "accessories": [{"type": "bag_strap", "color": "6b4a2f"}]}
            meshes = dresser.dress(outfit, v, vn, kp)
            bag = next(m for m in meshes if m.name == "bag_strap" and m.covered is None)
            sash = next(m for m in meshes if m.part == PART_INDEX["bag"] and m.covered is not None)
            drop = next((m for m in meshes if m.name == "drop_bag_strap"), None)
            cloth = [m for m in meshes if m.part in CLOTH]
            P = np.concatenate([v] + [m.vertices for m in cloth]).astype(np.float64)
            N = np.concatenate([vn] + [m.normals for m in cloth]).astype(np.float64)
            out.append((f"{list(BODIES)[b]}:{name}", bag, sash, drop, P, v, kp, N))
    return out


def _attachment(bag, sash, drop) -> np.ndarray:
    """Where the bag's strap leaves the sash: the drop strap's end away from the bag (its 4 corners
    farthest from the bag's centre), or the sash vertex nearest the bag where there is no drop strap."""
    centre = bag.vertices.mean(0).astype(np.float64)
    if drop is None:
        return sash.vertices[int(np.argmin(cKDTree(_face_samples(bag)).query(sash.vertices)[0]))].astype(np.float64)
    dv = np.unique(drop.vertices.astype(np.float64), axis=0)
    return dv[np.argsort(-np.linalg.norm(dv - centre, axis=1))[:4]].mean(0)


def test_a_shoulder_bag_hangs_below_its_strap(hung):
    """The line from where the strap leaves the sash to the bag's centre is near plumb: a bag hanging
    from its strap pushed out only as far as the body or cloth beside it makes it (about 20 degrees
    standing: half its thickness out of the hip), resting on a seat or the ground sitting. On 5020a86
    (the bag rigid at the hip in the trunk's frame, the strap to the nearest sash point) over these 24:
    median 45 degrees, max 72 (a child crouching); now median 21, max 40 (kneeling and bent over: the
    bag pushed out past the thigh)."""
    angles = []
    for name, bag, sash, drop, *_ in hung:
        d = bag.vertices.mean(0).astype(np.float64) - _attachment(bag, sash, drop)
        angles.append(np.degrees(np.arccos(np.clip(-d[2] / np.linalg.norm(d), -1.0, 1.0))))
    assert np.median(angles) < 30 and max(angles) < 55, dict(zip([h[0] for h in hung], np.round(angles, 1)))


def test_a_hanging_bag_is_joined_to_its_strap_and_out_of_the_body(hung, anny_body):
    """The drop strap meets the sash and the bag (within 8 mm); no point of the bag's faces inside the body
    (winding number about the body mesh) and no body or cloth point inside the bag; the bag touches (within
    2 cm of the body or cloth). On 5020a86 the drop strap missed by 13 mm (a child crouching), nothing
    was inside either way; now joined within 4 mm, nothing inside, touching within 13 mm. The joint is measured
    on 8 sample steps a bag face: with 4 (a tall's 0.21-0.24 m bag: 5-6 cm between samples) the drop strap
    ending on its top face between samples read 10.7 mm (tall bending over, s37-bags2; 1.2 mm with 8)."""
    faces = anny_body.faces.astype(np.int64)
    for name, bag, sash, drop, P, v, *_ in hung:
        s = _face_samples(bag, 4)
        if drop is not None:
            ds = _face_samples(drop)
            joined = cKDTree(_face_samples(bag)).query(ds)[0].min()  # 8 steps a face: 4 left up to 3 cm between points
            assert joined < 0.008 and cKDTree(ds).query(sash.vertices)[0].min() < 0.008, name
        assert (_winding(s, v, faces) < 0.5).all(), name
        lo, hi = bag.vertices.min(0) - 0.01, bag.vertices.max(0) + 0.01
        near = P[np.all((P > lo) & (P < hi), axis=1)]
        assert not len(near) or (_winding(near, bag.vertices, bag.faces) < 0.5).all(), name
        assert cKDTree(P).query(_face_samples(bag))[0].min() < 0.02, name


def test_a_shoulder_bag_faces_outwards(hung):
    """The bag's box is wound outwards (positive signed volume), so it is drawn with its near faces: on
    5020a86 its frame was left-handed, the box inside out (its near faces culled, the inside of its far
    walls drawn)."""
    for name, bag, *_ in hung:
        t = bag.vertices[bag.faces.astype(np.int64)].astype(np.float64)
        assert np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() > 0, name


def _box_axes(bag) -> tuple[np.ndarray, np.ndarray]:
    """(3, 3) a box's unit axes (rows: across, out, up) and (3,) its full sizes, from its faces' centres
    (mesh.box: faces -x, +x, -y, +y, -z, +z, 4 vertices each)."""
    c = bag.vertices.astype(np.float64).reshape(6, 4, 3).mean(1)
    d = np.stack([c[1] - c[0], c[3] - c[2], c[5] - c[4]])
    size = np.linalg.norm(d, axis=1)
    return d / size[:, None], size


def test_a_shoulder_bag_is_sized_to_its_wearer(hung, anny_body):
    """The bag's height over its wearer's standing height (bag_hang.sized: scaled by the arms' and legs'
    length, at most an adult's 18 cm): on d0d7369 every bag was 18 cm tall, 0.161 of the child's 1.12 m and
    0.078-0.098 of the adults'; now 0.100 of the child's (0.078-0.098 of the adults')."""
    lib = PoseLibrary()
    stand = euler_xyz_to_matrix(lib.key_pose("standing")[None])
    height = {b: float(np.ptp(anny_body.pose(np.array([s], np.float32), stand).vertices[0][:, 2])) for b, s in BODIES.items()}
    ratio = {name: _box_axes(bag)[1][2] / height[name.split(":")[0]] for name, bag, *_ in hung}
    assert all(0.07 < r < 0.11 for r in ratio.values()), {k: round(v, 3) for k, v in ratio.items()}


def test_a_hanging_bag_lies_on_what_it_rests_on(hung):
    """The bag turns and lies back to rest its back on the hip, thigh or buttock behind it (bag_hang.lie):
    the angle between its ``out`` axis and the mean normal of the body or cloth nearest the quarter of its
    back that lies nearest them, and the median distance from its back to them, over these 24: on d0d7369
    (an upright box facing one of 8 directions) a median 6.6 degrees and 40 mm; now 4.9 degrees and 33 mm (3.9 and 31 with the
    sash's hip ends moved by ``arc_u``, s37-bags; back to d0d7369's, ``sash.hip_ends``)."""
    lie, gap = [], []
    for name, bag, _sash, _drop, P, _v, _kp, N in hung:
        axes, _ = _box_axes(bag)
        back = bag.vertices[8:12].astype(np.float64)  # face 2: its back
        g = np.linspace(0.0, 1.0, 9)
        u, w = (x.ravel()[:, None] for x in np.meshgrid(g, g))
        d, j = cKDTree(P).query(back[0] + u * (back[1] - back[0]) + w * (back[3] - back[0]))
        n = N[j[d <= np.percentile(d, 25)]].mean(0)
        lie.append(np.degrees(np.arccos(np.clip(n @ axes[1] / np.linalg.norm(n), -1.0, 1.0))))
        gap.append(np.median(d))
    assert np.median(lie) < 5.5 and np.median(gap) < 0.035, (np.median(lie), np.median(gap))


def _arc(dresser) -> tuple[np.ndarray, np.ndarray]:
    """Per sash vertex near its middle line (rest: within 8 mm of it, not a hem's inner edge): its index and
    its place along the band in metres from the top of the shoulder (the rest shell's distance from its hip
    end over each of its two pieces, front negative), measured here independently of dress.sash."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, dijkstra

    from test_bags import _sash_rest_coordinates

    shell, t, _dist, across = _sash_rest_coordinates(dresser)
    rest = np.asarray(shell.blend @ dresser.atlas.rest, np.float64)
    front = np.asarray(shell.blend @ dresser.atlas.normals)[:, 1] < 0
    f = np.asarray(shell.faces, np.int64)
    a, b = f.ravel(), np.roll(f, -1, axis=1).ravel()
    G = len(t)
    graph = coo_matrix((np.linalg.norm(rest[a] - rest[b], axis=1) + 1e-9, (a, b)), shape=(G, G)).tocsr()
    _, label = connected_components(graph, directed=False)
    s = np.zeros(G)
    for c in np.unique(label):
        part = np.flatnonzero(label == c)
        d = dijkstra(graph, directed=False, indices=part[t[part] >= t[part].max() - 0.03], min_only=True)[part]
        s[part] = (d.max() - d) * np.where(front[part].mean() > 0.5, -1.0, 1.0)
    core = np.flatnonzero((shell.twin == np.arange(G)) & (np.abs(across) < 0.008))
    return core, s[core]


def test_a_shoulder_bags_sash_bends_smoothly_over_the_shoulder(hung, anny_body):
    """The sash's middle line over the top of the left shoulder (its vertices near the middle line, averaged in
    2 cm stretches along the rest band, 8 cm either side of the top) turns by at most so much from one
    stretch to the next: on d0d7369 every vertex of the band's last 6 cm over the top of the shoulder
    was put at one place along it (dress.sash's ``u``), a crease across the band, the sharpest turn over
    these 24 a median 44 degrees (max 52, a child crouching); now (``sash.arc_u``) 30 (max 34; 28 and 31 with the hip
    ends moved by ``arc_u``, before ``sash.hip_ends``). A child's coat as loose for its size as an adult's (dress.fit)
    lies 2-3 cm closer round its small shoulder, so the same 2 cm stretches turn more there: a child crouching in a
    closed coat now 42.4 (the median 31.0); the bound on the largest 40 -> 45."""
    from genb.render.dress import Dresser

    core, s = _arc(Dresser(anny_body))
    k = np.floor(s / 0.02).astype(np.int64)
    bins, inv = np.unique(k, return_inverse=True)
    sharpest = []
    for name, _bag, sash, *_ in hung:
        V = sash.vertices.astype(np.float64)[core]
        C = np.stack([np.bincount(inv, V[:, c]) for c in range(3)], 1) / np.bincount(inv)[:, None]
        seg = np.diff(C, axis=0)
        seg /= np.maximum(np.linalg.norm(seg, axis=1, keepdims=True), 1e-9)
        turn = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", seg[:-1], seg[1:]), -1.0, 1.0)))
        sharpest.append(turn[np.abs(bins[1:-1] + 0.5) < 4].max())  # 8 cm (rest) either side of the top
    assert np.median(sharpest) < 35 and max(sharpest) < 45, (np.median(sharpest), sorted(zip(np.round(sharpest, 1).tolist(), [h[0] for h in hung]))[-4:])
