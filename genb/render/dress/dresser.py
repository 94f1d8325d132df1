"""Dress posed bodies: the meshes of one person's outfit (garments, shoes, hair, accessories).

:class:`Dresser` is built once per process for a body model. Its tight shells (tops,
trousers, shoes, hair, straps) are cut from the :class:`~genb.render.dress.atlas.BodyAtlas`
and cached per cut, so per person the work is a few sparse products with the posed
vertices and normals (plus folds at bent joints, :mod:`~genb.render.dress.folds`); loose
garments (skirts, dresses, coat tails) hang from the waist around the posed legs
(:mod:`~genb.render.dress.hang`) and rigid pieces (buns, ponytails, cap brims, bags) are built
from the posed body directly. Everything is drawn
with the wearer's instance id; the body under the clothes stays the ground truth.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.armhole import armhole_field, hug_armholes
from genb.render.dress.neckline import neckline_distance, neckline_field, top_hug
from genb.render.dress.atlas import ARM_PARTS, LEG_PARTS, build_atlas
from genb.render.dress.materials import hair_colors, hash_noise, hex_rgb
from genb.render.dress.bridge import BRIDGE_RHO, SEAT_FRAME_RADIUS, SEAT_TENT, back_seat_zone, seat_zone
from genb.render.dress.chest import CHEST_FRAME_RADIUS, chest_lift, chest_zone, curtain_lift, seat_back_zone, shoulder_zone
from genb.render.dress.drape import drape_shell, tangent_neighbours
from genb.render.dress.drape_refine import refine_drape
from genb.render.dress.mesh import GarmentMesh, mesh_normals
from genb.render.dress import rib_bands
from genb.render.dress import accessories as _accessories, garments as _garments  # noqa: F401  (the built-in kinds)
from genb.render.dress.layering import lay_over
from genb.render.dress.kinds import ACCESSORY_KINDS, GARMENT_KINDS, Wearer, stacked
from genb.render.dress.facial_hair import add_facial_hair
from genb.render.dress.fit import size_scale
from genb.render.dress.hair import hair_profile, hair_record, piece_strands, relief_normals, shell_strands
from genb.render.dress.hairline import CAP_RIM, beard_field, brow_weight, cap_line, hairline_height, moustache_field
from genb.render.dress.pieces import hair_piece
from genb.render.dress.sash import HALF_WIDTH as SASH_HALF_WIDTH, LINE as SASH_LINE
from genb.render.dress.hair_bob import curtain, hem_line, is_bob
from genb.render.dress.hair_locks import hair_locks
from genb.render.dress.hood import hood_lift
from genb.render.dress.hang import BINS
from genb.render.dress.loose import loose_garment
from genb.render.dress import boot_hem, coat_join, texcoords
from genb.render.dress.lod import FULL, Detail
from genb.render.dress.shell_store import ShellStore
from genb.render.dress.shells import Shell, build_shell, pose_shell
from genb.render.dress.shoes import foot_faces, foot_vertices, shoe_meshes
from genb.render.dress.shoe_shaft import boot_shaft

HEAD, TORSO = PART_INDEX["head"], PART_INDEX["torso"]
# Ease (metres of room between the smoothed body and the cloth) of garments whose outfit does not
# name one (outfits drawn from older wardrobe files): the kinds' own.
DEFAULT_EASE = {name: kind.ease for name, kind in GARMENT_KINDS.items()}
HAIRLINE_SOFT = 0.006  # metres a hair shell reaches below its hairline, where its strands thin out
HAIR_LAYER = 0.006  # long hair lies this far over the outermost garment on the back
STRIP_END = -0.16  # metres under the ears' midpoint (rest pose): long hair's shell down the back of the neck ends here, above
# where its sheet lies on the back (dress.hair_rest; ending 26 cm down, its thick strip held the sheet 4 cm off an upright back)


def span(ease: float) -> float:
    """Metres of the body's forms a garment's cloth spans (the drape's smoothing radius): 5 cm
    for a fitted garment, growing with the ease (a coat hangs from the bust), on a 5 cm grid
    so a few cached shells serve every garment."""
    return round(round((0.05 + 1.2 * ease) / 0.05) * 0.05, 3)


class Dresser:
    """Builds the outfit meshes of posed people for one body model (build once per process).

    Args:
        body: a :class:`~genb.render.bodies.base.BodyModel`.
        store_root: a folder of shells shared between processes (:mod:`~genb.render.dress.shell_store`),
            or None: shells are built in this process only.
    """

    def __init__(self, body, store_root=None):
        self.atlas = build_atlas(body)
        self._shells: dict[tuple, Shell] = {}
        self._store = ShellStore(store_root, self.atlas) if store_root is not None else None
        a = self.atlas
        self.is_arm = np.isin(a.parts, ARM_PARTS)
        self.is_leg = np.isin(a.parts, LEG_PARTS)
        h = a.head
        self.face_region = (a.parts == HEAD) & (h[:, 1] > 0.0) & (h[:, 2] > -0.13) & (h[:, 2] < 0.08)
        self.brow_weight = brow_weight(h, (a.parts == HEAD) & (h[:, 1] > 0.06)).astype(np.float32)[:, None]
        self.brows = self.brow_weight[:, 0] > 0.05
        self.hairline_skin = self.face_region & (h[:, 2] > 0.02) & (h[:, 2] < 0.07) & ~self.brows
        if not self.hairline_skin.any():
            self.hairline_skin = a.parts == HEAD
        self._hairline_ids = np.flatnonzero(self.hairline_skin)
        # what hair never covers: the face below the forehead (not the temples' sideburns; dress.hairline)
        self.hair_face = self.face_region & (h[:, 2] < 0.062) & ((np.abs(h[:, 0]) < 0.058) | (h[:, 1] > 0.05))
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
        self.feet = {side: (foot_vertices(a, side), foot_faces(np.asarray(a.faces), foot_vertices(a, side)))
                     for side in ("left", "right")}
        self.limb_hold = np.where(self.is_arm | self.is_leg, 0.75, 0.0)  # limbs smooth less (they are round already)
        self._uv_centres = texcoords.region_centres(a)  # axes the cloth coordinates unroll around
        self.neck_height = neckline_distance(a)  # metres over a top's neckline (the band a coat's goes on over: dress.neckline)
        self._lower = self._skin_grain = None  # on first use: the lower body's rings and legs (dress.hang), the skin's grain
        self.rib_cache: dict = {}  # per cached shell (by id): rib bands' weights, a hood's opening (dress.rib_bands, dress.hood)
        self._loose_cuts: dict[tuple, tuple] = {}  # (waist, hem, open front) -> dress.loose.loose_cut's

    # ------------------------------------------------------------------ shells (cached per cut)
    def _shell(self, key: tuple, field_fn, drape: dict | None = None, coarse_key: tuple | None = None, **kw) -> Shell:
        """A cached shell; ``drape``: keyword arguments of :func:`~genb.render.dress.drape.drape_shell`
        (smoothed offset surface, computed once with the shell), or a function that gives them, or None for a
        shell on the skin; ``extra`` (in ``kw``) may be a function too: both are called only to build the shell
        (a cached top's or trousers' zones and holds cost 0.3 ms a call when they were made per lookup)."""
        shell = self._shells.get(key)
        if shell is None and self._store is not None:
            shell = self._store.load(key)
            if shell is not None:
                self._shells[key] = shell
        if shell is None:  # built: the drape's and the extra offset's arrays (callables) made now, not per lookup
            drape = drape() if callable(drape) else drape
            kw = {k: (v() if k == "extra" and callable(v) else v) for k, v in kw.items()}
            shell = build_shell(self.atlas, field_fn(), **kw)
            if drape is not None and kw.get("subdivide", True) and coarse_key is not None:
                # a subdivided shell takes the drape of the same cut unsubdivided (cached under ``coarse_key``)
                coarse = self._shell(coarse_key, field_fn, drape=drape, **{**kw, "subdivide": False})
                shell = refine_drape(shell, coarse)
            elif drape is not None:
                drape = dict(drape)
                drape.setdefault("region_scale", self.ease_region)
                hug = drape.pop("hug", None)  # a top's neckline and armholes keep to the skin (dress.armhole)
                hug = hug() if callable(hug) else hug  # weights computed only when the shell is built
                shell = drape_shell(shell, self.atlas, self.tangent_to, **drape)
                shell = hug_armholes(shell, *hug) if hug is not None else shell  # (weight, hem_pull, anchor)
            self._shells[key] = shell
            if self._store is not None:
                texcoords.shell_texcoords(shell, self.atlas, self._uv_centres)  # stored with it: cut once per machine
                self._store.save(key, shell)
        return shell

    def top_shell(self, sleeve: float, waist: float, collar: float = 1.1, open_front: bool = False,
                  hood: bool = False, fine: bool = False, ease: float = 0.0, seat: bool = False, layer: int = 1) -> Shell:
        """Trunk from ``waist`` (trunk coordinate) up to the collar, arms to ``sleeve`` (arm coordinate; < 0: none). ``ease``:
        the looser, the wider the forms its cloth spans (:func:`span`). ``seat``: a coat's or a jacket's (its seat's anchors
        smoothed wider, :func:`~genb.render.dress.bridge.back_seat_zone`). ``layer``: its kind's (:func:`~.neckline.top_hug`)."""
        a = self.atlas

        def field():
            hard = np.isin(a.parts, [PART_INDEX[p] for p in ("left_hand", "right_hand", "left_foot", "right_foot")])
            f = np.maximum(waist - a.torso, neckline_field(a, collar))  # a crew neck, across the head's part (dress.neckline)
            if sleeve < 0:  # sleeveless: armholes along one smooth line over the trunk and arms (dress.armhole)
                f = np.maximum(f, armhole_field(a))
            else:
                f = np.where(self.is_arm, np.maximum(f, np.nan_to_num(a.arm) - sleeve), f)
            if open_front:  # a gap down the middle of the front
                gap = (a.normals[:, 1] < -0.3) & (a.torso < 1.05)
                f = np.where(gap, np.maximum(f, (0.035 - np.abs(a.rest[:, 0])) * 10), f)
            return np.where(hard, 1.0, f)

        def extra():  # a hood lying on the back (dress.hood)
            return hood_lift(a)

        r = span(ease)

        def drape():  # (made only when the shell is built, 0.3 ms a call before)
            # a top hangs from the bust and falls from the buttocks (dress.chest); a coat's or a jacket's seat is
            # its own (dress.seat_tent): its thighs smooth as the trunk does, its anchors over 12 cm
            chest = chest_zone(a)
            under = seat_back_zone(a) if not seat else np.zeros(len(chest))
            wide, hold = [(np.maximum(chest, under), CHEST_FRAME_RADIUS)], self.limb_hold
            if seat:
                wide, hold = wide + [(back := back_seat_zone(a, self.is_leg), SEAT_FRAME_RADIUS)], hold * (1.0 - back)
            return {"fixed": hold, "radius": r, "bridge": BRIDGE_RHO, "wide": wide, "rest_on": shoulder_zone(a, self.is_arm),
                    "hang": [(chest, chest_lift), (under, curtain_lift)], "hug": lambda: top_hug(a, collar, sleeve < 0, layer)}

        key = ("top", sleeve, waist, collar, open_front, hood, fine, r) + (("seat",) if seat else ()) + ((layer,) if layer > 1 else ())
        return self._shell(key, field, extra=extra if hood else None, subdivide=fine, drape=drape,
                           coarse_key=key[:6] + (False,) + key[7:])

    def bottom_shell(self, length: float, waist: float, flare: float = 0.0, fine: bool = False, ease: float = 0.0) -> Shell:
        """Pelvis up to ``waist`` (trunk coordinate) and legs down to ``length`` (leg coordinate)."""
        a = self.atlas

        def field():
            f = np.where(a.parts == TORSO, a.torso - waist, 1.0)
            return np.where(self.is_leg & ~np.isin(a.parts, [PART_INDEX["left_foot"], PART_INDEX["right_foot"]]),
                            np.nan_to_num(a.leg) - length, f)

        def unit():  # straight legs hang from the knee: an offset linear in the flare, so one cached shell serves every flare
            return np.clip((np.nan_to_num(a.leg) - 1.1) / 0.85, 0.0, 1.0) * self.is_leg

        r = span(ease)

        def drape():  # (made only when the shell is built, 0.3 ms a call before)
            # the waistband (its 4 cm and a little) keeps to the body; below it the cloth bridges the buttocks,
            # their cleft and the crotch, down the thighs (held like a limb from a third of the way to the knee)
            thigh = np.where(self.is_leg, 0.75 * np.clip((np.nan_to_num(a.leg) - 0.4) / 0.3, 0.0, 1.0), self.limb_hold)
            hold = np.where(a.parts == TORSO, np.clip((a.torso - waist + 0.08) / 0.06, 0.0, 1.0), thigh)
            return {"fixed": hold, "radius": r, "bridge": BRIDGE_RHO, "push_tent": SEAT_TENT,
                    "wide": [(seat_zone(a, self.is_leg, waist), SEAT_FRAME_RADIUS)]}

        shell = self._shell(("bottom", length, waist, fine, r), field, extra=unit, subdivide=fine, drape=drape,
                            coarse_key=("bottom", length, waist, False, r))
        return dataclasses.replace(shell, extra=shell.extra * flare)

    def shoe_shell(self, cut: float) -> Shell:
        a = self.atlas
        lower = np.isin(a.parts, [PART_INDEX["left_lower_leg"], PART_INDEX["right_lower_leg"]])
        return self._shell(("shoe", cut), lambda: np.where(lower, cut - np.nan_to_num(a.leg), 1.0), rim=0.0)

    def hair_shell(self, hairline: str, cap: bool = False, under_cap: bool = False, fine: bool = True,
                   bob: bool = False) -> Shell:
        """Hair (or a cap: ``cap``) over the scalp down to a ``hairline``, draped: the cloth-like
        smoothing rounds the scalp's small forms and softens the cut along the hairline. Long
        hair hangs down the back over whatever is worn there (its ease is the clothes' offset).
        ``under_cap``: only the hair below a cap's edge (none inside the cap). ``fine``: hair (not a
        cap) subdivided once, fine enough for its clumps and curls (a close person: dress.lod).
        ``bob``: a medium cut worn down, hanging off the head to its ends in pieces (dress.hair_bob)."""
        a = self.atlas
        h = a.head

        def field():
            if cap:
                line = cap_line(h)
            else:  # a natural hairline (dress.hairline; a bob's ends, dress.hair_bob); its strands thin out over the
                line = (hem_line(h) if bob else hairline_height(h, hairline)) - HAIRLINE_SOFT  # last centimetre
                # (dress.hair_texture): the shell reaches past it
            f = np.where(a.parts == HEAD, (line - h[:, 2]) * 10, 1.0)
            if hairline in ("short", "long") and not cap:  # keep the ears out (short: the sideburns run in front
                # of them; long: the sheet of dress.hair_locks falls over them, the shell folded over them stood out)
                f[(np.abs(h[:, 0]) > 0.066) & (h[:, 2] < 0.04) & (h[:, 1] > -0.045) & (h[:, 1] < 0.03)] = 1.0
            if hairline == "long" and not cap:  # down the back of the neck (dress.hair_locks' sheet falls over it)
                width = 0.1 - 0.25 * np.clip(-h[:, 2] - 0.14, 0.0, 0.2)  # narrowing down the back
                hang = np.isin(a.parts, [HEAD, TORSO]) & (a.normals[:, 1] > 0.3) & (h[:, 2] > STRIP_END) & \
                    (h[:, 1] < np.where(a.parts == HEAD, -0.02, -0.045)) & (np.abs(h[:, 0]) < width)
                # inside the hair, but never hidden: hair off the neck does not hide it from the side
                f = np.where(hang, np.minimum(f, -0.1), f)
            if hairline == "long" and not cap:  # hair lifted off the head (over the nape) hides nothing
                f = np.where((lift() > 0.003) & (f < 0), np.maximum(f, -0.1), f)
            if under_cap:  # the cap's edge overlaps the hair's top by a centimetre
                f = np.maximum(f, (h[:, 2] - cap_line(h) - 0.01) * 10)
            f[self.face_region if cap else self.hair_face] = 1.0
            return f

        def lift():  # long hair hangs straight down from the back of the head
            return np.clip(self.occiput_back - 0.02 + h[:, 1], 0.0, 0.07) * ((h[:, 2] < -0.02) & (a.normals[:, 1] > 0.0))

        extra = lift if hairline == "long" and not cap else None  # (both made only when the shell is built)
        back = lambda: {"region_scale": (a.parts == TORSO).astype(np.float64),  # noqa: E731  the share of the clothes'
                        "radius": 0.025, "clearance": 0.002,  # offset hair lies over; a bob falls off the head
                        "hang": [(np.ones(len(h)), curtain(a.rest, h, a.parts == HEAD))] if bob and not cap else None}
        # body faces count as hidden only 3 cm inside the cut (hair stands off the head); a cap hides none:
        # seen under its edge, its inside is culled
        fine = fine and not cap
        # a subdivided shell takes the drape of the same cut unsubdivided (computed once, posed as cheaply)
        key = ("hair", hairline, cap, under_cap) + (("bob",) if bob else ())
        return self._shell(key + (fine,), field, extra=extra, subdivide=fine, coarse_key=key + (False,),
                           hide_margin=None if cap else 0.3, rim=CAP_RIM,  # (hair: the same default; a cap's
                           drape=back)  # hem is where hairline.cap_press presses the hair under it)

    def region_shell(self, name: str) -> Shell:
        """Small named regions: ``beard`` and ``stubble`` (a full beard: the jaw, the chin and the cheeks, and the
        upper lip), ``moustache``, ``sash`` (a shoulder bag's strap)."""
        a = self.atlas
        h = a.head
        face = (a.parts == HEAD) & ~self.lips
        fields = {"moustache": lambda: moustache_field(h, face) * 30.0,  # chin, jaw and cheeks below the cheekbones,
                  "beard": lambda: np.minimum(beard_field(h, a.normals, face), moustache_field(h, face)) * 30.0}  # and the lip
        fields["stubble"] = fields["beard"]
        if name in fields:  # a smooth edge: the cut follows the field's zero (dress.hairline)
            return self._shell(("region", name), fields[name], rim=0.5, subdivide=False)
        if name != "sash":
            raise KeyError(name)

        def field():  # metres from the sash's middle line less its half width (a straight cut, not the mesh's steps)
            zt = np.nan_to_num(a.torso, nan=9.0) * self.trunk_length
            p0, p1 = (np.array([x, z * self.trunk_length]) for x, z in SASH_LINE)
            d = p1 - p0
            q = np.stack([a.rest[:, 0], zt], 1) - p0
            t = np.clip(q @ d / (d @ d), 0, 1)
            dist = np.linalg.norm(q - t[:, None] * d, axis=1)
            return np.where(a.parts == TORSO, (dist - SASH_HALF_WIDTH) * 30.0, 1.0)

        return self._shell(("region", name), field, rim=0.5, subdivide=True)

    # ------------------------------------------------------------------ one person
    def dress(self, outfit: dict[str, Any], vertices: np.ndarray, normals: np.ndarray, keypoints: np.ndarray,
              skin_colors: np.ndarray | None = None, detail: Detail = FULL, seat=None) -> list[GarmentMesh]:
        """The posed meshes of one person's outfit (from :func:`~genb.render.dress.outfit.sample_outfit`):
        each garment and accessory by its registered kind (:mod:`genb.render.dress.kinds`).

        Args:
            vertices: (V, 3) posed body vertices, world frame, metres. normals: (V, 3) their unit normals.
            keypoints: (25, 3) BODY25 keypoints, world frame.
            skin_colors: (V, 3) the body's sRGB albedo 0..1 (the hairline blends into it), or None.
            detail: how finely (:mod:`genb.render.dress.lod`; the person's size on screen).
            seat: what the person sits on (:class:`~genb.render.dress.seat_cloth.Seat`), or None: loose
                garments lie on its top and fall over its edges (:mod:`genb.render.dress.seat_cloth`).
        """
        w = Wearer(self, vertices, normals, keypoints, detail=detail, seat=seat, fit=size_scale(keypoints))
        garments = outfit.get("garments", [])
        for g, (t, e) in zip(garments, stacked(garments, w.fit)):  # a child's as loose for its size (dress.fit)
            GARMENT_KINDS[g["kind"]].build(w, g, t, e)
            w.outer = max(w.outer, t + e)
        rib_bands.settle(w.ribs, w.out)  # a ribbed top's waistband out of the trousers dressed after it
        lay_over(w.uppers, w.loose)  # a top, a jacket or a coat over a skirt lies on it (dress.layering)
        coat_join.weld(w.seams, BINS)  # a coat's seam at the hips shares its normals again
        shoes = outfit.get("shoes") or {}
        if shoes.get("type", "barefoot") != "barefoot":
            w.out.extend(shoe_meshes(shoes, vertices, keypoints, self.atlas.faces, self.feet))
            if shoes["cut"] < 1.8:  # a boot's shaft up the shin, the trousers' legs over it or tucked in
                w.out.append(self._shaft(shoes, w))
        self._add_hair(outfit, w, skin_colors)
        for acc in outfit.get("accessories", []):
            ACCESSORY_KINDS[acc["type"]].build(w, acc)
        return w.out

    def _add_hair(self, outfit: dict[str, Any], w: Wearer, skin_colors: np.ndarray | None = None) -> None:
        """Hair (eased over the outermost cloth) and facial hair; sets ``w.hair_t``, the hair's thickness.
        The hair's meshes carry strand coordinates and the person's hair record (:mod:`genb.render.dress.hair`):
        drawn per pixel, blending into the skin (``skin_colors`` near the hairline) at the hairline."""
        hair = outfit.get("hair") or {}
        w.hair_t = hair_t = float(hair.get("thickness", 0.0))
        capped = any(ACCESSORY_KINDS[acc["type"]].covers_hair for acc in outfit.get("accessories", []))
        if hair.get("hairline"):
            shell = self.hair_shell(hair["hairline"], under_cap=capped, fine=w.detail.fine, bob=is_bob(hair))
            strands = shell_strands(shell, self.atlas, hairline_top=0.04 if capped else None)
            record = hair_record(hair, self._hairline_skin(skin_colors))
            mesh = w.add_shell(shell, hair_t * hair_profile(strands, hair, capped), hair_colors(hair["color"], shell.rest),
                               "hair", f"hair:{hair['style']}", ease=w.outer + HAIR_LAYER)
            mesh.uv, mesh.fabric = strands.map, record
            if not capped and w.detail.fine:  # the clumps' relief shades (not a cap's edge; close people only: dress.lod)
                mesh.normals = relief_normals(mesh.vertices, mesh.normals, shell.faces, mesh.hem, shell)
            back = self._back_surface(w) if hair["hairline"] == "long" or hair.get("shape") == "ponytail" else None
            if hair["hairline"] == "long":  # locks falling onto the shoulders, the chest and the back
                P, N = back  # (they rest on the back under a backpack too: it covers them, laid on the cloth later)
                locks = hair_locks(hair, w.keypoints, hair_t, (np.concatenate([P, mesh.vertices]),
                                                               np.concatenate([N, mesh.normals])), capped)
                locks.fabric = record
                w.out.append(locks)
            if hair.get("shape") == "ponytail" or (hair.get("shape") == "bun" and not capped):  # a bun would lift a cap
                surface = back if hair["shape"] == "ponytail" else None
                piece = hair_piece(hair, w.keypoints, hair_t, surface)
                piece.uv, piece.fabric = piece_strands(piece), record
                w.out.append(piece)
        if outfit.get("facial_hair"):  # a thin shell drawn as strands over the skin (dress.facial_hair)
            style = outfit["facial_hair"]
            add_facial_hair(w, self.region_shell(style), style, hair, skin_colors, self._hairline_skin(skin_colors))

    def _hairline_skin(self, skin_colors: np.ndarray | None) -> np.ndarray:
        """(3,) sRGB 0..1 the skin's mean colour on the forehead and temples (what the hairline blends into)."""
        if skin_colors is None:
            return np.array([0.6, 0.45, 0.35])
        # the few rows (their ids, built once: the same rows in the same order as the mask's), then float64
        return np.asarray(skin_colors)[self._hairline_ids].astype(np.float64).mean(axis=0)

    @staticmethod
    def _back_surface(w: Wearer) -> tuple[np.ndarray, np.ndarray]:
        """(P, 3) points and (P, 3) normals of the skin and every garment dressed so far (tight shells,
        coat tails, skirts: as they ended up) within 45 cm of the neck (what a ponytail and long hair fall
        on; the tight shells alone let long hair through a crouching coat's tail)."""
        P = np.concatenate([w.vertices] + [m.vertices for m in w.out])
        N = np.concatenate([w.normals] + [m.normals for m in w.out])
        near = ((P - w.keypoints[1]) ** 2).sum(1) < 0.45 ** 2  # BODY25 1: the neck
        return P[near], N[near]

    def loose(self, g: dict, vertices: np.ndarray, keypoints: np.ndarray, waist: float, hem: float,
              margin: float, part: str, open_front: bool, normals: np.ndarray | None = None,
              detail: Detail = FULL, top: np.ndarray | None = None, seat=None) -> GarmentMesh:
        """A loose shell (skirt, dress skirt, coat tail) from ``waist`` (trunk coordinate) to ``hem`` (leg
        coordinate), ``margin`` metres out of the enclosed hips and legs, seg class ``part``: it hangs
        (:func:`genb.render.dress.loose.loose_garment`, whose arguments these are)."""
        return loose_garment(self, g, vertices, keypoints, waist, hem, margin, part, open_front, normals, detail, top, seat)

    def _shaft(self, shoes: dict, w: Wearer) -> GarmentMesh:
        """A boot's shaft: a stiff tube up the shin to the boot's cut (:mod:`genb.render.dress.shoe_shaft`); the
        trousers' legs laid over it or tucked into it (:mod:`genb.render.dress.boot_hem`)."""
        v, f, col, tubes = boot_shaft(self.atlas, shoes, w.vertices, w.keypoints)
        boot_hem.lay(w.legs, tubes, self.atlas.parts)
        return GarmentMesh(v, mesh_normals(v, f), f, col, PART_INDEX["shoes"], self.shoe_shell(shoes["cut"]).covered,
                           f"{shoes['type']}:shaft")

    # ------------------------------------------------------------------ skin
    def skin_colors(self, outfit: dict[str, Any], skin_rgb: np.ndarray, lips_hex: str = "b0605c") -> np.ndarray:
        """(V, 3) float32 body albedo: the skin tone with the person's jitter, lips and eyebrows."""
        a = self.atlas
        base = np.asarray(skin_rgb, np.float32) * np.asarray(outfit.get("skin_jitter", [1, 1, 1]), np.float32)
        if self._skin_grain is None:  # (V, 1) the per-vertex grain, the same for everyone
            self._skin_grain = (0.97 + 0.05 * hash_noise(a.rest))[:, None]
        col = base[None] * self._skin_grain
        col[self.lips] = 0.55 * col[self.lips] + 0.45 * hex_rgb(lips_hex) * (base.mean() / 0.6) ** 0.5
        hair = (outfit.get("hair") or {}).get("color", "2e2119")
        w = 0.8 * self.brow_weight[self.brows]  # sparse hairs over the skin, densest along the middle
        col[self.brows] = (1.0 - w) * col[self.brows] + w * hex_rgb(hair) * 0.8
        return np.clip(col, 0, 1).astype(np.float32)
