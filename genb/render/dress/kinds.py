"""The two registries of dressing: garment kinds (:data:`GARMENT_KINDS`) and accessory kinds
(:data:`ACCESSORY_KINDS`), each a typed recipe and one mesh builder, and :class:`Wearer`, the posed
person a builder dresses.

A garment kind (``top``, ``coat``, ``bottom``, ``dress``) says its seg class, its layer (a kind
sits over every lower layer: its thickness and ease are raised over theirs, or added to them
when it ``stacks``, as a coat over a top) and its default ease; its builder adds its meshes for
one garment recipe of the outfit (a dict from the wardrobe: cut, fabric, ...). An accessory kind
(``cap``, ``backpack``, ``bag_strap``) says its seg class, its prompt words and whether it covers
the hair; the wardrobe's ``accessories`` section may name any registered kind. The built-in
builders live in :mod:`genb.render.dress.garments` and :mod:`genb.render.dress.accessories`; a new kind
is one decorated function there (or in a user's module imported before rendering).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress import texcoords
from genb.render.dress.seams import solid_seams
from genb.render.dress.fit import fitted
from genb.render.dress.folds import fold
from genb.render.dress.lod import FULL, Detail
from genb.render.dress.mesh import GarmentMesh, shell_hem, wound_faces
from genb.render.dress.band_stack import band_heights, hug_weight, over_bands, push_over_bands
from genb.render.dress.opening import smooth_openings
from genb.render.dress.seat_fill import raise_over
from genb.render.dress.shells import Shell, pose_shell


FOLDING = ("upper_clothes", "coat", "dress", "lower_clothes")  # seg classes of garments that fold at bent joints


@dataclasses.dataclass
class Wearer:
    """One posed person being dressed, and what is on them so far.

    Attributes:
        dresser: the :class:`~genb.render.dress.dresser.Dresser` (shells, atlas).
        vertices: (V, 3) posed body, world frame, metres. normals: (V, 3). keypoints: (25, 3) BODY25.
        out: the meshes so far, inner to outer. layers: (shell, posed vertices, normals) of the cloth
            on the trunk (straps lie on the outermost). outer: metres of cloth on the body so far
            (thickness plus ease of the outermost garment). hair_t: the hair's thickness, metres.
        detail: how finely they are dressed (:mod:`genb.render.dress.lod`: their size on screen).
        uppers: the garments laid over the loose skirts, so far (tops', jackets' and coats' tight
            shells, with their (G,) bool sleeve vertices; coats' tails, with None). loose: the loose
            skirts so far (a dress's skirt too, not a coat's tail), each with its top ring's vertex
            ids: :func:`~genb.render.dress.layering.lay_over` lays the uppers on them.
        seat: what they sit on (:class:`~genb.render.dress.seat_cloth.Seat`), or None: loose garments lie on it.
        seams: coats' seams at the hips, ``(shell mesh, its hem, tail mesh)`` (:func:`~genb.render.dress.coat_join.weld`).
        fill: the trousers' seat fill (:func:`~genb.render.dress.seat_fill.seat_fill`), or None: the tight
            shells over them rise with it (:func:`~genb.render.dress.seat_fill.raise_over`).
        sleeves: ``(sleeve cut, thickness on the arm)`` of the sleeved garments so far: the next is raised
            over them only on the arms they cover (:func:`~genb.render.dress.sleeves.arm_thickness`).
        hood: a hooded top is worn so far: a coat or a jacket over it rises over the hood on the back.
        ribs: the ribbed tops so far, ``(mesh, shell, offset change, on a sleeve)``: their waistbands are taken
            out of the trousers dressed after them (:func:`~genb.render.dress.rib_bands.settle`).
        fit: the share of the garments' thickness and ease this body's size keeps (:func:`~genb.render.dress.fit.size_scale`:
            1 for an adult, less for a child); a garment's own thickness is ``fit`` times its record's.
        legs: ``(mesh, shell, flare)`` per pair of trousers dressed so far: laid over a boot's shaft or tucked into
            it (:func:`~genb.render.dress.boot_hem.lay`).
    """

    dresser: Any
    vertices: np.ndarray
    normals: np.ndarray
    keypoints: np.ndarray
    out: list = dataclasses.field(default_factory=list)
    layers: list = dataclasses.field(default_factory=list)
    outer: float = 0.0
    hair_t: float = 0.0
    detail: Detail = FULL
    uppers: list = dataclasses.field(default_factory=list)
    loose: list = dataclasses.field(default_factory=list)
    seat: Any = None
    seams: list = dataclasses.field(default_factory=list)
    fill: Any = None
    sleeves: list = dataclasses.field(default_factory=list)
    hood: bool = False
    ribs: list = dataclasses.field(default_factory=list)
    fit: float = 1.0
    legs: list = dataclasses.field(default_factory=list)

    def own(self, g: dict) -> float:
        """Metres: the garment record ``g``'s own thickness on this body (``fit`` times its record's)."""
        return self.fit * float(g["thickness"])

    def cut_ease(self, ease: float) -> float:
        """The ease a shell is cut for (:func:`~genb.render.dress.dresser.span`): the garment's own, before ``fit``
        (the drape is computed on the atlas's adult body)."""
        return ease if self.fit == 1.0 else ease / self.fit

    def add_shell(self, shell: Shell, thickness, colors: np.ndarray, part: str, name: str,
                  hides: bool = True, ease: float = 0.0, fabric: dict | None = None, below: float = 0.0,
                  slack: np.ndarray | None = None) -> GarmentMesh:
        """Pose a cached shell ``thickness`` (+ ``ease``) metres off the body (a float, or (G,) per shell
        vertex) and add it as seg class ``part``.
        ``fabric``: the garment record; a patterned one gets cloth coordinates and is drawn per pixel.
        ``below``: metres of ``thickness`` that count the layers under it (a coat's, on its trunk): its
        neckband lies on theirs with its own thickness (:mod:`~genb.render.dress.band_stack`).
        ``slack``: (G,) the share of ``ease`` kept per shell vertex (a sleeved garment's arms,
        :func:`~genb.render.dress.sleeves.arm_slack`), or None: all of it (the folds take ``ease`` itself)."""
        posed = fitted(shell, self.fit) if part in FOLDING else shell  # its drape's lift scaled to a child (dress.fit)
        add = None
        if part in ("upper_clothes", "coat", "dress") and self.layers and (hug_weight(shell) > 0.0).any():
            add = over_bands(shell, *band_heights(self.vertices, self.normals, self.layers), self.dresser.neck_height, below)
            posed = posed if add is None else dataclasses.replace(posed, extra=posed.extra + add)
        v, n = pose_shell(posed, self.vertices, self.normals, thickness, ease if slack is None else ease * slack)
        if self.fill is not None and part in ("upper_clothes", "coat", "dress"):  # over filled trousers
            raise_over(shell, v, self.fill)
        shade = None
        if part in FOLDING and self.detail.folds:  # folds from the pose (dress.folds)
            got = fold(shell, self.dresser.atlas, v, n, self.keypoints, ease)
            if got is not None:
                v, n, shade = got
        if part in ("upper_clothes", "coat", "dress"):
            if add is not None:  # and off them where they lean over it (dress.band_stack)
                pushed = push_over_bands(v, shell.faces, hug_weight(shell), self.layers)
                v = v if pushed is None else pushed
            v = smooth_openings(shell, v, n, self.vertices)  # the neckline and the armholes smooth curves (dress.opening)
            self.layers.append((shell, v, n))
        uv = None
        if texcoords.textured(fabric) or solid_seams(fabric, self.detail):  # per pixel (dress.seams: a solid one's seams)
            uv = texcoords.shell_texcoords(shell, self.dresser.atlas, self.dresser._uv_centres)
            if texcoords.textured(fabric):  # the colour pass draws the pattern's mean
                colors = texcoords.mean_colors(fabric, len(v))
            elif self.detail.seam_weight < 1.0:  # a solid one's seams fade in with the scale (dress.lod)
                fabric = {**fabric, "seam_weight": self.detail.seam_weight}
        if shade is not None:
            colors = (np.asarray(colors, np.float32) * shade[:, None]).astype(np.float32)
        mesh = GarmentMesh(v, n, wound_faces(shell), colors, PART_INDEX[part], shell.covered, name,
                           shell.hidden if hides else None, shell_hem(shell), uv, fabric if uv is not None else None)
        self.out.append(mesh)
        return mesh


@dataclasses.dataclass(frozen=True)
class GarmentKind:
    """A kind of garment: seg class, layer, how it sits over lower layers, default ease, builder."""

    name: str
    part: str
    layer: int
    ease: float
    build: Callable[[Wearer, dict, float, float], None]
    """``build(wearer, garment, thickness, ease)``: add the garment's meshes (stacked values)."""
    stacks: bool = False
    """True: its thickness adds to the layers below (a coat); False: at least theirs + 4 mm."""
    ease_gap: float = 0.008
    """metres of ease it keeps beyond the layers below."""
    section: str = ""
    """The wardrobe section its garments are drawn from (a kind registered outside genb: each person
    gets one with the probability ``<section>_prob`` {female|male|neutral: p}); the built-ins (empty)
    follow the outfit's own rules (a dress, or a top and a bottom, maybe a coat)."""


@dataclasses.dataclass(frozen=True)
class AccessoryKind:
    """A kind of accessory: seg class, prompt words, whether it covers the hair, builder."""

    name: str
    part: str
    words: str
    build: Callable[[Wearer, dict], None]
    """``build(wearer, accessory)``: add its meshes (``accessory``: ``type``, ``color``)."""
    covers_hair: bool = False


GARMENT_KINDS: dict[str, GarmentKind] = {}
ACCESSORY_KINDS: dict[str, AccessoryKind] = {}


def garment_kind(name: str, part: str, layer: int, ease: float, stacks: bool = False, ease_gap: float = 0.008,
                 section: str = ""):
    """Decorator registering ``build(wearer, garment, thickness, ease)`` as the garment kind ``name``
    (``section``: the wardrobe section a kind added outside genb is drawn from, see :class:`GarmentKind`)."""

    def register(fn):
        if part not in PART_INDEX:
            raise KeyError(f"garment kind {name!r}: unknown seg class {part!r}")
        GARMENT_KINDS[name] = GarmentKind(name, part, layer, ease, fn, stacks, ease_gap, section)
        return fn

    return register


def accessory_kind(name: str, part: str, words: str, covers_hair: bool = False):
    """Decorator registering ``build(wearer, accessory)`` as the accessory kind ``name``."""

    def register(fn):
        if part not in PART_INDEX:
            raise KeyError(f"accessory kind {name!r}: unknown seg class {part!r}")
        ACCESSORY_KINDS[name] = AccessoryKind(name, part, words, fn, covers_hair)
        return fn

    return register


def extra_sections() -> dict[str, GarmentKind]:
    """Wardrobe section -> the registered garment kind drawn from it (kinds with a ``section``)."""
    return {k.section: k for k in GARMENT_KINDS.values() if k.section}


def stacked(garments: list[dict], fit: float = 1.0) -> list[tuple[float, float]]:
    """(thickness, ease) per garment, raised over the layers below: a kind of layer L sits over
    the thickest and loosest garments of the lower layers (layers never share a surface: a top
    over the waistband, a coat over the top); all times ``fit`` (:func:`~genb.render.dress.fit.size_scale`:
    a child's clothes as loose for its size as an adult's; the layers' order kept)."""
    kinds = [GARMENT_KINDS[g["kind"]] for g in garments]
    raw = [(float(g["thickness"]), float(g.get("ease", k.ease))) for g, k in zip(garments, kinds)]
    result: list[tuple[float, float]] = list(raw)
    below_t = below_e = 0.0
    for layer in sorted({k.layer for k in kinds}):
        top_t = top_e = 0.0
        for i, k in enumerate(kinds):
            if k.layer != layer:
                continue
            t, e = raw[i]
            if layer > 0:
                t = below_t + t if k.stacks else max(t, below_t + 0.004)
                e = max(e, below_e + k.ease_gap)
            result[i] = (t, e)
            top_t, top_e = max(top_t, t), max(top_e, e)
        below_t, below_e = max(below_t, top_t), max(below_e, top_e)
    return result if fit == 1.0 else [(fit * t, fit * e) for t, e in result]
