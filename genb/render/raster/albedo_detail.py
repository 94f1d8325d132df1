"""Albedo variation of the deferred shading (:func:`genb.render.raster.shading.light_image`), per pixel in
world space and prefiltered: the ground's large-scale variation (:func:`ground_detail_map`) and the
objects' mottling (:func:`mottling`, on every other pixel where the surface runs on,
:mod:`genb.render.raster.halfres`). Pure functions over the G-buffer.
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import SCENE_PART_INDEX
from genb.render.raster.halfres import fill, half_plan
from genb.render.raster.normals import normal_keys, unit_normal_table


MOTTLE = np.zeros(256, np.float32)  # how strongly each object class is mottled
for _name, _k in {"wall": 1.0, "fence": 0.7, "box": 1.2, "bench": 0.8, "pole": 0.4, "step": 1.0, "planter": 1.0,
                  "plant": 1.6, "tree": 1.6}.items():
    MOTTLE[SCENE_PART_INDEX[_name]] = _k


def surface_detail(depth, K, cam_ext, flat, parts, normals_world) -> np.ndarray:
    """(M,) albedo multipliers of object pixels (flat indices into the image)."""
    from genb.render.raster.texture import surface_variation

    H, W = depth.shape
    v, u = np.divmod(flat, W)
    z = depth.ravel().take(flat)
    x = (u.astype(np.float32) - np.float32(K[0, 2])) * np.float32(1 / K[0, 0]) * z
    y = (v.astype(np.float32) - np.float32(K[1, 2])) * np.float32(1 / K[1, 1]) * z
    R = cam_ext[:3, :3].astype(np.float32)
    cam = np.stack([x, y, z], axis=1) - cam_ext[:3, 3].astype(np.float32)
    pts = cam @ R  # R^T (p_cam - t), row-wise
    ray = np.stack([x, y, z], axis=1) / np.maximum(np.sqrt(x * x + y * y + z * z), 1e-6)[:, None]
    facing = np.maximum(np.abs(np.sum((normals_world @ R.T) * ray, axis=1)), 0.05)
    footprint = z / np.float32(K[0, 0]) / facing
    return surface_variation(pts, normals_world, footprint, MOTTLE[parts])


def mottling(depth, normals_encoded, parts, K, cam_ext, pixels) -> np.ndarray:
    """(M,) albedo multipliers (:func:`surface_detail`) of the object pixels ``pixels`` (sorted flat indices),
    evaluated on every other pixel where the surface runs on and filled in (the noise's finest cell
    is larger than two pixels wherever it is not faded out: :func:`genb.render.raster.halfres.half_plan`)."""
    H, W = depth.shape
    mask = np.zeros(H * W, bool)
    mask[pixels] = True
    plan = half_plan(mask.reshape(H, W), depth, normals_encoded)
    at = np.flatnonzero(plan.evaluate)
    key = normal_keys(normals_encoded).take(at)
    values = np.ones(H * W, np.float32)
    values[at] = surface_detail(depth, K, cam_ext, at, parts.ravel().take(at),
                                 unit_normal_table().take(key, axis=0) @ cam_ext[:3, :3].astype(np.float32))
    return fill(values.reshape(H, W), plan).ravel().take(pixels)


def ground_detail_map(K: np.ndarray, cam_ext: np.ndarray, width: int, height: int, seed: int,
                      step: int = 4) -> np.ndarray:
    """(H, W, 3) float32 albedo multipliers of the ground plane (z = 0) seen through the camera:
    world-space noise (:func:`genb.render.raster.texture.ground_variation`), prefiltered by each pixel's
    footprint on the ground (longer at grazing angles). The noise is smooth (cells of 1.7 m and
    more), so it is evaluated every ``step`` pixels and interpolated."""
    import cv2

    from genb.render.scene.sky import ray_directions
    from genb.render.raster.texture import ground_variation

    w, h = -(-width // step), -(-height // step)
    Kc = K.copy()
    Kc[:2, :2] *= 1.0 / step
    Kc[:2, 2] = (K[:2, 2] + 0.5) / step - 0.5
    d = ray_directions(Kc, cam_ext, w, h)
    centre = -cam_ext[:3, :3].T @ cam_ext[:3, 3]
    down = np.minimum(d[:, 2], -1e-3)  # rays at or above the horizon: as if just below it
    t = np.minimum(-centre[2] / down, 1e4)
    xy = centre[None, :2] + t[:, None] * d[:, :2]
    footprint = t / K[0, 0] / np.maximum(-down, 0.02)  # one full-resolution pixel, metres
    coarse = ground_variation(xy, footprint.astype(np.float32), seed).reshape(h, w, 3)
    return cv2.resize(coarse, (w * step, h * step), interpolation=cv2.INTER_LINEAR)[:height, :width]


def vary_albedo(albedo: np.ndarray, flat: np.ndarray, hit_px: np.ndarray, part_px: np.ndarray, depth: np.ndarray,
                normals_encoded: np.ndarray, parts: np.ndarray, K: np.ndarray, cam_ext: np.ndarray,
                ground_seed: int | None) -> None:
    """Multiply the (3, N) linear ``albedo`` (channel-first) of the lit pixels ``flat`` (N,) flat indices
    (``hit_px``, ``part_px``: theirs) by the ground's variation (``ground_seed`` None: none) and the objects'
    mottling, in place."""
    import cv2

    H, W = depth.shape
    if ground_seed is not None:  # large-scale, non-repeating variation of the tiled ground texture
        on = hit_px & (part_px == SCENE_PART_INDEX["ground"])
        if on.any():
            detail = cv2.split(ground_detail_map(K, cam_ext, W, H, ground_seed))
            if len(flat) == H * W:  # a product with 1 off the ground (the same values): no gathers
                for c in range(3):
                    albedo[c] *= np.where(on, detail[c].ravel(), np.float32(1))
            else:
                on = np.flatnonzero(on)
                for c in range(3):
                    albedo[c, on] *= detail[c].ravel().take(flat[on])
    obj = np.flatnonzero(hit_px & (MOTTLE > 0).take(part_px))
    if len(obj):  # objects' painted, concrete and wooden surfaces: prefiltered world-space mottling
        albedo[:, obj] *= mottling(depth, normals_encoded, parts, K, cam_ext, flat[obj])[None, :]
