"""A loose garment's mesh (a skirt, a dress's skirt, a coat's tail) for a :class:`~genb.render.dress.dresser.Dresser`:
the body vertices it goes around and covers (per cut, kept on the dresser), hung by :func:`~genb.render.dress.hang.hang_grid`.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress import texcoords
from genb.render.dress.hang import RINGS, hang_grid, lower_body
from genb.render.dress.lod import FULL, Detail
from genb.render.dress.materials import fabric_colors
from genb.render.dress.mesh import GarmentMesh, mesh_normals, nan_le

TORSO = PART_INDEX["torso"]
KEEP_CUTS = 32  # cuts kept per dresser (a skirt's waist and hem are drawn on a 0.1 grid; a coat tail's waist follows the pose)


def loose_cut(dresser, waist: float, hem: float, open_front: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(V,) bool the body vertices a loose shell from ``waist`` (trunk coordinate) to ``hem`` (leg coordinate)
    goes around, (V,) bool those of its waist band, and (C,) the body faces it covers: the hips and the legs well
    above the hem (none for an open coat). Read-only, the last :data:`KEEP_CUTS` kept on the ``dresser`` (made per
    call they cost 0.4 ms a skirt)."""
    key = (float(waist), float(hem), bool(open_front))
    got = dresser._loose_cuts.get(key)
    if got is None:
        a, is_leg = dresser.atlas, dresser.is_leg
        enclosed = ((a.parts == TORSO) & (a.torso <= waist)) | (is_leg & nan_le(a.leg, hem + 0.15))
        band = (a.parts == TORSO) & (a.torso <= waist) & (a.torso >= waist - 0.1)
        held = ((a.parts == TORSO) & (a.torso <= waist - 0.05)) | (is_leg & nan_le(a.leg, hem - 0.15))
        cover = np.zeros(0, np.int64) if open_front else np.flatnonzero(held[a.faces].all(axis=1))
        for x in (enclosed, band, cover):
            x.setflags(write=False)
        if len(dresser._loose_cuts) >= KEEP_CUTS:
            dresser._loose_cuts.pop(next(iter(dresser._loose_cuts)))
        got = dresser._loose_cuts[key] = (enclosed, band, cover)
    return got


def loose_garment(dresser, g: dict, vertices: np.ndarray, keypoints: np.ndarray, waist: float, hem: float,
                  margin: float, part: str, open_front: bool, normals: np.ndarray | None = None,
                  detail: Detail = FULL, top=None, seat=None) -> GarmentMesh:
    """A loose shell (skirt, dress skirt, coat tail) from ``waist`` (trunk coordinate) to ``hem``
    (leg coordinate), ``margin`` metres out of the enclosed hips and legs; seg class ``part``; it
    hangs (:mod:`genb.render.dress.hang`). ``normals``: (V, 3) the body's (None: computed).
    ``detail``: its level (:mod:`genb.render.dress.lod`: ``drape`` picks the fine grid). ``top``:
    a coat's hem ring its top ring hangs from (a :class:`~genb.render.dress.coat_join.Hem`), or None.
    ``seat``: the sitter's :class:`~genb.render.dress.seat_cloth.Seat`, or None."""
    a = dresser.atlas
    if normals is None:
        normals = mesh_normals(vertices, np.asarray(a.faces))
    enclosed, band, cover = loose_cut(dresser, waist, hem, open_front)
    if dresser._lower is None:
        dresser._lower = lower_body(a)
    coat = part == "coat"
    coarse = {} if detail.drape else {"rings": 14, "edges": False, "settle_rounds": 1}  # dress.lod
    v, f, rest, n = hang_grid(dresser._lower, a, vertices, normals, keypoints, enclosed, band, hem, margin,
                              0.05 if coat else 0.12, 0.12 if coat else 0.4, open_front, slit=coat and not open_front,
                              skirt=not coat, top=top, seat=seat, **coarse)
    columns = len(v) // coarse.get("rings", RINGS)  # (a fallen skirt's grid is finer round the ring)
    if texcoords.textured(g):  # the pattern per pixel (genb.render.dress.fabric)
        return GarmentMesh(v, n, f, texcoords.mean_colors(g, len(v)), PART_INDEX[part], cover, f"{g['type']}:skirt",
                           uv=texcoords.skirt_texcoords(rest, f), fabric=g, columns=columns)
    return GarmentMesh(v, n, f, fabric_colors(g, rest, np.tile([[0.0, 1.0, 0.0]], (len(v), 1))), PART_INDEX[part],
                       cover, f"{g['type']}:skirt", columns=columns)
