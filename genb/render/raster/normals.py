"""Camera-frame normals as the label pass encodes them, and bending them by a height field's slopes.

Shared by every per-pixel detail pass (cloth, skin, hair strands, ground relief, object surfaces).
Pure functions over numpy arrays.
"""

from __future__ import annotations

import cv2
import numpy as np


def _z_table() -> np.ndarray:
    """(256, 256) uint8: the encoded z of the camera-facing unit normal with encoded x, y."""
    xy = np.arange(256, dtype=np.float32) / 127.5 - 1.0
    z = -np.sqrt(np.clip(1.0 - xy[:, None] ** 2 - xy[None, :] ** 2, 0.0, 1.0))
    return np.rint((z + 1.0) * 127.5).clip(0, 255).astype(np.uint8)


_Z_TABLE = _z_table()
_Z_TABLE.setflags(write=False)  # shared by every thread that decodes a label pass


def _encoded_normal_table() -> np.ndarray:
    xy = np.arange(256, dtype=np.float32)
    enc = np.stack([np.repeat(xy, 256), np.tile(xy, 256), _Z_TABLE.ravel().astype(np.float32)], axis=1)
    table = enc * np.float32(1 / 127.5) - 1.0
    table.setflags(write=False)
    return table


_ENCODED_TABLE = _encoded_normal_table()


def _unit_normal_table() -> np.ndarray:
    """(65536, 3) float32 unit camera-frame normals of every encoded (x, y) byte pair (index x << 8 | y),
    z facing the camera (as :func:`genb.render.raster.normals.encode_normal_xy` stores them)."""
    xy = np.arange(256, dtype=np.float32) / 127.5 - 1.0
    x, y = np.repeat(xy, 256), np.tile(xy, 256)
    n = np.stack([x, y, -np.sqrt(np.clip(1.0 - x * x - y * y, 0.0, 1.0))], axis=1)
    return (n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-6)).astype(np.float32)


_UNIT_TABLE = _unit_normal_table()
_UNIT_TABLE.setflags(write=False)


def unit_normal_table() -> np.ndarray:
    """(65536, 3) float32 unit normals of the encoded (x, y) byte pairs (:func:`_unit_normal_table`), read-only:
    per-normal shading terms are tabulated over it once per image."""
    return _UNIT_TABLE


def encoded_normal_table() -> np.ndarray:
    """(65536, 3) float32 the encoded normal of every (x, y) byte pair (index x << 8 | y; z the table's root)
    decoded as ``enc / 127.5 - 1`` (not normalised), read-only: per-normal terms are tabulated over it once
    and looked up per pixel."""
    return _ENCODED_TABLE


def encode_normal_xy(xy_encoded: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 encoded normals from their encoded x, y (H, W, 2); z is the root that faces
    the camera (negative), looked up in a table. Pixels that are not ``hit`` are 0."""
    xy = np.ascontiguousarray(xy_encoded, np.uint8)
    return encode_normal_planes(cv2.extractChannel(xy, 0), cv2.extractChannel(xy, 1), hit)


def encode_normal_planes(x: np.ndarray, y: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """:func:`encode_normal_xy` of the encoded x and y as two contiguous (H, W) uint8 planes (changed in
    place: zeroed where not ``hit``); OpenCV interleaves the three planes (numpy's strided channel
    copies are many times slower)."""
    z = _z_of(x, y)
    keep = hit.view(np.uint8)
    for plane in (x, y, z):
        plane *= keep
    return cv2.merge([x, y, z])


def normal_keys(normals_encoded: np.ndarray) -> np.ndarray:
    """(H * W,) int32 ``x << 8 | y`` of (H, W, 3) encoded normals: each pixel's index into the per-normal
    tables (:func:`unit_normal_table`, :func:`encoded_normal_table`; their z byte is the table's root), the
    bytes read by OpenCV (numpy's strided channel reads are several times slower)."""
    enc = np.ascontiguousarray(normals_encoded)
    key = cv2.extractChannel(enc, 0).astype(np.int32)
    key <<= 8
    key |= cv2.extractChannel(enc, 1)
    return key.ravel()


def _z_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The encoded z byte of encoded x, y (uint8 arrays of one shape): the camera-facing root, from the table."""
    key = x.astype(np.uint16) << 8
    key |= y
    return _Z_TABLE.ravel().take(key)


def encode_normals(n: np.ndarray) -> np.ndarray:
    """(N, 3) unit camera-frame normals -> (N, 3) uint8 as the label pass stores them (x, y
    rounded; z the camera-facing root of the encoded x, y)."""
    if not len(n):
        return np.zeros((0, 3), np.uint8)
    cols = []
    for c in range(2):  # column by column (the same operations per element), interleaved by OpenCV
        v = n[:, c] + 1.0
        v *= 127.5
        np.rint(v, out=v)
        np.clip(v, 0, 255, out=v)
        cols.append(v.astype(np.uint8))
    cols.append(_z_of(cols[0], cols[1]))
    return cv2.merge(cols).reshape(len(n), 3)


def decode_normals(enc: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 encoded normals (a pixel list or a whole (H, W, 3) map) -> (..., 3) float32
    unit vectors (camera frame)."""
    n = enc.astype(np.float32) / np.float32(127.5) - 1.0
    return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-6)


def bend_normals(n: np.ndarray, t_u: np.ndarray, t_v: np.ndarray, s_u: np.ndarray, s_v: np.ndarray) -> np.ndarray:
    """(N, 3) unit normals of a surface displaced by a height field with slopes ``s_u``, ``s_v`` (N,)
    along the surface directions ``t_u``, ``t_v`` (N, 3; made tangent and unit here):
    ``normalize(n - s_u t_u - s_v t_v)``."""
    def tangent(t):
        t = t - np.sum(t * n, axis=1, keepdims=True) * n
        return t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9)

    out = n - s_u[:, None] * tangent(t_u) - s_v[:, None] * tangent(t_v)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

