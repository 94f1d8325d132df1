"""Person crops for person-centric enhancement: pure geometry, no model.

A person's crop is an axis-aligned square of ``side`` full-image pixels with its
top-left pixel at ``(x0, y0)`` (integers, so the crop is a plain slice of the
pixel grid, padded where it leaves the image), around the amodal box
``bbox_full`` of ``labels.npz`` grown by a context factor, resized to the model's
resolution ``size``. Pixel convention as everywhere in genb (OpenCV): the centre
of the top-left pixel is (0, 0). ``cv2.resize`` maps pixel ``u`` of the square to
``s * (u - x0 + 0.5) - 0.5`` with ``s = size / side``, so the crop is exactly the
image seen through the camera ``K_crop = A @ K`` with the affine map ``A`` of
:func:`crop_affine`: keypoints, projected vertices and the camera all follow.

The enhanced crop goes back through the inverse resize inside a feathered mask
of the person (the dressed silhouette ``instances.png == p + 1``, dilated), from
the farthest person to the nearest, and a person's mask is cut wherever a
nearer person is, so a farther person's crop never paints over a nearer person.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class CropBox:
    """A square crop of the full image: pixels ``[y0, y0 + side) x [x0, x0 + side)``, resized to ``size``."""

    x0: int
    """Column of the crop's top-left pixel in the full image (may be < 0: the crop leaves the image)."""
    y0: int
    """Row of the crop's top-left pixel."""
    side: int
    """Side of the square in full-image pixels."""
    size: int
    """Side of the resized crop (the model's resolution), pixels."""

    @property
    def scale(self) -> float:
        """Crop pixels per full-image pixel (``size / side``)."""
        return self.size / self.side

    def affine(self) -> np.ndarray:
        """(3, 3) float64: full-image pixel coordinates -> crop pixel coordinates (:func:`crop_affine`)."""
        return crop_affine(self)

    def window(self, height: int, width: int) -> tuple[slice, slice, slice, slice]:
        """Where the square meets an (height, width) image: ``(rows, cols)`` in the image, then in the square.

        Returns:
            (image rows, image cols, square rows, square cols) slices; empty when they do not meet.
        """
        ys, xs = max(self.y0, 0), max(self.x0, 0)
        ye, xe = min(self.y0 + self.side, height), min(self.x0 + self.side, width)
        ye, xe = max(ye, ys), max(xe, xs)
        return (slice(ys, ye), slice(xs, xe), slice(ys - self.y0, ye - self.y0), slice(xs - self.x0, xe - self.x0))

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.side, self.size]


def square_box(bbox_full: np.ndarray, size: int, context: float = 1.25, min_side: int = 8) -> CropBox:
    """The square crop around one person's amodal box.

    Args:
        bbox_full: (4,) x0, y0, x1, y1 of all the person's projected vertices, full-image pixels.
        size: side of the resized crop (model resolution), pixels.
        context: the square's side is ``context x max(box width, box height)``.
        min_side: smallest side in full-image pixels.
    """
    x0, y0, x1, y1 = (float(v) for v in bbox_full)
    side = max(int(math.ceil(context * max(x1 - x0, y1 - y0))), int(min_side))
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    return CropBox(int(math.floor(cx - 0.5 * side + 0.5)), int(math.floor(cy - 0.5 * side + 0.5)), side, int(size))


def crop_affine(box: CropBox) -> np.ndarray:
    """(3, 3) float64 ``A``: ``[u', v', 1] = A @ [u, v, 1]`` maps full-image pixels to crop pixels.

    ``u' = s (u - x0 + 0.5) - 0.5`` with ``s = size / side`` (pixel centres, as ``cv2.resize`` samples).
    """
    s = box.scale
    return np.array([[s, 0.0, s * (0.5 - box.x0) - 0.5],
                     [0.0, s, s * (0.5 - box.y0) - 0.5],
                     [0.0, 0.0, 1.0]])


def crop_intrinsics(cam_int: np.ndarray, box: CropBox) -> np.ndarray:
    """(3, 3) float64 ``K_crop = A @ K``: the camera that sees exactly the resized crop.

    Args:
        cam_int: (3, 3) the full image's intrinsics (pixels).
    """
    return crop_affine(box) @ np.asarray(cam_int, np.float64)


def map_points(points: np.ndarray, box: CropBox) -> np.ndarray:
    """(..., 2) full-image pixel coordinates -> crop pixel coordinates (float64)."""
    s = box.scale
    points = np.asarray(points, np.float64)
    return s * (points - [box.x0, box.y0] + 0.5) - 0.5


def resampling(box: CropBox) -> str:
    """How images are resized into a crop: ``area`` averaging when shrinking, ``linear`` when enlarging."""
    return "area" if box.size < box.side else "linear"


def crop_image(image: np.ndarray, box: CropBox, interpolation: str = "linear", pad: str = "reflect") -> np.ndarray:
    """The crop of an image at model resolution: ``(size, size[, C])``, same dtype.

    Args:
        image: (H, W) or (H, W, C) array.
        interpolation: ``linear`` (images, smooth maps), ``area`` (when shrinking), ``nearest`` (ids, colours).
        pad: outside the image: ``reflect`` (renders), ``edge`` or ``zero`` (control maps).
    """
    import cv2

    H, W = image.shape[:2]
    iy, ix, sy, sx = box.window(H, W)
    if (sy.start, sx.start, sy.stop, sx.stop) == (0, 0, box.side, box.side):
        square = image[iy, ix]
    else:
        before_y, before_x = sy.start, sx.start
        after_y, after_x = box.side - sy.stop, box.side - sx.stop
        part = image[iy, ix]
        widths = [(before_y, after_y), (before_x, after_x)] + [(0, 0)] * (image.ndim - 2)
        if pad == "zero" or part.size == 0:
            square = np.pad(part, widths, mode="constant")
        elif pad == "reflect" and min(part.shape[:2]) > 1:
            square = _reflect_pad(part, widths)
        else:
            square = np.pad(part, widths, mode="edge")
    flag = {"linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA, "nearest": cv2.INTER_NEAREST,
            "cubic": cv2.INTER_CUBIC}[interpolation]
    if box.side == box.size:
        return np.ascontiguousarray(square)
    out = cv2.resize(np.ascontiguousarray(square), (box.size, box.size), interpolation=flag)
    return out.reshape((box.size, box.size) + image.shape[2:])


def _reflect_pad(part: np.ndarray, widths: list[tuple[int, int]]) -> np.ndarray:
    """``np.pad(mode='reflect')`` that also works when the pad is wider than the part (reflects repeatedly)."""
    out = part
    while any(b > 0 or a > 0 for b, a in widths[:2]):
        step = []
        for axis, (b, a) in enumerate(widths[:2]):
            n = out.shape[axis] - 1
            step.append((min(b, n), min(a, n)))
        out = np.pad(out, step + [(0, 0)] * (part.ndim - 2), mode="reflect")
        widths = [(b - sb, a - sa) for (b, a), (sb, sa) in zip(widths[:2], step)] + widths[2:]
    return out


def uncrop(crop: np.ndarray, box: CropBox, height: int, width: int) -> tuple[np.ndarray, tuple[slice, slice]]:
    """A model-resolution crop back on the full image's pixel grid.

    Returns:
        (the part of the square inside the image, ``(h, w[, C])``, resized back to ``side`` with
        area averaging when shrinking), and the (rows, cols) slices of the image it covers.
    """
    import cv2

    iy, ix, sy, sx = box.window(height, width)
    if box.side == box.size:
        square = crop
    else:
        flag = cv2.INTER_AREA if box.size > box.side else cv2.INTER_LINEAR
        square = cv2.resize(np.ascontiguousarray(crop), (box.side, box.side), interpolation=flag)
        square = square.reshape((box.side, box.side) + crop.shape[2:])
    return square[sy, sx], (iy, ix)


def feathered_mask(mask: np.ndarray, dilate: int, feather: int) -> np.ndarray:
    """(H, W) float32 alpha in [0, 1]: ``mask`` grown by ``dilate`` px, with a linear ramp of ``feather`` px.

    ``alpha = clip((dilate - d) / feather, 0, 1)`` with ``d`` the distance (px) from ``mask``
    (0 inside): 1 on the mask and up to ``dilate - feather`` px around it, 0 from ``dilate`` px on.
    ``feather = 0`` gives the hard dilated mask.

    Args:
        mask: (H, W) bool, the person's pixels.
        dilate: px, >= 0.
        feather: px, 0 <= feather <= max(dilate, 1).
    """
    import cv2

    mask = np.asarray(mask, bool)
    if not mask.any():
        return np.zeros(mask.shape, np.float32)
    d = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
    if feather <= 0:
        return (d <= dilate).astype(np.float32)
    return np.clip((float(dilate) - d) / float(feather), 0.0, 1.0).astype(np.float32)


def far_to_near(keypoints3d: np.ndarray) -> list[int]:
    """Person indices from the farthest to the nearest (median camera depth of their keypoints).

    Args:
        keypoints3d: (P, K, 3) camera frame, metres.
    """
    z = np.median(np.asarray(keypoints3d, np.float64)[..., 2], axis=1) if len(keypoints3d) else np.zeros(0)
    return [int(p) for p in np.argsort(-z, kind="stable")]


def border_ramp(side: int, width: int) -> np.ndarray:
    """(side, side) float32: 1 inside the square, falling linearly to 0 over its outer ``width`` px.

    Keeps a crop's paste from ending at a hard edge where the mask reaches the square's border.
    """
    if width <= 0:
        return np.ones((side, side), np.float32)
    u = np.arange(side, dtype=np.float32)
    r = np.clip(np.minimum(u + 1.0, side - u) / float(width + 1), 0.0, 1.0)
    return np.minimum(r[:, None], r[None, :])


def composite(base: np.ndarray, layers: list[tuple[int, np.ndarray, CropBox]], instances: np.ndarray,
              order: list[int], dilate: int, feather: int) -> np.ndarray:
    """Paste enhanced crops onto ``base`` from far to near, each inside its person's feathered mask.

    A person's layers (its crop, then any face and hand crops, in the order given) are pasted
    when its turn in ``order`` comes. A layer's alpha is the person's :func:`feathered_mask`
    times the :func:`border_ramp` of its square, and is cut to 0 on every pixel of a person
    nearer than it (later in ``order``), whether or not that person has a crop: no crop paints
    over a nearer person. Pixels where every alpha is 0 keep ``base``'s bytes exactly.

    Args:
        base: (H, W, 3) uint8, the whole-image result.
        layers: (person index, (size, size, 3) uint8 enhanced crop, its box) per enhanced crop.
        instances: (H, W) uint8, 0 background, p + 1 for person p.
        order: every person index, farthest first (:func:`far_to_near`).
        dilate, feather: of :func:`feathered_mask` (the border ramp is ``feather`` px wide).

    Returns:
        (H, W, 3) uint8.
    """
    H, W = base.shape[:2]
    rank = {p: k for k, p in enumerate(order)}
    out = base.copy()
    for p in order:
        nearer = [q + 1 for q in order if rank[q] > rank[p]]
        for _, crop, box in (layer for layer in layers if layer[0] == p):
            piece, (iy, ix) = uncrop(crop, box, H, W)
            if piece.size == 0:
                continue
            _, _, sy, sx = box.window(H, W)
            ids = instances[iy, ix]
            alpha = feathered_mask(ids == p + 1, dilate, feather) * border_ramp(box.side, feather)[sy, sx]
            if nearer:
                alpha[np.isin(ids, nearer)] = 0.0
            where = alpha > 0.0
            if not where.any():
                continue
            region = out[iy, ix]
            a = alpha[where][:, None]
            blended = region[where].astype(np.float32) * (1.0 - a) + piece[where].astype(np.float32) * a
            region[where] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return out


def hand_box(wrist: np.ndarray, elbow: np.ndarray, size: int, factor: float = 0.9, min_side: int = 8) -> CropBox:
    """A square around a hand placed from keypoints: centred past the wrist along the forearm.

    Args:
        wrist, elbow: (2,) full-image pixels.
        factor: side = factor x forearm length (px).
    """
    wrist, elbow = np.asarray(wrist, np.float64), np.asarray(elbow, np.float64)
    forearm = wrist - elbow
    length = float(np.hypot(*forearm))
    centre = wrist + 0.35 * forearm
    side = max(int(math.ceil(factor * length)), int(min_side))
    return CropBox(int(math.floor(centre[0] - 0.5 * side + 0.5)), int(math.floor(centre[1] - 0.5 * side + 0.5)),
                   side, int(size))


def face_box(points: np.ndarray, size: int, factor: float = 2.2, min_side: int = 8) -> CropBox:
    """A square around a face placed from its visible keypoints (nose, eyes, ears, neck).

    Args:
        points: (K, 2) the visible face keypoints (at least two), full-image pixels; side =
            factor x their largest extent.
    """
    points = np.asarray(points, np.float64)
    lo, hi = points.min(0), points.max(0)
    centre = 0.5 * (lo + hi)
    side = max(int(math.ceil(factor * float(max(hi - lo)))), int(min_side))
    return CropBox(int(math.floor(centre[0] - 0.5 * side + 0.5)), int(math.floor(centre[1] - 0.5 * side + 0.5)),
                   side, int(size))
