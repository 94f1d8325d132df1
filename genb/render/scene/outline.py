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
  cap 0.071, long 0.067, short 0.056, buzz 0.046);
- the body's support points (the vertex farthest along each of ``DIRECTIONS``), each pushed ``CLOTH_M`` further
  along its direction: hands, elbows, feet, a bent back, with what clothes and shoes add; and the farthest point
  of each of ``SLABS`` heights of the body along 8 horizontal directions (a torso's sides when the hands
  hang below a close-up's bottom edge), pushed alike.

:func:`inside` tests, for many ground points at once, that the outline turned by the person's yaw projects
inside the image.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX
from genb.render.scene import heads

HAIR_M = 0.09  # the crown pushed this far out: the tallest hair or cap measured (0.093 m, see the module)
CLOTH_M = 0.05  # the support points pushed this far out along their direction: coats, sleeves, shoes, bags' edges
SUPPORT_STEP = 3  # every 3rd body vertex is a candidate support point (the hands' and feet's tips stay)
SLABS = 6  # ... and the farthest of each of SLABS heights of the body along 8 horizontal directions (the sides
# of a torso whose hands hang below the image's bottom edge in a close-up)


def _directions() -> np.ndarray:
    """(40, 3) unit directions: 16 horizontal, 16 at 45 degrees up, 8 at 45 degrees down."""
    out = []
    for elev, n in ((0.0, 16), (45.0, 16), (-45.0, 8)):
        a = np.radians(360.0 * np.arange(n) / n)
        e = np.radians(elev)
        out.append(np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.full(n, np.sin(e))], 1))
    return np.concatenate(out + [np.array([[0.0, 0.0, 1.0]])])


DIRECTIONS = _directions()


def outlines(rested: np.ndarray, rested_kp: np.ndarray, head_ids: np.ndarray,
             crowns: np.ndarray | None = None) -> np.ndarray:
    """(P, CROWN_POINTS + len(DIRECTIONS) + SLABS * 8, 3) each person's outline points in the rested frame.

    Args:
        rested: (P, V, 3) bodies resting on their support at the origin, zero yaw; rested_kp: (P, 25, 3).
        head_ids: the head part's vertex ids. crowns: (P, M, 3) their crowns when already made (else made).
    """
    rested = np.asarray(rested, np.float64)
    crown = heads.crowns(rested, head_ids) if crowns is None else np.asarray(crowns, np.float64)
    kp = np.asarray(rested_kp, np.float64)
    centre = 0.5 * (kp[:, BODY25_INDEX["left_ear"]] + kp[:, BODY25_INDEX["right_ear"]])[:, None]  # (P, 1, 3)
    away = crown - centre
    dressed = crown + HAIR_M * away / np.maximum(np.linalg.norm(away, axis=2, keepdims=True), 1e-9)
    sub = rested[:, ::SUPPORT_STEP]
    pick = np.argmax(sub @ DIRECTIONS.T, axis=1)  # (P, D): the farthest candidate along each direction
    support = np.take_along_axis(sub, pick[..., None], axis=1)
    return np.concatenate([dressed, support + CLOTH_M * DIRECTIONS, _slab_sides(sub)], axis=1)


def _slab_sides(sub: np.ndarray) -> np.ndarray:
    """(P, SLABS * 8, 3) per person the farthest point of each of ``SLABS`` equal heights of the body along 8
    horizontal directions, pushed ``CLOTH_M`` further along it (slabs a vertex-less height leaves empty repeat
    the body's farthest point along that direction)."""
    z = sub[..., 2]
    lo, hi = z.min(axis=1, keepdims=True), z.max(axis=1, keepdims=True)
    slab = np.minimum(((z - lo) / np.maximum(hi - lo, 1e-9) * SLABS).astype(np.int64), SLABS - 1)  # (P, N)
    dirs = DIRECTIONS[:16:2]  # 8 horizontal directions
    reach = sub @ dirs.T  # (P, N, 8)
    out = np.empty((len(sub), SLABS, len(dirs), 3))
    for k in range(SLABS):
        r = np.where((slab == k)[..., None], reach, -np.inf)
        pick = np.argmax(np.where(np.isinf(r).all(axis=1, keepdims=True), reach, r), axis=1)  # (P, 8)
        out[:, k] = np.take_along_axis(sub, pick[..., None], axis=1) + CLOTH_M * dirs
    return out.reshape(len(sub), -1, 3)


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
    seen = v <= 1.0  # a point below the image (the legs of a cowboy shot) cuts nothing at the sides
    ok = front & (np.where(seen, u, 0.5).min(axis=1) >= 0.0) & (np.where(seen, u, 0.5).max(axis=1) <= 1.0)
    ok &= v.min(axis=1) >= top
    if bottom is not None:
        ok &= v.max(axis=1) <= bottom
    return ok


def inside_at_yaws(points: np.ndarray, xy: np.ndarray, K: np.ndarray, cam_ext: np.ndarray, width: int, height: int,
                   top: float = 0.0, bottom: float | None = 1.0, yaw_deg: float | None = None) -> bool:
    """Whether the outline ``points`` (M, 3), unturned, of a person standing at ``xy`` (2,) lies inside the image
    (as :func:`inside`) turned by ``yaw_deg``, or at every one of ``heads.AIM_YAWS`` yaws when the yaw is
    drawn later (None)."""
    yaws = [yaw_deg] if yaw_deg is not None else list(360.0 * np.arange(heads.AIM_YAWS) / heads.AIM_YAWS)
    every = np.concatenate([heads.turned(points, y) for y in yaws])  # inside at every yaw: all of them inside
    return bool(inside(every, np.array([float(xy[0])]), np.array([float(xy[1])]), K, cam_ext, width, height, top,
                       bottom)[0])
