"""What the rasterizer draws: posed meshes (people with their garments, props, the ground) and
the light record, as plain arrays; vertex normals and the body's part split, pure numpy.

:class:`MeshLayer` one person (body plus garment extras), :class:`PropMesh` a scene object,
:class:`GroundLayer` the ground plane, :class:`Lighting` the key light's record,
:class:`PartSplit` the body's vertices split between parts (exact part ids in the label pass),
:func:`push_back` hidden faces drawn deeper along their camera rays.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

HIDDEN_PUSH = 0.05  # metres the hidden body faces are drawn behind their place (:func:`push_back`)


@dataclasses.dataclass
class MeshLayer:
    """One person's mesh for the rasterizer.

    Attributes:
        vertices: (V, 3) float32, world frame, metres.
        colors: (V, 3) float32 in 0..1, albedo per vertex.
        normals: optional (V, 3) unit vertex normals (computed when None).
        extras: what the person wears (:class:`genb.render.dress.GarmentMesh`-like: ``vertices``,
            ``normals``, ``faces``, ``colors``, ``part``, ``hides``), drawn double-sided with the
            person's instance id and their own part ids. Body faces some piece ``hides`` are left
            out of the colour and label passes (never out of the bare-body pass).
    """

    vertices: np.ndarray
    colors: np.ndarray
    normals: np.ndarray | None = None
    extras: list = dataclasses.field(default_factory=list)


def concat_extras(extras: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One mesh of a person's extra pieces: vertices, normals, faces, colours, per-vertex part ids."""
    offsets = np.cumsum([0] + [len(e.vertices) for e in extras])
    v = np.concatenate([e.vertices for e in extras]).astype(np.float32)
    n = np.concatenate([e.normals for e in extras]).astype(np.float32)
    f = np.concatenate([np.asarray(e.faces, np.uint32) + o for e, o in zip(extras, offsets)])
    c = np.concatenate([np.asarray(e.colors, np.float32) for e in extras])
    parts = np.concatenate([np.full(len(e.vertices), e.part, np.float32) for e in extras])
    return v, n, f, c, parts


@dataclasses.dataclass
class PropMesh:
    """A scene object (prop, wall, held object) for the rasterizer: drawn with instance 0.

    Attributes:
        vertices: (V, 3) float32 world frame, metres. faces: (F, 3) uint32.
        normals: (V, 3) float32 unit world normals. colors: (V, 3) float32 albedo 0..1.
        part: its class id in the part map (``conventions.SCENE_PART_INDEX``).
        casts_shadow: whether it is drawn into the sun's shadow map.
    """

    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray
    colors: np.ndarray
    part: int
    casts_shadow: bool = True


@dataclasses.dataclass
class GroundLayer:
    """A textured square on ``z = 0``.

    Attributes:
        texture: (T, T, 3) uint8 albedo tile.
        size: side of the square, metres (centred on ``center``).
        tile: metres covered by one texture repeat.
        center: (2,) world xy of the square's centre.
    """

    texture: np.ndarray
    size: float = 200.0
    tile: float = 2.0
    center: tuple[float, float] = (0.0, 0.0)


@dataclasses.dataclass
class Lighting:
    """Directional key light plus ambient.

    Attributes:
        direction: (3,) world direction the light travels in (unit).
        intensity: key light intensity.
        color: (3,) RGB 0..1.
        ambient: (3,) ambient RGB 0..1.
    """

    direction: np.ndarray
    intensity: float
    color: np.ndarray
    ambient: np.ndarray


def push_back(vertices: np.ndarray, cam_ext: np.ndarray, distance: float) -> np.ndarray:
    """(V, 3) float32 world points moved away from the camera along their own camera rays until
    their camera z grows by ``distance`` metres: they project to the same pixels, only deeper.

    The body faces a garment or hair hides are drawn this way (``HIDDEN_PUSH`` behind where they
    are): wherever the garment covers them it stays in front, even where it dips into the skin;
    where a view sees past the garment's edge onto them (a grazing look under a hairline, up a
    trouser hem, between an armhole and the arm), they fill the person's silhouette, so no
    background shows through a dressed person.

    Args:
        vertices: (V, 3) world frame, metres; cam_ext: (4, 4) world-to-camera; distance: metres.
    """
    v = np.asarray(vertices, np.float64)
    R, t = cam_ext[:3, :3], cam_ext[:3, 3]
    centre = -R.T @ t
    z = np.maximum(v @ R[2] + t[2], 1e-6)
    return (centre + (v - centre) * ((z + distance) / z)[:, None]).astype(np.float32)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray, incidence: Any = None) -> np.ndarray:
    """(V, 3) float32 unit area-weighted vertex normals of a triangle mesh.

    Args:
        vertices: (V, 3) positions.
        faces: (F, 3) int triangle indices (counter-clockwise = outside).
        incidence: optional (V, F) sparse vertex-face matrix from :func:`vertex_face_incidence`
            (build it once per topology: the sum then is one sparse product); without it the
            face normals are summed with ``np.add.at`` (quicker for small meshes).
    """
    v = vertices.astype(np.float32)
    x, y, z = np.ascontiguousarray(v.T)  # one gather per coordinate and corner: quicker than row gathers
    faces = np.asarray(faces)
    if faces.dtype != np.intp:  # index columns converted once (numpy would convert them at each of the 9 gathers)
        faces = np.asfortranarray(faces, np.intp)
    a, b, c = faces.T
    ax, ay, az = x[a], y[a], z[a]
    ux, uy, uz = x[b] - ax, y[b] - ay, z[b] - az
    wx, wy, wz = x[c] - ax, y[c] - ay, z[c] - az
    fn = np.stack([uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx], axis=1)  # np.cross, written out
    if incidence is None:
        n = np.zeros_like(v)
        for k in range(3):
            np.add.at(n, faces[:, k], fn)
    else:
        n = np.asarray(incidence @ fn, dtype=np.float32)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return n


def compact(faces: np.ndarray, num_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """``(vertex ids (U,), faces (F, 3) uint32 over them)``: the vertices ``faces`` use, in index order, and the
    faces renumbered over them. Draw ``faces`` over ``vertices[ids]``: the same triangles, the same pixels,
    but the rasterizer transforms U vertices, not ``num_vertices`` (llvmpipe runs the vertex stage over
    the index range a draw spans)."""
    used = np.zeros(num_vertices, bool)
    used[faces.ravel()] = True
    ids = np.flatnonzero(used)
    local = np.zeros(num_vertices, np.uint32)
    local[ids] = np.arange(len(ids), dtype=np.uint32)
    return ids, local[faces]


def vertex_face_incidence(faces: np.ndarray, num_vertices: int):
    """(V, F) sparse matrix with a 1 where a vertex belongs to a face."""
    import scipy.sparse

    F = len(faces)
    rows = np.asarray(faces, np.int64).ravel()
    cols = np.repeat(np.arange(F), 3)
    return scipy.sparse.csr_matrix((np.ones(3 * F, np.float32), (rows, cols)), shape=(num_vertices, F))


class PartSplit:
    """The topology re-indexed so that no vertex is shared between body parts, once per body model.

    A face belongs to the part of its first vertex; each part keeps its own copies of the
    vertices its faces use. Drawn with constant per-part vertex colours and no MSAA, every
    pixel then carries exactly one part id.

    Args:
        faces: (F, 3) int triangle indices.
        vertex_parts: (V,) part id of each vertex.
    Attributes:
        vertex_ids: (V',) index into the original vertices of each split vertex.
        faces: (F, 3) uint32 triangles over the split vertices.
        parts: (V',) uint8 part id of each split vertex.
    """

    def __init__(self, faces: np.ndarray, vertex_parts: np.ndarray):
        face_parts = vertex_parts[faces[:, 0]]
        vertex_ids, split_faces, parts, offset, face_ids = [], [], [], 0, []
        for part in np.unique(face_parts):
            face_ids.append(np.flatnonzero(face_parts == part))
            f = faces[face_parts == part]
            vids, inverse = np.unique(f, return_inverse=True)
            vertex_ids.append(vids)
            split_faces.append(inverse.reshape(-1, 3) + offset)
            parts.append(np.full(len(vids), part, np.uint8))
            offset += len(vids)
        self.vertex_ids = np.concatenate(vertex_ids)
        self.faces = np.concatenate(split_faces).astype(np.uint32)
        self.parts = np.concatenate(parts)
        self.face_ids = np.concatenate(face_ids)  # (F,) the original face of each split face


def merge_meshes(meshes: list[tuple[tuple, bool]]) -> list[PropMesh]:
    """One :class:`PropMesh` per (seg class, casts shadow): a place's hundreds of pieces in a few draw calls.

    Args:
        meshes: ((vertices, faces, normals, colours, part), casts_shadow) in a fixed order.
    """
    groups: dict[tuple[int, bool], list] = {}
    for m, shadow in meshes:
        groups.setdefault((int(m[4]), bool(shadow)), []).append(m)
    out = []
    for (part, shadow), ms in sorted(groups.items()):
        offsets = np.cumsum([0] + [len(m[0]) for m in ms[:-1]])
        out.append(PropMesh(np.concatenate([m[0] for m in ms]), np.concatenate([m[1] + o for m, o in zip(ms, offsets)]).astype(np.uint32),
                            np.concatenate([m[2] for m in ms]), np.concatenate([m[3] for m in ms]), part, casts_shadow=shadow))
    return out
