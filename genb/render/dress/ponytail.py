"""A ponytail: hair gathered at a tie on the back of the head, widening to a flattened tail that
narrows to a soft tip and falls under gravity onto the shoulders and the back.

The tail is a tube around a chain of :data:`~genb.render.dress.hair.PONYTAIL_NODES` nodes from the
tie (:func:`ponytail_chain`): it leaves the head backwards and down (never up, whatever the head's
tilt; over a bent-over head it flops over the crown), turns towards gravity every node and rests on the skin and cloth under it
(each node kept its half depth plus :data:`CLEARANCE` off them; the first no higher than the tie, and a
node below the next where either rests on them raised to its height, :func:`_bridge`: no segment below
the first points up). Its cross-section
(:func:`tail_profile`) is an ellipse, round and :data:`TIE` wide at the tie, swelling to
:data:`PEAK` across (and :data:`FLAT` of that deep, its flat side on the back) a third of the way
down, then narrowing like a brush to :data:`TIP` at the tip; one more ring, inside the hair's
shell, gathers the hair into the tie. Pure functions of the posed keypoints and the surface.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from genb.render.dress.hair import CENTRE, PONYTAIL_LENGTH, PONYTAIL_NODES
from genb.render.dress.shells import ring_faces
from genb.render.dress.vec import norm

BINS = 10  # vertices around a ring
TIE, PEAK, TIP = 0.008, 0.029, 0.002  # half widths, metres: at the tie, the widest, the tip
BAND, SWELL = 0.06, 0.35  # shares of the length: the tie's band (narrow), where the tail is widest
FLAT = 0.8  # the tail's depth over its width below the tie (it lies flattened on the back)
OUT = 0.5  # the first segment's heading: OUT times the back of the head's direction plus gravity
STIFF = 0.45  # share of a node's heading kept at the next (the rest turns to gravity)
CLEARANCE = 0.008  # metres a node keeps off the surface, beyond its half depth


def tail_profile(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(half width, half depth) (N,) metres at ``s`` (N,) 0..1 along the tail from the tie: :data:`TIE`
    (round) over the band (:data:`BAND`), swelling smoothly to :data:`PEAK` at :data:`SWELL`, then
    narrowing as cos^0.6 (slowly, then fast: a brush's soft point) to :data:`TIP`; the depth
    :data:`FLAT` of the width from the swell on."""
    s = np.asarray(s, np.float64)
    x = np.clip((s - BAND) / (SWELL - BAND), 0.0, 1.0)
    rise = TIE + (PEAK - TIE) * x * x * (3.0 - 2.0 * x)
    fall = TIP + (PEAK - TIP) * np.cos(0.5 * np.pi * np.clip((s - SWELL) / (1.0 - SWELL), 0.0, 1.0)) ** 0.6
    width = np.where(s < SWELL, rise, fall)
    flat = 1.0 - (1.0 - FLAT) * x
    return width, width * flat


def _rest_on(p: np.ndarray, need: float, surface) -> tuple[np.ndarray, np.ndarray]:
    """``p`` (3,) moved out of ``surface`` ((P, 3) points, (P, 3) unit normals and a KD-tree of the points)
    until it lies ``need`` metres off every point within ``need`` + 2 cm of it, along that point's normal
    (4 pushes at most); and the normal of the last push ((3,) zeros: none)."""
    P, N, tree = surface
    contact = np.zeros(3)
    for _ in range(4):
        near = np.asarray(tree.query_ball_point(p, need + 0.02, return_sorted=True), np.int64)
        if not len(near):
            break
        short = need - np.einsum("ij,ij->i", p - P[near], N[near])
        i = int(np.argmax(short))
        if short[i] <= 0:
            break
        contact = N[near[i]].astype(np.float64)
        p = p + short[i] * contact
    return p, contact


def _leave(out: np.ndarray, crown: np.ndarray) -> np.ndarray:
    """(3,) the heading a tail leaves its tie with (before gravity): :data:`OUT` times the head's
    outward normal there ``out`` (3,), less any upward part (it never stands up from the tie), plus a
    fifth of the way over the crown (``crown``: the head's up) along the head, less any upward part
    (over a bent-over head, where gravity runs into the head, the tail flops over the crown)."""
    up = np.array([0.0, 0.0, 1.0])
    over = crown - float(crown @ out) * out
    return OUT * (out - max(float(out @ up), 0.0) * up) + 0.2 * (over - max(float(over @ up), 0.0) * up)


def ponytail_chain(tie: np.ndarray, R: np.ndarray, depth: np.ndarray, surface=None,
                   centre: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) centres of a ponytail's nodes, metres: a chain of :data:`PONYTAIL_LENGTH` from the
    ``tie`` (3,) on the back of the head (head frame ``R``), leaving it backwards (:func:`_leave`)
    plus gravity along the head, each next heading :data:`STIFF`
    of the last plus gravity sliding along what the node last rested on: a sphere round the head's
    ``centre`` (3,) through the tie (the node kept its half ``depth`` (N,) out of it: over a bent-over
    head the tail slides over the crown, never up off it) and the outermost ``surface`` it falls on
    (``surface``: (P, 3) points and (P, 3) unit normals, the skin and the cloth over the back, each
    node kept its half depth plus :data:`CLEARANCE` off it; None: falls freely)."""
    n = len(depth)
    seg = PONYTAIL_LENGTH / (n - 1)
    down = np.array([0.0, 0.0, -1.0])
    tie = np.asarray(tie, np.float64)
    centre = tie + R[:, 1] * 0.1 if centre is None else np.asarray(centre, np.float64)
    rho = float(np.linalg.norm(tie - centre))
    contact = (tie - centre) / rho
    if surface is not None:  # the points a node can reach (stretched 1.25 times) or be near: the same pushes
        P, N = surface
        keep = np.flatnonzero(((P - tie) ** 2).sum(1) < (1.25 * PONYTAIL_LENGTH + 0.06) ** 2)
        surface = (P[keep], N[keep], cKDTree(P[keep], balanced_tree=False, compact_nodes=False))
    heading = _leave(contact, R[:, 2])
    nodes = [tie]
    held = np.zeros(n, bool)  # the nodes resting on the body or cloth
    for k in range(1, n):
        fall = down - min(float(contact @ down), 0.0) * contact  # gravity along what it rests on: it slides
        heading = heading * STIFF + fall
        heading /= max(np.linalg.norm(heading), 1e-9)
        p = nodes[-1] + seg * heading
        r = p - centre
        contact = np.zeros(3)
        lift = rho + depth[k] - depth[0]  # (the tie's own ring lies on the sphere)
        if np.linalg.norm(r) < lift:  # off the head
            contact = r / max(np.linalg.norm(r), 1e-9)
            p = centre + contact * lift
        if surface is not None:
            p, pushed = _rest_on(p, float(depth[k]) + CLEARANCE, surface)
            contact = pushed if pushed.any() else contact
            held[k] = pushed.any()
            if k == 1 and p[2] > tie[2]:  # out of the tie level with it at most, never up (a head tilted back)
                p = _rest_on(np.array([p[0], p[1], tie[2]]), float(depth[k]), surface)[0]
        d = p - nodes[-1]  # the hair may stretch a little over the shoulders, no more
        p = nodes[-1] + d * min(1.0, 1.25 * seg / max(np.linalg.norm(d), 1e-9))
        heading = (p - nodes[-1]) / max(np.linalg.norm(p - nodes[-1]), 1e-9)
        nodes.append(p)
    return _bridge(np.stack(nodes), held)


def _bridge(nodes: np.ndarray, held: np.ndarray) -> np.ndarray:
    """``nodes`` (N, 3) with each node (not the tie) below the next raised to its height where either rests on
    the body or cloth (``held``, (N,) bool), from the tip up: the tail spans a hollow (a crouching back under
    a coat's collar) instead of dipping into it and climbing out (segments pointing up)."""
    out = nodes.copy()
    for k in range(len(out) - 2, 0, -1):
        if (held[k] or held[k + 1]) and out[k, 2] < out[k + 1, 2]:
            out[k, 2] = out[k + 1, 2]
    return out


def ponytail_mesh(origin: np.ndarray, R: np.ndarray, t: float, surface=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ponytail's tube for a head at ``origin`` (3,) with frame ``R`` and hair ``t`` metres thick:
    ``(vertices (M, 3) float32, faces (F, 3) uint32, ring centres (M, 3))``, :data:`BINS` vertices a
    ring, PONYTAIL_NODES + 1 rings: the first 1.2 cm inside the hair's shell (the hair gathering
    into the tie), the second the tie, then the tail (:func:`ponytail_chain`, :func:`tail_profile`)
    flattened across the head's left-right axis."""
    s = np.linspace(0.0, 1.0, PONYTAIL_NODES)
    width, depth = tail_profile(s)
    tie = origin + R @ np.array([0.0, -0.1 - t, 0.03])
    centres = ponytail_chain(tie, R, depth, surface, origin + R @ CENTRE)
    centres = np.concatenate([[tie + R[:, 1] * 0.012], centres])  # gathered from inside the shell
    width = np.concatenate([[TIE * 1.3], width])
    depth = np.concatenate([[TIE * 1.3], depth])
    tangent = np.gradient(centres, axis=0)
    tangent /= norm(tangent, keepdims=True)
    side = R[:, 0] - (tangent @ R[:, 0])[:, None] * tangent
    side /= np.maximum(norm(side, keepdims=True), 1e-9)
    other = np.cross(tangent, side)
    ph = np.arange(BINS) / BINS * 2 * np.pi
    ring = (np.cos(ph)[None, :, None] * (width[:, None] * side)[:, None]
            + np.sin(ph)[None, :, None] * (depth[:, None] * other)[:, None])
    v = (centres[:, None] + ring).reshape(-1, 3).astype(np.float32)
    return v, ring_faces(len(centres), BINS), np.repeat(centres, BINS, axis=0)
