"""Measures of loose garments against the body: limbs through the cloth, cloth inside the body,
how far the cloth stretches. Pure functions over arrays (metres), used by the tests and benches.

The inside of an open surface (a skirt: open at the waist and the hem) is read from its
generalised winding number (the solid angle it subtends over 4 pi): about 1 deep inside a
closed surface, 0 outside, about 0.5 in the plane of an opening. A skirt is closed at the waist
by a fan to the waist ring's centre, so a point well above the hem and inside the cloth scores
near 1, and a knee poking out through the side of a skirt scores near 0.
"""

from __future__ import annotations

import numpy as np


def winding_numbers(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray, chunk: int = 4_000_000) -> np.ndarray:
    """(N,) generalised winding numbers of ``points`` (N, 3) against the triangles ``faces`` (F, 3)
    over ``vertices`` (M, 3) (Van Oosterom and Strackee's solid angle per triangle, summed)."""
    P = np.asarray(points, np.float64)
    T = np.asarray(vertices, np.float64)[np.asarray(faces, np.int64)]  # (F, 3, 3)
    out = np.zeros(len(P))
    step = max(1, chunk // max(len(T), 1))
    for s in range(0, len(P), step):
        d = T[None] - P[s:s + step, None, None]  # (n, F, 3, 3)
        a, b, c = d[:, :, 0], d[:, :, 1], d[:, :, 2]
        la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
        num = np.einsum("nfi,nfi->nf", a, np.cross(b, c))
        den = la * lb * lc + np.einsum("nfi,nfi->nf", a, b) * lc + np.einsum("nfi,nfi->nf", a, c) * lb + \
            np.einsum("nfi,nfi->nf", b, c) * la
        out[s:s + step] = 2.0 * np.arctan2(num, den).sum(axis=1) / (4 * np.pi)
    return out


def capped(vertices: np.ndarray, faces: np.ndarray, ring: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The surface with the boundary loop ``ring`` (K,) vertex ids, in order, closed by a fan to its
    centroid (a skirt closed at the waist), oriented like the faces next to it."""
    v = np.concatenate([vertices, vertices[ring].mean(axis=0, keepdims=True)])
    c = len(vertices)
    fan = np.stack([ring, np.roll(ring, -1), np.full(len(ring), c)], 1)
    # orient the fan against the faces sharing its edges: an edge (a, b) of the surface is (b, a) in the fan
    f = np.asarray(faces, np.int64)
    e = {(int(x), int(y)) for x, y in np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])}
    if (int(ring[0]), int(ring[1])) in e:
        fan = fan[:, [1, 0, 2]]
    return v, np.concatenate([f, fan])


def outside_share(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """(N,) bool: the points whose winding number against the surface is under ``threshold``
    (outside it), whichever way the surface is oriented."""
    w = np.abs(winding_numbers(points, vertices, faces))
    return w < threshold


def crossed(points: np.ndarray, inner: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
            chunk: int = 2_000_000) -> np.ndarray:
    """(N,) bool: the segment from each of ``inner`` (N, 3) to ``points`` (N, 3) meets a triangle
    ``faces`` (F, 3) over ``vertices`` (M, 3). With ``inner`` on a limb's bone and ``points`` its
    skin, that is cloth through the limb, whatever the cloth's openings (a limb that comes out
    between a split coat's panels crosses none)."""
    P, Q = np.asarray(inner, np.float64), np.asarray(points, np.float64)
    T = np.asarray(vertices, np.float64)[np.asarray(faces, np.int64)]
    e1, e2 = T[:, 1] - T[:, 0], T[:, 2] - T[:, 0]
    out = np.zeros(len(P), bool)
    step = max(1, chunk // max(len(T), 1))
    for s in range(0, len(P), step):  # Moeller-Trumbore, the segment's parameter in [0, 1]
        d = (Q - P)[s:s + step, None]  # (n, 1, 3)
        p = np.cross(d, e2[None])
        det = np.einsum("nfj,fj->nf", p, e1)
        ok = np.abs(det) > 1e-15
        inv = 1.0 / np.where(ok, det, 1.0)
        r = P[s:s + step, None] - T[None, :, 0]
        u = np.einsum("nfj,nfj->nf", r, p) * inv
        q = np.cross(r, e1[None])
        v = np.einsum("nfj,nfj->nf", d, q) * inv
        t = np.einsum("nfj,fj->nf", q, e2) * inv
        out[s:s + step] = (ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t >= 0) & (t <= 1)).any(axis=1)
    return out


def depth_under_skin(points: np.ndarray, body_vertices: np.ndarray, body_normals: np.ndarray) -> np.ndarray:
    """(N,) metres each point lies under the skin (> 0: inside the body, by its nearest body
    vertex and that vertex's outward normal; <= 0 outside)."""
    from scipy.spatial import cKDTree

    _, i = cKDTree(body_vertices).query(points)
    return -np.einsum("ij,ij->i", np.asarray(points, np.float64) - body_vertices[i], body_normals[i])
