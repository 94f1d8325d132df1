"""Camera-frame normals as the label pass encodes them, and bending them by a height field's slopes.

The encoding: an octahedral map of the full unit normal into two bytes (Cigolle et al. 2014, "A Survey
of Efficient Representations for Independent Unit Vectors"), the camera-facing half (camera z < 0) on
the inner diamond ``|u| + |v| <= 1`` and the other half folded onto the corners, so a surface whose
normal points away from the camera (a ceiling seen from a camera that looks down, a floor or wall at a
wide view's border) keeps its sign. An encoded normal map is (H, W, 3) uint8: ``u``, ``v`` as
``(c + 1) * 127.5`` rounded, and 255 in the third channel where something was hit (0 elsewhere, with
``u = v = 0``). Decode with :func:`decode_normals` or the per-key tables (index ``u << 8 | v``); the
``(n + 1) / 2 * 255`` bytes of the control maps come from :func:`normal_bytes`. Measured: the decoded
normal is within 0.95 degrees (mean 0.34) of the encoded unit normal over the sphere
(tests/test_normal_encoding.py); the former x, y bytes with the camera-facing root: 5.6 degrees at grazing
angles, and the normal mirrored wherever it pointed away from the camera.

Shared by every per-pixel detail pass (cloth, skin, hair strands, ground relief, object surfaces).
Pure functions over numpy arrays.
"""

from __future__ import annotations

import cv2
import numpy as np


def oct_decode(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(N, 3) float32 unit camera-frame normals of octahedral coordinates ``u``, ``v`` (N,) in -1..1."""
    u, v = np.asarray(u, np.float32), np.asarray(v, np.float32)
    w = np.float32(1) - np.abs(u) - np.abs(v)  # > 0: the camera-facing half (camera z = -w)
    fold = w < 0
    x = np.where(fold, (np.float32(1) - np.abs(v)) * np.where(u >= 0, np.float32(1), np.float32(-1)), u)
    y = np.where(fold, (np.float32(1) - np.abs(u)) * np.where(v >= 0, np.float32(1), np.float32(-1)), v)
    n = np.stack([x, y, -w], axis=1)
    return (n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), np.float32(1e-6))).astype(np.float32)


def _oct_rows(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Octahedral u, v (float32 rows) of the normals with camera-frame components ``x``, ``y``, ``z``
    (float32 rows, any length > 0), branch-free (about half a mesh's vertices face away and fold; numpy's
    masked selects cost ten times the arithmetic): with ``t = max(z, 0) / (|x| + |y| + |z|)``, the fold
    ``sign(u) (1 - |v|)`` is ``u + sign(u) t`` (as ``|u| + |v| = 1 - t`` there), and ``t = 0`` in front.
    Element-wise float32: the same bits on every machine."""
    inv = np.abs(x)
    inv += np.abs(y)
    inv += np.abs(z)
    np.maximum(inv, np.float32(1e-12), out=inv)
    np.divide(np.float32(1), inv, out=inv)
    u, v = x * inv, y * inv
    t = np.maximum(z, np.float32(0))
    t *= inv
    u += np.copysign(t, u)
    v += np.copysign(t, v)
    return u, v


def oct_encode(n: np.ndarray) -> np.ndarray:
    """(N, 2) float32 octahedral coordinates (-1..1) of (N, 3) camera-frame normals (any length > 0):
    the inverse of :func:`oct_decode`."""
    rows = np.ascontiguousarray(np.asarray(n, np.float32).T)
    return np.stack(_oct_rows(rows[0], rows[1], rows[2]), axis=1)


def label_colours(normals_world: np.ndarray, R: np.ndarray) -> np.ndarray:
    """(N, 2) float32 the label pass's B, A vertex colours (0..1) of (N, 3) world normals: the octahedral
    coordinates of the camera-frame normal ``R n`` (``R``: the camera's world-to-camera rotation)."""
    n = cv2.split(np.ascontiguousarray(normals_world, np.float32).reshape(-1, 1, 3))  # contiguous planes
    r = np.asarray(R, np.float64).astype(np.float32)
    rows = []
    for k in range(3):  # R n element-wise in float32 (no BLAS: the same bits everywhere)
        row = n[0] * r[k, 0]
        row += n[1] * r[k, 1]
        row += n[2] * r[k, 2]
        rows.append(row.ravel())
    planes = _oct_rows(*rows)
    for p in planes:
        p *= np.float32(0.5)
        p += np.float32(0.5)
    return cv2.merge([p.reshape(-1, 1) for p in planes]).reshape(-1, 2)  # OpenCV interleaves (numpy: slow)


def _unit_normal_table() -> np.ndarray:
    """(65536, 3) float32 unit camera-frame normals of every encoded (u, v) byte pair (index u << 8 | v)."""
    c = np.arange(256, dtype=np.float32) / np.float32(127.5) - np.float32(1)
    return oct_decode(np.repeat(c, 256), np.tile(c, 256))


_UNIT_TABLE = _unit_normal_table()
_UNIT_TABLE.setflags(write=False)  # shared by every thread that decodes a label pass
_BYTES_TABLE = np.asfortranarray(np.rint((_UNIT_TABLE.astype(np.float64) + 1.0) * 127.5).clip(0, 255).astype(np.uint8))
_BYTES_TABLE.setflags(write=False)  # column-major: each channel's table contiguous


def unit_normal_table() -> np.ndarray:
    """(65536, 3) float32 unit normals of the encoded (u, v) byte pairs (index u << 8 | v), read-only:
    per-normal shading terms are tabulated over it once per image."""
    return _UNIT_TABLE


def encoded_normal_table() -> np.ndarray:
    """The decoded normal of every encoded byte pair: :func:`unit_normal_table` (the same array; kept for
    the per-normal tables that read the bytes decoded)."""
    return _UNIT_TABLE


def encode_normal_xy(xy_encoded: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 encoded normals of camera-facing normals given by their x, y bytes (H, W, 2) as
    ``(c + 1) * 127.5`` (z the camera-facing root); pixels that are not ``hit`` are 0."""
    xy = np.asarray(xy_encoded, np.float32).reshape(-1, 2) / np.float32(127.5) - np.float32(1)
    z = -np.sqrt(np.clip(1.0 - (xy * xy).sum(axis=1), 0.0, 1.0))
    out = encode_normals(np.concatenate([xy, z[:, None]], axis=1)).reshape(*hit.shape, 3)
    out[~hit] = 0
    return out


def encode_label_planes(u: np.ndarray, v: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 encoded normal map of the label pass's u, v bytes (contiguous (H, W) uint8 planes,
    changed in place: zeroed where not ``hit``), 255 in the third channel where ``hit``; OpenCV interleaves
    the planes (numpy's strided channel copies are many times slower)."""
    keep = hit.view(np.uint8)
    u *= keep
    v *= keep
    return cv2.merge([u, v, keep * np.uint8(255)])


def normal_keys(normals_encoded: np.ndarray) -> np.ndarray:
    """(H * W,) int32 ``u << 8 | v`` of (H, W, 3) encoded normals: each pixel's index into the per-normal
    tables (:func:`unit_normal_table`), the bytes read by OpenCV (numpy's strided channel reads are several
    times slower)."""
    enc = np.ascontiguousarray(normals_encoded).reshape(-1, 1, 3)
    key = cv2.extractChannel(enc, 0).astype(np.int32)
    key <<= 8
    key |= cv2.extractChannel(enc, 1)
    return key.ravel()


def encode_normals(n: np.ndarray) -> np.ndarray:
    """(N, 3) camera-frame normals (either side; any length > 0) -> (N, 3) uint8 as the label pass stores
    them (octahedral u, v rounded, 255)."""
    if not len(n):
        return np.zeros((0, 3), np.uint8)
    uv = oct_encode(n)
    uv += np.float32(1)
    uv *= np.float32(127.5)
    np.rint(uv, out=uv)
    np.clip(uv, 0, 255, out=uv)
    out = np.full((len(n), 3), 255, np.uint8)
    out[:, :2] = uv
    return out


def decode_normals(enc: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 encoded normals (a pixel list or a whole (H, W, 3) map) -> (..., 3) float32
    unit vectors (camera frame)."""
    return _UNIT_TABLE.take(normal_keys(enc), axis=0).reshape(*enc.shape[:-1], 3)


def normal_bytes(enc: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 ``(n + 1) / 2 * 255`` of the decoded normals of an encoded map, what the control maps
    read (a pixel where nothing was hit decodes as byte pair (0, 0): mask it, as ``normal_control`` does)."""
    key = normal_keys(enc)
    return cv2.merge([_BYTES_TABLE[:, c].take(key).reshape(enc.shape[:2]) for c in range(3)])


def bend_normals(n: np.ndarray, t_u: np.ndarray, t_v: np.ndarray, s_u: np.ndarray, s_v: np.ndarray) -> np.ndarray:
    """(N, 3) unit normals of a surface displaced by a height field with slopes ``s_u``, ``s_v`` (N,)
    along the surface directions ``t_u``, ``t_v`` (N, 3; made tangent and unit here):
    ``normalize(n - s_u t_u - s_v t_v)``."""
    def tangent(t):
        t = t - np.sum(t * n, axis=1, keepdims=True) * n
        return t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9)

    out = n - s_u[:, None] * tangent(t_u) - s_v[:, None] * tangent(t_v)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

