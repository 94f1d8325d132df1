"""The texcoord pass draws garments double-sided and the body's own pieces (skin, eyes) one-sided."""

import numpy as np
import pytest

from test_fabric import _plane_piece, _texcoords


@pytest.fixture(scope="module")
def raster():
    from genb.render.raster.gl import Rasterizer

    return Rasterizer(np.array([[0, 1, 2]]), np.zeros(3, np.int64))


def test_body_pieces_cull_back_faces_garments_do_not(raster):
    from genb.render.dress.texcoords import ClothMap
    from genb.render.raster.texcoord_pass import TexturedPiece

    hits = {}
    for flip in (False, True):
        garment = _plane_piece()
        faces = garment.uv.faces[:, ::-1] if flip else garment.uv.faces
        cloth = ClothMap(garment.uv.index, np.ascontiguousarray(faces), garment.uv.uv)
        garment.uv = cloth
        hits["garment", flip] = (_texcoords(raster, garment)[1] > 0).mean()
        hits["body", flip] = (_texcoords(raster, TexturedPiece(garment.vertices, cloth))[1] > 0).mean()
    assert hits["garment", False] > 0.5 and hits["garment", True] > 0.5
    front = max((False, True), key=lambda f: hits["body", f])
    assert hits["body", front] == hits["garment", front]  # the side that faces the camera: every pixel
    assert hits["body", not front] == 0.0  # the back of the skin is never drawn (the label pass culls it)


def test_a_piece_uploads_only_the_vertices_its_faces_use(raster):
    import pyrender

    from genb.render.dress.texcoords import ClothMap
    from genb.render.raster.texcoord_pass import TexturedPiece, build_texcoord_pass

    plane = _plane_piece()
    half = plane.uv.faces[: len(plane.uv.faces) // 3]  # a garment hides the rest
    piece = TexturedPiece(plane.vertices, ClothMap(plane.uv.index, half, plane.uv.uv))
    rgba, depth, K, ext = _texcoords(raster, piece)
    scene, _, _ = build_texcoord_pass(pyrender, K, ext, [[piece]])
    (prim,), = [n.mesh.primitives for n in scene.mesh_nodes]
    assert len(prim.positions) == len(np.unique(half)) < len(plane.vertices)
    full, full_depth, _, _ = _texcoords(raster, plane)  # the whole plane: the drawn third is the same pixels
    drawn = depth > 0
    assert drawn.mean() > 0.1 and np.array_equal(rgba[drawn], full[drawn]) and np.array_equal(depth[drawn], full_depth[drawn])
