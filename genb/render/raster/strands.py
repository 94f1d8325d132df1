"""Hair in the G-buffer and its anisotropic highlight.

:func:`apply_hair` runs inside :func:`genb.render.raster.detail.apply_cloth` for the pixels of hair
meshes (strand coordinates from the texcoord pass): it gives them the strand albedo and the
hairline's blend into the skin (:func:`genb.render.dress.hair_texture.strand_albedo`), bends their
normals across the strands (the shading and ``control_normal.png`` see the strands), and records per
pixel the strand's tangent (:class:`StrandPixels`) for the shading.

:func:`kajiya_kay` is the highlight of a bundle of fibres (Kajiya and Kay 1989): its specular term
depends on the angle between the strand's *tangent* and the half vector, not on the normal, so hair
shows bands of light across the strands instead of a round highlight; as in Scheuermann's practical
form, a primary white lobe shifted towards the tip and a secondary lobe tinted by the hair's colour
shifted towards the root, the shifts jittered per strand. Pure, vectorised numpy.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class StrandPixels:
    """Hair pixels with a strand direction.

    Attributes:
        flat: (M,) int sorted flat pixel indices (row-major). tangent: (M, 3) float32 unit camera-frame
        strand directions. jitter: (M,) float32 per-strand shift of the highlight, in [-0.5, 0.5].
        share: (M,) float32 0..1 hair (0: the skin at the hairline: no highlight). u: (M,) float32
        strand coordinate across the strands, metres (None: unknown; the fringe's strands,
        :func:`soften_hair_edges`).
    """

    flat: np.ndarray
    tangent: np.ndarray
    jitter: np.ndarray
    share: np.ndarray
    u: np.ndarray | None = None


def strand_tangents(flat: np.ndarray, points: np.ndarray, u: np.ndarray, key: np.ndarray, width: int,
                    height: int) -> np.ndarray:
    """(N, 3) float32 unit camera-frame directions along which ``u`` stays constant (the strands) at
    N pixels (``flat``: sorted flat pixel indices), from screen-space differences of their camera-frame
    points (N, 3) and u (N,): with dP/dx, dP/dy and du/dx, du/dy, the direction ``dP/dx du/dy - dP/dy du/dx``
    changes no u. Each pixel is differenced with its right (else left) and lower (else upper) neighbour
    of the same surface ``key`` with u within 2 cm (not across the seam); where no neighbour is, the
    image's down direction. Oriented to point down the image."""
    grid = np.concatenate([points, u[:, None]], axis=1).astype(np.float32)
    col = flat % width
    dx = _step(flat, key, grid, 1, col < width - 1, col > 0)
    dy = _step(flat, key, grid, width, flat < (height - 1) * width, flat >= width)
    tk = dx[:, :3] * dy[:, 3:4] - dy[:, :3] * dx[:, 3:4]
    norm = np.sqrt(np.einsum("ij,ij->i", tk, tk))
    good = np.isfinite(norm) & (norm > 1e-12)
    t = np.zeros((len(flat), 3), np.float32)
    t[:, 1] = 1.0
    t[good] = tk[good] / norm[good, None]
    t *= np.where(t[:, 1] < 0, -1.0, 1.0).astype(np.float32)[:, None]
    return t


def _step(flat: np.ndarray, key: np.ndarray, grid: np.ndarray, offset: int, has_next: np.ndarray,
          has_prev: np.ndarray) -> np.ndarray:
    """(N, 4) forward differences of ``grid`` (N, 4: point and u) towards the pixel ``offset`` further
    (backward where that pixel is not among ``flat``, of another ``key`` or across a jump of u over
    2 cm), NaN where neither is. ``has_next``, ``has_prev``: (N,) the neighbours lie in the image."""

    def diff(sign: int, inside: np.ndarray) -> np.ndarray:
        target = flat + sign * offset
        pos = np.minimum(np.searchsorted(flat, target), len(flat) - 1)
        ok = inside & (flat[pos] == target) & (key[pos] == key)
        d = (grid[pos] - grid) if sign > 0 else (grid - grid[pos])
        ok &= np.abs(d[:, 3]) < 0.02
        d[~ok] = np.nan
        return d

    fwd = diff(1, has_next)
    missing = np.isnan(fwd[:, 0])
    if missing.any():
        fwd[missing] = diff(-1, has_prev)[missing]
    return fwd


SHELL_V = 0.5  # strand coordinates' v below this: a scalp shell's pixels (pieces and locks start at v = 1 and 2)


def meridian_tangents(tangent: np.ndarray, normal: np.ndarray, v: np.ndarray, key: np.ndarray) -> np.ndarray:
    """(M, 3) float32 strand directions of M hair pixels, smooth over a scalp shell's triangles.

    A shell's u is the azimuth around the crown's axis (:mod:`genb.render.dress.hair`), linear over
    each triangle, so the screen differences of :func:`strand_tangents` turn from one triangle to
    the next (the highlight showed the triangles as facets). Per person (``key``, (M,)) the axis is
    fitted to those tangents (the unit ``a`` most nearly in the plane of each tangent and its normal:
    the least eigenvector of the sum of (t x n)(t x n)^T) and each shell pixel (``v`` (M,) below
    :data:`SHELL_V`) takes the axis projected onto its tangent plane, ``a - (a.n) n``: a meridian
    from the crown on a round head, as smooth as the normals (``normal``, (M, 3) unit). Near the
    whorl (the projection under a quarter of a unit) and on pieces and locks, the differences stay.
    Oriented like the differences (down the image)."""
    out = tangent.copy()
    shell = v < SHELL_V
    for kk in np.unique(key[shell]):
        sel = np.flatnonzero(shell & (key == kk))
        if len(sel) < 16:
            continue
        w = np.cross(tangent[sel], normal[sel]).astype(np.float64)
        a = np.linalg.eigh(w.T @ w)[1][:, 0]
        nn = normal[sel].astype(np.float64)
        p = a[None, :] - (nn @ a)[:, None] * nn
        length = np.sqrt(np.einsum("ij,ij->i", p, p))
        ok = length > 0.25
        t = p[ok] / length[ok, None]
        t *= np.where(t[:, 1] < 0, -1.0, 1.0)[:, None]
        out[sel[ok]] = t.astype(np.float32)
    return out


def is_tail(mesh) -> bool:
    """Whether ``mesh`` (a :class:`~genb.render.dress.mesh.GarmentMesh`) is a ponytail's tube
    (:func:`genb.render.dress.pieces.hair_piece`), not the scalp shell of a ponytail style (the same
    name): its strand coordinates' v start at PIECE_V (a shell's run from 0 at its hairline)."""
    from genb.render.dress.hair import PIECE_V

    uv = getattr(mesh, "uv", None)
    return getattr(mesh, "name", None) == "hair:ponytail" and uv is not None and float(np.min(uv.uv[:, 1])) >= PIECE_V


def tail_axis(vertices: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """(R, 3) float32 unit directions of a ponytail's axis at its R rings, from the tie to the tip, in the
    frame ``rotation`` (3, 3) turns world directions into (the camera's): the centres of the tube's rings
    (``vertices`` (R BINS, 3) world, :func:`genb.render.dress.ponytail.ponytail_mesh`: each ring an ellipse
    sampled at even phases, so its mean is its centre), differenced (central, one-sided at the ends)."""
    from genb.render.dress.ponytail import BINS

    c = np.asarray(vertices, np.float64).reshape(-1, BINS, 3).mean(axis=1)
    t = np.gradient(c, axis=0) @ np.asarray(rotation, np.float64).T
    return (t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def tail_tangents(tangent: np.ndarray, normal: np.ndarray, v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """(M, 3) float32 strand directions of M hair pixels of a person with a ponytail, smooth over its tube.

    The tube's strand coordinate v is linear over each triangle, so the screen differences of
    :func:`strand_tangents` are one direction a triangle and the highlight stepped from triangle to
    triangle along and around the tail. Each ponytail pixel (v from PIECE_V to LOCK_V, the tube's
    :func:`genb.render.dress.hair.tube_map`) takes instead the tail's ``axis`` ((R, 3), :func:`tail_axis`)
    interpolated linearly between its rings at that v, projected onto the pixel's tangent plane
    (``normal`` (M, 3) unit, interpolated from the vertices): as continuous as v and the normals, and
    pointing from the tie to the tip. Other pixels, and where the axis runs along the normal (the
    projection under a quarter of a unit: the tail seen end on), keep ``tangent`` (M, 3)."""
    from genb.render.dress.hair import LOCK_V, PIECE_V, PONYTAIL_LENGTH

    out = tangent.copy()
    on = np.flatnonzero((v >= PIECE_V) & (v < LOCK_V))
    if not len(on):
        return out
    rings = len(axis)
    s = np.clip((v[on].astype(np.float64) - PIECE_V) * ((rings - 1) / PONYTAIL_LENGTH), 0.0, rings - 1.0)
    i = np.minimum(np.floor(s).astype(np.int64), rings - 2)
    f = (s - i)[:, None]
    a = (1.0 - f) * axis[i].astype(np.float64) + f * axis[i + 1].astype(np.float64)
    n = normal[on].astype(np.float64)
    p = a - np.einsum("ij,ij->i", a, n)[:, None] * n
    length = np.sqrt(np.einsum("ij,ij->i", p, p))
    ok = length > 0.25
    out[on[ok]] = (p[ok] / length[ok, None]).astype(np.float32)
    return out


def apply_hair(fabrics: dict, keys: np.ndarray, ids: np.ndarray, flat: np.ndarray, uv: np.ndarray,
               footprint: np.ndarray, n: np.ndarray, ray: np.ndarray, z: np.ndarray, width: int,
               height: int, shown=None) -> tuple[np.ndarray, np.ndarray, StrandPixels]:
    """The hair pixels ``ids`` (indices into apply_cloth's N textured pixels, sorted): their sRGB
    albedo (M, 3) 0..1, bent unit normals (M, 3) and :class:`StrandPixels`.

    Args:
        fabrics: {(instance, part): record} (hair records: :func:`genb.render.dress.hair.hair_record`).
        keys: (N,) instance << 8 | part per pixel. flat: (N,) flat pixel indices. uv: (N, 2) strand
        coordinates, metres. footprint: (N,) metres. n: (N, 3) unit camera-frame normals. ray: (N, 3)
        unit camera rays. z: (N,) depth, metres. width, height: the image's size. shown: a function of
        indices into the N pixels giving the (M, 3) linear albedo the colour pass drew there (facial hair
        blends into it: the skin under it), or None.
    """
    from genb.render.dress.hair_texture import strand_albedo
    from genb.render.raster.colour import linear_to_srgb
    from genb.render.raster.normals import bend_normals

    M = len(ids)
    lin = np.empty((M, 3), np.float32)
    slope = np.empty(M, np.float32)
    jitter = np.empty(M, np.float32)
    share = np.empty(M, np.float32)
    k = keys[ids]
    for key in np.unique(k):
        sel = np.flatnonzero(k == key)
        g = ids[sel]
        fabric = fabrics[(int(key) >> 8, int(key) & 255)]
        under = shown(g) if shown is not None and fabric.get("facial") else None
        lin[sel], slope[sel], jitter[sel], share[sel] = strand_albedo(fabric, uv[g, 0], uv[g, 1], footprint[g], under)
    pts = ray[ids] * (z[ids] / ray[ids, 2])[:, None]
    nn = n[ids]
    tangent = meridian_tangents(strand_tangents(flat[ids], pts, uv[ids, 0], k, width, height), nn, uv[ids, 1], k)
    for key in np.unique(k):  # a ponytail: along its axis, smooth over the tube's triangles
        axis = fabrics[(int(key) >> 8, int(key) & 255)].get("tail")
        if axis is not None:
            sel = np.flatnonzero(k == key)
            tangent[sel] = tail_tangents(tangent[sel], nn[sel], uv[ids[sel], 1], axis)
    across = np.stack([nn[:, 1] * tangent[:, 2] - nn[:, 2] * tangent[:, 1], nn[:, 2] * tangent[:, 0] - nn[:, 0] * tangent[:, 2],
                       nn[:, 0] * tangent[:, 1] - nn[:, 1] * tangent[:, 0]], axis=1)
    bent = bend_normals(nn, across, tangent, slope, np.zeros_like(slope))
    return linear_to_srgb(lin), bent, StrandPixels(flat[ids], tangent, jitter, share,
                                                   uv[ids, 0].astype(np.float32))


# ----------------------------------------------------------------------------- the highlight
PRIMARY = (0.07, 120.0, -0.12)  # (strength, exponent, shift along the normal) of the white lobe
SECONDARY = (0.3, 30.0, 0.1)  # the colour-tinted lobe (strength times the albedo)
JITTER = 0.16  # per-strand shift of both lobes
SKY_SHEEN = 0.15  # the sky's lobes relative to the sun's (a band lit from overhead)


class _Tilts:
    """The light-independent part of the two lobes at M strand pixels: each lobe's tangent tilted by its
    shift (plus the per-strand jitter) towards the normal, T' = (T + shift N) / |T + shift N|, kept as
    the shift and 1 / |T + shift N| (from T.N: |T + s N|^2 = 1 + s (2 T.N + s) for unit T, N)."""

    def __init__(self, tangent: np.ndarray, normal: np.ndarray, jitter: np.ndarray):
        self.tangent, self.normal = tangent, normal
        tn2 = np.float32(2) * np.einsum("ij,ij->i", tangent, normal)
        j = np.float32(JITTER) * jitter
        self.shifts = [np.float32(PRIMARY[2]) + j, np.float32(SECONDARY[2]) + j]
        self.inv = [np.float32(1) / np.sqrt(np.maximum(np.float32(1) + s * (tn2 + s), np.float32(1e-12)))
                    for s in self.shifts]

    def lobes(self, view: np.ndarray, light: np.ndarray, albedo: np.ndarray) -> np.ndarray:
        """(M, 3) float32 the two lobes for a light from ``light`` (3,) seen from ``view`` (M, 3)
        (:func:`kajiya_kay`)."""
        light = np.asarray(light, np.float32)
        h = view + light[None, :]
        inv_h = np.float32(1) / np.sqrt(np.maximum(np.einsum("ij,ij->i", h, h), np.float32(1e-12)))
        th = np.einsum("ij,ij->i", self.tangent, h) * inv_h
        nh = np.einsum("ij,ij->i", self.normal, h) * inv_h
        out = []
        for (strength, exponent, _), shift, inv in zip((PRIMARY, SECONDARY), self.shifts, self.inv):
            c = (th + shift * nh) * inv  # cos(T', H)
            out.append(np.maximum(np.float32(1) - c * c, np.float32(0)) ** np.float32(exponent / 2) * np.float32(strength))
        facing = np.clip((self.normal @ light + np.float32(0.2)) * np.float32(1 / 1.2), 0.0, 1.0)
        return ((out[0] * facing)[:, None] + (out[1] * facing)[:, None] * albedo).astype(np.float32)


def kajiya_kay(tangent: np.ndarray, normal: np.ndarray, view: np.ndarray, light: np.ndarray, albedo: np.ndarray,
               jitter: np.ndarray) -> np.ndarray:
    """(M, 3) float32 specular reflectance of hair fibres for a light from ``light`` (3,) (unit), seen
    from ``view`` (M, 3) (unit, towards the camera): the two shifted Kajiya-Kay lobes (sin(T', H)^p with
    T' the tangent tilted towards the normal), times the cosine of the light to the normal (softened:
    fibres also light a little past the terminator).

    Args:
        tangent, normal: (M, 3) unit strand directions and normals. albedo: (M, 3) linear hair colour.
        jitter: (M,) per-strand shift in [-0.5, 0.5].
    """
    return _Tilts(tangent, normal, jitter).lobes(view, light, albedo)


def strand_highlight(strands: StrandPixels, at: np.ndarray, albedo: np.ndarray, normals: np.ndarray,
                     rays: np.ndarray, l_cam: np.ndarray, sun: np.ndarray, sun_visibility: np.ndarray,
                     up_cam: np.ndarray, sky: np.ndarray, occlusion: np.ndarray) -> np.ndarray:
    """(M, 3) float32 linear radiance of the hair highlight at M strand pixels: the sun's Kajiya-Kay
    lobes times its visibility, plus a broad sheen from the sky overhead (``sky``: (M, 3) the sky's
    irradiance / pi there) times the ambient occlusion.

    Args:
        at: (M,) indices of the strand pixels among ``strands`` (those the shading lights).
        albedo, normals, rays: (M, 3) linear albedo, unit normals, unit camera rays. l_cam, up_cam: (3,)
        camera-frame directions to the sun and up. sun: (3,) the sun's radiance. sun_visibility,
        occlusion: (M,).
    """
    t = strands.tangent[at]
    jit = strands.jitter[at]
    view = -rays
    tilts = _Tilts(t, normals, jit)  # shared by the sun's and the sky's lobes
    spec = tilts.lobes(view, l_cam, albedo) * (sun_visibility[:, None] * sun[None, :])
    sheen = tilts.lobes(view, up_cam, albedo) * (np.float32(SKY_SHEEN) * occlusion)[:, None] * sky
    return (spec + sheen) * (strands.share[at] ** 2)[:, None]  # the hairline's thin hair: little sheen
