"""genb's forward pass: pyrender's ``Renderer._forward_pass`` for the flags genb draws with
(``FLAT``, ``FLAT | SEG``, ``DEPTH_ONLY``; no lights, no normals pass), with the GL state set
once per pass instead of once per primitive.

pyrender, for every primitive of every pass, builds its shader's defines and looks its program up,
binds it, asks the driver for the location of each uniform by name (``V``, ``P``, ``cam_pos``,
``M`` and four material factors, through PyOpenGL's checked wrappers), sets blending, culling and
polygon mode, binds and unbinds the vertex array: two dozen GL calls and a millisecond of Python
a primitive on a loaded CPU, a hundred primitives a sample, on the GL thread (whose Python time
the completing thread waits for: they share the GIL). This module draws the same primitives with
the same programs, the same uniform values and the same fixed-function state, in the same order:
programs are looked up once per kind of primitive, uniform locations once per program, and a
state is only set when it changes. The pixels are the same bytes (see tests/test_forward.py).

One thing differs on purpose: in a ``SEG`` pass pyrender never sets the flat shader's
``material.base_color_factor``, so its vertex colours were multiplied by whatever the last
``FLAT`` pass left in that program (zeros in a fresh process: a label pass drawn first read all
black). Here every pass sets the primitive's material factor (genb's label materials are white:
the colours drawn are the vertex colours, as they were after a colour pass).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np


class _Programs:
    """Per renderer: the program of each kind of primitive and the uniform locations of each program."""

    def __init__(self):
        self.programs: dict[tuple, Any] = {}
        self.locations: dict[tuple[int, str], int] = {}

    def program(self, inner: Any, primitive: Any, flags: int) -> Any:
        from pyrender.constants import GLTF, ProgramFlags

        material = primitive.material
        key = (int(flags), int(primitive.buf_flags), int(material.tex_flags), type(material), primitive.mode == GLTF.POINTS)
        program = self.programs.get(key)
        if program is None or not program._in_context():
            program = self.programs[key] = inner._get_primitive_program(primitive, flags, ProgramFlags.USE_MATERIAL)
        return program

    def location(self, program: Any, name: str) -> int:
        from OpenGL import GL

        key = (program._program_id, name)
        loc = self.locations.get(key)
        if loc is None:
            loc = self.locations[key] = int(GL.glGetUniformLocation(program._program_id, name))
        return loc


def _programs(inner: Any) -> _Programs:
    cache = inner.__dict__.get("_genb_programs")
    if cache is None:
        cache = inner._genb_programs = _Programs()
    return cache


def _matrix(loc: int, value: np.ndarray) -> None:
    """``glUniformMatrix4fv`` as pyrender's ``set_uniform`` calls it (row-major, transposed by GL)."""
    from OpenGL import GL

    if loc != -1:
        GL.glUniformMatrix4fv(loc, 1, GL.GL_TRUE, np.ascontiguousarray(value, np.float32))


def _vec3(loc: int, value: np.ndarray) -> None:
    from OpenGL import GL

    if loc != -1:
        GL.glUniform3fv(loc, 1, np.asarray(value, np.float32).ravel())


def _seg_colour(colour: Any) -> np.ndarray:
    """pyrender's SEG colour of a node: (3,) in 0..1 from 0..255 (a scalar is repeated)."""
    if not isinstance(colour, (list, tuple, np.ndarray)):
        colour = np.repeat(colour, 3)
    return np.asanyarray(colour) / 255.0


def _material_uniforms(cache: _Programs, program: Any, material: Any) -> None:
    """The material factors pyrender's ``_bind_and_draw_primitive`` sets (those the program uses)."""
    from OpenGL import GL
    from pyrender.material import MetallicRoughnessMaterial

    def vec(name, value):
        loc = cache.location(program, name)
        if loc != -1:
            v = np.asarray(value, np.float32).ravel()
            (GL.glUniform3fv if len(v) == 3 else GL.glUniform4fv)(loc, 1, v)

    def scalar(name, value):
        loc = cache.location(program, name)
        if loc != -1:
            GL.glUniform1f(loc, float(value))

    vec("material.emissive_factor", material.emissiveFactor)
    if isinstance(material, MetallicRoughnessMaterial):
        vec("material.base_color_factor", material.baseColorFactor)
        scalar("material.metallic_factor", material.metallicFactor)
        scalar("material.roughness_factor", material.roughnessFactor)
    else:  # SpecularGlossiness: genb draws none, but stay pyrender's
        vec("material.diffuse_factor", material.diffuseFactor)
        vec("material.specular_factor", material.specularFactor)
        scalar("material.glossiness_factor", material.glossinessFactor)


def _textures(cache: _Programs, program: Any, material: Any) -> None:
    """The material's textures on units 0, 1, ... in pyrender's order (genb's have a base colour at most)."""
    from OpenGL import GL
    from pyrender.constants import TexFlags

    if not material.tex_flags:
        return
    unit = 0
    for flag, tex, name in ((TexFlags.NORMAL, "normalTexture", "normal_texture"),
                            (TexFlags.OCCLUSION, "occlusionTexture", "occlusion_texture"),
                            (TexFlags.EMISSIVE, "emissiveTexture", "emissive_texture"),
                            (TexFlags.BASE_COLOR, "baseColorTexture", "base_color_texture"),
                            (TexFlags.METALLIC_ROUGHNESS, "metallicRoughnessTexture", "metallic_roughness_texture"),
                            (TexFlags.DIFFUSE, "diffuseTexture", "diffuse_texture"),
                            (TexFlags.SPECULAR_GLOSSINESS, "specularGlossinessTexture", "specular_glossiness_texture")):
        if material.tex_flags & flag:
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            getattr(material, tex)._bind()
            loc = cache.location(program, "material." + name)
            if loc != -1:
                GL.glUniform1i(loc, unit)
            unit += 1


def _fixed_state(material: Any, plain: bool) -> tuple:
    """(cull, blend source, blend destination) pyrender sets for a primitive: ``plain`` for SEG and
    DEPTH_ONLY passes (back faces culled, no blending), else by the material."""
    from OpenGL import GL

    if plain:
        return True, GL.GL_ONE, GL.GL_ZERO
    blend = (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA) if material.alphaMode == "BLEND" else (GL.GL_ONE, GL.GL_ZERO)
    return (not material.doubleSided), *blend


def forward_pass(inner: Any, scene: Any, flags: int, seg_node_map: dict | None, nodes: list) -> Any:
    """Draw ``nodes`` (the scene's mesh nodes, in draw order) as pyrender's ``_forward_pass`` would
    for ``flags``, then read the framebuffer back with ``inner._read_main_framebuffer``.

    Args:
        inner: pyrender's ``Renderer`` (``OffscreenRenderer._renderer``), context current.
        scene: the pyrender scene. flags: ``RenderFlags`` (FLAT, SEG, DEPTH_ONLY, RGBA, OFFSCREEN).
        seg_node_map: in a SEG pass, the nodes drawn (others are skipped, as pyrender does).
    """
    from OpenGL import GL
    from pyrender.constants import GLTF, RenderFlags

    unsupported = RenderFlags.VERTEX_NORMALS | RenderFlags.FACE_NORMALS | RenderFlags.ALL_WIREFRAME | \
        RenderFlags.FLIP_WIREFRAME | RenderFlags.SKIP_CULL_FACES
    if flags & unsupported or not flags & (RenderFlags.FLAT | RenderFlags.SEG | RenderFlags.DEPTH_ONLY):
        raise ValueError(f"genb's forward pass draws FLAT, SEG and DEPTH_ONLY passes only, not flags {int(flags)}")
    seg = bool(flags & RenderFlags.SEG)
    plain = bool(flags & (RenderFlags.DEPTH_ONLY | RenderFlags.SEG))
    inner._configure_forward_pass_viewport(flags)
    GL.glClearColor(*((0.0, 0.0, 0.0, 1.0) if seg else scene.bg_color))
    GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
    (GL.glDisable if seg else GL.glEnable)(GL.GL_MULTISAMPLE)
    V, P = inner._get_camera_matrices(scene)
    cache = _programs(inner)
    GL.glEnable(GL.GL_BLEND)
    GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_FILL)
    GL.glDisable(GL.GL_PROGRAM_POINT_SIZE)
    GL.glCullFace(GL.GL_BACK)
    bound, state, drew = None, None, False
    model: dict[int, np.ndarray] = {}  # per program, this pass: the pose M holds, the material set
    factors: dict[int, Any] = {}
    for node in nodes:
        mesh = node.mesh
        if not mesh.is_visible or (seg and node not in (seg_node_map or {})):
            continue
        pose = scene.get_pose(node)
        for primitive in mesh.primitives:
            program = cache.program(inner, primitive, flags)
            if program is not bound:
                program._bind()
                _matrix(cache.location(program, "V"), V)
                _matrix(cache.location(program, "P"), P)
                _vec3(cache.location(program, "cam_pos"), scene.get_pose(scene.main_camera_node)[:3, 3])
                bound = program
            pid = program._program_id
            held = model.get(pid)
            if held is None or not np.array_equal(held, pose):  # uniforms stay with their program: set only changes
                _matrix(cache.location(program, "M"), pose)
                model[pid] = pose
            if seg:  # the segmentation shader's colour (genb's FLAT | SEG passes use the flat shader: no such uniform)
                _vec3(cache.location(program, "color"), _seg_colour(seg_node_map[node]))
            if not flags & RenderFlags.DEPTH_ONLY:  # SEG too: see the module
                if not seg:
                    _textures(cache, program, primitive.material)
                if factors.get(pid) is not primitive.material:
                    _material_uniforms(cache, program, primitive.material)
                    factors[pid] = primitive.material
            new = _fixed_state(primitive.material, plain)
            if new != state:
                (GL.glEnable if new[0] else GL.glDisable)(GL.GL_CULL_FACE)
                GL.glBlendFunc(new[1], new[2])
                state = new
            if primitive.mode == GLTF.POINTS:
                raise ValueError("genb's forward pass draws triangles, not points")
            primitive._bind()
            n_instances = 1 if primitive.poses is None else len(primitive.poses)
            if primitive.indices is not None:
                GL.glDrawElementsInstanced(primitive.mode, primitive.indices.size, GL.GL_UNSIGNED_INT,
                                           ctypes.c_void_p(0), n_instances)
            else:
                GL.glDrawArraysInstanced(primitive.mode, 0, len(primitive.positions), n_instances)
            drew = True
    if drew:
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
    GL.glFlush()
    return inner._read_main_framebuffer(scene, flags)
