"""Camera paths of a sequence: static, pan/tilt, dolly, tracking a person, handheld shake, zoom.

A path is one :class:`~genb.render.scene.sample.CameraRecipe` per frame (position, yaw, pitch, roll,
field of view), so every frame's K and world-to-camera extrinsics come from the same code as a
single image's. Angles in degrees, positions in metres, time in seconds (frame t at t / fps).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from genb.render.scene.sample import CameraRecipe

CAMERA_MOTIONS = ("static", "pan", "dolly", "tracking", "handheld")


def _shake(rng: np.random.Generator, t: np.ndarray, amplitude: float, hz: tuple[float, float] = (0.4, 3.0)) -> np.ndarray:
    """(T,) smooth random wobble: a sum of three sinusoids of random frequency and phase."""
    out = np.zeros_like(t)
    for _ in range(3):
        out += np.sin(2 * np.pi * (rng.uniform(*hz) * t + rng.uniform()))
    return amplitude * out / 3.0


def camera_path(rng: np.random.Generator, base: CameraRecipe, kind: str, frames: int, fps: float,
                target_xy: np.ndarray | None = None, zoom_prob: float = 0.2) -> tuple[list[CameraRecipe], dict]:
    """One camera per frame, starting from ``base`` (frame 0 is ``base`` itself unless shaken).

    Args:
        kind: one of :data:`CAMERA_MOTIONS`; ``handheld`` is a static or slowly panning camera
            with hand shake (rotation of about a degree, position of about a centimetre).
        target_xy: (T, 2) ground path of the person a ``tracking`` camera follows (it keeps its
            offset from them); required for ``tracking``.
        zoom_prob: chance that the field of view changes linearly over the sequence (+-30 %).
    Returns:
        the cameras and a JSON-able record of the path's parameters.
    """
    t = np.arange(frames) / fps
    pos = np.tile(np.asarray(base.position, np.float64), (frames, 1))
    yaw = np.full(frames, base.yaw_deg)
    pitch = np.full(frames, base.pitch_deg)
    roll = np.full(frames, base.roll_deg)
    record: dict = {"kind": kind}
    if kind == "pan":
        rate = float(rng.uniform(4.0, 15.0) * rng.choice([-1.0, 1.0]))
        tilt = float(rng.uniform(-3.0, 3.0))
        yaw, pitch = yaw + rate * t, pitch + tilt * t
        record.update(pan_deg_per_s=rate, tilt_deg_per_s=tilt)
    elif kind == "dolly":
        speed = float(rng.uniform(0.2, 0.8))
        heading = math.radians(base.yaw_deg + float(rng.choice([0.0, 90.0, 180.0, 270.0])))
        direction = np.array([-math.sin(heading), math.cos(heading), 0.0])
        pos = pos + speed * t[:, None] * direction
        record.update(speed_m_per_s=speed, direction=direction.tolist())
    elif kind == "tracking":
        if target_xy is None:
            raise ValueError("a tracking camera needs target_xy")
        pos[:, :2] += np.asarray(target_xy, np.float64) - np.asarray(target_xy, np.float64)[0]
    elif kind == "handheld":
        drift = float(rng.uniform(-3.0, 3.0))
        yaw = yaw + drift * t + _shake(rng, t, float(rng.uniform(0.3, 1.2)))
        pitch = pitch + _shake(rng, t, float(rng.uniform(0.3, 1.0)))
        roll = roll + _shake(rng, t, float(rng.uniform(0.2, 0.8)))
        pos = pos + np.stack([_shake(rng, t, 0.01) for _ in range(3)], axis=1)
        record.update(pan_deg_per_s=drift)
    elif kind != "static":
        raise ValueError(f"unknown camera motion {kind!r}")
    fov = np.full(frames, base.fov_x_deg)
    if rng.random() < zoom_prob:
        end = float(np.clip(base.fov_x_deg * rng.uniform(0.7, 1.3), 15.0, 90.0))
        fov = base.fov_x_deg + (end - base.fov_x_deg) * t / max(t[-1], 1e-9)
        record.update(zoom_fov_deg=[base.fov_x_deg, end])
    cams = [dataclasses.replace(base, position=[float(x) for x in pos[i]], yaw_deg=float(yaw[i]),
                                pitch_deg=float(pitch[i]), roll_deg=float(roll[i]), fov_x_deg=float(fov[i]))
            for i in range(frames)]
    return cams, record
