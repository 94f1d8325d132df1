"""Facial hair: stubble, a moustache and a full beard as thin shells close to the skin, drawn per pixel
as strands running down the face that fade into the skin at the edge.

Each style is one cached region shell (:meth:`genb.render.dress.dresser.Dresser.region_shell`: a beard's
and stubble's cut on :func:`genb.render.dress.hairline.beard_field` joined with
:func:`~genb.render.dress.hairline.moustache_field`, a moustache's on the latter; the lips left bare)
posed 0.2-0.4 mm off the skin at its edge (:data:`STYLES`). It carries its own strand coordinates
(:func:`facial_strands`): ``u`` the azimuth around the head's vertical axis (metres at :data:`U_RADIUS`),
so lines of constant ``u`` (the strands) run *down* the cheeks, the jaw and the upper lip and forward
under the chin; ``v`` the distance to the shell's edge. Its vertex colours are the skin under it, and its
record (:func:`facial_record`: the wearer's hair colour, a density, a fade width) makes
:func:`genb.render.dress.hair_texture.facial_albedo` blend the hair into that skin: no hair at the edge,
the style's density from :attr:`FacialStyle.fade` metres in on the jaw (4 mm on the upper lip, up to
twice as far high on the cheeks). Stubble is a tint of short dashes over the skin (45 % of hair), a
moustache and a beard dense strands (92 %); a beard a little fuller under the chin. Pure functions; the
strand coordinates are computed once per cached shell.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.render.dress.hair import boundary_vertices, hair_seed, seamed_map
from genb.render.dress.hairline import moustache_field

U_RADIUS = 0.1  # metres of u per radian of azimuth around the head's vertical axis
V_FAR = 0.1  # v's cap (metres): a facial shell is never farther than this from its edge
LIP_RATE = 2.5  # the strand coordinate v runs this many times the distance to the edge on the upper lip (a
# moustache is 1.5-2.7 cm tall: the fade over the cheeks would leave it thin)
CHEEK_SLOW = 0.5  # and this much slower high on the cheeks (the hair thins over twice the width towards the cheekbones)


@dataclasses.dataclass(frozen=True)
class FacialStyle:
    """One facial hair style: ``thickness`` (metres off the skin inside), ``edge`` (metres off the skin
    at the edge), ``density`` (0..1 share of hair over the skin inside), ``fade`` (metres from the edge
    over which the hair thins to none), ``short`` (stubble: short dashes, no long strands), ``chin``
    (metres of extra thickness under the chin's middle: a full beard's volume)."""

    thickness: float
    edge: float
    density: float
    fade: float
    short: bool = False
    chin: float = 0.0


STYLES = {
    "stubble": FacialStyle(0.0004, 0.0002, 0.45, 0.012, short=True),
    "moustache": FacialStyle(0.003, 0.0004, 0.92, 0.01),
    "beard": FacialStyle(0.004, 0.0004, 0.92, 0.01, chin=0.005),
}


class FacialStrands:
    """Strand coordinates of one facial hair shell (G vertices).

    Attributes:
        map: the :class:`~genb.render.dress.texcoords.ClothMap` (u across the strands: the azimuth
            around the head's vertical axis times :data:`U_RADIUS`; v the distance to the edge, metres).
            On the upper lip v runs :data:`LIP_RATE` times faster (its fade is that much narrower), high on
            the cheeks (from 3.5 cm under the ears' line, 3 cm out) down to half as fast (:data:`CHEEK_SLOW`).
        v: (G,) float64 metres to the shell's edge (0 on it). head: (G, 3) rest positions, head frame.
        rate: (G,) the map's v per metre of ``v`` (1; up to :data:`LIP_RATE` on the upper lip, 0.5 high on the cheeks).
    """

    def __init__(self, shell, atlas):
        head = np.asarray(shell.blend @ atlas.head, np.float64)
        u = np.arctan2(head[:, 0], head[:, 1]) * U_RADIUS  # 0 in front: no seam on the face
        edge = boundary_vertices(shell.faces, shell.rest)
        if len(edge):
            from scipy.spatial import cKDTree

            v, _ = cKDTree(np.asarray(shell.rest)[edge]).query(np.asarray(shell.rest), k=1)
        else:
            v = np.full(len(u), V_FAR)
        self.v = np.minimum(v, V_FAR)
        self.head = head
        lip = np.clip(-moustache_field(head, np.ones(len(head), bool)) / 0.003, 0.0, 1.0)  # 1 on the upper lip
        cheek = np.clip((head[:, 2] + 0.035) / 0.03, 0.0, 1.0) * np.clip((np.abs(head[:, 0]) - 0.03) / 0.015, 0.0, 1.0)
        self.rate = (1.0 + (LIP_RATE - 1.0) * lip) * (1.0 - CHEEK_SLOW * cheek)
        self.map = seamed_map(shell.faces, np.stack([u, self.v * self.rate], 1), 2 * np.pi * U_RADIUS)


def facial_strands(shell, atlas) -> FacialStrands:
    """The :class:`FacialStrands` of a facial hair shell (cached on the shell)."""
    cached = getattr(shell, "_facial", None)
    if cached is None:
        cached = FacialStrands(shell, atlas)
        shell._facial = cached
    return cached


def facial_thickness(strands: FacialStrands, style: FacialStyle) -> np.ndarray:
    """(G,) metres off the skin per shell vertex: ``style.edge`` at the edge rising smoothly to
    ``style.thickness`` over ``style.fade`` (narrower on the upper lip, :data:`LIP_RATE`), plus a full beard's volume under the chin (up to
    ``style.chin`` under its middle, none on the cheeks or up at the lower lip)."""
    r = np.clip(strands.v * strands.rate / style.fade, 0.0, 1.0)
    r = r * r * (3.0 - 2.0 * r)
    t = style.edge + (style.thickness - style.edge) * r
    if style.chin:
        x, z = strands.head[:, 0], strands.head[:, 2]
        under = np.clip((-0.07 - z) / 0.025, 0.0, 1.0) * np.exp(-(x / 0.035) ** 2)
        t = t + style.chin * under * r
    return t


def facial_record(hair: dict, style_name: str, skin_srgb: np.ndarray) -> dict:
    """The per-pixel record of a facial hair style (:func:`genb.render.dress.hair_texture.facial_albedo`):
    the hair's (``pattern: "hair"``, ``color``: the wearer's hair colour, greyed with age as the hair
    is; ``seed``) plus ``facial``: the style's density, fade width and ``short``; ``skin``: the
    fallback skin colour (the pixels blend into the skin the colour pass drew under them)."""
    style = STYLES[style_name]
    return {"pattern": "hair", "color": hair.get("color", "2e2119"), "curl": "straight", "seed": hair_seed(hair),
            "skin": [float(c) for c in np.asarray(skin_srgb, np.float64)],
            "facial": {"density": style.density, "fade": style.fade, "short": style.short}}


def skin_under(shell, skin_colors: np.ndarray | None, fallback: np.ndarray) -> np.ndarray:
    """(G, 3) float32 sRGB 0..1: the body's albedo under each shell vertex (``skin_colors`` (V, 3)
    through the shell's blend), or ``fallback`` (3,) everywhere without them."""
    if skin_colors is None:
        return np.broadcast_to(np.asarray(fallback, np.float32), (shell.num_vertices, 3)).copy()
    return np.asarray(shell.blend @ np.asarray(skin_colors, np.float64), np.float32)


def add_facial_hair(w, shell, style_name: str, hair: dict, skin_colors: np.ndarray | None,
                    skin_srgb: np.ndarray):
    """Pose a facial hair shell on the wearer ``w`` (:class:`~genb.render.dress.kinds.Wearer`) as
    seg class ``facial_hair``: :func:`facial_thickness` off the skin, the skin's colours under it, its
    strand coordinates and :func:`facial_record`. Returns the :class:`GarmentMesh`."""
    style = STYLES[style_name]
    strands = facial_strands(shell, w.dresser.atlas)
    col = skin_under(shell, skin_colors, skin_srgb)
    mesh = w.add_shell(shell, facial_thickness(strands, style), col, "facial_hair", style_name, hides=False)
    mesh.uv, mesh.fabric = strands.map, facial_record(hair, style_name, skin_srgb)
    return mesh
