"""Motion blur from the real motion: each pixel of a frame averaged along its own exact motion.

A camera whose shutter stays open for ``shutter`` of the frame interval (0.5: a 180-degree shutter)
records every surface point along the path it travels meanwhile. With the exact forward flow
``f(p)`` (pixels per frame, :func:`genb.sequence.flow.forward_flow`) a pixel's point moves from
``p - shutter/2 f(p)`` to ``p + shutter/2 f(p)`` around the frame's instant (a linear path, centred
shutter); the blurred pixel is the mean of the sharp frame sampled at ``samples`` evenly spaced
points of that segment (a gather along the pixel's own motion: a moving limb is smeared along its
motion, the background along the camera's; an edge does not smear *over* what lies behind it).
Occluded pixels (flow not valid) keep their sharp value. Only the image changes: labels, depth and
every control map stay exact.
"""

from __future__ import annotations

import numpy as np


def flow_blur(image: np.ndarray, flow: np.ndarray, valid: np.ndarray, shutter: float, samples: int = 0) -> np.ndarray:
    """(H, W, C) uint8 ``image`` blurred along ``flow`` (H, W, 2) pixels per frame, where ``valid`` (H, W).

    ``samples``: points along each path (0: one per pixel of the longest path, 3 to 15).
    """
    import cv2

    if shutter <= 0 or not valid.any():
        return image
    f = np.where(valid[..., None], flow, 0.0).astype(np.float32) * float(shutter)
    if samples <= 0:
        samples = int(np.clip(np.ceil(np.abs(f).max()) + 1, 3, 15))
    H, W = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float32), np.arange(H, dtype=np.float32))
    src = image.astype(np.float32)
    acc = np.zeros_like(src)
    for s in np.linspace(-0.5, 0.5, samples, dtype=np.float32):
        acc += cv2.remap(src, xs + s * f[..., 0], ys + s * f[..., 1], interpolation=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    return np.clip(np.rint(acc / samples), 0, 255).astype(np.uint8)
