"""Procedural motion for any body model, with no licensed files: walks, turns, waving, standing.

Poses come from the pose library's key poses (``render/poses/key_poses.yaml``): a walk is the
cycle of the four ``walk_*`` phases and their left/right mirrors, interpolated with a periodic
Catmull-Rom spline; waving swings the right arm of the ``waving`` pose; standing sways a little.
The root's path is not drawn but follows from the legs: :func:`plant_feet` moves each frame's
body so that the lowest point of the foot carrying the weight stays where it was on the frame
before (no foot sliding), and lifts the lowest vertex onto the ground.

Pure functions over arrays; angles in degrees, positions in metres, frames at ``fps``.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import SEMANTIC_INDEX
from genb.render.bodies.poses import PoseLibrary, mirror_euler

WALK_PHASES = ("walk_heel_strike", "walk_loading", "walk_passing", "walk_toe_off")
MOTIONS = ("walk", "turn", "wave", "stand")


def walk_keys(library: PoseLibrary) -> np.ndarray:
    """(8, 20, 3) Euler degrees: the left-leg half cycle, then its mirror (the right-leg half)."""
    left = np.stack([library.key_pose(n) for n in WALK_PHASES])
    return np.concatenate([left, mirror_euler(left)])


def cyclic_spline(keys: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Periodic Catmull-Rom interpolation of evenly spaced keys.

    Args:
        keys: (K, ...) values at phases 0, 1/K, ..., (K-1)/K.
        phase: (T,) phases (any real; taken modulo 1).
    Returns:
        (T, ...) interpolated values.
    """
    K = len(keys)
    s = np.mod(phase, 1.0) * K
    i = np.floor(s).astype(int)
    u = (s - i).reshape(-1, *([1] * (keys.ndim - 1)))
    p0, p1, p2, p3 = (keys[(i + d) % K] for d in (-1, 0, 1, 2))
    return 0.5 * ((2 * p1) + (-p0 + p2) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * u**3)


def walk_euler(library: PoseLibrary, frames: int, fps: float, cadence_hz: float, phase0: float) -> np.ndarray:
    """(T, 20, 3) Euler degrees of a walk: ``cadence_hz`` full cycles (two steps) per second."""
    t = np.arange(frames) / fps
    return library.clip(cyclic_spline(walk_keys(library), phase0 + cadence_hz * t))


def wave_euler(library: PoseLibrary, frames: int, fps: float, rate_hz: float, phase0: float) -> np.ndarray:
    """(T, 20, 3) Euler degrees: the ``waving`` pose, the right forearm swinging side to side."""
    base = library.key_pose("waving")
    t = np.arange(frames) / fps
    out = np.repeat(base[None], frames, axis=0)
    swing = np.sin(2 * np.pi * (phase0 + rate_hz * t))
    out[:, SEMANTIC_INDEX["right_elbow"], 1] += 25.0 * swing
    out[:, SEMANTIC_INDEX["right_shoulder"], 0] += 6.0 * swing
    out[:, SEMANTIC_INDEX["head"], 1] += 4.0 * np.sin(2 * np.pi * (phase0 + 0.3 * t))
    return library.clip(out)


def stand_euler(library: PoseLibrary, frames: int, fps: float, phase0: float) -> np.ndarray:
    """(T, 20, 3) Euler degrees: the ``standing`` pose with a slow sway of the spine and head."""
    base = library.key_pose("standing")
    t = np.arange(frames) / fps
    out = np.repeat(base[None], frames, axis=0)
    sway = np.sin(2 * np.pi * (phase0 + 0.25 * t))
    out[:, SEMANTIC_INDEX["spine_lower"], 2] += 2.0 * sway
    out[:, SEMANTIC_INDEX["head"], 1] += 8.0 * np.sin(2 * np.pi * (phase0 + 0.15 * t))
    return library.clip(out)


def sample_motion(rng: np.random.Generator, library: PoseLibrary, frames: int, fps: float,
                  weights: dict[str, float]) -> tuple[str, np.ndarray, np.ndarray]:
    """One person's motion: (kind, (T, 20, 3) Euler degrees, (T,) yaw in degrees relative to frame 0).

    ``walk`` goes straight, ``turn`` walks along an arc (20-50 degrees per second, either way),
    ``wave`` and ``stand`` stay in place. ``weights``: relative frequency of each kind.
    """
    kinds = [k for k in MOTIONS if weights.get(k, 0) > 0]
    p = np.array([weights[k] for k in kinds], float)
    kind = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
    phase0 = float(rng.uniform())
    yaw = np.zeros(frames)
    if kind in ("walk", "turn"):
        euler = walk_euler(library, frames, fps, float(rng.uniform(0.8, 1.0)), phase0)
        if kind == "turn":
            yaw = np.arange(frames) / fps * float(rng.uniform(20, 50)) * rng.choice([-1.0, 1.0])
    elif kind == "wave":
        euler = wave_euler(library, frames, fps, float(rng.uniform(1.2, 2.0)), phase0)
    else:
        euler = stand_euler(library, frames, fps, phase0)
    return kind, euler, yaw


def rot_z(deg: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations about world Z by ``deg`` degrees."""
    a = np.radians(np.asarray(deg, np.float64))
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    R[..., 0, 0], R[..., 0, 1], R[..., 1, 0], R[..., 1, 1], R[..., 2, 2] = c, -s, s, c, 1.0
    return R


def plant_feet(vertices: np.ndarray, yaw_deg: np.ndarray, feet: tuple[np.ndarray, np.ndarray],
               contact_m: float = 0.01) -> np.ndarray:
    """Per-frame root translations that keep the weight-bearing foot still on the ground.

    Frame t's body is ``R_z(yaw_t) x + T_t``. The foot that carries the weight keeps it while
    it stays in contact (its lowest vertex at most ``contact_m`` above the body's lowest), then
    the lower foot takes over. That foot's lowest vertex is put back where it was on frame t-1
    (horizontally), and the body's lowest vertex is lifted onto the ground (z = 0).

    Args:
        vertices: (T, V, 3) the posed body of every frame, zero yaw, root at the origin, metres.
        yaw_deg: (T,) heading of every frame, degrees.
        feet: vertex indices of the left and of the right foot.
    Returns:
        (T, 3) translations, metres (frame 0 at x = y = 0).
    """
    R = rot_z(yaw_deg)
    T = np.zeros((len(vertices), 3))
    T[:, 2] = -vertices[:, :, 2].min(axis=1)
    lows = np.stack([vertices[:, f, 2].min(axis=1) for f in feet], axis=1) + T[:, 2:3]  # (T, 2) above ground
    stance = int(np.argmin(lows[0]))
    for t in range(1, len(vertices)):
        if lows[t, stance] > contact_m:  # the weight moves to the other foot
            stance = int(np.argmin(lows[t]))
        foot = feet[stance]
        a = foot[int(np.argmin(vertices[t, foot, 2]))]
        before = R[t - 1] @ vertices[t - 1, a] + T[t - 1]
        now = R[t] @ vertices[t, a]
        T[t, :2] = before[:2] - now[:2]
    return T


def foot_slide(vertices: np.ndarray, feet: np.ndarray, contact_m: float = 0.01) -> np.ndarray:
    """(T-1,) the largest horizontal move (metres) of a foot vertex in contact on both frames.

    Args:
        vertices: (T, V, 3) world-frame vertices of one person, ground at z = 0.
        feet: indices of the foot vertices (both feet).
        contact_m: a vertex is in contact when it is at most this high above the ground.
    """
    v = vertices[:, feet]
    contact = v[:, :, 2] <= contact_m
    both = contact[:-1] & contact[1:]
    move = np.linalg.norm(v[1:, :, :2] - v[:-1, :, :2], axis=-1)
    return np.where(both, move, 0.0).max(axis=1)


LEG_JOINTS = (("left_hip", "left_knee"), ("right_hip", "right_knee"))


def plant_feet_locked(pose_fn, euler: np.ndarray, yaw_deg: np.ndarray, feet: tuple[np.ndarray, np.ndarray],
                      contact_m: float = 0.01, decay: float = 0.5, iterations: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """:func:`plant_feet` that also keeps the *other* foot still while it is on the ground too.

    In double support (the second foot within ``contact_m`` of the ground on two frames running)
    that leg's hip and knee flexion are corrected by a small least-squares IK (Gauss-Newton over
    finite differences of ``pose_fn``) so that its contact vertex stays where it was; once the
    foot carries the weight the correction fades (times ``decay`` per frame) while that foot is
    planted, so the body eases back onto the walk's key poses without a jump.

    Args:
        pose_fn: (N, 20, 3) Euler degrees -> (N, V, 3) posed vertices (zero yaw, root at the origin).
        euler: (T, 20, 3) the motion. yaw_deg: (T,). feet: vertex indices of the left and right foot.
    Returns:
        (T, 3) root translations and the corrected (T, 20, 3) Euler degrees.
    """
    from genb.core.conventions import SEMANTIC_INDEX

    euler = np.array(euler, np.float64)
    V = np.asarray(pose_fn(euler), np.float64)
    R = rot_z(yaw_deg)
    T = np.zeros((len(V), 3))
    T[0, 2] = -V[0, :, 2].min()
    legs = [(SEMANTIC_INDEX[h], SEMANTIC_INDEX[k]) for h, k in LEG_JOINTS]
    corr = np.zeros((2, 2))  # per leg: (hip, knee) flexion offsets, degrees
    height = lambda v, f, t: v[f, 2].min() + t[2]  # noqa: E731 - lowest vertex of foot f above the ground
    stance = int(np.argmin([height(V[0], f, T[0]) for f in feet]))

    def world(v, t, tr):
        return v @ R[t].T + tr

    def with_corr(e, c):
        e = e.copy()
        for leg, (h, k) in enumerate(legs):
            e[h, 0] += c[leg, 0]
            e[k, 0] += c[leg, 1]
        return e

    for t in range(1, len(V)):
        if np.abs(corr).max() > 0.2:  # a correction still fading (degrees): this frame with it
            euler[t] = with_corr(euler[t], corr)
            V[t] = np.asarray(pose_fn(euler[t][None]), np.float64)[0]
        lift = -V[t, :, 2].min()
        if V[t, feet[stance], 2].min() + lift > contact_m:
            stance = int(np.argmin([V[t, f, 2].min() + lift for f in feet]))
        foot = feet[stance]
        a = foot[int(np.argmin(V[t, foot, 2]))]
        T[t, :2] = (world(V[t - 1, a], t - 1, T[t - 1]) - world(V[t, a], t, np.zeros(3)))[:2]
        T[t, 2] = lift
        other = 1 - stance
        o = feet[other]
        if height(V[t - 1], o, T[t - 1]) <= contact_m and height(V[t], o, T[t]) <= contact_m:
            b = o[int(np.argmin(V[t - 1, o, 2]))]
            target = world(V[t - 1, b], t - 1, T[t - 1])
            base, v_base = euler[t].copy(), V[t]
            delta = np.zeros(2)
            for it in range(iterations):
                trial = np.stack([with_corr(base, _leg(other, delta + d)) for d in ((1, 0), (0, 1))])
                vs = np.asarray(pose_fn(trial), np.float64)
                p0 = world(v_base[b], t, T[t])
                J = np.stack([world(v[b], t, T[t]) - p0 for v in vs], axis=1)  # (3, 2) per degree
                delta = delta - np.linalg.solve(J.T @ J + 1e-6 * np.eye(2), J.T @ (p0 - target))
                if it + 1 < iterations:
                    v_base = np.asarray(pose_fn(with_corr(base, _leg(other, delta))[None]), np.float64)[0]
            euler[t] = with_corr(base, _leg(other, delta))
            V[t] = np.asarray(pose_fn(euler[t][None]), np.float64)[0]
            T[t, 2] = -V[t, :, 2].min()
            corr = corr + _leg(other, delta)
        corr = corr * decay if not _in_lock(V, T, t, feet, other, contact_m) else corr
    return T, euler


def _leg(leg: int, delta) -> np.ndarray:
    out = np.zeros((2, 2))
    out[leg] = delta
    return out


def _in_lock(V, T, t, feet, other, contact_m) -> bool:
    return bool(V[t, feet[other], 2].min() + T[t, 2] <= contact_m)
