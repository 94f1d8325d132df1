"""Measurements of dressed bodies: how much body shows through the clothes, and where the
clothes sit relative to the skin. Used by the tests and ``bench/bench_render.py``."""

from __future__ import annotations

import numpy as np

from genb.render.dress.mesh import GarmentMesh

PROBE_COVERED, PROBE_BARE = 250, 251


def show_through(raster, body_vertices: np.ndarray, garments: list[GarmentMesh], K: np.ndarray, cam_ext: np.ndarray,
                 width: int, height: int) -> tuple[int, int]:
    """Pixels where the skin a garment should cover is seen, and the garments' projected area.

    The body is drawn twice over: the faces some garment covers with one probe id, the rest
    with another, and the garments on top with their own ids (one label pass, no MSAA).

    Args:
        raster: a :class:`~genb.render.raster.gl.Rasterizer` of the body model.
        body_vertices: (V, 3) posed body, world frame. garments: from :meth:`Dresser.dress`.
        K, cam_ext, width, height: the camera.
    Returns:
        (show-through pixels, garment area in pixels: garment pixels plus show-through pixels).
    """
    from genb.render.raster.meshes import Lighting, MeshLayer, vertex_normals

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


def roughness(points: np.ndarray, normals: np.ndarray, select, radius: float = 0.04, stat=np.mean) -> float:
    """Mean high-frequency height of a surface: over the ``select``-ed points, how far each lies
    off a quadric fitted (least squares, in its tangent frame) to the surface points within
    ``radius`` metres whose normals are within 60 degrees of its own (one sheet of the surface). Curvature at the scale of the radius (a chest, a shoulder) fits the quadric
    and scores 0; smaller forms (a navel, nipples, abs, a cleft) score their depth.

    Args: points (N, 3), normals (N, 3) unit, select (N,) bool or indices. Returns metres.
    """
    from scipy.spatial import cKDTree

    points = np.asarray(points, np.float64)
    normals = np.asarray(normals, np.float64)
    tree = cKDTree(points)
    sel = np.flatnonzero(select) if np.asarray(select).dtype == bool else np.asarray(select)
    out = []
    for i, group in zip(sel, tree.query_ball_point(points[sel], radius)):
        group = np.asarray(group)
        group = group[normals[group] @ normals[i] > 0.5]  # one sheet: not across to an arm or a fold
        if len(group) < 8:
            continue
        n = normals[i]
        t = np.cross(n, [1.0, 0.0, 0.0] if abs(n[0]) < 0.9 else [0.0, 1.0, 0.0])
        t /= np.linalg.norm(t)
        b = np.cross(n, t)
        q = points[group] - points[i]
        x, y, h = q @ t, q @ b, q @ n
        A = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)
        coef = np.linalg.lstsq(A, h, rcond=None)[0]
        out.append(abs(coef[0]))
    return float(stat(out)) if out else 0.0
