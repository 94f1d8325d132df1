"""Dress posed bodies: the meshes of one person's outfit (garments, shoes, hair, accessories).

:class:`Dresser` is built once per process for a body model. Its tight shells (tops,
trousers, shoes, hair, straps) are cut from the :class:`~genb.render.dress.atlas.BodyAtlas`
and cached per cut, so per person the work is a few sparse products with the posed
vertices and normals; loose shells (skirts, dresses, coat tails) and rigid pieces (buns,
ponytails, cap brims, bags) are built from the posed body directly. Everything is drawn
with the wearer's instance id; the body under the clothes stays the ground truth.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.atlas import ARM_PARTS, LEG_PARTS, build_atlas, head_frame, trunk_frame
from genb.render.dress.materials import fabric_colors, hair_colors, hash_noise, hex_rgb
from genb.render.dress.drape import drape_shell, refine_drape, tangent_neighbours
from genb.render.dress.shells import Shell, build_shell, loose_shell, pose_shell, ring_faces

HEAD, TORSO = PART_INDEX["head"], PART_INDEX["torso"]
FINE_PATTERNS = ("stripes", "checks", "print")  # patterns drawn on a subdivided shell (the body mesh is too coarse)
KIND_PART = {"top": "upper_clothes", "coat": "coat", "bottom": "lower_clothes", "dress": "dress"}
# Ease (metres of room between the smoothed body and the cloth) of garments whose outfit does not
# name one (outfits drawn from older wardrobe files).
DEFAULT_EASE = {"top": 0.008, "coat": 0.035, "bottom": 0.006, "dress": 0.008}
HAIR_LAYER = 0.006  # long hair lies this far over the outermost garment on the back

# Hairlines: height (metres above the ears' midpoint, head frame) where the hair starts, as a
# function of how far forward on the head (metres; negative = back of the head).
_HAIRLINE_FWD = [-0.12, -0.05, -0.025, 0.02, 0.05, 0.075, 0.13]
HAIRLINES = {
    "short": [-0.06, -0.05, 0.03, 0.04, 0.065, 0.09, 0.092],
    "medium": [-0.10, -0.09, -0.03, 0.0, 0.055, 0.085, 0.09],
    "long": [-0.10, -0.09, -0.03, 0.0, 0.055, 0.085, 0.09],
}


@dataclasses.dataclass
class GarmentMesh:
    """One posed piece of an outfit, ready for the rasterizer.

    Attributes:
        vertices: (N, 3) float32 world frame, metres. normals: (N, 3) float32 unit.
        faces: (F, 3) uint32. colors: (N, 3) float32 albedo 0..1.
        part: part id (``conventions.PARTS``, >= 15).
        covered: (Fc,) int body faces this piece covers (for show-through checks), or None.
        name: what it is (e.g. ``"jeans"``, ``"hair:long"``).
        hides: (Fh,) int body faces it hides from every view (not drawn in the dressed passes), or None.
        hem: (N,) bool vertices of a hem (its edge and the strip turned back towards the skin), or None.
    """

    vertices: np.ndarray
    normals: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    part: int
    covered: np.ndarray | None = None
    name: str = ""
    hides: np.ndarray | None = None
    hem: np.ndarray | None = None


def span(ease: float) -> float:
    """Metres of the body's forms a garment's cloth spans (the drape's smoothing radius): 5 cm
    for a fitted garment, growing with the ease (a coat hangs from the bust), on a 5 cm grid
    so a few cached shells serve every garment."""
    return round(round((0.05 + 1.2 * ease) / 0.05) * 0.05, 3)


def body_vertex_rows(shell: Shell) -> np.ndarray:
    """(V,) per body vertex the shell vertex that sits on it alone (blend weight 1), or -1."""
    blend = shell.blend.tocsr()
    single = np.flatnonzero((np.diff(blend.indptr) == 1))
    single = single[blend.data[blend.indptr[single]] > 0.999]
    rows = np.full(blend.shape[1], -1, np.int64)
    rows[blend.indices[blend.indptr[single]]] = single
    return rows


def cloth_over_skin(vertices: np.ndarray, normals: np.ndarray, layers: list) -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) per body vertex the outermost cloth over it and (V, 3) that cloth's normal (the skin
    where no layer sits on the vertex). ``layers``: (shell, posed vertices, posed normals), any order."""
    P = np.asarray(vertices, np.float32).copy()
    N = np.asarray(normals, np.float32).copy()
    height = np.zeros(len(P), np.float32)
    for shell, v, n in layers:
        rows = body_vertex_rows(shell)
        on = np.flatnonzero(rows >= 0)
        h = np.einsum("ij,ij->i", v[rows[on]] - vertices[on], normals[on])
        out = h > height[on]
        ids = on[out]
        P[ids], N[ids], height[ids] = v[rows[ids]], n[rows[ids]], h[out]
    return P, N


def shell_hem(shell: Shell) -> np.ndarray | None:
    """(G,) bool: a shell's hem strips (inner edges and the edges they hang from)."""
    if shell.twin is None:
        return None
    hem = shell.twin != np.arange(shell.num_vertices)
    hem[shell.twin[hem]] = True
    return hem


def _nan_le(x: np.ndarray, t: float) -> np.ndarray:
    return np.nan_to_num(x, nan=np.inf) <= t


def _nan_ge(x: np.ndarray, t: float) -> np.ndarray:
    return np.nan_to_num(x, nan=-np.inf) >= t


def _mesh_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    from genb.render.raster.gl import vertex_normals

    return vertex_normals(v, f.astype(np.int64))


def _ellipsoid(center: np.ndarray, axes: np.ndarray, radii: np.ndarray, rings: int = 7, bins: int = 12):
    """(N, 3) vertices and faces of an ellipsoid with ``axes`` (3, 3) columns and ``radii`` (3,)."""
    th = np.linspace(0.15, np.pi - 0.15, rings)
    ph = np.arange(bins) / bins * 2 * np.pi
    T, P = np.meshgrid(th, ph, indexing="ij")
    unit = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1).reshape(-1, 3)
    v = center + (unit * radii) @ axes.T
    return v.astype(np.float32), ring_faces(rings, bins)


def _box(center: np.ndarray, axes: np.ndarray, half: np.ndarray):
    """(24, 3) vertices (split per face, flat normals) and (12, 3) faces of a box."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float64)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    v = np.concatenate([corners[list(q)] for q in quads]) * half
    f = np.concatenate([[[4 * i, 4 * i + 1, 4 * i + 2], [4 * i, 4 * i + 2, 4 * i + 3]] for i in range(6)])
    return (center + v @ axes.T).astype(np.float32), f.astype(np.uint32)


class Dresser:
    """Builds the outfit meshes of posed people for one body model (build once per process).

    Args:
        body: a :class:`~genb.render.bodies.base.BodyModel`.
    """

    def __init__(self, body):
        self.atlas = build_atlas(body)
        self._shells: dict[tuple, Shell] = {}
        a = self.atlas
        self.is_arm = np.isin(a.parts, ARM_PARTS)
        self.is_leg = np.isin(a.parts, LEG_PARTS)
        h = a.head
        self.face_region = (a.parts == HEAD) & (h[:, 1] > 0.0) & (h[:, 2] > -0.13) & (h[:, 2] < 0.08)
        self.brows = (a.parts == HEAD) & (np.abs(h[:, 0]) > 0.008) & (np.abs(h[:, 0]) < 0.052) & \
            (h[:, 2] > 0.041) & (h[:, 2] < 0.055) & (h[:, 1] > 0.06)
        self.lips = (a.parts == HEAD) & (np.abs(h[:, 0]) < 0.024) & (h[:, 2] > -0.048) & (h[:, 2] < -0.026) & (h[:, 1] > 0.07)
        # hair hanging down the back: how far out a vertex must go to hang straight from the occiput
        top = (a.parts == HEAD) & (h[:, 2] > -0.03) & (h[:, 2] < 0.05)
        self.occiput_back = float(-h[top, 1].min()) if top.any() else 0.1
        self.trunk_length = float(np.ptp(a.rest[:, 2][a.parts == TORSO])) if (a.parts == TORSO).any() else 0.5
        # drape: per body vertex a tangent neighbour, and the share of a garment's ease by region
        self.tangent_to = tangent_neighbours(np.asarray(a.faces), a.rest, a.normals)
        hands_feet = np.isin(a.parts, [PART_INDEX[p] for p in ("left_hand", "right_hand", "left_foot", "right_foot")])
        self.ease_region = np.where(a.parts == TORSO, 1.0, np.where(self.is_arm, 0.6, np.where(self.is_leg, 0.8, 0.5)))
        self.ease_region[hands_feet] = 0.4
        self.limb_hold = np.where(self.is_arm | self.is_leg, 0.75, 0.0)  # limbs smooth less (they are round already)

    # ------------------------------------------------------------------ shells (cached per cut)
    def _shell(self, key: tuple, field_fn, drape: dict | None = None, coarse_key: tuple | None = None, **kw) -> Shell:
        """A cached shell; ``drape``: keyword arguments of :func:`~genb.render.dress.drape.drape_shell`
        (smoothed offset surface, computed once with the shell), or None for a shell on the skin."""
        shell = self._shells.get(key)
        if shell is None:
            shell = build_shell(self.atlas, field_fn(), **kw)
            if drape is not None and kw.get("subdivide", True) and coarse_key is not None:
                # a subdivided shell takes the drape of the same cut unsubdivided (cached under ``coarse_key``)
                coarse = self._shell(coarse_key, field_fn, drape=drape, **{**kw, "subdivide": False})
                shell = refine_drape(shell, coarse)
            elif drape is not None:
                drape = dict(drape)
                drape.setdefault("region_scale", self.ease_region)
                shell = drape_shell(shell, self.atlas, self.tangent_to, **drape)
            self._shells[key] = shell
        return shell

    def top_shell(self, sleeve: float, waist: float, collar: float = 1.1, open_front: bool = False,
                  hood: bool = False, fine: bool = False, ease: float = 0.0) -> Shell:
        """Trunk from ``waist`` (trunk coordinate) up to the collar, arms to ``sleeve`` (arm coordinate; < 0: none).
        ``ease``: the looser the garment, the wider the forms its cloth spans (:func:`span`)."""
        a = self.atlas

        def field():
            hard = np.isin(a.parts, [HEAD] + [PART_INDEX[p] for p in ("left_hand", "right_hand", "left_foot", "right_foot")])
            f = np.maximum(waist - a.torso, a.torso - collar)
            f = np.where(self.is_arm, np.maximum(f, np.nan_to_num(a.arm) - max(sleeve, -0.12)), f)
            if open_front:  # a gap down the middle of the front
                gap = (a.normals[:, 1] < -0.3) & (a.torso < 1.05)
                f = np.where(gap, np.maximum(f, (0.035 - np.abs(a.rest[:, 0])) * 10), f)
            return np.where(hard, 1.0, f)

        extra = None
        if hood:  # a hood lying on the back: a bulge below the collar
            extra = 0.035 * ((a.torso > 0.82) & (a.normals[:, 1] > 0.3) & (a.parts == TORSO)) * np.clip((a.torso - 0.82) / 0.2, 0, 1)
        r = span(ease)
        return self._shell(("top", sleeve, waist, collar, open_front, hood, fine, r), field, extra=extra, subdivide=fine,
                           drape={"fixed": self.limb_hold, "radius": r},
                           coarse_key=("top", sleeve, waist, collar, open_front, hood, False, r))

    def bottom_shell(self, length: float, waist: float, flare: float = 0.0, fine: bool = False, ease: float = 0.0) -> Shell:
        """Pelvis up to ``waist`` (trunk coordinate) and legs down to ``length`` (leg coordinate)."""
        a = self.atlas

        def field():
            f = np.where(a.parts == TORSO, a.torso - waist, 1.0)
            return np.where(self.is_leg & ~np.isin(a.parts, [PART_INDEX["left_foot"], PART_INDEX["right_foot"]]),
                            np.nan_to_num(a.leg) - length, f)

        # straight legs hang from the knee: an offset linear in the flare, so one cached shell serves every flare
        unit = np.clip((np.nan_to_num(a.leg) - 1.1) / 0.85, 0.0, 1.0) * self.is_leg
        # the waistband keeps to the body; below it the cloth bridges the buttocks and the crotch
        hold = np.where(a.parts == TORSO, np.clip((a.torso - waist + 0.22) / 0.2, 0.0, 1.0), self.limb_hold)
        r = span(ease)
        shell = self._shell(("bottom", length, waist, fine, r), field, extra=unit, subdivide=fine,
                            drape={"fixed": hold, "radius": r}, coarse_key=("bottom", length, waist, False, r))
        return dataclasses.replace(shell, extra=shell.extra * flare)

    def shoe_shell(self, cut: float) -> Shell:
        a = self.atlas
        lower = np.isin(a.parts, [PART_INDEX["left_lower_leg"], PART_INDEX["right_lower_leg"]])
        return self._shell(("shoe", cut), lambda: np.where(lower, cut - np.nan_to_num(a.leg), 1.0), rim=0.0)

    def hair_shell(self, hairline: str, cap: bool = False, under_cap: bool = False) -> Shell:
        """Hair (or a cap: ``cap``) over the scalp down to a ``hairline``, draped: the cloth-like
        smoothing rounds the scalp's small forms and softens the cut along the hairline. Long
        hair hangs down the back over whatever is worn there (its ease is the clothes' offset).
        ``under_cap``: only the hair below a cap's edge (none inside the cap)."""
        a = self.atlas
        h = a.head

        def cap_line():
            return np.maximum(np.interp(h[:, 1], _HAIRLINE_FWD, HAIRLINES["short"]), 0.045)

        def field():
            line = np.interp(h[:, 1], _HAIRLINE_FWD, HAIRLINES[hairline if not cap else "short"])
            if cap:
                line = np.maximum(line, 0.045)
            f = np.where(a.parts == HEAD, (line - h[:, 2]) * 10, 1.0)
            if hairline == "short" and not cap:  # keep the ears out
                f[(np.abs(h[:, 0]) > 0.066) & (h[:, 2] < 0.04) & (h[:, 1] > -0.045) & (h[:, 1] < 0.035)] = 1.0
            if hairline == "long" and not cap:  # down the back of the neck to the shoulder blades
                width = 0.1 - 0.25 * np.clip(-h[:, 2] - 0.14, 0.0, 0.2)  # narrowing down the back
                hang = np.isin(a.parts, [HEAD, TORSO]) & (a.normals[:, 1] > 0.3) & (h[:, 2] > -0.34) & \
                    (h[:, 1] < np.where(a.parts == HEAD, -0.02, -0.045)) & (np.abs(h[:, 0]) < width)
                # inside the hair, but never hidden: hair off the neck does not hide it from the side
                f = np.where(hang, np.minimum(f, -0.1), f)
            if hairline == "long" and not cap:  # hair lifted off the head (over the nape) hides nothing
                f = np.where((lift() > 0.003) & (f < 0), np.maximum(f, -0.1), f)
            if under_cap:  # the cap's edge overlaps the hair's top by a centimetre
                f = np.maximum(f, (h[:, 2] - cap_line() - 0.01) * 10)
            f[self.face_region] = 1.0
            return f

        def lift():  # long hair hangs straight down from the back of the head
            return np.clip(self.occiput_back - 0.02 + h[:, 1], 0.0, 0.07) * ((h[:, 2] < -0.02) & (a.normals[:, 1] > 0.0))

        extra = lift() if hairline == "long" and not cap else None
        back = (a.parts == TORSO).astype(np.float64)  # the share of the clothes' offset hair lies over
        # body faces count as hidden only 3 cm inside the cut (hair stands off the head); a cap hides none:
        # seen under its edge, its inside is culled
        return self._shell(("hair", hairline, cap, under_cap), field, extra=extra, subdivide=False,
                           hide_margin=None if cap else 0.3,
                           drape={"region_scale": back, "radius": 0.025, "clearance": 0.002})

    def region_shell(self, name: str) -> Shell:
        """Small named regions: ``beard``, ``moustache``, ``stubble``, ``straps`` (backpack), ``sash`` (bag strap)."""
        a = self.atlas
        h = a.head

        def mask():
            if name in ("beard", "stubble"):  # chin, jaw and cheeks below the cheekbones
                jaw = (h[:, 2] < -0.052) | ((np.abs(h[:, 0]) > 0.038) & (h[:, 2] < -0.005) & (h[:, 1] < 0.075))
                return (a.parts == HEAD) & (h[:, 1] > 0.0) & (h[:, 2] > -0.115) & (np.abs(h[:, 0]) < 0.072) & jaw & \
                    ~self.lips & ((h[:, 1] > 0.035) | (a.normals[:, 2] < -0.2))
            if name == "moustache":
                return (a.parts == HEAD) & (h[:, 1] > 0.07) & (h[:, 2] < -0.015) & (h[:, 2] > -0.032) & (np.abs(h[:, 0]) < 0.03)
            if name == "straps":
                return (a.parts == TORSO) & (a.torso > 0.45) & (np.abs(np.abs(a.rest[:, 0]) - 0.085) < 0.022)
            if name == "sash":
                zt = a.torso * self.trunk_length
                p0, p1 = np.array([0.11, 1.06 * self.trunk_length]), np.array([-0.15, 0.02 * self.trunk_length])
                d = p1 - p0
                q = np.stack([a.rest[:, 0], zt], 1) - p0
                t = np.clip(q @ d / (d @ d), 0, 1)
                dist = np.linalg.norm(q - t[:, None] * d, axis=1)
                return (a.parts == TORSO) & (dist < 0.022)
            raise KeyError(name)

        return self._shell(("region", name), lambda: np.where(mask(), -1.0, 1.0), rim=0.5, subdivide=name in ("straps", "sash"))

    # ------------------------------------------------------------------ one person
    def dress(self, outfit: dict[str, Any], vertices: np.ndarray, normals: np.ndarray, keypoints: np.ndarray) -> list[GarmentMesh]:
        """The posed meshes of one person's outfit (from :func:`~genb.render.dress.outfit.sample_outfit`).

        Args:
            vertices: (V, 3) posed body vertices, world frame, metres. normals: (V, 3) their unit normals.
            keypoints: (25, 3) BODY25 keypoints, world frame.
        """
        out: list[GarmentMesh] = []
        layers: list = []  # (shell, posed vertices, normals) of the garments on the trunk
        outer = 0.0  # thickness of the outermost layer so far (straps go over it)

        def add_shell(shell: Shell, thickness: float, colors: np.ndarray, part: str, name: str, hides: bool = True,
                      ease: float = 0.0) -> None:
            v, n = pose_shell(shell, vertices, normals, thickness, ease)
            if part in ("upper_clothes", "coat", "dress"):
                layers.append((shell, v, n))
            out.append(GarmentMesh(v, n, shell.faces, colors, PART_INDEX[part], shell.covered, name,
                                   shell.hidden if hides else None, shell_hem(shell)))

        garments = outfit.get("garments", [])
        ease_of = lambda g: float(g.get("ease", DEFAULT_EASE[g["kind"]]))  # noqa: E731
        # Layers never share a surface: a top sits over the trousers' waistband, a coat over the top.
        bottoms = [g for g in garments if g["kind"] == "bottom"]
        bottom_t = max([float(g["thickness"]) for g in bottoms] or [0.0])
        bottom_e = max([ease_of(g) for g in bottoms] or [0.0])
        top_t = top_e = 0.0
        for g in garments:
            kind, part = g["kind"], KIND_PART[g["kind"]]
            t, e = float(g["thickness"]), ease_of(g)
            if kind in ("top", "dress"):
                t = top_t = max(t, bottom_t + 0.004)
                e = top_e = max(e, bottom_e + 0.008)
            elif kind == "coat":
                t = max(top_t, bottom_t) + t
                e = max(e, top_e + 0.006)
            fine = g.get("pattern") in FINE_PATTERNS
            if kind in ("top", "coat", "dress"):
                waist = g["waist"] if kind != "dress" else g["waist"] - 0.05
                shell = self.top_shell(g["sleeve"], waist, open_front=bool(g.get("open")), hood=bool(g.get("hood")),
                                       fine=fine, ease=e)
                add_shell(shell, t, fabric_colors(g, shell.rest, shell.rest_normals), part, g["type"], ease=e)
            if kind == "bottom" and not g.get("loose"):
                shell = self.bottom_shell(g["length"], g["waist"], float(g.get("flare", 0.0)), fine=fine, ease=e)
                add_shell(shell, t, fabric_colors(g, shell.rest, shell.rest_normals), part, g["type"], ease=e)
            if g.get("loose") or (kind == "coat" and "tail" in g):
                # the waistband hugs the hips; the skirt hangs from it
                waist = g["waist"] if kind != "coat" else g["waist"] + 0.05
                if kind != "coat":
                    band = self.bottom_shell(-1.0, waist, fine=fine, ease=e)
                    add_shell(band, t, fabric_colors(g, band.rest, band.rest_normals), part, g["type"], ease=e)
                hem = g["length"] if kind != "coat" else g["tail"]
                out.append(self._loose(g, vertices, keypoints, waist, hem, outer + t + e, part, kind == "coat" and g.get("open")))
            outer = max(outer, t + e)
        shoes = outfit.get("shoes") or {}
        if shoes.get("type", "barefoot") != "barefoot":
            out.extend(self._shoes(shoes, vertices, normals))
        hair_t = self._add_hair(outfit, keypoints, outer, out, add_shell)
        for acc in outfit.get("accessories", []):
            color = hex_rgb(acc["color"])
            if acc["type"] == "cap":
                shell = self.hair_shell("short", cap=True)
                th = hair_t + 0.008
                add_shell(shell, th, np.broadcast_to(color, shell.rest.shape).copy(), "headwear", "cap")
                out.append(self._brim(keypoints, color, th))
            elif acc["type"] in ("backpack", "bag_strap"):
                shell = self.region_shell("straps" if acc["type"] == "backpack" else "sash")
                # the strap lies on the outermost cloth under it (the same body points, over the garments)
                P, N = cloth_over_skin(vertices, normals, layers)
                add_shell(shell, 0.007, np.broadcast_to(color * 0.8, shell.rest.shape).copy(), "bag", acc["type"], hides=False)
                out[-1].vertices, out[-1].normals = pose_shell(shell, P, N, 0.007)
                out.append(self._bag(acc["type"], vertices, keypoints, color, outer))
        return out

    def _add_hair(self, outfit: dict[str, Any], keypoints: np.ndarray, outer: float, out: list, add_shell) -> float:
        """Hair (eased over the outermost cloth, ``outer`` metres) and facial hair, appended to ``out``
        (through ``add_shell`` for shells); returns the hair's thickness, metres."""
        hair = outfit.get("hair") or {}
        hair_t = float(hair.get("thickness", 0.0))
        capped = any(acc["type"] == "cap" for acc in outfit.get("accessories", []))
        if hair.get("hairline"):
            shell = self.hair_shell(hair["hairline"], under_cap=capped)
            add_shell(shell, hair_t, hair_colors(hair["color"], shell.rest), "hair", f"hair:{hair['style']}",
                      ease=outer + HAIR_LAYER)
            if hair.get("shape") == "ponytail" or (hair.get("shape") == "bun" and not capped):  # a bun would lift a cap
                out.append(self._hair_piece(hair, keypoints, hair_t))
        if outfit.get("facial_hair"):
            style = outfit["facial_hair"]
            shell = self.region_shell(style)
            col = hair_colors(hair.get("color", "2e2119"), shell.rest)
            add_shell(shell, {"stubble": 0.0008, "beard": 0.008, "moustache": 0.004}[style], col, "facial_hair", style, hides=False)
        return hair_t

    def _loose(self, g: dict, vertices: np.ndarray, keypoints: np.ndarray, waist: float, hem: float,
               margin: float, part: str, open_front: bool) -> GarmentMesh:
        a = self.atlas
        enclosed = ((a.parts == TORSO) & (a.torso <= waist)) | (self.is_leg & _nan_le(a.leg, hem + 0.15))
        band = (a.parts == TORSO) & (a.torso <= waist) & (a.torso >= waist - 0.1)
        kp = keypoints.astype(np.float64)
        leg_len = 0.5 * sum(np.linalg.norm(kp[K25[f"{s}_hip"]] - kp[K25[f"{s}_knee"]])
                            + np.linalg.norm(kp[K25[f"{s}_knee"]] - kp[K25[f"{s}_ankle"]]) for s in ("left", "right"))
        z_top = float(vertices[band, 2].mean())
        z_hip = float(kp[K25["mid_hip"], 2])
        z_hem = max(min(z_hip - hem / 2 * leg_len, z_top - 0.1), float(vertices[:, 2].min()) + 0.02)
        fwd = None
        if open_front:
            side = kp[K25["left_hip"]] - kp[K25["right_hip"]]
            f = np.cross(side, [0.0, 0.0, 1.0])[:2]
            fwd = f / max(np.linalg.norm(f), 1e-9)
        flare = 0.12 if part != "coat" else 0.05
        ids = np.flatnonzero(enclosed)
        v, f, inside = loose_shell(vertices[ids].astype(np.float64), z_top, z_hem, margin=margin + 0.008, flare=flare,
                           open_front=fwd, max_spread=0.12 if part == "coat" else 0.4)
        n = _mesh_normals(v, f)
        z = v[:, 2]
        ang = np.arctan2(v[:, 1] - v[:, 1].mean(), v[:, 0] - v[:, 0].mean())
        rest = np.stack([ang * 0.18, np.zeros_like(z), z - z_top], 1)
        held = np.zeros(len(a.parts), bool)
        held[ids[inside]] = True
        cover = np.flatnonzero(held[a.faces].all(axis=1) & (vertices[a.faces].min(axis=1)[:, 2] >= z_hem))
        if open_front:  # an open coat covers nothing in front: count nothing as covered
            cover = np.zeros(0, np.int64)
        return GarmentMesh(v, n, f, fabric_colors(g, rest, np.tile([[0.0, 1.0, 0.0]], (len(v), 1))), PART_INDEX[part],
                           cover, f"{g['type']}:skirt")

    def _shoes(self, shoes: dict, vertices: np.ndarray, normals: np.ndarray) -> list[GarmentMesh]:
        """Per foot the convex hull of the foot and ankle, pushed out by the shoe's thickness (toes
        closed, a flat sole); a boot adds a tight shaft up the shin."""
        color = hex_rgb(shoes["color"])
        t = float(shoes["thickness"])
        pieces = []
        for side in ("left", "right"):
            ids, used, f, covered = self._foot_hull(side, max(shoes["cut"], 1.85))
            v = vertices[used].astype(np.float32)
            n = _mesh_normals(v, f)
            v = v + (0.35 * t) * n
            col = np.broadcast_to(color, v.shape).copy()
            sole = v[:, 2] < v[:, 2].min() + 0.02 + 0.5 * t
            col[sole] = 0.8 * col[sole] + 0.2 if shoes["type"] == "sneakers" else col[sole] * 0.45
            pieces.append(GarmentMesh(v, n, f, col, PART_INDEX["shoes"], covered, f"{shoes['type']}:{side}", covered))
        if shoes["cut"] < 1.8:  # a boot's shaft
            shell = self.shoe_shell(shoes["cut"])
            v, n = pose_shell(shell, vertices, normals, t)
            col = np.broadcast_to(color, v.shape) * (0.96 + 0.08 * hash_noise(shell.rest))[:, None]
            pieces.append(GarmentMesh(v, n, shell.faces, col.astype(np.float32), PART_INDEX["shoes"], shell.covered,
                                      f"{shoes['type']}:shaft"))
        return pieces

    def _foot_hull(self, side: str, cut: float):
        """The convex hull of a foot (and the ankle above ``cut``) in the rest pose: its body vertex
        ids, the hull's vertex ids and faces, and the body faces inside. The foot hardly deforms, so
        the rest hull's triangles, moved with their vertices, still wrap the posed foot."""
        key = ("foot", side, cut)
        if key not in self._shells:
            from scipy.spatial import ConvexHull

            a = self.atlas
            ids = np.flatnonzero((a.parts == PART_INDEX[f"{side}_foot"])
                                 | ((a.parts == PART_INDEX[f"{side}_lower_leg"]) & _nan_ge(a.leg, cut)))
            pts = a.rest[ids]
            hull = ConvexHull(pts)
            f = hull.simplices.copy()
            fn = np.cross(pts[f[:, 1]] - pts[f[:, 0]], pts[f[:, 2]] - pts[f[:, 0]])
            flip = np.einsum("ij,ij->i", fn, hull.equations[:, :3]) < 0
            f[flip] = f[flip][:, ::-1]
            used, inv = np.unique(f, return_inverse=True)
            covered = np.flatnonzero(np.isin(a.faces, ids).all(axis=1))
            self._shells[key] = (ids, ids[used], inv.reshape(-1, 3).astype(np.uint32), covered)
        return self._shells[key]

    def _hair_piece(self, hair: dict, keypoints: np.ndarray, t: float) -> GarmentMesh:
        origin, R = head_frame(keypoints)
        color = hair["color"]
        if hair["shape"] == "bun":
            c = origin + R @ np.array([0.0, -0.095 - t, 0.075])
            v, f = _ellipsoid(c, R, np.array([0.045, 0.04, 0.04]))
        else:  # ponytail: a tapered tube from the back of the head, hanging down
            start = origin + R @ np.array([0.0, -0.1 - t, 0.03])
            down = -R[:, 1] * 0.35 + np.array([0.0, 0.0, -1.0])
            down /= np.linalg.norm(down)
            rings, bins, length = 6, 10, 0.24
            s = np.linspace(0, 1, rings)
            centres = start + np.outer(s * length, down) - np.outer(s * (1 - s) * 0.05, R[:, 1])
            radius = 0.028 * (1 - 0.65 * s) + 0.004
            u = np.cross(down, R[:, 0])
            u /= np.linalg.norm(u)
            ph = np.arange(bins) / bins * 2 * np.pi
            ring = np.cos(ph)[:, None] * R[:, 0] + np.sin(ph)[:, None] * u
            v = (centres[:, None] + radius[:, None, None] * ring[None]).reshape(-1, 3).astype(np.float32)
            f = ring_faces(rings, bins)
        rest = (v - origin) @ R
        return GarmentMesh(v, _mesh_normals(v, f), f, hair_colors(color, rest), PART_INDEX["hair"], None,
                           f"hair:{hair['shape']}")

    def _brim(self, keypoints: np.ndarray, color: np.ndarray, t: float) -> GarmentMesh:
        origin, R = head_frame(keypoints)
        ang = np.linspace(-1.2, 1.2, 9)
        inner = np.stack([0.085 * np.sin(ang), 0.07 + 0.025 * np.cos(ang), np.full_like(ang, 0.06 + t)], 1)
        outer = np.stack([0.095 * np.sin(ang), 0.08 + 0.075 * np.cos(ang), np.full_like(ang, 0.045 + t)], 1)
        local = np.concatenate([inner, outer])
        v = (origin + local @ R.T).astype(np.float32)
        n9 = len(ang)
        f = np.concatenate([[[i, n9 + i, n9 + i + 1], [i, n9 + i + 1, i + 1]] for i in range(n9 - 1)]).astype(np.uint32)
        return GarmentMesh(v, _mesh_normals(v, f), f, np.broadcast_to(color * 0.9, v.shape).copy(), PART_INDEX["headwear"],
                           None, "cap:brim")

    def _bag(self, kind: str, vertices: np.ndarray, keypoints: np.ndarray, color: np.ndarray, outer: float = 0.0) -> GarmentMesh:
        origin, R, length = trunk_frame(keypoints)
        a = self.atlas
        trunk = vertices[a.parts == TORSO].astype(np.float64) - origin
        if kind == "backpack":
            height = 0.42 * length / 0.5
            band = (trunk @ R[:, 2] < -0.08) & (trunk @ R[:, 2] > -0.08 - height)
            back = float((trunk[band] @ R[:, 1]).max()) if band.any() else 0.12
            c = origin + R @ np.array([0.0, back + outer + 0.072, -0.08 - height / 2])
            v, f = _box(c, R, np.array([0.15, 0.07, height / 2]))
        else:  # a small bag at the right hip, hanging from the sash
            hip = keypoints[K25["right_hip"]].astype(np.float64)
            side = float((trunk @ -R[:, 0]).max())
            c = hip - R[:, 0] * 0.09 + R @ np.array([-(side - 0.05 + outer), 0.0, -0.1])
            v, f = _box(c, R, np.array([0.04, 0.11, 0.09]))
        n = _mesh_normals(v, f)
        col = np.broadcast_to(color, v.shape).copy()
        return GarmentMesh(v, n, f, col, PART_INDEX["bag"], None, kind)

    # ------------------------------------------------------------------ skin
    def skin_colors(self, outfit: dict[str, Any], skin_rgb: np.ndarray, lips_hex: str = "b0605c") -> np.ndarray:
        """(V, 3) float32 body albedo: the skin tone with the person's jitter, lips and eyebrows."""
        a = self.atlas
        base = np.asarray(skin_rgb, np.float32) * np.asarray(outfit.get("skin_jitter", [1, 1, 1]), np.float32)
        col = np.tile(base, (len(a.parts), 1)) * (0.97 + 0.05 * hash_noise(a.rest))[:, None]
        col[self.lips] = 0.55 * col[self.lips] + 0.45 * hex_rgb(lips_hex) * (base.mean() / 0.6) ** 0.5
        hair = (outfit.get("hair") or {}).get("color", "2e2119")
        col[self.brows] = 0.3 * col[self.brows] + 0.7 * hex_rgb(hair) * 0.8
        return np.clip(col, 0, 1).astype(np.float32)
