"""A medium cut's shape (a bob, chin-length hair over the ears): no helmet.

The medium hairline's shell alone was a smooth offset of the skull of one thickness down to a cut
at the ears, thinned to a fifth of its thickness at its edge, lying on the skin: a helmet with a
straight, hard rim. A real cut of this length hangs: it falls from the skull's widest line
straight down past the ears and the jaw (:func:`curtain`, a lift of its drape), it gathers
volume towards its ends (:data:`GROW`), its ends are pieces of their own lengths, not a cut line
(:func:`hem_line`: pointed pieces under the jaw and down the nape, :data:`PIECES`), and it parts
down the middle of the top (:data:`PART`: a groove where the strand texture's seam runs,
:func:`genb.render.dress.hair.crown_u`).

:func:`is_bob` says which hair gets it: the medium hairline worn down, straight or wavy (not a
ponytail or a bun, whose hair is drawn back tight, nor curly hair, whose curls make its shape).
Everything is computed once per cached shell (pure, deterministic, no random stream).

Head frame: x to the person's left, y forward, z up, origin at the ears' midpoint, metres.
"""

from __future__ import annotations

import numpy as np

from genb.render.dress.hairline import FORWARD, hairline_height
from genb.render.raster.procedural import hash2

# the hem's height (head frame, metres) along the head (FORWARD): level round the nape and under the
# ears at the jaw, rising in front of the ears along the cheek to the temples (the medium hairline's
# front, widow's peak and fringe, kept where it is higher)
HEM = [-0.082, -0.085, -0.08, -0.058, 0.055, 0.085, 0.09]
HEM_FRONT = (0.03, 0.05)  # metres forward: the medium hairline's front (widow's peak, fringe) in front of these
# the ends in pieces: (longest piece's drop m, piece width radians of azimuth round the vertical, hash seed);
# each a pointed tip of its own length (a hashed 0.25..1 of the drop), from behind the cheek round the back
PIECES = (0.03, 0.5, 71)
PIECE_SPAN = 0.65  # the share of its width a piece's point spans (the rest: the gap up to the next)
PIECES_FROM = (0.005, -0.025)  # metres forward: no pieces in front of the first, all behind the second
WIDEST = 0.035  # metres above the ears' midpoint: the skull's widest line the hair falls from
FALL_TO = 0.005  # ... all its fall from this height down
FLARE = 0.03  # metres out per metre down from WIDEST: the ends stand out a little further (an A line)
FALL_MAX = 0.025  # metres: the most the hair stands off the head's outline beneath
CURTAIN_FROM = (0.035, 0.0)  # metres forward: none of the fall in front of the first (the face), all behind the second
AXIS = np.array([0.0, -0.01])  # (x, y) the vertical axis the outline's radii are taken round
BINS = 48  # azimuth bins of the skull's outline
GROW = 0.5  # the ends carry 1 + this of the hair's thickness (volume growing towards the ends)
GROW_FROM, GROW_TO = 0.03, -0.06  # ... rising from this height to that one
END_KEEP, END_TAPER = 0.5, 0.035  # the ends thin to this share of the thickness over the last metres
PART = (0.6, 0.0045, 0.12)  # a parting down the middle: (depth, half width m, the lift of the hair beside it)
PART_BACK = (-0.045, -0.015)  # metres forward: the parting fades in from the crown's whorl to here
BOB_TUFTS = 1.0  # share of TUFT_SHARE the clumps keep (the hair's weight lays it smoother than a short cut)


def is_bob(hair: dict) -> bool:
    """Whether ``hair`` (an outfit's hair record) is a medium cut worn down: the medium hairline with no
    ponytail or bun, straight or wavy."""
    return (hair.get("hairline") == "medium" and (hair.get("shape") or "none") == "none"
            and (hair.get("curl") or "straight") in ("straight", "wavy"))


def _smooth(x: np.ndarray, a: float, b: float) -> np.ndarray:
    t = np.clip((np.asarray(x, np.float64) - a) / (b - a), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def pieces(head: np.ndarray) -> np.ndarray:
    """(N,) metres >= 0 the ends hang below the hem at head-frame points ``head`` (N, 3): pointed pieces
    :data:`PIECES` radians of azimuth wide round the vertical axis, each its own hashed length, none in
    front of the ears (:data:`PIECES_FROM`): the ends as pieces, not a straight line."""
    drop, width, seed = PIECES
    h = np.asarray(head, np.float64)
    az = np.arctan2(h[:, 0] - AXIS[0], h[:, 1] - AXIS[1])
    t = az / width
    k = np.floor(t)
    s = t - k
    length = drop * (0.25 + 0.75 * hash2(k, np.full(len(k), 3.0), seed).astype(np.float64))
    tip = np.clip(1.0 - np.abs(2.0 * s - 1.0) / PIECE_SPAN, 0.0, 1.0) ** 0.8  # a gap between two pieces
    return length * tip * _smooth(-h[:, 1], -PIECES_FROM[0], -PIECES_FROM[1])


def hem_line(head: np.ndarray) -> np.ndarray:
    """(N,) metres: a bob's cut at head-frame points (N, 3): the medium hairline over the forehead and
    the temples (in front of :data:`HEM_FRONT`), and round the sides and the back :data:`HEM` (under the
    ears, down the nape) less its :func:`pieces`."""
    h = np.asarray(head, np.float64)
    front = _smooth(h[:, 1], *HEM_FRONT)
    return front * hairline_height(h, "medium") + (1.0 - front) * (np.interp(h[:, 1], FORWARD, HEM) - pieces(h))


def _widest(h: np.ndarray, on_head: np.ndarray) -> np.ndarray:
    """(BINS,) metres: the skull's outline round :data:`AXIS` per azimuth bin at its widest line (behind the
    face), its dents filled and smoothed, from head-frame body points ``h`` (V, 3) (``on_head`` (V,) bool)."""
    d = h[:, :2] - AXIS
    r = np.hypot(d[:, 0], d[:, 1])
    top = on_head & (np.abs(h[:, 2] - WIDEST) < 0.03) & (h[:, 1] < CURTAIN_FROM[0])
    widest = np.zeros(BINS)
    np.maximum.at(widest, _bin(h[top]), r[top])
    widest = np.maximum.reduce([widest, np.roll(widest, 1), np.roll(widest, -1)])  # the outline's dents filled
    return (np.roll(widest, 1) + 2 * widest + np.roll(widest, -1)) / 4


def _bin(h: np.ndarray) -> np.ndarray:
    d = h[:, :2] - AXIS
    return np.floor((np.arctan2(d[:, 0], d[:, 1]) + np.pi) / (2 * np.pi) * BINS).astype(np.int64) % BINS


def curtain(rest: np.ndarray, head: np.ndarray, on_head: np.ndarray):
    """The lift function of a bob's drape (:func:`~genb.render.dress.drape.drape_shell`'s ``hang``) for a body
    whose rest vertices ``rest`` (V, 3) lie at head-frame points ``head`` (V, 3) (``on_head``: (V,) bool, the
    head's vertices, whose outline is taken): below the skull's widest line each shell point rises along its
    normal to where hair falling straight from that line (:data:`WIDEST`, per azimuth bin round :data:`AXIS`,
    flaring out by :data:`FLARE`) hangs, at most :data:`FALL_MAX`, none in front of the ears
    (:data:`CURTAIN_FROM`); the smoothing then spans it (no fold under the back of the skull)."""
    h = np.asarray(head, np.float64)
    widest = _widest(h, on_head)
    A = np.c_[np.asarray(rest, np.float64)[on_head], np.ones(int(on_head.sum()))]
    to_head = np.linalg.lstsq(A, h[on_head], rcond=None)[0]  # the head frame from the rest pose's (affine)

    def rise(points: np.ndarray, normals: np.ndarray, weight: np.ndarray) -> np.ndarray:
        p = np.c_[points, np.ones(len(points))] @ to_head
        n = normals @ to_head[:3]
        d = p[:, :2] - AXIS
        r = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
        out = np.einsum("ij,ij->i", n[:, :2], d / r[:, None])  # how far the normal faces out horizontally
        hang = widest[_bin(p)] + FLARE * np.maximum(WIDEST - p[:, 2], 0.0)
        w = _smooth(-p[:, 2], -WIDEST, -FALL_TO) * _smooth(-p[:, 1], -CURTAIN_FROM[0], -CURTAIN_FROM[1])
        return np.clip((hang - r) / np.maximum(out, 0.5), 0.0, FALL_MAX) * w * weight

    return rise


def profile(head: np.ndarray, v: np.ndarray, taper: np.ndarray) -> np.ndarray:
    """(N,) factor on a bob's thickness at head-frame rest points ``head`` (N, 3) whose distance to the
    hairline is ``v`` (N,) metres, in place of the hairline's ``taper`` (N,): that taper over the forehead
    and the temples, the ends kept thick (:data:`END_KEEP` at their tips), growing towards them
    (:data:`GROW`), and a parting down the middle of the top (:data:`PART`)."""
    h = np.asarray(head, np.float64)
    ends = _smooth(-h[:, 2], -0.01, 0.01)  # the hem below this: hair's ends, not a hairline
    end_taper = END_KEEP + (1.0 - END_KEEP) * _smooth(v, 0.0, END_TAPER)
    f = (1.0 - ends) * taper + ends * end_taper
    f = f * (1.0 + GROW * _smooth(-h[:, 2], -GROW_FROM, -GROW_TO))
    depth, half, lift = PART
    along = _smooth(h[:, 1], *PART_BACK) * _smooth(h[:, 2], 0.06, 0.09)
    x = h[:, 0] / half
    groove = depth * np.exp(-x * x) * along
    beside = lift * np.exp(-((np.abs(h[:, 0]) - 3 * half) / (4 * half)) ** 2) * along
    return f * (1.0 - groove) * (1.0 + beside)
