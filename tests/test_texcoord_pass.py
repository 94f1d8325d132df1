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
