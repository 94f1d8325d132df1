"""Hair geometry helpers: strand coordinates over hair shells and pieces, the hairline's taper,
curl volume, and the per-person hair record the per-pixel strand texture reads.

A hair mesh carries *strand coordinates* (a :class:`~genb.render.dress.texcoords.ClothMap`, drawn
through the texcoord pass like a cloth pattern, :mod:`genb.render.raster.texcoord_pass`):

- ``u`` (metres) runs *across* the strands: on a scalp shell the azimuth around an axis from the
  head's centre through the crown (the whorl, top-back of the head) times :data:`U_RADIUS`, so a
  line of constant ``u`` runs from the crown down to the hairline (or down the back): the strand's
  direction. Its seam (where the azimuth wraps) lies on the top of the head at the front, a parting.
- ``v`` (metres) is the distance to the hairline (0 on the edge over the forehead, the temples and
  the nape): the per-pixel texture blends the hair into the skin over the last 1-2 cm
  (:func:`genb.render.dress.hair_texture.strand_albedo`). Pieces (ponytails, buns) and the parts of
  a shell far from any hairline have a large ``v``.

Everything here is computed once per cached shell (strand coordinates, taper) or per person from
the hair record alone (curl lumps: deterministic, no random stream).
"""

from __future__ import annotations

import zlib

import numpy as np

from genb.render.dress.hair_volume import shaped, volume
from genb.render.dress.hairline import cap_press
from genb.render.dress.texcoords import ClothMap
from genb.render.raster.procedural import hash2
from genb.render.dress.vec import norm

U_RADIUS = 0.1  # metres of u per radian of azimuth around the crown axis
CROWN = np.array([0.0, -0.035, 0.115])  # head frame (x left, y forward, z up; ears' midpoint), metres
CENTRE = np.array([0.0, 0.0, 0.02])
PIECE_V = 1.0  # v of pieces: far from any hairline
# long hair's locks: their v starts at LOCK_V (a lock's pixels are told apart: the strand texture shades their
# sides), their u runs LOCK_TURN metres once around a lock (the flattened ring's sides at u = 0 and LOCK_TURN / 2)
LOCK_V, LOCK_TURN = 2.0, 0.11
PONYTAIL_NODES, PONYTAIL_LENGTH = 17, 0.26  # a ponytail: a chain of nodes from its tie, falling under gravity, metres long
TAPER_M = 0.025  # the hair thins to :data:`EDGE_LIFT` of its thickness over this distance to the hairline
EDGE_LIFT = 0.2
# clumps of the hair's thickness: (across m, along m) and their share of the thickness; a few patterns per shell
TUFT_ACROSS, TUFT_ALONG, TUFT_SHARE, TUFT_VARIANTS = 0.018, 0.045, 0.6, 4
LONG_TUFTS = 0.25  # long hair's clumps' share instead (its weight lays it flat: no spiky crown)
CURL_CELL, CURL_SHARE = 0.016, 0.45  # curly styles' small curl clusters (metres, share of the thickness)
ROUND_CURLS = 0.25  # a curl's lump share from which its hair has round curls instead of clumps along the strands
# curl of a style: (amplitude m, wavelength m) of the strands' wave across, and the lumps' share of the
# thickness (low-frequency volume)
CURLS = {"straight": (0.0, 1.0, 0.0), "wavy": (0.004, 0.05, 0.12), "curly": (0.003, 0.014, 0.3),
         "coily": (0.0015, 0.005, 0.35)}


def hair_seed(hair: dict) -> int:
    """A person's hair seed from the outfit's hair record (its style, colour and drawn thickness):
    deterministic, so no random stream is drawn from."""
    key = f"{hair.get('style')}|{hair.get('color')}|{float(hair.get('thickness', 0.0)):.6f}"
    return zlib.crc32(key.encode()) & 0x7FFFFFFF


def _crown_axes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = CROWN - CENTRE
    a = a / np.linalg.norm(a)
    back = np.array([0.0, -1.0, 0.0])
    e1 = back - (back @ a) * a
    e1 /= np.linalg.norm(e1)
    return a, e1, np.cross(a, e1)


def crown_u(head_xyz: np.ndarray) -> np.ndarray:
    """(N,) u (metres, across the strands) of points in the head frame (N, 3): azimuth around the
    crown axis times :data:`U_RADIUS`; 0 at the back, +-pi U_RADIUS at the front (the seam)."""
    a, e1, e2 = _crown_axes()
    d = np.asarray(head_xyz, np.float64) - CENTRE
    return np.arctan2(d @ e2, d @ e1) * U_RADIUS


def seamed_map(faces: np.ndarray, uv: np.ndarray, turn: float) -> ClothMap:
    """A :class:`ClothMap` of a mesh whose ``u`` wraps every ``turn`` metres: a face straddling the
    wrap gets its own copies of its low corners, one turn further along u (no triangle
    interpolates across the jump)."""
    f = np.asarray(faces, np.int64)
    n = len(uv)
    cu = uv[f].copy()
    low = cu[..., 0] < cu[..., 0].max(axis=1, keepdims=True) - 0.5 * turn
    cu[..., 0] += np.where(low, turn, 0.0)
    fi, ci = np.nonzero(low)
    out = f.copy()
    out[fi, ci] = n + np.arange(len(fi))
    return ClothMap(np.concatenate([np.arange(n), f[fi, ci]]), out, np.concatenate([uv, cu[fi, ci]]))


def boundary_vertices(faces: np.ndarray, rest: np.ndarray | None = None) -> np.ndarray:
    """(B,) sorted ids of the vertices on a mesh's open border (edges used by one face only).

    ``rest``: (N, 3) positions; vertices at the same place (within 0.01 mm) count as one, so the body
    mesh's own seams (split vertices) and a hem's strip (copies of the border) are no border; the
    strip's far edge and the border it hangs from then both count."""
    f = np.asarray(faces, np.int64)
    ids = np.arange(f.max() + 1 if len(f) else 0)
    if rest is not None:
        _, ids = np.unique(np.round(np.asarray(rest, np.float64) / 1e-5).astype(np.int64), axis=0, return_inverse=True)
        ids = ids.ravel()
    w = ids[f]
    w = w[(w[:, 0] != w[:, 1]) & (w[:, 1] != w[:, 2]) & (w[:, 2] != w[:, 0])]  # a hem strip's faces fold flat
    e = np.sort(np.concatenate([w[:, [0, 1]], w[:, [1, 2]], w[:, [2, 0]]]), axis=1)
    edges, counts = np.unique(e, axis=0, return_counts=True)
    on = np.zeros(int(ids.max()) + 1 if len(ids) else 0, bool)
    on[edges[counts == 1].ravel()] = True
    return np.flatnonzero(on[ids])


class ShellStrands:
    """Strand coordinates and hairline taper of one cached hair shell (G shell vertices).

    Attributes:
        map: the :class:`ClothMap` (u across the strands, v the distance to the hairline, metres).
        taper: (G,) 0..1 share of the hair's thickness a vertex keeps (thinning to the hairline).
        head: (G,) rest positions in the head frame, metres (for the curl lumps).
    """

    def __init__(self, shell, atlas, hairline_top: float | None = None):
        """``hairline_top``: border vertices above this head-frame height are not a hairline (the
        top edge of hair under a cap); None: every border vertex on the head is."""
        head = np.asarray(shell.blend @ atlas.head, np.float64)
        u = crown_u(head)
        edge = boundary_vertices(shell.faces, shell.rest)
        keep = head[edge, 2] > -0.12  # the bottom of hair hanging down the back is no hairline
        if hairline_top is not None:
            keep &= head[edge, 2] < hairline_top
        edge = edge[keep]
        if len(edge):
            from scipy.spatial import cKDTree

            v, _ = cKDTree(np.asarray(shell.rest)[edge]).query(np.asarray(shell.rest), k=1)
        else:
            v = np.full(len(u), PIECE_V)
        v = np.minimum(v, PIECE_V)
        self.map = seamed_map(shell.faces, np.stack([u, v], 1), 2 * np.pi * U_RADIUS)
        self.taper = EDGE_LIFT + (1 - EDGE_LIFT) * np.clip(v / TAPER_M, 0.0, 1.0) ** 0.7
        self.head = head
        self._u, self._along = u, np.linalg.norm(head - CROWN, axis=1)
        self._tufts: dict[int, np.ndarray] = {}
        self._curls: dict[tuple, np.ndarray] = {}
        self._volume: dict[str, np.ndarray] = {}

    def volume(self, hairline: str) -> np.ndarray:
        """(G,) read-only share of the thickness the cut keeps over the head (more on the top than over the
        sides and the nape: :func:`~genb.render.dress.hair_volume.volume`), computed once per hairline."""
        got = self._volume.get(hairline)
        if got is None:
            got = volume(self.head, hairline)
            got.setflags(write=False)
            self._volume[hairline] = got
        return got

    def tufts(self, seed: int) -> np.ndarray:
        """(G,) read-only factor on the hair's thickness: :attr:`taper` times 1 + :data:`TUFT_SHARE` x a
        smooth noise in [-1, 1] of clumps :data:`TUFT_ACROSS` metres across and :data:`TUFT_ALONG` metres
        along the strands (cells in u, wrapping around the crown, and in the distance from the crown),
        one of :data:`TUFT_VARIANTS` patterns picked by ``seed`` (each computed once per shell)."""
        k = int(seed) % TUFT_VARIANTS
        if k not in self._tufts:
            f = self.taper * (1.0 + TUFT_SHARE * clump_noise(self._u, self._along, k))
            f.setflags(write=False)
            self._tufts[k] = f
        return self._tufts[k]


    def curls(self, seed: int, share: float) -> np.ndarray:
        """(G,) read-only factor on a curly style's thickness: 1 + ``share`` x lumps of volume
        (:func:`lumps`, 4.5 cm) + :data:`CURL_SHARE` x clusters of curls (:data:`CURL_CELL`), one of
        :data:`TUFT_VARIANTS` patterns per shell picked by ``seed``."""
        key = (int(seed) % TUFT_VARIANTS, float(share))
        got = self._curls.get(key)
        if got is None:
            k = key[0]
            got = 1.0 + share * lumps(self.head, k) + CURL_SHARE * lumps(self.head, k + 17, CURL_CELL)
            got.setflags(write=False)
            self._curls[key] = got
        return got


def tuft_noise(u: np.ndarray, along: np.ndarray, seed: int) -> np.ndarray:
    """(N,) float64 smooth 2D value noise in [-1, 1] over cells of :data:`TUFT_ACROSS` (in ``u``, metres,
    wrapping once around the crown) by :data:`TUFT_ALONG` (in ``along``, metres)."""
    around = max(int(round(2 * np.pi * U_RADIUS / TUFT_ACROSS)), 1)
    x = (np.asarray(u, np.float64) / (2 * np.pi * U_RADIUS) + 0.5) * around
    y = np.asarray(along, np.float64) / TUFT_ALONG
    i, j = np.floor(x), np.floor(y)
    f, e = x - i, y - j
    f, e = f * f * (3 - 2 * f), e * e * (3 - 2 * e)
    i0, i1 = np.mod(i, around), np.mod(i + 1, around)
    a, b = hash2(i0, j, seed + 41), hash2(i1, j, seed + 41)
    c, d = hash2(i0, j + 1, seed + 41), hash2(i1, j + 1, seed + 41)
    lo, hi = a + (b - a) * f, c + (d - c) * f
    return 2.0 * (lo + (hi - lo) * e).astype(np.float64) - 1.0


def clump_noise(u: np.ndarray, along: np.ndarray, seed: int) -> np.ndarray:
    """(N,) float64 in [-1, 1]: clumps of strands, narrow crests along the strands with grooves
    between them (ridged :func:`tuft_noise`: crests where the noise crosses zero), two octaves (the
    second half the size), so the hair's outline breaks into tufts rather than smooth waves."""
    big = 1.0 - np.abs(tuft_noise(u, along, seed))
    small = 1.0 - np.abs(tuft_noise(2.0 * u, 2.0 * along, seed + 7))
    return 2.0 * (0.7 * big * big + 0.3 * small * small) - 1.0


def shell_strands(shell, atlas, hairline_top: float | None = None) -> ShellStrands:
    """The :class:`ShellStrands` of a hair shell (cached on the shell)."""
    cached = getattr(shell, "_strands", None)
    if cached is None:
        cached = ShellStrands(shell, atlas, hairline_top)
        shell._strands = cached
    return cached


def lumps(head: np.ndarray, seed: int, cell: float = 0.045) -> np.ndarray:
    """(N,) smooth 3D value noise in [-1, 1] over cells of ``cell`` metres at head-frame points (N, 3)
    (trilinear between hashed lattice values; the same bits in every process)."""
    p = np.asarray(head, np.float64) / cell
    i = np.floor(p)
    f = p - i
    s = f * f * (3 - 2 * f)
    out = np.zeros(len(p))
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                h = hash2(i[:, 0] + dx + 1024 * (i[:, 2] + dz), i[:, 1] + dy, seed)
                w = (s[:, 0] if dx else 1 - s[:, 0]) * (s[:, 1] if dy else 1 - s[:, 1]) * (s[:, 2] if dz else 1 - s[:, 2])
                out += w * h
    return (2 * out - 1).astype(np.float64)


def hair_profile(strands: ShellStrands, hair: dict, capped: bool) -> np.ndarray:
    """(G,) factor on the hair's thickness per shell vertex: the cut's volume over the head
    (:meth:`ShellStrands.volume`: more on the top than over the sides and the nape) times the taper to the
    hairline times clumps elongated along the strands (:meth:`ShellStrands.tufts`; not for curly and
    coily hair, whose curls make round bumps, not crests; :data:`LONG_TUFTS` of the thickness for long hair,
    :data:`TUFT_SHARE` for other cuts) times the curl's lumps of volume and
    clusters of curls (:meth:`ShellStrands.curls`); under a cap, which must stay over the hair, the
    taper alone, pressed thin at and above the cap's edge (:func:`~genb.render.dress.hairline.cap_press`)."""
    share = CURLS.get(hair.get("curl") or "straight", CURLS["straight"])[2]
    cut = shaped(strands.volume(hair.get("hairline") or "long"), float(hair.get("thickness", 0.0)))  # the top over
    # the sides and the nape (a buzz cut: one length)
    if capped:  # pressed under the cap's band (dress.hairline.cap_press)
        return strands.taper * cap_press(strands.head, float(hair.get("thickness", 0.0))) * cut
    seed = hair_seed(hair)
    tufts = strands.tufts(seed)
    if hair.get("hairline") == "long":  # long hair lies flatter: clumps of LONG_TUFTS, not TUFT_SHARE
        tufts = strands.taper + (tufts - strands.taper) * (LONG_TUFTS / TUFT_SHARE)
    if share <= 0:
        return tufts * cut  # clumps break the offset's outline
    profile = strands.taper if share >= ROUND_CURLS else tufts
    return profile * strands.curls(seed, share) * cut


def hair_record(hair: dict, skin_srgb: np.ndarray) -> dict:
    """The per-pixel hair record of a person (drawn by :func:`genb.render.dress.hair_texture.strand_albedo`):
    ``pattern: "hair"``, the colour, the curl, the seed and the skin's sRGB colour at the hairline."""
    return {"pattern": "hair", "color": hair["color"], "curl": hair.get("curl") or "straight",
            "seed": hair_seed(hair), "skin": [float(c) for c in np.asarray(skin_srgb, np.float64)]}


def tube_map(rings: int, bins: int, radius: float, length: float, faces: np.ndarray, v0: float = PIECE_V) -> ClothMap:
    """Strand coordinates of a tube (ponytail, lock) of ``rings`` x ``bins`` vertices (row-major):
    u around it (``radius`` metres per radian), v along it from ``v0`` (:data:`PIECE_V`: no hairline;
    :data:`LOCK_V`: a lock)."""
    r, b = np.meshgrid(np.linspace(0, length, rings), np.arange(bins) / bins * 2 * np.pi * radius, indexing="ij")
    uv = np.stack([b.ravel(), v0 + r.ravel()], 1)
    return seamed_map(faces, uv, 2 * np.pi * radius)


def piece_strands(piece) -> ClothMap:
    """Strand coordinates of a hair piece from :func:`genb.render.dress.pieces.hair_piece` (a ring
    grid: a ponytail's (PONYTAIL_NODES + 1) x 10 tube, a bun's 7 x 12 ellipsoid): u around it (0.02 m per
    radian: the strands crowd into the tie and spread where the tail swells), v along it."""

    if piece.name == "hair:bun":
        return tube_map(7, 12, 0.04, 0.12, piece.faces)
    return tube_map(PONYTAIL_NODES + 1, 10, 0.02, PONYTAIL_LENGTH, piece.faces)


def outward(vertices: np.ndarray, faces: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """``faces`` (F, 3) wound so that they face away from ``inside`` (N, 3), a point inside the surface
    per vertex (a tube's ring centre): the label pass culls back faces, so an inward-wound closed
    piece would show its far wall there (depth, normals) while the colour pass shows the near one."""
    f = np.asarray(faces)
    v = np.asarray(vertices, np.float64)
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    out = v[f].mean(axis=1) - np.asarray(inside, np.float64)[f].mean(axis=1)
    return f[:, ::-1].copy() if np.einsum("ij,ij->i", n, out).sum() < 0 else f


RELIEF = 0.7  # share of a hair shell's shading normal from its own (clumped) surface


def relief_normals(vertices: np.ndarray, smooth: np.ndarray, faces: np.ndarray, hem: np.ndarray | None,
                   shell=None) -> np.ndarray:
    """(G, 3) float32 unit normals of a posed hair shell that show its clumps: :data:`RELIEF` of the
    displaced surface's own (area-weighted) normals plus the rest of the smooth offset's (``smooth``,
    (G, 3)), less of its own where they turn away from the smooth ones (a fold over the ear: none
    past 0.2 of a cosine); the hem strip (``hem``, (G,) bool, folded back to the skin) keeps the
    smooth ones. ``shell``: the cached shell ``faces`` belong to (its vertex-face incidence is kept
    on it), or None."""
    v = np.asarray(vertices, np.float32)
    f = np.asarray(faces, np.int64)
    inc = getattr(shell, "_incidence", None)
    if inc is None:
        from genb.render.raster.meshes import vertex_face_incidence

        inc = vertex_face_incidence(f, len(v))
        if shell is not None:
            shell._incidence = inc
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    own = np.asarray(inc @ fn, np.float32)
    own /= np.maximum(norm(own, keepdims=True), np.float32(1e-20))
    smooth = np.asarray(smooth, np.float32)
    # where the offset folds over small forms (the ears under medium hair) its own normals turn over: the smooth ones
    w = RELIEF * np.clip((np.einsum("ij,ij->i", own, smooth) - 0.2) / 0.5, 0.0, 1.0)[:, None]
    n = w * own + (1.0 - w) * smooth
    n /= np.maximum(norm(n, keepdims=True), np.float32(1e-9))
    if hem is not None:
        n[hem] = smooth[hem]
    return n.astype(np.float32)
