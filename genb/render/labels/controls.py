"""The five built-in control maps as registered drawers: ``draw(inputs) -> (H, W, 3) uint8``.

Each is named in its :class:`genb.core.controls.ControlMap` registration (``draw=
"genb.render.labels.controls:depth"``) and called by the renderer through
:func:`genb.core.controls.draw_controls`, like a map registered from outside genb; the
drawing itself is in :mod:`genb.render.labels.maps`.
"""

from __future__ import annotations

import numpy as np

from genb.core.controls import ControlInputs
from genb.render.labels import maps


def depth(inp: ControlInputs) -> np.ndarray:
    """Inverse depth, near = bright (:func:`maps.depth_control`)."""
    return maps.depth_control(inp.depth)


def normal(inp: ControlInputs) -> np.ndarray:
    """Camera-frame normals in normalbae colours, empty pixels facing the camera (the label pass's
    octahedral normals decoded to ``(n + 1) / 2 * 255`` bytes first: :func:`~genb.render.raster.normals.normal_bytes`)."""
    from genb.render.raster.normals import normal_bytes

    return maps.normal_control(normal_bytes(inp.normals), inp.depth > 0, background=maps.NORMAL_FACING_CAMERA)


def pose(inp: ControlInputs) -> np.ndarray:
    """OpenPose-18 skeletons from the sample's BODY25 keypoints and visibility."""
    H, W = inp.depth.shape[:2]
    return maps.pose_control(inp.labels["keypoints2d"], inp.labels["keypoints_vis"], H, W)


def seg(inp: ControlInputs) -> np.ndarray:
    """Body parts (``--seg-palette parts``) or ADE20K classes of people and scene."""
    if inp.options.get("seg_palette", "parts") == "parts":
        return maps.seg_control(inp.images["parts"])
    return maps.ade20k_seg_control(inp.images["parts"], inp.images["instances"], inp.depth,
                                   inp.scene.get("background", {}), inp.cam_int, inp.cam_ext)


def edges(inp: ControlInputs) -> np.ndarray:
    """Canny edges of the render before camera effects."""
    return maps.edges_control(inp.clean)
