"""A person's skin-tone jitter (dress.outfit.skin_jitter) varies lightness, redness and yellow
against cool, and never turns a tone toward green: per-channel factors drawn independently did
(closeup seed 373 #0, monk-06 x (0.94, 1.03, 1.01): an olive, grey-green face)."""

import numpy as np

from genb.render.dress import load_wardrobe, sample_outfit
from genb.render.dress.skin import _tones, tone_albedo


def _lab(linear: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of linear sRGB, written out here independently of genb's colour code."""
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = (m @ linear) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _hue(linear: np.ndarray) -> float:
    lab = _lab(linear)
    return float(np.degrees(np.arctan2(lab[2], lab[1])))


def test_skin_jitter_never_turns_a_tone_green():
    w = load_wardrobe("everyday")
    rng = np.random.default_rng(0)
    jit = np.array([sample_outfit(rng, w, {"gender": "female", "age_group": "adult"})["skin_jitter"]
                    for _ in range(300)])
    for tone in sorted(_tones()):
        base = tone_albedo(tone).astype(np.float64)
        dh = np.array([_hue(base * j) for j in jit]) - _hue(base)
        lightness = np.array([_lab(base * j)[0] for j in jit])
        # hue angle 0 = red, 90 = yellow, beyond = green; skin tones sit at 50-61 degrees.
        # Measured: d0d7369 (independent factors) up to +9.6 (monk-07) .. +19.2 (monk-01)
        # degrees toward green; now at most +5.3 (monk-01, yellower from less blue).
        assert dh.max() < 6.0, (tone, dh.max())
        assert dh.min() > -15.0, (tone, dh.min())  # redder, never magenta
        # it still varies: lightness spread 0.53-0.99 L* (d0d7369 0.39-0.74)
        assert lightness.std() > 0.4, (tone, lightness.std())
