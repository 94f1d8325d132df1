"""The rasterizer: pyrender passes that turn posed meshes into pixels.

One :class:`Rasterizer` per process, built once and reused for every sample
(the GL context is the expensive part). The passes of one sample:

1. **colour** (albedo, sRGB-encoded, MSAA, RGBA): the G-buffer's anti-aliased albedo and its coverage
   (lit per pixel afterwards by :mod:`genb.render.raster.shading`);
2. **sun depth** (scenes with shadows: depth only, orthographic along the sun, built by
   :meth:`Rasterizer.build_shadow_pass` over the colour pass's meshes);
3. **labels** (``FLAT | SEG | RGBA``: vertex colours, no MSAA): one mesh per person whose
   per-vertex colours hold ``(person + 1, part id, normal u, normal v)`` (vertices are split
   between parts, see :class:`PartSplit`). So instance and part maps are exact, the normal
   map comes in the same pass (octahedral u, v: the full normal), and the metric depth buffer is sampled at the
   same pixel centres;
4. **bare bodies** (dressed scenes only): the bodies without their clothes (with the props and
   the ground), for ``body_instances``.

:meth:`Rasterizer.run_passes` draws them through :func:`render_pass` (passes 2-4 without
pyrender's multisample buffers, no unused readbacks).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any

import numpy as np

from genb.errors import GenbError
from genb.render.labels.camera import gl_camera_pose, gl_intrinsics
from genb.core.conventions import SCENE_PART_INDEX
from genb.render.raster.casters import COARSE_MIN_FACES, CoarsePieces, caster_mesh, coarse_faces
from genb.render.raster.context import render_pass, shared_renderer
from genb.render.raster.lod import LOD_PX, coarse_people, colour_faces, piece_faces
from genb.render.raster.normals import encode_label_planes, encode_normals, label_colours
from genb.render.raster.meshes import (
    HIDDEN_PUSH, GroundLayer, Lighting, MeshLayer, PartSplit, PropMesh, compact, concat_extras, push_back,
    vertex_face_incidence, vertex_normals,
)

ZNEAR, ZFAR = 0.05, 500.0


@dataclasses.dataclass
class RasterOutput:
    """What the passes produce for one image (H, W = image size).

    Attributes:
        color: (H, W, 3) uint8 sRGB-encoded albedo, anti-aliased, premultiplied by ``coverage``
            (unlit: :mod:`genb.render.raster.shading` lights it).
        coverage: (H, W) float32 in 0..1, the fraction of each pixel covered by geometry.
        depth: (H, W) float32 camera z in metres at the pixel centre (no MSAA, so it agrees
            with ``instances`` and ``parts`` pixel for pixel); 0 where nothing was hit.
        instances: (H, W) uint8, 0 background, p + 1 for person p.
        parts: (H, W) uint8 part ids (``conventions.PARTS``).
        normals: (H, W, 3) uint8 camera-frame normals, octahedral (:mod:`genb.render.raster.normals`;
            decode with :func:`~genb.render.raster.normals.decode_normals`); 0 where nothing was hit.
        body_instances: (H, W) uint8, dressed scenes only (else None): the bodies' own
            silhouettes as if their clothes and hair were transparent, still hidden by other
            people (dressed) and objects: p + 1 where person p's bare body is seen.
        body_depth: (H, W) float32 depth of the bare bodies, props and ground (no clothes), or None.
        bare_instances: (H, W) uint8 instance ids of the bare bodies alone, or None.
    """

    color: np.ndarray
    coverage: np.ndarray
    depth: np.ndarray
    instances: np.ndarray
    parts: np.ndarray
    normals: np.ndarray
    body_instances: np.ndarray | None = None
    body_depth: np.ndarray | None = None

    bare_instances: np.ndarray | None = None
    strands: Any = None
    """Hair pixels with their strand directions (:class:`genb.render.raster.strands.StrandPixels`), or None."""


def body_silhouettes(instances: np.ndarray, depth: np.ndarray, bare_instances: np.ndarray, bare_depth: np.ndarray,
                     tolerance: float = 1e-3) -> np.ndarray:
    """(H, W) uint8 bodies seen through their own clothes: ``bare_instances`` where the dressed
    scene shows that same person (their clothes or body) or shows something farther away;
    0 where another person or an object is in front of the bare body.

    Args:
        instances, depth: the dressed label pass. bare_instances, bare_depth: the bodies-only pass.
    """
    bare = bare_instances > 0
    own = instances == bare_instances
    behind = (depth <= 0) | (depth >= bare_depth - tolerance)
    return np.where(bare & (own | behind), bare_instances, 0).astype(np.uint8)


class Rasterizer:
    """pyrender offscreen renderer, built once per process.

    Args:
        faces: (F, 3) int triangle indices of the body model's topology.
        vertex_parts: (V,) part id of each vertex.
        platform: PyOpenGL platform, "egl" (default; Mesa llvmpipe on CPU, the GPU
            through ``EGL_DEVICE_ID``) or "osmesa" (needs libosmesa6).
    """

    def __init__(self, faces: np.ndarray, vertex_parts: np.ndarray, platform: str = "egl"):
        current = os.environ.get("PYOPENGL_PLATFORM")
        if current and current != platform and "OpenGL" in sys.modules:
            raise GenbError(
                f"OpenGL was already loaded for platform {current!r}; cannot switch to {platform!r}",
                f"set PYOPENGL_PLATFORM={platform} before starting, or use --gl-platform {current}",
            )
        os.environ["PYOPENGL_PLATFORM"] = platform
        try:
            import pyrender
        except Exception as e:  # noqa: BLE001 - any GL load failure is a setup problem
            raise GenbError(
                f"could not load the OpenGL renderer for platform {platform!r}: {e}",
                "on a machine without a display use --gl-platform egl (Mesa) or osmesa (apt-get install libosmesa6)",
            ) from None
        self._pr = pyrender
        self.platform = platform
        self.faces = np.ascontiguousarray(faces, dtype=np.uint32)
        self.split = PartSplit(np.asarray(faces), np.asarray(vertex_parts))
        self._incidence = vertex_face_incidence(self.faces, len(vertex_parts))
        self._size = (0, 0)
        self._n_vertices = len(vertex_parts)
        # the body's coarse faces (sun casters, the colour pass's level of detail: raster.lod), once per topology
        self._coarse = coarse_faces(self.faces, self._n_vertices) if len(self.faces) >= COARSE_MIN_FACES else None
        self.lod_px = LOD_PX  # a person smaller than this on screen: coarse body faces in the colour pass (raster.lod)
        self._pieces = CoarsePieces()  # garment pieces' coarse faces, by topology (prepare thread only)
        self._flat_material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0])
        self._cloth_material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], doubleSided=True)

    # ------------------------------------------------------------------ GL context
    def _renderer_for(self, width: int, height: int):
        r = shared_renderer(self._pr, self.platform, width, height)
        self._size = (width, height)
        return r

    @property
    def gl_renderer_name(self) -> str:
        """The GL_RENDERER string (``llvmpipe`` means software rendering)."""
        from OpenGL import GL

        self._renderer_for(*(self._size if self._size != (0, 0) else (8, 8)))
        return GL.glGetString(GL.GL_RENDERER).decode()

    def close(self) -> None:
        """Nothing to free per instance: the GL context is shared by the process (see shared_renderer)."""

    # ------------------------------------------------------------------ passes
    def _camera_node(self, K: np.ndarray, cam_ext: np.ndarray):
        fx, fy, cx, cy = gl_intrinsics(K)
        cam = self._pr.IntrinsicsCamera(fx, fy, cx, cy, znear=ZNEAR, zfar=ZFAR)
        return self._pr.Node(camera=cam, matrix=gl_camera_pose(cam_ext))

    def _ground_mesh(self, ground: GroundLayer, colors: np.ndarray | None = None):
        pr = self._pr
        h = ground.size / 2
        cx, cy = ground.center
        pos = np.array([[cx - h, cy - h, 0], [cx + h, cy - h, 0], [cx + h, cy + h, 0], [cx - h, cy + h, 0]], np.float32)
        idx = np.array([[0, 1, 2], [0, 2, 3]], np.uint32)
        nrm = np.tile(np.array([[0, 0, 1]], np.float32), (4, 1))
        if colors is not None:
            prim = pr.Primitive(positions=pos, indices=idx, color_0=colors, material=self._flat_material)
        else:
            reps = ground.size / ground.tile
            uv = np.array([[0, 0], [reps, 0], [reps, reps], [0, reps]], np.float32)
            tex = pr.Texture(source=ground.texture, source_channels="RGB",
                             sampler=pr.Sampler(wrapS=pr.constants.GLTF.REPEAT, wrapT=pr.constants.GLTF.REPEAT))
            mat = pr.MetallicRoughnessMaterial(baseColorTexture=tex, baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0,
                                               roughnessFactor=0.95)
            prim = pr.Primitive(positions=pos, normals=nrm, texcoord_0=uv, indices=idx, material=mat)
        return pr.Mesh(primitives=[prim])

    def build_passes(self, people: list[MeshLayer], K: np.ndarray, cam_ext: np.ndarray,
                     lighting: Lighting, ground: GroundLayer | None,
                     props: list[PropMesh] | None = None) -> list[tuple[Any, int, dict | None]]:
        """The pyrender scenes of one image, as ``(scene, flags, seg_node_map)``: colour, labels and,
        for dressed people, the bare bodies (see the module).

        Args:
            people: one mesh per person, all in the body model's topology.
            K: (3, 3) intrinsics (OpenCV). cam_ext: (4, 4) world-to-camera.
            lighting: unused by the passes (the colour pass is unlit; light comes per pixel
                afterwards, :mod:`genb.render.raster.shading`), kept for callers. ground: the ground plane, or None.
            props: scene objects (instance 0, their own part classes), or None.
        """
        props = props or []
        pr = self._pr
        normals_world = [p.normals if p.normals is not None else vertex_normals(p.vertices, self.faces, self._incidence)
                         for p in people]
        extras = [concat_extras(p.extras) if p.extras else None for p in people]
        shown = [self._shown_faces(p) for p in people]  # None: every body face
        small = coarse_people([p.vertices for p in people], K, cam_ext, self.lod_px)  # the colour pass's level of detail
        coarse_extras = [piece_faces(p.extras, self._pieces) if p.extras else None for p in people]
        scene = self._colour_scene(people, extras, shown, small, coarse_extras, K, cam_ext, ground, props)
        seg_scene, seg_map, body_prims, prop_meshes = self._label_scene(people, normals_world, extras, shown, K, cam_ext,
                                                                         ground, props)
        passes = [
            (scene, pr.RenderFlags.FLAT | pr.RenderFlags.RGBA, None),
            (seg_scene, pr.RenderFlags.FLAT | pr.RenderFlags.SEG | pr.RenderFlags.RGBA, seg_map),
        ]
        # 3. dressed scenes only: the bare bodies, the props and the ground (no clothes), for body_instances:
        #    a prop between a garment and the body under it (a held object the hand sinks into) hides the body.
        if any(e is not None for e in extras):
            bare = pr.Scene(bg_color=[0, 0, 0, 0])
            bare.add_node(self._camera_node(K, cam_ext))
            bare_map = {bare.add(pr.Mesh(primitives=[pr.Primitive(positions=pos, indices=self.split.faces, color_0=col,
                                                                   material=self._flat_material)])): (0, 0, 0)
                        for pos, col in body_prims}
            for m in prop_meshes:
                bare_map[bare.add(m)] = (0, 0, 0)
            if ground is not None:
                bare_map[bare.add(self._ground_mesh(ground, colors=np.zeros((4, 4), np.float32)))] = (0, 0, 0)
            passes.append((bare, pr.RenderFlags.FLAT | pr.RenderFlags.SEG | pr.RenderFlags.RGBA, bare_map))
        return passes

    def _colour_scene(self, people, extras, shown, small, coarse_extras, K, cam_ext, ground, props) -> Any:
        """1. The colour pass: albedo only (sRGB-encoded vertex colours and textures, drawn flat with
        MSAA): the G-buffer's albedo; light is added per pixel (genb.render.raster.shading). Bodies are
        drawn at the level of detail of :mod:`genb.render.raster.lod` (``small``: per person, coarse shown faces
        and pieces, where ``coarse_extras`` has them); a larger person's coarse pieces cast the sun's shadow."""
        pr = self._pr
        scene = pr.Scene(bg_color=[0, 0, 0, 0])
        scene.add_node(self._camera_node(K, cam_ext))
        for p, extra, show, coarse, coarse_ef in zip(people, extras, shown, small, coarse_extras):
            body_col = np.clip(p.colors, 0.0, 1.0).astype(np.float32)
            (ids, faces), hidden = colour_faces(self.faces, self._coarse, show, coarse)
            if len(faces):
                node = scene.add(pr.Mesh(primitives=[pr.Primitive(
                    positions=p.vertices if ids is None else p.vertices[ids], indices=faces,
                    color_0=body_col if ids is None else body_col[ids], material=self._flat_material)]))
                if self._coarse is not None and ids is None:  # a body model's fine mesh: the sun pass draws its
                    node.genb_coarse_caster = (p.vertices, show)  # coarse faces (a coarse one casts as it is)
            if hidden is not None and len(hidden[1]):  # the hidden faces, pushed back: they fill what their garment
                # leaves open; their own node, drawn in the same order, cast no sun shadow (the garment over them casts)
                ids, faces = hidden
                node = scene.add(pr.Mesh(primitives=[pr.Primitive(
                    positions=push_back(p.vertices if ids is None else p.vertices[ids], cam_ext, HIDDEN_PUSH),
                    indices=faces, color_0=body_col if ids is None else body_col[ids], material=self._flat_material)]))
                node.genb_casts_shadow = False
            if extra is not None:
                ev, _, ef, ec, _ = extra
                node = scene.add(pr.Mesh(primitives=[pr.Primitive(
                    positions=ev, indices=coarse_ef if coarse and coarse_ef is not None else ef,
                    material=self._cloth_material, color_0=np.clip(ec, 0, 1).astype(np.float32))]))
                if coarse_ef is not None and not coarse:
                    node.genb_caster_faces = coarse_ef  # the sun pass draws the coarse pieces (a small person's are)
        for q in props:
            prim = pr.Primitive(positions=q.vertices, indices=q.faces, color_0=np.clip(q.colors, 0, 1).astype(np.float32),
                                material=self._flat_material)
            node = scene.add(pr.Mesh(primitives=[prim]))
            node.genb_casts_shadow = q.casts_shadow
        if ground is not None:
            node = scene.add(self._ground_mesh(ground))
            node.genb_casts_shadow = False
        return scene

    def _label_scene(self, people, normals_world, extras, shown, K, cam_ext, ground, props) -> tuple:
        """2. The label pass, FLAT | SEG | RGBA: vertex colours drawn without MSAA, so every pixel holds
        exactly one (person + 1, part id) pair in R, G (vertices are split between parts), and the
        camera-frame normal's octahedral u, v in B, A (:func:`genb.render.raster.normals.label_colours`:
        the full unit normal, either side of the camera).
        Returns the scene, its seg node map, the bodies' (positions, labels) and the props' meshes
        (the bare-body pass reuses both)."""
        pr = self._pr
        R = cam_ext[:3, :3]  # world normal -> camera frame
        seg_scene = pr.Scene(bg_color=[0, 0, 0, 0])
        seg_scene.add_node(self._camera_node(K, cam_ext))
        seg_map = {}
        labels = np.zeros((len(self.split.vertex_ids), 4), np.float32)
        labels[:, 1] = self.split.parts / 255.0
        body_prims = []
        for i, (p, n, extra, show) in enumerate(zip(people, normals_world, extras, shown)):
            labels[:, 0] = (i + 1) / 255.0
            labels[:, 2:] = label_colours(n[self.split.vertex_ids], R)
            positions = p.vertices[self.split.vertex_ids]
            split_faces = self.split.faces if show is None else self.split.faces[show[self.split.face_ids]]
            prims = [pr.Primitive(positions=positions, indices=split_faces, color_0=labels.copy(),
                                  material=self._flat_material)]
            if show is not None:  # as in the colour pass
                ids, faces = compact(self.split.faces[~show[self.split.face_ids]], len(positions))  # the vertices they use
                prims.append(pr.Primitive(positions=push_back(positions[ids], cam_ext, HIDDEN_PUSH), indices=faces,
                                          color_0=labels[ids], material=self._flat_material))
            body_prims.append((positions, labels.copy()))
            if extra is not None:  # clothes carry the wearer's instance id and their own part ids
                ev, en, ef, _, eparts = extra
                el = np.empty((len(ev), 4), np.float32)
                el[:, 0], el[:, 1] = (i + 1) / 255.0, eparts / 255.0
                el[:, 2:] = label_colours(en, R)
                prims.append(pr.Primitive(positions=ev, indices=ef, color_0=el, material=self._cloth_material))
            seg_map[seg_scene.add(pr.Mesh(primitives=prims))] = (0, 0, 0)
        prop_meshes = []
        for q in props:  # instance 0, the prop's class, its normals
            lab = np.zeros((len(q.vertices), 4), np.float32)
            lab[:, 1] = q.part / 255.0
            lab[:, 2:] = label_colours(q.normals, R)
            prim = pr.Primitive(positions=q.vertices, indices=q.faces, color_0=lab, material=self._flat_material)
            prop_meshes.append(pr.Mesh(primitives=[prim]))
            seg_map[seg_scene.add(prop_meshes[-1])] = (0, 0, 0)
        if ground is not None:  # instance 0, class "ground"; it occludes and gives depth (its normal: decode())
            lab = np.full((4, 4), 0.5, np.float32)
            lab[:, 0], lab[:, 1] = 0.0, SCENE_PART_INDEX["ground"] / 255.0
            seg_map[seg_scene.add(self._ground_mesh(ground, colors=lab))] = (0, 0, 0)
        return seg_scene, seg_map, body_prims, prop_meshes

    def _shown_faces(self, person: MeshLayer) -> np.ndarray | None:
        """(F,) bool body faces to draw in place in the dressed passes (None: all): those no piece hides
        (the hidden ones are drawn pushed back, :func:`push_back`)."""
        hidden = [e.hides for e in person.extras if getattr(e, "hides", None) is not None and len(e.hides)]
        if not hidden:
            return None
        show = np.ones(len(self.faces), bool)
        show[np.concatenate(hidden)] = False
        return show

    def build_shadow_pass(self, color_scene: Any, direction: np.ndarray, width: int, height: int,
                          grow: bool = False):
        """The sun's depth-only pass over the colour scene's shadow casters (people, their garments,
        props; not the ground), and its :class:`genb.render.raster.sun_camera.ShadowCamera`; None if nothing casts.

        Args:
            color_scene: the colour pass's scene (first of :meth:`build_passes`).
            direction: (3,) direction the sunlight travels. width, height: shadow map size.
            grow: let the map grow by a whole factor (:func:`genb.render.raster.sun_camera.map_scale`) where the
                casters' frame is wide; the pass must then be rendered at the camera's ``width`` x ``height``.
        """
        from genb.render.raster.sun_camera import fit_shadow_camera, map_scale

        pr = self._pr
        # mesh_nodes is a set (its order follows object addresses): sort, so the shadow camera's float
        # fit, and with it every shadowed pixel, is the same bits on every run
        casters = sorted((n for n in color_scene.mesh_nodes if getattr(n, "genb_casts_shadow", True)),
                         key=lambda n: tuple(np.asarray(n.mesh.bounds, np.float64).ravel()))
        if not casters:
            return None
        bounds = np.stack([n.mesh.bounds for n in casters])
        cam = fit_shadow_camera(bounds, direction, width, height)
        k = map_scale(cam.texel_m, width, height) if grow else 1
        if k > 1:
            cam = fit_shadow_camera(bounds, direction, k * width, k * height)
        scene = pr.Scene(bg_color=[0, 0, 0, 0])
        for n in casters:
            mesh = caster_mesh(pr, n, self._coarse, self._flat_material)
            if mesh is not None:
                scene.add(mesh)
        ortho = pr.OrthographicCamera(xmag=cam.xmag, ymag=cam.ymag, znear=cam.znear, zfar=cam.zfar)
        scene.add(ortho, pose=cam.pose)
        return (scene, pr.RenderFlags.DEPTH_ONLY, None), cam

    def run_passes(self, passes: list[tuple[Any, int, dict | None]], width: int, height: int,
                   reverse: bool = False) -> list[tuple]:
        """Rasterize scenes from :meth:`build_passes`, through pyrender (:func:`render_pass`), each
        scene's meshes in the order they were added (``reverse``: the opposite order, to check that
        no two meshes tie in depth): the colour pass gives ``(rgba, None)`` (nobody reads its depth),
        a label pass ``(rgba, depth)``, a depth-only pass its depth."""
        r = self._renderer_for(width, height)
        return [render_pass(r, scene, flags, seg_map, reverse) for scene, flags, seg_map in passes]

    def render(self, people: list[MeshLayer], K: np.ndarray, cam_ext: np.ndarray, width: int, height: int,
               lighting: Lighting, ground: GroundLayer | None) -> RasterOutput:
        """Run the two passes for one image (see :meth:`build_passes` for the arguments)."""
        passes = self.build_passes(people, K, cam_ext, lighting, ground)
        return self.decode(self.run_passes(passes, width, height), cam_ext, ground is not None)

    @staticmethod
    def decode(results: list[tuple], cam_ext: np.ndarray, has_ground: bool) -> RasterOutput:
        """The :class:`RasterOutput` of the passes' raw results (from :meth:`run_passes`)."""
        import cv2

        (rgba, _), (seg, depth) = results[:2]
        # channels through OpenCV (plain byte copies, many times quicker than numpy's strided ones)
        color = cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB)
        coverage = cv2.extractChannel(rgba, 3).astype(np.float32)
        coverage /= np.float32(255.0)
        instances, parts, x, y = (cv2.extractChannel(seg, c) for c in range(4))
        hit = depth > 0
        if has_ground:  # the ground is a plane: its camera-frame normal is known exactly
            on_ground = hit & (parts == SCENE_PART_INDEX["ground"])
            x[on_ground], y[on_ground] = encode_normals(cam_ext[None, :3, 2])[0, :2]
        normals = encode_label_planes(x, y, hit)
        out = RasterOutput(color=color, coverage=coverage, depth=depth.astype(np.float32), instances=instances,
                           parts=parts, normals=normals)
        if len(results) > 2:
            Rasterizer.attach_bare(out, results[2])
        return out

    @staticmethod
    def attach_bare(out: RasterOutput, bare: tuple) -> None:
        """Set ``out``'s ``body_instances``, ``body_depth`` and ``bare_instances`` from the bare bodies'
        pass's raw result (in place; its instances and depth are the label pass's)."""
        bare_seg, bare_depth = bare
        out.body_depth = bare_depth.astype(np.float32)
        out.bare_instances = np.ascontiguousarray(bare_seg[..., 0])
        out.body_instances = body_silhouettes(out.instances, out.depth, out.bare_instances, out.body_depth)
