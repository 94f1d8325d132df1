"""The cloth over a deeply flexed hip keeps to the front: the thighs' lift of a skirt's front with
a bounded turn.

In front, the thighs carry a loose garment's cloth from :data:`~genb.render.dress.hang.FRONT_LIFT`
above the hips (a flexed hip lifts the cloth over the groin with the thigh instead of leaving it
in the crease). That cloth lies above the hip joint, and a thigh turns it about that joint: bent
further than a right angle (crouching, a child's seat: the waist is only a few centimetres above
a child's hip joints) the thigh carries it over the top of the hip to the back, where the front
columns lay over the back of the waist as a strip over a slit. :func:`lifted_skin` carries the
lifted share of each point with the thigh's turn relative to the pelvis bounded to
:data:`MAX_TURN` (its share below the lift, and every other point, as before), and the lift
fades in over :data:`WAIST_KEEP` below the waist ring, which the pelvis alone carries
(:func:`skin_lifted`). Pure functions over numpy arrays (metres, world frame).
"""

from __future__ import annotations

import numpy as np

MAX_TURN = np.radians(60.0)  # the thighs turn the lifted cloth at most this far from the pelvis
WAIST_KEEP = 0.05  # metres: the lift fades in over this much below the waist ring (the waistband stays the pelvis's)


def _axis_angle(R: np.ndarray) -> tuple[np.ndarray, float]:
    """Unit axis (3,) and angle (radians) of a rotation matrix ``R`` (3, 3)."""
    w = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    s = np.linalg.norm(w)
    angle = float(np.arctan2(0.5 * s, 0.5 * (np.trace(R) - 1.0)))
    return (w / s if s > 1e-12 else np.array([1.0, 0.0, 0.0])), angle


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """(3, 3) Rodrigues rotation by ``angle`` about the unit ``axis``."""
    K = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle) * K + (1.0 - np.cos(angle)) * (K @ K)


def bounded_thighs(rest_frames: tuple, posed_frames: tuple, max_turn: float = MAX_TURN) -> np.ndarray:
    """(5, 3, 3) each segment's rest-to-posed rotation (``posed @ rest.T``), the thighs' (segments 1
    and 3) turn relative to the pelvis (segment 0) bounded to ``max_turn`` radians about the same axis."""
    Fr, _ = rest_frames
    Fp, _ = posed_frames
    M = np.einsum("sij,skj->sik", Fp, Fr)
    for s in (1, 3):
        axis, angle = _axis_angle(M[0].T @ M[s])
        if angle > max_turn:
            M[s] = M[0] @ _rotation(axis, max_turn)
    return M


def lifted_skin(rest: np.ndarray, lifted: np.ndarray, base: np.ndarray, rest_frames: tuple, posed_frames: tuple,
                max_turn: float = MAX_TURN) -> np.ndarray:
    """(G, 3) skinned rest points with their lifted share carried by bounded thighs.

    Args:
        rest: (G, 3) rest points. lifted: (G, 5) the weights the front lift moved from the pelvis to
            the legs (the weights with the lift minus those without, :func:`~genb.render.dress.hang.skin_weights`:
            negative on the pelvis, positive on the thighs and shins). base: (G, 3) the points
            skinned with the weights with the lift (:func:`~genb.render.dress.hang.skinned`).
        rest_frames, posed_frames: ``(frames, origins)`` of the five segments, rest and posed.
    Returns:
        ``base`` with the legs' share of ``lifted`` carried by :func:`bounded_thighs` (the thighs'
        turn bounded; a shin's share by its thigh's bounded turn) instead of the full turn.
    """
    live = np.flatnonzero((lifted[:, 1:] > 0).any(axis=1))
    if not len(live):
        return base
    Fr, Or = rest_frames
    Fp, Op = posed_frames
    M = np.einsum("sij,skj->sik", Fp, Fr)
    B = bounded_thighs(rest_frames, posed_frames, max_turn)
    out = base.copy()
    p = rest[live]
    for s in (1, 2, 3, 4):
        w = np.maximum(lifted[live, s], 0.0)
        if not (w > 0).any():
            continue
        thigh = 1 if s < 3 else 3
        full = (p - Or[s]) @ M[s].T + Op[s]
        bounded = (p - Or[thigh]) @ B[thigh].T + Op[thigh]
        out[live] += w[:, None] * (bounded - full)
    return out


def skin_lifted(rest: np.ndarray, rc: dict, rest_frames: tuple, posed_frames: tuple) -> np.ndarray:
    """(G, 3) a skirt's rest points (G, 3) skinned (:func:`~genb.render.dress.hang.skinned`) with the
    front's lift faded in below the waist ring (the top of ``rest``) over :data:`WAIST_KEEP` and
    carried by bounded thighs (:func:`lifted_skin`); ``rc``: the person's rest centres."""
    from genb.render.dress.hang import skin_weights, skinned

    W0 = skin_weights(rest, rc, 0.0)
    fade = np.clip((rest[:, 2].max() - rest[:, 2]) / WAIST_KEEP, 0.0, 1.0)[:, None]
    lifted = (skin_weights(rest, rc) - W0) * fade
    return lifted_skin(rest, lifted, skinned(rest, W0 + lifted, rest_frames, posed_frames), rest_frames, posed_frames)
