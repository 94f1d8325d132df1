"""A dressed person's outline before they are dressed: the points that keep them whole in the image
(``--whole-in-frame``, docs/render.md "Placement and framing").

Placement keeps a person who is not truncated with their feet's pixel inside the image and (with
``--head-row-exact``) the body's crown below the top edge; nothing kept their hands, elbows, feet, hair or
hat inside. Outfits are drawn after placement (and ``--wardrobe none`` must place the same people), so the
hair's or hat's own height is not known there: it is bounded instead. The outline is, per person, in the
rested frame (origin under the body, zero yaw):

- the crown (:func:`genb.render.scene.heads.crowns`) pushed ``HAIR_M`` out from the ears' midpoint: the
  dressed head's top (hair and caps stood out of the pushed-by-m crown's top row by at most 0.093 m over
  120 dressed closeup people, seed 321, 64 closeup-like views each: curly and medium hair 0.093, bun 0.072,
  cap 0.071, long 0.067, short 0.056, buzz 0.046); and the same points dropped to ``LOCKS_M`` under the ears
  (long hair's locks hanging from a bent-over head; inside the trunk when upright);
- round every body vertex a ball of its part's reach (``REACH_M``: the head 0.09 m for hair, the trunk and thighs
  0.10 for hoods, collars, coats and long hair on the back, the shins 0.08, arms, hands and feet 0.06-0.07 for
  sleeves, cuffs and shoes), and the farthest point of those balls along each of ``N_DIRECTIONS`` directions spread
  over the sphere, and along 8 horizontal directions in each of ``SLABS`` heights of the body (a torso's sides when
  the hands hang below a close-up's bottom edge);
- the outer corners of the largest backpack and hip bag anyone could wear (:func:`carried`), where the dressing
  puts them (the trunk's frame from the keypoints), resting on the body plus ``CLOTH_M`` of cloth.

Measured against 216 dressed people (closeup and bedlam, seed 321, 40 samples each: every vertex of their
garments, hair, shoes and bags, the support along 600 directions): the dressed shape stood more than 3 cm out of
15423f4's outline (the body's farthest points along 41 directions, pushed 0.05 m) for 104 of them (a hip bag up to
0.27 m, a dress 0.13, a coat 0.12, a backpack 0.12, trousers 0.11, long hair 0.09, a hoodie 0.07), out of this outline for 17 (a hip bag over a coat
and a hoodie 0.12, a dress's hem behind the shins 0.09, an open coat's front 0.07).

:func:`inside` tests, for many ground points at once, that the outline turned by the person's yaw projects
inside the image.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX, PART_INDEX, PARTS
from genb.render.dress.atlas import trunk_frame
from genb.render.scene import heads

HAIR_M = 0.09  # the crown pushed this far out: the tallest hair or cap measured (0.093 m, see the module)
LOCKS_M = 0.46  # ... and dropped to this far under the ears: long hair's longest lock (hair_locks.LENGTH 0.4, + 15 %)
REACH_M = {"head": 0.09, "torso": 0.10, "left_upper_arm": 0.07, "right_upper_arm": 0.07, "left_lower_arm": 0.06,
           "right_lower_arm": 0.06, "left_hand": 0.06, "right_hand": 0.06, "left_upper_leg": 0.10,
           "right_upper_leg": 0.10, "left_lower_leg": 0.08, "right_lower_leg": 0.08, "left_foot": 0.06,
           "right_foot": 0.06}  # per body part, how far clothes, hair and shoes stand out of its vertices (see the module)
SUPPORT_STEP = 3  # every 3rd body vertex is a candidate support point (the hands' and feet's tips stay)
N_DIRECTIONS = 96  # support points along this many directions spread evenly over the sphere (adjacent ones
# 21 degrees apart: the outline's hull cuts a convex shape's corner between them by under 2 % of its size)
SLABS = 6  # ... and the farthest of each of SLABS heights of the body along 8 horizontal directions (the sides
# of a torso whose hands hang below the image's bottom edge in a close-up)
CLOTH_M = 0.07  # the cloth under a backpack or a hip bag (a hoodie under an open jacket, crouching: 0.06)
BAG_GAP = 0.006  # as genb.render.dress.daypack: a bag rests this far off the cloth
HIP_BAG_SHIFTS = (0.02, 0.08, -0.04, 0.14, -0.1, 0.2, -0.16)  # the hip bag's places along the hip as 5020a86's
# pieces.hip_bag_mesh had them (metres forward of the right hip), its half size (forward, out, up); the bag now hangs
# from its sash (dress.bag_hang: up to 0.16 m under the sash's hip end), kept here so framing draws stay the same
HIP_BAG_HALF = (0.11, 0.04, 0.09)


def _directions(n: int = N_DIRECTIONS) -> np.ndarray:
    """(n, 3) unit directions spread evenly over the sphere (a Fibonacci lattice)."""
    k = np.arange(n) + 0.5
    z = 1.0 - 2.0 * k / n
    r = np.sqrt(1.0 - z * z)
    a = np.pi * (1.0 + np.sqrt(5.0)) * k
    return np.stack([r * np.cos(a), r * np.sin(a), z], 1)


DIRECTIONS = _directions()
SIDES = np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4), np.zeros(8)], 1)


def vertex_reach(vertex_parts: np.ndarray) -> np.ndarray:
    """(V,) how far clothes, hair and shoes may stand out of each body vertex (``REACH_M`` by its part), metres."""
    table = np.array([REACH_M.get(name, 0.0) for name in PARTS])
    return table[np.asarray(vertex_parts)]


def outlines(rested: np.ndarray, rested_kp: np.ndarray, vertex_parts: np.ndarray,
             crowns: np.ndarray | None = None) -> np.ndarray:
    """(P, 2 * CROWN_POINTS + N_DIRECTIONS + SLABS * 8 + 4 + 4 * len(HIP_BAG_SHIFTS), 3) each person's outline in
    the rested frame.

    Args:
        rested: (P, V, 3) bodies resting on their support at the origin, zero yaw; rested_kp: (P, 25, 3).
        vertex_parts: (V,) the body's part per vertex. crowns: (P, M, 3) their crowns when already made.
    """
    rested = np.asarray(rested, np.float64)
    parts = np.asarray(vertex_parts)
    crown = heads.crowns(rested, np.flatnonzero(parts == PART_INDEX["head"])) if crowns is None else np.asarray(crowns, np.float64)
    kp = np.asarray(rested_kp, np.float64)
    centre = 0.5 * (kp[:, BODY25_INDEX["left_ear"]] + kp[:, BODY25_INDEX["right_ear"]])[:, None]  # (P, 1, 3)
    away = crown - centre
    dressed = crown + HAIR_M * away / np.maximum(np.linalg.norm(away, axis=2, keepdims=True), 1e-9)
    hanging = dressed.copy()  # long hair's locks hang from the ears' height (inside the trunk when upright)
    hanging[..., 2] = np.minimum(dressed[..., 2], centre[..., 2] - LOCKS_M)
    sub = rested[:, ::SUPPORT_STEP]
    reach = vertex_reach(parts[::SUPPORT_STEP])  # (N,)
    support = _farthest(sub, reach, DIRECTIONS)
    z = sub[..., 2]
    lo, hi = z.min(axis=1, keepdims=True), z.max(axis=1, keepdims=True)
    slab = np.minimum(((z - lo) / np.maximum(hi - lo, 1e-9) * SLABS).astype(np.int64), SLABS - 1)  # (P, N)
    sides = np.concatenate([_farthest(sub, reach, SIDES, slab == k) for k in range(SLABS)], axis=1)
    return np.concatenate([dressed, hanging, support, sides, carried(sub, kp)], axis=1)


def _farthest(sub: np.ndarray, reach: np.ndarray, dirs: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """(P, len(dirs), 3) per person and direction the farthest of the balls of radius ``reach`` (N,) round the
    points ``sub`` (P, N, 3) (among those where ``among`` (P, N), when given and any is: an empty slab takes
    them all), its farthest point: the vertex plus its reach along the direction."""
    lifted = np.concatenate([sub, np.broadcast_to(reach[:, None], sub.shape[:2] + (1,))], axis=2)  # (P, N, 4)
    far = np.concatenate([dirs, np.ones((len(dirs), 1))], axis=1) @ lifted.transpose(0, 2, 1)  # (P, D, N): x.d + reach
    if among is not None:
        among = np.where(among.any(axis=1, keepdims=True), among, True)
        far = np.where(among[:, None], far, -np.inf)
    pick = np.argmax(far, axis=2)  # (P, D)
    return np.take_along_axis(sub, pick[..., None], axis=1) + reach[pick][..., None] * dirs


def carried(sub: np.ndarray, kp: np.ndarray) -> np.ndarray:
    """(P, 4 + 4 * len(HIP_BAG_SHIFTS), 3) the outer corners of the largest backpack and hip bag anyone could be
    given (:func:`genb.render.dress.daypack.total_depth`, ``hip_bag_mesh``: their sizes and places, in the trunk's
    frame from the keypoints, resting on the body's farthest vertices ``sub`` (P, N, 3) under them plus ``CLOTH_M``
    of cloth), so that placing a person never depends on their outfit. A hip bag takes the place along the hip
    where it hangs closest to the body and its cloth (which the outfit decides): every place is kept."""
    out = np.empty((len(sub), 4 + 4 * len(HIP_BAG_SHIFTS), 3))
    up = np.array([0.0, 0.0, 1.0])
    for p in range(len(sub)):
        origin, R, length = trunk_frame(kp[p])
        scale = length / 0.5
        width, height, top = 0.3 * min(scale, 1.1), 0.42 * scale, -0.08 * scale
        L = (sub[p] - origin) @ R
        under = (np.abs(L[:, 0]) < width / 2 + 0.05) & (L[:, 2] < top + 0.05) & (L[:, 2] > top - height - 0.05)
        back = (L[under, 1].max() if under.any() else 0.12) + CLOTH_M + BAG_GAP + 0.025 + 0.105 * scale
        corners = np.array([[x, back, z] for x in (-width / 2, width / 2) for z in (top, top - height)])
        out[p, :4] = corners @ R.T + origin
        side = -R[:, 0] - up * (-R[:, 0] @ up)
        side /= max(float(np.linalg.norm(side)), 1e-9)
        axes = np.stack([np.cross(up, side), side, up], 1)  # (forward, out to the right, up)
        hip = kp[p, BODY25_INDEX["right_hip"]] - 0.1 * up
        H = (sub[p] - hip) @ axes
        H = H[np.abs(H[:, 2]) < HIP_BAG_HALF[2] + 0.01]
        for k, s in enumerate(HIP_BAG_SHIFTS):  # every place: the cloth under it decides which the bag takes
            o = H[np.abs(H[:, 0] - s) < HIP_BAG_HALF[0] + 0.01, 1].max(initial=0.0) + CLOTH_M + BAG_GAP + 2 * HIP_BAG_HALF[1]
            box = np.array([[s + f * HIP_BAG_HALF[0], o, h * HIP_BAG_HALF[2]] for f in (-1, 1) for h in (-1, 1)])
            out[p, 4 + 4 * k:8 + 4 * k] = box @ axes.T + hip
    return out


def inside(points: np.ndarray, gx: np.ndarray, gy: np.ndarray, K: np.ndarray, cam_ext: np.ndarray, width: int,
           height: int, top: float = 0.0, bottom: float | None = 1.0) -> np.ndarray:
    """(N,) bool: the outline ``points`` (M, 3), already turned, of a person standing at each ground point
    (gx, gy) (N,) lies in front of the camera and inside the image: columns within [0, width - 1] (of the points
    not below the image), rows at or below ``top`` (a fraction of the image height, 0 the top edge) and at or above ``bottom`` (None: no
    bottom edge, for framings that cut the legs on purpose)."""
    R, t = np.asarray(cam_ext, np.float64)[:3, :3], np.asarray(cam_ext, np.float64)[:3, 3]
    base = points @ R.T + t  # (M, 3): camera coordinates for the person at the world origin
    shift = R[:, :2] @ np.stack([gx, gy])  # (3, N): what standing at (gx, gy) adds
    cam = base.T[:, None, :] + shift[:, :, None]  # (3, N, M)
    z = cam[2]
    front = (z > 0.05).all(axis=1)
    z = np.maximum(z, 1e-6)
    u = (cam[0] / z * K[0, 0] + K[0, 2]) / (width - 1)
    v = (cam[1] / z * K[1, 1] + K[1, 2]) / (height - 1)
    seen = v <= 1.0  # a point below the image (the legs of a cowboy shot) is tested where the hull crosses the edge
    ok = front & (np.where(seen, u, 0.5).min(axis=1) >= 0.0) & (np.where(seen, u, 0.5).max(axis=1) <= 1.0)
    ok &= v.min(axis=1) >= top
    if bottom is not None:
        return ok & (v.max(axis=1) <= bottom)
    for n in np.flatnonzero(ok & (~seen & ((u < 0.0) | (u > 1.0))).any(axis=1)):
        ok[n] = _bottom_crossings_inside(u[n], v[n])
    return ok


def _bottom_crossings_inside(u: np.ndarray, v: np.ndarray) -> bool:
    """Whether the outline's hull, its points at image fractions ``u``, ``v`` (M,), crosses the image's bottom
    edge (v = 1) between its sides: every segment from a point in the image to one below it and beyond a side
    (the hull's edges are among them) meets the edge at u in [0, 1]."""
    a = v <= 1.0
    b = ~a & ((u < 0.0) | (u > 1.0))
    ua, va, ub, vb = u[a][:, None], v[a][:, None], u[b][None], v[b][None]
    cross = ua + (ub - ua) * (1.0 - va) / (vb - va)
    return bool(cross.size == 0 or (cross.min() >= 0.0 and cross.max() <= 1.0))


def inside_at_yaws(points: np.ndarray, xy: np.ndarray, K: np.ndarray, cam_ext: np.ndarray, width: int, height: int,
                   top: float = 0.0, bottom: float | None = 1.0, yaw_deg: float | None = None) -> bool:
    """Whether the outline ``points`` (M, 3), unturned, of a person standing at ``xy`` (2,) lies inside the image
    (as :func:`inside`) turned by ``yaw_deg``, or at every one of ``heads.AIM_YAWS`` yaws when the yaw is
    drawn later (None)."""
    yaws = [yaw_deg] if yaw_deg is not None else list(360.0 * np.arange(heads.AIM_YAWS) / heads.AIM_YAWS)
    every = np.concatenate([heads.turned(points, y) for y in yaws])  # inside at every yaw: all of them inside
    return bool(inside(every, np.array([float(xy[0])]), np.array([float(xy[1])]), K, cam_ext, width, height, top,
                       bottom)[0])
