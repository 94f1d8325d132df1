"""A sleeveless top's armholes: a smooth edge lying close to the shoulder and in the armpit in
standing, walking, arms-raised and seated poses, for a child, an average and a heavy body
(not a saw-toothed ruff standing off the shoulder: the cut along the torso's and the arm's
parts' border, its hem strip standing up and into the arm)."""

import numpy as np
import pytest

from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401

POSES = ["standing", "walk_passing", "waving", "pointing", "arms_raised", "sitting"]
SHAPES = np.array([[0.5, 0.2, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.0, 0.7, 0.5, 1.0, 0.5, 0.5]],
                  np.float32)  # child, average, heavy (gender, age, muscle, weight, height, proportions)
THICKNESS, EASE = 0.006, 0.004  # a tank top's


def _loops(faces: np.ndarray, n: int) -> list[np.ndarray]:
    """The boundary loops (vertex ids in order) of a triangle mesh over its first ``n`` vertices."""
    f = faces[(faces < n).all(axis=1)].astype(np.int64)
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    u, c = np.unique(e, axis=0, return_counts=True)
    nxt: dict[int, list[int]] = {}
    for i, j in u[c == 1]:
        nxt.setdefault(int(i), []).append(int(j))
        nxt.setdefault(int(j), []).append(int(i))
    seen, loops = set(), []
    for s in nxt:
        if s in seen:
            continue
        loop, prev, cur = [s], None, s
        seen.add(s)
        while True:
            step = [x for x in nxt[cur] if x != prev and x not in seen]
            if not step:
                break
            prev, cur = cur, step[0]
            loop.append(cur)
            seen.add(cur)
        loops.append(np.array(loop))
    return loops


def _roughness(P: np.ndarray, harmonics: int = 5) -> np.ndarray:
    """(N,) metres each point of a closed loop ``P`` (N, 3) lies off its low-pass (a Fourier series of
    ``harmonics`` terms by arc length): a smooth curve's is a millimetre or less, a staircase's its steps."""
    P = np.asarray(P, np.float64)
    seg = np.linalg.norm(np.roll(P, -1, 0) - P, axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)[:-1]]) / seg.sum() * 2 * np.pi
    k = np.arange(1, harmonics + 1)
    A = np.concatenate([np.ones((len(s), 1)), np.cos(s[:, None] * k), np.sin(s[:, None] * k)], 1)
    coef, *_ = np.linalg.lstsq(A, P, rcond=None)
    return np.linalg.norm(P - A @ coef, axis=1)


@pytest.fixture(scope="module")
def tank(anny_body):
    """The tank top's shell, its two armhole loops and the key poses x (child, average, heavy), posed."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    dresser = Dresser(anny_body)
    shell = dresser.top_shell(-1.0, 0.05, ease=EASE)
    main = int((shell.twin == np.arange(shell.num_vertices)).sum())
    arms = [L for L in _loops(shell.faces, main) if abs(shell.rest[L, 0].mean()) > 0.08]
    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in POSES]))
    posed = [(s, anny_body.pose(np.tile(SHAPES[s], (len(POSES), 1)), rot)) for s in range(len(SHAPES))]
    bodies = [(POSES[k], s, p.vertices[k], vertex_normals(p.vertices[k], np.asarray(anny_body.faces)))
              for s, p in posed for k in range(len(POSES))]
    return shell, arms, bodies


def test_armholes_are_cut_along_a_smooth_line(tank):
    shell, arms, _ = tank
    assert len(arms) == 2  # one each side, each a single closed loop
    for L in arms:
        r = _roughness(shell.rest[L])
        assert r.max() < 0.003, f"the armhole's cut zigzags {1e3 * r.max():.1f} mm off a smooth curve"


def test_armholes_lie_close_to_the_skin_in_every_pose_and_body(tank):
    from genb.render.dress.cover import depth_under_skin
    from genb.render.dress.shells import pose_shell

    shell, arms, bodies = tank
    G = shell.num_vertices
    strip = np.flatnonzero(shell.twin != np.arange(G))  # the hem strip's inner edge
    deep_all = []
    for pose, s, v, n in bodies:
        pv, _ = pose_shell(shell, v, n, THICKNESS, EASE)
        for L in arms:
            off = -depth_under_skin(pv[L], v, n)
            # a binding a few millimetres off the skin (the cloth's thickness and a little), not a ruff
            assert np.median(off) < 0.009 and off.max() < 0.013, \
                f"{pose}, body {s}: the armhole stands {1e3 * np.median(off):.1f} mm (up to {1e3 * off.max():.1f}) off the skin"
            deep_all.append(depth_under_skin(pv[strip[np.isin(shell.twin[strip], L)]], v, n))
    deep = np.concatenate(deep_all)
    # the hem's inner edge turns back to the skin, not into the arm (a heavy seated body's arm presses
    # a couple of millimetres into its own trunk there: the skin itself is inside)
    assert deep.max() < 0.005 and (deep > 0.003).mean() < 0.01, \
        f"the armholes' hems lie up to {1e3 * deep.max():.1f} mm inside the skin ({(deep > 0.003).mean():.1%} over 3 mm)"
