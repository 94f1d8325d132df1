"""Control maps: what ControlNets are conditioned on. One spec per map drives every stage.

A :class:`ControlMap` says the map's name (``--controls`` and ``show``), its file in a
sample folder (``control_<name>.png``), its default ControlNet per architecture, and how
to draw it from a rendered sample. The five built-in maps are ordinary registrations: their
``draw`` names a function of :mod:`genb.render.labels.controls` (imported when a render first
draws, so this module imports nothing of the renderer). The renderer draws every registered
map through :func:`draw_controls`, in registration order.

Adding one (see docs/architecture.md, "How to add")::

    from genb.core.controls import CONTROL_MAPS, ControlMap

    CONTROL_MAPS.register(ControlMap(
        "silhouette", models={"sd15": "me/controlnet-silhouette"},
        draw=lambda sample: np.repeat((sample.images["instances"] > 0)[..., None] * 255, 3, -1).astype(np.uint8),
    ))
"""

from __future__ import annotations

import dataclasses
import importlib
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
    draw: Callable[[Any], np.ndarray] | str | None = None
    """``draw(sample) -> (H, W, 3) uint8`` from a :class:`ControlInputs` (its ``images``, ``depth``,
    ``labels``, ``scene``, ...), or ``"module:function"`` naming one (imported on first use);
    None: a map whose file comes from elsewhere (not drawn by the renderer)."""
    doc: str = ""
    """One line for the docs."""

    @property
    def file(self) -> str:
        """The sample file's stem: ``control_<name>`` (``samples/NNNNNN/control_<name>.png``)."""
        return f"control_{self.name}"

    def drawer(self) -> Callable[[Any], np.ndarray] | None:
        """``draw`` as a function (a ``"module:function"`` name imported)."""
        if isinstance(self.draw, str):
            module, _, name = self.draw.partition(":")
            return getattr(importlib.import_module(module), name)
        return self.draw


@dataclasses.dataclass
class ControlInputs:
    """What a control map is drawn from: one rendered sample, before it is written.

    ``images``, ``depth``, ``labels`` and ``scene`` are those of the rendered sample
    (:class:`genb.render.stage.RenderedSample`); ``images`` also holds every map drawn before
    this one (``control_<name>``, in registration order).
    """

    images: dict[str, np.ndarray]
    """``image`` (final, uint8 (H, W, 3)), ``parts``, ``instances``, ``body_instances`` (H, W) uint8, maps drawn so far."""
    depth: np.ndarray
    """(H, W) float32 camera-frame z, metres; 0 where nothing was drawn."""
    labels: dict[str, np.ndarray]
    """The sample's ``labels.npz`` arrays (``keypoints2d``, ``keypoints_vis``, ``cam_int``, ...)."""
    scene: dict[str, Any]
    """The sample's recipe (what ``scene.json`` holds)."""
    normals: np.ndarray | None = None
    """(H, W, 3) uint8 camera-frame normals of the label pass, octahedral (:mod:`genb.render.raster.normals`:
    ``decode_normals``, or ``normal_bytes`` for ``(n + 1) / 2 * 255``)."""
    clean: np.ndarray | None = None
    """(H, W, 3) uint8 image before camera effects (what the edge map is drawn from)."""
    cam_int: np.ndarray | None = None
    """(3, 3) intrinsics the sample was rendered with."""
    cam_ext: np.ndarray | None = None
    """(4, 4) world-to-camera extrinsics the sample was rendered with."""
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Render settings a map follows (``seg_palette``)."""


CONTROL_MAPS: Registry[ControlMap] = Registry("control map")

_DRAW = "genb.render.labels.controls:"
for _spec in (
    ControlMap("depth", {"sd15": "lllyasviel/control_v11f1p_sd15_depth",
                         "sdxl": "diffusers/controlnet-depth-sdxl-1.0"}, _DRAW + "depth", doc="inverse depth, near = bright"),
    ControlMap("normal", {"sd15": "lllyasviel/control_v11p_sd15_normalbae"}, _DRAW + "normal",
               doc="camera-frame normals (BAE colours)"),
    ControlMap("pose", {"sd15": "lllyasviel/control_v11p_sd15_openpose",
                        "sdxl": "thibaud/controlnet-openpose-sdxl-1.0"}, _DRAW + "pose", doc="OpenPose-18 skeleton"),
    ControlMap("seg", {"sd15": "lllyasviel/control_v11p_sd15_seg"}, _DRAW + "seg", doc="ADE20K-coloured body parts"),
    ControlMap("edges", {"sd15": "lllyasviel/control_v11p_sd15_canny",
                         "sdxl": "diffusers/controlnet-canny-sdxl-1.0"}, _DRAW + "edges", doc="Canny edges of the render"),
):
    CONTROL_MAPS.register(_spec)

BUILTIN_CONTROLS = CONTROL_MAPS.names()


def draw_controls(inputs: ControlInputs) -> dict[str, np.ndarray]:
    """Every registered map with a ``draw``, drawn from ``inputs`` in registration order: file stem -> image.

    Each map is added to ``inputs.images`` as it is drawn, so a later map may use an earlier one.
    """
    out = {}
    for c in CONTROL_MAPS:
        draw = c.drawer()
        if draw is not None:
            out[c.file] = inputs.images[c.file] = draw(inputs)
    return out
