"""The procedural ground-truth renderer (``genb render``).

Modules: ``conventions`` (axes, units, joint and part orders), ``bodies``
(body models), ``poses`` (key poses mapped to each rig), ``camera`` (pure
projection geometry), ``scene`` (scene sampling), ``raster`` (the GL
renderer), ``maps`` (control maps), ``labels`` (ground truth), ``stage``
(the command), ``show`` (contact sheets).
"""
