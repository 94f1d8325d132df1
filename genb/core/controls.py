"""Control maps: what ControlNets are conditioned on. One spec per map drives every stage.

A :class:`ControlMap` says the map's name (``--controls`` and ``show``), its file in a
sample folder (``control_<name>.png``), its default ControlNet per architecture, and,
for maps added from outside genb, how to draw it from a rendered sample. The five
built-in maps are drawn by the renderer itself (:mod:`genb.render.labels.maps`).

Adding one (see docs/architecture.md, "How to add")::

    from genb.core.controls import CONTROL_MAPS, ControlMap

    CONTROL_MAPS.register(ControlMap(
        "silhouette", models={"sd15": "me/controlnet-silhouette"},
        draw=lambda sample: np.repeat((sample.images["instances"] > 0)[..., None] * 255, 3, -1).astype(np.uint8),
    ))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from genb.core.registry import Registry


@dataclasses.dataclass(frozen=True)
class ControlMap:
    """One control map."""

    name: str
    """Its name in ``--controls``, ``genb show`` and provenance."""
    models: dict[str, str] = dataclasses.field(default_factory=dict)
    """Default ControlNet (hub id or folder) per architecture (``sd15``, ``sdxl``)."""
    draw: Callable[[Any], np.ndarray] | None = None
    """``draw(sample) -> (H, W, 3) uint8`` from a :class:`genb.render.stage.RenderedSample`
    (its ``images``, ``depth``, ``labels``); None for the maps the renderer draws itself."""
    doc: str = ""
    """One line for the docs."""

    @property
    def file(self) -> str:
        """The sample file's stem: ``control_<name>`` (``samples/NNNNNN/control_<name>.png``)."""
        return f"control_{self.name}"


CONTROL_MAPS: Registry[ControlMap] = Registry("control map")

for _spec in (
    ControlMap("depth", {"sd15": "lllyasviel/control_v11f1p_sd15_depth",
                         "sdxl": "diffusers/controlnet-depth-sdxl-1.0"}, doc="inverse depth, near = bright"),
    ControlMap("normal", {"sd15": "lllyasviel/control_v11p_sd15_normalbae"}, doc="camera-frame normals (BAE colours)"),
    ControlMap("pose", {"sd15": "lllyasviel/control_v11p_sd15_openpose",
                        "sdxl": "thibaud/controlnet-openpose-sdxl-1.0"}, doc="OpenPose-18 skeleton"),
    ControlMap("seg", {"sd15": "lllyasviel/control_v11p_sd15_seg"}, doc="ADE20K-coloured body parts"),
    ControlMap("edges", {"sd15": "lllyasviel/control_v11p_sd15_canny",
                         "sdxl": "diffusers/controlnet-canny-sdxl-1.0"}, doc="Canny edges of the render"),
):
    CONTROL_MAPS.register(_spec)

BUILTIN_CONTROLS = CONTROL_MAPS.names()


def draw_extra_controls(sample: Any) -> dict[str, np.ndarray]:
    """The registered maps the renderer does not draw itself, drawn from ``sample``: file stem -> image."""
    return {c.file: c.draw(sample) for c in CONTROL_MAPS if c.draw is not None and c.file not in sample.images}
