"""Level of detail of a dressed person by their size on screen.

The camera is known before anyone is dressed, so each person's scale on screen (pixels per metre
at their nearest keypoint) picks how finely they are dressed. What a small person loses is below a
pixel or two at that scale, and never their outline or their ground truth (the body, keypoints and
labels do not depend on it):

- **subdivided shells** (garments with stripes, checks or prints: :data:`genb.render.dress.garments.FINE_PATTERNS`)
  only from :data:`FINE_MIN_PX_PER_M`: the pattern is drawn per pixel from cloth coordinates either
  way (:mod:`genb.render.dress.texcoords`); the subdivision only rounds the cloth's surface finer than
  the body mesh under it, which every other garment (solid, denim, knit) is drawn at. Below the
  threshold a patterned garment takes the cut's unsubdivided shell (a quarter of the vertices and faces),
  and so does hair (its clumps and curls on the body's own scalp grid, shaded with the smooth offset's
  normals, :mod:`genb.render.dress.hair`).
- **seams of solid garments** (:mod:`genb.render.dress.seams`) only from :data:`SEAMS_MIN_PX_PER_M`: they
  go through the per-pixel cloth path for their seams alone, which far people would pay for with
  nothing to show (the seams fade out from 8 mm of cloth per pixel; patterned garments get theirs anyway).
  They fade in with the person's scale up to :data:`SEAMS_FULL_PX_PER_M` (``Detail.seam_weight``), so
  they do not pop in at one distance (at 2.2-4 mm of cloth per pixel buttons and plackets show).
- **folds at bent joints** (:mod:`genb.render.dress.folds`) only from :data:`FOLDS_MIN_PX_PER_M`: their
  ridges are 7 cm apart and at most 1.4 cm high, under 5 and 1 pixels below it.
- **draped loose garments** (:mod:`genb.render.dress.hang`: 24 rings, edges kept out of the legs, two
  rounds settling against the body) only from :data:`DRAPE_MIN_PX_PER_M`; below it a skirt takes 14 rings
  whose vertices (not edges) are kept out of the legs (a deep crouch may show a thigh through the cloth
  by a few pixels) and one exact push out of the skin (:mod:`genb.render.dress.settle`).

Pure functions; the levels depend only on the sample's own camera and people, so a sample's bytes do not
depend on which samples came before. Single images only: a sequence's frames are dressed at full detail
(a person's mesh keeps its topology from frame to frame, which the flow between frames follows, and no
fold pops in or out as someone walks away).
"""

from __future__ import annotations

import dataclasses

import numpy as np

FINE_MIN_PX_PER_M = 300.0  # a standing adult about 500 px tall: only close-ups subdivide patterned garments
FOLDS_MIN_PX_PER_M = 70.0  # a standing adult about 120 px tall: a fold's 7 cm wavelength is 5 px
SEAMS_MIN_PX_PER_M = 350.0  # solid garments' seams per pixel (genb.render.dress.seams) only in close-ups (2.9 mm per px;
#   from 250 px/m they would cost the default render ~3 ms a sample: 44 % more cloth pixels, from 300 28 %, from 350 6 %)
SEAMS_FULL_PX_PER_M = 450.0  # ... faded in up to here (2.2 mm per px: whole from there on)
DRAPE_MIN_PX_PER_M = 300.0  # a standing adult about 500 px tall (close-ups): a thigh 5 cm through a skirt is 15 px


@dataclasses.dataclass(frozen=True)
class Detail:
    """How finely one person is dressed.

    Attributes:
        fine: patterned garments and hair on subdivided shells (False: the cut's unsubdivided shell).
        folds: folds at bent joints.
        seams: solid garments drawn per pixel for their seams (patterned ones always are).
        seam_weight: the share of those seams drawn (0..1: faded in with the person's scale).
        drape: loose garments on their fine grid (:data:`genb.render.dress.hang.RINGS` rings, edges kept out
            of the legs too, two settling rounds); False: 14 rings, vertices only, one push out of the skin.
    """

    fine: bool = True
    folds: bool = True
    seams: bool = True
    drape: bool = True
    seam_weight: float = 1.0


FULL = Detail()


def pixels_per_metre(keypoints: np.ndarray, K: np.ndarray, cam_ext: np.ndarray) -> np.ndarray:
    """(P,) each person's scale on screen: the focal length (pixels) over the depth of their nearest
    keypoint (metres, at least 5 cm), for BODY25 ``keypoints`` (P, 25, 3) in the world and the camera
    ``K`` (3, 3), ``cam_ext`` (4, 4) world-to-camera."""
    kp = np.asarray(keypoints, np.float64).reshape(-1, 25, 3)
    z = (kp @ np.asarray(cam_ext, np.float64)[2, :3] + cam_ext[2, 3]).min(axis=1)
    return float(max(K[0, 0], K[1, 1])) / np.maximum(z, 0.05)


def detail_of(scale: float) -> Detail:
    """The :class:`Detail` of a person ``scale`` pixels per metre on screen."""
    ramp = (scale - SEAMS_MIN_PX_PER_M) / (SEAMS_FULL_PX_PER_M - SEAMS_MIN_PX_PER_M)
    return Detail(fine=scale >= FINE_MIN_PX_PER_M, folds=scale >= FOLDS_MIN_PX_PER_M, seams=scale >= SEAMS_MIN_PX_PER_M,
                  drape=scale >= DRAPE_MIN_PX_PER_M, seam_weight=float(min(max(ramp, 0.0), 1.0)))


def detail_levels(keypoints: np.ndarray, K: np.ndarray, cam_ext: np.ndarray) -> list[Detail]:
    """Per person (BODY25 ``keypoints`` (P, 25, 3), world frame) their :class:`Detail` through the camera."""
    return [detail_of(float(s)) for s in pixels_per_metre(keypoints, K, cam_ext)]
