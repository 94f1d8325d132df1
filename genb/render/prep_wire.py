"""How a prepared sample travels from the preparing process to the rendering one (:mod:`genb.render.prep_process`).

A :class:`genb.render.samples.PreparedSample` is ~10-20 MB of numpy arrays (the passes' pyrender meshes,
the backdrop, the bare bodies) in a few thousand small Python objects. A plain ``pickle.dumps`` copies
every array into one growing bytes object (and the reader copies it out again); here the pickle keeps
only the small objects and each array's data goes out of band (pickle protocol 5), written straight from
the array to the pipe and read straight into the buffer the unpickled array then uses.

pyrender stores a primitive's face indices as float32 (exact integers); they travel as uint16 (or uint32
for 65536 vertices and more) and become the same float32 array again on arrival: the same bits, a third
of the bytes of a sample less.

A message: ``<QI`` (pickle length, number of buffers), per buffer ``<Q`` (its length, the top bit set
when the array was read-only), the pickle, then the buffers in order.
"""

from __future__ import annotations

import copyreg
import io
import pickle
import struct
import sys
from typing import Any, BinaryIO

import numpy as np

_READ_ONLY = 1 << 63


def _float32(ints: np.ndarray) -> np.ndarray:
    """The float32 face indices pyrender keeps, from their integer form (exact below 2**24)."""
    return ints.astype(np.float32)


class _Indices:
    """A pyrender primitive's float32 face indices, pickled as small integers (:func:`_float32` on arrival)."""

    __slots__ = ("ints",)

    def __init__(self, ints: np.ndarray):
        self.ints = ints

    def __reduce__(self):
        return _float32, (self.ints,)


def compact_indices(indices: np.ndarray) -> "_Indices | np.ndarray":
    """``indices`` (float32, pyrender's) as :class:`_Indices` where they are exact non-negative integers
    below 2**24 (uint16 below 65536), else unchanged."""
    if indices.dtype != np.float32 or indices.size == 0:
        return indices
    top = float(indices.max())
    if not (0.0 <= float(indices.min()) and top < 2 ** 24):
        return indices
    ints = indices.astype(np.uint16 if top < 65536 else np.uint32)
    if not np.array_equal(ints, indices):  # not whole numbers: as they are
        return indices
    if not indices.flags.writeable:
        ints.setflags(write=False)
    return _Indices(ints)


class _Pickler(pickle.Pickler):
    """Protocol 5 with out-of-band buffers; pyrender primitives' indices as :class:`_Indices`."""

    def __init__(self, file: BinaryIO, buffers: list):
        super().__init__(file, protocol=5, buffer_callback=buffers.append)
        self._compact: dict[int, Any] = {}  # id(float32 indices) -> their compact form (shared arrays stay shared)
        pyrender = sys.modules.get("pyrender")  # (not imported: no primitives to send)
        self._primitive = pyrender.Primitive if pyrender is not None else None

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is not self._primitive or not isinstance(obj.__dict__.get("_indices"), np.ndarray):
            return NotImplemented
        state = dict(obj.__dict__)
        idx = state["_indices"]
        if id(idx) not in self._compact:
            self._compact[id(idx)] = (compact_indices(idx), idx)  # (keeps idx alive: its id stays its own)
        state["_indices"] = self._compact[id(idx)][0]
        return copyreg.__newobj__, (type(obj),), state


def dumps(obj: Any) -> tuple[bytes, list[memoryview], list[bool]]:
    """``obj`` as (pickle, its out-of-band buffers as flat byte views, whether each was read-only)."""
    buffers: list[pickle.PickleBuffer] = []
    f = io.BytesIO()
    _Pickler(f, buffers).dump(obj)
    views = [b.raw() for b in buffers]
    return f.getvalue(), views, [v.readonly for v in views]


def write(out: BinaryIO, message: tuple[bytes, list[memoryview], list[bool]]) -> None:
    """Send a message made by :func:`dumps` on ``out`` (a binary file; flushed)."""
    head, views, readonly = message
    sizes = [v.nbytes | (_READ_ONLY if ro else 0) for v, ro in zip(views, readonly)]
    out.write(struct.pack(f"<QI{len(sizes)}Q", len(head), len(sizes), *sizes))
    out.write(head)
    for v in views:
        out.write(v)
    out.flush()


def _read_into(inp: BinaryIO, buf: bytearray | memoryview) -> None:
    view, got = memoryview(buf), 0
    while got < len(view):
        n = inp.readinto(view[got:])
        if not n:
            raise EOFError("the message was cut short")
        got += n


def _read(inp: BinaryIO, n: int) -> bytearray:
    buf = bytearray(n)
    _read_into(inp, buf)
    return buf


def read(inp: BinaryIO) -> Any:
    """The next message of ``inp`` (written by :func:`write`); EOFError at the end of the stream."""
    first = inp.read(12)
    if not first:
        raise EOFError
    if len(first) < 12:
        first += _read(inp, 12 - len(first))
    head_len, count = struct.unpack("<QI", first)
    sizes = struct.unpack(f"<{count}Q", _read(inp, 8 * count)) if count else ()
    head = _read(inp, head_len)
    buffers = []
    for size in sizes:
        buf = _read(inp, size & ~_READ_ONLY)
        buffers.append(memoryview(buf).toreadonly() if size & _READ_ONLY else buf)
    return pickle.loads(head, buffers=buffers)


def loads(head: bytes, views: list[memoryview], readonly: list[bool]) -> Any:
    """What :func:`dumps` gave, rebuilt in this process (fresh buffers, as :func:`read` makes them)."""
    buffers = [memoryview(bytes(v)) if ro else bytearray(v) for v, ro in zip(views, readonly)]
    return pickle.loads(head, buffers=buffers)
