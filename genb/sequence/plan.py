"""What a sequence is before any frame is drawn: its people's motions and paths, its camera path, its setting.

:func:`plan_sequence` depends only on (seed, sequence index) and the render stage's resources
(body model, pose library). Everything that makes up a person's identity (shape, appearance,
outfit) and the scene (sky, ground, props, lights) is sampled once; per frame only the posed
bodies and the camera change. :class:`Frame` hands one frame to
:meth:`genb.render.stage.RenderStage.prepare`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.core.seeds import sample_rng
from genb.render.scene import heads, outline, scenery
from genb.render.bodies import PosedBodies, rigid_transform_bodies
from genb.render.bodies.rotations import euler_xyz_to_matrix
from genb.render.scene.sample import CameraRecipe, fallback_position, place_people, sample_camera
from genb.sequence import gait
from genb.sequence.cameras import camera_path


@dataclasses.dataclass
class SequencePlan:
    """One sequence, frame by frame (T frames, P people).

    Attributes:
        cameras: T camera recipes. camera_record: the path's parameters (JSON).
        world: T posed bodies in the world frame (P people each).
        shapes: (P, shape_dim). motions: P motion kinds. yaw0: (P,) degrees. xy: (T, P, 2) root paths.
        yaw: (T, P) heading, degrees. heights, radii: (P,) metres. dropped: people no path was found for.
        setting: the procedural setting of every frame (None with photo or environment backgrounds).
    """

    cameras: list[CameraRecipe]
    camera_record: dict[str, Any]
    world: list[PosedBodies]
    shapes: np.ndarray
    motions: list[str]
    xy: np.ndarray
    yaw: np.ndarray
    heights: np.ndarray
    radii: np.ndarray
    dropped: int
    setting: Any
    seats: list = dataclasses.field(default_factory=list)
    """Seat recipes under the people who sit down or stand up (``seat_of``: their index)."""


@dataclasses.dataclass
class Frame:
    """Frame ``t`` of a plan, as :meth:`RenderStage.prepare` takes it."""

    plan: SequencePlan
    t: int
    layers: list | None = None
    """Set by the render stage: the people's meshes (MeshLayer) of this frame."""

    @property
    def setting(self):
        return self.plan.setting

    @property
    def seats(self) -> list:
        return self.plan.seats

    def people(self) -> tuple:
        """(camera, world bodies, shapes, pose names, xy (P, 2), yaw (P,), heights, radii, keep, P)."""
        p, t = self.plan, self.t
        P = len(p.shapes)
        return (p.cameras[t], p.world[t], p.shapes, list(p.motions), p.xy[t], p.yaw[t], p.heights, p.radii,
                np.arange(P), P + p.dropped)


def foot_vertices(body) -> tuple[np.ndarray, np.ndarray]:
    """Vertex indices of the body model's left and right foot."""
    parts = np.asarray(body.vertex_parts)
    return np.flatnonzero(parts == PART_INDEX["left_foot"]), np.flatnonzero(parts == PART_INDEX["right_foot"])


def seat_recipes(stage, index: int, world: list, yaw: np.ndarray, radii: np.ndarray, kinds: list[str]) -> list[dict]:
    """One seat per person who sits down or stands up (kind ``sit_down:*`` / ``stand_up:*``): its top
    under their buttocks on the frame they sit deepest (:func:`genb.render.scene.contact.seat_recipe`),
    fixed for the whole sequence.

    Args:
        world: T posed bodies in the world (P people each). yaw: (T, P) degrees. radii: (P,) metres.
    """
    from genb.render.scene import contact, props

    rng = sample_rng(stage.cfg.seed, index, "seats")
    out = []
    buttocks = stage.support["buttocks"]
    for p, kind in enumerate(kinds):
        if not kind.startswith(("sit_down", "stand_up")):
            continue
        low = np.array([w.vertices[p][buttocks, 2].min() for w in world])
        t = int(np.argmin(low))
        rec = contact.seat_recipe(rng, np.asarray(world[t].vertices[p][buttocks], np.float64), float(yaw[t, p]),
                                  float(radii[p]), body=np.asarray(world[t].vertices[p]))
        rec["seat_of"] = int(p)
        out.append(props.finish_recipe(rng, rec))
    return out


def first_frame_outlines(cfg, body, vertices: np.ndarray, keypoints: np.ndarray, yaw_rel: np.ndarray,
                         local_T: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The first frame's crowns (``head_row_exact``) and outlines (``whole_in_frame``), (P, M, 3) each or None, in
    the frame :func:`genb.render.scene.sample.place_people` turns and moves: a person's frame-0 body turned by
    their motion's own first heading ``yaw_rel`` (P,) degrees and moved by its root offset ``local_T`` (P, 3)
    (the world body is that turned by the drawn yaw and moved to the drawn ground point).

    Args:
        vertices: (P, V, 3) and keypoints (P, 25, 3): the posed bodies of the first frame, their own frame.
    """
    if not (cfg.head_row_exact or cfg.whole_in_frame):
        return None, None
    turn = lambda x: np.stack([heads.turned(x[p], float(yaw_rel[p])) for p in range(len(x))]) + local_T[:, None]  # noqa: E731
    rested, kp = turn(np.asarray(vertices, np.float64)), turn(np.asarray(keypoints, np.float64))
    head_ids = np.flatnonzero(np.asarray(body.vertex_parts) == PART_INDEX["head"])
    crowns = heads.crowns(rested, head_ids)
    whole = outline.outlines(rested, kp, body.vertex_parts, crowns) if cfg.whole_in_frame else None
    return (crowns if cfg.head_row_exact else None), whole


def _paths_clear(paths: np.ndarray, radii: np.ndarray, p: int, others: list[int], margin: float = 0.1) -> bool:
    """True when person ``p``'s root path (T, 2) keeps ``margin`` metres between footprints of ``others``."""
    for q in others:
        gap = np.linalg.norm(paths[p] - paths[q], axis=1) - radii[p] - radii[q]
        if gap.min() <= margin:
            return False
    return True


def _camera_motion(rng, camera_motions: dict[str, float]) -> str:
    """One camera motion drawn by its weight (those weighted 0 never)."""
    kinds = [k for k, w in camera_motions.items() if w > 0]
    w = np.array([camera_motions[k] for k in kinds], float)
    return kinds[int(rng.choice(len(kinds), p=w / w.sum()))]


def plan_sequence(stage, index: int, frames: int, fps: float, motions: dict[str, float],
                  camera_motions: dict[str, float]) -> SequencePlan:
    """Sample sequence ``index`` of ``stage``'s config (a :class:`genb.render.stage.RenderStage`)."""
    cfg, body = stage.cfg, stage.body
    rng = sample_rng(cfg.seed, index, "sequence")
    # 1. The first frame's camera, the people's shapes and motions.
    camera0 = sample_camera(rng, cfg)
    P = int(rng.integers(cfg.num_people[0], cfg.num_people[1] + 1))
    shapes = body.sample_shapes(rng, P)
    kinds, euler, yaw_rel = [], np.zeros((P, frames, 20, 3)), np.zeros((P, frames))
    stances: list = [None] * P  # a run's foot on the ground per frame (genb.sequence.motions.plant_run)
    clips: list = [None] * (P * frames)  # SMPL-X with --motion-dir: motion-capture frames (genb.sequence.mocap)
    for p in range(P):
        kind, euler[p], yaw_rel[p], stances[p] = gait.sample_motion(rng, stage.poses, frames, fps, motions)
        if cfg.motion_dir and rng.random() < cfg.motion_prob:
            from genb.sequence.mocap import sample_clip

            kind, clips[p * frames:(p + 1) * frames], yaw_rel[p] = sample_clip(rng, cfg.motion_dir, frames, fps)
        kinds.append(kind)
    # 2. Plant the feet (root paths in the body's own frame): the procedural motions with both feet
    #    kept still in double support (leg IK), motion-capture clips with the weight-bearing foot.
    feet = foot_vertices(body)
    local_T = np.zeros((P, frames, 3))
    for p in range(P):
        if clips[p * frames] is None:
            pose_fn = lambda e, p=p: body.pose(np.repeat(shapes[p:p + 1], len(e), axis=0), euler_xyz_to_matrix(e)).vertices  # noqa: E731
            local_T[p], euler[p] = gait.plant_motion(pose_fn, euler[p], yaw_rel[p], feet, stances[p], fps)
    # 3. Pose every frame of everyone in one batch.
    rotations = euler_xyz_to_matrix(euler.reshape(P * frames, 20, 3))
    posed = (body.pose(np.repeat(shapes, frames, axis=0), rotations, motion=clips) if any(c is not None for c in clips)
             else body.pose(np.repeat(shapes, frames, axis=0), rotations))
    V = posed.vertices.reshape(P, frames, -1, 3).astype(np.float64)
    for p in range(P):
        if clips[p * frames] is not None:
            local_T[p] = gait.plant_feet(V[p], yaw_rel[p], feet)
    heights = V[:, 0, :, 2].max(axis=1) + local_T[:, 0, 2]
    radii = np.linalg.norm(V[:, :, ::7, :2], axis=3).max(axis=(1, 2))  # the footprint over every frame
    # 4. Place the first frame where the camera sees it (crowns, outlines exact); keep paths apart (else drop).
    crowns, whole = first_frame_outlines(cfg, body, V[:, 0], posed.keypoints[::frames], yaw_rel[:, 0], local_T[:, 0])
    xy0, yaw0, placed = place_people(rng, cfg, camera0, radii, heights, crowns=crowns, outlines=whole)
    if not placed.any():
        xy0[0], placed[0] = fallback_position(camera0, cfg, heights[0], radii[0]), True
    paths = np.zeros((P, frames, 2))
    kept: list[int] = []
    for p in np.flatnonzero(placed):
        for _ in range(20):
            paths[p] = xy0[p] + local_T[p, :, :2] @ gait.rot_z(yaw0[p])[:2, :2].T
            if _paths_clear(paths, radii, p, kept):
                kept.append(int(p))
                break
            yaw0[p] = rng.uniform(0.0, 360.0)
        if not kept:  # always keep one person
            kept.append(int(p))
    keep = np.array(sorted(kept))
    # 5. The world bodies of every frame: x -> R_z(yaw0 + yaw_t) x + R_z(yaw0) T_t + (xy0, 0).
    yaw = (yaw0[keep, None] + yaw_rel[keep]).T  # (T, P)
    trans = np.einsum("pij,ptj->tpi", gait.rot_z(yaw0[keep]), local_T[keep])
    trans[..., :2] += xy0[keep][None]
    sel = (keep[:, None] * frames + np.arange(frames)[None]).T.ravel()  # frame-major order
    flat = PosedBodies(posed.vertices[sel], posed.joints[sel], posed.keypoints[sel],
                       {k: v[sel] for k, v in posed.params.items()})
    moved = rigid_transform_bodies(body, flat, gait.rot_z(yaw.ravel()), trans.reshape(-1, 3))
    n = len(keep)
    world = [PosedBodies(moved.vertices[t * n:(t + 1) * n], moved.joints[t * n:(t + 1) * n],
                         moved.keypoints[t * n:(t + 1) * n], {k: v[t * n:(t + 1) * n] for k, v in moved.params.items()})
             for t in range(frames)]
    # 6. The camera path (a tracking camera follows the first person) and one setting for all frames.
    cameras, cam_record = camera_path(rng, camera0, _camera_motion(rng, camera_motions), frames, fps,
                                      target_xy=paths[keep[0]])
    seats = seat_recipes(stage, index, world, yaw, radii[keep], [kinds[k] for k in keep])
    setting = None
    if not stage.backgrounds and not stage.environments:  # props keep clear of every path
        every = paths[keep][:, :: max(1, frames // 12)].reshape(-1, 2)
        r = np.repeat(radii[keep], paths[keep][:, :: max(1, frames // 12)].shape[1])
        setting = scenery.sample_setting(sample_rng(cfg.seed, index, "setting"), cfg, camera0, every,
                                         world[0].keypoints, r, seats=seats)
    return SequencePlan(cameras=cameras, camera_record=cam_record, world=world, shapes=shapes[keep],
                        motions=[kinds[k] for k in keep], xy=trans[..., :2], yaw=yaw, heights=heights[keep],
                        radii=radii[keep], dropped=int(P - n), setting=setting, seats=seats)
