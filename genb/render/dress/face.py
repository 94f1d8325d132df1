"""Eyes painted on the face: sclera, iris, pupil, a catch light, the lash line.

Placed once per body model from its own eye landmarks (BODY25 ``left_eye``/``right_eye`` of
the rest body) in the head's frame (:func:`genb.render.dress.atlas.head_frame`), so the eyes
are vertex colours of the body itself: they move, turn and hide with the head, and need no
UVs (anny and SMPL-X alike). :func:`eye_layout` finds the face vertices in front of each eye
and their offsets from its centre; :func:`paint_eyes` colours them for one person
(:func:`sample_eyes`: iris colour). Gaze follows the head. Pure functions of arrays.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.core.conventions import BODY25_INDEX, PART_INDEX, SEMANTIC_JOINTS

# The eye opening (metres): half width, lid heights above and below the centre at its middle.
HALF_WIDTH, UPPER, LOWER = 0.0145, 0.0052, 0.0042
IRIS, PUPIL, LASH = 0.0058, 0.0021, 0.0013
# sRGB iris colours (natural: brown most common; light eyes mainly with light skin)
IRIS_COLORS = {"dark_brown": (62, 38, 24), "brown": (96, 60, 34), "hazel": (122, 92, 52), "green": (92, 108, 66),
               "blue": (84, 116, 148), "grey": (116, 122, 128)}


@dataclasses.dataclass
class EyeLayout:
    """The face vertices around the eyes of one topology.

    Attributes:
        vertex_ids: (M,) body vertex indices. offset: (M, 2) metres from the eye's centre in the
            head's frame, (outward from the nose, up). depth: (M,) metres behind the face's front
            at that eye (vertices deep in the socket are left alone).
    """

    vertex_ids: np.ndarray
    offset: np.ndarray
    depth: np.ndarray


def eye_layout(body, atlas) -> EyeLayout:
    """The :class:`EyeLayout` of a body model (its rest body's eye landmarks, once per model)."""
    from genb.render.dress.atlas import head_frame

    rest = body.pose(body.sample_shapes(np.random.default_rng(0), 1), np.tile(np.eye(3), (1, len(SEMANTIC_JOINTS), 1, 1)))
    kp = rest.keypoints[0].astype(np.float64)
    origin, frame = head_frame(kp)
    h = atlas.head
    ids, offs, depths = [], [], []
    for side in ("left_eye", "right_eye"):
        e = (kp[BODY25_INDEX[side]] - origin) @ frame
        out = np.sign(e[0]) if abs(e[0]) > 1e-6 else 1.0
        dx, dz = (h[:, 0] - e[0]) * out, h[:, 2] - e[2]
        near = (atlas.parts == PART_INDEX["head"]) & (np.abs(dx) < HALF_WIDTH + 0.004) & (np.abs(dz) < UPPER + 0.004) \
            & (h[:, 1] > e[1] - 0.01)
        if not near.any():
            continue
        front = float(np.quantile(h[near, 1], 0.9))
        ids.append(np.flatnonzero(near))
        offs.append(np.stack([dx[near], dz[near]], axis=1))
        depths.append(front - h[near, 1])
    if not ids:
        return EyeLayout(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0))
    return EyeLayout(np.concatenate(ids), np.concatenate(offs), np.concatenate(depths))


def sample_eyes(rng: np.random.Generator, darkness: float) -> dict[str, Any]:
    """One person's eyes (JSON-able): the iris colour (light eyes rarer on darker skin)."""
    light = 0.45 * (1.0 - darkness) ** 2
    names = list(IRIS_COLORS)
    p = np.array([0.5 - 0.3 * light, 0.5 - 0.3 * light, 0.12, light * 0.6, light, light * 0.5])
    return {"iris": names[int(rng.choice(len(names), p=p / p.sum()))]}


def _lid(dx: np.ndarray, height: float) -> np.ndarray:
    """Height of a lid's edge above (or below) the eye's centre at dx (pointed corners)."""
    return height * np.clip(1.0 - (dx / HALF_WIDTH) ** 2, 0.0, 1.0) ** 0.75


def paint_eyes(colors: np.ndarray, layout: EyeLayout, eyes: dict[str, Any]) -> np.ndarray:
    """(V, 3) float32 sRGB-encoded body colours with the eyes painted in (returns a copy)."""
    out = np.array(colors, np.float32, copy=True)
    if len(layout.vertex_ids) == 0:
        return out
    dx, dz = layout.offset[:, 0], layout.offset[:, 1]
    skin = out[layout.vertex_ids]
    upper, lower = _lid(dx, UPPER), _lid(dx, LOWER)
    inside = (dz < upper) & (dz > -lower) & (np.abs(dx) < HALF_WIDTH) & (layout.depth < 0.012)
    r = np.hypot(dx, dz)
    corner = np.clip(np.abs(dx) / HALF_WIDTH, 0.0, 1.0)
    sclera = np.array([0.86, 0.83, 0.80], np.float32)[None, :] * (1.0 - 0.18 * corner ** 2)[:, None]
    iris = np.asarray(IRIS_COLORS[eyes["iris"]], np.float32)[None, :] / 255.0
    limbal = np.clip((r - 0.75 * IRIS) / (0.25 * IRIS), 0.0, 1.0)[:, None]  # a darker ring at the iris' edge
    iris = iris * (1.0 - 0.45 * limbal)
    col = np.where((r < IRIS)[:, None], iris, sclera)
    col = np.where((r < PUPIL)[:, None], np.array([0.06, 0.05, 0.05], np.float32), col)
    glint = np.hypot(dx - 0.35 * IRIS, dz - 0.35 * IRIS) < 0.0011  # a catch light, up and outward
    col[glint] = 0.95
    shade_top = np.clip((upper - dz) / 0.0025, 0.0, 1.0)[:, None]  # the upper lid's shadow on the eyeball
    col = col * (0.7 + 0.3 * shade_top)
    lash = (dz >= upper - LASH) & (dz < upper + 0.6 * LASH) & (np.abs(dx) < HALF_WIDTH + 0.001)
    painted = np.where(inside[:, None], col, skin)
    lash_col = np.array([0.1, 0.07, 0.06], np.float32)
    painted[lash & (layout.depth < 0.012)] = lash_col
    lower_line = (dz <= -lower) & (dz > -lower - 0.8 * LASH) & (np.abs(dx) < HALF_WIDTH)
    painted[lower_line] = 0.75 * skin[lower_line]
    out[layout.vertex_ids] = painted
    return out
