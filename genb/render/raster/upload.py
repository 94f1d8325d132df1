"""Mesh uploads for the passes: pyrender's ``Primitive._add_to_context`` with one copy instead of
five, into GL buffers that are reused instead of made and deleted for every pass.

pyrender interleaves a primitive's vertex attributes with ``np.hstack`` (one new array per
attribute), then ``flatten`` and ``astype(float32)`` (two more copies) before ``glBufferData``.
A sample uploads a few dozen meshes of ten thousand vertices and more in its passes; this
writes the same interleaved float32 buffer (the same bytes, in the same attribute order and
layout) into one preallocated array.

Each pass draws its own meshes, and pyrender deletes the previous pass's buffers when the next
one starts: on llvmpipe a new buffer's storage is fresh memory the driver faults in page by page
(a 0.5 MB ``glBufferData`` into a new buffer about 0.2 ms, into a kept one 0.02 ms). The
:class:`BufferPool` keeps the deleted buffers (by power-of-two capacity) and the next primitive
writes into one of them with ``glBufferSubData``; the identity model matrix every genb primitive
draws with (no instancing) is one shared buffer. The draws read the same bytes either way.
:func:`fast_uploads` installs both on a scene's primitives that are not yet in the GL context;
the VAO and its attribute layout stay pyrender's.
"""

from __future__ import annotations

import ctypes
import types
from typing import Any

import numpy as np


_MIN_CAPACITY = 1 << 12  # bytes: the smallest buffer the pool makes
_KEEP_PER_SIZE = 48  # free buffers kept per capacity (a pass holds a few dozen; two passes overlap)


class BufferPool:
    """GL buffer objects of the process's context kept for reuse, by power-of-two capacity.

    A buffer is typeless in desktop GL: the same object serves as vertex or element buffer."""

    def __init__(self) -> None:
        self._free: dict[int, list[int]] = {}
        self._capacity: dict[int, int] = {}
        self._identity: int | None = None

    @staticmethod
    def capacity(nbytes: int) -> int:
        """The capacity of the buffer that holds ``nbytes`` (the next power of two, at least 4 KiB)."""
        return max(_MIN_CAPACITY, 1 << (max(int(nbytes), 1) - 1).bit_length())

    def take(self, target: int, data: np.ndarray) -> int:
        """A buffer bound to ``target`` holding ``data`` (contiguous) in its first ``data.nbytes`` bytes."""
        from OpenGL.GL import GL_STATIC_DRAW, glBindBuffer, glBufferData, glBufferSubData, glGenBuffers

        cap = self.capacity(data.nbytes)
        free = self._free.get(cap)
        if free:
            buf = free.pop()
            glBindBuffer(target, buf)
        else:
            buf = int(glGenBuffers(1))
            self._capacity[buf] = cap
            glBindBuffer(target, buf)
            glBufferData(target, cap, None, GL_STATIC_DRAW)
        glBufferSubData(target, 0, data.nbytes, data)
        return buf

    def give(self, buffers: list[int]) -> None:
        """Take back buffers from :meth:`take` (others, and those beyond what is kept, are deleted)."""
        from OpenGL.GL import glDeleteBuffers

        for buf in buffers:
            buf = int(buf)
            if buf == self._identity:
                continue
            cap = self._capacity.get(buf)
            free = self._free.setdefault(cap, []) if cap is not None else None
            if free is None or len(free) >= _KEEP_PER_SIZE:
                self._capacity.pop(buf, None)
                glDeleteBuffers(1, [buf])
            else:
                free.append(buf)

    def identity(self) -> int:
        """The shared buffer of one identity model matrix (column-major float32, as pyrender lays it out)."""
        from OpenGL.GL import GL_ARRAY_BUFFER, GL_STATIC_DRAW, glBindBuffer, glBufferData, glGenBuffers

        if self._identity is None:
            self._identity = int(glGenBuffers(1))
            glBindBuffer(GL_ARRAY_BUFFER, self._identity)
            glBufferData(GL_ARRAY_BUFFER, 64, np.eye(4, dtype=np.float32).reshape(-1), GL_STATIC_DRAW)
        return self._identity


POOL = BufferPool()  # the process's one GL context (genb.render.raster.context.shared_renderer)


def fast_uploads(scene: Any) -> None:
    """Make every primitive of ``scene`` not yet uploaded use :func:`upload` when pyrender adds it
    (and :func:`release` when it removes it)."""
    for mesh in scene.meshes:
        for p in mesh.primitives:
            if p._vaid is None and "_add_to_context" not in p.__dict__:
                p._add_to_context = types.MethodType(upload, p)
                p._remove_from_context = types.MethodType(release, p)


def release(p: Any) -> None:
    """pyrender's ``Primitive._remove_from_context`` for a primitive :func:`upload` added: its VAO is
    deleted, its buffers go back to the :data:`POOL`."""
    from OpenGL.GL import glDeleteVertexArrays

    if p._vaid is not None:
        glDeleteVertexArrays(1, [p._vaid])
        POOL.give(p._buffers)
        p._vaid = None
        p._buffers = []


def _attributes(p: Any) -> list[np.ndarray]:
    """The vertex attributes pyrender interleaves, in its order (positions, normals, tangents,
    texcoord 0 and 1, colour 0)."""
    return [a for a in (p.positions, p.normals, p.tangents, p.texcoord_0, p.texcoord_1, p.color_0) if a is not None]


def vertex_data(p: Any) -> tuple[np.ndarray, list[int]]:
    """(n * k,) float32 the interleaved vertex buffer of primitive ``p`` (n vertices of k floats, as
    pyrender lays it out) and the k floats' split into attributes."""
    attrs = _attributes(p)
    sizes = [a.shape[1] if a.ndim == 2 else 1 for a in attrs]
    data = np.empty((len(p.positions), sum(sizes)), np.float32)
    col = 0
    for a, sz in zip(attrs, sizes):
        data[:, col:col + sz] = a.reshape(len(a), sz)
        col += sz
    return data.reshape(-1), sizes


def upload(p: Any) -> None:
    """pyrender's ``Primitive._add_to_context`` for ``p``: the same VAO layout and buffer bytes, in
    buffers from the :data:`POOL`."""
    from OpenGL.GL import (GL_ARRAY_BUFFER, GL_ELEMENT_ARRAY_BUFFER, GL_FALSE, GL_FLOAT, glBindBuffer,
                           glBindVertexArray, glEnableVertexAttribArray, glGenVertexArrays, glVertexAttribDivisor,
                           glVertexAttribPointer)

    if p._vaid is not None:
        raise ValueError("Mesh is already bound to a context")
    p._vaid = glGenVertexArrays(1)
    glBindVertexArray(p._vaid)
    data, sizes = vertex_data(p)
    col = sum(sizes)
    p._buffers.append(POOL.take(GL_ARRAY_BUFFER, data))
    offset = 0
    for i, sz in enumerate(sizes):
        glVertexAttribPointer(i, sz, GL_FLOAT, GL_FALSE, 4 * col, ctypes.c_void_p(4 * offset))
        glEnableVertexAttribArray(i)
        offset += sz
    if p.poses is not None:
        pose_data = np.ascontiguousarray(np.transpose(p.poses, [0, 2, 1]).flatten().astype(np.float32))
        p._buffers.append(POOL.take(GL_ARRAY_BUFFER, pose_data))
    else:  # one identity matrix, shared by every primitive (never given back)
        glBindBuffer(GL_ARRAY_BUFFER, POOL.identity())
    for i in range(4):
        idx = i + len(sizes)
        glEnableVertexAttribArray(idx)
        glVertexAttribPointer(idx, 4, GL_FLOAT, GL_FALSE, 4 * 4 * 4, ctypes.c_void_p(4 * 4 * i))
        glVertexAttribDivisor(idx, 1)
    if p.indices is not None:
        idx_data = np.ascontiguousarray(p.indices, dtype=np.uint32).reshape(-1)
        p._buffers.append(POOL.take(GL_ELEMENT_ARRAY_BUFFER, idx_data))
    glBindVertexArray(0)
