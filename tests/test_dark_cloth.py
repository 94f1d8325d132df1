"""Dark cloth shows its form: the fibres' sheen (genb.render.raster.sheen) at its edges and folds.

Black cloth (albedo 0.02-0.05) lit only diffusely went through the tone curve's toe as one flat mass: in
closeup seed 390 (640x480), sample 1's black jacket and sample 3's black T-shirt had a median CIE L* of
2.2 and 3.4 and a 10-90 percentile range of 3.9 and 2.3, where sample 2's white jacket spans 20. Real
renders of those samples at 320x240 (no camera effects), the lit image and its part map: over each garment's
pixels 2 px or more inside its outline, the 10-90 percentile range of CIE L* (how far apart its lit and
shaded sides, folds and edges read) and its median (the cloth stays dark: no grey veil; a light garment
keeps its own shading). Main 26ebc84: black jacket range 3.1, median 2.1; black T-shirt 1.5, 2.8; white
jacket 17.4, 84.3. With the sheen: 7.6, 3.7; 3.5, 4.5; 17.5, 84.2."""

import numpy as np
import pytest

# sample: (part class, least L* range, median L* range)
CASES = {1: ("coat", 5.5, (3.0, 15.0)), 3: ("upper_clothes", 2.8, (3.0, 15.0)), 2: ("coat", 16.0, (80.0, 100.0))}


@pytest.fixture(scope="module")
def stage():
    from genb.config import resolve_config
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    return RenderStage(resolve_config(RenderConfig, "render", "closeup", dict(
        num_samples=8, seed=390, image_size=(320, 240), camera_effects=False)))


def _lit(stage, monkeypatch, index: int) -> dict:
    """Sample ``index``'s lit image (sRGB 0..255, before the camera's effects) and its part map."""
    import genb.render.raster.shading as S

    got = {}
    light = S.light_image

    def spy_light(albedo, coverage, depth, normals, parts, *a, **k):
        out = light(albedo, coverage, depth, normals, parts, *a, **k)
        got.update(lit=out, parts=parts.copy())
        return out

    monkeypatch.setattr(S, "light_image", spy_light)
    stage(index)
    return got


def lightness_spread(lit: np.ndarray, mask: np.ndarray, inset: int = 2) -> tuple[float, float, int]:
    """(10-90 percentile range of CIE L*, median L*, pixel count) of the lit image's pixels in ``mask``
    ``inset`` px or more inside its outline."""
    import cv2

    from genb.render.raster.colour import decode_srgb

    inner = cv2.erode(mask.astype(np.uint8), np.ones((2 * inset + 1, 2 * inset + 1), np.uint8)) > 0
    y = decode_srgb(np.clip(lit[inner], 0, 255) / 255.0) @ np.array([0.2126, 0.7152, 0.0722])
    lstar = np.where(y > 0.008856, 116 * np.cbrt(y) - 16, 903.3 * y)
    p10, p50, p90 = np.percentile(lstar, [10, 50, 90])
    return float(p90 - p10), float(p50), int(inner.sum())


def test_black_garments_show_their_form_and_stay_dark_and_a_white_one_keeps_its_shading(stage, monkeypatch):
    from genb.core.conventions import PART_INDEX

    got = {}
    for index, (part, _, _) in CASES.items():
        with monkeypatch.context() as m:
            g = _lit(stage, m, index)
        got[index] = lightness_spread(g["lit"], g["parts"] == PART_INDEX[part])
    print(got)
    for index, (_, least, (lo, hi)) in CASES.items():
        spread, median, n = got[index]
        assert n > 3000, got  # the garment well in view
        assert spread > least and lo < median < hi, got
