"""Control maps in the conventions the public SD-1.5 ControlNets (v1.1) were trained on.

Pure functions: arrays in, (H, W, 3) uint8 RGB images out.
"""

from __future__ import annotations

import cv2
import numpy as np

from genb.core.conventions import OPENPOSE18_COLORS, OPENPOSE18_FROM_BODY25, OPENPOSE18_LIMBS, PARTS, SCENE_PART_INDEX

# The colour a normal estimator (normalbae) gives a surface that faces the camera: what
# normal-map pixels with no surface get, so the control has no black holes.
NORMAL_FACING_CAMERA = (128, 128, 255)


def depth_control(depth: np.ndarray) -> np.ndarray:
    """MiDaS-style depth control: inverse depth normalised over the image, near = 255.

    Args:
        depth: (H, W) metric depth, 0 where nothing was hit (drawn black).
    """
    hit = depth > 0
    out = np.zeros(depth.shape, np.uint8)
    if hit.any():  # (whole-image operations with where=: no boolean gathers)
        disparity = np.divide(np.float32(1.0), depth, out=np.zeros(depth.shape, np.float32), where=hit)
        lo = np.min(disparity, where=hit, initial=np.inf)
        hi = np.max(disparity, where=hit, initial=-np.inf)
        scaled = (disparity - lo) / max(hi - lo, 1e-8)
        np.copyto(out, np.clip(np.rint(scaled * 255.0), 0, 255).astype(np.uint8), where=hit)
    return cv2.merge([out, out, out])  # the grey as three channels (np.repeat's array, quicker)


def normal_control(normals_encoded: np.ndarray, hit: np.ndarray,
                   background: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Normal control (normalbae colours): red = facing left, green = facing up,
    blue = facing the camera, each ``(n + 1) / 2 * 255``; empty pixels ``background``
    (:data:`NORMAL_FACING_CAMERA` is what an estimator gives the sky).

    Args:
        normals_encoded: (H, W, 3) uint8 OpenCV camera-frame normals encoded as
            ``(n + 1) / 2 * 255`` (x right, y down, z forward), as the rasterizer gives them.
        hit: (H, W) bool, pixels where geometry was hit.
    """
    out = 255 - normals_encoded  # (-n + 1) / 2: left = -x, up = -y, towards the camera = -z
    out[~hit] = background
    return out


def pose_control(keypoints2d: np.ndarray, visible: np.ndarray, height: int, width: int,
                 stick_width: int = 4, radius: int = 4) -> np.ndarray:
    """OpenPose 18-point skeletons on black, drawn the way the OpenPose ControlNet saw them.

    Only visible keypoints, and limbs whose two ends are visible, are drawn.

    Args:
        keypoints2d: (P, 25, 2) BODY25 pixel coordinates.
        visible: (P, 25) bool.
    """
    canvas = np.zeros((height, width, 3), np.uint8)
    scale = max(1.0, min(height, width) / 512.0)
    sw, rad = max(1, int(round(stick_width * scale))), max(1, int(round(radius * scale)))
    kp = keypoints2d[:, OPENPOSE18_FROM_BODY25]
    vis = visible[:, OPENPOSE18_FROM_BODY25]
    for person, pvis in zip(kp, vis):
        for limb, (a, b) in enumerate(OPENPOSE18_LIMBS):
            if not (pvis[a] and pvis[b]):
                continue
            (x0, y0), (x1, y1) = person[a], person[b]
            length = float(np.hypot(x1 - x0, y1 - y0))
            angle = float(np.degrees(np.arctan2(y1 - y0, x1 - x0)))
            poly = cv2.ellipse2Poly((int((x0 + x1) / 2), int((y0 + y1) / 2)), (int(length / 2), sw), int(angle), 0, 360, 1)
            # Blend inside the limb's bounding box only: outside it the blend is the identity.
            (bx0, by0), (bx1, by1) = np.maximum(poly.min(0), 0), np.minimum(poly.max(0) + 1, [width, height])
            if bx0 >= bx1 or by0 >= by1:
                continue
            roi = canvas[by0:by1, bx0:bx1]
            layer = roi.copy()
            cv2.fillConvexPoly(layer, poly - [bx0, by0], OPENPOSE18_COLORS[limb])
            canvas[by0:by1, bx0:bx1] = cv2.addWeighted(roi, 0.4, layer, 0.6, 0)
        for j in range(18):
            if pvis[j]:
                cv2.circle(canvas, (int(person[j, 0]), int(person[j, 1])), rad, OPENPOSE18_COLORS[j], thickness=-1)
    return canvas


FIRST_PART_CLASSES = 23
"""Part ids 1..23 keep the colours they were first drawn with (hues evenly spread over 23)."""


def part_hue(part_id: int) -> int:
    """OpenCV hue (0..179) of part class ``part_id`` >= 1: a function of the id alone, so
    appending a class never recolours another. Ids 1..23: evenly spread (their first colours);
    later ids: golden-ratio steps, far from their neighbours."""
    if part_id <= FIRST_PART_CLASSES:
        return int(np.linspace(0, 179, FIRST_PART_CLASSES, endpoint=False).astype(np.uint8)[part_id - 1])
    return int(((part_id - FIRST_PART_CLASSES) * 0.6180339887 + 1 / (2 * FIRST_PART_CLASSES)) % 1.0 * 179)


def part_palette(num_classes: int) -> np.ndarray:
    """(256, 3) uint8 RGB colour of every id: black background, ``part_hue`` for the ``num_classes - 1``
    part classes, fixed random colours for the ids above (scene classes from 64)."""
    rng = np.random.default_rng(7)
    palette = rng.integers(40, 256, size=(256, 3)).astype(np.uint8)
    palette[0] = 0
    hues = np.array([part_hue(k) for k in range(1, num_classes)], np.uint8)
    hsv = np.stack([hues, np.full_like(hues, 220), np.full_like(hues, 230)], axis=1)[None]
    palette[1:num_classes] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]
    return palette


PART_PALETTE = part_palette(len(PARTS))


def seg_control(parts: np.ndarray) -> np.ndarray:
    """Part segmentation in colours (``PART_PALETTE``; background black)."""
    if parts.ndim == 2 and parts.dtype == np.uint8 and parts.size:  # a table per channel (the same bytes)
        return cv2.LUT(cv2.merge([parts, parts, parts]), _PALETTE_LUT)
    return PART_PALETTE.take(parts, axis=0)


_PALETTE_LUT = np.ascontiguousarray(PART_PALETTE[None])  # (1, 256, 3): cv2.LUT's per-channel table


def edges_control(image: np.ndarray, low: int = 100, high: int = 200) -> np.ndarray:
    """Canny edges of the render, white on black (the canny ControlNet's input)."""
    edges = cv2.Canny(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), low, high)
    return cv2.merge([edges, edges, edges])  # the grey as three channels (np.repeat's array, quicker)


# ADE20K colours (the palette the seg ControlNet, control_v11p_sd15_seg, was trained on) of the
# classes genb renders.
ADE20K = {
    "wall": (120, 120, 120), "floor": (80, 50, 50), "ceiling": (120, 120, 80), "sky": (6, 230, 230),
    "tree": (4, 200, 3), "road": (140, 140, 140), "grass": (4, 250, 7), "sidewalk": (235, 255, 7),
    "person": (150, 5, 61), "earth": (120, 120, 70), "plant": (204, 255, 4), "car": (0, 102, 200),
    "fence": (255, 184, 6), "sand": (160, 150, 20), "box": (0, 255, 20), "bench": (194, 255, 0),
    "pole": (51, 0, 255), "stairs": (255, 224, 0), "pot": (245, 0, 255), "bag": (70, 184, 160),
    "chair": (204, 70, 3), "building": (180, 120, 120), "windowpane": (230, 230, 230), "door": (8, 255, 51),
    "streetlight": (0, 71, 255), "signboard": (255, 5, 153), "sofa": (11, 102, 255), "table": (255, 6, 82),
    "shelf": (255, 7, 71), "painting": (255, 6, 51), "rug": (255, 9, 92), "hill": (255, 102, 0),
    "path": (255, 31, 0), "sea": (9, 7, 230),
}
# genb's scene classes (conventions.SCENE_PARTS) -> ADE20K class.
SCENE_TO_ADE20K = {"wall": "wall", "fence": "fence", "box": "box", "bench": "bench", "pole": "pole", "step": "stairs",
                   "planter": "pot", "plant": "plant", "tree": "tree", "car": "car", "held_object": "bag",
                   "chair": "chair", "building": "building", "window": "windowpane", "door": "door",
                   "sidewalk": "sidewalk", "road_marking": "road", "lamp": "streetlight", "sign": "signboard",
                   "hedge": "plant", "sofa": "sofa", "table": "table", "shelf": "shelf", "picture": "painting",
                   "rug": "rug", "backdrop": "hill", "cloud": "sky", "equipment": "box",
                   "water": "sea", "glass": "windowpane", "ceiling": "ceiling"}
# Ground materials -> ADE20K class.
GROUND_TO_ADE20K = {"grass": "grass", "asphalt": "road", "concrete": "sidewalk", "paving": "sidewalk",
                    "tiles": "floor", "wood": "floor", "dirt": "earth", "sand": "sand"}


def ade20k_seg_control(parts: np.ndarray, instances: np.ndarray, depth: np.ndarray,
                       background: dict, K: np.ndarray | None = None, cam_ext: np.ndarray | None = None) -> np.ndarray:
    """Segmentation control in ADE20K colours: people, props by class, the ground by material,
    empty pixels sky (outdoors) or ceiling (indoors). Behind an environment map (no ground
    mesh), empty pixels whose ray points below the horizon are the map's ground: ADE20K's
    ``earth`` (its "earth, ground" class); those above it are sky.

    Args:
        parts: (H, W) part ids; instances: (H, W) person ids (p + 1); depth: (H, W), 0 = nothing.
        background: the sample's background recipe (``kind``, ``ground`` material and ``sky`` setting).
        K: (3, 3) intrinsics and cam_ext: (4, 4) world-to-camera, needed to tell an environment
            map's ground from its sky (without them every empty pixel is sky).
    """
    lut = np.zeros((256, 3), np.uint8)
    for name, ade in SCENE_TO_ADE20K.items():
        lut[SCENE_PART_INDEX[name]] = ADE20K[ade]
    lut[SCENE_PART_INDEX["ground"]] = ADE20K[GROUND_TO_ADE20K.get(background.get("ground"), "floor")]
    out = lut[parts]
    out[instances > 0] = ADE20K["person"]
    empty = depth <= 0
    out[empty] = ADE20K["ceiling" if background.get("sky") == "indoor" else "sky"]
    if background.get("kind") == "environment" and K is not None and cam_ext is not None:
        from genb.render.scene.sky import ray_directions

        h, w = depth.shape
        below = ray_directions(K, cam_ext, w, h)[:, 2].reshape(h, w) < 0.0  # world z up: looking down
        out[empty & below] = ADE20K["earth"]
    return out
