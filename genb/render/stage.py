"""``genb render``: write a run folder of samples with exact ground truth.

:class:`RenderStage` holds what is expensive (body model, pose library, GL
renderer) and is built once per process; calling it renders one sample index.
:func:`run_render` splits the indices over ranks (``RANK``/``WORLD_SIZE``) and
local worker processes, skips samples that already exist, and writes the run's
manifest and config.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import json
import math
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from genb.config import add_config_arguments, config_from_args, config_record, to_dict
from genb.errors import GenbError
from genb.log import get_logger, progress
from genb.render import labels as L
from genb.render import maps
from genb.render.bodies import load_body_model, rigid_transform_bodies
from genb.render.conventions import SEMANTIC_JOINTS
from genb.render.camera import project, to_camera
from genb.render.config import RenderConfig
from genb.render.raster import GroundLayer, Lighting, MeshLayer, Rasterizer
from genb.render.scene import (
    ground_texture, list_background_images, part_colors, place_people, sample_appearance,
    sample_background, sample_camera, sample_lighting, sky_image,
)
from genb.store import (
    RunFolder, atomic_dir, atomic_write_json, atomic_write_text, dist_info, npy_bytes, npz_bytes,
    png_bytes, read_image, sample_rng, shard,
)

logger = get_logger(__name__)

FORMAT_VERSION = 1
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
    occlusion: dict[str, np.ndarray] | None = None  # visibility part (a), labels.body_occlusion


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
        self.body = load_body_model(cfg.body, smplx_dir=cfg.smplx_dir, gender=cfg.smplx_gender,
                                    anny_cache_dir=cfg.anny_cache_dir)
        self.poses = PoseLibrary()
        self.raster = Rasterizer(self.body.faces, self.body.vertex_parts, platform=cfg.gl_platform)
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
        self.joint_own_parts = L.nearest_parts(rest.joints, rest.vertices, np.asarray(self.body.vertex_parts))[0]

    def __call__(self, index: int) -> RenderedSample:
        """Render sample ``index``; depends only on (cfg.seed, index)."""
        return self.finish(self.prepare(index))

    def prepare(self, index: int) -> PreparedSample:
        """Everything of sample ``index`` that needs no GL: scene, bodies, appearance, geometry
        labels. Thread-safe with respect to :meth:`finish`, so the next sample can be prepared
        while this one rasterizes."""
        with _torch_threads(1):  # small batched body forwards: extra threads only fight llvmpipe's
            return self._prepare(index)

    def _prepare(self, index: int) -> PreparedSample:
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

        # 2. Stand everyone on the ground where the camera sees them, without overlaps.
        lift = -posed.vertices[:, :, 2].min(axis=1)
        heights = posed.vertices[:, :, 2].max(axis=1) + lift
        radii = np.linalg.norm(posed.vertices[:, :, :2], axis=2).max(axis=1)
        xy, yaw, placed = place_people(rng, cfg, camera, radii, heights)
        if not placed.any():  # always keep one person: stand the first in front of the camera
            xy[0], placed[0] = (0.0, max(4.0, 3 * radii[0])), True
        keep = np.flatnonzero(placed)
        posed = dataclasses.replace(posed, vertices=posed.vertices[keep], joints=posed.joints[keep],
                                    keypoints=posed.keypoints[keep],
                                    params={k: v[keep] for k, v in posed.params.items()})
        shapes, yaw, xy, lift, heights = shapes[keep], yaw[keep], xy[keep], lift[keep], heights[keep]
        pose_names = [pose_names[k] for k in keep]
        world = rigid_transform_bodies(body, posed, _rot_z(yaw), np.column_stack([xy, lift]))

        # 3. Appearance, lights, background.
        app_rng = sample_rng(cfg.seed, index, "appearance")
        appearance = [sample_appearance(app_rng) for _ in keep]
        lighting = sample_lighting(app_rng)
        background = sample_background(app_rng, cfg, self.backgrounds)
        people = [MeshLayer(v, part_colors(a)[body.vertex_parts]) for v, a in zip(world.vertices, appearance)]
        K, ext = camera.K, camera.cam_ext
        W, H = camera.width, camera.height
        ground = None
        if background["kind"] == "procedural":
            ground = GroundLayer(ground_texture(background), tile=2.0, center=(0.0, 10.0))
            horizon = K[1, 2] - K[1, 1] * math.tan(math.radians(camera.pitch_deg))
            backdrop = sky_image(background, W, H, horizon)
        else:
            backdrop = _cover(read_image(background["path"]), W, H)

        # 4. The labels that need no depth buffer: camera-frame geometry and parameters.
        v_cam = to_camera(world.vertices.astype(np.float64), ext)
        verts2d = project(v_cam, K)
        bbox_full = L.points_box(verts2d)
        center, scale = L.center_scale(bbox_full)
        params_cam = body.transform_params(world.params, ext[:3, :3], ext[:3, 3])
        describe = body.describe_shapes(shapes)
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
            "people": [
                {"pose": name, "shape": s.tolist(), "description": d, "appearance": a,
                 "position": [float(x), float(y)], "yaw_deg": float(w)}
                for name, s, d, a, (x, y), w in zip(pose_names, shapes, describe, appearance, xy, yaw)
            ],
            "dropped_people": int(P - len(keep)),
        }
        light = Lighting(np.array(lighting["direction"]), lighting["intensity"], np.array(lighting["color"]),
                         np.array(lighting["ambient"]))
        # Visibility part (a): each person's keypoints and joints ray-cast against their own body,
        # here so that it overlaps the previous sample's rasterization (docs/architecture.md).
        occlusion = L.body_occlusion(
            np.concatenate([labels["keypoints3d"], labels["joints3d"]], axis=1), K, v_cam, np.asarray(body.faces),
            self.face_parts, np.concatenate([self.keypoint_own_parts, self.joint_own_parts]), W, H,
            cfg.visibility_tolerance)
        # 5. The rasterizer's scenes: plain objects, no GL yet (that happens in finish()).
        passes = self.raster.build_passes(people, K, ext, light, ground)
        return PreparedSample(num_people=len(people), passes=passes, K=K, cam_ext=ext, width=W, height=H,
                              has_ground=ground is not None, backdrop=backdrop, labels=labels, scene=scene,
                              occlusion=occlusion)

    def finish(self, prep: PreparedSample) -> RenderedSample:
        """Rasterize a prepared sample and complete its labels and control maps (GL thread)."""
        cfg, K, W, H = self.cfg, prep.K, prep.width, prep.height
        # 6. Rasterize and composite over the background.
        out = self.raster.decode(self.raster.run_passes(prep.passes, W, H), prep.cam_ext, prep.has_ground)
        alpha = out.coverage[..., None]
        image = np.clip(out.color + (1.0 - alpha) * prep.backdrop + 0.5, 0, 255).astype(np.uint8)

        # 7. The labels that need the depth buffer: visibility, visible-mask boxes.
        labels = dict(prep.labels)
        # (the rule's part (a), the ray cast against each person's own body, ran in prepare())
        n_kp = labels["keypoints3d"].shape[1]
        both = L.depth_visibility(prep.occlusion, out.depth, out.instances, cfg.visibility_tolerance)
        kp = {k: v[:, :n_kp] for k, v in both.items()}
        jt = {k: v[:, n_kp:] for k, v in both.items()}
        bbox, area = L.mask_boxes(out.instances, prep.num_people)
        labels.update({
            "keypoints3d": labels["keypoints3d"].astype(np.float32), "keypoints2d": kp["uv"],
            "keypoints_vis": kp["vis"], "keypoints_in_frame": kp["in_frame"],
            "joints3d": labels["joints3d"].astype(np.float32), "joints2d": jt["uv"], "joints_vis": jt["vis"],
            "bbox": bbox, "mask_area": area, "vis_fraction": kp["vis"].mean(axis=1).astype(np.float32),
        })

        # 8. Control maps.
        images = {
            "image": image,
            "control_depth": maps.depth_control(out.depth),
            "control_normal": maps.normal_control(out.normals, out.depth > 0),
            "control_pose": maps.pose_control(kp["uv"], kp["vis"], H, W),
            "control_seg": maps.seg_control(out.parts),
            "control_edges": maps.edges_control(image),
            "parts": out.parts,
            "instances": out.instances,
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


@contextlib.contextmanager
def _torch_threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def write_sample(run: RunFolder, index: int, sample: RenderedSample, png_compression: int = 1) -> None:
    """Write one sample folder: built under a temporary name, renamed whole."""
    with atomic_dir(run.sample_dir(index)) as tmp:
        for name, img in sample.images.items():
            (tmp / f"{name}.png").write_bytes(png_bytes(img, png_compression))
        (tmp / "depth.npy").write_bytes(npy_bytes(sample.depth))
        (tmp / "labels.npz").write_bytes(npz_bytes(sample.labels))
        (tmp / "scene.json").write_text(json.dumps(sample.scene, indent=1, sort_keys=True))


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


def prepare_run(run: RunFolder, cfg: RenderConfig) -> None:
    """Create the run folder and its manifest, or check that an existing one matches ``cfg``."""
    record = config_record(cfg)
    path = run.root / "render.yaml"
    if path.is_file():
        old = (yaml.safe_load(path.read_text()) or {}).get("config", {})
        new = to_dict(cfg)
        changed = sorted(k for k in new if k not in RESUMABLE_FIELDS and old.get(k) != new[k])
        if changed:
            raise GenbError(
                f"{run.root} was rendered with different settings ({', '.join(changed)}); "
                "resuming would mix two datasets",
                "use a new output folder, or repeat the original settings (see its render.yaml)",
            )
    try:
        run.root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GenbError(f"cannot create the run folder {run.root}: {e.strerror}", "choose a folder you can write to") from None
    rank, _ = dist_info()
    if rank == 0:
        atomic_write_text(path, yaml.safe_dump(record, sort_keys=False))
        manifest = {
            "format_version": FORMAT_VERSION, "num_samples": cfg.num_samples, "seed": cfg.seed,
            "body_model": cfg.body, "image_size": list(cfg.image_size), "portrait_prob": cfg.portrait_prob,
            "conventions": "docs/architecture.md: world Z up (m); camera OpenCV; pixel centres at integers; "
                           "keypoints OpenPose BODY_25",
        }
        atomic_write_json(run.root / "run.json", manifest)
    run.samples_dir.mkdir(exist_ok=True)


def run_render(out: str | Path, cfg: RenderConfig) -> RenderSummary:
    """Render every missing sample of ``cfg`` into the run folder ``out`` (this rank's share)."""
    run = RunFolder(out)
    # 1. The run folder, its manifest and saved config.
    prepare_run(run, cfg)
    run.clean_stale()
    # 2. This rank's indices that are not done yet.
    rank, world = dist_info()
    mine = shard(range(cfg.num_samples), rank, world)
    done = set(run.sample_ids())
    todo = [i for i in mine if i not in done]
    logger.info("rendering %d of %d samples into %s (%d already done, %d rank(s), %d worker(s))",
                len(todo), cfg.num_samples, run.root, len(mine) - len(todo), world, cfg.workers)
    start = time.perf_counter()
    started = start  # when the first sample is done, less its own share of the work
    # 3. Render: in this process, or in a pool of workers each with its own renderer.
    if todo:
        if cfg.workers == 1:
            stage = RenderStage(cfg)
            logger.info("GL renderer: %s", stage.raster.gl_renderer_name)
            started = time.perf_counter()
            writer = SampleWriter(run, cfg.png_compression)
            # Prepare sample k+1 (bodies, scene: no GL) on a thread while sample k rasterizes.
            preparer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-prepare")
            try:
                ahead = preparer.submit(stage.prepare, todo[0])
                for k, i in enumerate(progress(todo, total=len(todo), desc="render")):
                    prep = ahead.result()
                    if k + 1 < len(todo):
                        ahead = preparer.submit(stage.prepare, todo[k + 1])
                    writer.submit(i, stage.finish(prep))
            finally:
                preparer.shutdown(wait=True, cancel_futures=True)
                writer.close()
                stage.close()
        else:
            ctx = mp.get_context("spawn")
            with ctx.Pool(cfg.workers, initializer=_worker_init, initargs=(cfg,)) as pool:
                jobs = pool.imap_unordered(_worker_render, [(str(run.root), i) for i in todo])
                for k, _ in enumerate(progress(jobs, total=len(todo), desc="render")):
                    if k == cfg.workers - 1:  # every worker has delivered its first sample
                        started = time.perf_counter()
    end = time.perf_counter()
    if cfg.workers > 1 and len(todo) > cfg.workers:  # the first samples' own work is not start-up
        started -= (end - started) / (len(todo) - cfg.workers) * cfg.workers
    summary = RenderSummary(rendered=len(todo), skipped=len(mine) - len(todo), seconds=end - start,
                            total=cfg.num_samples, startup_seconds=max(0.0, started - start))
    logger.info("done: %d rendered, %d skipped in %.1f s (%.2f samples/s); %d/%d samples in %s",
                summary.rendered, summary.skipped, summary.seconds, summary.samples_per_second,
                len(run.sample_ids()), cfg.num_samples, run.root)
    return summary


# ----------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="RUN", help="run folder to write (created; an existing one is resumed)")
    parser.add_argument("--preset", help="a preset of configs/render/ (bedlam, demo, closeup, crowd) or a YAML file")
    add_config_arguments(parser, RenderConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(RenderConfig, "render", args)
    run_render(args.out, cfg)
    return 0
