"""The process's GL context and offscreen drawing: one pyrender renderer per process (EGL or
OSMesa), passes drawn in scene order without pyrender's unused buffers and readbacks, the
framebuffer read back as colour and metric depth, the driver's size limit, the EGL device of
this rank.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from typing import Any, Iterator

import numpy as np

from genb.errors import GenbError


def draw_order(scene: Any, reverse: bool = False) -> list:
    """The scene's mesh nodes in the order they were added to it (``reverse``: the opposite).

    pyrender keeps a scene's mesh nodes in a set and sorts them by their distance to the camera
    (equal for genb's nodes, all at the origin), so its draw order follows object addresses and
    two surfaces at the same depth would be resolved differently from run to run. The scene
    graph (a networkx graph, insertion ordered) holds the order in which the nodes were added:
    genb draws in that order, fixed by the scene alone. ``reverse`` exists to check that no
    surfaces of different nodes tie (the passes then give the same bytes).
    """
    meshes = scene.mesh_nodes
    nodes = [n for n in scene._digraph.nodes if n in meshes]
    if len(nodes) != len(meshes):  # pyrender's graph changed under us: refuse rather than guess
        raise RuntimeError("pyrender's scene graph no longer lists every mesh node; draw order unknown")
    return nodes[::-1] if reverse else nodes


def render_pass(r: Any, scene: Any, flags: int, seg_map: dict | None, reverse: bool = False) -> Any:
    """pyrender's ``OffscreenRenderer.render``, less the work genb does not need, in a draw order
    fixed by the scene (:func:`draw_order`; ``reverse`` draws it backwards).

    pyrender draws every pass into a 4x multisample framebuffer, blits it down and reads both
    colour and depth back. A label pass (``SEG``: no multisampling, one value per pixel) and a
    depth-only pass gain nothing from the multisample buffer but pay for clearing, writing and
    resolving four samples per pixel (on llvmpipe about half of such a pass): they draw straight
    into the single-sample framebuffer and are read from there, the same pixel-centre values
    (instances and parts bit for bit; depth within the 24-bit buffer's precision). The colour
    pass keeps its multisampling (its anti-aliased edges and coverage) but skips the depth
    readback. Shaders and draw calls stay pyrender's, issued by genb's forward pass with the state
    set once per pass (:mod:`genb.render.raster.forward`); uploads write the same buffer bytes into
    pooled GL buffers (:mod:`genb.render.raster.upload`).
    """
    from genb.render.raster.upload import fast_uploads

    inner = r._renderer
    fast_uploads(scene)  # the same buffers, one copy instead of five
    scene.get_pose = _pose_memo(scene)  # a node's pose once per pass, not once per draw
    try:
        with genb_forward(inner, reverse):
            if not r._platform.supports_framebuffers():  # (OSMesa) pyrender's own path
                return r.render(scene, flags=flags, seg_node_map=seg_map)
            return _render_offscreen(r, inner, scene, flags, seg_map)
    finally:
        scene.__dict__.pop("get_pose", None)


@contextlib.contextmanager
def genb_forward(inner: Any, reverse: bool = False) -> Iterator[None]:
    """Within the block, pyrender's renderer ``inner`` draws its forward pass with
    :func:`genb.render.raster.forward.forward_pass` (the same pixels, the state set once per pass),
    the scene's meshes in :func:`draw_order` (``reverse``: backwards)."""
    from genb.render.raster.forward import forward_pass

    inner._sorted_mesh_nodes = lambda sc: draw_order(sc, reverse)  # instead of pyrender's set order
    inner._forward_pass = lambda sc, fl, seg_node_map=None: forward_pass(inner, sc, fl, seg_node_map,
                                                                          draw_order(sc, reverse))
    try:
        yield
    finally:
        inner.__dict__.pop("_sorted_mesh_nodes", None)  # pyrender's methods again
        inner.__dict__.pop("_forward_pass", None)


def _pose_memo(scene: Any):
    """``scene.get_pose`` remembered per node for one pass (nothing moves while a pass draws).

    pyrender asks a node's world pose at every draw (twice per primitive with the camera's):
    each call rebuilds the node's matrix from its quaternion and walks the scene graph, about
    0.1 ms, 200-odd times a sample. The same matrices, computed once per node."""
    get_pose = type(scene).get_pose
    poses: dict = {}

    def memo(node):
        pose = poses.get(node)
        if pose is None:
            pose = poses[node] = np.eye(4) if _unmoved(scene, node) else get_pose(scene, node)
        return pose.copy()

    return memo


def _unmoved(scene: Any, node: Any) -> bool:
    """True when ``node`` hangs from the scene's root with pyrender's default transform (no translation,
    the unit quaternion, unit scale; every mesh node genb adds): its world pose is exactly the identity,
    the matrix pyrender would build from its quaternion."""
    if node._matrix is not None:
        identity = np.array_equal(node._matrix, np.eye(4))
    else:
        identity = (not node.translation.any() and node.rotation[3] == 1.0 and not node.rotation[:3].any()
                    and (node.scale == 1.0).all())
    return identity and list(scene._digraph.successors(node)) == ["world"]


def _render_offscreen(r: Any, inner: Any, scene: Any, flags: int, seg_map: dict | None) -> Any:
    """:func:`render_pass` with framebuffers: label and depth passes single-sampled."""
    from OpenGL import GL
    from pyrender.constants import RenderFlags

    single = bool(flags & (RenderFlags.SEG | RenderFlags.DEPTH_ONLY))
    r._platform.make_current()
    if flags & RenderFlags.DEPTH_ONLY:  # its own depth buffer: pyrender's stay at the image's size
        from genb.render.raster.depth_target import depth_only_target

        with depth_only_target(inner, r.viewport_width, r.viewport_height):
            inner._read_main_framebuffer = lambda sc, fl: read_framebuffer(inner, 0, sc, fl, True)
            try:
                return inner.render(scene, flags | RenderFlags.OFFSCREEN, seg_map)
            finally:
                inner.__dict__.pop("_read_main_framebuffer", None)
                GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
    inner.viewport_width, inner.viewport_height = r.viewport_width, r.viewport_height
    inner.point_size = r.point_size
    inner._configure_main_framebuffer()  # (re)built at the viewport's size, before the swap below
    multisample = inner._main_fb_ms
    try:
        if single:
            inner._main_fb_ms = inner._main_fb  # the forward pass binds this one to draw into
        inner._read_main_framebuffer = lambda sc, fl: read_framebuffer(inner, multisample, sc, fl, single)
        return inner.render(scene, flags | RenderFlags.OFFSCREEN, seg_map)
    finally:
        inner._main_fb_ms = multisample
        inner.__dict__.pop("_read_main_framebuffer", None)  # pyrender's method again
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)


def read_framebuffer(inner: Any, multisample: int, scene: Any, flags: int, single: bool) -> Any:
    """What :func:`render_pass` reads back: a single-sampled pass's colour and linear depth
    (pyrender's conversion, vectorised), or the multisampled colour pass's resolved colour alone."""
    from OpenGL import GL
    from pyrender.constants import RenderFlags

    width, height = inner._main_fb_dims
    fmt, channels = (GL.GL_RGBA, 4) if flags & RenderFlags.RGBA else (GL.GL_RGB, 3)
    if not single:  # resolve the colour samples; the depth buffer is not needed
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, multisample)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, inner._main_fb)
        GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, inner._main_fb)
        raw = GL.glReadPixels(0, 0, width, height, fmt, GL.GL_UNSIGNED_BYTE)
        return np.frombuffer(raw, np.uint8).reshape(height, width, channels)[::-1], None
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, inner._main_fb)
    raw = GL.glReadPixels(0, 0, width, height, GL.GL_DEPTH_COMPONENT, GL.GL_FLOAT)
    z = np.frombuffer(raw, np.float32).reshape(height, width)[::-1]
    near, far = scene.main_camera_node.camera.znear, scene.main_camera_node.camera.zfar
    depth = np.zeros((height, width), np.float32)  # 0 where nothing was drawn (the sun's map is mostly
    hit = z != 1.0  # empty, a label pass often half): convert only the covered pixels
    depth[hit] = _linear(z[hit], near, far)
    if flags & RenderFlags.DEPTH_ONLY:
        return depth
    raw = GL.glReadPixels(0, 0, width, height, fmt, GL.GL_UNSIGNED_BYTE)
    return np.frombuffer(raw, np.uint8).reshape(height, width, channels)[::-1], depth


def _linear(z: np.ndarray, near: float, far: float | None) -> np.ndarray:
    """pyrender's linear depth of float32 depth-buffer values ``z`` (elementwise, float32)."""
    ndc = 2.0 * z - 1.0
    if far is None:
        return 2 * near / (1.0 - ndc)
    return (2.0 * near * far) / (far + near - ndc * (far - near))


_RENDERER: dict[str, Any] = {}


def shared_renderer(pr: Any, platform: str, width: int, height: int):
    """The process's one pyrender OffscreenRenderer, resized as needed.

    pyrender's EGL ``delete()`` terminates the process-wide EGL display, which
    breaks every other context; so genb keeps a single renderer per process and
    frees it at exit.
    """
    r = _RENDERER.get(platform)
    if r is None:
        if platform == "egl":
            _pick_egl_device()
        try:
            r = pr.OffscreenRenderer(width, height)
        except Exception as e:  # noqa: BLE001
            raise GenbError(
                f"could not create an offscreen GL context with {platform}: {e}",
                "check that Mesa (libegl1) is installed, or try --gl-platform osmesa",
            ) from None
        _RENDERER[platform] = r
        atexit.register(r.delete)
    elif (r.viewport_width, r.viewport_height) != (width, height):
        r.viewport_width, r.viewport_height = width, height
    _check_gl_size(r, width, height)
    return r


def _check_gl_size(renderer: Any, width: int, height: int) -> None:
    """One clear error when the GL driver's framebuffers cannot hold a ``width`` x ``height`` image."""
    limit = getattr(renderer, "_genb_max_size", None)
    if limit is None:
        try:
            from OpenGL import GL

            dims = GL.glGetIntegerv(GL.GL_MAX_VIEWPORT_DIMS)
            limit = int(min(int(min(dims)), int(GL.glGetIntegerv(GL.GL_MAX_RENDERBUFFER_SIZE))))
        except Exception:  # noqa: BLE001 - no current context to ask: leave it to the driver
            limit = 1 << 30
        renderer._genb_max_size = limit
    if max(width, height) > limit:
        raise GenbError(f"this GL driver renders at most {limit} pixels a side, the image is {width}x{height}",
                        f"use a smaller --image-size (each side at most {limit})")


def _pick_egl_device() -> None:
    """One GPU per local rank: set ``EGL_DEVICE_ID`` from ``LOCAL_RANK`` when several EGL
    devices exist and the user has not chosen one (a CPU-only machine has one: Mesa)."""
    if "EGL_DEVICE_ID" in os.environ or "LOCAL_RANK" not in os.environ:
        return
    try:
        from pyrender.platforms import egl

        devices = egl.query_devices()
    except Exception:  # noqa: BLE001 - no EGL device query: leave the default device
        return
    if len(devices) > 1:
        os.environ["EGL_DEVICE_ID"] = str(int(os.environ["LOCAL_RANK"]) % len(devices))
