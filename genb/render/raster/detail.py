"""Per-pixel surface detail over the G-buffer: cloth patterns and detail normals.

:func:`apply_cloth` takes the texcoord pass (:mod:`genb.render.raster.texcoord_pass`) and gives every
pixel of a patterned garment its pattern's albedo (:func:`genb.render.dress.fabric.pattern_albedo`,
prefiltered by the pixel's footprint) and bends its normal by the cloth's relief
(:func:`genb.render.dress.fabric.pattern_slopes`): the colour pass drew the fabric's mean colour, so
the pattern is added per pixel (anti-aliased edges keep their coverage's share), with the garment's
seams, hems and stitching (:func:`genb.render.dress.seams.apply_seams`). The normals are
changed in the label pass's encoded normals, so the shading and the normal control map see the
same detail; depth, instances and parts are not touched.

The shared steps (encoded normals, :func:`~genb.render.raster.normals.bend_normals`) are in
:mod:`genb.render.raster.normals`. Pure functions over numpy arrays.
"""

from __future__ import annotations

import numpy as np

from genb.render.raster.colour import decode_srgb, encode_lut, linear_to_srgb
from genb.render.raster.normals import bend_normals, decode_normals, encode_normals
from genb.render.dress.fabric import decode_texcoords, pattern_albedo, pattern_mean, pattern_slopes
from genb.render.dress.seams import apply_seams, local_frame
from genb.render.dress.skin_texture import EYE_LIMIT_M


def surface_directions(flat: np.ndarray, points: np.ndarray, uv: np.ndarray, key: np.ndarray,
                       width: int, height: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3), (N, 3) camera-frame dP/du and dP/dv at N pixels (NaN where unknown), from
    screen-space differences of their camera-frame points and cloth coordinates.

    Each pixel is differenced with its right (else left) and lower (else upper) neighbour when
    that neighbour is among the N pixels, has the same surface ``key`` and cloth coordinates
    within 2 cm (not across a seam).

    Args:
        flat: (N,) sorted flat pixel indices (row-major, ``width`` columns, ``height`` rows).
        points: (N, 3) camera-frame points. uv: (N, 2) cloth coordinates. key: (N,) surface ids.
        subset: (M,) indices into the N pixels to compute (default all); results are (M, 3).
    """
    field = np.concatenate([points, uv], axis=1).astype(np.float32)
    at = np.arange(len(flat)) if subset is None else subset
    here, key_here, f_here = flat[at], key[at], field[at]
    col = here % width
    where = np.full(width * height + 1, -1, np.int32)  # pixel -> its index among the N (-1: none; last: outside)
    where[flat] = np.arange(len(flat), dtype=np.int32)

    def diff(step: int, inside: np.ndarray) -> np.ndarray:
        out = np.full((len(at), 5), np.nan, np.float32)
        rows = np.arange(len(at))
        for sign in (1, -1):  # forward first, backward where forward is missing (those rows alone)
            target = here[rows] + sign * step
            j = where[np.where((target >= 0) & (target < width * height), target, width * height)]
            ok = (j >= 0) & (key[j] == key_here[rows])
            ok &= inside[rows] if sign == 1 else _inside_back(step, col[rows], here[rows], width)
            d = (field[j] - f_here[rows]) * np.float32(sign)
            ok &= np.maximum(np.abs(d[:, 3]), np.abs(d[:, 4])) < 0.02
            out[rows[ok]] = d[ok]
            rows = rows[np.isnan(out[rows, 0])]  # (as the mask of unfilled rows would say)
        return out

    dx = diff(1, col < width - 1)
    dy = diff(width, here < (height - 1) * width)
    Px, Py = dx[:, :3], dy[:, :3]
    ux, vx, uy, vy = dx[:, 3], dx[:, 4], dy[:, 3], dy[:, 4]
    det = ux * vy - uy * vx
    det = np.where(np.abs(det) > 1e-12, det, np.nan)
    dPdu = (Px * vy[:, None] - Py * vx[:, None]) / det[:, None]
    dPdv = (Py * ux[:, None] - Px * uy[:, None]) / det[:, None]
    return dPdu, dPdv


def _skin_delta(col: np.ndarray, cov: np.ndarray, record: dict, u: np.ndarray, v: np.ndarray,
                fp: np.ndarray, part: int) -> np.ndarray:
    """(N, 3) float32 sRGB change (0..1) of skin pixels of body part ``part`` (colour-pass values ``col``
    (N, 3) uint8, coverage ``cov`` (N,)) under the person's skin texture (:func:`genb.render.dress.skin_texture.skin_factor`)."""
    from genb.render.dress.skin_texture import skin_factor

    src = col.T.astype(np.float32, order="C")  # (3, N): channel-first, contiguous
    alb = np.clip(src * (np.float32(1 / 255) / np.maximum(cov, np.float32(1 / 255))), 0.0, 1.0)
    lin = decode_srgb(alb)
    f = skin_factor(record["layout"], record["variation"], u, v, fp, part)
    return (encode_lut(lin * f) - encode_lut(lin)).T


def _drawn(col: np.ndarray, cov: np.ndarray, flat: np.ndarray):
    """A function of indices ``at`` into the textured pixels ``flat`` (N,) giving the (M, 3) float32 linear
    albedo the colour pass drew there (``col`` (P, 3) uint8 premultiplied by the coverage ``cov`` (P,)):
    the skin under facial hair (:func:`genb.render.dress.hair_texture.facial_albedo`)."""

    def shown(at: np.ndarray) -> np.ndarray:
        a = np.maximum(cov[flat[at]], np.float32(1 / 255))[:, None]
        return decode_srgb(np.clip(col[flat[at]] * (np.float32(1 / 255) / a), 0.0, 1.0)).astype(np.float32)

    return shown


def _fabric_detail(fabric: dict, u: np.ndarray, v: np.ndarray, fp: np.ndarray, relief: bool,
                   col: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, 3) float32 sRGB change of a garment's N pixels by its pattern and its seams
    (:func:`genb.render.dress.seams.apply_seams`, for records with ``seams``), and its relief's slopes
    dh/du, dh/dv (N,) (zero without ``relief``). A solid garment (drawn per pixel for its seams only)
    keeps its colour-pass values ``col`` (N, 3) uint8 (coverage ``cov`` (N,)) everywhere else."""
    if fabric.get("pattern", "solid") == "solid":
        srgb, su, sv = np.zeros((len(u), 3), np.float32), np.zeros_like(u), np.zeros_like(u)

        def shown(at):  # (M, 3) linear albedo the colour pass drew there
            a = np.maximum(cov[at], np.float32(1 / 255))[:, None]
            return decode_srgb(np.clip(col[at] * (np.float32(1 / 255) / a), 0.0, 1.0)).astype(np.float32)
        got = apply_seams(fabric, u, v, fp, shown)
        if got is not None:
            at, alb, dsu, dsv = got
            srgb[at] = encode_lut(alb) - encode_lut(shown(at))
            if relief:
                su[at], sv[at] = dsu, dsv
        return srgb, su, sv
    local = local_frame(u, v)  # (regions, u, v): the pattern in each region's own coordinates: mirrored legs meet at the rise
    _, ul, vl = local
    alb = pattern_albedo(fabric, ul, vl, fp)
    got = apply_seams(fabric, u, v, fp, lambda at: alb[at], local) if "seams" in fabric else None
    su, sv = pattern_slopes(fabric, ul, vl, fp) if relief else (np.zeros_like(u), np.zeros_like(u))
    if got is not None:
        at, alb[at], dsu, dsv = got
        if relief:
            su, sv = su.copy(), sv.copy()
            su[at] += dsu
            sv[at] += dsv
    return linear_to_srgb(alb) - pattern_mean(fabric)[None], su, sv


def _inside_back(step: int, col: np.ndarray, flat: np.ndarray, width: int) -> np.ndarray:
    return col > 0 if step == 1 else flat >= width


def _cloth_pixels(out, texcoords: np.ndarray, tex_depth: np.ndarray, fabrics: dict, K: np.ndarray):
    """The pixels :func:`apply_cloth` draws: those of the ``fabrics``' (instance, part) pairs where the
    texcoord pass saw the labels' surface; None if there are none. Returns (N,) flat indices, (N,)
    depths, (N, 2) cloth coordinates, (N, 3) camera-frame normals, (N, 3) unit rays, (N,) metres per
    pixel on the surface, (N,) (instance << 8 | part) keys."""
    W = out.depth.shape[1]
    key = ((out.instances.astype(np.int32) << 8) | out.parts).ravel()
    wanted = np.zeros(1 << 16, bool)
    wanted[[(int(i) << 8) | int(p) for i, p in fabrics]] = True
    flat = np.flatnonzero(wanted[key])
    z = out.depth.ravel()[flat]
    zt = tex_depth.ravel()[flat]
    keep = (zt > 0) & (np.abs(zt - z) <= 2e-3 * z + 1e-3)  # the same surface as the labels'
    flat, z = flat[keep], z[keep]
    if not len(flat):
        return None
    uv = decode_texcoords(texcoords.reshape(-1, 4)[flat])
    n = decode_normals(out.normals.reshape(-1, 3)[flat])
    ray = np.ones((len(flat), 3), np.float32)
    ray[:, 0] = ((flat % W).astype(np.float32) - np.float32(K[0, 2])) * np.float32(1 / K[0, 0])
    ray[:, 1] = ((flat // W).astype(np.float32) - np.float32(K[1, 2])) * np.float32(1 / K[1, 1])
    ray /= np.sqrt(np.einsum("ij,ij->i", ray, ray))[:, None]
    footprint = z / np.float32(K[0, 0]) / np.maximum(np.abs(np.einsum("ij,ij->i", n, ray)), np.float32(0.25))
    return flat, z, uv, n, ray, footprint, key[flat]


def apply_cloth(out, texcoords: np.ndarray, tex_depth: np.ndarray, fabrics: dict, K: np.ndarray,
                relief: bool = True) -> int:
    """Draw patterned garments per pixel into a :class:`genb.render.raster.gl.RasterOutput` (in place:
    ``color`` gets the pattern, ``normals`` the cloth's relief). Returns the number of pixels.

    Args:
        out: the decoded passes. texcoords, tex_depth: the texcoord pass's (H, W, 4) uint8 and depth.
        fabrics: {(instance, part id): garment record} of the patterned pieces; a record with
            ``pattern: "eyes"`` (``iris``, ``skin``) paints the eyes of that person's head per pixel
            (:func:`genb.render.dress.face.eye_albedo`); one with ``pattern: "skin"`` (``layout``,
            ``variation``, on a large head also ``eyes``) gives a body part its skin texture
            (:func:`genb.render.dress.skin_texture.skin_factor`; eye pixels: skin coordinates below
            ``EYE_LIMIT_M``).
        K: (3, 3) intrinsics. relief: bend the normals too.
    """
    if not fabrics:
        return 0
    H, W = out.depth.shape
    pixels = _cloth_pixels(out, texcoords, tex_depth, fabrics, K)
    if pixels is None:
        return 0
    flat, z, uv, n, ray, footprint, keys = pixels
    col_all, cov_all = out.color.reshape(-1, 3), out.coverage.ravel()
    srgb = np.empty((len(flat), 3), np.float32)
    s_u = np.zeros(len(flat), np.float32)
    s_v = np.zeros(len(flat), np.float32)
    replace = np.zeros(len(flat), bool)  # eyes: painted over the skin, not added to a mean
    hair = []
    order = np.argsort(keys, kind="stable")  # the pixels grouped by key, each group in ascending order
    uniq, starts = np.unique(keys.take(order), return_index=True)
    for k, ids in zip(uniq, np.split(order, starts[1:])):
        fabric = fabrics[(int(k) >> 8, int(k) & 255)]
        if fabric.get("pattern") == "hair":  # strands, after the loop (genb.render.raster.strands)
            hair.append(ids)
            continue
        u, v, fp = uv[ids, 0], uv[ids, 1], footprint[ids]
        if fabric.get("pattern") == "skin":  # the skin texture (and, on a large head, its eyes)
            eye = fabric.get("eyes")
            on_eye = (u < np.float32(EYE_LIMIT_M)) if eye is not None else np.zeros(len(ids), bool)
            sk = ids[~on_eye]
            srgb[sk] = _skin_delta(col_all[flat[sk]], cov_all[flat[sk]], fabric, u[~on_eye], v[~on_eye], fp[~on_eye],
                                   int(k) & 255)
            ids, u, v, fp, fabric = ids[on_eye], u[on_eye], v[on_eye], fp[on_eye], eye
            if not len(ids):
                continue
        if fabric.get("pattern") == "eyes":
            from genb.render.dress.face import eye_albedo

            srgb[ids] = eye_albedo(u, v, fp, fabric["iris"], fabric["skin"])
            replace[ids] = True
            continue
        srgb[ids], s_u[ids], s_v[ids] = _fabric_detail(fabric, u, v, fp, relief, col_all[flat[ids]], cov_all[flat[ids]])
    bent = None
    if hair:
        from genb.render.raster.strands import apply_hair

        h = np.sort(np.concatenate(hair))
        srgb[h], bent, out.strands = apply_hair(fabrics, keys, h, flat, uv, footprint, n, ray, z, W, H,
                                                _drawn(col_all, cov_all, flat))
        replace[h] = True
    a = out.coverage.ravel()[flat]
    col = out.color.reshape(-1, 3)  # a view: the colour buffer is contiguous
    base = np.where(replace[:, None], np.float32(0), col[flat].astype(np.float32))
    col[flat] = np.clip(base + srgb * (a * 255)[:, None] + 0.5, 0, 255).astype(np.uint8)
    out.color = col.reshape(H, W, 3)  # (the same array unless the buffer was not contiguous)
    bumpy = np.flatnonzero((s_u != 0) | (s_v != 0))  # relief finer than a pixel is flat: skipped
    if relief and len(bumpy):
        pts = ray * (z / ray[:, 2])[:, None]  # camera-frame points
        t_u, t_v = surface_directions(flat, pts, uv, keys, W, H, bumpy)
        ok = np.isfinite(t_u).all(axis=1) & np.isfinite(t_v).all(axis=1)
        g = bumpy[ok]
        nrm = out.normals.reshape(-1, 3)
        nrm[flat[g]] = encode_normals(bend_normals(n[g], t_u[ok], t_v[ok], s_u[g], s_v[g]))
        out.normals = nrm.reshape(H, W, 3)
    if bent is not None and relief:
        nrm = out.normals.reshape(-1, 3)
        nrm[flat[h]] = encode_normals(bent)
        out.normals = nrm.reshape(H, W, 3)
    return len(flat)
