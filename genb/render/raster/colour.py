"""Colour encodings shared by the shading pass and the light probe: sRGB <-> linear, luminance."""

from __future__ import annotations

import numpy as np

SRGB_TO_LINEAR = np.array([c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
                           for c in np.arange(256) / 255.0], np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Linear 0..1 -> sRGB-encoded 0..1 (float32)."""
    x = np.clip(x, 0.0, 1.0).astype(np.float32, copy=False)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, np.float32(1 / 2.4)) - 0.055).astype(np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) linear RGB -> (...) Rec. 709 luminance."""
    return rgb[..., 0] * 0.2126 + rgb[..., 1] * 0.7152 + rgb[..., 2] * 0.0722


_ENC = linear_to_srgb(np.linspace(0.0, 1.0, 16384, dtype=np.float32))
_ENC.setflags(write=False)  # built at import: read by the preparing and finishing threads alike


def encode_lut(lin: np.ndarray) -> np.ndarray:
    """sRGB-encoded 0..1 of linear 0..1 values through a 16384-entry table (a tenth of an 8-bit step)."""
    x = lin * np.float32(16383)  # the same operations, in place after the first
    x += np.float32(0.5)
    np.clip(x, 0, 16383, out=x)
    return _ENC.take(x.astype(np.int32))


def decode_srgb(srgb: np.ndarray) -> np.ndarray:
    """Linear 0..1 of sRGB-encoded values 0..1 (exact)."""
    return np.where(srgb <= 0.04045, srgb / np.float32(12.92), ((srgb + np.float32(0.055)) / np.float32(1.055)) ** np.float32(2.4))
