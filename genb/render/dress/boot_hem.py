"""Trousers worn with boots: each leg either over the boot's shaft or tucked into it, never on it.

The trousers' legs (:func:`~genb.render.dress.garments.bottom`) are posed off the skin by their stacked thickness,
ease and flare; a boot's shaft (:mod:`genb.render.dress.shoe_shaft`) stands its own thickness off the shin's convex
outline. The two came out within millimetres of each other (a child's jeans 6-13 mm inside the wall, an adult's
straight jeans partly on it), and the render showed the denim through the shaft in jagged shards (z-fighting),
up to 10 cm up the shin. What a real outfit does:

- a straight leg (the wardrobe's ``flare`` at least :data:`~genb.render.dress.hang_folds.LEG_SLACK`: jeans,
  trousers) falls over the boot: over the shaft's height each leg vertex lies at least :data:`GAP` outside the
  wall (widened to its neighbours', :func:`widened`: the cloth's faces are coarser than the wall's rings), moved
  straight out from the shaft's axis; over the collar for a level's height, then coming in at :data:`SLOPE` (a
  cone over the rim, no step), so the leg, its hem at the ankle, covers the shaft's top;
- a tight leg (leggings, skinny jeans) is tucked in: over the shaft's height no vertex lies within :data:`GAP` of
  the wall from inside (moved in towards the axis; the wall stands at least the boot's thickness, 12 mm, off the
  skin's outline, so never into the skin); over the top it stays where it was and enters the collar there.

Only the legs' vertices below each knee move (their share on that side's lower leg, from the shell's blend, so the
move fades out at the knee); a hem strip's inner edge moves with the edge it hangs from. Pure geometry over arrays.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.hang_folds import LEG_SLACK
from genb.render.dress.mesh import mesh_normals

GAP = 0.004  # metres: the least room between the shaft's wall and the leg's cloth (outside it, or inside it tucked)
SLOPE = 0.3  # over the top a straight leg comes in from the collar this many metres a metre up

_LOWER: dict = {}  # (id(blend), id(parts)) -> (blend, parts, side -> (ids, weights))


def lower_legs(shell, parts: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per side the shell's vertices with any share on that lower leg (ids) and that share (a shell vertex's blend
    weights on the body's ``parts`` (V,) of that side's lower leg): made once a shell's topology."""
    key = (id(shell.blend), id(parts))
    got = _LOWER.get(key)
    if got is None or got[0] is not shell.blend or got[1] is not parts:
        out = {}
        for side in ("left", "right"):
            w = np.asarray(shell.blend @ (parts == PART_INDEX[f"{side}_lower_leg"]).astype(np.float64)).ravel()
            ids = np.flatnonzero(w > 0.0)
            out[side] = (ids, w[ids])
        got = _LOWER[key] = (shell.blend, parts, out)
    return got[2]


def tucked(flare: float) -> bool:
    """Whether a leg of this ``flare`` (the wardrobe's, metres) goes into a boot: a tight leg, not a straight one."""
    return flare < LEG_SLACK


@functools.lru_cache(maxsize=None)
def _around(L: int, A: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of an (L, A) table padded by one: the end levels repeated, the angles round the ring."""
    return np.clip(np.arange(-1, L + 1), 0, L - 1)[:, None], (np.arange(-1, A + 1) % A)[None]


def widened(tube, tuck: bool):
    """``tube`` with each radius the most (``tuck``: the least) of its level's and angle's neighbours' and its own:
    the cloth's coarse faces, spanning a level between two rows of its vertices, clear the wall's bulge between."""
    pick = np.minimum if tuck else np.maximum
    r = tube.r[_around(*tube.r.shape)]  # (L + 2, A + 2): the end levels repeated, round the ring
    r = pick(pick(r[:-2], r[1:-1]), r[2:])  # (L, A + 2): each level's and its neighbours'
    return dataclasses.replace(tube, r=pick(pick(r[:, :-2], r[:, 1:-1]), r[:, 2:]))


def radial_moves(tube, points: np.ndarray, share: np.ndarray, tuck: bool) -> np.ndarray:
    """(P, 3) how far each of ``points`` (P, 3) world moves out of (or, ``tuck``, into) the shaft's ``tube``
    (:class:`~genb.render.dress.shoe_shaft.Tube`): straight out from (into) its axis, times ``share`` (P,)."""
    h, d, rad, R = widened(tube, tuck).wall(points)
    over = h - tube.levels[-1]
    if tuck:  # in the wall's height no closer than GAP inside it (never into the skin: the wall stands its
        # thickness, 12-18 mm, off the skin's outline); over the top as it was (entering the collar there)
        new = np.where(over > 0.0, rad, np.minimum(rad, R - GAP))
    else:  # at least GAP outside it, on over the collar for a level's height (the cloth's coarse rows span the
        # rim), then coming in at SLOPE
        new = np.maximum(rad, R + GAP - SLOPE * np.maximum(over - (tube.levels[-1] - tube.levels[-2]), 0.0))
    return d * ((new - rad) * share)[:, None]


def lay(legs: list, tubes: dict, parts: np.ndarray) -> None:
    """Lay each pair of trousers' legs over (or into) the boots' shafts, in place.

    Args:
        legs: ``(mesh, shell, flare)`` per pair of trousers (:class:`~genb.render.dress.mesh.GarmentMesh` posed from
            :class:`~genb.render.dress.shells.Shell`, the garment's ``flare``, metres).
        tubes: side -> the shaft's outer wall (:class:`~genb.render.dress.shoe_shaft.Tube`).
        parts: (V,) the body's part ids (the atlas's).
    """
    for mesh, shell, flare in legs:
        tuck = tucked(flare)
        X = mesh.vertices.astype(np.float64)
        move = np.zeros_like(X)
        for side, tube in tubes.items():
            ids, share = lower_legs(shell, parts)[side]
            move[ids] += radial_moves(tube, X[ids], share, tuck)
        if not tuck and shell.twin is not None:  # a hem's inner edge moves with the edge it hangs from
            move = move[shell.twin]
        moved = np.flatnonzero((move != 0.0).any(axis=1))
        if not len(moved):
            continue
        mesh.vertices = (X + move).astype(np.float32)
        on = np.zeros(len(X), bool)
        on[moved] = True
        touching = mesh.faces[on[mesh.faces].any(axis=1)]  # every face a moved vertex's normal sums
        mesh.normals[moved] = mesh_normals(mesh.vertices, touching)[moved]


__all__ = ["GAP", "SLOPE", "lay", "lower_legs", "radial_moves", "tucked"]
