"""A hoodie's and a sweater's rib bands (genb.render.dress.rib_bands): the waistband and the cuffs gathered in
under the cloth bloused above them, out of the trousers worn under them, and their ribs drawn per pixel
(ccda6a9: the shell stood off the skin by the same offset right down to its hem, a plain cut edge).

Measured over the key bodies (child, average, heavy, tall) standing, walking, seated and with the arms raised
(/tmp/ribbands/measure.py in session 38): the median offset off the skin (each shell vertex against its own
skin point) of the cloth 7-11 cm above the hem less the band's 1-4.5 cm above it, hoodie (sweater alike):
trunk 0.3-4.0 mm (median 0.7) on ccda6a9 -> 13.6-16.4 mm (median 15.3); cuffs -0.1-1.7 mm (median 0.5) ->
11.6-13.1 mm (median 12.3)."""

import numpy as np
import pytest

from _fixtures_bodies import KEY_BODIES, key_posed
from test_hood import HOODIE, TROUSERS, dresser  # noqa: F401 (dresser: a pytest fixture)
from test_seams import _flat


def _up_from_hem(dresser, shell, top):
    """(G,) metres up the cloth from the hem (the trunk's or the sleeve's cut) and (G,) bool on a sleeve."""
    from genb.core.conventions import BODY25_INDEX as K

    a = dresser.atlas
    kp = a.keypoints
    trunk = kp[K["neck"], 2] - kp[K["mid_hip"], 2]
    fore = 0.5 * sum(np.linalg.norm(kp[K[f"{s}_wrist"]] - kp[K[f"{s}_elbow"]]) for s in ("left", "right"))
    on_arm = np.asarray(shell.blend @ dresser.is_arm.astype(np.float64)).ravel() > 0.5
    up = np.where(on_arm, (top["sleeve"] - np.asarray(shell.blend @ np.nan_to_num(a.arm)).ravel()) * fore,
                  (np.asarray(shell.blend @ a.torso).ravel() - top["waist"]) * trunk)
    return up, on_arm


@pytest.mark.parametrize("pose", ["standing", "sitting"])
def test_the_bands_are_gathered_under_the_bloused_cloth_and_out_of_the_trousers(dresser, anny_body, pose):
    from scipy.spatial import cKDTree

    from genb.render.raster.meshes import vertex_normals

    for _, name, v, kp in key_posed(anny_body, [pose], KEY_BODIES):
        n = vertex_normals(v, anny_body.faces.astype(np.int64))
        outfit = {"garments": [HOODIE, TROUSERS], "shoes": {"type": "barefoot"}, "hair": None, "facial_hair": None,
                  "accessories": []}
        top, trousers = dresser.dress(outfit, v, n, kp)[:2]
        shell = next(s for k, s in dresser._shells.items() if k[0] == "top" and s.num_vertices == len(top.vertices))
        up, on_arm = _up_from_hem(dresser, shell, HOODIE)
        own = shell.twin == np.arange(shell.num_vertices)
        off = np.linalg.norm(top.vertices - np.asarray(shell.blend @ v.astype(np.float64)), axis=1)
        # seated, the back's hem hangs from the buttocks with the cloth above it (dress.curtain, since s38-backlobe:
        # the child's trunk step 6.3 mm all round): there the step is measured off the back (+Y in the key poses)
        free = np.ones(len(own), bool) if pose == "standing" else np.asarray(shell.blend @ n).reshape(-1, 3)[:, 1] < 0.5
        for arm, least in ((False, 0.011), (True, 0.010)):  # ccda6a9: trunk 0.3-4.0 mm, cuffs -0.1-1.7 mm
            band = own & free & (on_arm == arm) & (up > 0.01) & (up < 0.045)
            above = own & free & (on_arm == arm) & (up > 0.07) & (up < 0.11)
            step = np.median(off[above]) - np.median(off[band])
            assert step > least, (pose, name, arm, step)  # 13.6-16.4 mm trunk (seated, off the back: 12.1-16.1), 11.6-13.1 mm cuffs
        if pose == "standing":  # the waistband kept out of the trousers (seated, the lap's folds: as before)
            band = own & ~on_arm & (up < 0.06)
            d, i = cKDTree(trousers.vertices).query(top.vertices[band])
            clear = np.einsum("ij,ij->i", top.vertices[band] - trousers.vertices[i], trousers.normals[i])
            assert clear[d < 0.02].min() > 0.0, (name, clear.min())  # 3.0-4.0 mm (ccda6a9: 8.6-11.3 mm)


def test_the_band_step_is_lit_as_one():
    """The normals turn with the offset's change: a strip whose offset steps by 1 cm over 1 cm tilts by
    45 degrees on the step, not at all away from it."""
    from genb.render.dress.rib_bands import tilt_normals

    x, y = np.meshgrid(np.linspace(0, 0.1, 21), np.linspace(0, 0.1, 21))
    P = np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], 1).astype(np.float32)
    q = np.arange(20 * 20).reshape(20, 20)
    q = (q // 20) * 21 + q % 20
    faces = np.concatenate([np.stack([q, q + 1, q + 22], -1).reshape(-1, 3), np.stack([q, q + 22, q + 21], -1).reshape(-1, 3)])
    N = np.tile(np.float32([0, 0, 1]), (len(P), 1))
    delta = np.clip((P[:, 1] - 0.045) / 0.01, 0.0, 1.0) * 0.01
    P[:, 2] += delta
    out = tilt_normals(P, N, faces.astype(np.uint32), delta, None)
    mid = np.abs(P[:, 1] - 0.05) < 1e-4
    assert np.allclose(np.degrees(np.arccos(out[mid, 2])), 45.0, atol=1.0)
    far = np.abs(P[:, 1] - 0.05) > 0.011
    assert (out[far] == N[far]).all()


def test_ribs_are_drawn_on_the_bands_and_fade_out_with_the_footprint():
    """Per pixel on a sweater's trunk chart: fine ribs on the band (the slope varying across them, the grooves
    darker), none above its top, and a plain t-shirt's hem where a t-shirt has its hem; the ribs gone once a
    pixel spans one (a sinc cut at its first zero)."""
    from genb.render.dress import seam_canvas

    R, lo, hi = 0.117, -0.03, 0.5433
    lay = np.full((6, 3), np.nan, np.float32)
    lay[0] = (R, lo, hi)
    u = -np.pi * R / 2 + np.linspace(-0.05, 0.05, 201)  # the back, short of the side seams
    v = np.linspace(lo, lo + 0.12, 121)
    top = {"kind": "top", "type": "sweater", "color": "bcbcbc", "pattern": "solid", "sleeve": 1.9}
    dark, slope = _flat(top, lay, 0, u, v)
    _, V = np.meshgrid(u, v)
    band = (V > lo + 0.005) & (V < lo + 0.05)
    assert slope[band].std() > 0.05 and dark[band].min() < 0.9  # up to 0.42 (23 deg) at 1.5 mm per pixel
    clear = (V > lo + 0.075)
    assert slope[clear].max() == 0.0
    _, tee = _flat({**top, "type": "t-shirt"}, lay, 0, u, v)
    rows = ((V > lo + 0.035) & (V < lo + 0.05)).any(axis=1)  # above a t-shirt's hem (its edge 2.6 cm up), on the band
    assert slope[rows].std(axis=1).min() > 0.05 and tee[rows].max() < 1e-9
    c = seam_canvas.Canvas(np.full(4, seam_canvas.RIB_PERIOD, np.float32))
    c.ribs(np.arange(4), np.float32([0.0, 0.001, 0.002, 0.003]), np.full(4, 0.02, np.float32))
    assert np.abs(c.su).max() < 1e-6 and (c.dark > 0.999).all()
