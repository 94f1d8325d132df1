"""A sleeveless garment's armholes: one smooth field over the trunk and the arms to cut them along.

A sleeveless top cut by the body's parts (the trunk kept, the arms not) ends on the border between
the torso's and the upper arm's skinning regions: a staircase of mesh edges that wanders over the
shoulder, and the cut's crossings along those edges put the hem at uneven depths (the torso's
field and the arm's are unrelated numbers). Posed, the hem strip of such an edge stands out as a
saw-toothed ruff. :func:`armhole_field` is instead one smooth function of the rest position,
the same on either side of the parts' border, whose zero line is a tailor's armhole: straight up
over the shoulder a strap's width in from the shoulder joint, curving out and round under the
arm a few centimetres below the armpit (seen from the front, a U around the shoulder).
:func:`armhole_weight` is the band along it where :func:`hug_armholes` keeps the draped cloth
close to the skin (a binding, not the smoothed shell standing off the shoulder and, posed, into the arm).

Pure functions of the :class:`~genb.render.dress.atlas.BodyAtlas` (its rest positions and
keypoints: the same anatomical line on every body shape); the hug is computed once per cached shell.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse

from genb.core.conventions import BODY25_INDEX as K25

STRAP_IN = 0.022  # metres the armhole runs inside the shoulder joint over the shoulder (the strap's outer edge)
SCOOP_TOP = 0.035  # metres below the neck's height where the armhole starts to curve out under the arm
SCOOP = 3.2  # 1/metres: how fast it curves out (|x| grows by SCOOP * depth^2 below SCOOP_TOP)
FRONT_SCOOP = 0.008  # metres the armhole lies further in on the front (a tank top is cut deeper there)
SLOPE = 2.0  # field units per metre, about the trunk coordinate's (so a shell hides the body faces hide_margin / SLOPE inside)
BAND = 0.03  # metres from the armhole over which the cloth eases back from the skin (armhole_weight)
EDGE_CLEAR = 0.001  # metres the cloth keeps off the skin at the armhole (before its thickness)
EDGE_LIFT = 0.5  # the share of the garment's thickness the cloth stands off the skin at the armhole (a thin binding)


def armhole_distance(atlas) -> np.ndarray:
    """(V,) metres, roughly, from each rest vertex to the armhole on its side: < 0 inside the garment
    (towards the neck and the trunk), > 0 towards the arm. Smooth over the whole body (no part
    labels), so its zero line cuts straight through the mesh's triangles."""
    kp = atlas.keypoints
    p = np.asarray(atlas.rest, np.float64)
    x_in = 0.5 * (kp[K25["left_shoulder"], 0] - kp[K25["right_shoulder"], 0]) - STRAP_IN
    z0 = kp[K25["neck"], 2] - SCOOP_TOP
    depth = np.maximum(z0 - p[:, 2], 0.0)
    front = np.clip(-p[:, 1] / 0.08, 0.0, 1.0)  # y < 0: the front (the atlas's y points back)
    return np.abs(p[:, 0]) - (x_in - FRONT_SCOOP * front + SCOOP * depth ** 2)


def armhole_field(atlas) -> np.ndarray:
    """(V,) the cut field of a sleeveless garment's armholes (:func:`armhole_distance` scaled by
    :data:`SLOPE`): <= 0 inside; to be combined (max) with the garment's other cuts."""
    return SLOPE * armhole_distance(atlas)


def armhole_weight(atlas) -> np.ndarray:
    """(V,) in [0, 1]: 1 on the armhole, fading to 0 :data:`BAND` metres inside it (smoothstep)."""
    t = np.clip(1.0 + armhole_distance(atlas) / BAND, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)



def hug_armholes(shell, weight: np.ndarray, hem_pull: float = 0.5, anchor: np.ndarray | None = None):
    """A copy of a draped ``shell`` whose cloth keeps to the skin along its armholes: where ``weight``
    (V,) per body vertex (:func:`armhole_weight`) is 1, each shell vertex hangs from its own body point
    (not the smoothed anchor, which averages over the shoulder and, posed, over the arm), along the
    skin's normal, :data:`EDGE_CLEAR` and :data:`EDGE_LIFT` of the thickness off it, with no ease: a
    binding lying on the shoulder and in the armpit, its hem strip a few millimetres wide in every pose.
    Blended linearly in ``weight`` into the smoothed drape inside (the anchors, their frames' source,
    the offsets and the thickness alike). ``hem_pull``: the drape's (:func:`~genb.render.dress.drape.drape_shell`).
    ``anchor``: (V,) per body vertex, how much the cloth hangs from its own body point rather than the smoothed
    anchor, where that differs from ``weight`` (a neckband bridging the throat: dress.neckline).
    Computed once per cached shell; posing costs the same."""
    d = shell.drape
    G = shell.num_vertices
    twin = shell.twin if shell.twin is not None else np.arange(G)
    main = twin == np.arange(G)
    own = np.where(main, np.arange(G), twin)  # a hem's inner-edge vertex hangs where its twin does
    w = np.clip(np.asarray(shell.blend @ weight, np.float64), 0.0, 1.0)
    if d.smooth.shape[1] != int(main.sum()) or not (w > 0).any():
        return shell  # a subdivided shell's drape comes from the coarse one's (drape_refine.refine_drape)
    wa = w if anchor is None else np.clip(np.asarray(shell.blend @ anchor, np.float64), 0.0, 1.0)
    rows = scipy.sparse.csr_matrix((wa, (np.arange(G), own)), shape=d.smooth.shape)
    smooth = (scipy.sparse.diags((1.0 - wa).astype(np.float32)) @ d.smooth + rows.astype(np.float32)).tocsr()
    pull = np.where(main, 1.0, hem_pull)
    disp = (1.0 - w)[:, None] * d.disp
    disp[:, 2] += w * pull * EDGE_CLEAR
    normal = (1.0 - w)[:, None] * d.normal
    normal[:, 2] += w
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    drape = dataclasses.replace(d, disp=disp.astype(np.float32), normal=normal.astype(np.float32),
                                ease_scale=((1.0 - w) * d.ease_scale).astype(np.float32), smooth=smooth)
    lift = np.where(main, np.minimum(shell.lift, 1.0 - (1.0 - EDGE_LIFT) * w), shell.lift)  # the hem's inner edge keeps its rim
    hug = np.where(main, np.maximum(w, 0.0 if shell.hug is None else shell.hug), 0.0)
    return dataclasses.replace(shell, drape=drape, lift=lift, hug=hug)
