"""Rasterization and shading: from posed meshes to pixels.

``gl`` the GL rasterizer (one per process) and its passes; ``shadows`` the sun's depth pass and
contact darkening; ``shading`` the deferred per-pixel light (with ``probe`` the sky and ground
light on spherical harmonics, ``colour`` sRGB/linear); ``texture`` prefiltered procedural detail
(``procedural`` its primitives); ``texcoord_pass`` per-pixel cloth coordinates and ``detail`` the
cloth's patterns and relief over the G-buffer, ``relief`` the ground's detail normals;
``effects`` camera effects on the finished image.
"""
