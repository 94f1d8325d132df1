"""What makes a shoe read as its style at close range, on the last of :mod:`genb.render.dress.shoes`.

Colour regions on the upper's finer grid (2 rings per station, 24 points a ring, per-vertex colours):
a toe cap, a heel counter, a sneaker's side panel, heel tab and toe bumper (in the sole's colour),
the eyelet stays and the tongue between them, a padded collar rim and, inside it, the dark lining of
the opening (dipped into the shoe, so from above the ankle comes out of a dark hole); a dress shoe's
toe-cap seam. Geometry: laces across the instep (flat bars lying on the upper, with an eyelet disc at
each end) and a boot's welt (a band standing out round the top of the sole). Every colour comes from
the upper's and the sole's (no random draw): the scenes a seed draws are unchanged.
"""

from __future__ import annotations

import dataclasses
import numpy as np

from genb.render.dress.shoe_loft import loft, ring

LUMA = np.array([0.2126, 0.7152, 0.0722])


@dataclasses.dataclass(frozen=True)
class Look:
    """A style's details, as shares of the foot's length from the heel (0: none).

    Attributes:
        toe_cap: where the toe cap starts. seam_only: the toe cap is a dark seam line (a dress shoe).
        counter: how far the heel counter reaches. laces: lace bars across the instep, from ``lace_from`` to
            ``lace_to``. panel: a side panel (a sneaker's). tab: a heel tab. bumper: a toe bumper in the
            sole's colour. welt: a welt round the top of the sole.
        accent: how far the toe cap and counter (and, 0.1 more, the eyelet stays) are mixed from the upper's
            colour towards white (a dark upper) or black (a light one): a sneaker's contrasting panels, a
            boot's same leather a shade apart. laces_match: laces a shade of the upper's colour (a boot's)
            rather than white on a dark upper.
    """

    toe_cap: float
    counter: float = 0.0
    seam_only: bool = False
    laces: int = 0
    lace_from: float = 0.0
    lace_to: float = 0.0
    panel: bool = False
    tab: bool = False
    bumper: bool = False
    welt: bool = False
    tongue: bool = False
    accent: float = 0.24
    laces_match: bool = False


LOOKS = {
    "sneakers": Look(toe_cap=0.79, counter=0.2, laces=5, lace_from=0.45, lace_to=0.72, panel=True, tab=True,
                     bumper=True, tongue=True),
    "boots": Look(toe_cap=0.78, counter=0.24, laces=5, lace_from=0.44, lace_to=0.72, welt=True, accent=0.1,
                  laces_match=True),
    "flat_shoes": Look(toe_cap=0.8, seam_only=True),
}
LINING_J = 3  # ring points either side of the top that are lining in the opening
RIM_J = 1  # and the padded collar rim's, next to them
TAB_UP, TAB_SIDE = 0.5, 0.3  # a sneaker's heel tab: the top of the ring's back, a narrow strip to the collar
DIP = 0.006  # how far the lining's middle sinks into the shoe at an adult's size, metres


def palette(upper: np.ndarray, sole: np.ndarray, look: Look | None = None) -> dict[str, np.ndarray]:
    """The shoe's colours from its upper's and sole's sRGB (3,) and its style (``look``: its ``accent`` and
    ``laces_match``; None: a sneaker's): a light upper's overlays are darker, a dark one's lighter; laces
    white on a dark upper (a shade of it where ``laces_match``), a grey of it on a light one."""
    upper, sole = np.asarray(upper, np.float64), np.asarray(sole, np.float64)
    look = look or LOOKS["sneakers"]
    light = float(upper @ LUMA) > 0.5
    toward = np.zeros(3) if light else np.ones(3)
    mix = lambda c, k: c * (1 - k) + toward * k  # noqa: E731
    dark_laces = mix(upper, 0.18) if look.laces_match else np.array([0.93, 0.92, 0.9])
    return {"accent": mix(upper, look.accent), "stay": mix(upper, look.accent + 0.1), "tongue": mix(upper, 0.1),
            "rim": upper * 0.62, "lining": 0.06 + 0.12 * upper, "seam": upper * 0.45,
            "laces": upper * 0.84 if light else dark_laces,
            "eyelet": np.array([0.1, 0.1, 0.11]) if light else np.array([0.62, 0.6, 0.56]),
            "tab": sole if np.abs(sole - upper).max() > 0.2 else mix(upper, 0.45),
            "welt": 0.5 * sole + 0.5 * np.array([0.6, 0.45, 0.3])}


def dip_opening(rings: np.ndarray, s: np.ndarray, open_from: float, dip: float) -> np.ndarray:
    """(S, n, 2) rings with the top of those behind the instep (``s``, the share along the foot, under
    ``open_from``, fading out over 6 % of the foot in front of it) sunk by up to ``dip``: the lining turned
    into the shoe inside the collar rim."""
    n = rings.shape[1]
    off = np.abs(np.arange(n) - n // 4)
    wj = np.clip(1.0 - (off - 2) / (LINING_J - 1), 0.0, 1.0)  # 1 at the top three, 0 at the rim
    ws = np.clip((open_from + 0.06 - s) / 0.06, 0.0, 1.0) * (s > 0.03)
    out = rings.copy()
    out[..., 1] -= dip * ws[:, None] * wj[None]
    return out


REGIONS = ("upper", "accent", "stay", "tongue", "tab", "rim", "lining", "seam")


def regions(look: Look, s: np.ndarray, side: np.ndarray, up: np.ndarray, opening: float) -> np.ndarray:
    """(S, n) int8 the upper's region (an index into :data:`REGIONS`) at each point of its rings.

    Args:
        s: (S,) the rings' share along the foot from the heel. side: (n,) how far to the side the ring's
            points are, -1 to 1 (0: the middle line); up: (n,) their height in the ring, -1 to 1 (the unit
            ring's: ``RING // 4`` is the top). opening: where the opening ends (the style's ``open_from``).
    """
    S, n = len(s), len(side)
    out = np.zeros((S, n), np.int8)
    s2, up2, side2 = s[:, None], up[None], np.abs(side)[None]

    def paint(where, name):
        out[np.broadcast_to(where, (S, n))] = REGIONS.index(name)

    if look.counter:
        paint((s2 < look.counter) & (up2 < 0.45 - 1.6 * s2), "accent")
    if look.panel:  # a slanted band along each side
        slant = s2 + 0.22 * up2
        paint((slant > 0.36) & (slant < 0.52) & (side2 > 0.55) & (up2 > -0.55) & (up2 < 0.75), "accent")
    if look.toe_cap:
        cap = (s2 > look.toe_cap) & (up2 > -0.7)
        paint(cap & (s2 < look.toe_cap + 0.02) if look.seam_only else cap, "seam" if look.seam_only else "accent")
    if look.laces:
        lacing = (s2 > look.lace_from - 0.05) & (s2 < look.lace_to + 0.05) & (up2 > 0.2)
        paint(lacing & (side2 < 0.62), "stay")
        paint(lacing & (side2 < 0.3), "tongue")
    if look.bumper:
        paint((s2 > look.toe_cap + 0.03) & (up2 < -0.3), "tab")
    rim = np.abs(np.arange(n) - n // 4)[None]
    behind = s2 < opening + 0.04
    paint(behind & (rim > LINING_J) & (rim <= LINING_J + RIM_J), "rim")
    paint(behind & (rim <= LINING_J) & (s2 > 0.03), "lining")
    if look.tab:
        paint((s2 < 0.03) & (up2 > TAB_UP) & (side2 < TAB_SIDE), "tab")
    return out


def welt(look: Look, xs: np.ndarray, yc: np.ndarray, half: np.ndarray, top: float, size: float,
         p: float) -> tuple[np.ndarray, np.ndarray] | None:
    """A boot's welt: a band 4 mm high (at an adult's size) round the top of the sole (``half`` (S,) the
    sole's half widths at ``xs`` (S,), centred on ``yc`` (S,), its top at ``top``, (S,) or one), standing 3 mm out (1 mm past a heel block)
    of it. Returns (vertices (M, 3) local, faces (F, 3) uint32), or None."""
    if not look.welt:
        return None
    hh = 0.002 * size
    r = ring(yc, np.zeros(len(xs)) + top - hh * 0.6, half + 0.003, np.full(len(xs), hh), p)
    return loft(xs, r, (xs[0] - 0.008, xs[-1] + 0.01))
