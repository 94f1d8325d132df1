"""Sitting down and standing up, and running (the motions ``sit`` and ``run`` of
:func:`genb.sequence.gait.sample_motion`).

**Running** (:func:`run_euler`, :func:`plant_run`): each leg follows hip, knee and ankle curves
over its cycle (contact at phase 0, :data:`RUN_STANCE` of the cycle on the ground, the right leg
half a cycle later), the torso and pumping arms come from the ``run_stride`` key pose, at 1.3-1.6
cycles per second. The foot on the ground keeps its lowest vertex where it was (the root's path
follows from it, as in a walk); between the steps the body flies on a ballistic arc (gravity)
at the speed it left the ground with. The forward speed varies within a step (about 1.2 to 3.8
m/s around a mean of 2-2.7 m/s: faster in mid-stance than at toe-off), more than a runner's.

**Sitting**:
``standing`` blends into a seated key pose (``sitting``, ``sitting_relaxed``) with a smooth step
over 1.0-1.6 s starting at a random time in the first half of the sequence (standing up plays it
backwards). Both feet stay planted (:func:`genb.sequence.gait.plant_feet_locked`), so the pelvis
travels back and down; :func:`genb.sequence.plan.seat_recipes` puts a seat
(:func:`genb.render.scene.contact.seat_recipe`) under the buttocks of the deepest seated frame.

Pure functions over arrays; Euler degrees (T, 20, 3), frames at ``fps``.
"""

from __future__ import annotations

import numpy as np

from genb.render.bodies.poses import PoseLibrary, mirror_euler

SEATED_POSES = ("sitting", "sitting_relaxed")
MIN_SIT_S = 1.2
"""Shortest sequence (seconds) with a ``sit`` motion: the whole move (at least 1 s) fits in it."""


def sit_euler(library: PoseLibrary, frames: int, fps: float, rng: np.random.Generator,
              down: bool) -> tuple[np.ndarray, str]:
    """(T, 20, 3) Euler degrees of sitting down (``down``) or standing up, and the seated pose's name.

    The blend ``w`` runs 0 -> 1 (standing -> seated) with a smooth step over 1.0-1.6 s (at most the
    sequence less 0.1 s) starting in its first half, so the move ends seated within the sequence;
    standing up plays it backwards.
    """
    seated = SEATED_POSES[int(rng.integers(len(SEATED_POSES)))]
    stand, sit = library.key_pose("standing"), library.key_pose(seated)
    duration = float(rng.uniform(1.0, max(1.0, min(1.6, frames / fps - 0.1))))
    span = frames / fps
    start = float(rng.uniform(0.0, max(0.0, min(span - duration, span / 2))))
    s = np.clip((np.arange(frames) / fps - start) / duration, 0.0, 1.0)
    w = s * s * (3.0 - 2.0 * s)
    if not down:
        w = w[::-1]
    return library.clip(stand[None] + (sit - stand)[None] * w[:, None, None]), seated


# ----------------------------------------------------------------------------- running

RUN_STANCE = 0.35
"""Fraction of a leg's cycle with its foot on the ground (contact at phase 0); the rest is swing,
and the two legs half a cycle apart leave (0.5 - RUN_STANCE) of each step in the air."""
GRAVITY = 9.81


def _curve(phase: np.ndarray, knots: list[tuple[float, float]]) -> np.ndarray:
    """Periodic cubic Hermite curve through (phase, value) knots (tangents from the neighbours, so
    the joints do not stop at every knot)."""
    n = len(knots)
    xs = np.array([k[0] for k in knots])
    ys = np.array([k[1] for k in knots])
    xp = np.concatenate([xs[-1:] - 1.0, xs, xs[:1] + 1.0, xs[1:2] + 1.0])  # wrapped
    yp = np.concatenate([ys[-1:], ys, ys[:1], ys[1:2]])
    m = (yp[2:] - yp[:-2]) / (xp[2:] - xp[:-2])  # (n + 2,) tangents at xp[1:-1]
    ph = np.mod(phase, 1.0)
    i = np.clip(np.searchsorted(xs, ph, side="right") - 1, -1, n - 1)  # segment start (-1: the wrapped one)
    x0, x1, y0, y1 = xp[i + 1], xp[i + 2], yp[i + 1], yp[i + 2]
    ph = np.where(ph < x0, ph + 1.0, ph)
    h = x1 - x0
    u = (ph - x0) / h
    m0, m1 = m[i] * h, m[i + 1] * h
    return ((2 * u**3 - 3 * u**2 + 1) * y0 + (u**3 - 2 * u**2 + u) * m0 + (-2 * u**3 + 3 * u**2) * y1
            + (u**3 - u**2) * m1)


HIP = [(0.0, -24.0), (0.12, -12.0), (0.24, 0.0), (RUN_STANCE, 11.0), (0.45, 14.0), (0.6, -5.0), (0.8, -36.0),
       (0.93, -30.0)]
"""Hip angle (degrees, +x swings the leg back) over a leg's cycle, contact at 0: the stance sweeps
the foot back under the body, the swing drives the knee forward."""
KNEE = [(0.0, 20.0), (0.15, 32.0), (RUN_STANCE, 20.0), (0.62, 105.0), (0.9, 25.0)]
"""Knee flexion (degrees): loading in mid-stance, folded high in mid-swing."""
ANKLE = [(0.0, 0.0), (0.18, -12.0), (RUN_STANCE, 22.0), (0.55, 5.0), (0.9, 0.0)]
"""Ankle (degrees, +x points the toes down): push-off at toe-off."""


def run_euler(library: PoseLibrary, frames: int, fps: float, cadence_hz: float, phase0: float) -> np.ndarray:
    """(T, 20, 3) Euler degrees of a run: the ``run_stride`` pose's torso and pumping arms (swinging
    to their mirror and back each cycle), legs from :data:`HIP`, :data:`KNEE`, :data:`ANKLE`, the
    right leg half a cycle after the left. ``phase0 + cadence_hz * t``: the left leg's phase."""
    from genb.core.conventions import SEMANTIC_INDEX as J

    phase = phase0 + cadence_hz * np.arange(frames) / fps
    stride = library.key_pose("run_stride")
    mirrored = mirror_euler(stride[None])[0]
    w = (0.5 + 0.5 * np.cos(2 * np.pi * phase))[:, None, None]  # 1: left leg planted (right arm forward)
    out = w * mirrored[None] + (1 - w) * stride[None]
    for side, shift in (("left", 0.0), ("right", 0.5)):
        p = phase + shift
        for joint, knots in (("hip", HIP), ("knee", KNEE), ("ankle", ANKLE)):
            out[:, J[f"{side}_{joint}"], :] = 0.0
            out[:, J[f"{side}_{joint}"], 0] = _curve(p, knots)
    return library.clip(out)


def run_stance(frames: int, fps: float, cadence_hz: float, phase0: float) -> np.ndarray:
    """(T,) the foot on the ground per frame: 0 left, 1 right, -1 in the air."""
    phase = np.mod(phase0 + cadence_hz * np.arange(frames) / fps, 1.0)
    out = np.full(frames, -1)
    out[phase < RUN_STANCE] = 0
    out[(phase >= 0.5) & (phase < 0.5 + RUN_STANCE)] = 1
    return out


def ballistic_heights(grounded: np.ndarray, airborne: np.ndarray, fps: float) -> np.ndarray:
    """(T,) root heights: ``grounded`` (the lowest vertex on the ground) outside ``airborne`` frames;
    through each flight a parabola under gravity between the grounded heights around it (apex
    ``g D^2 / 8`` above the chord for a flight of D seconds), never below ``grounded``."""
    out = np.asarray(grounded, np.float64).copy()
    T, t = len(out), 0
    flights = []
    while t < T:
        if not airborne[t]:
            t += 1
            continue
        a = t
        while t < T and airborne[t]:
            t += 1
        flights.append((a, t))
    whole = [b - a for a, b in flights if a > 0 and b < T]
    typical = max(whole) if whole else max((b - a for a, b in flights), default=0)
    for a, t in flights:
        lo, hi = a - 1, t
        if lo < 0 and hi < T:  # the sequence starts in the air: as far into a typical flight
            lo = min(lo, hi - typical - 1)
        if hi >= T and lo >= 0:  # it ends in the air
            hi = max(hi, lo + typical + 1)
        z0 = grounded[lo] if lo >= 0 else grounded[min(hi, T - 1)]
        z1 = grounded[hi] if hi < T else z0
        s = (np.arange(a, t) - lo) / (hi - lo)
        D = (hi - lo) / fps
        arc = z0 + (z1 - z0) * s + 4.0 * (GRAVITY * D * D / 8.0) * s * (1.0 - s)
        out[a:t] = np.maximum(arc, grounded[a:t])
    return out


def plant_run(vertices: np.ndarray, yaw_deg: np.ndarray, feet: tuple[np.ndarray, np.ndarray],
              stance: np.ndarray, fps: float, contact_m: float = 0.01) -> np.ndarray:
    """(T, 3) root translations of a run (as :func:`genb.sequence.gait.plant_feet`, with the foot on
    the ground given by ``stance`` (T,) 0/1/-1): on the ground the lowest vertex of that foot stays
    where it was on the frame before; in the air the root follows :func:`ballistic_heights` and,
    once the lowest vertex is more than ``contact_m`` up, keeps the horizontal speed it left with
    (until then the lower foot still holds it: a toe leaving the ground does not slide).

    Args:
        vertices: (T, V, 3) posed bodies, zero yaw, root at the origin. yaw_deg: (T,).
    """
    from genb.render.bodies.rotations import rot_z

    R = rot_z(yaw_deg)
    grounded = -vertices[:, :, 2].min(axis=1)
    T = np.zeros((len(vertices), 3))
    T[:, 2] = ballistic_heights(grounded, stance < 0, fps)
    velocity = np.zeros(2)
    low = np.argmin(np.stack([vertices[:, f, 2].min(axis=1) for f in feet], axis=1), axis=1)
    for t in range(1, len(vertices)):
        on = stance[t] if stance[t] >= 0 else (low[t] if T[t, 2] - grounded[t] <= contact_m else -1)
        if on < 0:
            T[t, :2] = T[t - 1, :2] + velocity
            continue
        foot = feet[on]
        a = foot[int(np.argmin(vertices[t, foot, 2]))]
        T[t, :2] = (R[t - 1] @ vertices[t - 1, a] + T[t - 1] - R[t] @ vertices[t, a])[:2]
        velocity = T[t, :2] - T[t - 1, :2]
    grounded_at = np.flatnonzero(stance >= 0)
    if len(grounded_at) and grounded_at[0] > 0 and grounded_at[0] + 1 < len(T):  # in the air from the start:
        f = grounded_at[0]  # it flew in at the speed of its first step
        v = T[f + 1, :2] - T[f, :2]
        T[:f, :2] = T[f, :2] - (f - np.arange(f))[:, None] * v
        T[:, :2] -= T[0, :2]
    return T
