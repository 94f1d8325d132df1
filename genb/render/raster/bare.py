"""The bare bodies' pass (dressed scenes only): the bodies without their clothes, with the props and
the ground, for ``body_instances`` (:func:`genb.render.raster.gl.body_silhouettes`).

It reads only the instance channel and the depth, so it draws the label pass's own meshes where
they are the same: each person's body faces drawn in place there (all of them for someone no piece
hides anything of) are one mesh of the label pass, which this pass adds as the same object, and the
props' meshes too. pyrender keeps a mesh in the GL context between consecutive passes that share it,
so drawn right after the label pass (as :meth:`genb.render.stage.RenderStage.rasterize` does) they are
not uploaded again. A dressed person's hidden faces are added in place (the label pass draws them
pushed back). The pixels are those of one mesh of every body face per person: the depth test keeps
the nearest fragment whatever the order within a person (one instance id), and people, props and
ground are drawn in the same order as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def bare_scene(pr: Any, camera_node: Any, bodies: list[tuple[Any, tuple | None]], prop_meshes: list,
               ground_mesh: Any, material: Any) -> tuple[Any, dict]:
    """The bare bodies' pass ``(scene, seg_node_map)``.

    Args:
        pr: the pyrender module. camera_node: a new camera node for this scene.
        bodies: per person (the label pass's mesh of their in-place body faces, their hidden faces or None),
            hidden faces as ``(positions (V', 3) float32 in place, faces (H, 3) uint32, colours (V', 4) float32)``.
        prop_meshes: the label pass's prop meshes. ground_mesh: the ground's flat mesh, or None.
        material: the flat (one-sided) material of the bodies.
    """
    scene = pr.Scene(bg_color=[0, 0, 0, 0])
    scene.add_node(camera_node)
    seg_map = {}
    for mesh, hidden in bodies:
        seg_map[scene.add(mesh)] = (0, 0, 0)
        if hidden is not None and len(hidden[1]):
            positions, faces, colours = hidden
            prim = pr.Primitive(positions=positions, indices=np.asarray(faces, np.uint32), color_0=colours, material=material)
            seg_map[scene.add(pr.Mesh(primitives=[prim]))] = (0, 0, 0)
    for m in prop_meshes:
        seg_map[scene.add(m)] = (0, 0, 0)
    if ground_mesh is not None:
        seg_map[scene.add(ground_mesh)] = (0, 0, 0)
    return scene, seg_map
