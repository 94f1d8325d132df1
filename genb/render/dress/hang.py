"""Loose garments that hang: skirts, a dress's skirt and coat tails as one surface that follows
the legs, hangs under gravity and stays out of the legs.

A loose garment is a grid of ``rings`` x ``bins`` vertices (ring 0 at the waist, the last at the
hem) built once per cut around the rest body (:func:`~genb.render.dress.shells.loose_shell`:
rings around the hips and legs, never inside them). Posed, in these steps (vectorised numpy,
deterministic, a few ms per garment; :func:`hang_grid` in this order):

1. **Skinned** to five frames of the lower body, built from ring centroids of the body's own
   vertices (waist, hips, knees, ankles), so any body model and shape poses alike: the pelvis at
   the waist, below the hips each side's thigh, then its shin below the knee, with a smooth
   blend across the front and back middle and across the knee. A seated person's skirt lies
   on the lap and falls from the knees; a lunge opens it between the legs.
   In front the thighs carry the cloth from above the hips (:data:`FRONT_LIFT`): a flexed hip
   lifts the cloth over the groin with the thigh instead of leaving it in the crease. A coat's
   tail's top is moved onto the coat's hem (:mod:`~genb.render.dress.coat_join`).
2. **Shaped where the skinning alone fails**: a skirt's half on a shin raised behind (a lunge's
   back leg) is laid round it as a sleeve (:mod:`~genb.render.dress.stride`); the back of a closed
   coat's tail over a folded knee falls off it (:mod:`~genb.render.dress.coat_back`), a lunge's back leg's side
   hangs from the hips (:mod:`~genb.render.dress.coat_hang`), and a coat's tail hanging free stays close round
   the hips (:mod:`~genb.render.dress.coat_flare`).
3. **Relaxed** by a few rounds of position-based dynamics: a gravity step, each column's edges
   kept at their rest length, each ring's edges never longer than theirs (cloth folds, it does
   not stretch), a weak pull back to the skinned shape (the cut's flare), the waist pinned. Every
   round ends by pushing the cloth, its vertices and the midpoints of its edges (an edge pushed
   moves both its ends: no edge cuts through a knee), out of tapered capsules around each thigh
   and shin (each piece as wide as the body vertices around it, plus the cloth's offset), out of
   a seat (:mod:`~genb.render.dress.seat_cloth`) and above the ground. A knee on the ground, a skirt's
   cloth then falls onto the legs and the ground (:mod:`~genb.render.dress.fall`); on folded knees (crouching,
   knees up) it is moved in close round the legs (:mod:`~genb.render.dress.knee_drape`).
4. **Settled** against the trunk and legs (:mod:`~genb.render.dress.settle`).
5. **Last touches**: a skirt or dress is pressed in under the hands and forearms
   (:mod:`~genb.render.dress.under_hands`), then its front kept in front of the waist
   (:mod:`~genb.render.dress.waist_front`); a coat's tail is joined to its hem again
   (:func:`~genb.render.dress.coat_join.rejoin`), seated its sides drawn in round the hips and thighs and its
   front laid on the lap (:mod:`~genb.render.dress.coat_lap`); the seat's push has the last word.
6. **Fallen folds**: a skirt or dress that fell gathers into folds, its hem laid on the ground, and a coat's
   tail lying on the ground folds there (:mod:`~genb.render.dress.fall_folds`: the grid refined round the ring
   to 132 columns first, so a fallen garment's mesh has three times the columns, ``GarmentMesh.columns``).

No tiers: the surface is one grid from the waist to the hem, its hanging folds (flutes growing to the hem) part of its cut.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial import cKDTree

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress import coat_hang, coat_join, coat_lap, coat_tail, fall, fall_folds, knee_panel, seat_cloth, seat_lap, stride, under_hands, waist_front
from genb.render.dress.capsules import capsule_terms, leg_capsules, nearest_capsules, push_out
from genb.render.dress.settle import ROUNDS, edge_midpoints, grid_normals, settle, skinned, spread_edge_pushes
from genb.render.dress.texcoords import SKIRT_RADIUS_M
from genb.render.dress.vec import cross, length, norm, roll

SEGMENTS = ("pelvis", "left_thigh", "left_shin", "right_thigh", "right_shin")
TORSO = PART_INDEX["torso"]
BINS = 44  # columns around a loose grid (its first row, the top ring, is vertices 0..BINS-1)
RINGS = 24  # rings from the waist to the hem (14 let a deep crouch's thighs through the edges between them)
FRONT_LIFT = 0.18  # metres: in front, the thighs carry the cloth from this high above the hips (a flexed hip lifts it)
MIDDLE = 0.12  # metres: a coat tail's two sides blend over this much across the front and back middle
SKIRT_MIDDLE = 0.04  # a skirt's or a dress's (12 cm put the inner side of a leg in a stride on the blend: the back
# shin went out through the hem; 4 cm: 186 -> 146 leg vertices through in lunges, runs, kneeling on one knee, cross-legged)


@dataclasses.dataclass
class LowerBody:
    """Vertex sets of a body model's lower body (built once per body model).

    Attributes:
        waist: (k,) body vertex ids of a ring around the waist (its centroid: the pelvis's up).
        lower: (m,) body vertex ids of the trunk and of the legs and feet (what a loose garment must
            stay out of).
        leg: side -> (n,) body vertex ids of the thigh and shin (no foot); leg_t: side -> (n,) their
            leg coordinate (0 hip, 1 knee, 2 ankle).
        rest_centres: name -> (3,) joint centres in the rest pose (:func:`centres`; atlas frame, metres).
        arms: (a,) body vertex ids of the hands and forearms; arm_clear: (a,) metres of cloth under
            each (what a skirt yields to, :mod:`~genb.render.dress.under_hands`).
    """

    waist: np.ndarray
    lower: np.ndarray
    leg: dict
    leg_t: dict
    rest_centres: dict
    arms: np.ndarray | None = None
    arm_clear: np.ndarray | None = None


def lower_body(atlas) -> LowerBody:
    """The :class:`LowerBody` of an atlas (:class:`~genb.render.dress.atlas.BodyAtlas`)."""
    leg, leg_t = {}, {}
    t = np.nan_to_num(atlas.leg, nan=-9.0)
    for side in ("left", "right"):
        own = np.isin(atlas.parts, [PART_INDEX[f"{side}_upper_leg"], PART_INDEX[f"{side}_lower_leg"]])
        ids = np.flatnonzero(own & (t >= 0.0) & (t <= 2.0))
        leg[side], leg_t[side] = ids, t[ids]
    waist = np.flatnonzero((atlas.parts == TORSO) & (np.abs(atlas.torso - 0.3) < 0.03))
    lower = np.flatnonzero((atlas.parts == TORSO) | ~np.isnan(atlas.leg))  # a crouch's thighs reach the chest
    return LowerBody(waist, lower, leg, leg_t, centres(waist, atlas.rest, atlas.keypoints), *under_hands.arm_vertices(atlas.parts))


def centres(waist: np.ndarray, vertices: np.ndarray, keypoints: np.ndarray) -> dict:
    """name -> (3,) joint centres: hips, knees and ankles from BODY25 ``keypoints`` (25, 3), the
    waist from the centroid of the ``waist`` ring of ``vertices`` (V, 3)."""
    from genb.core.conventions import BODY25_INDEX as K25

    c = {"waist": vertices[waist].astype(np.float64).mean(axis=0)}
    for side in ("left", "right"):
        for j in ("hip", "knee", "ankle"):
            c[f"{side}_{j}"] = np.asarray(keypoints[K25[f"{side}_{j}"]], np.float64)
    return c


def _frame(axis: np.ndarray, lateral: np.ndarray) -> np.ndarray:
    """(3, 3) orthonormal columns: ``axis``, ``lateral`` made perpendicular to it, their cross."""
    a = axis / max(length(axis), 1e-9)
    s = lateral - a * (lateral @ a)
    s /= max(length(s), 1e-9)
    return np.stack([a, s, cross(a, s)], 1)


def _frames(c: dict) -> tuple[np.ndarray, np.ndarray]:
    """(5, 3, 3) frames and (5, 3) origins of :data:`SEGMENTS` from ring centroids ``c``."""
    mid = 0.5 * (c["left_hip"] + c["right_hip"])
    lateral = c["left_hip"] - c["right_hip"]
    F = [_frame(c["waist"] - mid, lateral)]
    O = [mid]
    for side in ("left", "right"):
        thigh = _frame(c[f"{side}_knee"] - c[f"{side}_hip"], lateral)
        F += [thigh, _frame(c[f"{side}_ankle"] - c[f"{side}_knee"], thigh[:, 1])]
        O += [c[f"{side}_hip"], c[f"{side}_knee"]]
    return np.stack(F), np.stack(O)


def skin_weights(rest: np.ndarray, rc: dict, front_lift: float = FRONT_LIFT, middle: float = MIDDLE) -> np.ndarray:
    """(G, 5) weights of rest grid points (G, 3) over :data:`SEGMENTS`: the pelvis above the hips
    fading out 12 cm below them (in front :data:`FRONT_LIFT` higher: the cloth over the groin goes
    up with a flexed thigh instead of staying in the crease it folds into), each side's thigh then shin (blended 5 cm either side of the
    knee), the two sides blended over ``middle`` metres across the middle (atlas frame: x to the left)."""
    mid = 0.5 * (rc["left_hip"] + rc["right_hip"])
    z = rest[:, 2]
    front = np.clip(-(rest[:, 1] - mid[1]) / 0.08, 0.0, 1.0)  # the rest body faces -y
    pelvis = np.clip(1.0 + (z - mid[2] - front_lift * front) / 0.12, 0.0, 1.0)
    left = np.clip(0.5 + (rest[:, 0] - mid[0]) / middle, 0.0, 1.0)
    w = np.zeros((len(rest), 5))
    w[:, 0] = pelvis
    for k, (side, share) in enumerate((("left", left), ("right", 1.0 - left))):
        knee = rc[f"{side}_knee"][2]
        shin = np.clip(0.5 - (z - knee) / 0.1, 0.0, 1.0)
        w[:, 1 + 2 * k] = (1 - pelvis) * share * (1 - shin)
        w[:, 2 + 2 * k] = (1 - pelvis) * share * shin
    return w


def relax(X0: np.ndarray, rest: np.ndarray, A: np.ndarray, B: np.ndarray, F: np.ndarray, R: np.ndarray, floor: float,
          iterations: int = 6, gravity: float = 0.01, memory: float = 0.15, stretch: float = 1.04,
          closed: np.ndarray | None = None, edges: bool = True, seat=None) -> tuple[np.ndarray, tuple]:
    """(rings, bins, 3) the skinned grid ``X0`` relaxed (see the module's step 2-3), and the capsules
    its rings below the waist were tested against (``(cand, terms)`` of :func:`push_out`, for :func:`settle`).

    Args:
        X0: (rings, bins, 3) skinned positions, world frame. rest: (rings, bins, 3) rest grid (edge lengths).
        A, B, F, R: the capsules (:func:`leg_capsules`, radii including the cloth's offset).
        floor: metres: the cloth stays this high or higher (the ground under the person; (rings, bins): per vertex).
        gravity: metres each free vertex falls per round. memory: share of the way back to ``X0`` per round.
        stretch: ring edges may reach this times their rest length.
        closed: (bins,) or (rings, bins) bool: the ring edge from bin j to j + 1 exists (an open coat's
            front has none; a closed coat's tail none at the front below the hips, :mod:`~genb.render.dress.coat_tail`).
        edges: also push the midpoints of the edges out of the legs (on the skinned shape and in the last round).
        seat: the sitter's :class:`~genb.render.dress.seat_cloth.Seat` (or None): the cloth is kept out of it too.
    """
    rings, bins, _ = X0.shape
    Lv = np.linalg.norm(np.diff(rest, axis=0), axis=-1)  # (rings - 1, bins)
    Lh = norm(roll(rest, -1, axis=1) - rest) * stretch  # (rings, bins)
    on = np.ones((rings, bins), bool) if closed is None else np.broadcast_to(closed, (rings, bins))
    X0 = X0.copy()
    cand = nearest_capsules(X0[1:].reshape(-1, 3), A, B, R)
    terms = capsule_terms(A, B, F, cand)  # the same capsules every round
    if edges:
        mcand = nearest_capsules(edge_midpoints(X0, on), A, B, R)
        mterms = capsule_terms(A, B, F, mcand)

    def collide(Y, edges=edges):
        if edges:  # no edge through a leg: an edge's midpoint pushed out moves both its ends
            m = edge_midpoints(Y, on)
            spread_edge_pushes(Y, push_out(m, A, B, F, R, mcand, mterms) - m, on)
        Y[1:] = push_out(Y[1:].reshape(-1, 3), A, B, F, R, cand, terms).reshape(rings - 1, bins, 3)
        np.maximum(Y[..., 2], floor, out=Y[..., 2])
        seat_cloth.push_grid(Y, seat)  # on the seat's top, over its edges (dress.seat_cloth)

    collide(X0)  # the shape it keeps to
    X = X0.copy()
    for it in range(iterations):
        X[1:, :, 2] -= gravity
        X[1:] += memory * (X0[1:] - X[1:])
        # columns: rest length (Jacobi, the waist ring pinned)
        D = X[1:] - X[:-1]
        L = norm(D)
        C = ((L - Lv) / np.maximum(L, 1e-9))[..., None] * D
        delta = np.zeros_like(X)
        delta[:-1] += 0.5 * C
        delta[1:] -= 0.5 * C
        delta[1] -= 0.5 * C[0]  # the pinned waist ring's share goes to the ring below it
        delta[0] = 0.0
        X += delta
        # rings: never longer than their rest length (compression is a fold, not a constraint)
        D = roll(X, -1, axis=1) - X
        L = norm(D)
        C = (np.maximum(L - Lh, 0.0) / np.maximum(L, 1e-9) * on)[..., None] * D
        delta = 0.5 * C - 0.5 * roll(C, 1, axis=1)
        delta[0] = 0.0
        X += delta
        collide(X, edges and it == iterations - 1)  # the edges once more at the end (each round: no better, 4 ms more)
    return X, (cand, terms)


def person_rest(rc: dict, pc: dict) -> dict:
    """Rest centroids for this person: the rest body's directions with the posed body's own
    lengths (hip width, thigh, shin, waist height), so the rest grid fits any body shape."""
    mid_r = 0.5 * (rc["left_hip"] + rc["right_hip"])

    def unit(x):
        return x / max(length(x), 1e-9)

    half = 0.5 * length(pc["left_hip"] - pc["right_hip"])
    out = {"waist": mid_r + (rc["waist"] - mid_r) * half / max(0.5 * length(rc["left_hip"] - rc["right_hip"]), 1e-9)}
    lateral = unit(rc["left_hip"] - rc["right_hip"])
    for side, s in (("left", 1.0), ("right", -1.0)):
        hip = mid_r + s * half * lateral
        knee = hip + unit(rc[f"{side}_knee"] - rc[f"{side}_hip"]) * length(pc[f"{side}_knee"] - pc[f"{side}_hip"])
        ankle = knee + unit(rc[f"{side}_ankle"] - rc[f"{side}_knee"]) * length(pc[f"{side}_ankle"] - pc[f"{side}_knee"])
        out[f"{side}_hip"], out[f"{side}_knee"], out[f"{side}_ankle"] = hip, knee, ankle
    return out


def unpose(points: np.ndarray, segment: np.ndarray, rest_frames: tuple, posed_frames: tuple) -> np.ndarray:
    """(N, 3) posed points carried back to the rest frames by their segment's frame (``segment``:
    (N,) index into :data:`SEGMENTS`; frames as :func:`skinned`'s)."""
    Fr, Or = rest_frames
    Fp, Op = posed_frames
    out = np.empty_like(points, dtype=np.float64)
    for s in range(5):
        k = segment == s
        if k.any():
            out[k] = (points[k] - Op[s]) @ Fp[s] @ Fr[s].T + Or[s]
    return out


def flutes(rings: int, bins: int, depth: float, count: int = 8) -> np.ndarray:
    """(rings, bins) metres added to a loose grid's radii: hanging folds, none at the waist and
    growing to ``depth`` at the hem, outward only (they never move the cloth towards the body)."""
    s = np.linspace(0.0, 1.0, rings)[:, None] ** 1.5
    theta = (np.arange(bins) + 0.5) / bins * 2 * np.pi
    return depth * s * (0.5 + 0.5 * np.cos(count * theta))[None]


def _last_steps(X: np.ndarray, lb: LowerBody, vertices: np.ndarray, pelvis: np.ndarray, legs: tuple, skin: tuple,
                floor, out: np.ndarray, skirt: bool, top: np.ndarray | None, closed: np.ndarray | None, seat,
                keypoints: np.ndarray | None = None, span: bool = False) -> np.ndarray:
    """:func:`hang_grid`'s last steps on the settled grid ``X`` (rings, bins, 3), in this order: a skirt's
    or dress's cloth pressed in under the hands (:mod:`~genb.render.dress.under_hands`), then its waist's
    front kept (:mod:`~genb.render.dress.waist_front`); a coat tail's top ring back on the coat's hem
    ``top`` (:mod:`~genb.render.dress.coat_join`); the seat's push last (:mod:`~genb.render.dress.seat_cloth`).

    Args:
        lb: the atlas's :class:`LowerBody`. vertices: (V, 3) posed body. pelvis: (3, 3) the posed pelvis frame.
        legs: ``(A, B, F, R, Rm, cand, terms)`` the legs' capsules (:func:`leg_capsules`), their radii with
            the cloth's offset and :func:`relax`'s candidates. skin: ``(tree, points, pnormals, skin_clear)``
            the skin near the cloth (:func:`settle`'s). floor: the ground's height (or per-vertex heights).
        out: (rings * bins, 3) the rest radial directions turned with the pelvis. closed: an open coat's
            ring edges kept (bins,) bool, or None. seat: a sitter's seat or None.
    """
    A, B, F, R, Rm, cand, terms = legs
    tree, points, pnormals, _ = skin
    if skirt:
        X = under_hands.press(X, lb, vertices, (A, B, F, R, cand, terms), skin, floor)
        X = waist_front.keep_front(X, tree, points, pnormals, waist_front.waist_frame(vertices[lb.waist], pelvis))
    if top is not None:  # on the coat's hem again (standing or walking, its back spanning the legs: dress.coat_tail)
        X = coat_tail.span_back(coat_tail.span_back(X, keypoints), keypoints) if span else X  # twice: see span_back
        X = coat_join.rejoin(X, top, legs, (tree, points, pnormals), floor, out, closed)
        if coat_tail.on_chair(keypoints):  # seated: the sides round the hips and thighs, the front on the lap (dress.coat_lap)
            X = coat_lap.hug(X, vertices[lb.lower[::3]], keypoints)
            np.maximum(X[..., 2], floor, out=X[..., 2])  # a column lying on the seat, drawn in, drops: onto the ground at most (the seat lifts it)
            X = coat_lap.lay(X, vertices[np.concatenate([lb.leg['left'], lb.leg['right']])], keypoints)
            X = seat_cloth.under_thighs(X, seat, keypoints[[K25['left_knee'], K25['right_knee']]])  # the back swung forward: on the seat, no flap between the knees
    return seat_cloth.push_grid(X, seat)


def hang_grid(lb: LowerBody, atlas, vertices: np.ndarray, normals: np.ndarray, keypoints: np.ndarray, enclosed: np.ndarray, band: np.ndarray, hem: float,
              margin: float, flare: float, max_spread: float, open_front: bool, rings: int = RINGS, bins: int = BINS,
              edges: bool = True, settle_rounds: int = ROUNDS, slit: bool = False, skirt: bool = False, top: np.ndarray | None = None, seat=None):
    """A hanging loose garment on a posed body.

    Args:
        lb: :func:`lower_body` of the atlas. vertices: (V, 3) posed body, world frame, metres.
        normals: (V, 3) its unit normals. keypoints: (25, 3) its BODY25 keypoints.
        enclosed: (V,) bool body vertices the garment goes around (hips, legs above the hem). band: (V,) bool body vertices of its waist (the top ring's height).
        hem: leg coordinate of the hem (0 hip, 1 knee, 2 ankle). margin: metres of cloth off the body.
        flare: metres the radius grows per metre down. max_spread: metres the radius may grow
            beyond the waist's (a coat tail). open_front: leave the front open (an open coat).
        rings: rings from the waist to the hem. edges: keep the edges out of the legs too (:func:`relax`).
        settle_rounds: rounds of :func:`~genb.render.dress.settle.settle` (1: the exact push out of the skin alone).
        slit: split the front below the hips (a closed coat's tail, :mod:`~genb.render.dress.coat_tail`).
        skirt: a skirt or a dress (its sides blend over :data:`SKIRT_MIDDLE`, a coat tail's over :data:`MIDDLE`; a raised back shin's half a sleeve, :mod:`~genb.render.dress.stride`; pressed in under the hands, :mod:`~genb.render.dress.under_hands`). top: a coat's hem ring (a :class:`~genb.render.dress.coat_join.Hem`), the top ring hangs from it (:mod:`~genb.render.dress.coat_join`). seat: a sitter's :class:`~genb.render.dress.seat_cloth.Seat` (None: none).
    Returns:
        (rings * bins, 3) float32 vertices (a fallen skirt's grid: bins * ``fall_folds.SUB`` columns), (F, 3) uint32 faces, (rings * bins, 3) rest coordinates (angle x 0.18 m, 0, metres below the waist: the cloth coordinates' source), (rings * bins, 3) float32 unit normals.
    """
    from genb.render.dress.shells import loose_shell

    pc = centres(lb.waist, vertices, keypoints)
    rc = person_rest(lb.rest_centres, pc)
    # 1. The person's lower body in the rest frames, and the cut around it there.
    ids = np.flatnonzero(enclosed)
    t = np.nan_to_num(atlas.leg[ids], nan=-1.0)
    side = atlas.side[ids] < 0  # right
    seg = np.where(t < 0, 0, np.where(t < 1.0, 1, 2) + 2 * side)
    fr, fp = _frames(rc), _frames(pc)
    P = unpose(vertices[ids].astype(np.float64), seg, fr, fp)
    z_top = float(P[band[ids], 2].mean())
    near = np.abs(t - hem) < 0.05
    z_hem = float(P[near, 2].mean()) if near.any() else float(P[:, 2].min())
    z_hem = min(z_hem, z_top - 0.1)
    rv, _, _ = loose_shell(P, z_top, z_hem, margin=margin + 0.008, flare=flare, rings=rings, bins=bins,
                           max_spread=max_spread)
    rest = rv.astype(np.float64).reshape(rings, bins, 3)
    axis = rest.mean(axis=1, keepdims=True)
    radial = rest - axis
    radial[..., 2] = 0.0
    size = norm(radial)
    radial /= np.maximum(size, 1e-9)[..., None]
    rest = rest + radial * flutes(rings, bins, 0.35 * flare * (z_top - z_hem))[..., None]
    rest, closed = coat_tail.split(rest, rc) if slit else (rest, None)  # a closed coat's tail: split at the front
    # 2. Skinned to the posed frames, relaxed, kept out of the legs.
    W = skin_weights(rest.reshape(-1, 3), rc, middle=SKIRT_MIDDLE if skirt else MIDDLE)
    W = coat_tail.panel_weights(W, rest, rc, closed, MIDDLE) if slit else W  # each front panel with its own thigh
    X0, joined = coat_join.join(skinned(rest.reshape(-1, 3), W, fr, fp).reshape(rings, bins, 3), top)  # a coat's tail: from its hem
    X0 = coat_tail.span_back(coat_tail.close_front(X0, closed if slit else None) if top.tuck else X0, keypoints) if (span := coat_hang.spans_legs(top, keypoints, pc)) else X0  # upright: fronts meet; standing, walking, a run: the back spans the legs
    A, B, F, R = leg_capsules(lb, vertices, pc, fp[0])
    theta = (np.arange(bins) + 0.5) / bins * 2 * np.pi  # the rest grid's angles (x to the left, y back)
    X0 = stride.wrap_back_shins(X0, W, theta, fp, (A, B, R), margin + 0.004) if skirt else X0  # round a raised back shin
    if open_front:  # the rest body faces -y: no ring edges across the front
        mid = np.mod(theta + np.pi / bins + np.pi / 2 + np.pi, 2 * np.pi) - np.pi
        closed = np.abs(mid) > 0.35
    floor = float(vertices[:, 2].min()) + 0.003
    seat = coat_tail.seat_for(seat, vertices, atlas.parts == TORSO, keypoints) if slit else seat  # seated: on a seat, given or guessed
    X0, Rm, legs_off = coat_hang.tail_steps(X0, rest, radial, W, (fr, fp), pc, floor, slit, (A, B, R), top, keypoints, vertices[lb.lower[::3]], margin)  # a coat's tail
    X, (cand, terms) = relax(X0, rest, A, B, F, Rm, floor, closed=closed, edges=edges, seat=seat)
    X, (cand, terms) = seat_lap.sag(knee_panel.after_relax(fall.after_relax((X, (cand, terms)), rest, W, pc, (A, B, F, Rm), floor, seat, vertices[lb.arms]), pc, atlas, vertices, (A, B, F, Rm), floor), rest, radial, W, pc, (A, B, F, Rm), floor, seat, vertices[lb.arms]) if skirt else (X, (cand, terms))  # onto the legs and the ground; folded knees: close round the legs; below a raised knee it hangs; seated: onto the lap, sagging between the knees
    # 3. Settled against the trunk and legs: the full offset over the hips (a coat tail stays over
    #    the coat), half of it over the legs (dress.settle)
    low = lb.lower
    hips = np.repeat(rest[:, :, 2].mean(axis=1) > 0.5 * (rc["left_hip"][2] + rc["right_hip"][2]), bins)
    lo, hi = X.reshape(-1, 3).min(axis=0) - 0.13, X.reshape(-1, 3).max(axis=0) + 0.13  # the skin near the cloth
    low = low[((vertices[low] >= lo) & (vertices[low] <= hi)).all(axis=1)]
    points, pnormals = vertices[low].astype(np.float64), normals[low].astype(np.float64)
    tree = cKDTree(points, leafsize=32, balanced_tree=False, compact_nodes=False)
    out = radial.reshape(-1, 3) @ (fp[0][0] @ fr[0][0].T).T  # the rest radial directions, turned with the pelvis
    X = settle(X, tree, points, pnormals, np.where(hips, margin + 0.004, min(0.5 * margin, legs_off) + 0.003) * (1.0 - np.ravel(joined)) + 0.01 * np.ravel(joined),
               (A, B, F, Rm, cand, terms), np.reshape(floor, -1) if slit else floor, rounds=settle_rounds,
               skin_clear=(skin_clear := np.where(atlas.parts[low] == TORSO, margin + 0.004, 0.0)),  # over the trunk: over the top too
               out=out, seat=seat)
    X = seat_lap.lay(fall.out_of_legs(X, pc, floor, (A, B, F, Rm, cand, terms)), points, np.maximum(skin_clear, 0.5 * margin + 0.003), keypoints) if skirt else X  # fallen cloth on a thigh: out of it again; seated: the lap on the thighs
    X = _last_steps(X, lb, vertices, fp[0][0], (A, B, F, R, Rm, cand, terms), (tree, points, pnormals, skin_clear), floor, out,
                    skirt=skirt, top=top, closed=closed if open_front else None, seat=seat, keypoints=keypoints, span=span)
    X, slope = fall_folds.fold(X, rest, fall.low(pc, floor), floor) if skirt else (X, None)  # folds where it fell (finer columns)
    X, slope = fall_folds.fold_tail(X, rest, floor, closed) if top is not None else (X, slope)  # a coat's tail on the ground
    v, f, uv, n = _grid_mesh(X, theta, closed, slit, z_hem - z_top)
    return v, f, uv, n if slope is None or not slope.any() else fall_folds.tilt(n, slope.reshape(-1, 3))


def _grid_mesh(X: np.ndarray, theta: np.ndarray, closed: np.ndarray | None, slit: bool, drop: float) -> tuple:
    """:func:`hang_grid`'s returns from the finished grid ``X`` (rings, bins, 3): its faces (without the ring
    edges ``closed`` leaves out: an open coat's front, a closed coat's slit), the rest coordinates from the
    columns' angles ``theta`` (bins,; a refined grid's in between) and the waist-to-hem height ``drop`` (metres, < 0), and its normals."""
    from genb.render.dress.shells import ring_faces

    rings, bins = X.shape[:2]
    n = len(theta)  # a fallen skirt's grid was refined round the ring (dress.fall_folds.refine): its columns' angles
    theta = theta if bins == n else (np.arange(bins) * n / bins + 0.5) / n * 2 * np.pi
    closed = closed if closed is None or bins == n else np.repeat(closed, bins // n, axis=-1)
    faces = ring_faces(rings, bins)
    if closed is not None:
        quad = np.concatenate([np.tile(np.arange(bins), rings - 1)] * 2)
        faces = faces[coat_tail.slit_faces(closed) if slit else closed[quad]]
    z = np.repeat(np.linspace(0.0, drop, rings), bins)
    ang = np.tile(theta, rings)
    uv_rest = np.stack([ang * SKIRT_RADIUS_M, np.zeros_like(z), z], 1)
    return X.reshape(-1, 3).astype(np.float32), faces, uv_rest, grid_normals(X).reshape(-1, 3).astype(np.float32)
