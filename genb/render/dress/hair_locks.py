"""Long hair's locks: flat bundles of hair that leave the sides and the back of the head and fall
under gravity onto the shoulders, the chest and the back, resting on whatever is worn there.

Each lock is a chain of :data:`NODES` nodes (the ponytail's idea, :func:`genb.render.dress.pieces.ponytail_chain`,
run for all locks at once): every step the heading turns towards gravity, and each node is pushed
out of the skin, cloth and hair near it (along their normals) until it lies :data:`CLEARANCE` plus its
half thickness off them, so a lock drapes over a shoulder instead of passing through it. The chain is
dressed as a flattened tube (an ellipse wide across the lock, thin along the surface normal), tapering
to the tip, with strand coordinates along it (:func:`genb.render.dress.hair.tube_map`).
Deterministic: the layout comes from the person's hair seed, no random stream.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.atlas import head_frame
from genb.render.dress.hair import LOCK_TURN, LOCK_V, hair_seed, outward, tube_map
from genb.render.dress.materials import hair_colors
from genb.render.dress.mesh import GarmentMesh, mesh_normals
from genb.render.dress.shells import ring_faces

NODES, BINS = 9, 8
LENGTH = 0.4  # metres from the root (about ear height) to the tip: past the shoulders
CLEARANCE = 0.006  # metres a lock keeps off the surface it rests on, beyond its half thickness
WIDTH, THICK = 0.055, 0.012  # a lock's width and thickness at the root, metres (tapering: width_taper, thick_taper)
# (its strand coordinates run hair.LOCK_TURN = 2 WIDTH around it)
TIP_WIDTH, TIP_THICK = 0.12, 0.3  # shares of the root's width and thickness left at the tip
LENGTH_SPREAD = 0.3  # a lock is 1 -+ LENGTH_SPREAD / 2 times LENGTH long (seeded per lock)
# root azimuths around the head (radians; 0 = the face's direction, pi = the back of the head)
ROOTS = np.linspace(1.4, 2 * np.pi - 1.4, 13)


def width_taper(s: np.ndarray) -> np.ndarray:
    """(N,) share of a lock's root width at ``s`` (N,) 0..1 along it: nearly full over its first half,
    then narrowing to :data:`TIP_WIDTH` at the tip (the strands of a lock end at their own lengths)."""
    s = np.asarray(s, np.float64)
    return 1.0 - (1.0 - TIP_WIDTH) * s ** 2.2


def thick_taper(s: np.ndarray) -> np.ndarray:
    """(N,) share of a lock's root thickness at ``s`` (N,) 0..1 along it (linear to :data:`TIP_THICK`)."""
    return 1.0 - (1.0 - TIP_THICK) * np.asarray(s, np.float64)


def reachable(roots: np.ndarray, surface):
    """``(tree, points, normals)`` of the surface points the locks from ``roots`` (C, 3) can reach
    (below the roots, within their length), or None: a small tree per person."""
    from scipy.spatial import cKDTree

    if surface is None or not len(surface[0]):
        return None
    P, Nrm = surface
    top = float(np.max(roots[:, 2])) + 0.05
    reach = (P[:, 2] < top) & (((P - roots.mean(axis=0)) ** 2).sum(1) < (LENGTH + 0.15) ** 2)
    if not reach.any():
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
    for _ in range(steps):
        dist, j = tree.query(p, k=k, distance_upper_bound=float(need.max()) + 0.03)
        valid = np.isfinite(dist)
        if not valid.any():
            break
        jj = np.where(valid, j, 0)
        short = need[:, None] - np.einsum("cki,cki->ck", p[:, None, :] - P[jj], Nrm[jj])
        short = np.where(valid, short, -np.inf)
        best = np.argmax(short, axis=1)
        amount = short[np.arange(len(p)), best]
        push = amount > 0
        if not push.any():
            break
        nb = Nrm[jj[np.arange(len(p)), best]]
        p[push] += amount[push, None] * nb[push]
        contact[push] = nb[push]
    return p, contact


def lock_chains(roots: np.ndarray, headings: np.ndarray, half: np.ndarray, near,
                lengths: np.ndarray | None = None) -> np.ndarray:
    """(C, N, 3) node centres of C locks, metres: from ``roots`` (C, 3) along ``headings`` (C, 3) that
    turn towards gravity every step (sliding along what they rest on), each node kept ``half`` (N,)
    plus :data:`CLEARANCE` off the surface ``near`` (:func:`reachable`; None: falls freely).
    ``lengths``: (C,) metres per lock (None: :data:`LENGTH` each)."""
    n = len(half)
    seg = (np.full(len(roots), LENGTH) if lengths is None else np.asarray(lengths, np.float64))[:, None] / (n - 1)
    down = np.array([0.0, 0.0, -1.0])
    heading = headings / np.linalg.norm(headings, axis=1, keepdims=True)
    nodes = [np.asarray(roots, np.float64)]
    contact = np.zeros_like(heading)  # the normal of what each lock last rested on (0: nothing)
    for k in range(1, n):
        fall = down[None, :] - np.minimum(contact @ down, 0.0)[:, None] * contact  # gravity along a surface: it slides
        heading = heading * 0.55 + fall * (0.35 + 0.1 * k)
        heading /= np.maximum(np.linalg.norm(heading, axis=1, keepdims=True), 1e-9)
        p = nodes[-1] + seg * heading
        if near is not None:
            p, contact = push_out(p, near, half[k] + CLEARANCE, k=8)
            d = p - nodes[-1]  # a lock may stretch a little over a shoulder, no more
            L = np.linalg.norm(d, axis=1, keepdims=True)
            p = nodes[-1] + d * np.minimum(1.0, 1.25 * seg / np.maximum(L, 1e-9))
            heading = (p - nodes[-1]) / np.maximum(np.linalg.norm(p - nodes[-1], axis=1, keepdims=True), 1e-9)
        nodes.append(p)
    return np.stack(nodes, axis=1)


def hair_locks(hair: dict, keypoints: np.ndarray, t: float, surface, capped: bool = False) -> GarmentMesh:
    """The locks of long hair as one mesh (C locks x :data:`NODES` rings x :data:`BINS`), rooted
    ``t`` (the hair's thickness) off the scalp around the sides and the back of the head, falling
    onto ``surface`` ((P, 3) points, (P, 3) normals of the skin, cloth and hair below the head).
    A seeded share of the side locks falls in front of the shoulders. ``capped``: rooted lower, under
    a cap's edge."""
    origin, R = head_frame(keypoints)
    rng = np.random.default_rng(hair_seed(hair))
    ang = ROOTS + rng.uniform(-0.12, 0.12, len(ROOTS))
    C = len(ang)
    root = np.stack([np.sin(ang) * 0.078, np.cos(ang) * 0.088, np.full(C, 0.0 if capped else 0.035)], 1)  # head frame
    root *= 1.0 + t / 0.08
    roots = origin + root @ R.T
    out = root / np.linalg.norm(root, axis=1, keepdims=True)
    fwd = np.zeros((C, 3))
    front = np.abs(np.cos(ang)) < 0.25  # the locks at the sides, over the ears
    fwd[front & (rng.random(C) < 0.6), 1] = 0.5  # some fall in front of the shoulders
    headings = (0.7 * out + fwd + np.array([0.0, 0.0, -0.4])) @ R.T
    s = np.linspace(0.0, 1.0, NODES)
    half_thick = 0.5 * THICK * thick_taper(s)
    near = reachable(roots, surface)
    spread = np.random.default_rng(hair_seed(hair) + 1)  # (its own stream: the layout above stays)
    lengths = LENGTH * (1.0 + LENGTH_SPREAD * (spread.random(C) - 0.5))  # the tips end at their own heights
    centres = lock_chains(roots, headings, half_thick, near, lengths)  # (C, N, 3)
    # 1. A frame along each chain: the tangent, the lock's width around the head, its thickness outwards.
    tangent = np.gradient(centres, axis=1)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=2, keepdims=True), 1e-9)
    # the lock lies flat around the body: its width across the tangent and the horizontal direction
    # from the neck's vertical axis (hugging the head at the sides, lying flat on the chest or the back)
    radial = centres - keypoints[1].astype(np.float64)  # BODY25 1: the neck
    radial[..., 2] = 0.0
    radial /= np.maximum(np.linalg.norm(radial, axis=2, keepdims=True), 1e-9)
    across = np.cross(tangent, radial)
    side = across - np.einsum("cni,cni->cn", across, tangent)[..., None] * tangent
    side /= np.maximum(np.linalg.norm(side, axis=2, keepdims=True), 1e-9)
    normal = np.cross(tangent, side)
    # 2. Rings: ellipses, wide across the lock, thin along its normal.
    ph = np.arange(BINS) / BINS * 2 * np.pi
    half_w = (0.5 * WIDTH * width_taper(s) * (0.85 + 0.3 * rng.random(C)[:, None]))[..., None, None]  # locks overlap
    ring = (np.cos(ph)[None, None, :, None] * side[:, :, None, :] * half_w
            + np.sin(ph)[None, None, :, None] * normal[:, :, None, :] * half_thick[None, :, None, None])
    v = (centres[:, :, None, :] + ring).reshape(-1, 3)
    # a wide lock on a curved shoulder: its edges too stay off the surface (below the root rings)
    below = np.broadcast_to((np.arange(NODES) >= 2)[None, :, None], (C, NODES, BINS)).ravel()
    v[below] = push_out(v[below], near, 0.5 * CLEARANCE, steps=1, k=4)[0]
    v = v.astype(np.float32)
    one = ring_faces(NODES, BINS)
    per = NODES * BINS
    one = outward(v[:per], one, np.repeat(centres[0], BINS, axis=0))  # faces outwards (the label pass culls back faces)
    f = np.concatenate([one + c * per for c in range(C)]).astype(np.uint32)
    rest = (v - origin) @ R
    mesh = GarmentMesh(v, mesh_normals(v, f), f, hair_colors(hair["color"], rest), PART_INDEX["hair"], None, "hair:locks")
    cm = tube_map(NODES, BINS, LOCK_TURN / (2 * np.pi), LENGTH, one, LOCK_V)
    mesh.uv = _tile_map(cm, C, per)
    return mesh


def _tile_map(cm, copies: int, per: int):
    """A :class:`~genb.render.dress.texcoords.ClothMap` of ``copies`` meshes of ``per`` vertices, each
    with the map ``cm``, offset along u by whole turns (:data:`~genb.render.dress.hair.LOCK_TURN`: the
    phase around a lock stays u's) so neighbouring locks do not repeat each other's strands."""
    from genb.render.dress.texcoords import ClothMap

    n = len(cm.uv)
    idx = np.concatenate([cm.index + c * per for c in range(copies)])
    faces = np.concatenate([cm.faces + c * n for c in range(copies)])
    uv = np.concatenate([cm.uv + np.array([LOCK_TURN * 7 * c, 0.0]) for c in range(copies)])
    return ClothMap(idx, faces, uv)
