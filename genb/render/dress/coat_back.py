"""The back of a closed coat's tail hangs off a flexed thigh instead of riding under it.

A coat's tail below the hips is carried by the thighs (:func:`~genb.render.dress.hang.skin_weights`,
:mod:`~genb.render.dress.coat_tail`). Over a thigh's top (a seated lap, a front panel on a raised
thigh) that is right: the thigh holds the cloth up. Under it it is not: crouching, sitting on the
ground with the knees up or cross-legged, the back of a flexed thigh faces the ground and the cloth
it carries would ride along its underside into the fold of the knee, between thigh and calf. Real
cloth there leaves the body where it stops being held and falls: over the buttocks and the calves
to the heels and the ground behind them.

Here, on the skinned grid (before it is relaxed), each column is rebuilt ring by ring from its
edges (:func:`drape`): an edge whose cloth faces the ground (its outward direction, carried with the
skinning, faces up by less than :data:`HELD`: :func:`unheld`) and that runs flatter than hanging
(:func:`falling`) turns towards straight down, a little away from the body (:data:`OUT`, the cut's
radial direction turned with the pelvis), keeping its length; once a column falls it hangs on below;
an edge whose cloth faces up (a front panel on a thigh) keeps its carried direction. Reaching the
ground, a third of the rest of the column lies on it, outward (:data:`SPREAD`). All of it only where the
knee under the cloth folds (:func:`folded`: crouching, knees up, cross-legged; kneeling or a
stride keep their tail as it was), or where one thigh is raised and the other hangs (:func:`raised`: a
lunge, kneeling on one knee; a closed or an open coat): the raised thigh carried its panel as a wide
flared half-pipe whose sides stood out level past the thigh, a flat disc seen from the front; now what
lies beside it seen from above (:func:`bare`) falls too, whatever way it faces, and hangs beside the
thigh as a curtain, what lies over it stays on it (level cloth beside the raised thigh over lunge and
one knee up x child, average, heavy, tall: 755 -> 266 cm^2, ``tests/test_coat_lunge.py``). So the sides hang from the thighs to the ground as a curtain and
the back lies on the ground behind the heels, and the grid stays one surface (every edge keeps its
length). A chair's seat (:mod:`~genb.render.dress.seat_cloth`) keeps its own rule.

Pure functions over numpy arrays (world frame, z up, metres).
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.coat_tail import seated
from genb.render.dress.settle import skinned
from genb.render.dress.vec import norm

HELD = 0.3  # the cloth's outward z: facing up this much or more the body under it holds it up
STEEP = 0.85  # cosine with straight down: a carried edge this steep or steeper hangs already
LEVEL = 0.45  # ... and this flat or flatter falls wholly where nothing holds it
SPREAD = 0.3  # of the length a column has past the ground, this much lies on it outward (the rest folds there; 0.5 before the back fell from the buttocks: 0.71 m off the skin, crouching)
FOLD = (105.0, 120.0)  # degrees a knee bends (0: straight): from FOLD[0] (none) to FOLD[1] (all) its thigh lets the cloth fall
RAISED = (60.0, 75.0)  # degrees a thigh rises from straight down: from RAISED[0] (none) to RAISED[1] (all) it lets the cloth fall, ...
BACK = (50.0, 35.0)  # ... while the other thigh hangs within BACK[0] (none) to BACK[1] (all) degrees of straight down (a lunge)
CLEAR = 0.0  # metres: seen from above, cloth farther than this out of a leg's widest radius is bare (nothing under it)
OUT = 0.35  # a falling edge's direction: straight down plus this much of the cloth's outward horizontal


def unheld(out: np.ndarray) -> np.ndarray:
    """(...,) how little the body holds each cloth point up, 0 to 1, from its outward unit direction
    ``out`` (..., 3): 0 where it faces up more than :data:`HELD` (on a thigh's top), 1 where it faces
    sideways or the ground (beside or under a flexed thigh: nothing under it)."""
    return np.clip((HELD - out[..., 2]) / HELD, 0.0, 1.0)


def falling(d: np.ndarray, fall: np.ndarray) -> np.ndarray:
    """(...,) how far a carried edge ``d`` (..., 3) is from hanging, 0 to 1: 0 where its cosine with
    the way cloth falls there, ``fall`` (..., 3, unit), is :data:`STEEP` or more (a standing coat's
    edges keep their own flare), 1 at :data:`LEVEL` or less (along a flexed thigh, level or rising, or
    tucked in under the buttocks)."""
    c = np.einsum("...k,...k->...", d, fall) / np.maximum(norm(d), 1e-12)
    return np.clip((STEEP - c) / (STEEP - LEVEL), 0.0, 1.0)


def raised(pc: dict) -> tuple[float, float]:
    """(left, right) how far each thigh is raised while the other hangs, 0 to 1: a thigh rising from
    straight down over :data:`RAISED` times the other's closeness to straight down over :data:`BACK`
    (posed centres ``pc``; seated on a chair, :func:`~genb.render.dress.coat_tail.seated`: 0). Over the
    key poses: a lunge 81 and 27 degrees, kneeling on one knee 86 and 12 (1); a stride 57 and 21, walking
    31 or less, a chair or legs out on the ground both thighs 81-89 (0)."""
    if seated(pc):
        return 0.0, 0.0
    rise = [_angle(pc[f"{s}_knee"] - pc[f"{s}_hip"], np.array([0.0, 0.0, -1.0])) for s in ("left", "right")]
    return _ramp(rise[0], RAISED) * _ramp(rise[1], BACK), _ramp(rise[1], RAISED) * _ramp(rise[0], BACK)


def folded(weights: np.ndarray, pc: dict, knees: bool = True, lunge: bool = True) -> np.ndarray:
    """(G,) how far the knee fold under each cloth point is closed, 0 to 1: each knee's bend (the
    angle between its thigh and its shin, posed centres ``pc`` of
    :func:`~genb.render.dress.hang.centres`) ramped over :data:`FOLD` (``knees``), or its thigh raised
    in a lunge (:func:`raised`, ``lunge``), the more of the two, shared by the cloth's skinning
    ``weights`` (G, 5) between its legs (cloth on the pelvis alone: half each). Crouching, knees up and
    cross-legged a knee bends 123-151 degrees; kneeling, a lunge, a stride or a chair 99 or less: there
    the knee alone lets nothing fall (a stride's flap dropped to the ground reads as a tent)."""
    up = raised(pc) if lunge else (0.0, 0.0)
    fold = []
    for k, side in enumerate(("left", "right")):
        t, s = pc[f"{side}_knee"] - pc[f"{side}_hip"], pc[f"{side}_ankle"] - pc[f"{side}_knee"]
        fold.append(max(_ramp(_angle(t, s), FOLD) if knees else 0.0, up[k]))
    left, right = weights[:, 1] + weights[:, 2], weights[:, 3] + weights[:, 4]
    share = np.where(left + right > 1e-9, left / np.maximum(left + right, 1e-9), 0.5)
    return share * fold[0] + (1.0 - share) * fold[1]


def bare(X: np.ndarray, legs: tuple) -> np.ndarray:
    """(rings, bins) 1 where no leg lies under a cloth point of the grid ``X`` (rings, bins, 3), 0 elsewhere:
    seen from above, the point lies farther than a leg capsule's widest radius plus :data:`CLEAR` from each
    capsule whose lowest point is below it (``legs``: (A, B, R) of :func:`~genb.render.dress.capsules.leg_capsules`).
    So cloth beside a raised thigh falls and cloth over it, however high, stays (falling it would go through it)."""
    A, B, R = (np.asarray(x, np.float64) for x in legs)
    r = R.max(axis=1) + CLEAR
    P = X.reshape(-1, 3)
    d = (B - A)[:, :2]
    dd = np.maximum(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1], 1e-12)
    w = P[:, None, :2] - A[None, :, :2]
    t = np.clip((w[..., 0] * d[:, 0] + w[..., 1] * d[:, 1]) / dd, 0.0, 1.0)
    e = w - t[..., None] * d
    under = np.minimum(A[:, 2], B[:, 2]) - r < P[:, 2:3]
    held = ((e[..., 0] * e[..., 0] + e[..., 1] * e[..., 1] <= r * r) & under).any(axis=1)
    return (~held).astype(np.float64).reshape(X.shape[:2])


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Degrees between vectors ``a`` and ``b`` (3,)."""
    c = float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def _ramp(x: float, span: tuple) -> float:
    """0 at ``span[0]``, 1 at ``span[1]``, linear between (either way round)."""
    return float(np.clip((x - span[0]) / (span[1] - span[0]), 0.0, 1.0))


def drape(X: np.ndarray, out: np.ndarray, away: np.ndarray, floor, fold: np.ndarray | float = 1.0,
          start: int = 1, loose: np.ndarray | None = None, spread: float = SPREAD) -> np.ndarray:
    """(rings, bins, 3) the skinned grid ``X`` (rings, bins, 3; ring 0 the top) with each column
    rebuilt from ring ``start`` down: each edge from ring r - 1 to r turned towards falling (straight
    down plus :data:`OUT` of the outward horizontal, its length kept) by :func:`unheld` of ring r's
    outward directions ``out`` (rings, bins, 3, unit); where a column reaches ``floor`` (metres, or
    (rings, bins)) :data:`SPREAD` of the rest of its length lies on the ground, outward. ``away``: (rings,
    bins, 3) the horizontal way each falls away from the body; ``fold``: (G,) or one, :func:`folded`;
    ``loose``: (rings, bins) or None, how far each point falls whatever way it faces (beside a raised thigh);
    ``spread``: the share that lies on the ground outward (:data:`SPREAD`).
    Columns with nothing falling are unchanged."""
    X = np.asarray(X, np.float64)
    rings, bins, _ = X.shape
    side = np.array(away, np.float64).reshape(rings, bins, 3)
    side[..., 2] = 0.0
    side /= np.maximum(norm(side, keepdims=True), 1e-9)
    fall = side * OUT
    fall[..., 2] = -1.0
    fall /= norm(fall, keepdims=True)
    free = unheld(out) if loose is None else np.maximum(unheld(out), loose)
    free = free * np.reshape(fold, (rings, bins)) if np.ndim(fold) else free * fold
    free[1:] *= falling(np.diff(X, axis=0), fall[1:])
    free[:start] = 0.0
    free = np.maximum.accumulate(free, axis=0)  # once off the body a column hangs on (a cross-legged knee held its hem up)
    if not free.any():
        return X
    lo = np.broadcast_to(np.asarray(floor, np.float64), (rings, bins))
    cols = np.flatnonzero(free.any(axis=0))  # the other columns stay as they are
    free, lo, side, fall = free[:, cols], lo[:, cols], side[:, cols], fall[:, cols]
    S = X[:, cols]
    Y = S.copy()
    for r in range(start, rings):
        d = S[r] - S[r - 1]
        n = norm(d, keepdims=True)
        f = free[r][:, None]
        e = (1.0 - f) * d + f * n * fall[r]
        ne = norm(e, keepdims=True)
        e = np.where(ne > 1e-6 * np.maximum(n, 1e-12), e, n * fall[r])  # a rising edge half-turned: straight down
        e *= n / np.maximum(norm(e, keepdims=True), 1e-12)  # the edge's length kept
        p = Y[r - 1] + e
        below = np.maximum(lo[r] - p[:, 2], 0.0)  # past the ground: that much more lies on it, outward
        p[:, 2] += below
        p[:, :2] += (spread * f[:, 0] * below)[:, None] * side[r, :, :2]
        Y[r] = p
    X = X.copy()
    X[:, cols] = Y
    return X


def fall_off(X: np.ndarray, rest: np.ndarray, radial: np.ndarray, weights: np.ndarray, frames: tuple, pc: dict,
             floor, knees: bool = True, legs: tuple | None = None) -> np.ndarray:
    """(rings, bins, 3) a closed coat's skinned tail ``X`` (rings, bins, 3) draped (:func:`drape`) off
    a chair (``floor`` one height; a per-vertex floor, (rings, bins): unchanged. ``hang_grid`` passes one
    height and the seat's push in the relaxation, a given seat's or a guessed one's
    (:func:`~genb.render.dress.coat_tail.seat_for`), lays what falls through it on its top; only a knee folded
    past 105 degrees falls): its rest
    grid ``rest`` and the cut's rest radial directions ``radial`` (rings, bins, 3), its skinning
    ``weights`` (G, 5), ``frames`` (rest, posed: :func:`~genb.render.dress.settle.skinned`'s), posed
    centres ``pc`` (:func:`~genb.render.dress.hang.centres`). ``knees``: False for an open coat's tail (only
    a lunge's raised thigh, :func:`raised`, lets its cloth fall; a folded knee keeps it as it was). ``legs``:
    (A, B, R) the leg capsules: where a thigh is raised, what lies beside it seen from above falls whatever
    way it faces (:func:`bare`; None: not)."""
    up = max(raised(pc))
    if np.ndim(floor) or not knees and up == 0.0:  # an open coat's tail off a lunge: as it was
        return X
    fr, fp = frames
    away = radial @ (fp[0][0] @ fr[0][0].T).T  # the rest radial directions turned with the pelvis
    loose = bare(X, legs) * folded(weights, pc, False).reshape(X.shape[:2]) if legs is not None and up > 0 else None
    spread = SPREAD if knees and folded(weights, pc, lunge=False).max() > 0 else 0.0  # off a lunge's thigh it piles where it lands (spread, 0.601 m off the skin kneeling on one knee, heavy)
    return drape(X, outward(rest, radial, weights, fr, fp), away, floor, folded(weights, pc, knees), loose=loose, spread=spread)


def outward(rest: np.ndarray, radial: np.ndarray, weights: np.ndarray, rest_frames: tuple, posed_frames: tuple) -> np.ndarray:
    """(rings, bins, 3) unit outward directions of a posed loose grid: its rest grid ``rest`` (rings,
    bins, 3) and the cut's rest radial directions ``radial`` (rings, bins, 3) carried by the
    skinning (``weights`` (G, 5), frames as :func:`~genb.render.dress.settle.skinned`'s)."""
    P = rest.reshape(-1, 3)
    d = skinned(P + 0.01 * radial.reshape(-1, 3), weights, rest_frames, posed_frames) - skinned(P, weights, rest_frames, posed_frames)
    d /= np.maximum(norm(d, keepdims=True), 1e-12)
    return d.reshape(rest.shape)
