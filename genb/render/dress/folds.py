"""Folds from the pose: compression folds inside bent elbows and knees and across the front of a
flexed hip, on any tight garment shell, plus the hanging folds of its loose parts (loose trouser
legs, sleeves under a raised arm: :mod:`~genb.render.dress.hang_folds`).

A bent joint gathers the cloth on its inner side into ridges across the limb. An elbow's inner side is taken
square to the ridges' axis (the mean of the upper arm's and the forearm's): taken across the upper arm alone (as a
knee's and a hip's still are) it lay half along that axis, so the crook itself faced it at about 0.4 and a hoodie's
ridges there were 4-8 mm high, now 8-13 mm (``tests/test_sleeve_bend.py``). Per shell vertex,
from where it sits along the limb (the atlas's arm and leg coordinates, or its height on the
trunk for the hip crease, cached on the shell) and which way the joint bends (from the BODY25
keypoints), a height field of ridges is built: rings across the limb, a little diagonal,
``FOLD_WAVELENGTH`` apart, windowed around the joint, strongest on the inner side of the bend and
growing with the bend angle and the garment's ease. The cloth is moved out along its normal by
that height (outwards only: a fold never moves cloth into the body), its normal is tilted by the
slope of ``NORMAL_GAIN`` times that height (the shading and the normal control map show the folds) and its colour darkened
a little in the creases. A straight joint (the rest pose) gives no folds.

Pure functions over arrays; about a millisecond per garment.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25
from genb.render.dress.hang_folds import hanging_folds, may_hang
from genb.render.dress.vec import cross, length, norm

FOLD_WAVELENGTH = 0.07  # metres between two ridges (a shell vertex is 1-3 cm from the next)
FOLD_REACH = 0.09  # metres: the Gaussian window's width either side of the joint
CREASE_SHADE = 0.18  # at most this share of the albedo goes in a crease's valley
NORMAL_GAIN = 2.5  # the normals tilt as for folds this much deeper than the cloth is moved (silhouettes stay calm)


def _coords(shell, atlas) -> dict:
    """Per shell vertex (cached on the shell's blend matrix: a copy of a cached shell with another
    ``extra``, as a flared trouser leg, shares it): arm and leg coordinates, trunk height, side."""
    got = getattr(shell.blend, "_genb_fold_coords", None)
    if got is None:
        from genb.render.dress.texcoords import row_argmax

        dom = row_argmax(shell.blend)
        got = {"arm": np.nan_to_num(atlas.arm[dom], nan=-9.0), "leg": np.nan_to_num(atlas.leg[dom], nan=-9.0),
               "torso": atlas.torso[dom], "side": atlas.side[dom], "trunk": np.isnan(atlas.arm[dom]) & np.isnan(atlas.leg[dom])}
        shell.blend._genb_fold_coords = got
    return got


def _chain_vertices(c: dict, name: str, sgn: float, at: float) -> tuple[np.ndarray, np.ndarray]:
    """The shell vertices (ids) a chain (``arm``, ``leg`` or the ``hip`` crease) of side ``sgn`` may fold, within
    0.6 of its joint ``at`` along it, and their coordinate along it: fixed for a shell, cached in its coordinates
    ``c`` (:func:`_coords`)."""
    key = ("chain", name, sgn)
    got = c.get(key)
    if got is None:
        coord = c[name] if name != "hip" else np.where(c["trunk"], -c["torso"], c["leg"])
        sel = (c["side"] == sgn) & (coord > at - 0.6) & (coord < at + 0.6)
        if name == "hip":
            sel &= (c["trunk"] & (c["torso"] < 0.35)) | (~c["trunk"] & (c["leg"] >= 0) & (c["leg"] < 0.5))
        ids = np.flatnonzero(sel)
        got = c[key] = (ids, coord[ids])
    return got


def _unit(x: np.ndarray) -> np.ndarray:
    return x / max(float(length(x)), 1e-9)


def bend(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[float, np.ndarray]:
    """The bend angle (radians, 0 straight) at ``b`` of the chain a-b-c, and the unit direction
    of the bend's inner side (across the segment a-b, towards c)."""
    u, w = _unit(b - a), _unit(c - b)
    angle = float(np.arccos(np.clip(u @ w, -1.0, 1.0)))
    inner = w - u * (w @ u)
    return angle, _unit(inner) if length(inner) > 1e-6 else np.zeros(3)


_LAST_BENDS: tuple | None = None  # (keypoints' bytes, their bends): a person's garments share them


def joint_bends(kp: np.ndarray) -> dict[tuple[str, float], tuple[float, np.ndarray]]:
    """{(chain, side sign): :func:`bend`} of the elbows (``arm``), knees (``leg``) and hip creases (``hip``:
    neck, hip, knee) of BODY25 keypoints (25, 3) float64; side sign 1 left, -1 right. The last person's
    are kept: each of their garments folds with the same bends."""
    global _LAST_BENDS
    key = kp.tobytes()
    last = _LAST_BENDS
    if last is not None and last[0] == key:
        return last[1]
    got = {}
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        sh, el, wr, hp, kn, an = (kp[K25[f"{side}_{j}"]] for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"))
        got[("arm", sgn)], got[("leg", sgn)], got[("hip", sgn)] = bend(sh, el, wr), bend(hp, kn, an), bend(kp[K25["neck"]], hp, kn)
    _LAST_BENDS = (key, got)
    return got


_LAST_CHAINS: tuple | None = None  # (keypoints' bytes, their chains): a person's garments share them


def _chains(kp: np.ndarray) -> list[tuple]:
    """Per chain (elbows ``arm``, knees ``leg``, hip creases ``hip``: the trunk's axis, neck to hip, bending into
    the thigh) of BODY25 keypoints (25, 3) float64: its name, side sign, joint (3,), the joint's coordinate along
    it, the lengths in and out of the joint, the unit axes in and out and their mean's unit. The last person's are
    kept (each of their garments folds along the same chains: 12 norms and 18 unit vectors a garment before)."""
    global _LAST_CHAINS
    key = kp.tobytes()
    last = _LAST_CHAINS
    if last is not None and last[0] == key:
        return last[1]
    chains = []
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        sh, el, wr = (kp[K25[f"{side}_{j}"]] for j in ("shoulder", "elbow", "wrist"))
        hp, kn, an = (kp[K25[f"{side}_{j}"]] for j in ("hip", "knee", "ankle"))
        for name, a, b, d, at in (("arm", sh, el, wr, 1.0), ("leg", hp, kn, an, 1.0), ("hip", kp[K25["neck"]], hp, kn, 0.0)):
            axis_in, axis_out = _unit(b - a), _unit(d - b)
            chains.append((name, sgn, b, at, length(b - a), length(d - b), axis_in, axis_out,
                           _unit(axis_in + axis_out)))
    _LAST_CHAINS = (key, chains)
    return chains


def _ridges(points, normals, joint, axis, inner, s, amp, phase_tilt=6.0):
    """Height (N,) and its slope along the limb (N,) of ridges across the limb at ``s`` metres from
    the joint (points (N, 3), normals (N, 3), joint (3,), axis (3,) unit along the limb)."""
    r = points - joint
    r -= axis * (r @ axis)[:, None]
    rl = np.maximum(norm(r), 1e-9)
    facing = np.clip((r @ inner) / rl, 0.0, 1.0) ** 1.5  # the inner side of the bend
    lateral = (r @ cross(axis, inner)) / rl  # -1..1 around the limb: the ridges run a little diagonal
    k = 2 * np.pi / FOLD_WAVELENGTH
    phase = k * s + phase_tilt * lateral
    win = np.exp(-(s / FOLD_REACH) ** 2) * facing * amp
    return win * 0.5 * (1 + np.cos(phase)), -win * 0.5 * k * np.sin(phase), win


def fold(shell, atlas, vertices: np.ndarray, normals: np.ndarray, keypoints: np.ndarray, ease: float):
    """Folds of one posed garment shell.

    Args:
        shell: its :class:`~genb.render.dress.shells.Shell`. atlas: the body's atlas.
        vertices, normals: (G, 3) the posed shell (world frame, metres). keypoints: (25, 3) BODY25.
        ease: the garment's ease, metres (looser cloth folds deeper).
    Returns:
        (G, 3) float32 vertices, (G, 3) float32 unit normals, (G,) float32 albedo factors (<= 1),
        or None when no joint is bent enough to fold the cloth.
    """
    kp = np.asarray(keypoints, np.float64)
    bends = joint_bends(kp)
    if max(angle for angle, _ in bends.values()) <= 0.35 and not may_hang(shell, kp, ease):
        return None  # every joint near straight, no loose cloth hanging: no folds (most standing people)
    c = _coords(shell, atlas)
    P = np.asarray(vertices, np.float64)
    N = np.asarray(normals, np.float64)
    amp_max = min(0.007 + 0.4 * ease, 0.014)
    h = np.zeros(len(P))
    slope_vec = np.zeros_like(P)
    crease = np.zeros(len(P))
    for name, sgn, b, at, len_in, len_out, axis_in, axis_out, mid in _chains(kp):
        angle, inner = bends[(name, sgn)]
        if name == "arm":  # the crook's side square to the ridges' axis (mid): across the upper arm alone it lay
            inner = _unit(inner - mid * (inner @ mid))  # half along mid, the crook faced it at ~0.4 (ridges 4-8 mm, now 8-13)
        strength = np.clip((angle - 0.35) / 1.2, 0.0, 1.0)
        if strength <= 0.0:
            continue
        ids, along = _chain_vertices(c, name, sgn, at)
        if not len(ids):
            continue
        s = (along - at) * np.where(along < at, len_in, len_out)  # metres from the joint along the limb
        axis = np.where((s < 0)[:, None], axis_in, axis_out)
        hh, dh, win = _ridges(P[ids], N[ids], b, mid, inner, s, amp_max * strength)
        h[ids] += hh
        slope_vec[ids] += NORMAL_GAIN * dh[:, None] * axis
        crease[ids] = np.maximum(crease[ids], (win - hh) / max(amp_max, 1e-9))
    hung = hanging_folds(c, shell, atlas, P, N, kp, ease)  # drape folds of loose cloth (dress.hang_folds)
    if hung is not None:
        h += hung[0]
        slope_vec += NORMAL_GAIN * hung[1]
    if not h.any():
        return None
    tilt = slope_vec - N * np.einsum("ij,ij->i", slope_vec, N)[:, None]
    n2 = N - tilt
    n2 /= np.maximum(norm(n2, keepdims=True), 1e-9)
    return ((P + h[:, None] * N).astype(np.float32), n2.astype(np.float32),
            (1.0 - CREASE_SHADE * np.clip(crease, 0.0, 1.0)).astype(np.float32))
