"""Measurements of dressed bodies: how much body shows through the clothes, and where the
clothes sit relative to the skin. Used by the tests and ``bench/bench_render.py``."""

from __future__ import annotations

import numpy as np

from genb.render.dress.dresser import GarmentMesh

PROBE_COVERED, PROBE_BARE = 250, 251


def show_through(raster, body_vertices: np.ndarray, garments: list[GarmentMesh], K: np.ndarray, cam_ext: np.ndarray,
                 width: int, height: int) -> tuple[int, int]:
    """Pixels where the skin a garment should cover is seen, and the garments' projected area.

    The body is drawn twice over: the faces some garment covers with one probe id, the rest
    with another, and the garments on top with their own ids (one label pass, no MSAA).

    Args:
        raster: a :class:`~genb.render.raster.Rasterizer` of the body model.
        body_vertices: (V, 3) posed body, world frame. garments: from :meth:`Dresser.dress`.
        K, cam_ext, width, height: the camera.
    Returns:
        (show-through pixels, garment area in pixels: garment pixels plus show-through pixels).
    """
    from genb.render.raster import Lighting, MeshLayer, vertex_normals

    faces = raster.faces
    covered = np.zeros(len(faces), bool)
    for g in garments:
        if g.covered is not None:
            covered[g.covered] = True
    v = body_vertices.astype(np.float32)
    n = vertex_normals(v, faces, raster._incidence)
    probes = [GarmentMesh(v, n, faces[covered], np.zeros_like(v), PROBE_COVERED),
              GarmentMesh(v, n, faces[~covered], np.zeros_like(v), PROBE_BARE)]
    away = MeshLayer(v + 1e4, np.zeros_like(v), normals=n, extras=[*garments, *probes])  # the body itself: out of view
    light = Lighting(np.array([0.0, 0.0, -1.0]), 0.5, np.ones(3), np.full(3, 0.5))
    passes = raster.build_passes([away], K, cam_ext, light, None)[:2]  # colour and labels (no bare-body pass)
    _, (seg, _) = raster.run_passes(passes, width, height)
    parts = seg[..., 1]
    through = int((parts == PROBE_COVERED).sum())
    garment_ids = {g.part for g in garments}
    area = int(np.isin(parts, list(garment_ids)).sum()) + through
    return through, area


def offset_from_skin(garment: GarmentMesh, body_vertices: np.ndarray) -> np.ndarray:
    """(N,) metres from each garment vertex to the nearest body vertex."""
    from scipy.spatial import cKDTree

    d, _ = cKDTree(body_vertices).query(garment.vertices)
    return d
