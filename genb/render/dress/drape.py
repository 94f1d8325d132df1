"""Ease and smoothing for tight shells: cloth bridges the body's small forms instead of copying them.

A tight shell that only offsets the skin along its normals copies every small form of the
body (nipples, navel, abs, the clefts). Real cloth spans them: it sits on the body's convex
hull at the scale of a hand, with some ease. :func:`drape_shell` computes that surface once
per cached shell in the rest pose:

1. the shell's rest positions are low-passed by a Gaussian mean over a few centimetres of
   the shell (Taubin's shrink and inflate steps, so the trunk keeps its size; a hem smooths
   along itself only; metric, so dense and coarse parts of the mesh smooth alike);
2. wherever the smoothed surface dips under the skin (it cuts through every convex form) it
   is pushed back out along its normal by a *smooth* field: the shortfall, dilated over the
   same ball and then blurred by it, so the push never undoes the smoothing;
3. the result is stored per shell vertex as a displacement and a normal in the local frame
   of its anchor on the body (the body point it is blended from: normal, a tangent towards a
   fixed neighbour, their cross product).

Posed, the same frames are built from the posed body (one more sparse product than the plain
shell), so the smoothed surface is skinned with the body's own deformation; the ease and the
thickness go out along the smoothed normal, so they add no anatomy back.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse

from genb.render.dress.bridge import hollow_lift, neighbour_pairs, tent
from genb.render.raster.meshes import vertex_normals
from genb.render.dress.vec import norm


@dataclasses.dataclass
class Drape:
    """The smoothed surface of a shell in its anchors' local frames (G shell vertices).

    Attributes:
        disp: (G, 3) float32 metres from the anchor to the smoothed surface (tangent, bitangent, normal).
        normal: (G, 3) float32 unit normal of the smoothed surface in the same frame.
        ease_scale: (G,) float32 share of a garment's ease at each vertex (smooth; 1 on the trunk).
        tangent_to: (V,) int body vertex whose edge gives each body vertex's tangent.
        source: (C, V) sparse: the body points the frames are built on (the shell's own vertices,
            or for a subdivided shell those of the shell it was subdivided from).
        smooth: (G, C) sparse mean over a few centimetres of those points, per shell vertex:
            anchors and frames are smoothed by it (so they vary smoothly in every pose).
    """

    disp: np.ndarray
    normal: np.ndarray
    ease_scale: np.ndarray
    tangent_to: np.ndarray
    source: scipy.sparse.csr_matrix | None = None
    smooth: scipy.sparse.csr_matrix | None = None


def tangent_neighbours(faces: np.ndarray, rest: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(V,) per body vertex the 1-ring neighbour whose rest edge, in the tangent plane, points most
    nearly up (or to the left where the surface faces up or down): a tangent that blends coherently."""
    V = len(rest)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    e = np.concatenate([e, e[:, ::-1]])
    d = rest[e[:, 1]] - rest[e[:, 0]]
    n = normals[e[:, 0]]
    d = d - n * np.einsum("ij,ij->i", d, n)[:, None]
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
    ref = np.where(np.abs(n[:, 2:3]) < 0.8, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    score = np.einsum("ij,ij->i", d, ref)
    order = np.lexsort((-score, e[:, 0]))  # per vertex, best score first
    first = np.unique(e[order, 0], return_index=True)[1]
    out = np.arange(V)
    out[e[order[first], 0]] = e[order[first], 1]
    return out


def _read_columns(blend) -> tuple[np.ndarray, scipy.sparse.csr_matrix]:
    """(K,) the columns (body vertices) a (G, V) sparse ``blend`` reads, and the (G, K) blend over
    them alone: the same entries in the same order, so its products are bit for bit the whole
    blend's at a fraction of the gathering. Kept on the matrix (a cached shell's, built once)."""
    got = getattr(blend, "_genb_columns", None)
    if got is None:
        csr = blend.tocsr() if not scipy.sparse.isspmatrix_csr(blend) else blend
        cols, remap = np.unique(csr.indices, return_inverse=True)
        compact = scipy.sparse.csr_matrix((csr.data, remap.reshape(-1).astype(csr.indices.dtype), csr.indptr),
                                          shape=(csr.shape[0], len(cols)))
        got = (cols, compact)
        blend._genb_columns = got  # on the caller's matrix, so the next call finds it
    return got


def anchor_frames(blend, vertices: np.ndarray, normals: np.ndarray, tangent_to: np.ndarray, smooth=None):
    """Anchors and local frames of shell vertices on a (posed) body.

    Args:
        blend: (G, V) sparse. vertices, normals: (V, 3) body. tangent_to: (V,) from :func:`tangent_neighbours`.
        smooth: optional (G, G) sparse mean over a few centimetres of the shell: anchors and frames
            are then smoothed over it too (they vary smoothly from vertex to vertex in every pose).
    Returns:
        (G, 3) anchors and (G, 3, 3) frames (rows: tangent, bitangent, normal), float32.
    """
    x = _anchor_rows(blend, vertices, normals, tangent_to, smooth)
    R = np.empty((len(x), 3, 3), np.float32)
    for i, row in enumerate(_frames(x[:, 3:])):
        R[:, i, 0], R[:, i, 1], R[:, i, 2] = row
    return x[:, :3], R


def _anchor_rows(blend, vertices: np.ndarray, normals: np.ndarray, tangent_to: np.ndarray, smooth) -> np.ndarray:
    """(G, 9) float32 per shell vertex its anchor, normal and tangent edge (:func:`anchor_frames`' arguments),
    blended from the body and smoothed, before they are made unit."""
    cols, compact = _read_columns(blend)  # only the body vertices the shell reads
    v = np.asarray(vertices[cols], np.float32)
    x = np.asarray(compact @ np.concatenate([v, np.asarray(normals[cols], np.float32),
                                             np.asarray(vertices[tangent_to[cols]], np.float32) - v], 1), np.float32)
    return x if smooth is None else np.asarray(smooth @ x, np.float32)


def _frames(x: np.ndarray) -> tuple:
    """The frames of :func:`anchor_frames` from ``x`` (G, 6) float32, the smoothed normals then tangent edges
    (the normal made unit, the tangent made unit across it), as their rows' contiguous (G,) columns:
    ``((t0, t1, t2), (b0, b1, b2), (n0, n1, n2))`` (tangent, bitangent, normal). The same products, sums
    and quotients in the same order as on (G, 3) rows (the float32 row dot product ``np.einsum("ij,ij->i")``
    adds its three products in order, checked on 1.1M rows strided and contiguous): 0.20 -> 0.07 ms for
    2000 vertices."""
    n0, n1, n2, t0, t1, t2 = np.ascontiguousarray(x.T)
    s = np.maximum(np.sqrt(n0 * n0 + n1 * n1 + n2 * n2), 1e-9)  # vec.norm's order
    n0, n1, n2 = n0 / s, n1 / s, n2 / s
    d = t0 * n0 + t1 * n1 + t2 * n2
    t0, t1, t2 = t0 - n0 * d, t1 - n1 * d, t2 - n2 * d
    tl = np.sqrt(t0 * t0 + t1 * t1 + t2 * t2)
    bad = tl < 1e-7
    if bad.any():  # a degenerate tangent: any direction across the normal
        n = np.stack([n0, n1, n2], 1)
        t = np.stack([t0, t1, t2], 1)
        alt = np.cross(n[bad], np.array([1.0, 0.0, 0.0], np.float32))
        alt[norm(alt) < 1e-3] = np.cross(n[bad], np.array([0.0, 1.0, 0.0], np.float32))[norm(alt) < 1e-3]
        t[bad] = alt
        t0, t1, t2 = np.ascontiguousarray(t.T)
        tl = np.sqrt(t0 * t0 + t1 * t1 + t2 * t2)
    tl = np.maximum(tl, 1e-12)
    t0, t1, t2 = t0 / tl, t1 / tl, t2 / tl
    # n x t written out (np.cross's own products and differences, without its axis shuffling)
    return (t0, t1, t2), (n1 * t2 - n2 * t1, n2 * t0 - n0 * t2, n0 * t1 - n1 * t0), (n0, n1, n2)


def _graph(faces: np.ndarray, n: int) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """Row-normalised adjacency (n, n) of a mesh's vertices; boundary vertices see only their
    boundary neighbours (so a hem smooths along itself instead of creeping up the cloth).
    Also (n,) bool: boundary vertices."""
    e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1).astype(np.int64)
    keys, counts = np.unique(e[:, 0] * n + e[:, 1], return_counts=True)
    edges = np.stack([keys // n, keys % n], 1)
    is_border = counts == 1
    on_border = np.zeros(n, bool)
    on_border[edges[is_border].ravel()] = True
    both = np.concatenate([edges, edges[:, ::-1]])
    keep = ~on_border[both[:, 0]] | np.concatenate([is_border, is_border])  # a hem vertex: along the hem only
    both = both[keep]
    A = scipy.sparse.csr_matrix((np.ones(len(both)), (both[:, 0], both[:, 1])), shape=(n, n))
    deg = np.asarray(A.sum(axis=1)).ravel()
    lone = np.flatnonzero(deg == 0)  # no usable neighbour: the vertex averages itself
    if len(lone):
        A = A + scipy.sparse.csr_matrix((np.ones(len(lone)), (lone, lone)), shape=(n, n))
        deg[lone] = 1.0
    return (scipy.sparse.diags(1.0 / np.maximum(deg, 1.0)) @ A).tocsr(), on_border


def _ball(points: np.ndarray, normals: np.ndarray, radius: float, on_border: np.ndarray) -> scipy.sparse.csr_matrix:
    """Row-normalised (n, n) Gaussian-weighted mean over the points within ``radius`` metres that
    face the same way (normals less than ~70 degrees apart: never across a gap to the other side
    of a limb); a hem's vertices average only hem vertices. Metric, so dense and coarse parts of
    the mesh smooth alike."""
    from scipy.spatial import cKDTree

    n = len(points)
    pairs = cKDTree(points).query_pairs(radius, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    ok = np.einsum("ij,ij->i", normals[i], normals[j]) > 0.35
    i, j = i[ok], j[ok]
    w = np.exp(-np.sum((points[i] - points[j]) ** 2, axis=1) / (0.5 * radius) ** 2)
    rows = np.concatenate([i, j, np.arange(n)])
    cols = np.concatenate([j, i, np.arange(n)])
    vals = np.concatenate([w, w, np.ones(n)])
    keep = ~on_border[rows] | on_border[cols]
    A = scipy.sparse.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(n, n))
    return (scipy.sparse.diags(1.0 / np.asarray(A.sum(axis=1)).ravel()) @ A).tocsr()


def _dilate(x: np.ndarray, A: scipy.sparse.csr_matrix, steps: int) -> np.ndarray:
    """Max over the ``steps``-ring of every vertex (A: adjacency pattern)."""
    indptr, idx = A.indptr, A.indices
    starts = indptr[:-1]
    has = np.diff(indptr) > 0
    for _ in range(steps):
        m = np.zeros_like(x)
        m[has] = np.maximum.reduceat(x[idx], starts[has])
        x = np.maximum(x, m)
    return x


FRAME_RADIUS = 0.06  # metres: anchors and frames are smoothed over this much of the shell
TAUBIN = (0.6, -0.62)  # shrink and inflate steps: small forms fade, the trunk keeps its size
REST_THICKNESS = 0.5  # share of a garment's thickness kept where it rests on the body (drape_shell's rest_on)
REST_EASE = 0.15  # ... and of its ease


def _outward(smooth: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Normals of the smoothed surface, never facing into the body: where one turns away from
    the skin's normal under it (a fold in the smoothed surface) the skin's normal is used."""
    out = smooth + skin
    out[np.einsum("ij,ij->i", smooth, skin) < 0.2] = skin[np.einsum("ij,ij->i", smooth, skin) < 0.2]
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _push_out(S: np.ndarray, base: np.ndarray, skin_n: np.ndarray, faces: np.ndarray, M, clearance: float,
              spread=None) -> np.ndarray:
    """``S`` (n, 3) pushed out along its normals until every point keeps ``clearance`` metres off its
    skin point ``base`` (a few rounds): by the shortfall dilated a ring and blurred by ``M`` (as smooth
    as the ball, never below the shortfall), or with ``spread`` (a function of the shortfall, e.g. a
    tent, :func:`genb.render.dress.bridge.tent`) by it blurred (the next round pushes what the blur lowered)."""
    for _ in range(6):
        N = _outward(vertex_normals(S.astype(np.float32), faces).astype(np.float64), skin_n)
        gap = np.einsum("ij,ij->i", S - base, N)
        short = np.minimum(np.maximum(clearance - gap, 0.0), 0.03)
        if short.max() < 2e-4:
            break
        push = np.maximum(M @ _dilate(short, M, 1), short) if spread is None else M @ spread(short)
        S = S + (push + 2e-4)[:, None] * N
    return S


def _frame_mean(base: np.ndarray, normals: np.ndarray, radius: float, M: scipy.sparse.csr_matrix,
                on_border: np.ndarray, wide: list) -> scipy.sparse.csr_matrix:
    """(n, n) row-normalised mean the anchors and frames are smoothed by: a ball of :data:`FRAME_RADIUS`
    (``M``, the smoothing's own ball, where its ``radius`` is close), blended per row towards a ball of
    ``r`` metres by ``w`` (n,) in [0, 1] for each zone ``(w, r)`` in ``wide`` (trousers' seat: ~45k more
    entries, ~0.3 ms a pose; a coat's chest and seat: two zones, their weights shared where they overlap)."""
    F = M if abs(radius - FRAME_RADIUS) < 0.03 else _ball(base, normals, FRAME_RADIUS, on_border)
    if not wide:
        return F
    w = [np.clip(z[0], 0.0, 1.0) for z in wide]
    scale = np.maximum(np.sum(w, axis=0), 1.0)  # overlapping zones share a row
    F = scipy.sparse.diags(1.0 - np.sum(w, axis=0) / scale) @ F
    for (_, r), wk in zip(wide, w):
        F = F + scipy.sparse.diags(wk / scale) @ _ball(base, normals, r, on_border)
    F = F.tocsr()
    F.eliminate_zeros()  # rows outside the zone: the narrow ball's entries alone
    return F


def _lifted(source, base: np.ndarray, normals: np.ndarray | None, free: np.ndarray, bridge: float | None,
            hang: list | None):
    """The lift of a shell's (n,) points along their normals before smoothing, the bridge's neighbour
    pairs (or None) and the (n, V) sparse ``source`` with the hollows' lifted points' anchors hung from
    their rims: over the body's hollows (``bridge``, a sag radius: :func:`~genb.render.dress.bridge.hollow_lift`)
    and over the chest or the seat (``hang``, [((n,) weights, lift function)]:
    :func:`~genb.render.dress.chest.chest_lift`, :func:`~genb.render.dress.chest.curtain_lift`), where
    ``free`` (n,) lets the shell smooth. ``base``, ``normals``: (n, 3) rest anchors and smoothed normals."""
    lift, pairs = np.zeros(len(base)), None
    if bridge is not None:  # cloth spans the hollows the smoothing alone cannot (their walls face each other)
        pairs = neighbour_pairs(base, normals)
        lift, rims = hollow_lift(base, None, rho=bridge, weight=free, pairs=pairs)
        source = (rims @ source).tocsr()  # a lifted point's anchor hangs (half) from the hollow's rims
    if hang is not None:  # a top spans the chest from apex to apex and drops from the bust (dress.chest)
        for weight, rise in hang:
            lift = np.maximum(lift, rise(base, normals, weight * free))
    return lift, pairs, source


def drape_shell(shell, atlas, tangent_to: np.ndarray, region_scale: np.ndarray, iterations: int = 8, radius: float = 0.045,
                clearance: float = 0.004, hem_pull: float = 0.5, fixed: np.ndarray | None = None,
                rounds: int = 1, bridge: float | None = None, push_tent: float | None = None, wide: list | None = None,
                hang: list | None = None, rest_on: np.ndarray | None = None):
    """A copy of ``shell`` with its :class:`Drape` set (computed in the rest pose).

    Args:
        shell: a :class:`~genb.render.dress.shells.Shell`. atlas: its body's atlas.
        tangent_to: (V,) from :func:`tangent_neighbours`.
        region_scale: (V,) per body vertex the share of the ease there (e.g. 1 trunk, 0.6 limbs).
        iterations: Taubin steps (a shrink and an inflate step each) of a Gaussian mean over ``radius``.
        radius: metres: forms smaller than about this fade.
        clearance: metres the smoothed surface keeps off the skin before any ease.
        hem_pull: a hem's inner edge sits this share of the way from the skin to the cloth.
        rounds: smoothing-and-push rounds the iterations are split into.
        fixed: optional (V,) weight in [0, 1] per body vertex: how far the smoothing is held
            back there (1: the shell keeps to the skin, e.g. a waistband).
        bridge: optional sag radius, metres: before smoothing, the shell is lifted over the body's
            hollows (:func:`~genb.render.dress.bridge.hollow_lift`: clefts, grooves, the navel), where free.
        wide: optional list of zones ((V,) weight in [0, 1] per body vertex, metres): anchors and
            frames smoothed that much wider there (:func:`_frame_mean`, :func:`~genb.render.dress.bridge.seat_zone`).
        hang: optional [((V,) weight in [0, 1] per body vertex, lift function)]: there the shell is lifted
            (:mod:`~genb.render.dress.chest`: a tent over the bust, a top's back falling from the buttocks).
        rest_on: optional (V,) weight in [0, 1] per body vertex where the cloth rests on the body (a top on the
            shoulders, :func:`~genb.render.dress.chest.shoulder_zone`): down to ``clearance``, with
            :data:`REST_THICKNESS` of the thickness and :data:`REST_EASE` of the ease.
    """
    G = shell.num_vertices
    twin = shell.twin if shell.twin is not None else np.arange(G)
    main = twin == np.arange(G)
    nm = int(main.sum())  # hems' inner edges come after the shell's own vertices
    faces = shell.faces.astype(np.int64)
    faces = faces[(faces < nm).all(axis=1)]
    W, on_border = _graph(faces, nm)
    rest = np.asarray(atlas.rest, np.float64)
    source = shell.blend[:nm].tocsr()
    base, R = anchor_frames(source, rest, atlas.normals, tangent_to)
    base, R = base.astype(np.float64), R.astype(np.float64)
    M = _ball(base, R[:, 2], radius, on_border)
    # anchors and frames: smoothed over a smaller ball (cheap per pose); a hem's inner edge copies its twin
    zones = list(wide or [])
    F = _frame_mean(base, R[:, 2], radius, M, on_border, [(np.asarray(shell.blend @ z)[:nm], r) for z, r in zones])
    smooth = F[np.where(main, np.arange(G), twin)].tocsr() if G > nm else F
    hold = np.zeros(nm) if fixed is None else np.clip(np.asarray(shell.blend @ fixed)[:nm], 0.0, 1.0)
    free = (1.0 - hold)[:, None]
    lift, pairs, source = _lifted(source, base, anchor_frames(source, rest, atlas.normals, tangent_to, F)[1][:, 2]
                                  if bridge is not None or hang is not None else None, free[:, 0], bridge,
                                  None if hang is None else [(np.asarray(shell.blend @ w)[:nm], t) for w, t in hang])
    anchor, R = anchor_frames(source, rest, atlas.normals, tangent_to, F)
    anchor, R = anchor.astype(np.float64), R.astype(np.float64)
    # 1.-2. Rounds of Laplacian smoothing of the anchors (a hem along itself), each followed
    #    by pushing back out of the skin: every anchor's own point of the smoothed surface keeps
    #    ``clearance`` off it along the smoothed normal (a convex form is bridged over, not cut);
    #    the next round smooths the push's own edges away.
    S = base + lift[:, None] * R[:, 2]
    for r in range(rounds):
        for _ in range(iterations // rounds):
            for step in TAUBIN:
                S = S + step * free * (M @ S - S)
        S = _push_out(S, base, R[:, 2], faces, M, clearance, None if pairs is None or push_tent is None else
                      (lambda short: tent(short, pairs, push_tent)))
    N = _outward(vertex_normals(S.astype(np.float32), faces).astype(np.float64), R[:, 2])
    rest_w = np.zeros(nm) if rest_on is None else np.clip(np.asarray(shell.blend @ rest_on, np.float64)[:nm], 0.0, 1.0)
    S = S - (rest_w * np.maximum(np.einsum("ij,ij->i", S - base, N) - clearance, 0.0))[:, None] * N  # resting on the body
    # 3. In the anchors' frames; the hems' inner edges hang part way back to the skin.
    scale = np.asarray(shell.blend @ region_scale, np.float64)[:nm]
    for _ in range(6):
        scale = W @ scale
    rows = np.where(main, np.arange(G), twin)  # a hem's inner edge: its twin's row
    pull = np.where(main, 1.0, hem_pull)
    full_disp = np.einsum("gij,gj->gi", R, S - anchor)[rows] * pull[:, None]
    full_n, full_scale = np.einsum("gij,gj->gi", R, N)[rows], scale[rows] * pull
    full_scale = full_scale * (1.0 - (1.0 - REST_EASE) * rest_w[rows])  # resting: less ease and thickness (a pad)
    lift_share = shell.lift * (1.0 - (1.0 - REST_THICKNESS) * rest_w[rows])
    drape = Drape(disp=full_disp.astype(np.float32), normal=full_n.astype(np.float32),
                  ease_scale=full_scale.astype(np.float32), tangent_to=tangent_to, source=source.astype(np.float32),
                  smooth=smooth.astype(np.float32))
    return dataclasses.replace(shell, drape=drape, lift=lift_share)


def pose_draped(shell, vertices: np.ndarray, normals: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posed vertices and normals of a draped shell: the smoothed surface skinned through its
    anchors' frames, ``offset`` (G,) metres out along its normal."""
    d = shell.drape
    if d.normal.dtype != np.float32 or d.disp.dtype != np.float32:  # (a drape made before it was stored as float32)
        a, R = anchor_frames(d.source, vertices, normals, d.tangent_to, d.smooth)
        n = np.einsum("gij,gi->gj", R, d.normal)
        v = a + np.einsum("gij,gi->gj", R, d.disp) + offset[:, None].astype(np.float32) * n
        return v.astype(np.float32), n.astype(np.float32)
    # per coordinate on contiguous columns: np.einsum("gij,gi->gj")'s float32 sums in its order (checked on 300k rows)
    x = _anchor_rows(d.source, vertices, normals, d.tangent_to, d.smooth)
    rows = _frames(x[:, 3:])
    (p0, p1, p2), (q0, q1, q2), off = np.ascontiguousarray(d.normal.T), np.ascontiguousarray(d.disp.T), offset.astype(np.float32)
    n = [r0 * p0 + r1 * p1 + r2 * p2 for r0, r1, r2 in zip(*rows)]
    v = [(a + (r0 * q0 + r1 * q1 + r2 * q2)) + off * nj for a, r0, r1, r2, nj in zip(x[:, :3].T, *rows, n)]
    return np.stack(v, 1), np.stack(n, 1)
