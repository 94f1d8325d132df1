"""Depth-only passes (the sun's shadow map) in framebuffers of their own size.

pyrender keeps one pair of main framebuffers (single and 4x multisample, colour and depth) at the
viewport's size and deletes and rebuilds both whenever the size changes. The sun's map is often
larger than the image (:func:`genb.render.raster.sun_camera.map_scale`), so drawing it in the main
framebuffer rebuilt them twice per sample (to the map's size and back), each time allocating a
multisample colour and depth buffer nobody draws into. A depth-only pass needs neither colour
nor multisampling: :func:`depth_only_target` lends pyrender a depth buffer of the map's size for
the pass, built once per size and kept. The depth values are the same: the same draw calls
rasterize into a single-sampled 24-bit depth buffer either way.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any, Iterator

_KEEP = 8  # sizes kept (a run uses a few: the map grows by whole factors of the image's size)
_TARGETS: OrderedDict[tuple[int, int], tuple[int, int]] = OrderedDict()


def _target(width: int, height: int) -> int:
    """The (framebuffer, depth renderbuffer) of one size, built on first use (the GL context must be current)."""
    from OpenGL import GL

    key = (width, height)
    if key in _TARGETS:
        _TARGETS.move_to_end(key)
        return _TARGETS[key][0]
    rb = int(GL.glGenRenderbuffers(1))
    GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rb)
    GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH_COMPONENT24, width, height)
    fb = int(GL.glGenFramebuffers(1))
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fb)
    GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, rb)
    GL.glDrawBuffer(GL.GL_NONE)  # no colour attachment: nothing to clear or write but depth
    GL.glReadBuffer(GL.GL_NONE)
    status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
    if status != GL.GL_FRAMEBUFFER_COMPLETE:
        GL.glDeleteFramebuffers(1, [fb])
        GL.glDeleteRenderbuffers(1, [rb])
        raise RuntimeError(f"depth-only framebuffer {width}x{height} incomplete (status {status:#x})")
    _TARGETS[key] = (fb, rb)
    while len(_TARGETS) > _KEEP:
        old_fb, old_rb = _TARGETS.popitem(last=False)[1]
        GL.glDeleteFramebuffers(1, [old_fb])
        GL.glDeleteRenderbuffers(1, [old_rb])
    return fb


@contextlib.contextmanager
def depth_only_target(inner: Any, width: int, height: int) -> Iterator[None]:
    """Within the block, pyrender's renderer ``inner`` (``OffscreenRenderer._renderer``) draws and
    reads a ``width`` x ``height`` depth-only framebuffer instead of its main ones, which stay
    as they are (same size, same contents) for the next pass."""
    fb = _target(width, height)
    saved = (inner._main_fb, inner._main_fb_ms, inner._main_fb_dims, inner.viewport_width, inner.viewport_height)
    inner._main_fb = inner._main_fb_ms = fb
    inner._main_fb_dims = (width, height)
    inner.viewport_width, inner.viewport_height = width, height
    inner._configure_main_framebuffer = lambda: None  # keep pyrender's own framebuffers untouched
    try:
        yield
    finally:
        inner.__dict__.pop("_configure_main_framebuffer", None)
        inner._main_fb, inner._main_fb_ms, inner._main_fb_dims, inner.viewport_width, inner.viewport_height = saved
