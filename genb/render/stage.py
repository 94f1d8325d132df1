"""``genb render``: write a run folder of samples with exact ground truth.

:class:`RenderStage` holds what is expensive (body model, pose library, GL
renderer) and is built once per process; calling it renders one sample index.
:func:`run_render` splits the indices over ranks (``RANK``/``WORLD_SIZE``) and
local worker processes, skips samples that already exist, and writes the run's
manifest and config.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from genb.errors import GenbError
from genb.core.log import get_logger, progress
from genb.render import labels as L
from genb.render import maps
from genb.render.bodies import load_body_model, rigid_transform_bodies
from genb.core.conventions import SEMANTIC_JOINTS
from genb.render.camera import project, to_camera
from genb.render.config import RenderConfig
from genb.render import contact, face, framing, held, props, scenery, skin
from genb.render.assets import load_yaml_asset
from genb.core.conventions import BODY25_INDEX
from genb.render.raster import Lighting, MeshLayer, PropMesh, Rasterizer, vertex_normals
from genb.render.scene import (
    fallback_position, list_background_images, part_colors, place_people, sample_appearance, sample_background, sample_camera,
    sample_lighting,
)
from genb.render.dress.outfit import sample_outfit
from genb.core.io import atomic_dir, npz_bytes, png_bytes, read_image
from genb.core.run import RunFolder
from genb.core.seeds import sample_rng
from genb.core.controls import draw_extra_controls
from genb.core.io import DEPTH_FILE, depth_bytes
from genb.core.resume import digest_files
from genb.core.runner import StageContext, StageSpec, run_stage

logger = get_logger(__name__)

FORMAT_VERSION = 2  # 2: seed streams hash their whole name (every draw differs from version 1)
# Fields that may change between invocations on the same run folder.
RESUMABLE_FIELDS = ("num_samples", "workers", "gl_platform")


@dataclasses.dataclass
class RenderedSample:
    """What one call of :class:`RenderStage` made (also written to the sample folder).

    Attributes:
        images: name -> (H, W[, 3]) uint8 image (``image``, ``control_*``, ``parts``, ``instances``).
        depth: (H, W) float32 metric depth.
        labels: the arrays of ``labels.npz``.
        scene: the JSON recipe.
    """

    images: dict[str, np.ndarray]
    depth: np.ndarray
    labels: dict[str, np.ndarray]
    scene: dict[str, Any]


@dataclasses.dataclass
class PreparedSample:
    """A sample up to the rasterizer: what :meth:`RenderStage.finish` needs.

    Attributes:
        passes: the rasterizer's scenes (:meth:`Rasterizer.build_passes`), not yet drawn.
        backdrop: (H, W, 3) uint8 sky or photo behind everything.
        labels: the ground truth that needs no depth buffer. scene: the JSON recipe.
    """

    num_people: int
    passes: list
    K: np.ndarray
    cam_ext: np.ndarray
    width: int
    height: int
    has_ground: bool
    backdrop: np.ndarray
    labels: dict[str, np.ndarray]
    scene: dict[str, Any]
    look: scenery.Look | None = None
    """Shadows, aerial perspective, camera response and effects of the image (None: plain)."""
    body_vertices_cam: np.ndarray | None = None
    """(P, V, 3) float64 the bare posed bodies in the camera frame (the ground truth under the clothes;
    visibility part (a) ray-casts against them)."""


def _rot_z(deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros((len(a), 3, 3))
    R[:, 0, 0], R[:, 0, 1], R[:, 1, 0], R[:, 1, 1], R[:, 2, 2] = c, -s, s, c, 1.0
    return R


class RenderStage:
    """Renders samples of one config; build once per process.

    Args:
        cfg: the resolved render config.
    """

    def __init__(self, cfg: RenderConfig):
        from genb.render.poses import PoseLibrary

        self.cfg = cfg
        # One torch thread, as in prepare(): the model's set-up forwards (anny's T-pose offsets, the
        # dressing atlas) then give the same bits whatever thread count the caller left behind.
        with _torch_threads(1):
            self.body = load_body_model(cfg.body, smplx_dir=cfg.smplx_dir, gender=cfg.smplx_gender,
                                        anny_cache_dir=cfg.anny_cache_dir)
        self.poses = PoseLibrary()
        self.pose_table = load_yaml_asset("poses", "key_poses.yaml")["poses"]
        self.raster = Rasterizer(self.body.faces, self.body.vertex_parts, platform=cfg.gl_platform)
        from genb.render.dress import Dresser, load_wardrobe

        self.wardrobe = load_wardrobe(cfg.wardrobe)
        with _torch_threads(1):
            self.dresser = Dresser(self.body) if self.wardrobe is not None else None
        if self.dresser is not None:  # where skin differs (cheeks, palms, nails), once per body model
            self.skin_regions = skin.skin_regions(self.dresser.atlas)
            self.bare_skin = ~(self.dresser.lips | self.dresser.brows)
            with _torch_threads(1):
                self.eyes = face.eye_layout(self.body, self.dresser.atlas)
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
            from genb.render.envmap import list_environments

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
        with _torch_threads(1):  # the same bits in every process
            rest = self.body.pose(self.body.sample_shapes(np.random.default_rng(0), 1),
                                  np.tile(np.eye(3), (1, len(SEMANTIC_JOINTS), 1, 1)))
        # Contact: the vertex groups that can carry a body (feet, knees, buttocks, hands), from the rest pose.
        self.support = contact.support_groups(rest.vertices[0], rest.keypoints[0], np.asarray(self.body.vertex_parts))
        self.joint_own_parts = L.nearest_parts(rest.joints, rest.vertices, np.asarray(self.body.vertex_parts))[0]
        # Arrays every sample shares, read by the prepare, GL and complete threads at once (and written
        # by the writer thread into labels.npz): read-only, so an in-place write anywhere raises
        # instead of changing the bytes of whichever sample runs next.
        split = self.raster.split
        read_only(self.proj_vert_ids, self.face_parts, self.keypoint_own_parts, self.joint_own_parts,
                  self.raster.faces, split.vertex_ids, split.faces, split.parts, split.face_ids)

    def __call__(self, index: int) -> RenderedSample:
        """Render sample ``index``; depends only on (cfg.seed, index)."""
        return self.finish(self.prepare(index))

    def prepare(self, index: int, frame: Any = None) -> PreparedSample:
        """Everything of sample ``index`` that needs no GL: scene, bodies, appearance, geometry
        labels. Thread-safe with respect to :meth:`finish`, so the next sample can be prepared
        while this one rasterizes. ``frame``: a frame of a sequence (:class:`genb.sequence.plan.Frame`)
        that gives the camera, the posed people and the setting (None: a single image, as sampled)."""
        with _torch_threads(1):  # small batched body forwards: extra threads only fight llvmpipe's
            return self._prepare(index, frame)

    def _prepare(self, index: int, frame: Any = None) -> PreparedSample:
        cfg, body = self.cfg, self.body
        if frame is not None:  # a frame of a sequence (genb.sequence): its camera, people and places
            camera, world, shapes, pose_names, xy, yaw, heights, radii, keep, P = frame.people()
            seats, framed = [], None
            self._framing_record = {"draws": 0, "fallback": False}  # the sequence planned its camera
        else:
            camera, world, shapes, pose_names, xy, yaw, heights, radii, keep, P, seats, framed = self._people(index)

        # 3. Appearance, lights, background.
        app_rng = sample_rng(cfg.seed, index, "appearance")
        appearance = [sample_appearance(app_rng) for _ in keep]
        K, ext = camera.K, camera.cam_ext
        W, H = camera.width, camera.height
        if self.backgrounds:
            lighting = sample_lighting(app_rng)
            background = sample_background(app_rng, cfg, self.backgrounds)
            setting = scenery.image_setting(background, lighting)
        elif self.environments:
            setting = scenery.environment_setting(sample_rng(cfg.seed, index, "setting"), self.environments,
                                                  camera_xy=camera.position[:2])
            lighting, background = setting.lighting, setting.background
        elif frame is not None and frame.setting is not None:  # one setting for every frame of a sequence
            setting = frame.setting
            lighting, background = setting.lighting, setting.background
        else:  # sky, sun and ground materials; props (own stream, so the other draws never move)
            setting = scenery.sample_setting(sample_rng(cfg.seed, index, "setting"), cfg, camera, xy,
                                             world.keypoints, radii[keep], seats=seats, protect=framed)
            lighting, background = setting.lighting, setting.background
        if seats and (self.backgrounds or self.environments):  # a seated person sits on something in front of any backdrop
            setting.add_objects(seats)
        describe = body.describe_shapes(shapes)
        if self.dresser is None:
            people = [MeshLayer(v, part_colors(a)[body.vertex_parts]) for v, a in zip(world.vertices, appearance)]
            outfits = [None] * len(appearance)
        else:  # dressed: an own random stream, so --wardrobe none renders the same people, poses and camera
            outfits, people = self._dress(index, world, appearance, describe)
        ground = setting.ground
        if frame is not None:
            frame.layers = people  # the meshes the frame shows (the sequence's flow traces them)
        held_objects = held.held_objects(pose_names, world.keypoints)  # a box, a phone in the hands
        prop_meshes = setting.props + [PropMesh(*held.held_mesh(h)) for h in held_objects]
        backdrop = (_cover(read_image(background["path"]), W, H) if background["kind"] == "image"
                    else setting.backdrop(K, ext, W, H))

        # 4. The labels that need no depth buffer: camera-frame geometry and parameters.
        v_cam = to_camera(world.vertices.astype(np.float64), ext)
        verts2d = project(v_cam, K)
        bbox_full = L.points_box(verts2d)
        center, scale = L.center_scale(bbox_full)
        params_cam = body.transform_params(world.params, ext[:3, :3], ext[:3, 3])
        labels = {
            "cam_int": K.astype(np.float32), "cam_ext": ext.astype(np.float32),
            "image_size": np.array([H, W], np.int32), "seed": np.array(cfg.seed), "index": np.array(index),
            "body_model": np.array(body.name),
            "keypoints3d": to_camera(world.keypoints.astype(np.float64), ext),
            "joints3d": to_camera(world.joints.astype(np.float64), ext),
            "bbox_full": bbox_full, "center": center, "scale": scale,
            "proj_verts": verts2d[:, self.proj_vert_ids].astype(np.float32), "proj_vert_ids": self.proj_vert_ids,
            "gender": np.array([d["gender"] for d in describe]),
            "height_m": np.array([d.get("height_m", h) for d, h in zip(describe, heights)], np.float32),
            **{f"{body.name}_{k}": np.asarray(v, np.float32) for k, v in params_cam.items()},
        }
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
            "framing": {**self._framing_record, "framed_person": framed},
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
        return PreparedSample(num_people=len(people), passes=passes, K=K, cam_ext=ext, width=W, height=H,
                              has_ground=ground is not None, backdrop=backdrop, labels=labels, scene=scene,
                              look=look, body_vertices_cam=v_cam)

    def _people(self, index: int) -> tuple:
        """Steps 1-2 of a single image: the camera and the posed people resting on their support,
        placed and framed. Returns camera, world (posed, placed bodies), shapes, pose names, xy, yaw,
        heights (of the kept people), radii (P,), keep (kept indices), P, seats and the framed person."""
        cfg, body = self.cfg, self.body
        rng = sample_rng(cfg.seed, index, "scene")
        body_rng = sample_rng(cfg.seed, index, "bodies")

        # 1. Camera and the people's shapes and poses.
        camera = sample_camera(rng, cfg)
        P = int(rng.integers(cfg.num_people[0], cfg.num_people[1] + 1))
        shapes = body.sample_shapes(body_rng, P)
        pose_names, rotations = self.poses.sample(body_rng, P)
        motion = self._motion_poses(body_rng, P)
        if motion is None:
            posed = body.pose(shapes, rotations)
        else:
            posed = body.pose(shapes, rotations, motion=motion)
            pose_names = [f["name"] if f is not None else n for f, n in zip(motion, pose_names)]

        # 2. Rest everyone on their support (feet, knees, buttocks: render/poses/) and stand them on the
        # ground where the camera sees them, without overlaps; re-draw camera and placement until someone
        # is framed (at least min_framed_keypoints keypoints in frame and not self-occluded).
        tilt, lift, seated = self._rest_on_support(posed, pose_names)
        pivot = posed.keypoints[:, BODY25_INDEX["mid_hip"]].astype(np.float64)
        rested = np.einsum("pij,pnj->pni", tilt, posed.vertices - pivot[:, None]) + pivot[:, None]
        rested[..., 2] += lift[:, None]
        rested_kp = np.einsum("pij,pnj->pni", tilt, posed.keypoints - pivot[:, None]) + pivot[:, None]
        rested_kp[..., 2] += lift[:, None]
        heights = rested[:, :, 2].max(axis=1)
        radii = np.linalg.norm(rested[:, :, :2], axis=2).max(axis=1)
        camera, xy, yaw, placed, framed = self._frame(rng, camera, rested, rested_kp, radii, heights)
        del rested
        keep = np.flatnonzero(placed)
        framed = int(np.searchsorted(keep, framed)) if framed is not None else None
        posed = dataclasses.replace(posed, vertices=posed.vertices[keep], joints=posed.joints[keep],
                                    keypoints=posed.keypoints[keep],
                                    params={k: v[keep] for k, v in posed.params.items()})
        shapes, yaw, xy, lift, heights = shapes[keep], yaw[keep], xy[keep], lift[keep], heights[keep]
        tilt, pivot, seated = tilt[keep], pivot[keep], seated[keep]
        pose_names = [pose_names[k] for k in keep]
        # x -> Rz(yaw) (T (x - c) + c) + (xy, lift): one rigid map, so the parameters follow exactly
        Rz = _rot_z(yaw)
        shift = pivot - np.einsum("pij,pj->pi", tilt, pivot)
        world = rigid_transform_bodies(body, posed, Rz @ tilt,
                                       np.einsum("pij,pj->pi", Rz, shift) + np.column_stack([xy, lift]))
        seats = self._seats(index, world, yaw, radii[keep], seated)
        return camera, world, shapes, pose_names, xy, yaw, heights, radii, keep, P, seats, framed

    def _frame(self, rng: np.random.Generator, camera, rested: np.ndarray, rested_kp: np.ndarray,
               radii: np.ndarray, heights: np.ndarray):
        """Camera and placement such that one person is framed (docs/render.md, framing).

        Args:
            rested: (P, V, 3) the bodies resting on their support at the origin (zero yaw); rested_kp: (P, 25, 3).
        Returns:
            camera, xy (P, 2), yaw (P,), placed (P,) bool, and the index of the framed person (None when
            the fallback had to be used and could not be checked).
        """
        cfg = self.cfg
        sub = rested[:, ::23]
        for attempt in range(max(1, cfg.frame_tries)):
            if attempt:
                camera = sample_camera(rng, cfg)
            K, ext = camera.K, camera.cam_ext
            if framing.sky_fraction(K, ext, camera.width, camera.height) > cfg.max_sky_fraction:
                continue
            xy, yaw, placed = place_people(rng, cfg, camera, radii, heights)
            if not placed.any():
                continue
            chosen = self._framed_person(camera, rested, rested_kp, sub, xy, yaw, placed)
            if chosen is not None:
                self._framing_record = {"draws": attempt + 1, "fallback": False}
                return camera, xy, yaw, placed, chosen
        # the fallback: the first person straight ahead; the camera's height (not its pitch) moves to frame them
        xy, yaw, placed = np.zeros((len(radii), 2)), rng.uniform(0.0, 360.0, size=len(radii)), np.zeros(len(radii), bool)
        xy[0], placed[0] = fallback_position(camera, cfg, heights[0], radii[0]), True
        self._framing_record = {"draws": max(1, cfg.frame_tries), "fallback": True}
        return camera, xy, yaw, placed, 0

    def _framed_person(self, camera, rested, rested_kp, sub, xy, yaw, placed) -> int | None:
        """The nearest placed person with enough keypoints in frame and not self-occluded (and, with
        ``min_largest_box``, a large enough largest person), or None."""
        cfg = self.cfg
        K, ext, W, H = camera.K, camera.cam_ext, camera.width, camera.height
        idx = np.flatnonzero(placed)
        Rz = _rot_z(yaw[idx])
        move = lambda x: np.einsum("pij,pnj->pni", Rz, x) + np.column_stack([xy[idx], np.zeros(len(idx))])[:, None]  # noqa: E731
        kp_w = move(rested_kp[idx])
        sub_w = move(sub[idx])
        n_in, torso_in, box = framing.framed_people(kp_w, sub_w, K, ext, W, H)
        if cfg.min_largest_box > 0 and box.max() < cfg.min_largest_box:
            return None
        need = min(cfg.min_framed_keypoints, 25)
        if need <= 0:
            return int(idx[0])
        depth = (kp_w.mean(axis=1) @ ext[:3, :3].T + ext[:3, 3])[:, 2]
        order = np.argsort(depth)
        for rank, k in enumerate(order):
            if n_in[k] < need or not torso_in[k]:
                continue
            if rank and framing.hidden_by_nearer(kp_w[k], sub_w[order[:rank]], K, ext, W, H) > 25 - need:
                continue  # people in front of them would hide too much
            v_cam = to_camera((rested[idx[k]] @ Rz[k].T + [*xy[idx[k]], 0.0])[None], ext)
            occ = L.body_occlusion(to_camera(kp_w[k : k + 1], ext), K, v_cam, np.asarray(self.body.faces),
                                   self.face_parts, self.keypoint_own_parts, W, H, cfg.visibility_tolerance)
            if int((occ["in_frame"] & ~occ["self_occluded"]).sum()) >= min(need + 1, 25):  # one to spare for clothes
                return int(idx[k])
        return None

    def _rest_on_support(self, posed, pose_names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per person the tilt (P, 3, 3) about the mid-hip, the lift (P,) and what goes under them (P,) int
        (0 nothing, 1 a seat the pose asks for, 2 a floor cushion under buttocks that would hover), so
        that the pose's support groups rest on the ground (genb/render/contact.py)."""
        groups, seated, free, on_floor = [], [], [], []
        for name in pose_names:
            names, seat = contact.pose_support(name, self.pose_table)
            free.append(not seat and names != ["feet"])
            on_floor.append(not seat and "buttocks" in names)
            if seat:
                names = ["feet"]  # seated: the feet stand on the ground, a seat comes under the buttocks
            expanded = [g for n in names for g in (("left_knee", "right_knee") if n == "knees" else (n,))]
            groups.append([self.support[g] for g in expanded])
            seated.append(seat)
        pivot = posed.keypoints[:, BODY25_INDEX["mid_hip"]].astype(np.float64)
        tilt, lift, _ = contact.rest_on_support(posed.vertices, pivot, groups, free)
        seated = np.array(seated, np.int64)
        if any(on_floor):
            hover = contact.buttock_gaps(posed.vertices, pivot, tilt, self.support["buttocks"]) > contact.CUSHION_GAP_M
            seated[np.array(on_floor) & hover] = 2
        return tilt, lift, seated

    def _seats(self, index: int, world, yaw: np.ndarray, radii: np.ndarray, seated: np.ndarray) -> list[dict]:
        """Seat recipes (chair, stool, bench, crate, low wall; a cushion where ``seated`` is 2) under the
        buttocks of the seated people."""
        rng = sample_rng(self.cfg.seed, index, "seats")
        out = []
        for p in np.flatnonzero(seated):
            rec = contact.seat_recipe(rng, world.vertices[p][self.support["buttocks"]].astype(np.float64),
                                      float(yaw[p]), float(radii[p]), floor=bool(seated[p] == 2))
            rec["seat_of"] = int(p)
            out.append(props.finish_recipe(rng, rec))
        return out

    def _dress(self, index: int, world, appearance: list[dict], describe: list[dict]) -> tuple[list[dict], list[MeshLayer]]:
        """Outfits (JSON-able, for scene.json) and the dressed meshes of the posed people."""

        rng = sample_rng(self.cfg.seed, index, "wardrobe")
        skin_rng = sample_rng(self.cfg.seed, index, "skin")  # its own stream: outfits never move
        # the Monk swatch hex: the garment-vs-skin contrast rules are tuned on it
        tones = {t["name"]: t["hex"] for t in load_yaml_asset("appearance", "skin_tones.yaml")["tones"]}
        lips = (self.wardrobe.get("skin") or {}).get("lips", "b0605c")
        outfits, people = [], []
        for v, kp, a, d in zip(world.vertices, world.keypoints, appearance, describe):
            outfit = sample_outfit(rng, self.wardrobe, {**d, "skin": tones[a["skin_tone"]]})
            n = vertex_normals(v, self.raster.faces, self.raster._incidence)
            col = self.dresser.skin_colors(outfit, skin.tone_srgb(a["skin_tone"]), lips)  # measured albedo
            outfit["skin"] = skin.skin_variation(skin_rng, a["skin_tone"])
            col = skin.apply_variation(col, self.skin_regions, outfit["skin"], self.bare_skin)
            outfit["eyes"] = face.sample_eyes(skin_rng, skin.tone_darkness(a["skin_tone"]))
            col = face.paint_eyes(col, self.eyes, outfit["eyes"])
            people.append(MeshLayer(v, col, normals=n, extras=self.dresser.dress(outfit, v, n, kp)))
            outfits.append(outfit)
        return outfits, people

    def finish(self, prep: PreparedSample) -> RenderedSample:
        """Rasterize a prepared sample and complete its labels and control maps (GL thread)."""
        return self.complete(prep, self.rasterize(prep))

    def rasterize(self, prep: PreparedSample) -> list:
        """The GL part of :meth:`finish`: the passes' raw results (call it on the GL thread)."""
        look = prep.look
        results = self.raster.run_passes(list(prep.passes), prep.width, prep.height)
        if look is not None and look.shadow_pass is not None:  # after the colour pass: it shares its meshes
            cam = look.shadow_cam  # the map may be larger than the image (genb.render.shadows.map_scale)
            results.insert(1, self.raster.run_passes([look.shadow_pass], cam.width, cam.height)[0])
        return results

    def complete(self, prep: PreparedSample, results: list) -> RenderedSample:
        """The rest of :meth:`finish` (no GL, any thread): shading, image, the labels that need
        the depth buffer, control maps; ``results`` from :meth:`rasterize`."""
        cfg, K, W, H = self.cfg, prep.K, prep.width, prep.height
        # 6. Shade and composite over the background.
        look = prep.look
        results = list(results)
        shadow_depth = results.pop(1) if look is not None and look.shadow_pass is not None else None
        out = self.raster.decode(results, prep.cam_ext, prep.has_ground)
        color = out.color
        if look is not None:
            shaded = look.shade(color, out, K, prep.cam_ext, shadow_depth)
            color = (scenery.catch_shadows(shaded, look.ground_darkening(out, K, prep.cam_ext, shadow_depth), out,
                                           prep.backdrop) if look.catcher else shaded)
        alpha = out.coverage[..., None]
        clean = np.clip(color + (1.0 - alpha) * prep.backdrop + 0.5, 0, 255).astype(np.uint8)
        image = clean if look is None else look.finish_image(clean, out, prep.backdrop, K)

        # 7. The labels that need the depth buffer: visibility, visible-mask boxes.
        labels = dict(prep.labels)
        body_instances = out.instances if out.body_instances is None else out.body_instances
        n_kp = labels["keypoints3d"].shape[1]
        # Visibility part (a): each person's keypoints and joints ray-cast against their own bare
        # body; (b): the depth buffer (docs/architecture.md).
        occlusion = L.body_occlusion(
            np.concatenate([labels["keypoints3d"], labels["joints3d"]], axis=1), K, prep.body_vertices_cam,
            np.asarray(self.body.faces), self.face_parts,
            np.concatenate([self.keypoint_own_parts, self.joint_own_parts]), W, H, cfg.visibility_tolerance)
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

        # 8. Control maps.
        images = {
            "image": image,
            "control_depth": maps.depth_control(out.depth),
            "control_normal": maps.normal_control(out.normals, out.depth > 0, background=maps.NORMAL_FACING_CAMERA),
            "control_pose": maps.pose_control(kp["uv"], kp["vis"], H, W),
            "control_seg": maps.seg_control(out.parts) if cfg.seg_palette == "parts" else
            maps.ade20k_seg_control(out.parts, out.instances, out.depth, prep.scene.get("background", {}),
                                    K, prep.cam_ext),
            "control_edges": maps.edges_control(clean),
            "parts": out.parts,
            "instances": out.instances,
            "body_instances": body_instances,
        }
        return RenderedSample(images=images, depth=out.depth, labels=labels, scene=prep.scene)

    def _motion_poses(self, rng: np.random.Generator, P: int) -> list[dict[str, Any] | None] | None:
        """SMPL-X with --motion-dir: replace some key poses with motion-capture frames (None = key pose)."""
        if not self.cfg.motion_dir:
            return None
        from genb.render.bodies.motion import sample_motion_pose

        use = rng.random(P) < self.cfg.motion_prob
        if not use.any():
            return None
        return [sample_motion_pose(rng, self.cfg.motion_dir) if u else None for u in use]

    def write(self, run: RunFolder, index: int) -> None:
        """Render sample ``index`` into the run folder; the folder appears whole or not at all."""
        write_sample(run, index, self(index), self.cfg.png_compression)

    def close(self) -> None:
        self.raster.close()


def read_only(*arrays: Any) -> None:
    """Mark numpy arrays shared between samples (and threads) read-only; other objects are left alone."""
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.setflags(write=False)


@contextlib.contextmanager
def _torch_threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def write_sample(run: RunFolder, index: int, sample: RenderedSample, png_compression: int = 1,
                 extra: dict[str, bytes] | None = None) -> None:
    """Write one sample folder: built under a temporary name, renamed whole. ``extra``: more files
    (name -> bytes) that belong to the folder, written before the rename (a sequence frame's flow)."""
    images = {**sample.images, **draw_extra_controls(sample)}  # control maps registered outside genb
    with atomic_dir(run.sample_dir(index)) as tmp:
        for name, img in images.items():
            (tmp / f"{name}.png").write_bytes(png_bytes(img, png_compression))
        (tmp / DEPTH_FILE).write_bytes(depth_bytes(sample.depth))
        (tmp / "labels.npz").write_bytes(npz_bytes(sample.labels))
        (tmp / "scene.json").write_text(json.dumps(sample.scene, indent=1, sort_keys=True))
        for name, data in (extra or {}).items():
            (tmp / name).write_bytes(data)


class SampleWriter:
    """Writes samples on a background thread while the next one renders.

    PNG encoding and file writes release the GIL, so they overlap with the body
    model and the rasterizer. At most ``depth`` samples wait; an error raised while
    writing is raised again by the next :meth:`submit` or by :meth:`close`.
    """

    def __init__(self, run: RunFolder, png_compression: int, depth: int = 2):
        self.run, self.level, self.depth = run, png_compression, depth
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-writer")
        self._pending: list[concurrent.futures.Future] = []

    def submit(self, index: int, sample: RenderedSample) -> None:
        while len(self._pending) >= self.depth:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(write_sample, self.run, index, sample, self.level))

    def close(self) -> None:
        try:
            for f in self._pending:
                f.result()
        finally:
            self._pending.clear()
            self._pool.shutdown(wait=True)


def _cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize and centre-crop an image to cover ``width`` x ``height``."""
    import cv2

    h, w = image.shape[:2]
    s = max(width / w, height / h)
    resized = cv2.resize(image, (max(width, round(w * s)), max(height, round(h * s))), interpolation=cv2.INTER_AREA)
    y0, x0 = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
    return resized[y0 : y0 + height, x0 : x0 + width]


# ----------------------------------------------------------------------------- running a whole run


@dataclasses.dataclass
class RenderSummary:
    """What :func:`run_render` did on this rank."""

    rendered: int
    skipped: int
    seconds: float
    total: int
    startup_seconds: float = 0.0
    """Time before steady rendering: building the body model and GL context, spawning workers."""

    @property
    def samples_per_second(self) -> float:
        return self.rendered / self.seconds if self.seconds > 0 else float("nan")

    @property
    def steady_samples_per_second(self) -> float:
        """Throughput once started (what a long run approaches)."""
        busy = self.seconds - self.startup_seconds
        return self.rendered / busy if busy > 0 else float("nan")


_worker_stage: RenderStage | None = None


def _worker_init(cfg: RenderConfig) -> None:
    global _worker_stage
    # Share the cores between workers: Mesa's llvmpipe starts one raster thread per core
    # in every process unless told otherwise.
    os.environ.setdefault("LP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // cfg.workers)))
    _worker_stage = RenderStage(cfg)


def _worker_render(args: tuple[str, int]) -> int:  # noqa: D103 - one sample in a pool worker
    root, index = args
    assert _worker_stage is not None
    _worker_stage.write(RunFolder(root), index)
    return index


def _manifest(cfg: RenderConfig) -> dict[str, Any]:
    """``run.json``: what every later stage reads about the run."""
    return {
        "format_version": FORMAT_VERSION, "num_samples": cfg.num_samples, "seed": cfg.seed,
        "body_model": cfg.body, "image_size": list(cfg.image_size), "portrait_prob": cfg.portrait_prob,
        "depth_file": DEPTH_FILE,
        "conventions": "docs/architecture.md: world Z up (m); camera OpenCV; pixel centres at integers; "
                       "keypoints OpenPose BODY_25",
    }


def input_digests(cfg: RenderConfig) -> dict[str, str]:
    """Content digests of every input file that shapes a sample, by the flag that names it.

    The wardrobe file, the background and environment folders, motion files, SMPL-X model
    files and the asset library (pose library, appearance tables, rigs): a resume after
    editing any of them is refused (:func:`genb.core.runner.guard_settings`).
    """
    from genb.render.assets import asset_path
    from genb.render.dress.wardrobe import resolve_wardrobe

    out: dict[str, str] = {}
    wardrobe = resolve_wardrobe(cfg.wardrobe)
    if wardrobe is not None:
        out["wardrobe"] = digest_files([wardrobe])
    for field in ("environments", "motion_dir", "smplx_dir"):
        if getattr(cfg, field):
            out[field] = digest_files([getattr(cfg, field)], getattr(cfg, field))
    if cfg.backgrounds != "procedural":
        out["backgrounds"] = digest_files([cfg.backgrounds], cfg.backgrounds)
    library = asset_path()
    out["asset library"] = digest_files([p for p in sorted(library.iterdir()) if p.name != "wardrobe"], library)
    return out


def _validate(run: RunFolder, cfg: RenderConfig) -> None:
    cfg.validate()
    if (run.root / "run.json").is_file():
        found = run.manifest.get("format_version", 1)  # a corrupt run.json is an error naming it
        if found != FORMAT_VERSION:
            raise GenbError(f"{run.root} was rendered by a genb whose samples are drawn differently "
                            f"(run format {found}, this genb writes {FORMAT_VERSION}): resuming it would mix two datasets",
                            "render into a new folder (or finish this one with the genb version that started it)")


def _render_todo(run: RunFolder, cfg: RenderConfig, todo: list[int], stage: "RenderStage | None") -> float:
    """Render ``todo`` into ``run``: in this process (``stage``), or in a pool of workers each with
    its own renderer. Returns when steady rendering started (``time.perf_counter``)."""
    started = time.perf_counter()
    if cfg.workers == 1:
        assert stage is not None
        writer = SampleWriter(run, cfg.png_compression)
        # A pipeline of threads: sample k+1 is prepared (bodies, scene: no GL) while sample k
        # rasterizes on this thread and sample k-1 is completed (shading, labels, control maps)
        # and then written. numpy, zlib and llvmpipe release the GIL, so the stages overlap.
        preparer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-prepare")
        completer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-complete")
        try:
            ahead = preparer.submit(stage.prepare, todo[0])
            behind: tuple[int, concurrent.futures.Future] | None = None
            for k, i in enumerate(progress(todo, total=len(todo), desc="render")):
                prep = ahead.result()
                if k + 1 < len(todo):
                    ahead = preparer.submit(stage.prepare, todo[k + 1])
                raw = stage.rasterize(prep)
                if behind is not None:
                    writer.submit(behind[0], behind[1].result())
                behind = (i, completer.submit(stage.complete, prep, raw))
            if behind is not None:
                writer.submit(behind[0], behind[1].result())
                behind = None
        finally:
            if behind is not None:  # a later sample failed: still write the one completed before it
                try:
                    if behind[1].exception() is None:
                        writer.submit(behind[0], behind[1].result())
                except Exception:  # noqa: BLE001 - the first error is the one raised
                    pass
            preparer.shutdown(wait=True, cancel_futures=True)
            completer.shutdown(wait=True, cancel_futures=True)
            writer.close()
            stage.close()
    else:
        ctx = mp.get_context("spawn")
        with ctx.Pool(cfg.workers, initializer=_worker_init, initargs=(cfg,)) as pool:
            jobs = pool.imap_unordered(_worker_render, [(str(run.root), i) for i in todo])
            for k, _ in enumerate(progress(jobs, total=len(todo), desc="render")):
                if k == cfg.workers - 1:  # every worker has delivered its first sample
                    started = time.perf_counter()
    return started


def run_render(out: str | Path, cfg: RenderConfig) -> RenderSummary:
    """Render every missing sample of ``cfg`` into the run folder ``out`` (this rank's share)."""
    run = RunFolder(out)
    start = time.perf_counter()
    started = [start]  # when steady rendering started

    def setup(ctx: StageContext) -> RenderStage | None:
        if cfg.workers > 1:
            return None  # each worker builds its own
        stage = RenderStage(cfg)  # body model and forwards on one torch thread (see RenderStage)
        logger.info("GL renderer: %s", stage.raster.gl_renderer_name)
        return stage

    def work(ctx: StageContext, todo: list[int]) -> None:
        logger.info("rendering %d of %d samples into %s (%d already done, %d rank(s), %d worker(s))",
                    len(todo), cfg.num_samples, run.root, ctx.plan.skipped, ctx.ranks.world, cfg.workers)
        started[0] = _render_todo(run, cfg, todo, ctx.state)

    done = set(run.sample_ids())
    ran = run_stage(StageSpec(
        name="render", folder=run.root, record="render.yaml", config=cfg,
        items=lambda: range(cfg.num_samples), is_done=lambda i: i in done,
        validate=lambda: _validate(run, cfg), setup=setup, work=work,
        keep=RESUMABLE_FIELDS, inputs=lambda: input_digests(cfg),
        markers=("run.json", "render.yaml"), ours="a run folder",
        outputs_exist=lambda: bool(run.sample_ids()), extra_records=lambda: {"run.json": _manifest(cfg)},
        folders=(run.samples_dir,), clean=run.stale_folders(), what=f"samples in {run.root}",
        missing=lambda: 0,  # each rank renders its own block; nothing to aggregate
    ))
    end = time.perf_counter()
    todo, skipped = len(ran.plan.todo), ran.plan.skipped
    started_at = started[0]
    if cfg.workers > 1 and todo > cfg.workers:  # the first samples' own work is not start-up
        started_at -= (end - started_at) / (todo - cfg.workers) * cfg.workers
    summary = RenderSummary(rendered=todo, skipped=skipped, seconds=end - start,
                            total=cfg.num_samples, startup_seconds=max(0.0, started_at - start))
    logger.info("done: %d rendered, %d skipped in %.1f s (%.2f samples/s); %d/%d samples in %s",
                summary.rendered, summary.skipped, summary.seconds, summary.samples_per_second,
                len(run.sample_ids()), cfg.num_samples, run.root)
    return summary
