"""Textures of scene objects per pixel: brick, render and concrete facades, wood, upholstery,
foliage, car paint; albedo and detail normals at metric scale, prefiltered.

Objects are flat-shaded boxes and smooth solids drawn with vertex colours (their mean albedo).
Here every object pixel gets metric texture coordinates by a box projection of its world point
(from the depth buffer): on a wall-like face (normal within 53 degrees of horizontal) ``u`` runs
along the face (its horizontal tangent, constant over a flat face, so joints are straight
vertical lines) and ``v`` is the height (courses are level lines); on a top face ``u, v`` are
world x, y. A material per part class (a facade's by its colour: warm and saturated ones are
brick, light ones render, grey ones concrete) gives a per-channel factor on the linear albedo
whose mean is 1 (mortar and joints are box-filtered square waves, per-brick shades and noise fade
out once under a pixel), so a far facade is exactly its vertex colour, and slopes that bend the
normals (mortar grooves, formwork joints, wood grain, weave), which fade the same way. Only
pixels whose footprint is finer than the material's coarsest feature are touched. The normals
change in the label pass's encoded normals (shading and the normal control map alike); depth,
instances and parts are untouched. Pure float32 functions (fixed hashes: same bits everywhere).
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import SCENE_PART_INDEX
from genb.render.raster.colour import SRGB_TO_LINEAR, encode_lut
from genb.render.raster.procedural import fade, hash2, smooth_noise, square

BRICK_L, BRICK_H, MORTAR = 0.225, 0.075, 0.01  # brick pitch along and across (with its joint), joint width, metres
PANEL_L, PANEL_H, JOINT = 1.2, 0.6, 0.008  # concrete formwork panels
BOARDS = ("box", "door", "fence")  # wood in boards with seams
WOOD = ("bench", "chair", "table", "shelf")  # solid wood (thin legs and rails: no seams across them)
FABRIC = ("sofa", "rug")
FOLIAGE = ("hedge", "tree", "plant")
FACADE = ("building", "wall", "step", "planter", "sidewalk")
_KIND = np.zeros(256, np.int8)  # 0 none, 1 facade (by colour), 2 wood, 3 fabric, 4 foliage, 5 boards
for _names, _k in ((FACADE, 1), (WOOD, 2), (FABRIC, 3), (FOLIAGE, 4), (BOARDS, 5)):
    for _n in _names:
        _KIND[SCENE_PART_INDEX[_n]] = _k
COARSEST = {1: 0.045, 2: 0.02, 3: 0.006, 4: 0.03, 5: 0.02}  # metres: wider pixels keep the vertex colour (faded over the last third)


def facade_kind(albedo: np.ndarray) -> np.ndarray:
    """(N,) 0 brick, 1 render (plaster), 2 concrete of facade pixels by their sRGB albedo (3, N) 0..1:
    warm and saturated is brick, light is render, the rest concrete."""
    r, g, b = albedo
    sat = (r - b) / np.maximum(r, np.float32(1e-3))
    brick = (r >= g) & (g >= b) & (sat > 0.25)
    return np.where(brick, 0, np.where(r + g + b > 2.1, 1, 2)).astype(np.int8)


def brick(u: np.ndarray, v: np.ndarray, fp: np.ndarray, base: np.ndarray) -> tuple:
    """Running-bond brick: ``(factor (3, N), slope along u, slope along v)``; ``base`` (3, N) linear albedo."""
    row = np.floor(v / np.float32(BRICK_H))
    shifted = u / np.float32(BRICK_L) + np.float32(0.5) * (row % 2) * fade(fp, BRICK_H)
    du, dv = 1 - MORTAR / BRICK_L, 1 - MORTAR / BRICK_H
    body = square(shifted, fp / np.float32(BRICK_L), du) * square(v / np.float32(BRICK_H), fp / np.float32(BRICK_H), dv)
    m0 = np.float32(1 - du * dv)  # the mortar's share far away
    lum = base[0] * np.float32(0.2126) + base[1] * np.float32(0.7152) + base[2] * np.float32(0.0722)
    col = np.floor(shifted)
    near = fade(fp, BRICK_H)
    shade = 1 + np.float32(0.3) * (hash2(col, row, 21) - 0.5) * near
    burnt = np.float32(0.12) * (hash2(col, row, 22) - 0.5) * near
    f = np.empty((3, len(u)), np.float32)
    for c, tint in enumerate((1.0, 0.6, 0.4)):
        mortar = np.minimum((np.float32(0.35) * base[c] + np.float32(0.65) * lum) * np.float32(1.45)
                            / np.maximum(base[c], np.float32(1e-4)), np.float32(3.0))
        k_brick = (1 - m0 * mortar) / (1 - m0)  # the bricks' share keeps the mean: far away the factor is 1
        f[c] = body * k_brick * shade * (1 + np.float32(tint) * burnt) + (1 - body) * mortar
    # mortar grooves: the brick's edges bevelled 3 mm deep over 6 mm
    half = np.float32(MORTAR / 2)  # the joints' centres: half a joint before each pitch
    su, sv = _groove(shifted * np.float32(BRICK_L) + half, BRICK_L, fp), _groove(v + half, BRICK_H, fp)
    return f, su, sv


def _octave(u: np.ndarray, v: np.ndarray, fp: np.ndarray, cell: float, seed: int) -> np.ndarray:
    """Value noise of ``cell`` metres centred on 0 (-0.5..0.5) times its footprint fade, evaluated only
    where it has not faded out (0 elsewhere)."""
    n = np.zeros_like(u)
    i = np.flatnonzero(fp < np.float32(0.75 * cell))
    if len(i):
        n[i] = (smooth_noise(u[i], v[i], cell, seed) - 0.5) * fade(fp[i], cell)
    return n


def _groove(x: np.ndarray, period: float, fp: np.ndarray, width: float = 0.006, depth: float = 0.003) -> np.ndarray:
    """Slope d h / d x of a groove ``depth`` deep, ``width`` on each side, at every ``period`` (x = 0),
    fading once the pixel is wider than the groove."""
    o = (x / np.float32(period) - np.floor(x / np.float32(period))) * np.float32(period)  # 0..period
    d = np.minimum(o, np.float32(period) - o)  # distance to the joint
    g = np.clip(1 - d / np.float32(width), 0.0, 1.0)
    sign = np.where(o < np.float32(0.5 * period), np.float32(1), np.float32(-1))  # rising away from the joint
    return (np.float32(2 * depth / width) * g * sign * fade(fp, 2 * width)).astype(np.float32)


def render_plaster(u: np.ndarray, v: np.ndarray, fp: np.ndarray, seed: int) -> tuple:
    """Render (plaster): trowel blotches, fine sand grain and rain streaks down the wall."""
    n1 = _octave(u, v, fp, 0.08, seed)
    n2 = _octave(u, v, fp, 0.006, seed + 1)
    streak = _octave(u * 4.0, v * 0.35, fp, 0.5, seed + 2)
    f = 1 + np.float32(0.08) * n1 + np.float32(0.07) * n2 - np.float32(0.1) * streak
    return f, None, None  # (its relief would be under the 8-bit normals' step: not drawn)


def concrete(u: np.ndarray, v: np.ndarray, fp: np.ndarray, seed: int) -> tuple:
    """Cast concrete: formwork panels with dark joints, a per-panel tone, blotches and pores."""
    pu, pv = u / np.float32(PANEL_L), v / np.float32(PANEL_H)
    du, dv = float(1 - JOINT / PANEL_L), float(1 - JOINT / PANEL_H)
    body = square(pu, fp / np.float32(PANEL_L), du) * square(pv, fp / np.float32(PANEL_H), dv)
    m0 = np.float32(1 - du * dv)
    joint = np.float32(0.55)
    k = (1 - m0 * joint) / (1 - m0)
    tone = 1 + np.float32(0.08) * (hash2(np.floor(pu), np.floor(pv), seed) - 0.5) * fade(fp, PANEL_H)
    n1 = _octave(u, v, fp, 0.15, seed + 1)
    n2 = _octave(u, v, fp, 0.01, seed + 2)
    f = body * k * tone * (1 + np.float32(0.1) * n1 + np.float32(0.08) * n2) + (1 - body) * joint
    half = np.float32(JOINT / 2)
    su, sv = _groove(u + half, PANEL_L, fp, 0.004, 0.002), _groove(v + half, PANEL_H, fp, 0.004, 0.002)
    return f, su, sv


def wood(u: np.ndarray, v: np.ndarray, fp: np.ndarray, seed: int, boards: bool = True) -> tuple:
    """Wood along u: grain streaks (noise stretched 12:1), darker rings and (``boards``) boards 14 cm
    wide with seams."""
    g = _octave(u * np.float32(1 / 12), v, fp, 0.004, seed)
    ring = _octave(u * np.float32(1 / 6), v, fp, 0.02, seed + 1)
    board = np.floor(v / np.float32(0.14))
    tone = 1 + np.float32(0.16) * (hash2(board, board * 0, seed + 2) - 0.5) * fade(fp, 0.14)
    if not boards:
        f = 1 + np.float32(0.18) * g + np.float32(0.22) * ring
        return np.stack([f, f, f * (1 - np.float32(0.05) * ring)]), None, None
    seam = square(v / np.float32(0.14), fp / np.float32(0.14), 1 - 0.004 / 0.14)
    s0 = np.float32(1 - 0.004 / 0.14)
    k = (1 - (1 - s0) * np.float32(0.5)) / s0
    f = seam * k * tone * (1 + np.float32(0.18) * g + np.float32(0.22) * ring) + (1 - seam) * np.float32(0.5)
    col = np.stack([f, f, f * (1 - np.float32(0.05) * ring)])  # warmer in the rings
    return col, np.zeros_like(u), _groove(v, 0.14, fp, 0.002, 0.001)


def upholstery(u: np.ndarray, v: np.ndarray, fp: np.ndarray, seed: int) -> tuple:
    """Woven upholstery: a 2 mm basket weave with heathered yarn."""
    w = square(u / np.float32(0.004), fp / np.float32(0.004), 0.5)
    x = square(v / np.float32(0.004), fp / np.float32(0.004), 0.5)
    weave = 1 + np.float32(0.12) * ((w * x + (1 - w) * (1 - x)) - 0.5)
    heather = hash2(np.floor(u / np.float32(0.002)), np.floor(v / np.float32(0.002)), seed)
    f = weave * (1 + np.float32(0.1) * (heather - 0.5) * fade(fp, 0.002))
    ripple = np.float32(0.06) * np.cos(u * np.float32(2 * np.pi / 0.004)) * fade(fp, 0.004)
    return f, ripple, ripple


def foliage(u: np.ndarray, v: np.ndarray, fp: np.ndarray, seed: int) -> tuple:
    """Leaf clumps: lit and shaded clusters (15 cm, 4 cm) and single leaves (1.2 cm), yellower when lit."""
    n1 = _octave(u, v, fp, 0.15, seed)
    n2 = _octave(u, v, fp, 0.04, seed + 1)
    n3 = (hash2(np.floor(u / np.float32(0.012)), np.floor(v / np.float32(0.012)), seed + 2) - 0.5) * fade(fp, 0.012)
    t = np.float32(0.35) * n1 + np.float32(0.3) * n2 + np.float32(0.15) * n3
    col = np.stack([1 + np.float32(1.3) * t, 1 + t, 1 + np.float32(0.6) * t])
    return col, None, None  # (clumps bend the normals little; not drawn)


def apply_surfaces(out, K: np.ndarray, cam_ext: np.ndarray, relief: bool = True) -> int:
    """Texture the scene objects' pixels of a :class:`genb.render.raster.gl.RasterOutput` in place
    (``color``: albedo, ``normals``: detail; see the module). Returns the number of pixels touched."""
    from genb.render.raster.normals import decode_normals, encode_normals

    H, W = out.depth.shape
    kind_px = _KIND.take(out.parts.ravel())  # 1-D take: quicker than fancy indexing
    flat = np.flatnonzero((kind_px > 0) & (out.instances.ravel() == 0) & (out.depth.ravel() > 0))
    if not len(flat):
        return 0
    kind = kind_px[flat]
    z = out.depth.ravel()[flat]
    x = ((flat % W).astype(np.float32) - np.float32(K[0, 2])) * np.float32(1 / K[0, 0])
    y = ((flat // W).astype(np.float32) - np.float32(K[1, 2])) * np.float32(1 / K[1, 1])
    rlen = np.sqrt(x * x + y * y + 1)
    fp = z * rlen * np.float32(1 / K[0, 0])  # the footprint facing the camera; over the cosine below
    coarsest = np.array([0.0] + [COARSEST[k] for k in range(1, 6)], np.float32)
    near = np.flatnonzero(fp < coarsest[kind])  # (a slanted face's footprint is larger still)
    if not len(near):
        return 0
    flat, kind, z, x, y, rlen, fp = flat[near], kind[near], z[near], x[near], y[near], rlen[near], fp[near]
    enc = np.ascontiguousarray(decode_normals(out.normals.reshape(-1, 3).take(flat, axis=0)).T)  # (3, N) unit
    cos = np.abs(enc[0] * x + enc[1] * y + enc[2]) / rlen
    fp = fp / np.maximum(cos, np.float32(0.2))
    keep = np.flatnonzero(fp < coarsest[kind])  # slanted faces: their footprint is wider
    if not len(keep):
        return 0
    flat, kind, z, x, y, fp, enc = flat[keep], kind[keep], z[keep], x[keep], y[keep], fp[keep], enc[:, keep]
    R = cam_ext[:3, :3].astype(np.float32)
    t = cam_ext[:3, 3].astype(np.float32)
    px, py, pz = x * z - t[0], y * z - t[1], z - t[2]
    wx, wy, wz = (R[0, k] * px + R[1, k] * py + R[2, k] * pz for k in range(3))  # world point R^T (p - t)
    nx, ny, nz = (R[0, k] * enc[0] + R[1, k] * enc[1] + R[2, k] * enc[2] for k in range(3))  # world normal
    wall = np.abs(nz) < 0.6
    h = np.maximum(np.sqrt(nx * nx + ny * ny), np.float32(1e-6))
    tx = np.where(wall, -ny / h, np.float32(1))  # the face's horizontal tangent (world x on a top face)
    ty = np.where(wall, nx / h, np.float32(0))
    u = wx * tx + wy * ty
    v = np.where(wall, wz, wy)
    cov = out.coverage.ravel()[flat]
    col = out.color.reshape(-1, 3)
    src = col.take(flat, axis=0).T.astype(np.float32, order="C")  # (3, N) channel-first: every array below is contiguous
    alb = np.clip(src * (np.float32(1 / 255) / np.maximum(cov, np.float32(1 / 255))), 0, 1)
    base = SRGB_TO_LINEAR[(alb * np.float32(255) + np.float32(0.5)).astype(np.uint8)]  # exact where covered
    f = np.ones((3, len(flat)), np.float32)
    s_u = np.zeros(len(flat), np.float32)
    s_v = np.zeros(len(flat), np.float32)
    facade = np.where(kind == 1, facade_kind(alb), -1)
    groups = [(facade == 0, lambda i: brick(u[i], v[i], fp[i], base[:, i])),
              (facade == 1, lambda i: render_plaster(u[i], v[i], fp[i], 31)),
              (facade == 2, lambda i: concrete(u[i], v[i], fp[i], 41)),
              (kind == 2, lambda i: wood(u[i], v[i], fp[i], 51, boards=False)),
              (kind == 5, lambda i: wood(u[i], v[i], fp[i], 52)), (kind == 3, lambda i: upholstery(u[i], v[i], fp[i], 61)),
              (kind == 4, lambda i: foliage(u[i], v[i], fp[i], 71))]
    for sel, fn in groups:
        i = np.flatnonzero(sel)
        if len(i):
            f[:, i], su, sv = fn(i)
            if su is not None:
                s_u[i], s_v[i] = su, sv
    # fade the texture out over the last third before the material's cut (no edge where it stops)
    fadeout = np.clip((coarsest[kind] - fp) / (np.float32(1 / 3) * coarsest[kind]), 0, 1)
    f = 1 + (f - 1) * fadeout
    s_u *= fadeout
    s_v *= fadeout
    # the change of the encoded albedo (a difference of two table look-ups: exactly 0 where f is 1)
    delta = (encode_lut(base * f) - encode_lut(base)) * (cov * np.float32(255))
    col[flat] = np.clip(src + delta + np.float32(0.5), 0, 255).astype(np.uint8).T
    out.color = col.reshape(H, W, 3)
    bumpy = np.flatnonzero((s_u != 0) | (s_v != 0))
    if relief and len(bumpy):
        nrm = out.normals.reshape(-1, 3)
        nrm[flat[bumpy]] = encode_normals(_bend(enc[:, bumpy], R, tx[bumpy], ty[bumpy], wall[bumpy], s_u[bumpy], s_v[bumpy]).T)
        out.normals = nrm.reshape(H, W, 3)
    return len(flat)


def _bend(n: np.ndarray, R: np.ndarray, tx: np.ndarray, ty: np.ndarray, wall: np.ndarray, s_u: np.ndarray,
          s_v: np.ndarray) -> np.ndarray:
    """(3, N) camera-frame unit normals ``n`` (3, N) bent by slopes ``s_u``, ``s_v`` along the texture's
    directions (u: the world direction (tx, ty, 0); v: up on a wall, world y on a top face), channel-first
    (:func:`genb.render.raster.normals.bend_normals` for thin arrays)."""
    def tangent(t):
        d = t[0] * n[0] + t[1] * n[1] + t[2] * n[2]
        t = [t[k] - d * n[k] for k in range(3)]
        inv = 1 / np.maximum(np.sqrt(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]), np.float32(1e-9))
        return [c * inv for c in t]

    tu = tangent([R[k, 0] * tx + R[k, 1] * ty for k in range(3)])
    tv = tangent([np.where(wall, R[k, 2], R[k, 1]) for k in range(3)])
    out = np.stack([n[k] - s_u * tu[k] - s_v * tv[k] for k in range(3)])
    return out / np.maximum(np.sqrt(out[0] * out[0] + out[1] * out[1] + out[2] * out[2]), np.float32(1e-9))
