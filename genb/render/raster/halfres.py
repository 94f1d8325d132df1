"""Smooth per-pixel terms evaluated on every other pixel, filled in where the surface runs on.

Some deferred terms (the sun's filtered shadow-map visibility) vary slowly across a surface: their
detail is coarser than two pixels. :func:`half_plan` splits a mask of pixels into those to evaluate
(the even rows and columns, and every pixel where the surface breaks) and those to interpolate
bilinearly from their even-grid neighbours; :func:`fill` does the interpolation. A pixel is only
interpolated when every neighbour it draws on is in the mask and lies on the same surface: its inverse
depth (linear in screen space on a plane) within ``depth_tol`` of its neighbours' interpolation, and
its encoded normal within ``normal_tol`` of each neighbour's. Silhouettes, creases and the mask's own
border are therefore evaluated exactly. Pure functions over dense (H, W) images (strided slices).
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

# the three classes of off-grid pixels: (row parity, column parity) and their even-grid neighbours' offsets
_CLASSES = (((0, 1), ((0, -1), (0, 1))), ((1, 0), ((-1, 0), (1, 0))),
            ((1, 1), ((-1, -1), (-1, 1), (1, -1), (1, 1))))


@dataclasses.dataclass
class HalfPlan:
    """Which pixels of a mask to evaluate and which to fill in.

    Attributes:
        evaluate: (H, W) bool the pixels to evaluate exactly (the mask's even-grid pixels and its
            pixels that cannot be interpolated).
        filled: per off-grid class (:data:`_CLASSES`), the (ceil(H/2), ceil(W/2))-ish bool sub-image of the
            pixels to interpolate.
    """

    evaluate: np.ndarray
    filled: list


def _pad(img: np.ndarray) -> np.ndarray:
    """``img`` with a border of zeros: 1 above and left, 2 below and right (what :func:`_sub` reads)."""
    out = np.zeros((img.shape[0] + 3, img.shape[1] + 3), img.dtype)
    out[1:-2, 1:-2] = img
    return out


def _sub(img: np.ndarray, py: int, px: int, dy: int, dx: int, H: int, W: int) -> np.ndarray:
    """The sub-image of ``img`` (padded by 2 below and right, 1 above and left) at rows py + dy, py + dy + 2,
    ... and columns px + dx, ... matching the pixels of parity (py, px)."""
    return img[1 + py + dy:1 + H + dy:2, 1 + px + dx:1 + W + dx:2]


def half_plan(mask: np.ndarray, depth: np.ndarray, normals_encoded: np.ndarray, depth_tol: float = 0.01,
              normal_tol: int = 20) -> HalfPlan:
    """Plan the evaluation of a smooth term over the ``mask`` pixels at half resolution.

    Args:
        mask: (H, W) bool pixels that need the term. depth: (H, W) metric depth (> 0 on the mask).
        normals_encoded: (H, W, 3) uint8 camera-frame normals (:func:`genb.render.raster.normals.encode_normals`).
        depth_tol: relative tolerance of the inverse depth against its neighbours' interpolation.
        normal_tol: largest difference of an encoded normal byte (octahedral u or v) to a neighbour's.
    """
    H, W = mask.shape
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return HalfPlan(evaluate=np.zeros((H, W), bool),
                        filled=[np.zeros(mask[py::2, px::2].shape, bool) for (py, px), _ in _CLASSES])
    # the mask's bounding box, from even corners (the parity classes stay): outside it nothing is evaluated
    # or filled, and its border reads the same zeros from the padding as from the unmasked pixels beyond
    y0, x0 = rows[0] & ~1, cols[0] & ~1
    y1, x1 = rows[-1] + 1, cols[-1] + 1
    # the normals' octahedral u and v bytes as planes, read by OpenCV (numpy's strided channel reads are slow)
    enc = np.ascontiguousarray(normals_encoded)
    nx, ny = cv2.extractChannel(enc, 0), cv2.extractChannel(enc, 1)
    if (y0, x0, y1, x1) != (0, 0, H, W):
        box = _plan(mask[y0:y1, x0:x1], depth[y0:y1, x0:x1], nx[y0:y1, x0:x1], ny[y0:y1, x0:x1], depth_tol,
                    normal_tol)
        evaluate = np.zeros((H, W), bool)
        evaluate[y0:y1, x0:x1] = box.evaluate
        filled = []
        for ((py, px), _), part in zip(_CLASSES, box.filled):
            full = np.zeros(mask[py::2, px::2].shape, bool)
            full[y0 // 2:y0 // 2 + part.shape[0], x0 // 2:x0 // 2 + part.shape[1]] = part
            filled.append(full)
        return HalfPlan(evaluate=evaluate, filled=filled)
    return _plan(mask, depth, nx, ny, depth_tol, normal_tol)


def _plan(mask: np.ndarray, depth: np.ndarray, x_enc: np.ndarray, y_enc: np.ndarray, depth_tol: float,
          normal_tol: int) -> HalfPlan:
    """:func:`half_plan` over the whole of ``mask``'s image (the caller crops it); ``x_enc``, ``y_enc``: the
    encoded normals' octahedral u and v bytes (H, W)."""
    H, W = mask.shape
    m = _pad(mask)
    inv_z = np.divide(np.float32(1), depth, out=np.zeros((H, W), np.float32), where=depth > 0)
    inv_z = _pad(inv_z)
    nx, ny = _pad(x_enc), _pad(y_enc)
    evaluate = np.zeros((H, W), bool)
    evaluate[::2, ::2] = mask[::2, ::2]
    filled = []
    for (py, px), offsets in _CLASSES:
        here = _sub(m, py, px, 0, 0, H, W)
        if here.size == 0:  # an image one pixel wide or high has no such pixels
            filled.append(np.zeros(here.shape, bool))
            continue
        iz, hx, hy = _sub(inv_z, py, px, 0, 0, H, W), _sub(nx, py, px, 0, 0, H, W), _sub(ny, py, px, 0, 0, H, W)
        ok = here.copy()
        acc = np.zeros(here.shape, np.float32)
        for dy, dx in offsets:
            ok &= _sub(m, py, px, dy, dx, H, W)
            ok &= cv2.absdiff(_sub(nx, py, px, dy, dx, H, W), hx) <= normal_tol  # uint8 |a - b|
            ok &= cv2.absdiff(_sub(ny, py, px, dy, dx, H, W), hy) <= normal_tol
            acc += _sub(inv_z, py, px, dy, dx, H, W)
        ok &= np.abs(acc * np.float32(1 / len(offsets)) - iz) <= np.float32(depth_tol) * iz
        evaluate[py::2, px::2] = here & ~ok
        filled.append(ok)
    return HalfPlan(evaluate=evaluate, filled=filled)


def fill(values: np.ndarray, plan: HalfPlan) -> np.ndarray:
    """Interpolate the (H, W) float32 ``values`` (set at ``plan.evaluate``) at the planned pixels, in place."""
    H, W = values.shape
    v = _pad(values)
    for ((py, px), offsets), ok in zip(_CLASSES, plan.filled):
        acc = sum(_sub(v, py, px, dy, dx, H, W) for dy, dx in offsets) * np.float32(1 / len(offsets))
        target = values[py::2, px::2]
        target[ok] = acc[ok]
    return values


def uneven(values: np.ndarray, plan: HalfPlan, spread: float) -> np.ndarray:
    """(H, W) bool the planned pixels whose neighbours' ``values`` differ by more than ``spread`` (an edge
    of the term itself, e.g. a shadow's: evaluate them too, as interpolation would round the edge off)."""
    H, W = values.shape
    v = _pad(values)
    out = np.zeros((H, W), bool)
    for ((py, px), offsets), ok in zip(_CLASSES, plan.filled):
        taps = [_sub(v, py, px, dy, dx, H, W) for dy, dx in offsets]
        hi, lo = taps[0], taps[0]
        for t in taps[1:]:
            hi, lo = np.maximum(hi, t), np.minimum(lo, t)
        out[py::2, px::2] = ok & (hi - lo > np.float32(spread))
    return out
