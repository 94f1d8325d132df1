"""Scene sampling: camera, people placement, lights, background and appearance.

Pure functions of a random generator, the config and the asset tables; the
result is a JSON-able recipe (saved as ``scene.json``) from which the sample
is rendered.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np

from genb.render.assets import load_yaml_asset
from genb.render.scene import heads, outline
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
from genb.render.config import RenderConfig
from genb.core.conventions import PART_INDEX, PARTS

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def hex_rgb(hex_color: str) -> list[float]:
    """'a4262c' -> [r, g, b] in 0..1."""
    return [int(hex_color[i : i + 2], 16) / 255.0 for i in (0, 2, 4)]


@dataclasses.dataclass
class CameraRecipe:
    """A sampled camera. Angles in degrees, positions in metres (world frame)."""

    width: int
    height: int
    fov_x_deg: float
    position: list[float]
    yaw_deg: float
    pitch_deg: float
    roll_deg: float

    @property
    def K(self) -> np.ndarray:
        return intrinsics_from_fov(self.fov_x_deg, self.width, self.height)

    @property
    def cam_ext(self) -> np.ndarray:
        return extrinsics(np.array(self.position), camera_to_world_rotation(self.yaw_deg, self.pitch_deg, self.roll_deg))


def sample_camera(rng: np.random.Generator, cfg: RenderConfig) -> CameraRecipe:
    """Image orientation, field of view, height, pitch and roll from the config's ranges."""
    w, h = cfg.image_size
    if rng.random() < cfg.portrait_prob:
        w, h = h, w
    return CameraRecipe(
        width=int(w), height=int(h),
        fov_x_deg=float(rng.uniform(*cfg.fov_deg)),
        position=[0.0, 0.0, float(rng.uniform(*cfg.camera_height))],
        yaw_deg=0.0,
        pitch_deg=float(rng.uniform(*cfg.camera_pitch_deg)),
        roll_deg=float(rng.uniform(*cfg.camera_roll_deg)),
    )


def place_people(rng: np.random.Generator, cfg: RenderConfig, camera: CameraRecipe, radii: np.ndarray,
                 heights: np.ndarray, tries: int = 500, fixed: dict[int, np.ndarray] | None = None,
                 crowns: np.ndarray | None = None, outlines: np.ndarray | None = None,
                 truncated: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stand people on the ground where the camera sees them, without interpenetration.

    For each person a target pixel for the feet is drawn (inside the frame, or
    partly outside with ``truncation_prob``); the ray through it meets the
    ground at the person's position. A position is kept when the person's
    apparent height is within ``person_height_frac`` and its footprint circle
    does not overlap anyone placed before.

    Args:
        radii: (P,) footprint radius of each posed body (max horizontal distance of
            a vertex from its root), metres.
        heights: (P,) standing height of each posed body, metres.
        fixed: people already placed (index -> ground position (2,)), e.g. by :func:`genb.render.framing.aim_person`:
            the others keep clear of them.
        crowns: (P, M, 3) each person's crown in their rested frame (:func:`genb.render.scene.heads.crowns`):
            the head row is then tested exactly, on the head's top as the person's yaw turns it (None: on the
            body's top row estimated as the feet's row minus the apparent height).
        outlines: (P, M, 3) each person's outline in their rested frame (:func:`genb.render.scene.outline.outlines`):
            a person who is not truncated is then kept whole in the image (``whole_in_frame``).
        truncated: (P,) bool who is truncated on purpose, drawn once for all the framing's tries (None: drawn
            here, per person, with ``truncation_prob``: a sequence's single placement; drawn again in each of the
            framing's tries, people meant whole who fit nowhere were re-drawn until a try made them truncated).
    Returns:
        xy (P, 2) ground positions, yaw (P,) degrees, and placed (P,) bool
        (False for people no free spot was found for; they are dropped).
    """
    K, ext = camera.K, camera.cam_ext
    c = np.array(camera.position, np.float64)
    # the world direction of the ray through pixel (x, y) is M @ (x, y, 1), written out (:func:`_first_spot`
    # tests a person's tries in chunks)
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = (ext[:3, :3].T @ np.linalg.inv(K)).tolist()
    r20, r21, _ = ext[2, :3].tolist()
    t2 = float(ext[2, 3])
    cx, cy, cz = c.tolist()
    fy, W1, H1 = float(K[1, 1]), camera.width - 1, camera.height - 1
    xy = np.zeros((len(radii), 2))
    placed = np.zeros(len(radii), bool)
    yaw = rng.uniform(0.0, 360.0, size=len(radii))
    for p, at in (fixed or {}).items():
        xy[p], placed[p] = at, True
    ray = (m00, m01, m02, m10, m11, m12, m20, m21, m22, r20, r21, t2, cx, cy, cz, fy, W1, H1)
    for p in range(len(radii)):
        if placed[p]:
            continue
        cut = rng.random() < cfg.truncation_prob if truncated is None else bool(truncated[p])
        head_top = whole = None
        if crowns is not None:
            crown = heads.turned(crowns[p], float(yaw[p]))
            head_top = lambda gx, gy, crown=crown: heads.top_rows(crown, gx, gy, K, ext, camera.height)  # noqa: E731
        if outlines is not None and not cut:
            whole = _whole_test(heads.turned(outlines[p], float(yaw[p])), cfg, camera, K, ext)
        at = _first_spot(rng, cfg, camera.height, ray, cut, float(radii[p]), float(heights[p]),
                         xy[placed], radii[placed], tries, head_top=head_top, whole=whole)
        if at is not None:
            xy[p], placed[p] = at, True
    return xy, yaw, placed


def _whole_test(points: np.ndarray, cfg: RenderConfig, camera: CameraRecipe, K: np.ndarray, ext: np.ndarray):
    """``whole(gx, gy)`` -> (N,) bool: the outline ``points`` (M, 3), turned, inside the image for a person at
    each ground point (the bottom edge only where ``feet_row`` keeps the feet in frame)."""
    bottom = 1.0 if cfg.feet_row[1] <= 1.0 else None
    return lambda gx, gy: outline.inside(points, gx, gy, K, ext, camera.width, camera.height, 0.0, bottom)  # noqa: E731


def _first_spot(rng: np.random.Generator, cfg: RenderConfig, height_px: int, ray: tuple, truncated: bool,
                radius: float, height: float, others_xy: np.ndarray, others_r: np.ndarray, tries: int,
                chunk: int = 48, head_top=None, whole=None) -> tuple[float, float] | None:
    """The first of up to ``tries`` drawn feet pixels (u, then v per try, from ``rng``) whose ground point
    suits a person of ``radius`` and ``height`` (:func:`place_people`'s tests), or None; ``head_top(gx, gy)``:
    the head's exact top row at ground points (N,) (None: estimated as ``v - frac``); ``whole(gx, gy)``: whether
    the person's outline lies inside the image there (None: not tested); the tries are
    drawn and tested ``chunk`` at a time, then ``rng`` is left exactly as one try after another leaves it
    (the first good try's draws consumed, none after)."""
    m00, m01, m02, m10, m11, m12, m20, m21, m22, r20, r21, t2, cx, cy, cz, fy, W1, H1 = ray
    (ulo, uhi), (vlo, vhi) = ((-0.2, 1.2), (0.55, 1.35)) if truncated else ((0.05, 0.95), tuple(cfg.feet_row))
    lo, hi = cfg.person_height_frac
    done = 0
    while done < tries:
        n = min(chunk, tries - done)
        state = rng.bit_generator.state
        r = rng.random(2 * n)  # rng.uniform(a, b) is a + (b - a) * random(): the same draws, in the same order
        u, v = ulo + (uhi - ulo) * r[0::2], vlo + (vhi - vlo) * r[1::2]
        x, y = u * W1, v * H1
        rz = m20 * x + m21 * y + m22
        ok = rz < -1e-6  # below the horizon: meets the ground
        t = -cz / np.where(ok, rz, -1.0)
        gx, gy = cx + t * (m00 * x + m01 * y + m02), cy + t * (m10 * x + m11 * y + m12)
        dist = np.hypot(gx - cx, gy - cy)
        ok &= (dist <= cfg.max_distance) & (dist >= radius + 0.4)
        depth = r20 * gx + r21 * gy + t2  # the ground point's camera z (it lies on z = 0)
        frac = fy * height / np.maximum(depth, 1e-6) / height_px
        ok &= (lo <= frac) & (frac <= hi)
        if not truncated:  # a person who is not truncated keeps their head where the framing wants it
            top = v - frac if head_top is None else head_top(gx, gy)
            ok &= (cfg.head_row[0] <= top) & (top <= cfg.head_row[1])
        if whole is not None and ok.any():
            ok &= whole(gx, gy)
        if len(others_xy) and ok.any():
            gap = np.sqrt((others_xy[None, :, 0] - gx[:, None]) ** 2 + (others_xy[None, :, 1] - gy[:, None]) ** 2)
            ok &= (gap - others_r[None] - radius > 0.05).all(axis=1)
        good = np.flatnonzero(ok)
        if len(good):
            k = int(good[0])
            rng.bit_generator.state = state
            rng.random(2 * (k + 1))  # consume exactly the tries made up to the good one
            return float(gx[k]), float(gy[k])
        done += n
    return None


def fallback_position(camera: CameraRecipe, cfg: RenderConfig, height: float, radius: float,
                      scale: float = 1.0) -> np.ndarray:
    """(2,) ground position straight ahead of the camera at which a person of ``height`` metres has
    the middle of ``person_height_frac`` (at most 0.9 of the image) times ``scale``, for when no draw framed anyone.
    The pitch stays as drawn (inside its range); the camera's height moves, within its range, so that
    the optical axis meets the person at half their height (the recipe is changed in place)."""
    frac = min((cfg.person_height_frac[0] + cfg.person_height_frac[1]) / 2, 0.9) * scale
    depth = max(camera.K[1, 1] * height / (frac * camera.height), radius + 0.5)
    mid = 0.5 * height
    h = float(np.clip(mid - depth * math.tan(math.radians(camera.pitch_deg)), *cfg.camera_height))
    camera.position[2] = h
    # the height alone could not aim the axis at them: the pitch moves within its range, then the person
    # moves farther along the axis until it meets them
    lo, hi = cfg.camera_pitch_deg
    pitch = float(np.clip(math.degrees(math.atan2(mid - h, depth)), lo, hi))
    camera.pitch_deg = pitch
    if abs(pitch) > 0.5 and (mid - h) * pitch > 0:
        depth = max(depth, (mid - h) / math.tan(math.radians(pitch)))
    yaw = math.radians(camera.yaw_deg)
    return np.array(camera.position[:2]) + depth * np.array([-math.sin(yaw), math.cos(yaw)])


def sample_lighting(rng: np.random.Generator) -> dict[str, Any]:
    """A key light (direction it travels, intensity, colour temperature) and ambient light."""
    azimuth, elevation = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(20, 80))
    toward_light = np.array([math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth),
                             math.sin(elevation)])
    warmth = rng.uniform(0, 1)
    color = np.array([1.0, 0.93, 0.85]) * warmth + np.array([0.88, 0.93, 1.0]) * (1 - warmth)
    ambient = rng.uniform(0.25, 0.5)
    return {"direction": (-toward_light).tolist(), "intensity": float(rng.uniform(0.55, 0.95)),
            "color": color.tolist(), "ambient": [float(ambient)] * 3}


def list_background_images(folder: str) -> list[Path]:
    """Sorted image files of a background folder (sorted so sample i always gets the same one)."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def sample_background(rng: np.random.Generator, cfg: RenderConfig, images: list[Path] | None) -> dict[str, Any]:
    """A procedural sky + ground recipe, or one image of the user's background folder."""
    if images:
        return {"kind": "image", "path": str(images[int(rng.integers(len(images)))])}
    recipes = load_yaml_asset("backgrounds", "recipes.yaml")
    sky = sorted(recipes["skies"])[int(rng.integers(len(recipes["skies"])))]
    ground = sorted(recipes["grounds"])[int(rng.integers(len(recipes["grounds"])))]
    return {"kind": "procedural", "sky": sky, "ground": ground, "texture_seed": int(rng.integers(2**31)),
            "ground_rotation_deg": float(rng.uniform(0, 90))}


def sample_appearance(rng: np.random.Generator) -> dict[str, Any]:
    """Skin tone and clothing colours of one person (names from the asset tables)."""
    tones = load_yaml_asset("appearance", "skin_tones.yaml")["tones"]
    clothing = load_yaml_asset("appearance", "clothing.yaml")
    names = sorted(clothing["colors"])
    top, bottom = (names[i] for i in rng.choice(len(names), size=2, replace=False))
    return {
        "skin_tone": tones[int(rng.integers(len(tones)))]["name"],
        "top": top,
        "bottom": bottom,
        "shoes": clothing["shoe_colors"][int(rng.integers(len(clothing["shoe_colors"])))],
        "long_sleeves": bool(rng.random() < clothing["top"]["long_sleeve_prob"]),
        "long_bottom": bool(rng.random() < clothing["bottom"]["long_prob"]),
    }


def part_colors(appearance: dict[str, Any]) -> np.ndarray:
    """(len(PARTS), 3) float32 albedo of each body part for one person's appearance."""
    from genb.render.dress.skin import tone_srgb

    clothing = load_yaml_asset("appearance", "clothing.yaml")
    colors = np.tile(tone_srgb(appearance["skin_tone"]), (len(PARTS), 1))  # the tone's measured albedo
    garments = [("top", clothing["top"]["parts"] + (clothing["top"]["long_sleeve_parts"] if appearance["long_sleeves"] else [])),
                ("bottom", clothing["bottom"]["parts"] + (clothing["bottom"]["long_parts"] if appearance["long_bottom"] else [])),
                ("shoes", clothing["shoes"]["parts"])]
    for garment, parts in garments:
        for part in parts:
            colors[PART_INDEX[part]] = hex_rgb(clothing["colors"][appearance[garment]])
    colors[0] = 0.0
    return colors
