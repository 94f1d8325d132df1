"""A backpack's shoulder straps lie on top of what the wearer wears (dress/straps.py): no stretch of a
strap under the top, hoodie, jacket or coat it lies on, in the folded and reaching key poses."""

import numpy as np
import pytest

from genb.core.conventions import PART_INDEX

from _fixtures_bodies import anny_body, key_posed  # noqa: F401

FABRIC = {"palette": "neutrals", "pattern": "solid", "color": "f4f2ee"}
HOODIE = {"type": "hoodie", "kind": "top", "hood": True, "sleeve": 1.9, "length": 1.9, "waist": -0.1, "thickness": 0.0258,
          "ease": 0.0119, "loose": False, **FABRIC}  # closeup seed 380 sample 1's
TROUSERS = {"type": "trousers", "kind": "bottom", "length": 1.9, "waist": 0.3, "thickness": 0.014, "flare": 0.03,
            "loose": False, **FABRIC, "color": "1e1e20"}
UNDER = [PART_INDEX[p] for p in ("upper_clothes", "coat", "dress")]  # what a strap lies on (not a skirt or coat tail)


def under_cloth(points: np.ndarray, out: np.ndarray, meshes: list, reach: float = 0.08) -> np.ndarray:
    """(N,) bool: the first face of ``meshes`` that the ray from each of ``points`` (N, 3) along ``out`` (N, 3)
    meets within ``reach`` metres is met from behind (its vertex normals point along the ray): the point lies
    under that cloth (a sleeve held in front of it is met from the front). Möller-Trumbore against the faces
    near the points."""
    P = np.asarray(points, np.float64)
    D = out / np.linalg.norm(out, axis=1, keepdims=True)
    lo, hi = P.min(0) - reach, P.max(0) + reach
    first, behind = np.full(len(P), np.inf), np.zeros(len(P), bool)
    for m in meshes:
        tri = m.vertices[m.faces].astype(np.float64)
        keep = np.all((tri.max(1) > lo) & (tri.min(1) < hi), axis=1)
        tri, normal = tri[keep], m.normals[m.faces[keep]].astype(np.float64).mean(1)
        e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
        for s in range(0, len(P), 32):
            d = D[s:s + 32, None]
            h = np.cross(d, e2[None])
            inv = 1.0 / np.where(np.abs(a := np.einsum("fc,rfc->rf", e1, h)) > 1e-12, a, np.inf)
            w = P[s:s + 32, None] - tri[None, :, 0]
            u = inv * np.einsum("rfc,rfc->rf", w, h)
            q = np.cross(w, e1[None])
            v = inv * np.einsum("rfc,rfc->rf", np.broadcast_to(d, q.shape), q)
            t = inv * np.einsum("fc,rfc->rf", e2, q)
            t = np.where((u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0) & (t < reach), t, np.inf)
            k = np.argmin(t, 1)
            tk = t[np.arange(len(k)), k]
            nearer = tk < first[s:s + 32]
            first[s:s + 32] = np.where(nearer, tk, first[s:s + 32])
            back = np.einsum("rc,rc->r", D[s:s + 32], normal[k]) > 0
            behind[s:s + 32] = np.where(nearer, back, behind[s:s + 32])
    return behind


def strap_samples(m) -> tuple[np.ndarray, np.ndarray]:
    """A strap's outer face (its two edges and its middle line, each step) and the way out there: (3 S, 3) each
    (``pieces.pillow``: the inner grid's vertices first, then the outer's, (2, S) each)."""
    n = len(m.vertices) // 2
    inner, outer = (m.vertices[a:b].astype(np.float64).reshape(2, -1, 3) for a, b in ((0, n), (n, 2 * n)))
    inner, outer = (np.concatenate([g, g.mean(0)[None]]).reshape(-1, 3) for g in (inner, outer))
    return outer, outer - inner


@pytest.fixture(scope="module")
def strapped(anny_body):
    """Crouching, bending over and reaching up x child, average, heavy, tall, in a hoodie and trousers with a
    backpack: per strap (pose, body, the share of its samples under the cloth it lies on)."""
    from genb.render.dress import Dresser
    from genb.render.raster.meshes import vertex_normals

    dresser, out = Dresser(anny_body), []
    for pose, body, v, kp in key_posed(anny_body, ["crouching", "bending_over", "reaching_up"]):
        n = vertex_normals(v, anny_body.faces.astype(np.int64))
        outfit = {"garments": [HOODIE, TROUSERS], "shoes": {"type": "barefoot"}, "facial_hair": None,
                  "hair": {"style": "short", "color": "2e2119", "hairline": "short", "thickness": 0.012, "shape": "none"},
                  "accessories": [{"type": "backpack", "color": "c9a227"}]}
        meshes = dresser.dress(outfit, v, n, kp)
        under = [m for m in meshes if m.part in UNDER and not m.name.endswith(":skirt")]
        out += [(pose, body, float(under_cloth(*strap_samples(m), under).mean())) for m in meshes if m.name == "strap_backpack"]
    return out


def test_backpack_straps_lie_over_the_cloth_along_their_length(strapped):
    """The share of strap samples (edges and middle line, outer face) under the hoodie they lie on, over these 24
    straps: on ccda6a9 0.028 (up to 0.067 in one: the envelope fell to the skin in cones no cloth vertex fell
    in, and the band sank into the cloth there; closeup seed 380 sample 1, a strap cut in two across a hoodie's
    chest), now 0.0003 (at most 0.008: one sample of a child's strap reaching up)."""
    shares = np.array([s for _, _, s in strapped])
    assert len(shares) == 24
    assert shares.mean() < 0.005, shares.mean()
    assert shares.max() < 0.03, max(strapped, key=lambda r: r[2])
