"""One sample of ``genb render``: scene, people, rasterization, shading, labels and control maps.

:class:`RenderStage` holds what is expensive (body model, pose library, GL
renderer) and is built once per process; calling it renders one sample index.
Its people (posed, rested, placed, framed, dressed) are :class:`genb.render.people.People`;
running a whole run folder is :func:`genb.render.run.run_render`.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from genb.core.blas import limit_blas_threads, torch_threads
from genb.core.controls import ControlInputs, draw_controls
from genb.core.conventions import SEMANTIC_JOINTS
from genb.core.io import read_image
from genb.core.log import get_logger
from genb.core.seeds import sample_rng
from genb.errors import GenbError
from genb.render.assets import load_yaml_asset
from genb.render.bodies import load_body_model
from genb.render.config import RenderConfig
from genb.render.dress import face, skin, skin_texture
from genb.render.labels import truth as L
from genb.render.people import People
from genb.render.dress.painted import painted_materials
from genb.render.raster.detail import apply_cloth
from genb.render.raster.surfaces import apply_surfaces
from genb.render.raster.gl import Rasterizer
from genb.render.raster.hair_fringe import soften_hair_edges
from genb.render.raster.meshes import Lighting, MeshLayer, PropMesh
from genb.render.raster.texcoord_pass import render_texcoord_pass
from genb.render.scene import contact, held, scenery
from genb.render.samples import PreparedSample, RenderedSample
from genb.render.scene.framer import Framer
from genb.render.scene.sample import (
    list_background_images, part_colors, sample_appearance, sample_background, sample_lighting,
)

logger = get_logger(__name__)

REDRAWS = 3  # a single image whose render frames nobody is drawn again at most this often


class RenderStage(People):
    """Renders samples of one config; build once per process.

    Args:
        cfg: the resolved render config.
    """

    def __init__(self, cfg: RenderConfig):
        from genb.render.bodies.poses import PoseLibrary

        self.cfg = cfg
        limit_blas_threads(1, respect_env=True)  # the renderer's threads keep the cores busy: no spinning BLAS threads
        self._helper: concurrent.futures.ThreadPoolExecutor | None = None  # finish()'s second thread
        # One torch thread, as in prepare(): the model's set-up forwards (anny's T-pose offsets, the
        # dressing atlas) then give the same bits whatever thread count the caller left behind.
        with torch_threads(1):
            self.body = load_body_model(cfg.body, smplx_dir=cfg.smplx_dir, gender=cfg.smplx_gender,
                                        anny_cache_dir=cfg.anny_cache_dir)
        self.poses = PoseLibrary()
        self.pose_table = load_yaml_asset("poses", "key_poses.yaml")["poses"]
        self.raster = Rasterizer(self.body.faces, self.body.vertex_parts, platform=cfg.gl_platform)
        from genb.render.dress import Dresser, load_wardrobe
        from genb.render.dress.shell_store import default_store_root

        self.wardrobe = load_wardrobe(cfg.wardrobe)
        with torch_threads(1):
            self.dresser = Dresser(self.body, default_store_root()) if self.wardrobe is not None else None
        self.eye_map = self.skin_layout = None
        if self.dresser is not None:  # where skin differs (cheeks, palms, nails), once per body model
            self.skin_regions = skin.skin_regions(self.dresser.atlas)
            self.bare_skin = ~(self.dresser.lips | self.dresser.brows)
            with torch_threads(1):
                self.eyes = face.eye_layout(self.body, self.dresser.atlas)
            self.eye_map = face.eye_map(self.eyes, np.asarray(self.body.faces))  # the eyes per pixel
            eye_faces = None if self.eye_map is None else \
                np.flatnonzero(np.isin(np.asarray(self.body.faces), self.eye_map.index).all(axis=1))
            # the skin texture per pixel in the body's UV space (None: no UVs, the per-vertex variation only)
            self.skin_layout = skin_texture.skin_layout(self.body, self.dresser.atlas.rest, self.skin_regions,
                                                        self.bare_skin, eye_faces)
        self.backgrounds = None
        if cfg.backgrounds != "procedural":
            folder = Path(cfg.backgrounds)
            if not folder.is_dir():
                raise GenbError(f"background folder {folder} does not exist",
                                "give a folder of .jpg/.png images, or --backgrounds procedural")
            self.backgrounds = list_background_images(cfg.backgrounds)
            if not self.backgrounds:
                raise GenbError(f"background folder {folder} holds no images",
                                "add .jpg/.png images to it, or use --backgrounds procedural")
        self.environments = None
        if cfg.environments:
            from genb.render.scene.envmap import list_environments

            self.environments = list_environments(cfg.environments)
            if not self.environments:
                raise GenbError(f"environment folder {cfg.environments} holds no maps",
                                "add equirectangular .hdr/.exr/.png/.jpg images to it")
        # The projected vertex subset: fixed for the body model, spread over the surface.
        rng = np.random.default_rng(0)
        n = min(cfg.proj_vertex_count, self.body.num_vertices)
        self.proj_vert_ids = np.sort(rng.choice(self.body.num_vertices, size=n, replace=False)).astype(np.int32)
        # Visibility: the parts each face touches, and each BODY25 keypoint's own parts (built once).
        self.face_parts = L.face_part_table(np.asarray(self.body.faces), np.asarray(self.body.vertex_parts))
        self.keypoint_own_parts = L.body25_own_parts()
        with torch_threads(1):  # the same bits in every process
            rest = self.body.pose(self.body.sample_shapes(np.random.default_rng(0), 1),
                                  np.tile(np.eye(3), (1, len(SEMANTIC_JOINTS), 1, 1)))
        # Contact: the vertex groups that can carry a body (feet, knees, buttocks, hands), from the rest pose.
        self.support = contact.support_groups(rest.vertices[0], rest.keypoints[0], np.asarray(self.body.vertex_parts))
        self.joint_own_parts = L.nearest_parts(rest.joints, rest.vertices, np.asarray(self.body.vertex_parts))[0]
        self.framer = Framer(cfg, self.body.faces, self.face_parts, self.keypoint_own_parts)
        # Arrays every sample shares, read by the prepare, GL and complete threads at once (and written
        # by the writer thread into labels.npz): read-only, so an in-place write anywhere raises
        # instead of changing the bytes of whichever sample runs next.
        split = self.raster.split
        read_only(self.proj_vert_ids, self.face_parts, self.keypoint_own_parts, self.joint_own_parts,
                  self.raster.faces, split.vertex_ids, split.faces, split.parts, split.face_ids)

    def __call__(self, index: int) -> RenderedSample:
        """Render sample ``index``; depends only on (cfg.seed, index)."""
        return self.redraw_if_unframed(index, self.finish(self.prepare(index)))

    def frames_someone(self, sample: RenderedSample) -> bool:
        """Whether a rendered single image has a person with ``min_framed_keypoints`` keypoints visible and in
        frame (the framing's checks before rendering approximate clothes, hair and other people's things)."""
        need = self.cfg.min_framed_keypoints
        vis = np.asarray(sample.labels["keypoints_vis"]) & np.asarray(sample.labels["keypoints_in_frame"])
        return need <= 0 or (len(vis) > 0 and int(vis.sum(axis=1).max()) >= need)

    def redraw_if_unframed(self, index: int, sample: RenderedSample, prepare=None) -> RenderedSample:
        """``sample``, or when it frames nobody, the sample drawn again (camera and placement from another
        stream, through the framing's checked fallback; at most :data:`REDRAWS` times: the last is kept).
        ``prepare(index, retry)``: how to prepare on the caller's preparing thread (default: here)."""
        retry = 0
        while retry < REDRAWS and not self.frames_someone(sample):
            retry += 1
            prep = prepare(index, retry) if prepare is not None else self.prepare(index, retry=retry)
            sample = self.finish(prep)
        return sample

    def prepare(self, index: int, frame: Any = None, retry: int = 0) -> PreparedSample:
        """Everything of sample ``index`` that needs no GL: scene, bodies, appearance, geometry
        labels. Thread-safe with respect to :meth:`finish`, so the next sample can be prepared
        while this one rasterizes. ``frame``: a frame of a sequence (:class:`genb.sequence.plan.Frame`)
        that gives the camera, the posed people and the setting (None: a single image, as sampled).
        ``retry``: a re-draw of a single image whose render framed nobody (:meth:`redraw_if_unframed`)."""
        with torch_threads(1):  # small batched body forwards: extra threads only fight llvmpipe's
            return self._prepare(index, frame, retry)

    def _prepare(self, index: int, frame: Any = None, retry: int = 0) -> PreparedSample:
        cfg, body = self.cfg, self.body
        if frame is not None:  # a frame of a sequence (genb.sequence): its camera, people and places
            camera, world, shapes, pose_names, xy, yaw, heights, radii, keep, P = frame.people()
            seats, framed, seen = list(getattr(frame, "seats", [])), None, None  # people sitting down / standing up
            record = {"draws": 0, "fallback": False}  # the sequence planned its camera
        else:
            camera, world, shapes, pose_names, xy, yaw, heights, radii, keep, P, seats, framed, record = self._people(index, retry)
            seen = record.pop("seen", None)

        # 3. Appearance, lights, background.
        app_rng = sample_rng(cfg.seed, index, "appearance")
        appearance = [sample_appearance(app_rng) for _ in keep]
        K, ext = camera.K, camera.cam_ext
        W, H = camera.width, camera.height
        setting = self._setting(index, frame, app_rng, camera, xy, world.keypoints, radii[keep], seats, framed, seen)
        lighting, background = setting.lighting, setting.background
        describe = body.describe_shapes(shapes)
        if self.dresser is None:
            people = [MeshLayer(v, part_colors(a)[body.vertex_parts]) for v, a in zip(world.vertices, appearance)]
            outfits = [None] * len(appearance)
        else:  # dressed: an own random stream, so --wardrobe none renders the same people, poses and camera
            # a single image dresses each person by their size on screen (dress.lod); a sequence's frames keep full
            # detail: a person's topology stays the same from frame to frame (the flow follows their faces)
            cam = (K, ext) if frame is None else (None, None)
            outfits, people = self._dress(index, world, appearance, describe, *cam, seats=seats)
        ground = setting.ground
        if frame is not None:
            frame.layers = people  # the meshes the frame shows (the sequence's flow traces them)
        held_objects = held.held_objects(pose_names, world.keypoints, world.vertices, body)  # a box, a phone in the palms
        prop_meshes = setting.props + [PropMesh(*held.held_mesh(h)) for h in held_objects]
        backdrop = (_cover(read_image(background["path"]), W, H) if background["kind"] == "image"
                    else setting.backdrop(K, ext, W, H))

        # 4. The labels that need no depth buffer: camera-frame geometry and parameters.
        labels, v_cam = L.geometry_labels(body, world, K, ext, W, H, cfg.seed, index, describe, heights, self.proj_vert_ids)
        scene = {
            "index": index, "seed": cfg.seed, "body_model": body.name,
            "camera": dataclasses.asdict(camera), "lighting": lighting, "background": background,
            "wardrobe": cfg.wardrobe,
            "people": [
                {"pose": name, "shape": s.tolist(), "description": d, "appearance": a,
                 "position": [float(x), float(y)], "yaw_deg": float(w), **(o or {})}
                for name, s, d, a, (x, y), w, o in zip(pose_names, shapes, describe, appearance, xy, yaw, outfits)
            ],
            "dropped_people": int(P - len(keep)),
            "framing": {**record, "framed_person": framed},
            **setting.record(),
            "held_objects": held_objects,
        }
        light = Lighting(np.array(lighting["direction"]), lighting["intensity"], np.array(lighting["color"]),
                         np.array(lighting["ambient"]))
        # 5. The rasterizer's scenes: plain objects, no GL yet (that happens in finish()).
        passes = self.raster.build_passes(people, K, ext, light, ground, prop_meshes)
        look = setting.look(self.raster, passes, cfg, W, H, world.keypoints, ext,
                            sample_rng(cfg.seed, index, "effects"))
        scene["camera_effects"] = look.effects
        texcoord_pass, fabrics = None, {}
        if self.dresser is not None:  # patterned garments and large enough eyes: their coordinates per pixel
            texcoord_pass, fabrics = self._texcoord_pass(people, outfits, world.keypoints, K, ext)
        else:  # painted clothes shade as cloth, not skin
            look.materials = painted_materials(appearance)
        return PreparedSample(num_people=len(people), passes=passes, K=K, cam_ext=ext, width=W, height=H,
                              has_ground=ground is not None, backdrop=backdrop, labels=labels, scene=scene,
                              look=look, body_vertices_cam=v_cam, texcoord_pass=texcoord_pass, fabrics=fabrics)


    def _setting(self, index: int, frame: Any, app_rng, camera, xy, keypoints, radii, seats, framed, seen):
        """3. The sample's setting (lights, background, ground, props): a background image, an environment
        map, a sequence's one setting, or the sampled sky and place (own stream: the other draws never move)."""
        cfg = self.cfg
        if self.backgrounds:
            lighting = sample_lighting(app_rng)
            setting = scenery.image_setting(sample_background(app_rng, cfg, self.backgrounds), lighting)
        elif self.environments:
            setting = scenery.environment_setting(sample_rng(cfg.seed, index, "setting"), self.environments,
                                                  camera_xy=camera.position[:2])
        elif frame is not None and frame.setting is not None:  # one setting for every frame of a sequence
            setting = frame.setting
        else:  # sky, sun and ground materials; props (own stream, so the other draws never move)
            setting = scenery.sample_setting(sample_rng(cfg.seed, index, "setting"), cfg, camera, xy,
                                             keypoints, radii, seats=seats, protect=framed,
                                             protect_seen=seen)
        if seats and (self.backgrounds or self.environments):  # a seated person sits on something in front of any backdrop
            setting.add_objects(seats)
        return setting

    def finish(self, prep: PreparedSample) -> RenderedSample:
        """Rasterize a prepared sample and complete its labels and control maps (GL thread).

        Two threads share the work (on llvmpipe the draw calls keep this thread busy and release
        the GIL, while the other core is mostly idle): a helper casts the visibility rays against
        the bare bodies (:meth:`occlusion`: no GL) while this thread draws the image's passes, then
        shades the image (:meth:`image`) while this thread draws the bare bodies' pass. The same
        functions on the same inputs as :meth:`complete`: the same bytes."""
        if self._helper is None:
            self._helper = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-finish")
        occlusion = self._helper.submit(self.occlusion, prep)
        shaded = None
        try:
            results = self.raster.run_passes(list(prep.passes[:1]), prep.width, prep.height)
            shadow = self._shadow_pass(prep)
            results += self.raster.run_passes(list(prep.passes[1:2]), prep.width, prep.height)
            texcoords = (render_texcoord_pass(self.raster, prep.texcoord_pass, prep.width, prep.height)
                         if prep.texcoord_pass is not None else None)
            shaded = self._helper.submit(self.image, prep, results, shadow, texcoords)
            bare = self.raster.run_passes(list(prep.passes[2:]), prep.width, prep.height)
        finally:  # (on an error here, let the helper's work end before raising)
            occ = occlusion.result()
            image = shaded.result() if shaded is not None else None
        out, clean, picture = image
        if bare:
            self.raster.attach_bare(out, bare[0])
        return self.labelled(prep, out, clean, picture, occ)

    def _shadow_pass(self, prep: PreparedSample):
        """The sun's depth map (its own size; draw it right after the colour pass: it draws its meshes), or None."""
        look = prep.look
        if look is None or look.shadow_pass is None:
            return None
        cam = look.shadow_cam  # the map may be larger than the image (genb.render.raster.sun_camera.map_scale)
        return self.raster.run_passes([look.shadow_pass], cam.width, cam.height)[0]

    def rasterize(self, prep: PreparedSample) -> list:
        """The GL part of :meth:`finish`: the passes' raw results (call it on the GL thread)."""
        results = self.raster.run_passes(list(prep.passes[:1]), prep.width, prep.height)
        shadow = self._shadow_pass(prep)
        if shadow is not None:
            results.append(shadow)
        results += self.raster.run_passes(list(prep.passes[1:]), prep.width, prep.height)
        if prep.texcoord_pass is not None:  # last: complete() takes it off the end
            results.append(render_texcoord_pass(self.raster, prep.texcoord_pass, prep.width, prep.height))
        return results

    def occlusion(self, prep: PreparedSample) -> dict[str, np.ndarray]:
        """Visibility part (a) of a prepared sample: each person's keypoints and joints ray-cast against
        their own bare body (:func:`genb.render.labels.truth.body_occlusion`; docs/architecture.md).
        Pure array work on the prepared sample: any thread."""
        labels = prep.labels
        return L.body_occlusion(
            np.concatenate([labels["keypoints3d"], labels["joints3d"]], axis=1), prep.K, prep.body_vertices_cam,
            np.asarray(self.body.faces), self.face_parts,
            np.concatenate([self.keypoint_own_parts, self.joint_own_parts]), prep.width, prep.height,
            self.cfg.visibility_tolerance)

    def complete(self, prep: PreparedSample, results: list, occlusion: dict | None = None) -> RenderedSample:
        """The rest of :meth:`finish` (no GL, any thread): shading, image, the labels that need
        the depth buffer, control maps; ``results`` from :meth:`rasterize`, ``occlusion`` from
        :meth:`occlusion` (None: computed here)."""
        look = prep.look
        results = list(results)
        texcoords = results.pop() if prep.texcoord_pass is not None else None
        shadow_depth = results.pop(1) if look is not None and look.shadow_pass is not None else None
        out, clean, image = self.image(prep, results[:2], shadow_depth, texcoords)
        if len(results) > 2:
            self.raster.attach_bare(out, results[2])
        return self.labelled(prep, out, clean, image, occlusion)

    def image(self, prep: PreparedSample, results: list, shadow_depth, texcoords) -> tuple:
        """6. The image (no GL, any thread): ``(out, clean, image)``, the decoded G-buffer (with surface
        detail; no bare bodies yet), the composite before the camera's effects and the final image.
        ``results``: the colour and label passes' raw results; ``shadow_depth``, ``texcoords``: the sun's
        map and the cloth coordinates pass, or None."""
        K, look = prep.K, prep.look
        out = self.raster.decode(results, prep.cam_ext, prep.has_ground)
        # surface detail (patterns, relief) in the G-buffer: the shading and the normal map see it alike
        if look is not None:
            look.detail(out, K, prep.cam_ext)
            apply_surfaces(out, K, prep.cam_ext)  # the scene objects' textures
        if texcoords is not None:
            apply_cloth(out, texcoords[0], texcoords[1], prep.fabrics, K)
        color = out.color
        if look is not None:
            shaded = look.shade(color, out, K, prep.cam_ext, shadow_depth)
            color = (scenery.catch_shadows(shaded, look.ground_darkening(out, K, prep.cam_ext, shadow_depth), out,
                                           prep.backdrop) if look.catcher else shaded)
            color = look.through_glass(color, out, prep.backdrop)
        clear = 1.0 - out.coverage  # color + (1 - alpha) * backdrop per channel, not broadcast (the same values)
        composite = cv2.merge([clear, clear, clear]) * prep.backdrop + color
        if look is not None:  # hair thins out at its outline (appearance only)
            soften_hair_edges(composite, out.strands, out.depth, K)
        clean = np.clip(np.add(composite, 0.5, out=composite), 0, 255, out=composite).astype(np.uint8)  # (in place)
        image = clean if look is None else look.finish_image(clean, out, prep.backdrop, K)
        return out, clean, image

    def labelled(self, prep: PreparedSample, out, clean: np.ndarray, image: np.ndarray,
                 occlusion: dict | None = None) -> RenderedSample:
        """7.-8. The labels that need the depth buffer and the control maps of a shaded sample (:meth:`image`,
        its bare bodies attached): the :class:`RenderedSample`."""
        cfg, K = self.cfg, prep.K
        # 7. The labels that need the depth buffer: visibility, visible-mask boxes.
        labels = dict(prep.labels)
        body_instances = out.instances if out.body_instances is None else out.body_instances
        n_kp = labels["keypoints3d"].shape[1]
        # Visibility part (a): each person's keypoints and joints ray-cast against their own bare
        # body (:meth:`occlusion`); (b): the depth buffer (docs/architecture.md).
        if occlusion is None:
            occlusion = self.occlusion(prep)
        both = L.depth_visibility(occlusion, out.depth, out.instances, cfg.visibility_tolerance)
        kp = {k: v[:, :n_kp] for k, v in both.items()}
        jt = {k: v[:, n_kp:] for k, v in both.items()}
        bbox, area = L.mask_boxes(out.instances, prep.num_people)
        body_area = np.bincount(body_instances.ravel(), minlength=prep.num_people + 1)[1 : prep.num_people + 1]
        labels.update({
            "keypoints3d": labels["keypoints3d"].astype(np.float32), "keypoints2d": kp["uv"],
            "keypoints_vis": kp["vis"], "keypoints_in_frame": kp["in_frame"],
            "joints3d": labels["joints3d"].astype(np.float32), "joints2d": jt["uv"], "joints_vis": jt["vis"],
            "bbox": bbox, "mask_area": area, "body_mask_area": body_area.astype(np.int64), "vis_fraction": kp["vis"].mean(axis=1).astype(np.float32),
        })

        # 8. Control maps: every registered one, built-in or added, through the registry.
        images = {"image": image, "parts": out.parts, "instances": out.instances, "body_instances": body_instances}
        draw_controls(ControlInputs(images=images, depth=out.depth, labels=labels, scene=prep.scene, normals=out.normals,
                                    clean=clean, cam_int=K, cam_ext=prep.cam_ext,
                                    options={"seg_palette": cfg.seg_palette}))
        return RenderedSample(images=images, depth=out.depth, labels=labels, scene=prep.scene)


    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown()
            self._helper = None
        self.raster.close()


def read_only(*arrays: Any) -> None:
    """Mark numpy arrays shared between samples (and threads) read-only; other objects are left alone."""
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.setflags(write=False)


def _cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize and centre-crop an image to cover ``width`` x ``height``."""
    import cv2

    h, w = image.shape[:2]
    s = max(width / w, height / h)
    resized = cv2.resize(image, (max(width, round(w * s)), max(height, round(h * s))), interpolation=cv2.INTER_AREA)
    y0, x0 = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
    return resized[y0 : y0 + height, x0 : x0 + width]
