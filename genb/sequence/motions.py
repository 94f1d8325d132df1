"""Sitting down and standing up (the motion ``sit`` of :func:`genb.sequence.gait.sample_motion`).

``standing`` blends into a seated key pose (``sitting``, ``sitting_relaxed``) with a smooth step
over 1.0-1.6 s starting at a random time in the first half of the sequence (standing up plays it
backwards). Both feet stay planted (:func:`genb.sequence.gait.plant_feet_locked`), so the pelvis
travels back and down; :func:`genb.sequence.plan.seat_recipes` puts a seat
(:func:`genb.render.scene.contact.seat_recipe`) under the buttocks of the deepest seated frame.

Pure functions over arrays; Euler degrees (T, 20, 3), frames at ``fps``.
"""

from __future__ import annotations

import numpy as np

from genb.render.bodies.poses import PoseLibrary

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
