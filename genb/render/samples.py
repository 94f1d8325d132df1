"""What one sample carries between the render stage's steps: :class:`PreparedSample` (up to the
rasterizer, made on the preparing thread) and :class:`RenderedSample` (what is written to the
sample folder)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.render.scene import scenery


@dataclasses.dataclass
class RenderedSample:
    """What one call of :class:`RenderStage` made (also written to the sample folder).

    Attributes:
        images: name -> (H, W[, 3]) uint8 image (``image``, ``control_*``, ``parts``, ``instances``).
        depth: (H, W) float32 metric depth.
        labels: the arrays of ``labels.npz``.
        scene: the JSON recipe.
    """

    images: dict[str, np.ndarray]
    depth: np.ndarray
    labels: dict[str, np.ndarray]
    scene: dict[str, Any]


@dataclasses.dataclass
class PreparedSample:
    """A sample up to the rasterizer: what :meth:`RenderStage.finish` needs.

    Attributes:
        passes: the rasterizer's scenes (:meth:`Rasterizer.build_passes`), not yet drawn.
        backdrop: (H, W, 3) uint8 sky or photo behind everything.
        labels: the ground truth that needs no depth buffer. scene: the JSON recipe.
    """

    num_people: int
    passes: list
    K: np.ndarray
    cam_ext: np.ndarray
    width: int
    height: int
    has_ground: bool
    backdrop: np.ndarray
    labels: dict[str, np.ndarray]
    scene: dict[str, Any]
    look: scenery.Look | None = None
    """Shadows, aerial perspective, camera response and effects of the image (None: plain)."""
    body_vertices_cam: np.ndarray | None = None
    """(P, V, 3) float64 the bare posed bodies in the camera frame (the ground truth under the clothes;
    visibility part (a) ray-casts against them)."""
    texcoord_pass: tuple | None = None
    """The patterned garments' cloth coordinates pass (:mod:`genb.render.raster.texcoord_pass`), or None."""
    fabrics: dict | None = None
    """{(instance, part id): garment record} of the patterned pieces the texcoord pass draws."""
