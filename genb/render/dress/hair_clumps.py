"""Long hair below the shoulders gathered into locks with volume: what turns the sheet of
:mod:`genb.render.dress.hair_locks` into clumps of hair where it hangs on the back, not a flat ribbon.

- :func:`lock_layout`: the back panel's chains split into locks of :data:`LOCK_SIZES` chains side by side,
  neighbouring locks sharing their edge chain (one surface at the head, a groove between them below); a front
  panel (a side's front chains, a lock already) stays one lock.
- :func:`lock_half`: each chain's half thickness along it: the sheet's (``hair_locks.THICK``, thinning to the
  root) by the head, swelling below the shoulders to :data:`LOCK_DEPTH` times it in a lock's middle
  (:data:`LOCK_EDGE` of that at its edge chains; each lock :data:`DEPTH_SPREAD` deeper or shallower by the hair's
  seed), tapering to :data:`LOCK_TIP` of that at the tips. On 26ebc84 the sheet below the shoulders was 3-5 mm
  thick (``tests/test_hair_locks.py``).
- :func:`lock_lengths`: a lock ends at its own length (no straight hem).
- :func:`hold_within`: below the shoulders the nodes kept inside the shoulders' ends (a front panel's
  :data:`FRONT_OUT` further out), each panel first shifted whole, so it keeps its width: clamped
  chain by chain a front panel past a shoulder's end was squeezed into a rope (a standing child's 5.2 cm on main,
  2.6 cm; ``tests/test_ponytail.py``'s front locks' median width 2.4 cm, with ``hair_locks.lay_flat``'s fix 3.7).
- :func:`cut_locks`, :func:`narrow`: after the fall the locks cut where the sheet parted
  (``hair_locks.split_apart``), and over their last two segments each lock's chains gathered towards its
  middle (:data:`NARROW` of their spread gone): the locks part at their tips and taper, rounder there than
  where they leave the head.

Pure functions over arrays; deterministic (the layout from the hair's seed).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.hair_rest import DROP, SHOULDER_IN, within_shoulders

LOCK_SIZES = (3, 4, 5)  # chains per lock of the back panel (its edge chains shared with its neighbours)
LOCK_DEPTH = 1.8  # a lock's depth in its middle below the shoulders, times the sheet's thickness (hair_locks.THICK)
LOCK_EDGE = 0.55  # ... the share of it at a lock's edge chains (a groove between two locks)
LOCK_TIP = 0.12  # ... the share of it left at the tips (the last ring: the lock's end closes, no open tube)
FULL = 0.9  # ... at the node before them (it keeps its volume down to its end)
DEPTH_SPREAD = 0.3  # a lock is 1 -+ DEPTH_SPREAD / 2 times LOCK_DEPTH deep (seeded per lock)
SWELL = (0.25, 0.5)  # the share of the way along a chain over which the sheet swells into locks (nodes 2 to 4)
FRONT_OUT = 0.02  # metres further out than the back panel's that a front panel's chains keep to (hold_within)
NARROW = (0.0, 0.5)  # the share of a lock's spread gathered to its middle at the node before the tips, at the tips


def lock_layout(groups: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """The locks (chain indices, side by side) of the panels ``groups``: the back panel (``groups[0]``) cut into
    locks of :data:`LOCK_SIZES` chains (drawn by ``seed``), each sharing its first chain with the lock before it;
    a front panel one lock."""
    rng = np.random.default_rng(seed)
    out = []
    for k, g in enumerate(groups):
        g = np.asarray(g)
        if k or len(g) <= max(LOCK_SIZES):
            out.append(g)
            continue
        start = 0
        while start < len(g) - 1:
            size = int(rng.choice(LOCK_SIZES))
            end = min(start + size - 1, len(g) - 1)
            if len(g) - 1 - end < min(LOCK_SIZES) - 1:  # too few left for a lock of their own: this one takes them
                end = len(g) - 1 if len(g) - start <= max(LOCK_SIZES) + 1 else end - 1
            out.append(g[start:end + 1])
            start = end
    return out


def _across(locks: list[np.ndarray], count: int, seed: int) -> np.ndarray:
    """(count,) each chain's share of its lock's depth: :data:`LOCK_EDGE` at a lock's edge chains, rising as a
    sine to its middle, times the lock's own depth (1 -+ :data:`DEPTH_SPREAD` / 2, by ``seed``; not at the edges,
    which two locks share)."""
    rng = np.random.default_rng(seed)
    out = np.full(count, LOCK_EDGE)
    for lock in locks:
        m = len(lock)
        deep = 1.0 + DEPTH_SPREAD * (rng.random() - 0.5)
        bulge = np.sin(np.pi * np.arange(m) / max(m - 1, 1))
        out[lock[1:-1]] = (LOCK_EDGE + (1.0 - LOCK_EDGE) * bulge[1:-1]) * deep
    return out


def lock_half(locks: list[np.ndarray], count: int, nodes: int, thick: float, taper, seed: int) -> np.ndarray:
    """(count, nodes) each chain's half thickness (metres) along it: ``thick`` times ``taper`` (the sheet's share
    along it, a function of 0..1) by the head, swelling between :data:`SWELL` into the locks' depths
    (:func:`_across` times :data:`LOCK_DEPTH`), tapering to :data:`LOCK_TIP` of them at the tips."""
    s = np.linspace(0.0, 1.0, nodes)
    sheet = taper(s)
    blend = np.clip((s - SWELL[0]) / (SWELL[1] - SWELL[0]), 0.0, 1.0)
    along = LOCK_DEPTH * np.interp(s, [SWELL[1], 1.0 - 1.0 / (nodes - 1), 1.0], [1.0, FULL, LOCK_TIP])
    share = (1.0 - blend)[None, :] * sheet[None, :] + blend[None, :] * _across(locks, count, seed)[:, None] * along
    return 0.5 * thick * share


def lock_lengths(locks: list[np.ndarray], count: int, length: float, spread: float, seed: int) -> np.ndarray:
    """(count,) metres each chain's length: its lock's (``length`` times 1 -+ ``spread`` / 2, by ``seed``), each
    chain's own 1 -+ 0.15 ``spread`` of it (a shared edge chain the shorter of its two locks')."""
    rng = np.random.default_rng(seed)
    out = np.full(count, np.inf)
    for lock in locks:
        m = len(lock)
        own = length * (1.0 + spread * (rng.random() - 0.5))
        jitter = 1.0 + 0.3 * spread * (rng.random(m) - 0.5)
        out[lock] = np.minimum(out[lock], own * jitter)
    return np.where(np.isfinite(out), out, length)


def cut_locks(locks: list[np.ndarray], groups: list[np.ndarray], whole: list[bool],
              front: np.ndarray | None = None) -> list[np.ndarray]:
    """The locks as the panels ``groups`` (chain indices, after the sheet parted) keep them: each lock's chains in
    one panel as a lock of its own, two chains at least (a lock parted across keeps both its pieces); a panel
    ``whole`` (a piece of the back panel hanging down the chest from a bent head) one lock (a lock as wide as a
    front panel's, not a rope), and so each run of a panel's chains side by side that hang down the chest
    (``front``: (C,) bool per chain), the rest of the panel cut into its locks."""
    front = np.zeros(1 + max(int(np.max(g)) for g in groups), bool) if front is None else np.asarray(front)
    where = {int(c): k for k, (g, w) in enumerate(zip(groups, whole)) if not w for c in g if not front[c]}
    out = [g for g, w in zip(groups, whole) if w]
    for g, w in zip(groups, whole):
        if not w:
            run = np.flatnonzero(front[g])
            out += [g[r] for r in np.split(run, np.flatnonzero(np.diff(run) > 1) + 1) if len(r) >= 2]
    for lock in locks:
        panel = np.array([where.get(int(c), -1) for c in lock])
        for k in np.unique(panel[panel >= 0]):
            piece = lock[panel == k]
            if len(piece) >= 2:
                out.append(piece)
    return out


def narrow(centres: np.ndarray, flat: bool = False) -> np.ndarray:
    """(P, N, 3) one lock's chains ``centres`` (P, N, 3) drawn horizontally towards their middle (the mean of the
    lock's chains at each node) over its last two segments, by :data:`NARROW` (heights kept): the lock tapers to its
    tip and parts from its neighbours there (higher up they touch: one mass over the back). ``flat``: a front
    panel's lock, lying flat across the chest, as it is (narrowed it hung as a rope)."""
    if flat:
        return centres
    n = centres.shape[1]
    share = np.interp(np.arange(n), [n - 3, n - 2, n - 1], [0.0, *NARROW])
    out = centres.copy()
    middle = centres.mean(axis=0, keepdims=True)
    out[..., :2] += share[None, :, None] * (middle[..., :2] - centres[..., :2])
    return out


def _moves(p: np.ndarray, neck: np.ndarray, trunk: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """(C, ...) metres across the trunk that each chain's points ``p`` (C, ..., 3) move to hang no more than
    :data:`~genb.render.dress.hair_rest.SHOULDER_IN` inside ``limit`` ((C,) metres off the ``neck``), the more so
    the lower they hang (as :func:`~genb.render.dress.hair_rest.within_shoulders`)."""
    rel = p - neck
    x = rel @ trunk[:, 0]
    hold = np.clip(-(rel @ trunk[:, 2]) / DROP, 0.0, 1.0)
    inside = (limit - SHOULDER_IN).reshape((-1,) + (1,) * (x.ndim - 1))
    return -np.sign(x) * np.maximum(np.abs(x) - inside, 0.0) * hold


def hold_within(p: np.ndarray, hold, groups: list[np.ndarray], fronts: np.ndarray) -> np.ndarray:
    """Points ``p`` (C, ...) kept inside the shoulders' ends (``hold``: (neck, trunk, half width),
    :func:`~genb.render.dress.hair_rest.within_shoulders`; None: as they are), each panel (``groups``: chain
    indices) first shifted whole (the largest of its chains' :func:`_moves` one way plus the largest the other;
    clamped chain by chain a front panel 5.2 cm wide on a standing child hung as a rope 2.6 cm wide), the front
    panels' chains ``fronts`` :data:`FRONT_OUT` further out (their panel lies flat across the chest)."""
    if hold is None:
        return p
    neck, trunk, width = hold
    limit = np.full(len(p), width)
    limit[fronts] += FRONT_OUT
    move = _moves(p, neck, trunk, limit)
    shift = np.zeros(move.shape)
    for g in groups:  # the largest move of a panel's chains one way plus the largest the other
        shift[g] = np.maximum(move[g], 0.0).max(axis=0) + np.minimum(move[g], 0.0).min(axis=0)
    out = p + shift[..., None] * trunk[:, 0]
    each = np.broadcast_to(limit.reshape((-1,) + (1,) * (p.ndim - 2)), p.shape[:-1]).ravel()
    return within_shoulders(out.reshape(-1, 3), neck, trunk, each).reshape(p.shape)
