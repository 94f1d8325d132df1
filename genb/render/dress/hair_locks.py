"""Long hair's fall: one continuous sheet of hair from the scalp around the sides and the back of
the head, falling under gravity onto the shoulders, the chest and the back, resting on whatever is
worn there.

The sheet hangs from :data:`COLUMNS` chains of :data:`NODES` nodes rooted side by side around the
head (the ponytail's idea, :func:`genb.render.dress.ponytail.ponytail_chain`, run for all chains at
once): every step the heading turns towards gravity, and each node is pushed out of the skin, cloth
and hair near it (along their normals) until it lies :data:`CLEARANCE` plus its half thickness off
them, so the hair drapes over a shoulder instead of passing through it. Neighbouring chains are
joined into a closed slab (an outer and an inner face, :func:`panel_rings`), so no background shows
between them: the hair is one mass, not separate locks (the 13 separate locks before left gaps
over the back). Each side's front chains fall, by the hair's seed, either behind the shoulder
(the back panel runs from ear to ear) or in front of it (a panel of their own), and a panel parts
where the slab between two chains would pass through the body (:func:`split_apart`). The chains end at
their own lengths (:data:`LENGTH_SPREAD`, a lock's together), so the tips are ragged. Below the shoulders a panel holds
together (:func:`gather`: its horizontal span kept within a share of its span at the root, narrowing to the tips; a
side's front chains in the back panel head behind the shoulder; a front panel lies flat across the chest,
:func:`lay_flat`, not edge-on as a rope; a panel's edge parted off with fewer than :data:`SLIVER` chains goes) and
gathers into locks with volume (:mod:`genb.render.dress.hair_clumps`: the back panel cut into locks of 3-5 chains,
each swelling to 2-2.5 cm deep in its middle, half that at its edges, tapering at its tip; a front panel one lock),
none hanging off a shoulder's end (a panel shifted whole, :func:`~genb.render.dress.hair_clumps.hold_within`), so the
sheet does not spread over the shoulders like a cape. After the fall the locks below the shoulders rest on the back and
the chest, and none folds back on itself (:mod:`genb.render.dress.hair_rest`). Deterministic: the layout comes from the
person's hair seed, no random stream.
"""

from __future__ import annotations

import math

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.atlas import head_frame, trunk_frame
from genb.render.dress.hair import LOCK_TURN, LOCK_V, hair_seed, outward, seamed_map
from genb.render.dress.hair_clumps import (LOCK_SIZES, cut_locks, hold_within, lock_half, lock_layout, lock_lengths,
                                           narrow)
from genb.render.dress.hair_rest import rest_on, unfold
from genb.render.dress.materials import hair_colors
from genb.render.dress.mesh import GarmentMesh, mesh_normals
from genb.render.dress.shells import ring_faces
from genb.render.dress.vec import norm

NODES = 9
LENGTH = 0.45  # metres from the root (above the ears) to the tip: past the shoulders, over the shell down the back
CLEARANCE = 0.006  # metres the hair keeps off the surface it rests on, beyond its half thickness
THICK = 0.012  # the sheet's thickness below the root, metres (tapering: thick_taper)
TIP_THICK = 0.3  # share of the thickness left at the tip
LENGTH_SPREAD = 0.16  # a chain is 1 -+ LENGTH_SPREAD / 2 times LENGTH long (seeded per chain)
# root azimuths of the chains around the head (radians; 0 = the face's direction, pi = the back of the head):
# about 1.4 cm apart at the root
COLUMNS = 23
ROOTS = np.linspace(1.35, 2 * np.pi - 1.35, COLUMNS)
ROOT_Z = 0.055  # the roots' height (head frame, metres): over the shell's cut around the ears (dresser.hair_shell)
# ... under a cap: 3.3-3.8 cm once scaled out by the hair's thickness, about 1 cm under its edge (hairline.cap_line,
# 4.5 cm at least) and over the ears (at 0, the ears' height, the side's front chains were pushed 4.5 cm out by the side
# of the head and slid off the shoulders' ends, and the back's fell off a seated child's back as a blade)
CAP_ROOT_Z = 0.03
SIDE = -0.5  # chains with cos(azimuth) above this are a side's front (they may fall in front of the shoulder)
FRONT_SHARE = 0.55  # the chance that a side's front chains fall in front of the shoulder
# neighbouring chains part (split_apart) where the slab between them would lie this deep in the body, metres,
# or where they lie this far apart across the strands, metres
SPLIT_DEPTH, SPLIT_APART = 0.015, 0.12
SLIVER = 3  # a panel's edge parted off with fewer chains than this goes (a rope, not a lock)
# a panel holds together as it falls (gather): its span (first chain to last) stays within GATHER times its span at
# the root (at least MIN_SPAN, metres), narrowing linearly to GATHER_TIP (a front panel: a lock's point) or BACK_TIP
# (the back panel) times it at the tips
GATHER, FRONT_GATHER, GATHER_TIP, BACK_TIP, MIN_SPAN = 1.6, 1.2, 0.6, 1.4, 0.06
BEHIND = -0.3  # the forward heading (head frame) of a side's front chains that fall behind the shoulder
SIDEWAYS = 0.5  # a front panel's rest facing less forward than this (cosine) lies across the chest instead (lay_flat)
FREE = 3  # the nodes above this one fall freely (over the shoulders)
UNDER = 0.5  # the under-layer's share of the sheet's thickness (inside the locks; between them where they part)


def thick_taper(s: np.ndarray) -> np.ndarray:
    """(N,) share of the sheet's thickness at ``s`` (N,) 0..1 along it: 0.3 at the root (it leaves
    the scalp's shell flush), full from about an eighth of the way on, then linear to :data:`TIP_THICK`."""
    s = np.asarray(s, np.float64)
    return np.minimum(0.3 + 6.0 * s, 1.0 - (1.0 - TIP_THICK) * s)


def reachable(roots: np.ndarray, surface):
    """``(tree, points, normals)`` of the surface points the locks from ``roots`` (C, 3) can reach
    (below the roots, within their length), or None: a small tree per person."""
    from scipy.spatial import cKDTree

    if surface is None or not len(surface[0]):
        return None
    P, Nrm = surface
    top = float(np.max(roots[:, 2])) + 0.05
    low = np.flatnonzero(P[:, 2] < top)  # (the height first: the distances of fewer points)
    reach = low[((P[low] - roots.mean(axis=0)) ** 2).sum(1) < (LENGTH + 0.15) ** 2]
    if not len(reach):
        return None
    return cKDTree(P[reach], balanced_tree=False, compact_nodes=False), P[reach], Nrm[reach]


def push_out(p: np.ndarray, near, need, steps: int = 3, k: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Points (M, 3) moved out of the surface ``near`` (:func:`reachable`) until each lies ``need``
    ((M,) or a scalar, metres) off every surface point near it, along that point's normal; and (M, 3)
    the normal of what each last rested on (0: nothing)."""
    p = p.copy()
    contact = np.zeros_like(p)
    if near is None:
        return p, contact
    tree, P, Nrm = near
    need = np.broadcast_to(np.asarray(need, np.float64), (len(p),))
    bound = float(need.max()) + 0.03
    ask = np.arange(len(p))  # the points a step looks at: all, then those the step before pushed (the rest stay)
    for _ in range(steps):
        q = p[ask]
        dist, j = tree.query(q, k=k, distance_upper_bound=bound)
        valid = np.isfinite(dist)
        if not valid.any():
            break
        jj = np.where(valid, j, 0)
        short = need[ask, None] - np.einsum("cki,cki->ck", q[:, None, :] - P[jj], Nrm[jj])
        short = np.where(valid, short, -np.inf)
        best = np.argmax(short, axis=1)
        amount = short[np.arange(len(q)), best]
        push = amount > 0
        if not push.any():
            break
        nb = Nrm[jj[np.arange(len(q)), best]]
        ask = ask[push]
        p[ask] += amount[push, None] * nb[push]
        contact[ask] = nb[push]
    return p, contact


def gather(p: np.ndarray, groups: list[np.ndarray], allowed: np.ndarray, anchors: list[int]) -> np.ndarray:
    """Points ``p`` (C, 3), one per chain, each panel's (``groups``) drawn horizontally towards its anchor
    chain's (``anchors``: chain indices; heights kept) where the panel's horizontal span (its first chain
    to its last) exceeds ``allowed`` (len(groups),) metres."""
    p = p.copy()
    for g, w, a in zip(groups, allowed, anchors):
        (x0, y0), (x1, y1) = p[g[0], :2].tolist(), p[g[-1], :2].tolist()
        span = math.hypot(x1 - x0, y1 - y0)
        if span > w:
            p[g, :2] = p[a, :2] + (p[g, :2] - p[a, :2]) * (w / span)
    return p


def lay_flat(p: np.ndarray, groups: list[np.ndarray], widths: np.ndarray, anchors: list[int], head: np.ndarray,
             rest: np.ndarray, share: float, forward: np.ndarray | None = None) -> np.ndarray:
    """Points ``p`` (C, 3), one per chain, each front panel's (``groups[1:]``) moved horizontally, by ``share``
    0..1, onto a line through its anchor chain's point (``anchors``) across the body (horizontal, square to
    the normal of what the anchor chain last rested on, ``rest`` (C, 3), the chest; where that is (near)
    vertical or none, to the direction from ``head`` (3,), the roots' middle, to the anchor; where it faces less
    than :data:`SIDEWAYS` along the trunk's ``forward`` (3,), the side of a shoulder, to that), ``widths``
    (len(groups),) metres long, in the chains' order (heights kept): a front lock lies flat on the chest, seen from
    the front at its width, not edge-on as a rope (its chains, rooted one behind the other along the side of the
    head, kept that order as they fell; laid square to a shoulder's side a front panel 5.0 cm wide was 1.1)."""
    p = p.copy()
    for g, w, a in zip(groups[1:], widths[1:], anchors[1:]):
        radial = rest[a, :2] if math.hypot(rest[a, 0], rest[a, 1]) > 0.3 else p[a, :2] - head[:2]
        if forward is not None and abs(float(radial @ forward[:2])) < SIDEWAYS * math.hypot(*radial) * math.hypot(*forward[:2]):
            radial = forward[:2]  # the side of a shoulder or an arm: across the chest, not edge-on to the front
        flat = np.array([radial[1], -radial[0]]) / max(math.hypot(radial[0], radial[1]), 1e-9)
        step = (np.arange(len(g)) - 0.5 * (len(g) - 1)) / max(len(g) - 1, 1)
        if float((p[g, :2] - p[a, :2]) @ flat @ step) < 0:  # the chains' own order along the line
            flat = -flat
        target = p[a, :2] + w * step[:, None] * flat
        p[g, :2] += share * (target - p[g, :2])
    return p


def lock_chains(roots: np.ndarray, headings: np.ndarray, half: np.ndarray, near,
                lengths: np.ndarray | None = None, groups: list[np.ndarray] | None = None, hold=None) -> np.ndarray:
    """(C, N, 3) node centres of C locks, metres: from ``roots`` (C, 3) along ``headings`` (C, 3) that
    turn towards gravity every step (sliding along what they rest on), each node kept ``half`` ((N,) or
    (C, N)) plus :data:`CLEARANCE` off the surface ``near`` (:func:`reachable`; None: falls freely).
    ``lengths``: (C,) metres per lock (None: :data:`LENGTH` each). ``groups``: the panels (chain indices),
    each kept within :data:`GATHER` .. :data:`GATHER_TIP` times its width at the root (:func:`gather`). ``hold``:
    ``(neck, trunk, width)`` (:func:`~genb.render.dress.hair_rest.within_shoulders`): below the shoulders the
    nodes kept inside their ends."""
    half = np.broadcast_to(half, (len(roots), np.shape(half)[-1]))
    n = half.shape[1]
    groups = groups or []
    root_w = np.array([max(np.hypot(*(roots[g[-1], :2] - roots[g[0], :2])), MIN_SPAN) for g in groups])  # (the chord)
    narrow = np.array([GATHER_TIP if k else BACK_TIP for k in range(len(groups))])  # the back panel, the fronts
    top = np.array([FRONT_GATHER if k else GATHER for k in range(len(groups))])
    # the back panel gathers to the middle of the back of the head (COLUMNS // 2), a front panel to its middle
    anchors = [COLUMNS // 2 if k == 0 else int(g[len(g) // 2]) for k, g in enumerate(groups)]
    seg = (np.full(len(roots), LENGTH) if lengths is None else np.asarray(lengths, np.float64))[:, None] / (n - 1)
    down = np.array([0.0, 0.0, -1.0])
    heading = headings / norm(headings, keepdims=True)
    nodes = [np.asarray(roots, np.float64)]
    contact = np.zeros_like(heading)  # the normal of what each lock rested on this step (0: nothing)
    rest = np.zeros_like(heading)  # ... and the last it rested on at all
    fronts = np.concatenate([np.zeros(0, np.int64)] + [np.asarray(g, np.int64) for g in groups[1:]])
    ahead = None if hold is None else -hold[1][:, 1]  # the trunk's forward (lay_flat)
    for k in range(1, n):
        fall = down[None, :] - np.minimum(contact @ down, 0.0)[:, None] * contact  # gravity along a surface: it slides
        heading = heading * 0.55 + fall * (0.35 + 0.1 * k)
        heading /= np.maximum(norm(heading, keepdims=True), 1e-9)
        p = nodes[-1] + seg * heading
        if k >= FREE:  # below the shoulders: the panels hold together
            allowed = root_w * (top - (top - narrow) * (k - FREE) / (n - 1 - FREE))
            p = gather(p, groups, allowed, anchors)
            p = hold_within(p, hold, groups, fronts)
        if near is not None:
            p, contact = push_out(p, near, half[:, k] + CLEARANCE, k=8)
            d = p - nodes[-1]  # a lock may stretch a little over a shoulder, no more
            L = norm(d, keepdims=True)
            p = nodes[-1] + d * np.minimum(1.0, 1.25 * seg / np.maximum(L, 1e-9))
            rest = np.where(np.abs(contact).sum(axis=1, keepdims=True) > 0, contact, rest)
        if k >= FREE and fronts.size:  # the front panels lie flat on the chest (then out of it again)
            p = lay_flat(p, groups, allowed, anchors, roots.mean(axis=0), rest, 0.5 if k == FREE else 1.0, ahead)
            p = hold_within(p, hold, groups, fronts)
            if near is not None:
                p[fronts] = push_out(p[fronts], near, half[fronts, k] + CLEARANCE, k=8)[0]
        heading = (p - nodes[-1]) / np.maximum(norm(p - nodes[-1], keepdims=True), 1e-9)
        nodes.append(p)
    return np.stack(nodes, axis=1)


def panels(hair: dict, ang: np.ndarray) -> list[np.ndarray]:
    """The chains (indices into ``ang``, sorted) of each panel of the sheet: a side's front chains
    (cos(azimuth) > :data:`SIDE`) fall in front of its shoulder as their own panel with a chance of
    :data:`FRONT_SHARE` (the hair's seed), else the back panel takes them (ear to ear)."""
    rng = np.random.default_rng(hair_seed(hair) + 2)
    forward = rng.random(2) < FRONT_SHARE  # (left, right)
    side = np.cos(ang) > SIDE
    left = side & (np.sin(ang) > 0)
    right = side & (np.sin(ang) < 0)
    back = np.ones(len(ang), bool)
    out = []
    for front, mask in zip(forward, (left, right)):
        if front and mask.sum() >= 2:
            out.append(np.flatnonzero(mask))
            back &= ~mask
    return [np.flatnonzero(back)] + out


def split_apart(groups: list[np.ndarray], centres: np.ndarray, near) -> list[np.ndarray]:
    """``groups`` (chain indices into ``centres`` (C, N, 3), side by side) cut between two neighbouring
    chains where the slab between them would pass through the body: the midpoint of two of their
    nodes (below the root rings) more than :data:`SPLIT_DEPTH` inside the surface ``near`` (:func:`reachable`; one chain fell in
    front of a shoulder or an arm, the next behind it), or the two more than :data:`SPLIT_APART` apart
    across the strands (a web, not hair). A chain left alone goes (the hair parted there), and so do
    fewer than :data:`SLIVER` chains parted off a panel's edge (a back panel's front-most chains that slid in front of
    the shoulder: a thin rope hanging down the chest)."""
    out = []
    for g in groups:
        a, b = centres[g[:-1]], centres[g[1:]]
        d = b - a
        t = np.gradient(a + b, axis=1)
        t /= np.maximum(norm(t, keepdims=True), 1e-9)
        across = norm(d - np.einsum("pni,pni->pn", d, t)[..., None] * t)  # (P-1, N)
        cut = across.max(axis=1) > SPLIT_APART
        if near is not None:
            mid = (0.5 * (a + b))[:, 2:].reshape(-1, 3)  # below the root rings (they lie in the hair's shell)
            moved = push_out(mid, near, 0.0, steps=1, k=8)[0]
            cut |= norm(moved - mid).reshape(len(a), -1).max(axis=1) > SPLIT_DEPTH
        parts = np.split(g, np.flatnonzero(cut) + 1)
        out.extend(part for i, part in enumerate(parts)  # an edge's few chains parted from the rest go too
                   if len(part) >= (SLIVER if len(parts) > 1 and i in (0, len(parts) - 1) else 2))
    return out


def sheet_normals(centres: np.ndarray, neck: np.ndarray) -> np.ndarray:
    """(P, N, 3) the unit normals of the sheet through the chains ``centres`` (P, N, 3) (P >= 2, side by side):
    across the chains and along them, facing away from the vertical axis through ``neck`` (3,)."""
    tangent = np.gradient(centres, axis=1)
    across = np.gradient(centres, axis=0)
    normal = np.cross(across, tangent)
    normal /= np.maximum(norm(normal, keepdims=True), 1e-9)
    radial = centres - neck
    radial[..., 2] = 0.0
    return -normal if np.einsum("pni,pni->", normal, radial) < 0 else normal


def panel_rings(centres: np.ndarray, half: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """(N, 2P, 3) the rings of a closed slab through the chains ``centres`` (P, N, 3) (P >= 2, side by
    side): per node the outer face's points (chain 0 to P-1) then the inner face's (P-1 to 0),
    ``half`` ((N,) or (P, N)) metres either side of the chains along ``normal`` (P, N, 3),
    :func:`sheet_normals`)."""
    d = normal * np.broadcast_to(half, centres.shape[:2])[..., None]
    outer, inner = centres + d, centres - d
    return np.concatenate([outer, inner[::-1]], axis=0).transpose(1, 0, 2)


def sheet_map(centres: np.ndarray, faces: np.ndarray, offset: float):
    """Strand coordinates of one panel (rings of :func:`panel_rings`): u across the strands, the
    chains' spacing at the root (metres) along the outer face and back along the inner one, plus
    ``offset``; v from :data:`LOCK_V` along each chain (metres), so the strand texture shades the
    panel in bundles :data:`LOCK_TURN` / 2 apart (:mod:`genb.render.dress.hair_texture`)."""
    P, N = centres.shape[:2]
    gap = np.linalg.norm(np.diff(centres[:, 0], axis=0), axis=1)
    a = np.concatenate([[0.0], np.cumsum(gap)])
    width = float(a[-1]) + 0.01
    u = np.concatenate([a, 2 * width - a[::-1]])  # (2P,) around the slab
    along = np.concatenate([np.zeros((P, 1)), np.cumsum(norm(np.diff(centres, axis=1)), axis=1)], 1)
    v = LOCK_V + np.concatenate([along, along[::-1]], axis=0).T  # (N, 2P)
    uv = np.stack([np.broadcast_to(u + offset, (N, 2 * P)), v], axis=2).reshape(-1, 2)
    return seamed_map(faces, uv, 2 * width)


def hair_locks(hair: dict, keypoints: np.ndarray, t: float, surface, capped: bool = False,
               rest: bool = True) -> GarmentMesh:
    """Long hair's sheet as one mesh (its locks' rings, :func:`panel_rings`, one after the other;
    ``mesh.panels``: (first vertex, chains) per lock), rooted ``t`` (the hair's thickness) off the
    scalp around the sides and the back of the head, falling onto ``surface`` ((P, 3) points, (P, 3)
    normals of the skin, cloth and hair below the head). ``capped``: rooted lower, under a cap's edge (:data:`CAP_ROOT_Z`).
    ``rest``: below the shoulders the locks rest on the back and the chest (:mod:`genb.render.dress.hair_rest`;
    under a backpack too, which is laid on the cloth after the hair and covers them: left off, the sheet stood
    4 cm off the back as a blade and went through the pack all the same)."""
    origin, R = head_frame(keypoints)
    rng = np.random.default_rng(hair_seed(hair))
    ang = ROOTS + rng.uniform(-0.03, 0.03, COLUMNS)
    root = np.stack([np.sin(ang) * 0.078, np.cos(ang) * 0.088, np.full(COLUMNS, CAP_ROOT_Z if capped else ROOT_Z)], 1)
    root *= 1.0 + t / 0.08  # head frame
    roots = origin + root @ R.T
    out = root / norm(root, keepdims=True)
    groups = panels(hair, ang)
    fwd = np.zeros((COLUMNS, 3))
    fwd[np.cos(ang) > SIDE, 1] = BEHIND  # a side's front chains in the back panel fall behind the shoulder
    for g in groups[1:]:
        fwd[g, 1] = 0.4  # in front of the shoulder
    headings = (0.3 * out + fwd + np.array([0.0, 0.0, -0.7])) @ R.T
    seed = hair_seed(hair)
    locks = lock_layout(groups, seed + 3)  # below the shoulders the sheet gathers into locks (dress.hair_clumps)
    half = lock_half(locks, COLUMNS, NODES, THICK, thick_taper, seed + 4)  # (C, N)
    lie = np.minimum(half, 0.5 * THICK * thick_taper(np.linspace(0.0, 1.0, NODES)))  # the sheet: rests on the body
    near = reachable(roots, surface)
    lengths = lock_lengths(locks, COLUMNS, LENGTH, LENGTH_SPREAD, seed + 1)  # the tips end at their own heights
    neck, trunk, _ = trunk_frame(keypoints)  # (BODY25 1: the neck)
    hold = (neck, trunk, 0.5 * float(np.linalg.norm(keypoints[2] - keypoints[5])))  # (BODY25 2, 5: the shoulders)
    fronts = np.concatenate([np.zeros(0, np.int64)] + [np.asarray(g, np.int64) for g in groups[1:]])  # front panels'
    centres = lock_chains(roots, headings, lie, near, lengths, groups, hold)  # (C, N, 3)
    if near is not None and rest:  # below the shoulders the locks rest on the back and the chest, not off them
        centres = unfold(rest_on(centres, near, lie + CLEARANCE, neck, trunk, groups))  # and bend round it, not folding
        low = hold_within(centres[:, 2:], hold, groups, fronts).reshape(-1, 3)
        centres[:, 2:] = push_out(low, near, (lie + CLEARANCE)[:, 2:].ravel(), k=8)[0].reshape(centres[:, 2:].shape)
    groups = split_apart(groups, centres, near)
    front = (centres[:, -1] - neck) @ -trunk[:, 1] > 0.03  # (C,) the chains hanging down the chest
    flat = front.copy()
    flat[fronts] = True  # (and the front panels': their locks lie flat, not narrowed to the tips)
    ahead = [float((centres[g, -1].mean(axis=0) - neck) @ -trunk[:, 1]) > 0.03 for g in groups]  # down the chest
    under = [g for g, w in zip(groups, ahead) if not w and len(g) > max(LOCK_SIZES)]  # the back panel's pieces
    mesh = _slabs(centres, (half, lie), cut_locks(locks, groups, ahead, front), groups, neck, near, under, flat)
    mesh.colors = hair_colors(hair["color"], (mesh.vertices - origin) @ R)
    return mesh


def _slabs(centres: np.ndarray, halves, locks: list[np.ndarray], groups: list[np.ndarray],
           neck: np.ndarray, near, under: list[np.ndarray], flat: np.ndarray) -> GarmentMesh:
    """The hair's mesh: each lock (chain indices into ``centres`` (C, N, 3); ``halves``: (C, N) its half thickness,
    (C, N) the sheet's that rested on the body) a closed slab (:func:`panel_rings`) along its panel's normals
    (``groups``, :func:`sheet_normals`), its inner face where the sheet's was (the swelling all outwards, away from
    the body: a thick lock does not stand off a child's back), its chains gathered to
    its middle at the tips (:func:`~genb.render.dress.hair_clumps.narrow`), its faces kept off the surface
    ``near``; under the locks of the panels ``under`` (chain indices) the sheet, :data:`UNDER` of its thickness
    (one mass where the locks part at their tips); ``mesh.panels`` (first vertex, chains) per lock, ``mesh.under``
    per under-layer (after them); a lock all of whose chains are ``flat`` ((C,) bool: down the chest) not narrowed at its tips;
    colours left to the caller."""
    half, lie = halves
    normal = np.zeros_like(centres)
    for g in groups:
        normal[g] = sheet_normals(centres[g], neck)
    verts, faces, maps, starts = [], [], [], []
    n = 0
    for k, g in enumerate(list(locks) + list(under)):
        if k < len(locks):
            c, h = narrow(centres[g], bool(flat[g].all())) + (half[g] - lie[g])[..., None] * normal[g], half[g]
        else:  # the under-layer: the sheet, thin, inside the locks down to its tips (hair between them, no shirt)
            c, h = centres[g], UNDER * lie[g]
        v = panel_rings(c, h, normal[g]).reshape(-1, 3)  # (N * 2P, 3)
        inside = np.concatenate([c, c[::-1]]).transpose(1, 0, 2).reshape(-1, 3)  # each point's chain
        f = outward(v, ring_faces(NODES, 2 * len(g)), inside)  # faces outwards (the label pass culls back faces)
        maps.append(sheet_map(c, f, 7 * LOCK_TURN * k))
        verts.append(v)
        faces.append(f + n)
        starts.append((n, len(g)))
        n += len(v)
    v = np.concatenate(verts)
    # the slab on a curved shoulder: its faces too stay off the surface (below the root rings)
    below = np.concatenate([np.repeat(np.arange(NODES) >= 2, 2 * p) for _, p in starts])
    v[below] = push_out(v[below], near, 0.5 * CLEARANCE, steps=1, k=4)[0]
    v = v.astype(np.float32)
    f = np.concatenate(faces).astype(np.uint32)
    mesh = GarmentMesh(v, mesh_normals(v, f), f, None, PART_INDEX["hair"], None, "hair:locks")
    mesh.uv = _join_maps(maps, [s0 for s0, _ in starts])
    mesh.panels, mesh.under = starts[:len(locks)], starts[len(locks):]  # per lock, per under-layer
    return mesh


def _join_maps(maps, starts):
    """One :class:`~genb.render.dress.texcoords.ClothMap` of several panels' maps, the panels'
    vertices starting at ``starts``."""
    from genb.render.dress.texcoords import ClothMap

    idx, faces, uv, m = [], [], [], 0
    for cm, s0 in zip(maps, starts):
        idx.append(cm.index + s0)
        faces.append(cm.faces + m)
        uv.append(cm.uv)
        m += len(cm.uv)
    return ClothMap(np.concatenate(idx), np.concatenate(faces), np.concatenate(uv))
