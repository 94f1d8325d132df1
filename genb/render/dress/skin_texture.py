"""Skin texture per pixel in the body's UV space: mottling, redness, freckles and blemishes.

The body model's own texture coordinates (anny ships them; an SMPL-X file carries them as ``vt``,
``ft`` when it has them) are scaled to metres (:data:`SkinLayout.scale`: the median metres per UV
unit of the rest mesh) and drawn by the texcoord pass (:mod:`genb.render.raster.texcoord_pass`)
like the cloth coordinates, so every skin pixel knows where on the skin it is. There
:func:`skin_factor` evaluates one person's low-contrast variation (seeded per person, drawn in
``scene.json`` people's ``skin``) as a per-channel factor on the linear albedo of the colour pass,
each feature box-filtered by the pixel's footprint (it fades to its mean, 1, once under a pixel,
so a far person is exactly the per-vertex albedo): mottling (two octaves of value noise, bluish
troughs of blood), stronger and redder blotches where the skin flushes (cheeks, nose, ears,
knuckles), freckles on light skin where the sun reaches (face, shoulders, forearms), a few red
blemishes for some people and a faint pore grain. Where the regions are comes from a small
atlas in UV space (:attr:`SkinLayout.atlas`, from the per-vertex :class:`~genb.render.dress.skin.SkinRegions`),
sampled bilinearly. A body model without UVs keeps the per-vertex variation only.
Built once per body model; pure functions of arrays (float32, fixed hashes: the same bits in
every process).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.render.raster.procedural import fade, hash2, smooth_noise

ATLAS_SIZE = 128  # texels a side of the region atlas over the UV square (smooth weights: low resolution)
UV_OFFSET_M = 0.15  # skin coordinates start here (the eye regions' offsets stay within +-0.03 m of 0)
MAX_SPAN_M = 2.3  # the UV square's side in metres at most (the texcoord pass spans -2.56..2.56 m)
EYE_LIMIT_M = 0.08  # texcoord-pass u below this on a head pixel: the eye region, not the skin
FRECKLE_CELL, BLEMISH_CELL = 0.008, 0.05  # skin-coordinate metres (x 0.64 on the face, x 1.4 on the forearms)


@dataclasses.dataclass
class SkinLayout:
    """A body model's skin map for the texcoord pass.

    Attributes:
        index: (N,) body vertex each map vertex copies. faces: (F, 3) the body's faces over the map
            vertices (those the eye map does not draw), ``face_ids`` (F,) their body face indices.
        uv: (N, 2) float64 metres (``UV_OFFSET_M + scale * uv``).
        encoded: ``uv`` encoded for the texcoord pass (once). scale: metres per UV unit. part_ratio: (15,) per body part its own median metres per UV unit over
            ``scale`` (the face's UVs are denser than the legs'). span: the UV square's side (UV units) the atlas covers. atlas: (S, S, 3) float32 region weights over the UV square:
            freckle zone, flush (cheeks, nose, ears, knuckles), bare skin (not lips, brows, nails).
    """

    index: np.ndarray
    faces: np.ndarray
    face_ids: np.ndarray
    uv: np.ndarray
    scale: float
    atlas: np.ndarray
    span: float = 1.0
    part_ratio: np.ndarray | None = None
    encoded: tuple | None = None


def body_uv(body: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The body model's texture coordinates ``(uv (T, 2), uv_faces (F, 3))`` matching ``body.faces``,
    or None when it has none (SMPL-X files without ``vt``/``ft``)."""
    faces = np.asarray(body.faces)
    model = getattr(body, "model", None)
    st = getattr(model, "texture_coordinates", None)
    ft = getattr(model, "face_texture_coordinate_indices", None)
    if st is not None and ft is not None:  # anny
        uv, uf = np.asarray(st.detach().cpu().numpy(), np.float64), np.asarray(ft.detach().cpu().numpy(), np.int64)
    else:
        path = getattr(body, "model_path", None)
        if path is None:
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                if "vt" not in data.files or "ft" not in data.files:
                    return None
                uv, uf = np.asarray(data["vt"], np.float64), np.asarray(data["ft"], np.int64)
        except (OSError, ValueError):
            return None
    if uf.shape != faces.shape or uv.ndim != 2 or uv.shape[1] != 2 or uf.min() < 0 or uf.max() >= len(uv):
        return None
    return uv, uf


def skin_layout(body: Any, rest: np.ndarray, regions: Any, bare: np.ndarray,
                eye_faces: np.ndarray | None = None) -> SkinLayout | None:
    """The :class:`SkinLayout` of a body model (once per model), or None without UVs.

    Args:
        body: the body model (``faces``, and its UVs: :func:`body_uv`). rest: (V, 3) rest positions, metres.
        regions: :class:`~genb.render.dress.skin.SkinRegions`. bare: (V,) bool skin vertices (not lips, brows).
        eye_faces: (E,) body faces the eye map draws (left out here), or None.
    """
    got = body_uv(body)
    if got is None:
        return None
    uv, uf = got
    faces = np.asarray(body.faces, np.int64)
    e3 = np.linalg.norm(rest[faces[:, 1]] - rest[faces[:, 0]], axis=1)
    e2 = np.linalg.norm(uv[uf[:, 1]] - uv[uf[:, 0]], axis=1)
    ok = e2 > 1e-9
    scale = float(min(np.median(e3[ok] / e2[ok]), MAX_SPAN_M / max(float(np.ptp(uv, axis=0).max()), 1e-6)))
    pairs = np.stack([faces.ravel(), uf.ravel()], axis=1)
    uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
    map_faces = inverse.reshape(-1, 3)
    keep = np.ones(len(faces), bool)
    if eye_faces is not None:
        keep[np.asarray(eye_faces, np.int64)] = False
    w = np.stack([regions.freckle_zone * bare, regions.flush, bare * (1.0 - regions.nails)], axis=1).astype(np.float32)
    part = np.asarray(body.vertex_parts, np.int64)[faces[:, 0]]  # (each face's part: its first corner's)
    ratio = np.ones(16, np.float32)
    for p in np.unique(part):
        sel = ok & (part == p)
        if sel.any():
            ratio[p] = float(np.median(e3[sel] / e2[sel])) / scale
    from genb.render.dress.fabric import encode_vertex_texcoords

    local = uv[uniq[:, 1]] - uv.min(axis=0)
    span = float(np.ptp(uv, axis=0).max())
    uvm = UV_OFFSET_M + scale * local
    return SkinLayout(index=uniq[:, 0], faces=map_faces[keep], face_ids=np.flatnonzero(keep), uv=uvm, scale=scale,
                      atlas=_atlas(local, w[uniq[:, 0]], span), span=span, part_ratio=ratio,
                      encoded=encode_vertex_texcoords(uvm))


def _atlas(uv: np.ndarray, weights: np.ndarray, span: float) -> np.ndarray:
    """(S, S, C) float32 per-vertex weights (N, C) spread over the UV square by inverse-distance
    weighting of the 4 nearest UV points (islands' borders padded by their nearest vertices)."""
    from scipy.spatial import cKDTree

    t = (np.arange(ATLAS_SIZE) + 0.5) / ATLAS_SIZE * span
    gu, gv = np.meshgrid(t, t, indexing="ij")
    d, i = cKDTree(uv).query(np.stack([gu.ravel(), gv.ravel()], axis=1), k=4)
    w = 1.0 / np.maximum(d, 1e-5) ** 2
    out = np.einsum("nk,nkc->nc", w, weights[i]) / w.sum(axis=1, keepdims=True)
    return out.reshape(ATLAS_SIZE, ATLAS_SIZE, -1).astype(np.float32)


def sample_atlas(layout: SkinLayout, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(N, C) float32 the atlas's region weights at skin coordinates u, v (N,) metres (bilinear, clamped)."""
    S = layout.atlas.shape[0]
    texel = np.float32(S / (layout.scale * layout.span))
    x = np.clip((u - np.float32(UV_OFFSET_M)) * texel - 0.5, 0, S - 1.001)
    y = np.clip((v - np.float32(UV_OFFSET_M)) * texel - 0.5, 0, S - 1.001)
    ix, iy = x.astype(np.int32), y.astype(np.int32)
    fx, fy = (x - ix)[:, None], (y - iy)[:, None]
    a = layout.atlas.reshape(S * S, -1)  # flat rows: one 1-D index per corner
    i00 = ix * S + iy

    def at(i):
        return a.take(i, axis=0)

    return ((at(i00) * (1 - fx) + at(i00 + S) * fx) * (1 - fy)
            + (at(i00 + 1) * (1 - fx) + at(i00 + S + 1) * fx) * fy).astype(np.float32)


def sample_texture(rng: np.random.Generator, variation: dict[str, float]) -> dict[str, float]:
    """The per-pixel part of one person's skin (JSON-able, added to ``variation``): a noise seed,
    the mottling's contrast and, for some people, blemishes."""
    return {
        "texture_seed": int(rng.integers(1, 1 << 30)),
        "mottling": round(float(rng.uniform(0.04, 0.08)), 4),
        "blemishes": round(float(rng.uniform(0.05, 0.25)) if rng.random() < 0.3 else 0.0, 4),
    }


def _dots(u: np.ndarray, v: np.ndarray, fp: np.ndarray, cell: float, density: np.ndarray | float,
          rmin: float, rmax: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Round spots, at most one per ``cell`` (present with probability ``density``, radius
    ``rmin..rmax`` metres, random centre): ``(coverage (N,), expected coverage (N,))``, the coverage
    box-filtered by the footprint (edges soften, then the spot fades to its expected coverage)."""
    cx, cy = np.floor(u / np.float32(cell)), np.floor(v / np.float32(cell))
    h1, h2, h3, h4 = (hash2(cx, cy, seed + k) for k in range(4))
    r = np.float32(rmin) + np.float32(rmax - rmin) * h3
    m = np.float32(0.5 * cell) - r  # the centre keeps the whole spot inside its cell
    du = u - (cx + np.float32(0.5)) * np.float32(cell) - (2 * h1 - 1) * m
    dv = v - (cy + np.float32(0.5)) * np.float32(cell) - (2 * h2 - 1) * m
    edge = np.maximum(fp, np.float32(1e-4))
    on = np.clip((r - np.sqrt(du * du + dv * dv)) / edge + 0.5, 0.0, 1.0) * (h4 < density)
    mean = np.full(len(u), np.pi * (rmin * rmin + rmin * rmax + rmax * rmax) / 3 / cell ** 2, np.float32) \
        * np.asarray(density, np.float32)
    f = fade(fp, 4 * rmax)  # full below a pixel of 2 radii, gone at 3 (1.5 diameters)
    return (mean + (on - mean) * f).astype(np.float32), mean


def skin_factor(layout: SkinLayout, variation: dict[str, Any], u: np.ndarray, v: np.ndarray,
                footprint: np.ndarray, part: int = 1) -> np.ndarray:
    """(3, N) float32 per-channel factor on the linear skin albedo at skin coordinates u, v (N,)
    metres, box-filtered over ``footprint`` (N,) metres on body part ``part``; its mean over the skin is 1.

    ``variation``: the person's ``skin`` record (:func:`genb.render.dress.skin.skin_variation` plus
    :func:`sample_texture`): ``redness``, ``freckles``, ``texture_seed``, ``mottling``, ``blemishes``.
    """
    seed = int(variation.get("texture_seed", 1))
    ratio = 1.0 if layout.part_ratio is None else float(layout.part_ratio[part])
    fp = footprint.astype(np.float32) * np.float32(1.0 / ratio)  # metres on the body -> skin-coordinate metres
    w = sample_atlas(layout, u, v)
    zone, flush, bare = w[:, 0], w[:, 1], w[:, 2]
    # mottling: two octaves, its troughs bluish-red (blood), stronger where the skin flushes
    amp = np.float32(variation.get("mottling", 0.05)) * (1 + 0.8 * np.float32(variation.get("redness", 0.5)) * flush) * bare
    m = np.zeros(len(u), np.float32)
    for cell, weight, k in ((0.03, 0.6, 0), (0.009, 0.4, 1)):
        ids = np.flatnonzero(fp < np.float32(cell))
        if len(ids):
            n = smooth_noise(u[ids], v[ids], cell, seed + 17 * k)
            m[ids] += np.float32(2 * weight) * (n - 0.5) * fade(fp[ids], cell)
    m *= amp
    f = np.stack([1 + np.float32(0.7) * m, 1 + m, 1 + np.float32(1.1) * m])  # (3, N): channel-first, contiguous
    # pore grain on bare skin: 1.5 mm cells, +-2.5 %
    ids = np.flatnonzero(fp < np.float32(0.0015))
    if len(ids):
        g = hash2(np.floor(u[ids] / np.float32(0.0015)), np.floor(v[ids] / np.float32(0.0015)), seed + 5) - 0.5
        f[:, ids] *= 1 + np.float32(0.05) * g * bare[ids] * fade(fp[ids], 0.0015)
    # freckles: small browner spots where the sun reaches, for some light-skinned people
    dens = float(variation.get("freckles", 0.0))
    if dens > 0:
        ids = np.flatnonzero((zone > 0.05) & (fp < np.float32(0.0084)))
        if len(ids):
            d = np.float32(min(1.0, dens * 6.0)) * zone[ids]
            on, mean = _dots(u[ids], v[ids], fp[ids], FRECKLE_CELL, d, 0.0012, 0.0028, seed + 40)
            for c, dark in enumerate((0.165, 0.22, 0.264)):
                f[c, ids] *= (1 - np.float32(dark) * on) / (1 - np.float32(dark) * mean)
    # blemishes: a few reddish spots
    b = float(variation.get("blemishes", 0.0))
    if b > 0:
        ids = np.flatnonzero((bare > 0.5) & (fp < np.float32(0.012)))
        if len(ids):
            on, mean = _dots(u[ids], v[ids], fp[ids], BLEMISH_CELL, b, 0.002, 0.004, seed + 60)
            for c, tint in enumerate((0.04, -0.12, -0.1)):
                f[c, ids] *= (1 + np.float32(tint) * on) / (1 + np.float32(tint) * mean)
    return f
