"""Long hair resting on the body: what keeps :mod:`genb.render.dress.hair_locks`' chains on the back and the
chest instead of standing off them, after they fell (:func:`~genb.render.dress.hair_locks.lock_chains`).

- :func:`rest_on`: below the shoulders a node within :data:`REACH` of the body or its clothes (along the
  surface's normal, horizontally) is laid on them (:func:`lean`), the moves smoothed along and across the
  chains. The hair leaving the back of the head (over the hair's volume there and the long shell's strip down
  the back) fell straight down 3-4 cm off an upright back: over 6 key poses x 4 bodies x 3 styles x 4 hair
  seeds the locks' lower half below the shoulders stood 33 mm off the skin or cloth (median), 55 % of them
  over 3 cm; now 14 mm, 5 %. :data:`REACH` was 8 cm: a seated child's back (sitting back, closeup 376 #11) left
  its middle locks 8-10 cm behind it, a blade of hair; at 12 cm and under a backpack too (it covers the sheet; it
  stood 4 cm off a backpack's wearer's back as a blade: closeup 390 #1) 41 % of the panels' rows below the
  shoulders with over 5 cm of their width more than 3 cm off are 3 % (``tests/test_hair_wing.py``, with the
  roots under a cap over the ears, :data:`~genb.render.dress.hair_locks.CAP_ROOT_Z`).
- :func:`within_shoulders`: below the shoulders no node hangs more than :data:`SHOULDER_IN` inside the shoulders'
  keypoints' line across the trunk: a lock that slid down a shoulder's slope to its end goes back over its front
  or its back (the push out of the body after it), not off its end down the arm in the air.
- :func:`unfold`: a chain turning by more than :data:`TURN` degrees at a node (a lock folding back on itself
  where it met a shoulder or the neck) is smoothed there: 26 locks of about 6100 turned by over 90 degrees,
  now 9.

Pure functions over arrays; deterministic (no random draws).
"""

from __future__ import annotations

import numpy as np

REACH = 0.12  # metres: a node this far or nearer off the body (horizontally, along its normal) rests on it
SHOULDERS = 0.02  # metres over the neck's keypoint along the trunk: a node lower than this lies over the shoulders
TURN = 60.0  # degrees: a chain turning more than this between two segments is smoothed (unfold)
STEEP = 0.5  # ... where the surface's normal is at least this horizontal (a back, a chest, an arm; not a lap)
SHOULDER_IN = 0.01  # metres inside the shoulders' keypoints (across the trunk) that a node below them keeps to
DROP = 0.04  # metres under the neck's keypoint (along the trunk) over which that hold comes in


def below_neck(p: np.ndarray, neck: np.ndarray, trunk: np.ndarray) -> np.ndarray:
    """(C,) bool: nodes ``p`` (C, 3) lower along the trunk (``trunk`` (3, 3): across, back, up columns) than
    :data:`SHOULDERS` over the ``neck`` (3,): over the shoulders and below, not by the head."""
    return (p - neck) @ trunk[:, 2] < SHOULDERS


def lean(p: np.ndarray, near, need: np.ndarray, neck: np.ndarray, trunk: np.ndarray) -> np.ndarray:
    """(C, 3) nodes ``p`` (C, 3) moved horizontally onto the surface ``near``
    (:func:`~genb.render.dress.hair_locks.reachable`) where its nearest point lies within :data:`REACH` and
    faces them sideways (normal at least :data:`STEEP` horizontal): until they stand ``need`` (C,) metres off
    it along its normal (the node hangs on the back or the chest, not in the air before it); only nodes over
    the shoulders and below (:func:`below_neck`; ``neck`` (3,), ``trunk`` (3, 3)), not by the face."""
    if near is None:
        return p
    tree, P, Nrm = near
    dist, j = tree.query(p, k=1, distance_upper_bound=float(np.max(need)) + REACH)
    ok = np.isfinite(dist)
    if not ok.any():
        return p
    j = np.where(ok, j, 0)
    n = Nrm[j]
    flat = np.hypot(n[:, 0], n[:, 1])
    gap = np.einsum("ci,ci->c", p - P[j], n) - need  # how far off it beyond what it keeps
    move = ok & (flat >= STEEP) & (gap > 0) & (gap < REACH) & below_neck(p, neck, trunk)
    h = np.where(move, gap / np.maximum(flat, STEEP), 0.0)  # horizontally, along the normal's horizontal part
    out = p.copy()
    out[:, :2] -= (h / np.maximum(flat, 1e-9))[:, None] * n[:, :2]
    return out


def within_shoulders(p: np.ndarray, neck: np.ndarray, trunk: np.ndarray, width: float) -> np.ndarray:
    """(M, 3) nodes ``p`` (M, 3) moved across the trunk (``trunk`` (3, 3): across, back, up columns) to no more
    than :data:`SHOULDER_IN` inside ``width`` (metres: the shoulders' keypoints' half distance) off the ``neck``
    (3,), the more so the lower they hang under it (all :data:`DROP` under it): a lock rests on the front or
    the back of a shoulder, never off its end (to be pushed out of the body after)."""
    rel = p - neck
    x = rel @ trunk[:, 0]
    hold = np.clip(-(rel @ trunk[:, 2]) / DROP, 0.0, 1.0)
    excess = np.maximum(np.abs(x) - (width - SHOULDER_IN), 0.0) * hold
    return p - (np.sign(x) * excess)[:, None] * trunk[:, 0]


def rest_on(centres: np.ndarray, near, need: np.ndarray, neck: np.ndarray, trunk: np.ndarray,
            groups: list[np.ndarray], start: int = 3) -> np.ndarray:
    """(C, N, 3) the chains ``centres`` (C, N, 3) with their nodes from ``start`` on laid onto the body
    (:func:`lean`; ``need`` (C, N) metres off it), the first of them half way, the moves smoothed (1-2-1)
    along each chain and across each panel's chains (``groups``: chain indices side by side), so the sheet
    bends onto the back in a curve, not a kink, and neighbouring chains move alike (no crease between them).
    Still to be pushed out of the body."""
    low = centres[:, start:]
    move = lean(low.reshape(-1, 3), near, need[:, start:].ravel(), neck, trunk).reshape(low.shape) - low
    move = _smooth(move, 1)
    for g in groups:
        move[g] = _smooth(move[g], 0)

    move[:, 0] *= 0.5
    out = centres.copy()
    out[:, start:] += move
    return out


def _smooth(x: np.ndarray, axis: int) -> np.ndarray:
    """``x`` averaged 1-2-1 along ``axis`` (its ends repeated)."""
    x = np.moveaxis(x, axis, 0)
    pad = np.concatenate([x[:1], x, x[-1:]])
    return np.moveaxis(0.25 * pad[:-2] + 0.5 * pad[1:-1] + 0.25 * pad[2:], 0, axis)


def unfold(centres: np.ndarray, start: int = 2, rounds: int = 3) -> np.ndarray:
    """(C, N, 3) the chains ``centres`` (C, N, 3) with every node from ``start`` on where the chain turns by
    more than :data:`TURN` degrees (a lock folding back on itself where it met the body) moved to its
    neighbours' midpoint, ``rounds`` times: hair bends round a shoulder, it does not fold at a point. Still
    to be pushed out of the body."""
    out = centres.copy()
    limit = np.cos(np.radians(TURN))
    for _ in range(rounds):
        a, b = out[:, start:-1] - out[:, start - 1:-2], out[:, start + 1:] - out[:, start:-1]
        cos = np.einsum("cki,cki->ck", a, b) / np.maximum(np.linalg.norm(a, axis=2) * np.linalg.norm(b, axis=2), 1e-12)
        bent = cos < limit
        if not bent.any():
            break
        mid = 0.5 * (out[:, start - 1:-2] + out[:, start + 1:])
        out[:, start:-1] = np.where(bent[..., None], mid, out[:, start:-1])
    return out



