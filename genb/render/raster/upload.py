"""Mesh uploads for the passes: pyrender's ``Primitive._add_to_context`` with one copy instead of five,
and GL names reused instead of created and deleted for every primitive of every pass.

pyrender interleaves a primitive's vertex attributes with ``np.hstack`` (one new array per
attribute), then ``flatten`` and ``astype(float32)`` (two more copies) before ``glBufferData``.
A sample uploads a few dozen meshes of ten thousand vertices and more in its passes; this
writes the same interleaved float32 buffer (the same bytes, in the same attribute order and
layout) into one preallocated array. :func:`fast_uploads` installs it on a scene's primitives
that are not yet in the GL context. Every pass removes the previous pass's primitives and adds
its own (pyrender's ``_update_context``): instead of a new vertex array, vertex, element and
instance-matrix buffer each time (about 20 GL calls through PyOpenGL a primitive), a primitive
takes the names of one that left with the same attribute layout and refills its two buffers; all
share one identity instance-matrix buffer (:func:`upload`, :func:`release`).
"""

from __future__ import annotations

import ctypes
import types
from typing import Any

import numpy as np


def fast_uploads(scene: Any) -> None:
    """Make every primitive of ``scene`` not yet uploaded use :func:`upload` when pyrender adds it."""
    for mesh in scene.meshes:
        for p in mesh.primitives:
            if p._vaid is None and "_add_to_context" not in p.__dict__:
                p._add_to_context = types.MethodType(upload, p)


def _attributes(p: Any) -> list[np.ndarray]:
    """The vertex attributes pyrender interleaves, in its order (positions, normals, tangents,
    texcoord 0 and 1, colour 0)."""
    return [a for a in (p.positions, p.normals, p.tangents, p.texcoord_0, p.texcoord_1, p.color_0) if a is not None]


def vertex_data(p: Any, out: np.ndarray | None = None) -> tuple[np.ndarray, list[int]]:
    """(n * k,) float32 the interleaved vertex buffer of primitive ``p`` (n vertices of k floats, as
    pyrender lays it out) and the k floats' split into attributes.

    Args:
        out: a float32 array of at least n * k values to write into (its start is returned), or None."""
    attrs = _attributes(p)
    sizes = [a.shape[1] if a.ndim == 2 else 1 for a in attrs]
    n, k = len(p.positions), sum(sizes)
    data = np.empty((n, k), np.float32) if out is None else out[:n * k].reshape(n, k)
    col = 0
    for a, sz in zip(attrs, sizes):
        data[:, col:col + sz] = a.reshape(len(a), sz)
        col += sz
    return data.reshape(-1), sizes


def _staging(size: int) -> np.ndarray:
    """The process's reused float32 staging array of at least ``size`` values (a fresh array of a few
    MB a primitive costs its page faults; the driver copies out of it before the next upload)."""
    if _POOL.staging.size < size:
        _POOL.staging = np.empty(max(size, 2 * _POOL.staging.size), np.float32)
    return _POOL.staging


class _Pool:
    """The process's GL names kept for reuse (one GL context per process: raster.context.shared_renderer).

    Attributes:
        identity: the shared instance-matrix buffer (one identity matrix), or None before the first upload.
        free: by attribute layout, [vertex array, vertex buffer, its bytes, element buffer, its bytes]
            of primitives that left the context; a new primitive of that layout takes one and refills
            its buffers (in place where they are large enough: no new storage, no page faults).
        staging: the float32 array vertex data is interleaved into before its upload.
    """

    KEEP = 48  # triples kept per layout (a pass holds a few dozen primitives)

    def __init__(self):
        self.identity: int | None = None
        self.free: dict[tuple, list[list[int]]] = {}
        self.staging = np.empty(0, np.float32)


_POOL = _Pool()


def upload(p: Any) -> None:
    """pyrender's ``Primitive._add_to_context`` for ``p``: the same vertex and element buffer bytes in
    the same layout, drawn the same way. An unposed indexed primitive (all of genb's) reuses the GL
    names of a primitive that left the context with the same layout (its vertex array keeps its
    attribute pointers: two buffer refills instead of a dozen calls to build one) and shares one
    identity instance-matrix buffer; :func:`release` gives them back when pyrender removes it."""
    from OpenGL import GL

    if p._vaid is not None:
        raise ValueError("Mesh is already bound to a context")
    if p.poses is not None or p.indices is None:
        return _upload_own(p)
    attrs = _attributes(p)
    key = tuple(a.shape[1] if a.ndim == 2 else 1 for a in attrs)
    data, sizes = vertex_data(p, _staging(len(p.positions) * sum(key)))
    idx_data = np.ascontiguousarray(p.indices, dtype=np.uint32).reshape(-1)
    free = _POOL.free.get(key)
    if free:
        names = free.pop()
        GL.glBindVertexArray(names[0])
    else:
        vao = int(GL.glGenVertexArrays(1))
        vb, eb = (int(b) for b in GL.glGenBuffers(2))
        names = [vao, vb, 0, eb, 0]
        GL.glBindVertexArray(vao)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vb)
        _attribute_pointers(sizes)
        _instance_pointers(_identity_buffer(), len(sizes))
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, names[1])
    names[2] = _fill(GL.GL_ARRAY_BUFFER, data, names[2])
    GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, names[3])
    names[4] = _fill(GL.GL_ELEMENT_ARRAY_BUFFER, idx_data, names[4])
    GL.glBindVertexArray(0)
    p._vaid, p._buffers = names[0], [names[1], names[3]]
    p._genb_names = names
    p._genb_layout = key
    p._remove_from_context = types.MethodType(release, p)


def _fill(target: int, data: np.ndarray, capacity: int) -> int:
    """Write ``data`` at the start of the buffer bound to ``target``: in place when its ``capacity``
    (bytes) holds it, else into new storage of the data's size. Returns the buffer's capacity."""
    from OpenGL import GL

    if data.nbytes <= capacity:
        GL.glBufferSubData(target, 0, data.nbytes, data)
        return capacity
    GL.glBufferData(target, data.nbytes, data, GL.GL_STATIC_DRAW)
    return data.nbytes


def release(p: Any) -> None:
    """pyrender's ``Primitive._remove_from_context`` for a primitive :func:`upload` pooled: its names go
    back to the pool (deleted beyond ``_Pool.KEEP`` per layout)."""
    from OpenGL import GL

    if p._vaid is None:
        return
    free = _POOL.free.setdefault(p._genb_layout, [])
    names = p._genb_names
    if len(free) < _Pool.KEEP:
        free.append(names)
    else:
        GL.glDeleteVertexArrays(1, [names[0]])
        GL.glDeleteBuffers(2, [names[1], names[3]])
    p._vaid, p._buffers, p._genb_names = None, [], None


def _identity_buffer() -> int:
    """The shared instance-matrix buffer: one 4x4 identity (pyrender's bytes for an unposed primitive)."""
    from OpenGL import GL

    if _POOL.identity is None:
        buf = int(GL.glGenBuffers(1))
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buf)
        eye = np.eye(4, dtype=np.float32).reshape(-1)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, 4 * len(eye), eye, GL.GL_STATIC_DRAW)
        _POOL.identity = buf
    return _POOL.identity


def _attribute_pointers(sizes: list[int]) -> None:
    """The interleaved float attributes 0.. of the bound vertex buffer (pyrender's layout)."""
    from OpenGL import GL

    col, offset = sum(sizes), 0
    for i, sz in enumerate(sizes):
        GL.glVertexAttribPointer(i, sz, GL.GL_FLOAT, GL.GL_FALSE, 4 * col, ctypes.c_void_p(4 * offset))
        GL.glEnableVertexAttribArray(i)
        offset += sz


def _instance_pointers(buffer: int, first: int) -> None:
    """The instance matrix (four vec4 attributes from ``first``, one per instance) from ``buffer``."""
    from OpenGL import GL

    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buffer)
    for i in range(4):
        GL.glEnableVertexAttribArray(first + i)
        GL.glVertexAttribPointer(first + i, 4, GL.GL_FLOAT, GL.GL_FALSE, 4 * 4 * 4, ctypes.c_void_p(4 * 4 * i))
        GL.glVertexAttribDivisor(first + i, 1)


def _upload_own(p: Any) -> None:
    """A posed or unindexed primitive: its own vertex array and buffers, as pyrender builds them."""
    from OpenGL import GL

    p._vaid = GL.glGenVertexArrays(1)
    GL.glBindVertexArray(p._vaid)
    vertexbuffer = GL.glGenBuffers(1)
    p._buffers.append(vertexbuffer)
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vertexbuffer)
    data, sizes = vertex_data(p)
    GL.glBufferData(GL.GL_ARRAY_BUFFER, 4 * len(data), data, GL.GL_STATIC_DRAW)
    _attribute_pointers(sizes)
    if p.poses is not None:
        pose_data = np.ascontiguousarray(np.transpose(p.poses, [0, 2, 1]).flatten().astype(np.float32))
    else:
        pose_data = np.eye(4, dtype=np.float32).reshape(-1)
    modelbuffer = GL.glGenBuffers(1)
    p._buffers.append(modelbuffer)
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, modelbuffer)
    GL.glBufferData(GL.GL_ARRAY_BUFFER, 4 * len(pose_data), pose_data, GL.GL_STATIC_DRAW)
    _instance_pointers(modelbuffer, len(sizes))
    if p.indices is not None:
        elementbuffer = GL.glGenBuffers(1)
        p._buffers.append(elementbuffer)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, elementbuffer)
        idx_data = np.ascontiguousarray(p.indices, dtype=np.uint32).reshape(-1)
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, 4 * idx_data.size, idx_data, GL.GL_STATIC_DRAW)
    GL.glBindVertexArray(0)
