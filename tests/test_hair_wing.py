"""Long hair falls onto the back and the shoulders, not as a flat blade standing off them
(genb.render.dress.hair_locks, genb.render.dress.hair_rest): closeup 390 #1 (a teen in a cap, a hoodie, an open
jacket and a backpack, on the phone: a blonde wing behind her shoulder) and closeup 376 #11 (a seated child in a
cap and a sweater: hair standing out beside both arms and off the back). Child and average bodies standing, on
the phone, sitting and sitting back, in a t-shirt, a sweater with a cap, and a hoodie, jacket, backpack and cap."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from genb.render.raster.meshes import vertex_normals

from _fixtures_bodies import KEY_BODIES, anny_body, key_posed  # noqa: F401
from test_hair_rest import COLOURS, SWEATER, TEE

POSES = ("standing", "phone_call", "sitting", "sitting_relaxed")
BODIES = {k: KEY_BODIES[k] for k in ("child", "average")}
HOODIE = {"type": "hoodie", "kind": "top", "sleeve": 1.9, "length": 1.9, "waist": 0.0, "thickness": 0.0233,
          "ease": 0.0071, "loose": False, "hood": True, "color": "f4f2ee", "pattern": "solid"}  # closeup 390 #1's
JACKET = {"type": "jacket", "kind": "coat", "sleeve": 1.9, "length": 1.9, "waist": -0.1, "thickness": 0.0091,
          "ease": 0.0183, "loose": False, "open": True, "color": "1e1e20", "pattern": "solid"}
CAP = {"type": "cap", "color": "6b6b2f"}
STYLES = (("tee", [TEE], []), ("sweater+cap", [SWEATER], [CAP]),
          ("pack+cap", [HOODIE, JACKET], [{"type": "backpack", "color": "2f5233"}, CAP]))


@pytest.fixture(scope="module")
def lower_standoff(anny_body):
    """Per dressed person (pose, body, style) and panel of the sheet: (P, L) metres each of its P chains' nodes
    below the shoulders' line (the neck's keypoint along the trunk; L nodes 4-8) stand off the nearest skin or
    cloth point (the hair, the cap and the backpack left out), less their half thickness, NaN above that line;
    and (L,) the nodes' spacing across the panel (metres, between neighbouring chains)."""
    from genb.render.dress import Dresser
    from genb.render.dress.atlas import trunk_frame
    from genb.render.dress.hair_locks import NODES

    dresser, faces = Dresser(anny_body), np.asarray(anny_body.faces)
    out = []
    for pose, body, v, kp in key_posed(anny_body, POSES, BODIES):
        n = vertex_normals(v, faces)
        o, R, _ = trunk_frame(kp)
        for style, tops, acc in STYLES:
            for c in COLOURS:
                hair = {"style": "long", "color": c, "hairline": "long", "thickness": 0.015, "shape": "none"}
                garments = dresser.dress({"garments": tops, "hair": hair, "accessories": acc}, v, n, kp)
                mesh = [g for g in garments if g.name == "hair:locks"][0]
                cloth = [g.vertices for g in garments if not g.name.startswith(("hair", "cap")) and "backpack" not in g.name]
                tree = cKDTree(np.concatenate([v] + cloth).astype(np.float64))
                V = mesh.vertices.astype(np.float64)
                for start, p in mesh.panels:
                    rings = V[start:start + NODES * 2 * p].reshape(NODES, 2 * p, 3)[4:]
                    outer, inner = rings[:, :p], rings[:, p:][:, ::-1]
                    mid, half = 0.5 * (outer + inner), 0.5 * np.linalg.norm(outer - inner, axis=2)
                    off = tree.query(mid.reshape(-1, 3))[0].reshape(half.shape) - half
                    off[(mid - o) @ R[:, 2] >= 0.0] = np.nan
                    spacing = np.linalg.norm(np.diff(mid, axis=1), axis=2).sum(axis=1)
                    out.append((pose, body, style, off.T, spacing / max(p - 1, 1)))
    return out


def test_long_hair_below_the_shoulders_stands_off_as_no_blade(lower_standoff):
    """Per panel and node below the shoulders, the width of the panel standing more than 3 cm off the skin or cloth
    (its chains there times their spacing): a blade is over 5 cm of it. On 32b65fb 41 % of 279 such rows were, 13.4 cm
    standing off on average (a backpack's wearer's sheet was not laid on the back at all; under a cap the chains,
    rooted at the ears' height, were pushed out by the side of the head and fell off the shoulders' ends or a seated
    child's back, beyond the 8 cm the rest reached); now 2.7 % of 261, 0.35 cm."""
    rows = []
    for pose, body, style, off, spacing in lower_standoff:
        for k in range(off.shape[1]):
            if np.isfinite(off[:, k]).all():
                rows.append(float((off[:, k] > 0.03).sum() * spacing[k]))
    rows = np.array(rows)
    print("rows", len(rows), "blade share", (rows > 0.05).mean(), "mean off width", rows.mean())
    assert len(rows) > 200
    assert (rows > 0.05).mean() < 0.08, (rows > 0.05).mean()
    assert rows.mean() < 0.015, rows.mean()


@pytest.mark.parametrize("style", [s[0] for s in STYLES])
def test_long_hairs_locks_rest_on_the_back_under_a_cap_and_a_backpack(lower_standoff, style):
    """Each lock's median standoff below the shoulders (as in test_hair_rest), per style: on 32b65fb 73 % of the
    locks under a backpack stood over 3 cm off (median 39 mm), 3.8 % under a cap, 7.4 % in a t-shirt (median 13-14
    mm); now 0 %, 0 % and 0.6 % (median 12-13 mm)."""
    med = np.array([np.nanmedian(c) for pose, body, s, off, _ in lower_standoff if s == style
                    for c in off if np.isfinite(c).any()])
    print(style, len(med), np.median(med), (med > 0.03).mean())
    assert len(med) > 300
    assert np.median(med) < 0.016, np.median(med)
    assert (med > 0.03).mean() < 0.03, (med > 0.03).mean()
