"""Level of detail for the colour pass: which body faces a person is drawn with, by their size on screen.

The colour pass (albedo and anti-aliased coverage, :mod:`genb.render.raster.gl`) is the dearest pass on
llvmpipe, and its cost grows with the triangles drawn (about 0.2 us each with 4x MSAA, against 0.1 us in
a single-sampled pass). A body model's mesh (anny: 27k triangles, edges of 1-2 cm) is far finer than
the pixels of a person a few hundred pixels tall; the coarse faces of :mod:`genb.render.raster.casters`
(about a quarter of the triangles over the same vertices, edges of 3-4 cm) draw the same surface to
within a fraction of a pixel there:

- a body's **hidden** faces (under a garment, drawn pushed back: :func:`~genb.render.raster.meshes.push_back`)
  only fill what their garment leaves open; they are drawn coarse for everyone;
- a body's **shown** faces are drawn coarse for a person whose projected body spans less than
  :data:`LOD_PX` pixels (the larger side of its box): a chord of 3-4 cm over a limb of 5 cm radius
  sags 2-3 mm, under 0.3 pixel at that size;
- so are the garment pieces they wear (:func:`piece_faces`), coarse inside and with their open
  edges (hems, cuts) kept edge for edge (:class:`~genb.render.raster.casters.CoarsePieces`): a hem
  stays where the label pass draws it; every person's pieces cast coarse in the sun's pass (its
  texels are about 3 cm).

Only the colour pass changes (and the sun pass, which draws a small person's colour mesh as its
caster): the label, bare-body and texcoord passes (instances, parts, normals, depth, visibility)
draw every face, so the ground truth is exact. The coarse faces' corners are body vertices (the
cluster centres, a quarter of them), drawn with their own colours: nothing is interpolated, and
only the centres are pushed back and uploaded.
Pure functions over arrays.
"""

from __future__ import annotations

import numpy as np

LOD_PX = 200.0  # pixels: a person whose projected body is smaller than this is drawn with coarse faces
_STRIDE = 7  # every 7th vertex gives the projected box (anny: ~2000 of 14k vertices; within a pixel)


def projected_extent(vertices: np.ndarray, K: np.ndarray, cam_ext: np.ndarray, near: float = 0.05) -> float:
    """Pixels the larger side of a mesh's projected bounding box spans (inf if any vertex is closer
    than ``near`` metres in front of the camera, or behind it: such a mesh is never drawn coarse).

    Args:
        vertices: (V, 3) world frame, metres (every ``_STRIDE``-th vertex is projected).
        K: (3, 3) intrinsics (pixels). cam_ext: (4, 4) world-to-camera.
    """
    v = np.asarray(vertices[::_STRIDE], np.float64)
    cam = v @ cam_ext[:3, :3].T + cam_ext[:3, 3]
    z = cam[:, 2]
    if not len(z) or z.min() <= near:
        return float("inf")
    u = K[0, 0] * cam[:, 0] / z
    w = K[1, 1] * cam[:, 1] / z
    return float(max(u.max() - u.min(), w.max() - w.min()))


def coarse_people(people_vertices: list[np.ndarray], K: np.ndarray, cam_ext: np.ndarray,
                  limit_px: float = LOD_PX) -> list[bool]:
    """Per person, whether the colour pass draws their shown body faces coarse (smaller than ``limit_px``).

    Args:
        people_vertices: per person (V, 3) world-frame body vertices, metres.
        K: (3, 3) intrinsics. cam_ext: (4, 4) world-to-camera.
    """
    return [projected_extent(v, K, cam_ext) < limit_px for v in people_vertices]


def colour_faces(faces: np.ndarray, coarse, show: np.ndarray | None,
                 small: bool) -> tuple[tuple[np.ndarray | None, np.ndarray], tuple[np.ndarray | None, np.ndarray] | None]:
    """The colour pass's body draws of one person: ``(in place, pushed back or None)``, each as
    ``(vertex ids, faces)``: draw ``faces`` over ``vertices[vertex ids]`` (ids None: every vertex).

    Args:
        faces: (F, 3) uint32 the body topology. coarse: its :class:`~genb.render.raster.casters.CoarseFaces`,
            or None (a topology too sparse to coarsen: every face is drawn as it is).
        show: (F,) bool faces no garment hides, or None (all shown: nothing is pushed back).
        small: draw the shown faces coarse too (:func:`coarse_people`).
    """
    if coarse is None:
        return (None, faces if show is None else faces[show]), (None if show is None else (None, faces[~show]))
    in_place = (coarse.centres, coarse.shown_local(show)) if small else (None, faces if show is None else faces[show])
    hidden = None if show is None else (coarse.centres, coarse.shown_local(~show))
    return in_place, hidden


def piece_faces(extras: list, pieces) -> np.ndarray | None:
    """(F', 3) uint32 a person's pieces' faces over their vertices concatenated in order (as
    :func:`~genb.render.raster.meshes.concat_extras` lays them out), coarse for every piece whose
    topology allows it; None if none does (draw the full faces).

    Args:
        extras: the pieces (``vertices`` (N, 3), ``faces`` (F, 3)). pieces: a
            :class:`~genb.render.raster.casters.CoarsePieces`.
    """
    out, any_coarse, offset = [], False, 0
    for e in extras:
        n = len(e.vertices)
        c = pieces.get(e.faces, n)
        f = np.asarray(e.faces, np.uint32) if c is None else c.faces
        any_coarse |= c is not None
        out.append(f + np.uint32(offset))
        offset += n
    return np.concatenate(out) if any_coarse else None
