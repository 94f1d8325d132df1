"""The hairline's shape: where a hair shell's cut runs over the forehead, the temples and the nape.

A real hairline is no straight cut across the forehead: it dips to a small widow's peak in the
middle, recedes at the temples (more for short, masculine cuts), comes down in front of the ears
as sideburns (short cuts) and is ragged (the nape too) at the scale of a few millimetres to a
couple of centimetres; a fringe hangs in clumps of their own lengths. :func:`hairline_height` gives
the height of the cut (head frame, metres above the ears' midpoint) at every body vertex: the
style's profile from the back to the front of the head (:data:`PROFILES`, as a function of how far
forward the vertex is) plus those features, which only shape the front half. Pure and deterministic (fixed phases per hairline): computed once per
cached shell (:meth:`genb.render.dress.dresser.Dresser.hair_shell`).

Head frame: x to the person's left, y forward, z up, origin at the ears' midpoint, metres.
"""

from __future__ import annotations

import numpy as np

from genb.render.raster.procedural import hash2

# Height (metres above the ears' midpoint) where the hair starts, as a function of how far forward
# on the head (metres; negative = back of the head).
FORWARD = [-0.12, -0.05, -0.025, 0.02, 0.05, 0.075, 0.13]
PROFILES = {
    "short": [-0.06, -0.05, 0.03, 0.04, 0.065, 0.09, 0.092],
    "medium": [-0.10, -0.09, -0.03, 0.0, 0.055, 0.085, 0.09],
    "long": [-0.10, -0.09, -0.03, 0.0, 0.055, 0.085, 0.09],
}
# per hairline: (widow's peak depth m, temple recession m, sideburn drop m, ragged amplitude m)
FEATURES = {
    "short": (0.008, 0.014, 0.035, 0.004),
    "medium": (0.007, 0.008, 0.0, 0.005),
    "long": (0.007, 0.01, 0.0, 0.004),
}
PEAK_WIDTH, RECESS_AT, RECESS_WIDTH = 0.16, 0.5, 0.2  # radians of azimuth from the front
SIDEBURN = (0.028, 0.052)  # metres forward the sideburn spans (in front of the ear), on the side (|x| > 5 cm)
# the ragged edge: (waves once around the head, share of the amplitude); fixed phases per hairline
RAGGED = ((10, 0.55), (25, 0.3), (52, 0.15))
NAPE_RAGGED = 0.7  # share of the ragged amplitude behind the ears (the front's everywhere in front)
# the fringe broken into clumps over the forehead: (longest clump's drop m, clump width radians of azimuth, the
# lengths' hash seed); each clump a pointed tip of its own length (a hashed 0.2..1 of the drop), fixed per hairline
FRINGE = {"short": (0.008, 0.4, 58), "medium": (0.014, 0.4, 53), "long": (0.0, 0.4, 0)}
FRINGE_TO = 0.8  # radians of azimuth from the front where the clumps have faded out (at the temples)


def _bump(x: np.ndarray, at: float, width: float) -> np.ndarray:
    return np.exp(-(((x - at) / width) ** 2))


def ragged(azimuth: np.ndarray, hairline: str) -> np.ndarray:
    """(N,) in about [-1, 1]: a sum of waves along the hairline's azimuth (radians around the head, 0
    at the front; whole waves once around, so no seam at the back), each with its own fixed phase per
    hairline (so left and right differ)."""
    shift = 0.37 * list(PROFILES).index(hairline)  # the first wave's phase keeps well off pi / 2 (symmetric)
    out = np.zeros(len(azimuth))
    for k, (waves, share) in enumerate(RAGGED):
        out += share * np.sin(waves * azimuth + 0.25 + shift + 2.3 * k)
    return out


def fringe(azimuth: np.ndarray, hairline: str) -> np.ndarray:
    """(N,) metres >= 0 the fringe's clumps hang below the hairline at ``azimuth`` (radians from the
    front, signed): clumps :data:`FRINGE` radians wide, each a pointed tip (0 between two clumps, its own
    length at its middle: a hashed 0.2..1 of the style's drop), one in the middle of the forehead, shorter
    towards the temples (none from :data:`FRINGE_TO`: a fringe cut in an arc, the widow's peak and the
    temples' recession kept); no straight cut across the forehead."""
    drop, width, seed = FRINGE[hairline]
    if drop <= 0:
        return np.zeros(len(azimuth))
    t = np.asarray(azimuth, np.float64) / width + 0.5  # a clump in the middle of the forehead
    k = np.floor(t)
    s = t - k
    length = drop * (0.2 + 0.8 * hash2(k, np.full(len(k), 5.0), seed).astype(np.float64))
    tip = (1.0 - np.abs(2.0 * s - 1.0)) ** 1.5
    fade = np.clip(1.0 - np.abs(azimuth) / FRINGE_TO, 0.0, 1.0)  # longest in the middle (cut in an arc)
    return length * tip * fade


def hairline_height(head: np.ndarray, hairline: str) -> np.ndarray:
    """(N,) metres: the height of the hairline's cut at head-frame points ``head`` (N, 3): the
    :data:`PROFILES` curve along y, and at the front (fading in from y = 2 cm to 5 cm) a widow's
    peak, receding temples, the fringe's clumps (:func:`fringe`) and sideburns in front of the ears (short
    cuts); a ragged edge all round
    (:data:`NAPE_RAGGED` of it behind the ears)."""
    h = np.asarray(head, np.float64)
    line = np.interp(h[:, 1], FORWARD, PROFILES[hairline])
    peak, recess, burn, amp = FEATURES[hairline]
    az = np.abs(np.arctan2(h[:, 0], np.maximum(h[:, 1], 1e-6)))  # 0 at the front, pi/2 at the ears
    front = np.clip((h[:, 1] - 0.02) / 0.03, 0.0, 1.0)
    shape = -peak * _bump(az, 0.0, PEAK_WIDTH) + recess * _bump(az, RECESS_AT, RECESS_WIDTH)
    edge = amp * ragged(np.arctan2(h[:, 0], h[:, 1]), hairline)  # all round: the nape is ragged too
    line = line + front * shape + (NAPE_RAGGED + (1 - NAPE_RAGGED) * front) * edge
    line = line - front * fringe(np.arctan2(h[:, 0], np.maximum(h[:, 1], 1e-6)), hairline)
    if burn > 0:  # sideburns: the hair comes down in front of the ear
        side = np.clip((h[:, 1] - SIDEBURN[0]) / 0.006, 0.0, 1.0) * np.clip((SIDEBURN[1] - h[:, 1]) / 0.006, 0.0, 1.0)
        side = side * np.clip((np.abs(h[:, 0]) - 0.05) / 0.008, 0.0, 1.0)
        line = line - burn * side
    return line


def cap_line(head: np.ndarray) -> np.ndarray:
    """(N,) metres: a cap's edge (the short profile, smooth, never below 4.5 cm)."""
    return np.maximum(np.interp(np.asarray(head)[:, 1], FORWARD, PROFILES["short"]), 0.045)


CAP_OVER = 0.008  # metres a cap stands over the hair's thickness (dress.accessories.cap)
CAP_RIM = 0.2  # the cap's hem: its inner edge this share of the cap's offset off the skin (shells.build_shell's rim)
PRESS_GAP, PRESS_RAMP = 0.002, 0.02  # metres: pressed hair keeps this under the hem; it swells back over this below it
PRESS_FRONT = 3.0  # over the forehead, (1 + this) times PRESS_RAMP: the forehead faces up, and hair swelling
# out below the band there stood in front of its hem (the hairline is 0.5-1 cm under the cap's edge there anyway)


def cap_press(head: np.ndarray, thickness: float) -> np.ndarray:
    """(N,) 0..1 factor on the thickness ``thickness`` (metres) of hair under a cap at head-frame rest points
    ``head`` (N, 3): at and above the cap's edge (:func:`cap_line`) the hair is pressed to :data:`PRESS_GAP`
    under the cap's hem (whose inner edge stands :data:`CAP_RIM` of the cap's ``thickness`` +
    :data:`CAP_OVER` off the skin; at least 1 mm of hair), swelling back to its own thickness over
    :data:`PRESS_RAMP` below the edge (a smoothstep; :data:`PRESS_FRONT` times longer over the forehead).
    Unpressed, the hair at the cap's edge stood in front of the hem's slanting wall: on a standing average
    body 399 mm^2 of a short cut seen from the front through the cap (a band across it between crown and
    brim), 9 now (``tests/test_cap_hair.py``)."""
    h = np.asarray(head, np.float64)
    t = max(float(thickness), 1e-6)
    pressed = min(max(CAP_RIM * (t + CAP_OVER) - PRESS_GAP, 0.001), t) / t
    front = np.clip((h[:, 1] - 0.02) / 0.03, 0.0, 1.0)  # as hairline_height's front features
    d = np.clip((cap_line(h) - h[:, 2]) / (PRESS_RAMP * (1.0 + PRESS_FRONT * front)), 0.0, 1.0)
    return pressed + (1.0 - pressed) * d * d * (3.0 - 2.0 * d)


def beard_field(head: np.ndarray, normals: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """(V,) metres, < 0 inside a full beard: the chin under the lower lip, the jaw and the cheeks under a
    cheek line that runs from the sideburn (where the short hairline's sideburn ends, in front of the
    ear) down to beside the mouth's corners, the line turning smoothly round the corners to under the lip,
    and under the jaw as far back as the jaw's underside. Continuous, so a shell cut at its zero
    (:func:`genb.render.dress.shells.build_shell`) has a smooth edge, not the mesh's stair-steps.

    Args:
        head: (V, 3) head-frame coordinates (x left, y forward, z up, metres). normals: (V, 3) rest normals.
        allowed: (V,) bool the vertices a beard may cover (the head, not the lips).
    """
    x, y, z = head[:, 0], head[:, 1], head[:, 2]
    cheek = np.interp(y, [0.015, 0.09], [0.01, -0.03])  # the cheek line: the sideburn to the mouth's corner
    w = np.clip((np.abs(x) - 0.028) / 0.02, 0.0, 1.0)
    w = w * w * (3.0 - 2.0 * w)  # 0 between the mouth's corners, 1 beside them
    top = w * cheek + (1.0 - w) * np.minimum(cheek, -0.052)  # under the lower lip in the middle
    back = np.interp(z, [-0.1, -0.04], [0.035, 0.0]) - y  # in front of the sideburn and the jaw's angle
    under = np.minimum(back, 0.05 * (normals[:, 2] + 0.2))  # or the jaw's underside, not the neck behind it
    f = np.maximum.reduce([z - top, -y, np.abs(x) - 0.072, -0.115 - z, under])
    return np.where(allowed, f, np.maximum(f, 0.01))


def brow_weight(head: np.ndarray, front: np.ndarray) -> np.ndarray:
    """(V,) 0..1 how much of an eyebrow covers each vertex: an arch over each eye, thick at its head by
    the nose (1.1 cm), rising to its peak two thirds out and thinning to its tail (0.4 cm), its hairs
    denser along the middle line. ``head`` (V, 3) head-frame coordinates (metres); ``front`` (V,) bool
    the vertices on the face (the brows are painted only there)."""
    u = (np.abs(head[:, 0]) - 0.011) / 0.042  # 0 at the brow's head, 1 at its tail
    middle = 0.0445 + 0.0065 * np.sin(np.pi * np.clip(u, 0.0, 1.0) ** 0.8)  # the arch
    half = np.interp(u, [0.0, 0.6, 1.0], [0.0065, 0.005, 0.0025])
    across = np.clip(1.0 - np.abs(head[:, 2] - middle) / half, 0.0, 1.0)
    along = np.clip(np.minimum(u / 0.1, (1.0 - u) / 0.15), 0.0, 1.0)  # soft at both ends
    return np.where(front, np.clip(1.5 * np.sqrt(across) * along, 0.0, 1.0), 0.0)


def moustache_field(head: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """(V,) metres, < 0 inside a moustache: the upper lip from under the nose down to the lip's edge,
    as wide as the mouth and drooping a little past its corners (a box under the nose alone read as a
    toothbrush moustache). Continuous, cut on its zero like :func:`beard_field`.

    Args:
        head: (V, 3) head-frame coordinates (x left, y forward, z up, metres). allowed: (V,) bool (the
            head, not the lips).
    """
    x, y, z = np.abs(head[:, 0]), head[:, 1], head[:, 2]
    s = np.clip((x - 0.012) / 0.02, 0.0, 1.0)
    s = s * s * (3.0 - 2.0 * s)  # 0 under the nose, 1 at the mouth's corners
    top = -0.012 - 0.007 * s  # under the nose, lower toward the cheeks
    bottom = -0.028 - 0.011 * s  # the lip's edge, drooping past the corners
    f = np.maximum.reduce([z - top, bottom - z, x - 0.031, 0.06 - y])
    return np.where(allowed, f, np.maximum(f, 0.01))
