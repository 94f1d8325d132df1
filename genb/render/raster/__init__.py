"""Rasterization and shading: from posed meshes to pixels.

``gl`` the GL rasterizer (one per process) and its passes; ``shadows`` the sun's depth pass and
contact darkening; ``shading`` the deferred per-pixel light (with ``probe`` the sky and ground
light on spherical harmonics, ``colour`` sRGB/linear); ``texture`` prefiltered procedural detail;
``effects`` camera effects on the finished image.
"""
