"""A top's openings (neckline, armholes) posed as smooth curves, not the saw-tooth of its drape.

The cut itself is smooth (:mod:`~genb.render.dress.neckline`, :mod:`~genb.render.dress.armhole`: at rest the
loops lie within about a millimetre of a smooth curve), but posed, each edge vertex hangs from its own skin
point along the skin's normal while the cloth next to it hangs from the smoothed drape, and the two blend by
the hug weight: neighbouring edge vertices, 1-2 cm apart, land a few millimetres apart across the edge (the
skin's facets, the throat's eased anchor, the bust's and the shoulder's smoothing). Seen close, the neckline
and the armholes were a ragged line against the skin: a square neckline with notches at its corners, stairs
under the arm, a coat's neck a wavy line (tests/test_opening.py: on 5020a86 a posed loop's turning was 1.67 times its
2 cm low-pass's, the median over the tank top's, t-shirt's, shirt's and coat's openings, 3.39 at worst; now 1.04 and 1.26).

:func:`opening_loops` finds, once per shell, its open loops through the hugged band (the neckline, the
armholes; an open coat's front opening and hem take no part: weighted by the hug) and the hem strip's
vertices hanging from them; :func:`smooth_openings` smooths the posed loops along themselves (a Gaussian
along the arc length, twiced so that it keeps the loop's size: a plain average would draw the neckline in
towards the neck; and no vertex moved in towards the skin deeper than its neighbours stood: the edges move
5 mm in the median, 13 mm at most, none deeper under the skin than before) and the hem strip's inner edge along each likewise. Only
the edges move.
Pure functions; the loops are cached on the shell's blend matrix.
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.band_stack import hug_weight
from genb.render.dress.edges import unique_rows

REACH = 2  # edge vertices either side whose height over the skin bounds how far in a vertex may move (_floor)
SIGMA = 0.025  # metres along the loop: the low-pass's width, twiced (the zigzag over 1-5 cm goes, the neckline's dip over 20 cm stays)
MIN_HUG = 0.5  # a loop takes part when it holds a vertex this hugged (the neckline, an armhole)


def _border_loops(faces: np.ndarray, main: np.ndarray) -> list[np.ndarray]:
    """The closed loops (vertex ids in order) of the open border of the faces over ``main`` vertices only."""
    f = faces[main[faces].all(axis=1)].astype(np.int64)
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    u, c = unique_rows(e, return_counts=True)
    b = u[c == 1]
    nbr: dict[int, list[int]] = {}
    for i, j in b.tolist():
        nbr.setdefault(i, []).append(j)
        nbr.setdefault(j, []).append(i)
    seen: set[int] = set()
    loops = []
    for s in sorted(nbr):
        if s in seen or len(nbr[s]) != 2:
            continue
        loop, prev, cur = [s], -1, s
        seen.add(s)
        while True:
            step = [x for x in nbr[cur] if x != prev]
            if len(nbr[cur]) != 2 or not step or step[0] == s:
                break
            prev, cur = cur, step[0]
            if cur in seen:
                break
            loop.append(cur)
            seen.add(cur)
        if len(loop) >= 8 and s in nbr[loop[-1]]:  # closed (a vertex where the border pinches is left alone)
            loops.append(np.array(loop, np.int64))
    return loops


def opening_loops(shell) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, object]]:
    """Per hugged open loop of ``shell``: (loop (K,) shell vertex ids in order, its hug weights (K,), the hem
    strip's inner-edge vertex ids (K,) in the same order, each hanging from the loop's vertex at its place, and
    the loop's rows of the blend (K, V) sparse: its skin points). Cached on
    the shell's blend (a copy of a cached shell with another ``extra`` shares it); [] for a shell without a hug."""
    got = getattr(shell.blend, "_genb_openings", None)
    if got is not None and got[0] is shell.faces:
        return got[1]
    out = []
    if shell.hug is not None and shell.twin is not None:
        G = shell.num_vertices
        main = shell.twin == np.arange(G)
        w = hug_weight(shell)
        strip = np.flatnonzero(~main)
        for loop in _border_loops(np.asarray(shell.faces), main):
            if w[loop].max() < MIN_HUG:
                continue
            at = np.full(G, -1, np.int64)
            at[loop] = np.arange(len(loop))
            s = strip[at[shell.twin[strip]] >= 0]
            s = s[np.argsort(at[shell.twin[s]], kind="stable")]
            if np.array_equal(at[shell.twin[s]], np.arange(len(loop))):  # one inner-edge vertex per edge vertex
                out.append((loop, w[loop], s, shell.blend[loop].tocsr().astype(np.float32)))
    try:
        shell.blend._genb_openings = (shell.faces, out)
    except AttributeError:  # (a blend that takes no attributes: computed per call)
        pass
    return out


def loop_weights(P: np.ndarray, sigma: float | None = None) -> np.ndarray:
    """(K, K) float64 the row-normalised weights of a Gaussian of ``sigma`` metres (:data:`SIGMA`) along the arc
    length of the closed polyline ``P`` (K, 3), each point weighted by the length it stands for."""
    sigma = SIGMA if sigma is None else sigma
    P = np.asarray(P, np.float64)
    seg = np.sqrt(((np.roll(P, -1, 0) - P) ** 2).sum(1))
    s, L = np.concatenate([[0.0], np.cumsum(seg)[:-1]]), float(seg.sum())
    d = (s[:, None] - s[None, :] + 0.5 * L) % max(L, 1e-12) - 0.5 * L
    w = np.exp(-0.5 * (d / sigma) ** 2) * (0.5 * (seg + np.roll(seg, 1)))[None, :]
    return w / w.sum(1, keepdims=True)


def smooth_loop(P: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """(K, 3) float64 a closed polyline ``P`` (K, 3) low-passed along itself by the weights ``w`` (K, K)
    (:func:`loop_weights` of ``P`` if None), twiced (2 G(P) - G(G(P))) so that its curve over a few centimetres
    keeps its size (a plain average drew a 6 cm neckline in by about a millimetre). The same on a shell and its
    subdivided one. Sums per row in numpy's fixed order (no BLAS): the same bits on every machine."""
    P = np.asarray(P, np.float64)
    w = loop_weights(P) if w is None else w

    def low(X):
        return np.stack([(w * X[None, :, c]).sum(1) for c in range(3)], 1)

    G = low(P)
    return 2.0 * G - low(G)


def _floor(h: np.ndarray) -> np.ndarray:
    """(K,) the least of ``h`` (K,) over each point's :data:`REACH` neighbours either side round the loop."""
    return np.min([np.roll(h, k) for k in range(-REACH, REACH + 1)], axis=0)


def smooth_openings(shell, vertices: np.ndarray, normals: np.ndarray, body: np.ndarray) -> np.ndarray:
    """(G, 3) float32 posed ``vertices`` of ``shell`` with its hugged openings (:func:`opening_loops`) smoothed
    along themselves, each edge vertex moved by its hug weight's share of the way, and the hem strip's inner edge
    along it likewise (smoothed along itself: moved as its edge, it kept its own zigzag). ``normals`` (G, 3) the
    shell's posed unit normals, ``body`` (V, 3) the posed body vertices: no vertex goes in along the edge's normal
    deeper over its skin point than its neighbours were (:func:`_floor`; across an armpit's hollow the low-pass
    cut up to 4 mm into the skin, and a coat's edge went under the band it lies on). ``vertices`` itself when the
    shell has none."""
    loops = opening_loops(shell)
    if not loops:
        return vertices
    v = np.array(vertices, np.float32, copy=True)
    for loop, w, strip, B in loops:
        P = np.asarray(vertices[loop], np.float64)
        N = np.asarray(normals[loop], np.float64)
        S = np.asarray(B @ body, np.float64)  # the edge's skin points (float32 products, as pose_shell's)
        W = loop_weights(P)  # the edge's, for its hem strip's inner edge along it too (its own zigzag)
        for ids in (loop, strip):
            Q = P if ids is loop else np.asarray(vertices[ids], np.float64)
            h = ((Q - S) * N).sum(1)
            d = (smooth_loop(Q, W) - Q) * w[:, None]
            dn = (d * N).sum(1)
            d += (np.maximum(dn, _floor(h) - h) - dn)[:, None] * N
            v[ids] = (Q + d).astype(np.float32)
    return v
