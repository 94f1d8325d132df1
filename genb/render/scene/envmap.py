"""Environment maps: equirectangular images (.hdr, .exr, .png, .jpg) as background and light.

Conventions: the map's column 0 is azimuth -180 degrees and azimuths grow to the right
(azimuth = atan2(y, x) of a world direction, z up); row 0 is straight up, the middle row
the horizon. A map is turned about z by the sampled ``yaw_deg``. The background is the map
seen through the exact camera (every pixel's ray looked up, bilinear), so its horizon
follows the camera's pitch, roll and field of view; the lighting is its diffuse part: an
ambient colour (the mean of the upper hemisphere) and a key light from its brightest
region (the sun) whose strength is how much that region stands out.
"""

from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from genb.errors import GenbError
from genb.core.log import get_logger

logger = get_logger(__name__)

SUFFIXES = (".hdr", ".exr", ".png", ".jpg", ".jpeg")
MAX_WIDTH = 2048


ASPECT_WARN = (1.98, 2.02)
"""Width / height a map may have without a warning (equirectangular maps are 2:1)."""
ASPECT_REFUSE = (1.75, 2.25)
"""Width / height outside which a map is refused: it is not an equirectangular panorama."""


def list_environments(folder: str) -> list[Path]:
    """Sorted environment maps in a folder (sorted so sample i always gets the same one), each checked
    to be about 2:1 (:func:`check_aspect`)."""
    paths = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in SUFFIXES)
    for p in paths:
        check_aspect(p)
    return paths


def map_size(path: str | Path) -> tuple[int, int] | None:
    """(width, height) of a map from its header (PNG/JPEG, Radiance .hdr) or by reading it (.exr); None if unreadable."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".hdr":
            with open(path, "rb") as f:
                for _ in range(64):  # header lines, a blank line, then "-Y H +X W"
                    line = f.readline(4096)
                    m = re.match(rb"([-+])Y (\d+) ([-+])X (\d+)", line)
                    if m:
                        return int(m.group(4)), int(m.group(2))
            return None
        if suffix == ".exr":
            return _exr_size(path)
        from PIL import Image

        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError):
        return None


def _exr_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from an OpenEXR header's ``dataWindow`` (a box2i), without decoding pixels."""
    with open(path, "rb") as f:
        head = f.read(65536)
    if head[:4] != b"\x76\x2f\x31\x01":
        return None
    i = 8  # magic, version
    while i < len(head) and head[i] != 0:  # attributes: name\0 type\0 size(int32) value
        name_end = head.index(b"\0", i)
        type_end = head.index(b"\0", name_end + 1)
        size = int.from_bytes(head[type_end + 1:type_end + 5], "little")
        value = head[type_end + 5:type_end + 5 + size]
        if head[i:name_end] == b"dataWindow" and len(value) == 16:
            x0, y0, x1, y1 = np.frombuffer(value, "<i4")
            return int(x1 - x0 + 1), int(y1 - y0 + 1)
        i = type_end + 5 + size
    return None


def check_aspect(path: str | Path) -> None:
    """Refuse a map far from 2:1 (it would be stretched over the sphere); warn about one slightly off
    (once per process and map)."""
    _check_aspect(str(path))


@functools.lru_cache(maxsize=1024)
def _check_aspect(path: str) -> None:
    size = map_size(path)
    if size is None:
        return  # load_environment says what is wrong with it
    w, h = size
    ratio = w / max(h, 1)
    if not ASPECT_REFUSE[0] <= ratio <= ASPECT_REFUSE[1]:
        raise GenbError(f"environment map {path} is {w}x{h} (aspect {ratio:.2f}:1), not an equirectangular "
                        "panorama (2:1: 360 degrees across, 180 down)",
                        "use equirectangular maps (e.g. 4096x2048 HDRIs), or move this image to a --backgrounds folder")
    if not ASPECT_WARN[0] <= ratio <= ASPECT_WARN[1]:
        logger.warning("environment map %s is %dx%d (aspect %.2f:1, not 2:1): it is stretched to cover the sphere",
                       path, w, h, ratio)


@functools.lru_cache(maxsize=4)
def load_environment(path: str) -> np.ndarray:
    """(h, w, 3) float32 linear RGB radiance of a map, at most :data:`MAX_WIDTH` wide; an LDR
    image is linearised (sRGB), an HDR one scaled so its median is 0.18 (mid grey). Read-only
    (cached: the same array for every call)."""
    os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
    import cv2

    hdr = Path(path).suffix.lower() in (".hdr", ".exr")
    img = cv2.imread(str(path), (cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR) if hdr else cv2.IMREAD_COLOR)
    if img is None:
        raise GenbError(f"cannot read the environment map {path}",
                        "give equirectangular .hdr/.exr/.png/.jpg images (for .exr, OpenCV needs OpenEXR support)")
    img = np.ascontiguousarray(img[..., ::-1]).astype(np.float32)
    if img.shape[1] > MAX_WIDTH:
        img = cv2.resize(img, (MAX_WIDTH, MAX_WIDTH // 2), interpolation=cv2.INTER_AREA)
    if hdr:
        img = np.nan_to_num(np.maximum(img, 0.0))
        img *= 0.18 / max(float(np.median(img.mean(axis=2))), 1e-6)
    else:
        x = img / 255.0
        img = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)
    img.setflags(write=False)  # cached and shared by every sample (and thread) that uses the map
    return img


def direction_to_pixel(directions: np.ndarray, width: int, height: int, yaw_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Map pixel coordinates (u, v), each (N,), of unit world directions (N, 3) (pixel centres at integers)."""
    az = np.arctan2(directions[:, 1], directions[:, 0]) - math.radians(yaw_deg)
    el = np.arcsin(np.clip(directions[:, 2], -1.0, 1.0))
    u = ((az / (2 * np.pi) + 0.5) % 1.0) * width - 0.5
    v = (0.5 - el / np.pi) * height - 0.5
    return u.astype(np.float32), v.astype(np.float32)


def environment_background(env: np.ndarray, K: np.ndarray, cam_ext: np.ndarray, width: int, height: int,
                           yaw_deg: float, exposure: float = 1.0) -> np.ndarray:
    """(H, W, 3) uint8 sRGB: the map seen through the camera (K, cam_ext)."""
    import cv2

    from genb.render.scene.sky import linear_to_srgb, ray_directions

    d = ray_directions(K, cam_ext, width, height)
    u, v = direction_to_pixel(d, env.shape[1], env.shape[0], yaw_deg)
    # wrap horizontally: pad one column each side
    padded = np.concatenate([env[:, -1:], env, env[:, :1]], axis=1)
    img = cv2.remap(padded, (u + 1).reshape(height, width), v.reshape(height, width), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    rgb = linear_to_srgb(img * exposure / (1.0 + 0.15 * img * exposure))
    return np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)


def environment_lighting(env: np.ndarray, yaw_deg: float) -> dict[str, Any]:
    """A key/ambient light recipe from a map: ambient = mean of the upper hemisphere (solid-angle
    weighted), key = the direction of its brightest region, as strong as it stands out."""
    import cv2

    h, w = env.shape[:2]
    small = cv2.resize(env, (64, 32), interpolation=cv2.INTER_AREA)
    el = (0.5 - (np.arange(32) + 0.5) / 32) * np.pi
    az = ((np.arange(64) + 0.5) / 64 - 0.5) * 2 * np.pi + math.radians(yaw_deg)
    weight = np.cos(el)[:, None] * np.ones((1, 64))
    upper = el > 0
    sky = small[upper]
    ambient = (sky * weight[upper][..., None]).sum(axis=(0, 1)) / weight[upper].sum()
    lum = small.mean(axis=2) * upper[:, None]
    i, j = np.unravel_index(int(np.argmax(lum)), lum.shape)
    toward = np.array([math.cos(el[i]) * math.cos(az[j]), math.cos(el[i]) * math.sin(az[j]), math.sin(el[i])])
    peak = small[i, j]
    contrast = float(lum[i, j] / max(float(lum[upper].mean()), 1e-6))
    key = float(np.clip((contrast - 1.0) / 8.0, 0.05, 0.9))
    amb = np.clip(ambient / max(float(ambient.max()), 1e-6), 0, 1) * (0.75 - 0.4 * key)
    color = np.clip(peak / max(float(peak.max()), 1e-6), 0, 1)
    if toward[2] < 0.1:  # the brightest spot is at the horizon: light from a little above it
        toward[2] = 0.1
        toward /= np.linalg.norm(toward)
    return {"direction": (-toward).tolist(), "intensity": key, "color": color.tolist(), "ambient": amb.tolist()}
