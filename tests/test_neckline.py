"""A top's neckline: a smooth crew neck at the base of the neck, lying close to the skin in standing,
walking, arms-raised and seated poses, for a child, an average and a heavy body (not the cut along the
head's and the torso's parts' border and the collar plane over the shoulders: a zigzag of several
millimetres whose hem strip stands off the neck as striped flecks)."""

import numpy as np
import pytest

from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

from _fixtures_bodies import anny_body  # noqa: F401
from test_armhole import SHAPES, _loops, _roughness

POSES = ["standing", "walk_passing", "arms_raised", "sitting"]
# (sleeve, waist, thickness, ease) of a tank top and a t-shirt
TOPS = {"tank_top": (-1.0, 0.05, 0.006, 0.004), "t_shirt": (0.5, 0.0, 0.009, 0.008)}


def _neck_loop(shell) -> np.ndarray:
    """The shell's neckline: its open loop (over the shell proper, not the hem strip) highest up the middle."""
    main = int((shell.twin == np.arange(shell.num_vertices)).sum())
    loops = _loops(shell.faces, main)
    return max(loops, key=lambda L: shell.rest[L, 2].mean() - 5.0 * np.abs(shell.rest[L, 0]).mean())


@pytest.fixture(scope="module")
def tops(anny_body):
    """The tops' shells and neck loops, and the key poses x (child, average, heavy), posed."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    dresser = Dresser(anny_body)
    shells = {}
    for name, (sleeve, waist, _, ease) in TOPS.items():
        shell = dresser.top_shell(sleeve, waist, ease=ease)
        shells[name] = (shell, _neck_loop(shell))
    lib = PoseLibrary()
    rot = euler_xyz_to_matrix(np.stack([lib.key_pose(n) for n in POSES]))
    faces = np.asarray(anny_body.faces)
    bodies = []
    for s in range(len(SHAPES)):
        p = anny_body.pose(np.tile(SHAPES[s], (len(POSES), 1)), rot)
        bodies += [(POSES[k], s, p.vertices[k], vertex_normals(p.vertices[k], faces)) for k in range(len(POSES))]
    return dresser, shells, bodies


def test_the_neckline_is_a_smooth_crew_neck_lower_in_front(tops):
    from genb.core.conventions import BODY25_INDEX as K25

    dresser, shells, _ = tops
    neck = dresser.atlas.keypoints[K25["neck"]]
    for name, (shell, L) in shells.items():
        P = shell.rest[L]
        r = _roughness(P)
        assert r.max() < 0.003, f"{name}: the neckline zigzags {1e3 * r.max():.1f} mm off a smooth curve"
        # round about the neck's axis, a little lower at the front (the throat) than at the back
        mid = np.abs(P[:, 0] - neck[0]) < 0.02
        front, back = P[mid & (P[:, 1] < neck[1]), 2].mean() - neck[2], P[mid & (P[:, 1] > neck[1]), 2].mean() - neck[2]
        assert 0.01 < back - front < 0.06, f"{name}: front {front:+.3f} m, back {back:+.3f} m over the neck keypoint"
        assert 0.0 < front < 0.045 and back < 0.08, (front, back)  # at the neck's base, not up it
        side = np.abs(P[:, 1] - neck[1]) < 0.02
        assert np.abs(P[side, 0] - neck[0]).max() < 0.09  # round the neck, not out on the shoulders


def test_the_neckline_lies_close_to_the_skin_in_every_pose_and_body(tops):
    from genb.render.dress.cover import depth_under_skin
    from genb.render.dress.shells import pose_shell

    _, shells, bodies = tops
    for name, (shell, L) in shells.items():
        _, _, thickness, ease = TOPS[name]
        G = shell.num_vertices
        strip = np.flatnonzero(shell.twin != np.arange(G))
        strip = strip[np.isin(shell.twin[strip], L)]  # the neck hem's inner edge
        for pose, s, v, n in bodies:
            pv, _ = pose_shell(shell, v, n, thickness, ease)
            off = -depth_under_skin(pv[L], v, n)
            # a neckband about half the cloth's thickness off the skin, not a strip standing off the neck
            assert np.median(off) < 0.5 * thickness + 0.004 and off.max() < thickness + 0.006, \
                f"{name}, {pose}, body {s}: the neckline stands {1e3 * np.median(off):.1f} mm (up to {1e3 * off.max():.1f}) off the skin"
            assert off.min() > 0.0, f"{name}, {pose}, body {s}: the neckline dips {-1e3 * off.min():.1f} mm into the neck"
            deep = depth_under_skin(pv[strip], v, n)
            assert deep.max() < 0.004, f"{name}, {pose}, body {s}: the neck hem lies {1e3 * deep.max():.1f} mm inside the skin"


def test_a_garments_collar_moves_its_neckline(tops):
    dresser, shells, _ = tops
    sleeve, waist, _, ease = TOPS["t_shirt"]
    shell, L = shells["t_shirt"]
    high = dresser.top_shell(sleeve, waist, collar=1.2, ease=ease)
    H = _neck_loop(high)
    kp = dresser.atlas.keypoints
    step = 0.1 * (kp[1, 2] - kp[8, 2])  # BODY25 1 neck, 8 mid-hip: a tenth of the trunk
    rise = np.median(high.rest[H, 2]) - np.median(shell.rest[L, 2])
    assert 0.5 * step < rise < 1.5 * step, (rise, step)
    assert _roughness(high.rest[H]).max() < 0.005  # up the neck, nearer the jaw: a little less even


def test_a_patterned_tops_neckline_hugs_the_neck_as_a_plain_ones_does(anny_body):
    """A subdivided shell (a fine pattern in a close-up) takes its coarse shell's hugged band: the edging's
    lift (about half the cloth's thickness at the edge) carries over, not 1.0 (before: 1.0 everywhere)."""
    from genb.render.dress import Dresser

    dresser = Dresser(anny_body)
    lifts = []
    for fine in (False, True):
        shell = dresser.top_shell(0.5, 0.0, fine=fine)
        main = shell.twin == np.arange(shell.num_vertices) if shell.twin is not None else slice(None)
        lifts.append(float(np.min(shell.lift[main])))
    assert lifts[0] < 0.6 and abs(lifts[1] - lifts[0]) < 0.05, lifts
