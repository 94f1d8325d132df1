"""Hanging folds: the vertical drape folds of loose cloth, on a tight garment shell's loose parts.

Cloth with room to spare does not lie flat on the limb: it hangs in a few soft folds running
down, around the limb. Two places, each driven by the garment's looseness and the pose:

- **Loose trouser legs** below the knee: the room is the shell's ``extra`` offset there (a
  trouser's flare, metres); folds grow from the knee to the hem, ``LEG_FOLDS`` around the leg,
  a little wavy along it. A tight leg (leggings, skinny jeans: flare under ``LEG_SLACK``) has none.
- **Sleeves under a raised arm**: a sleeve with ease sags below an arm held out or up; folds on
  the sleeve's underside (its normal facing down), strongest near the armpit, growing with how
  far the upper arm is raised from hanging and with the ease. An arm hanging down has none.

Each gives a height field (metres, outwards only) and its slope around the limb; the caller
(:func:`~genb.render.dress.folds.fold`) moves the cloth out by the height and tilts the normals
by the slope (the shading and the normal control map show them). Pure functions over arrays,
the per-shell angles around the limbs cached on the shell's fold coordinates.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.dress.vec import cross, norm

LEG_FOLDS = 5  # folds around a trouser leg
ARM_FOLDS = 4  # folds around a sleeve (on its underside)
LEG_SLACK = 0.006  # metres of a trouser leg's extra offset that do not fold (a straight leg's room)
LEG_GAIN = 0.45  # fold height per metre of extra room beyond the slack
ARM_GAIN = 0.5  # fold height per metre of a sleeve's ease
MAX_HEIGHT = 0.012  # metres: the deepest hanging fold


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(norm(x, keepdims=True), 1e-9)


def _limb_angles(c: dict, shell, atlas, name: str, sgn: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shell vertices (ids) on one limb (``leg``: from the knee down; ``arm``: the whole
    sleeve) of side ``sgn``, their coordinate along it and their rest angle around it (radians,
    0 in front of a leg, under an arm). Cached in the shell's fold coordinates ``c``."""
    key = ("hang", name, sgn)
    got = c.get(key)
    if got is None:
        coord = c[name]
        ids = np.flatnonzero((c["side"] == sgn) & (coord >= (0.9 if name == "leg" else 0.0)) & (coord <= 2.0))
        kp = atlas.keypoints
        side = "left" if sgn > 0 else "right"
        joints = ("hip", "ankle") if name == "leg" else ("shoulder", "wrist")
        a, b = (np.asarray(kp[K25[f"{side}_{j}"]], np.float64) for j in joints)
        axis = _unit(b - a)
        ref = np.array([0.0, -1.0, 0.0]) if name == "leg" else np.array([0.0, 0.0, -1.0])  # front / down
        e1 = _unit(ref - axis * (ref @ axis))
        e2 = cross(axis, e1)
        r = shell.rest[ids].astype(np.float64) - a
        got = c[key] = (ids, coord[ids], np.arctan2(r @ e2, r @ e1))
    return got


def _raised(kp: np.ndarray, side: str) -> float:
    """0 (the upper arm hanging within ~35 degrees of straight down) .. 1 (held out or up)."""
    u = _unit(kp[K25[f"{side}_elbow"]] - kp[K25[f"{side}_shoulder"]])
    return float(np.clip((np.arccos(np.clip(-u[2], -1.0, 1.0)) - 0.6) / 0.9, 0.0, 1.0))


def may_hang(shell, kp: np.ndarray, ease: float) -> bool:
    """Whether :func:`hanging_folds` may find anything (cheap: skips most tight garments)."""
    if np.asarray(shell.extra).any():
        return True
    return ease > 0.003 and max(_raised(kp, "left"), _raised(kp, "right")) > 0.0


def _waves(angle: np.ndarray, along: np.ndarray, count: int, amp: np.ndarray, radius: float):
    """Height (N,) of ``count`` folds around a limb (a little wavy ``along`` it) and its slope per
    metre around the limb (N,)."""
    phase = count * angle + 0.9 * np.sin(2 * np.pi * along / 0.9)
    return amp * 0.5 * (1 + np.cos(phase)), -amp * 0.5 * np.sin(phase) * count / radius


def hanging_folds(c: dict, shell, atlas, P: np.ndarray, N: np.ndarray, kp: np.ndarray, ease: float):
    """Hanging folds of one posed shell.

    Args:
        c: the shell's fold coordinates (:func:`~genb.render.dress.folds._coords`).
        shell, atlas: the garment shell and the body's atlas.
        P, N: (G, 3) the posed shell's vertices and unit normals (float64, metres).
        kp: (25, 3) BODY25 keypoints, float64. ease: the garment's ease, metres.
    Returns:
        (G,) heights (metres, >= 0) and (G, 3) their slopes (per metre, across the normal), or
        None where no part of the shell hangs loose.
    """
    h = None
    slope = None
    extra = np.asarray(shell.extra, np.float64)
    for sgn, side in ((1.0, "left"), (-1.0, "right")):
        for name in ("leg", "arm"):
            if name == "leg":
                if not extra.any():
                    continue
                ids, along, angle = _limb_angles(c, shell, atlas, "leg", sgn)
                amp = np.minimum(LEG_GAIN * np.maximum(extra[ids] - LEG_SLACK, 0.0), MAX_HEIGHT)
                a, b, radius = kp[K25[f"{side}_knee"]], kp[K25[f"{side}_ankle"]], 0.06
            else:
                raised = _raised(kp, side)
                if raised <= 0.0 or ease <= 0.003:
                    continue
                ids, along, angle = _limb_angles(c, shell, atlas, "arm", sgn)
                down = np.clip(-N[ids, 2] - 0.2, 0.0, 0.8) / 0.8  # the sleeve's underside
                amp = min(ARM_GAIN * ease, MAX_HEIGHT) * raised * down * np.clip(1.3 - 0.5 * along, 0.2, 1.0)
                sh, el, wr = (kp[K25[f"{side}_{j}"]] for j in ("shoulder", "elbow", "wrist"))
                a, b, radius = np.where((along < 1.0)[:, None], sh, el), np.where((along < 1.0)[:, None], el, wr), 0.045
            if not len(ids) or not amp.any():
                continue
            hh, dh = _waves(angle, along, LEG_FOLDS if name == "leg" else ARM_FOLDS, amp, radius)
            around = _unit(cross(_unit(b - a), N[ids]))
            if h is None:
                h, slope = np.zeros(len(P)), np.zeros_like(P)
            h[ids] += hh
            slope[ids] += dh[:, None] * around
    return None if h is None else (h, slope)
