"""The built-in garment kinds (registered in :data:`~genb.render.dress.kinds.GARMENT_KINDS`): tops,
coats and dresses (a tight shell over the trunk and arms; a dress's and a coat's skirt or tail a
loose shell from the waist), and bottoms (tight trousers, or a skirt hanging from a waistband)."""

from __future__ import annotations


import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress import coat_join, coat_lap, coat_tail, curtain, knee_clear, rib_bands, seat_fill, seat_press, seat_tent, sleeves, taut_back
from genb.render.dress.kinds import GARMENT_KINDS, Wearer, garment_kind
from genb.render.dress.hood import opening_shade
from genb.render.dress.materials import fabric_colors
from genb.render.dress.mesh import mesh_normals
from genb.render.dress.neckline import layer_collar

TORSO = PART_INDEX["torso"]
FINE_PATTERNS = ("stripes", "checks", "print")  # patterns drawn on a subdivided shell (the body mesh is too coarse)


def _fine(w: Wearer, g: dict) -> bool:
    """Whether the garment goes on a subdivided shell: a fine pattern on a person large enough on screen."""
    return g.get("pattern") in FINE_PATTERNS and w.detail.fine


def _upper(w: Wearer, g: dict, t: float, e: float) -> None:
    """A top's, coat's or dress bodice's tight shell, then a dress's skirt or a coat's tail."""
    kind = GARMENT_KINDS[g["kind"]]
    tail = g["kind"] == "coat" and "tail" in g  # its shell ends where the tail begins (dress.coat_join)
    waist = coat_join.top(w.keypoints, g["waist"]) if tail else g["waist"] if g["kind"] != "dress" else g["waist"] - 0.05
    # a coat's neckline a little higher than the top's, its band over the top's (dress.neckline); over a hooded
    # top a coat's or a jacket's back rises over the hood lying on it (its bulge came out through their back)
    hood = bool(g.get("hood")) or (kind.layer > 1 and w.hood)
    w.hood = w.hood or bool(g.get("hood"))
    shell = w.dresser.top_shell(g["sleeve"], waist, layer_collar(kind.layer), open_front=bool(g.get("open")),
                                hood=hood, fine=_fine(w, g), ease=w.cut_ease(e), seat=g["kind"] == "coat",
                                layer=kind.layer)
    # over the arms, raised only over the sleeves under it (dress.sleeves)
    body_t, arm_t = sleeves.arm_thickness(w.dresser.atlas.arm, w.sleeves, sleeves.sleeve_own(w.own(g), kind.stacks),
                                          kind.stacks, t)
    w.sleeves.append((float(g["sleeve"]), arm_t))
    # a sleeve: less ease, hanging under the arm (dress.sleeves)
    slack = np.asarray(shell.blend @ sleeves.arm_slack(w.dresser.atlas.arm, w.normals[:, 2], e)).ravel() if g["sleeve"] >= 0 else None
    # a hoodie's or a sweater's rib bands at its hem and cuffs, the cloth bloused above them (dress.rib_bands)
    thick, slack, ribs = rib_bands.gather(shell, w.dresser.atlas, w.dresser.is_arm, g, waist, np.asarray(shell.blend @ body_t).ravel(),
                                           slack, e, w.dresser.rib_cache)
    band = None if ribs is None else ribs[2]
    taut = taut_back.taut(w.keypoints) if g["kind"] == "top" else 0.0
    if taut > 0.0:  # leaning forward on a seat its back pulled taut, out of the trousers later (dress.taut_back)
        thick, slack, ribs = taut_back.pull(shell, w.dresser.atlas, w.dresser.is_arm, taut, w.own(g),
                                            thick, slack, e, ribs, w.dresser.rib_cache)
    colors = fabric_colors(g, shell.rest, shell.rest_normals)
    if g.get("hood"):  # the hood's opening round the neck in shadow (dress.hood)
        colors = np.asarray(colors, np.float32) * opening_shade(shell, w.dresser.atlas, w.dresser.rib_cache)[:, None]
    m = w.add_shell(shell, thick, colors if band is None else rib_bands.shade(colors, band),
                    kind.part, g["type"], ease=e, fabric=g, below=t - w.own(g) if kind.stacks else 0.0,
                    slack=slack)
    if ribs is not None:  # out of the trousers dressed after it, its normals tilted: dress.rib_bands.settle
        w.ribs.append((m, shell, *ribs))
    if hood and ribs is None:  # the hood's bulk and its edge's step lit as such (a ribbed top's: rib_bands.settle)
        rib_bands.tilt_hood(m, shell, w.dresser.rib_cache)
    if taut > 0.0:  # and its hem rides up the back (dress.taut_back)
        taut_back.ride(m, taut_back.ride_plan(shell, w.dresser.atlas, w.dresser.is_arm, waist, w.dresser.rib_cache), taut)
    seat = w.seat
    if g["kind"] == "coat":  # standing its back and hips fall straight (dress.curtain); a flexed seat spanned (dress.seat_tent)
        _hang_back(w, shell, m, tail)
        knee_clear.lay(w, shell, m, t, float(g["thickness"]))  # and out of the thighs and knees a crouch folds up against it (dress.knee_clear)
        seat = coat_tail.seat_for(w.seat, w.vertices, w.dresser.atlas.parts == TORSO, w.keypoints)  # given or guessed
        seat_press.lay(w, shell, m, seat)  # on the seat's top, not under the buttocks inside it (dress.seat_press)
    elif g["kind"] == "top" and g["waist"] < coat_join.WIDEST and (curtain.kneels(w.keypoints) or not coat_join.upright(w.keypoints)):
        curtain.hang(w, shell, m, False)  # kneeling or seated a long top's back falls from the buttocks too (dress.curtain)
    if g["kind"] != "dress":  # over the skirts worn with it (a dress's bodice ends under its own skirt), not its sleeves
        arms = np.asarray(shell.blend @ w.dresser.is_arm.astype(np.float32)).ravel() > 0.5
        w.uppers.append((m, arms))
    if g.get("loose") or tail:
        ring = coat_join.hem_ring(shell, w.dresser.atlas.torso, w.dresser.is_arm, m.vertices, waist,
                                  m.normals, bool(g.get("open")), coat_join.upright(w.keypoints)) if tail else None
        _skirt(w, g, t, e, ring, seat)


def _hang_back(w: Wearer, shell, m, tail: bool) -> None:
    """A coat's or a jacket's posed shell ``m``: its back falling straight (dress.curtain) and a flexed seat spanned as
    a tent (dress.seat_tent). With both thighs folded up (curtain.folded_seat) the curtain first, as before; otherwise
    the tent first (kneeling on one knee the tent, lifting along the normals the curtain had turned, stood a point of
    the child's back out 12 mm off its neighbours: the seat's relief share 0.58; 0.18 tent first)."""
    if curtain.folded_seat(w.keypoints):
        curtain.hang(w, shell, m, tail)
        seat_tent.lay(w, shell, m)
        return
    seat_tent.lay(w, shell, m)
    curtain.hang(w, shell, m, tail)


def _skirt(w: Wearer, g: dict, t: float, e: float, ring: coat_join.Hem | None = None, seat=None) -> None:
    """A loose skirt (or a coat's tail) hanging from the waist over whatever is worn under it; a
    skirt's waistband hugs the hips. ``ring``: a coat's hem ring (:class:`~genb.render.dress.coat_join.Hem`),
    the tail's top goes on it. ``seat``: what the cloth lies on (a coat's: :func:`~genb.render.dress.coat_tail.seat_for`;
    None: the wearer's own)."""
    kind = GARMENT_KINDS[g["kind"]]
    coat = g["kind"] == "coat"
    waist = g["waist"] if not coat else coat_join.top(w.keypoints, g["waist"])
    if not coat:
        band = w.dresser.bottom_shell(-1.0, waist, fine=_fine(w, g), ease=w.cut_ease(e))
        w.add_shell(band, t, fabric_colors(g, band.rest, band.rest_normals), kind.part, g["type"], ease=e, fabric=g)
    hem = g["length"] if not coat else g["tail"]
    # standing or walking, a coat's tail stands off the skin by its stacked t and e (they count the layers under
    # it, kinds.stacked), not by them again over the outermost layer's (w.outer: its hem stood 13.5-16 cm past
    # the hips' hull, a bell; 10-12.5 now). Flexed, it hangs on from the curtain over the seat as before (dress.curtain)
    margin = max(w.outer, t + e) if getattr(ring, "tuck", False) else w.outer + t + e
    m = w.dresser.loose(g, w.vertices, w.keypoints, waist, hem, margin, kind.part,
                        bool(coat and g.get("open")), normals=w.normals, detail=w.detail, top=ring, seat=w.seat if seat is None else seat)
    if ring is not None:  # the shell's shading runs on into the tail (dress.coat_join)
        X = m.vertices.astype(np.float64).reshape(-1, m.columns, 3)
        under = [u.vertices for u in w.out if u.part in (PART_INDEX["lower_clothes"], PART_INDEX["dress"])]
        if under and coat_tail.on_chair(w.keypoints):  # seated: its lap over the trousers (dress.coat_lap)
            Y = coat_lap.over_cloth(X, np.concatenate(under), w.keypoints)
            if Y is not None:  # the raised cloth's normals from its faces
                moved = np.ravel((Y != X).any(axis=-1))
                X, m.vertices = Y, Y.reshape(-1, 3).astype(np.float32)
                m.normals[moved] = mesh_normals(m.vertices, m.faces)[moved]
        m.normals = coat_join.seam_normals(X, m.normals.reshape(X.shape), ring).reshape(-1, 3).astype(np.float32)
        w.seams.append((w.uppers[-1][0], ring, m))  # the shell's, welded again after the layering
    w.out.append(m)
    if coat:  # its tail lies over the skirts too, under the coat's own hem (dress.layering)
        w.uppers.insert(len(w.uppers) - 1, (m, None))
    else:
        w.loose.append((m, np.arange(m.columns)))  # its top ring: the grid's first row


@garment_kind("top", "upper_clothes", layer=1, ease=0.008)
def top(w: Wearer, g: dict, t: float, e: float) -> None:
    _upper(w, g, t, e)


@garment_kind("dress", "dress", layer=1, ease=0.008)
def dress(w: Wearer, g: dict, t: float, e: float) -> None:
    _upper(w, g, t, e)


@garment_kind("coat", "coat", layer=2, ease=0.035, stacks=True, ease_gap=0.006)
def coat(w: Wearer, g: dict, t: float, e: float) -> None:
    _upper(w, g, t, e)


@garment_kind("bottom", "lower_clothes", layer=0, ease=0.006)
def bottom(w: Wearer, g: dict, t: float, e: float) -> None:
    if g.get("loose"):
        _skirt(w, g, t, e)
        return
    shell = w.dresser.bottom_shell(g["length"], g["waist"], float(g.get("flare", 0.0)), fine=_fine(w, g), ease=w.cut_ease(e))
    m = w.add_shell(shell, t, fabric_colors(g, shell.rest, shell.rest_normals), GARMENT_KINDS["bottom"].part, g["type"],
                    ease=e, fabric=g)
    if w.detail.folds:  # the posed seat spanned: the cleft bridged, the folds softened (a small person: unseen)
        coarse = w.dresser.bottom_shell(g["length"], g["waist"], fine=False, ease=w.cut_ease(e)) if _fine(w, g) else None
        seat_fill.lay(w, shell, m, g["waist"], coarse)
    w.legs.append((m, shell, float(g.get("flare", 0.0))))  # over a boot's shaft or tucked into it (dress.boot_hem)


__all__ = ["FINE_PATTERNS", "bottom", "coat", "dress", "top"]
