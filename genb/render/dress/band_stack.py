"""A garment's neckband worn over another's: a coat's or a jacket's band over the top's under it.

The neckline's hug (:func:`~genb.render.dress.armhole.hug_armholes`, :func:`~genb.render.dress.neckline.top_hug`)
keeps each garment's band on its own skin point, a fraction of its (stacked) thickness out. Every layer's band
then lay on the skin at about the same offset along the same line: a coat's hem strip went down to 6 mm off
the neck, under the t-shirt's band at 8 mm, and seen edge-on at the back of a bent neck the two edges
interleaved as a ragged line (tests/test_neckband_stack.py: on 15423f4, 407 of 2292 of the t-shirt's back-neck
edge vertices came out through the jacket or coat along their normals, 794 of 1850 of the coat's neck-edge
vertices lay under the t-shirt). Here an outer garment's band goes on the bands under it instead:
:func:`band_heights` measures how high the bands worn so far stand over the skin, :func:`over_bands` adds
that to the outer band's offset (its own thickness over theirs, up over their edge and down to the neck
above it, :data:`STEP`), and :func:`push_over_bands` moves what is left inside them (where a band leans
over the skin points next to it) out by :data:`BAND_GAP` (:func:`~genb.render.dress.layering.over_loose`,
as a top over a skirt). Only garments with a band under theirs change (a coat over a top or a dress).
"""

from __future__ import annotations

import numpy as np


# metres above the edge of the band under it over which a band comes down from over it to the neck (over_bands)
STEP = 0.01
BAND_GAP = 0.003  # metres a band keeps off the band under it (push_over_bands)


def hug_weight(shell) -> np.ndarray:
    """(G,) in [0, 1] the weight of :func:`~genb.render.dress.armhole.hug_armholes` at each vertex of a
    draped ``shell`` (its ``hug``: 0 off its bands and on an unhugged shell; a hem's inner-edge vertex takes
    its twin's). Not read back from the lift: a top resting on the shoulders (the drape's ``rest_on``) has a
    lower lift there too, and its shoulders are no neckband."""
    G = shell.num_vertices
    if shell.hug is None:
        return np.zeros(G)
    twin = shell.twin if shell.twin is not None else np.arange(G)
    return np.asarray(shell.hug, np.float64)[twin]


def band_heights(vertices: np.ndarray, normals: np.ndarray, layers: list) -> tuple[np.ndarray, float]:
    """The height over the skin (along its normal) of the hugged bands worn so far, from ``layers``
    ((shell, posed vertices, normals), the :class:`~genb.render.dress.kinds.Wearer`'s; their shells proper,
    not their hems' inner edges): (V,) float32 per body vertex the mean, weighted by their blends, of the
    heights of the band vertices that blend from it (the outermost layer's where several cover it; 0 where
    none does), and the height of their tops (the median at hug weight 1, the most over the layers; 0 if none)."""
    H = np.zeros(len(vertices), np.float32)
    top = 0.0
    for shell, v, _ in layers:
        if shell.drape is None:
            continue
        w = hug_weight(shell)
        g = np.flatnonzero((w > 0.0) & (shell.twin == np.arange(shell.num_vertices)))
        if not len(g):
            continue
        B = shell.blend[g]
        n = np.asarray(B @ normals, np.float32)
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
        h = np.einsum("ij,ij->i", v[g] - np.asarray(B @ vertices, np.float32), n)
        s = np.asarray(B.sum(axis=0)).ravel()
        on = s > 1e-6
        H[on] = (np.asarray(B.T @ h.astype(np.float64)).ravel()[on] / s[on]).astype(np.float32)
        full = w[g] > 0.99
        top = max(top, float(np.median(h[full])) if full.any() else 0.0)
    return H, top


def over_bands(shell, heights: np.ndarray, top: float, above: np.ndarray, below: float = 0.0) -> np.ndarray | None:
    """(G,) metres to add to a hugged ``shell``'s offset (its ``extra``) so its bands lie on the bands worn
    under it, not on the skin at the same offset: at hug weight w, w times the height of those bands under
    it (``heights`` (V,) and ``top``, :func:`band_heights`), less w times ``below`` (metres of the garment's
    stacked thickness that counts the layers under it: a coat's, whose band then has its own thickness over
    theirs) times its lift. ``above``: (V,) metres each body vertex lies above the neckline under it
    (:func:`~genb.render.dress.neckline.neckline_distance` at that garment's collar): there the height is ``top``, fading to 0 over
    :data:`STEP` (the band goes on over their edge and down to the neck). None where no band is under it."""
    if top <= 0.0:
        return None
    w = hug_weight(shell)
    g = np.flatnonzero(w > 0.0)
    if not len(g):
        return None
    B = shell.blend[g]
    t = np.clip(1.0 - np.asarray(B @ above, np.float64) / STEP, 0.0, 1.0)
    under = np.maximum(np.asarray(B @ np.where(above <= 0.0, heights, 0.0), np.float64), top * t * t * (3.0 - 2.0 * t))
    add = np.zeros(shell.num_vertices)
    add[g] = w[g] * (under - below * np.asarray(shell.lift, np.float64)[g])
    return add


def push_over_bands(vertices: np.ndarray, faces: np.ndarray, weight: np.ndarray, layers: list) -> np.ndarray | None:
    """(G, 3) float32 posed ``vertices`` of a hugged garment with its band's vertices (``weight`` > 0) moved out
    of the band surfaces of ``layers`` under it plus :data:`BAND_GAP`, or None where none lies inside one."""
    from genb.render.dress.layering import loose_surface, over_loose, smooth_push
    from genb.render.dress.mesh import mesh_normals

    surfaces = []
    for shell, v, _ in layers:
        if shell.drape is None:
            continue
        w = hug_weight(shell)
        main = shell.twin == np.arange(shell.num_vertices)
        g = np.flatnonzero((w > 0.0) & main)
        if not len(g):
            continue
        inband = np.zeros(shell.num_vertices, bool)
        inband[g] = True
        f = shell.faces[inband[shell.faces].any(axis=1)]  # the band's faces (all its vertices' own), on their vertices
        used, local = np.unique(f, return_inverse=True)
        N = mesh_normals(v[used], local.reshape(-1, 3))[np.searchsorted(used, g)]
        edge = np.zeros(shell.num_vertices, bool)
        edge[shell.twin[~main]] = True
        surfaces.append(loose_surface(v[g], N, np.flatnonzero(edge[g] & (w[g] > 0.99))))
    band = np.flatnonzero(weight > 0.0)
    if not surfaces or not len(band):
        return None
    moved = over_loose(vertices[band], surfaces, BAND_GAP, rounds=1)
    if moved is None:
        return None
    D = np.zeros_like(vertices, dtype=np.float32)
    D[band] = moved - vertices[band]
    near = np.zeros(len(vertices), bool)
    near[band] = True
    return vertices + smooth_push(D, faces[near[faces].any(axis=1)], spread=1, rounds=0)  # (a push reaches its band's neighbours)
