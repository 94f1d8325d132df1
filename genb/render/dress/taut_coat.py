"""A jacket's back laid over the top under it on a person leaning forward: no sack over the back.

A jacket's tight shell stands off the skin by its stacked thickness (the tops' under it and its own) and its ease
(a denim jacket over a sweater: 58 mm). Leaning forward (kneeling, crouching, seated) the back lengthens and its
cloth is pulled against what it covers, while the shell kept its whole offset round the rounded back and the
buttocks: seen from behind a big round sack, its hem away from the body. Where a top under it pulls taut
(:mod:`~genb.render.dress.taut_back`) the jacket kept its offset over the skin: 3-4 cm over the taut top.

By :func:`~genb.render.dress.taut_back.taut`'s share (the trunk leaning forward, not upright) over its back
(:func:`~genb.render.dress.taut_back.back_weight`: below the shoulder blades, not the sleeves), a jacket's shell
(a coat kind without a tail, ``garments._upper``)

* comes in to its own thickness and :data:`~genb.render.dress.taut_back.KEEP_EASE` of its ease over the skin
  (:func:`pull`: the offset's change along the normals, (G,) metres, <= 0);
* then, once posed, goes back out over the cloth dressed under it (tops, trousers, dresses; their hem strips left
  out) to lie its own thickness and that share of its ease over it, by no more than it came in (:func:`clear`:
  never further out than before, so outside the top as before), its normals tilted by the offset's change.

A coat with a tail is left as it was (its tail, a separate loose mesh, hangs from the shell's hem ring,
:mod:`~genb.render.dress.coat_join`; with the shell's back pulled in, a child's crouching coat tail hung 7-8 cm
inside the outline of the cloth above it, ``tests/test_coat_fall.py``). Upright or leaning less than
:data:`~genb.render.dress.taut_back.LEAN_FROM`, nothing changes (the same bytes). Measured
(``tests/test_taut_coat.py``: crouching, on one knee leaning forward, sitting leaning forward x average and heavy
bodies; the jacket's back below the shoulder blades off the top, the trousers or the skin, 90th percentile): an
open denim jacket over a sweater 31.0-40.0 mm before, 19.7-26.4 now; a closed jacket over a shirt 38.0-57.3 ->
26.6-38.3 (the curtain and the seat's tent, after, move it out again in places).

Functions over arrays (world frame, metres); the back's weights per shell built once (``cache``).
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress import taut_back

REACH = 0.05  # metres: how far from a coat's vertex the cloth under it is looked for
UNDER = (PART_INDEX["upper_clothes"], PART_INDEX["lower_clothes"], PART_INDEX["dress"])  # what a coat lies over


def pull(shell, atlas, is_arm: np.ndarray, s: float, own: float, thickness: np.ndarray, slack: np.ndarray | None,
         e: float, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A coat's thickness (G,) per shell vertex (its stacked ``thickness`` (G,) brought towards its ``own`` by ``s``,
    :func:`~genb.render.dress.taut_back.taut`'s share, times the back's weight), the share of its ease ``e`` it
    keeps (G,) (``slack``'s, None: all, down to :data:`~genb.render.dress.taut_back.KEEP_EASE` of it), and (G,) the
    offset's change along the normals, metres (<= 0; 0 off the back). ``own``, ``e``: metres."""
    w, _ = taut_back.back_weight(shell, atlas, is_arm, cache)
    k = s * w
    s0 = np.ones(shell.num_vertices) if slack is None else np.asarray(slack, np.float64)
    t0 = np.asarray(thickness, np.float64) * np.ones(shell.num_vertices)
    t1 = t0 - k * np.maximum(t0 - own, 0.0)
    s1 = s0 * (1.0 - k * (1.0 - taut_back.KEEP_EASE))
    scale = shell.drape.ease_scale if shell.drape is not None else 1.0
    return t1, s1, (t1 - t0) * shell.lift + e * (s1 - s0) * scale


def clear(mesh, shell, delta: np.ndarray, under: list, gap: float, cache: dict) -> None:
    """A posed coat's ``mesh`` whose back came in by ``delta`` (G,) (:func:`pull`), in place: each vertex that came
    in moved back out along its normal to ``gap`` metres over the cloth ``under`` it (meshes: a
    :class:`~genb.render.dress.mesh.GarmentMesh` each, their hem strips left out; over the tangent plane of the
    nearest of their vertices within :data:`REACH`), by no more than it came in; then its normals tilted by the
    offset's change that is left (:func:`~genb.render.dress.rib_bands.tilt_normals`)."""
    from scipy.spatial import cKDTree

    from genb.render.dress.rib_bands import tilt_normals, tilt_region

    ids = np.flatnonzero(delta < 0.0)
    if not len(ids):
        return
    X = mesh.vertices[ids].astype(np.float64)
    lo, hi = X.min(axis=0) - REACH, X.max(axis=0) + REACH
    push = np.zeros(len(ids))
    for u in under:
        keep = ~u.hem if u.hem is not None else np.ones(len(u.vertices), bool)
        P, N = u.vertices[keep].astype(np.float64), u.normals[keep].astype(np.float64)
        near = np.flatnonzero(((P >= lo) & (P <= hi)).all(axis=1))
        if not len(near):
            continue
        d, i = cKDTree(P[near]).query(X, distance_upper_bound=REACH)
        ok = np.flatnonzero(np.isfinite(d))
        j = near[i[ok]]
        out = np.einsum("ij,ij->i", X[ok] - P[j], N[j])  # metres out of its tangent plane
        push[ok] = np.maximum(push[ok], gap - out)
    push = np.clip(push, 0.0, -delta[ids])
    V = mesh.vertices.astype(np.float64)
    V[ids] += push[:, None] * mesh.normals[ids].astype(np.float64)
    mesh.vertices = V.astype(np.float32)
    left = delta.copy()
    left[ids] += push
    key = ("taut coat region", id(shell))
    if key not in cache:  # the back's weights are the same for every pose of a shell: so is where it moves
        cache[key] = tilt_region(shell.faces, delta < 0.0, shell.twin)
    mesh.normals = tilt_normals(mesh.vertices, mesh.normals, shell.faces, left, shell.twin, cache[key])


def under(out: list) -> list:
    """The meshes dressed so far that a coat lies over (:data:`UNDER`: tops, trousers, dresses)."""
    return [u for u in out if u.part in UNDER]


__all__ = ["REACH", "UNDER", "clear", "pull", "under"]
