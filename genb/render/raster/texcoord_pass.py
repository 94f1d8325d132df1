"""The texcoord pass: per-pixel cloth coordinates of the textured garment pieces (no MSAA).

Drawn like the label pass (``FLAT | SEG | RGBA``, one value per pixel at the pixel centre), but
only the pieces that carry cloth coordinates (``uv``, :func:`genb.render.dress.fabric.cloth_coordinates`):
wherever the label pass shows such a piece, nothing else is in front of it, so the front-most
textured piece here is the same surface (the same triangles, the same rasterization). Each
pixel holds the fine phase of (u, v) in R, G (a 256-texel coordinate texture, NEAREST, REPEAT)
and the coarse (u, v) in B, A (vertex colours); :func:`genb.render.dress.fabric.decode_texcoords`
turns them into metres.

A piece's :class:`~genb.render.dress.texcoords.ClothMap` cuts its triangles along its seams (where
the unrolled coordinates jump, :mod:`genb.render.dress.charts`), so no triangle interpolates across a
jump and a chart ends on a straight line; the cut points are posed with the piece.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.render.dress.charts import positions
from genb.render.dress.fabric import coordinate_texture, encode_vertex_texcoords
from genb.render.raster.meshes import compact

_TEXTURE: dict[str, Any] = {}


@dataclasses.dataclass
class TexturedPiece:
    """A piece of a person drawn only in the texcoord pass (e.g. the eye regions of the body):
    ``vertices`` (V, 3) posed, ``uv`` its :class:`~genb.render.dress.texcoords.ClothMap` over them."""

    vertices: np.ndarray
    uv: Any


def _material(pr: Any, double_sided: bool = True) -> Any:
    """The coordinate texture's flat material, built once per process: double-sided for garments (drawn
    so in the label pass), one-sided for the body's own pieces (the label pass culls the body's back faces,
    so here too: the same front surface, and about half the triangles rasterized)."""
    key = "material" if double_sided else "material_front"
    m = _TEXTURE.get(key)
    if m is None:
        tex = _TEXTURE.get("texture")
        if tex is None:
            G = pr.constants.GLTF
            tex = _TEXTURE["texture"] = pr.Texture(
                source=coordinate_texture(), source_channels="RGBA",
                sampler=pr.Sampler(magFilter=G.NEAREST, minFilter=G.NEAREST, wrapS=G.REPEAT, wrapT=G.REPEAT))
        m = pr.MetallicRoughnessMaterial(baseColorTexture=tex, baseColorFactor=[1.0, 1.0, 1.0, 1.0], doubleSided=double_sided)
        _TEXTURE[key] = m
    return m


def build_texcoord_pass(pr: Any, K: np.ndarray, cam_ext: np.ndarray,
                        people_extras: list[list]) -> tuple[Any, int, dict] | None:
    """The texcoord pass ``(scene, flags, seg_node_map)`` for :meth:`Rasterizer.run_passes`, or None
    when no piece is textured.

    Args:
        pr: the pyrender module. K: (3, 3) intrinsics. cam_ext: (4, 4) world-to-camera.
        people_extras: per person the pieces they wear (:class:`genb.render.dress.GarmentMesh`);
            those with a ``uv`` (:class:`~genb.render.dress.texcoords.ClothMap`) are drawn, double-sided;
            :class:`TexturedPiece` s (the body's skin and eyes) with their back faces culled, as the label pass does.
    """
    scene = pr.Scene(bg_color=[0, 0, 0, 0])
    seg_map = {}
    mat, front = _material(pr), _material(pr, double_sided=False)
    for extras in people_extras:
        prims = []
        for e in extras:
            cloth = getattr(e, "uv", None)
            if cloth is None or not len(cloth.faces):  # (no faces: nothing drawn)
                continue
            tc, col = cloth.encoded if getattr(cloth, "encoded", None) is not None else encode_vertex_texcoords(cloth.uv)
            ids, faces = compact(cloth.faces, len(cloth.index))  # only the vertices drawn (skin: the shown faces')
            v = positions(cloth.index, getattr(cloth, "mixed", None), e.vertices, ids)  # (cut points: dress.charts)
            prims.append(pr.Primitive(positions=v, indices=faces, texcoord_0=tc[ids], color_0=col[ids],
                                      material=front if isinstance(e, TexturedPiece) else mat))
        if prims:
            seg_map[scene.add(pr.Mesh(primitives=prims))] = (0, 0, 0)
    if not seg_map:
        return None
    from genb.render.labels.camera import gl_camera_pose, gl_intrinsics
    from genb.render.raster.gl import ZFAR, ZNEAR

    fx, fy, cx, cy = gl_intrinsics(K)
    cam = pr.IntrinsicsCamera(fx, fy, cx, cy, znear=ZNEAR, zfar=ZFAR)
    scene.add_node(pr.Node(camera=cam, matrix=gl_camera_pose(cam_ext)))
    return scene, pr.RenderFlags.FLAT | pr.RenderFlags.RGBA, seg_map


def render_texcoord_pass(raster: Any, texcoord_pass: tuple, width: int, height: int,
                         reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Draw a pass from :func:`build_texcoord_pass`: ``(rgba (H, W, 4) uint8, depth (H, W) float32)``.

    pyrender binds a material's textures only outside its SEG mode, and there it multisamples;
    this pass needs both the texture and one value per pixel, so it is drawn in FLAT mode into the
    single-sampled framebuffer (as :func:`genb.render.raster.context.render_pass` draws the label pass), in
    the scene's own order (``reverse``: backwards, as :func:`genb.render.raster.context.draw_order`).
    """
    from OpenGL import GL
    from pyrender.constants import RenderFlags

    from genb.render.raster import context as R
    from genb.render.raster.upload import fast_uploads

    scene, flags, _ = texcoord_pass
    fast_uploads(scene)  # the same buffers, one copy, pooled (genb.render.raster.upload)
    r = raster._renderer_for(width, height)
    inner = r._renderer
    r._platform.make_current()
    inner.viewport_width, inner.viewport_height = r.viewport_width, r.viewport_height
    inner.point_size = r.point_size
    inner._configure_main_framebuffer()
    multisample = inner._main_fb_ms
    try:
        inner._main_fb_ms = inner._main_fb
        inner._read_main_framebuffer = lambda sc, fl: R.read_framebuffer(inner, multisample, sc, fl, True)
        with R.genb_forward(inner, reverse):
            return inner.render(scene, flags | RenderFlags.OFFSCREEN, None)
    finally:
        inner._main_fb_ms = multisample
        inner.__dict__.pop("_read_main_framebuffer", None)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
