"""The people of one sample: posed, rested on their support, placed and framed, then dressed.

:class:`People` is the part of :class:`genb.render.stage.RenderStage` that decides who is in a
single image and where (the camera is re-drawn until someone is framed: docs/render.md,
framing) and dresses them; it reads the stage's body model, pose library, support groups
and dresser, so it is a mixin of that class rather than a class of its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.core.conventions import BODY25_INDEX
from genb.core.seeds import sample_rng
from genb.render.assets import load_yaml_asset
from genb.render.bodies import rigid_transform_bodies
from genb.render.dress import face, skin
from genb.render.dress.outfit import sample_outfit
from genb.render.labels import truth as L
from genb.render.labels.camera import to_camera
from genb.render.raster.gl import MeshLayer, vertex_normals
from genb.render.scene import contact, framing, props
from genb.render.scene.sample import fallback_position, place_people, sample_camera


def _rot_z(deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros((len(a), 3, 3))
    R[:, 0, 0], R[:, 0, 1], R[:, 1, 0], R[:, 1, 1], R[:, 2, 2] = c, -s, s, c, 1.0
    return R


class People:
    """Mixin of :class:`genb.render.stage.RenderStage`: a single image's people (see the module)."""

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
        that the pose's support groups rest on the ground (genb/render/scene/contact.py)."""
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

    def _motion_poses(self, rng: np.random.Generator, P: int) -> list[dict[str, Any] | None] | None:
        """SMPL-X with --motion-dir: replace some key poses with motion-capture frames (None = key pose)."""
        if not self.cfg.motion_dir:
            return None
        from genb.render.bodies.motion import sample_motion_pose

        use = rng.random(P) < self.cfg.motion_prob
        if not use.any():
            return None
        return [sample_motion_pose(rng, self.cfg.motion_dir) if u else None for u in use]
