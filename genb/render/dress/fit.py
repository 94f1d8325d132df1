"""How far clothes stand off a body of its size: a child's garments scaled down with the child.

A garment's thickness and ease (:func:`~genb.render.dress.kinds.stacked`: its own, raised over the layers under
it) are metres drawn for an adult: a coat 3.5-5 cm of ease over a top's and trousers' 2-3 cm. On a child of 1 m
the same metres are twice as much of the body: a coat stood 8.3 cm off a 6-year-old's trunk (its neck to hip
32 cm) as off an adult's (53 cm), puffed out like a duvet, and its shoulders rose in humps beside the neck
(closeup 390 sample 7, 397 sample 0). :func:`size_scale` is the share of those metres a body of its size keeps:
its limbs' length (thigh, shin, upper arm and forearm, the mean of the two sides: bones, so the same in every
pose within 3 %) over :data:`ADULT`, a median adult's, up to :data:`CHILD`; from there rising straight to 1 at
:data:`GROWN`, the smallest adults' (every adult and senior the renderer draws keeps its garments to the bit);
at least :data:`LOWEST`. The dresser multiplies every garment's stacked
thickness and ease by it (their order is kept: each layer still lies outside the one under it); the cached
shells are cut as for the garment's own (adult) ease, since their drape is computed on the atlas's adult body,
and that drape's lift off the skin (its smoothed surface: the tent over the bust, up to 4 cm, the bridges over the
hollows, a hood's bulk, a flare) is the atlas's metres too: a garment's is scaled alike when it is posed
(:func:`fitted`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25

ADULT = 1.29  # metres: limbs (:func:`limb_length`) of the median adult drawn (anny, 1200 drawn: adults 0.99-1.63, median
# 1.30; seniors 1.05-1.50; teens 0.75-1.38; children 0.47-1.07, median 0.80) ...
CHILD = 0.86  # ... a body with limbs up to this long keeps their share of its size (6 years 0.72: 0.56)
GROWN = 0.96  # metres: under the smallest adults' limbs (a 1.36 m woman's 0.985); from here on all (1)
LOWEST = 0.4  # the least share kept (a toddler's limbs 0.47 m: 0.40)
CLEARANCE = 0.004  # metres: a drape's lift off the skin kept on any body (drape.drape_shell's clearance)
SEGMENTS = np.array([[K25[f"{side}_{a}"], K25[f"{side}_{b}"]] for side in ("left", "right")
                     for a, b in (("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist"))])


def limb_length(keypoints: np.ndarray) -> float:
    """Metres: thigh + shin + upper arm + forearm, the mean of the two sides, from ``keypoints`` (25, 3) BODY25
    (a 6-year-old 0.72, the key bodies' child 0.83, average 1.40, tall 1.81; within 3 % over the key poses)."""
    kp = np.asarray(keypoints, np.float64)
    d = kp[SEGMENTS[:, 0]] - kp[SEGMENTS[:, 1]]
    return 0.5 * float(np.sqrt((d * d).sum(axis=1)).sum())


def size_scale(keypoints: np.ndarray) -> float:
    """The share of a garment's thickness and ease (metres drawn for an adult) a body of this size keeps:
    :func:`limb_length` over :data:`ADULT` up to :data:`CHILD`, then straight up to 1 at :data:`GROWN`; at least
    :data:`LOWEST` (1 exactly for every adult, and where the keypoints are not finite)."""
    s = limb_length(keypoints)
    if not np.isfinite(s) or s >= GROWN:
        return 1.0
    if s <= CHILD:
        return max(s / ADULT, LOWEST)
    low = CHILD / ADULT
    return low + (1.0 - low) * (s - CHILD) / (GROWN - CHILD)


def fitted(shell, fit: float):
    """``shell`` (a :class:`~genb.render.dress.shells.Shell`) as posed on a body of size share ``fit``
    (:func:`size_scale`): its drape's displacement off its anchors (its part out along the anchor's normal beyond
    :data:`CLEARANCE`: that much stays) and its ``extra`` offset (metres on the atlas's adult body) times ``fit``;
    the shell itself where ``fit`` is 1. (All of it scaled, a child's t-shirt lay 1.7 mm off its shoulders' skin.)"""
    if fit == 1.0:
        return shell
    drape = shell.drape
    if drape is not None:
        disp = drape.disp * np.float32(fit)
        out = drape.disp[:, 2]
        keep = np.minimum(out, np.float32(CLEARANCE))  # the clearance off the skin kept, the lift over it scaled
        disp[:, 2] = keep + np.float32(fit) * (out - keep)
        drape = dataclasses.replace(drape, disp=disp.astype(drape.disp.dtype))
    return dataclasses.replace(shell, extra=shell.extra * fit, drape=drape)


__all__ = ["ADULT", "CHILD", "CLEARANCE", "GROWN", "LOWEST", "fitted", "limb_length", "size_scale"]
