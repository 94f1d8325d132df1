"""Mesh uploads for the passes: pyrender's ``Primitive._add_to_context`` with one copy instead of five.

pyrender interleaves a primitive's vertex attributes with ``np.hstack`` (one new array per
attribute), then ``flatten`` and ``astype(float32)`` (two more copies) before ``glBufferData``.
A sample uploads a few dozen meshes of ten thousand vertices and more in its passes; this
writes the same interleaved float32 buffer (the same bytes, in the same attribute order and
layout) into one preallocated array. :func:`fast_uploads` installs it on a scene's primitives
that are not yet in the GL context; everything else (VAO, model-matrix buffer, element buffer,
deletion) is pyrender's, unchanged.
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
    """pyrender's ``Primitive._add_to_context`` for ``p`` (same GL objects, same buffer bytes)."""
    from OpenGL.GL import (GL_ARRAY_BUFFER, GL_ELEMENT_ARRAY_BUFFER, GL_FALSE, GL_FLOAT, GL_STATIC_DRAW,
                           glBindBuffer, glBindVertexArray, glBufferData, glEnableVertexAttribArray, glGenBuffers,
                           glGenVertexArrays, glVertexAttribDivisor, glVertexAttribPointer)

    if p._vaid is not None:
        raise ValueError("Mesh is already bound to a context")
    p._vaid = glGenVertexArrays(1)
    glBindVertexArray(p._vaid)
    vertexbuffer = glGenBuffers(1)
    p._buffers.append(vertexbuffer)
    glBindBuffer(GL_ARRAY_BUFFER, vertexbuffer)
    data, sizes = vertex_data(p)
    col = sum(sizes)
    glBufferData(GL_ARRAY_BUFFER, 4 * len(data), data, GL_STATIC_DRAW)
    offset = 0
    for i, sz in enumerate(sizes):
        glVertexAttribPointer(i, sz, GL_FLOAT, GL_FALSE, 4 * col, ctypes.c_void_p(4 * offset))
        glEnableVertexAttribArray(i)
        offset += sz
    if p.poses is not None:
        pose_data = np.ascontiguousarray(np.transpose(p.poses, [0, 2, 1]).flatten().astype(np.float32))
    else:
        pose_data = np.eye(4, dtype=np.float32).reshape(-1)
    modelbuffer = glGenBuffers(1)
    p._buffers.append(modelbuffer)
    glBindBuffer(GL_ARRAY_BUFFER, modelbuffer)
    glBufferData(GL_ARRAY_BUFFER, 4 * len(pose_data), pose_data, GL_STATIC_DRAW)
    for i in range(4):
        idx = i + len(sizes)
        glEnableVertexAttribArray(idx)
        glVertexAttribPointer(idx, 4, GL_FLOAT, GL_FALSE, 4 * 4 * 4, ctypes.c_void_p(4 * 4 * i))
        glVertexAttribDivisor(idx, 1)
    if p.indices is not None:
        elementbuffer = glGenBuffers(1)
        p._buffers.append(elementbuffer)
        glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, elementbuffer)
        idx_data = np.ascontiguousarray(p.indices, dtype=np.uint32).reshape(-1)
        glBufferData(GL_ELEMENT_ARRAY_BUFFER, 4 * idx_data.size, idx_data, GL_STATIC_DRAW)
    glBindVertexArray(0)
