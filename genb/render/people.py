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

from genb.core.conventions import BODY25_INDEX, BODY_PARTS, PART_INDEX
from genb.core.seeds import sample_rng
from genb.render.bodies import arm_clear, rigid_transform_bodies
from genb.render.bodies.rotations import rot_z
from genb.render.dress import face, lod, seat_cloth, skin, skin_texture
from genb.render.dress.contrast import rgb_hex
from genb.render.dress.outfit import sample_outfit
from genb.render.labels.camera import project, to_camera
from genb.render.dress.seams import cloth_records
from genb.render.dress.texcoords import ClothMap
from genb.render.raster.meshes import MeshLayer, vertex_normals
from genb.render.raster.strands import is_tail, tail_axis
from genb.render.raster.texcoord_pass import TexturedPiece as EyePiece, build_texcoord_pass
from genb.render.scene import contact, heads, held, outline, props
from genb.render.scene.sample import sample_camera

EYES_PER_PIXEL_PX = 24  # a head this many pixels from ear to ear (or more) gets its eyes per pixel
SKIN_PER_PIXEL_PX = 20  # ... and its skin texture per pixel (smaller: its mottling is hardly a pixel)


class People:
    """Mixin of :class:`genb.render.stage.RenderStage`: a single image's people (see the module)."""

    def _people(self, index: int, retry: int = 0) -> tuple:
        """Steps 1-2 of a single image: the camera and the posed people resting on their support,
        placed and framed. Returns camera, world (posed, placed bodies), shapes, pose names, xy, yaw,
        heights (of the kept people), radii (P,), keep (kept indices), P, seats, the framed person and
        the framing record. ``retry`` > 0: a re-draw (another stream, the framing's checked fallback)."""
        cfg, body = self.cfg, self.body
        rng = sample_rng(cfg.seed, index, "scene" if not retry else f"scene/retry{retry}")
        body_rng = sample_rng(cfg.seed, index, "bodies")

        # 1. Camera and the people's shapes and poses.
        camera = sample_camera(rng, cfg)
        P = int(rng.integers(cfg.num_people[0], cfg.num_people[1] + 1))
        shapes = body.sample_shapes(body_rng, P)
        pose_names, rotations = self.poses.sample(body_rng, P)
        motion = self._motion_poses(body_rng, P)
        grips = held.hand_grips(pose_names)  # fingers round a held object (not over a motion-capture frame)
        grips = grips if motion is None else [g if f is None else None for g, f in zip(grips, motion)]
        kw = {"grips": grips} if any(grips) and held.takes_grips(body) else {}
        posed = self._pose_people(shapes, rotations, motion, kw)
        if motion is not None:
            pose_names = [f["name"] if f is not None else n for f, n in zip(motion, pose_names)]

        # 2. Rest everyone on their support (feet, knees, buttocks: render/poses/) and stand them on the
        # ground where the camera sees them, without overlaps; re-draw camera and placement until someone
        # is framed (at least min_framed_keypoints keypoints in frame and not self-occluded).
        tilt, lift, seated = self._rest_on_support(posed, pose_names)
        pivot = posed.keypoints[:, BODY25_INDEX["mid_hip"]].astype(np.float64)
        rested = (posed.vertices - pivot[:, None]) @ tilt.transpose(0, 2, 1) + pivot[:, None]  # batched matmul: einsum is 5x slower
        rested[..., 2] += lift[:, None]
        rested_kp = (posed.keypoints - pivot[:, None]) @ tilt.transpose(0, 2, 1) + pivot[:, None]
        rested_kp[..., 2] += lift[:, None]
        heights = rested[:, :, 2].max(axis=1)
        radii = np.sqrt((rested[..., 0] ** 2 + rested[..., 1] ** 2).max(axis=1))  # norm's sums; the root of the largest only
        local_seats = self._seats(index, rested, radii, seated)
        attached = self._attached(rested_kp, pose_names, local_seats, rested)
        crowns = heads.crowns(rested, self._head_ids()) if cfg.head_row_exact or cfg.whole_in_frame else None
        whole = outline.outlines(rested, rested_kp, self.body.vertex_parts, crowns) if cfg.whole_in_frame else None
        truncated = sample_rng(cfg.seed, index, "truncated").random(P) < cfg.truncation_prob  # once for every try
        got = self.framer.frame(rng, camera, rested, rested_kp, radii, heights, attached, force_fallback=retry > 0,
                                crowns=crowns if cfg.head_row_exact else None, outlines=whole, truncated=truncated)
        camera, xy, yaw, placed, framed = got.camera, got.xy, got.yaw, got.placed, got.framed
        del rested
        keep = np.flatnonzero(placed)
        framed = int(np.searchsorted(keep, framed)) if framed is not None else None
        posed = dataclasses.replace(posed, vertices=posed.vertices[keep], joints=posed.joints[keep],
                                    keypoints=posed.keypoints[keep],
                                    params={k: v[keep] for k, v in posed.params.items()})
        shapes, yaw, xy, lift, heights = shapes[keep], yaw[keep], xy[keep], lift[keep], heights[keep]
        tilt, pivot = tilt[keep], pivot[keep]
        pose_names = [pose_names[k] for k in keep]
        # x -> Rz(yaw) (T (x - c) + c) + (xy, lift): one rigid map, so the parameters follow exactly
        Rz = rot_z(yaw)
        shift = pivot - np.einsum("pij,pj->pi", tilt, pivot)
        world = rigid_transform_bodies(body, posed, Rz @ tilt,
                                       np.einsum("pij,pj->pi", Rz, shift) + np.column_stack([xy, lift]))
        seats = [{**contact.place_recipe(local_seats[k], float(yaw[j]), xy[j]), "seat_of": j}
                 for j, k in enumerate(keep) if local_seats[k] is not None]
        record = {**got.record, "retry": retry} if retry else got.record
        record["seen"] = got.seen  # the framed person's keypoints in view (not for scene.json: the setting's props keep them)
        return camera, world, shapes, pose_names, xy, yaw, heights, radii, keep, P, seats, framed, record

    def _head_ids(self) -> np.ndarray:
        """The body's head vertex ids (the head part)."""
        return np.flatnonzero(np.asarray(self.body.vertex_parts) == PART_INDEX["head"])

    def _pose_people(self, shapes: np.ndarray, rotations: np.ndarray, motion: list | None, kw: dict):
        """The people posed (``body.pose`` with the motion frames and grips given), every hanging arm that
        sank into its trunk turned out of it and that person posed again (arm_clear: before any label)."""
        def pose(idx: np.ndarray, rots: np.ndarray):
            sub = {k: [v[i] for i in idx] for k, v in kw.items()}
            if motion is not None:
                sub["motion"] = [motion[i] for i in idx]
            return self.body.pose(shapes[idx], rots, **sub)

        posed = pose(np.arange(len(shapes)), rotations)
        if getattr(self, "_arm_clearance", None) is None:
            self._arm_clearance = arm_clear.ArmClearance(self.body.vertex_parts, self.body.faces)
        free = None if motion is None else np.array([f is None for f in motion])
        return arm_clear.clear_arms(self._arm_clearance, rotations, posed, pose, free)[0]

    def _rest_on_support(self, posed, pose_names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per person the tilt (P, 3, 3) about the mid-hip, the lift (P,) and what goes under them (P,) int
        (0 nothing, 1 a seat the pose asks for, 2 a floor cushion under buttocks that would hover), so
        that the pose's support groups rest on the ground (genb/render/scene/contact.py)."""
        groups, seated, free, on_floor = [], [], [], []
        for name in pose_names:
            names, seat = contact.pose_support(name, self.pose_table)
            free.append(not seat and names != ["feet"])
            on_floor.append(not seat and ("buttocks" in names or "thighs" in names))  # sitting on the floor
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

    def _seats(self, index: int, rested: np.ndarray, radii: np.ndarray, seated: np.ndarray) -> list[dict | None]:
        """Per person the seat recipe (chair, stool, bench, crate, low wall, steps; a cushion where ``seated``
        is 2) under their buttocks, or None, for the bodies ``rested`` (P, V, 3) at the origin with zero
        yaw, before framing (:func:`contact.place_recipe` moves it with them)."""
        rng = sample_rng(self.cfg.seed, index, "seats")
        out: list[dict | None] = [None] * len(seated)
        for p in np.flatnonzero(seated):
            rec = contact.seat_recipe(rng, rested[p][self.support["buttocks"]].astype(np.float64), 0.0,
                                      float(radii[p]), floor=bool(seated[p] == 2), body=rested[p])
            out[p] = props.finish_recipe(rng, rec)
        return out

    def _attached(self, rested_kp: np.ndarray, pose_names: list[str], seats: list[dict | None],
                  rested: np.ndarray) -> list[list]:
        """Per person the meshes (vertices, faces) that come with them and may hide them from the camera
        (their seat, the object in their hands), in the frame of ``rested_kp`` (P, 25, 3) and ``rested``
        (P, V, 3)."""
        from genb.render.scene.places.kinds import prop_meshes

        out: list[list] = [[] for _ in pose_names]
        for h in held.held_objects(pose_names, rested_kp, rested, self.body):
            v, f = held.held_mesh(h)[:2]
            out[h["person"]].append((v, f))
        for p, rec in enumerate(seats):
            if rec is not None:
                out[p] += [(m[0], m[1]) for m in prop_meshes(rec)]
        return out

    def _dress(self, index: int, world, appearance: list[dict], describe: list[dict], K: np.ndarray | None = None,
               ext: np.ndarray | None = None, seats: list | None = None) -> tuple[list[dict], list[MeshLayer]]:
        """Outfits (JSON-able, for scene.json) and the dressed meshes of the posed people; with the camera
        (``K``, ``ext``), each dressed as finely as their size on screen needs (:mod:`genb.render.dress.lod`).
        ``seats``: the placed seat recipes (``seat_of``: the sitter's index): loose garments lie on them."""

        rng = sample_rng(self.cfg.seed, index, "wardrobe")
        skin_rng = sample_rng(self.cfg.seed, index, "skin")  # its own stream: outfits never move
        lips = (self.wardrobe.get("skin") or {}).get("lips", "b0605c")
        outfits, people = [], []
        levels = lod.detail_levels(world.keypoints, K, ext) if K is not None else [lod.FULL] * len(appearance)
        for j, (v, kp, a, d, level) in enumerate(zip(world.vertices, world.keypoints, appearance, describe, levels)):
            # tops stand apart from the skin's albedo as rendered (the measured reflectance)
            outfit = sample_outfit(rng, self.wardrobe, {**d, "skin": rgb_hex(skin.tone_srgb(a["skin_tone"]))})
            n = vertex_normals(v, self._normal_faces(), self.raster._incidence)
            col = self.dresser.skin_colors(outfit, skin.tone_srgb(a["skin_tone"]), lips)  # measured albedo
            outfit["skin"] = skin.skin_variation(skin_rng, a["skin_tone"])
            col = skin.apply_variation(col, self.skin_regions, outfit["skin"], self.bare_skin,
                                       per_pixel=self.skin_layout is not None)
            if self.skin_layout is not None:  # its own stream: the eyes and the outfits never move
                outfit["skin"].update(skin_texture.sample_texture(sample_rng(self.cfg.seed, index, f"skin_texture/{len(people)}"),
                                                                  outfit["skin"]))
            outfit["eyes"] = face.sample_eyes(skin_rng, skin.tone_darkness(a["skin_tone"]))
            col = face.paint_eyes(col, self.eyes, outfit["eyes"])
            people.append(MeshLayer(v, col, normals=n, extras=self.dresser.dress(outfit, v, n, kp, col, level,
                                                                                  seat_cloth.person_seat(seats, j))))
            outfits.append(outfit)
        return outfits, people

    def _normal_faces(self) -> np.ndarray:
        """The body's faces as int64 columns (F, 3) Fortran order, built once: vertex normals gather by
        them, and uint32 indices would be converted on every gather (the same normals, a third quicker)."""
        got = getattr(self, "_faces_i64", None)
        if got is None:
            got = self._faces_i64 = np.asfortranarray(np.asarray(self.raster.faces, np.int64))
            got.setflags(write=False)
        return got

    def _motion_poses(self, rng: np.random.Generator, P: int) -> list[dict[str, Any] | None] | None:
        """SMPL-X with --motion-dir: replace some key poses with motion-capture frames (None = key pose)."""
        if not self.cfg.motion_dir:
            return None
        from genb.render.bodies.motion import sample_motion_pose

        use = rng.random(P) < self.cfg.motion_prob
        if not use.any():
            return None
        return [sample_motion_pose(rng, self.cfg.motion_dir) if u else None for u in use]

    def _texcoord_pass(self, people: list, outfits: list, keypoints: np.ndarray, K: np.ndarray,
                       ext: np.ndarray) -> tuple[tuple | None, dict]:
        """The texcoord pass of dressed people (None if nothing is drawn per pixel) and its records:
        {(instance, part id): garment record} of the patterned garments, plus the eyes of large heads."""
        fabrics = cloth_records(people)  # (with the pieces' seam layouts: genb.render.dress.seams)
        for i, p in enumerate(people):  # a ponytail's axis in the camera's frame: its strands run along it
            for e in p.extras:
                if is_tail(e) and (i + 1, e.part) in fabrics:
                    fabrics[(i + 1, e.part)] = {**fabrics[(i + 1, e.part)], "tail": tail_axis(e.vertices, ext[:3, :3])}
        pieces = [list(p.extras) for p in people]
        eyes = {}
        for i in self._eyes_per_pixel(keypoints, K, ext):
            pieces[i].append(EyePiece(people[i].vertices, self.eye_map))
            eyes[i] = fabrics[(i + 1, PART_INDEX["head"])] = {
                "pattern": "eyes", "iris": outfits[i]["eyes"]["iris"], "skin": face.eye_skin(people[i].colors, self.eyes)}
        for i in self._heads_at_least(keypoints, K, ext, SKIN_PER_PIXEL_PX) if self.skin_layout is not None else []:
            pieces[i] += self._skin_pieces(people[i])
            record = {"pattern": "skin", "layout": self.skin_layout, "variation": outfits[i]["skin"]}
            for part in range(1, len(BODY_PARTS)):
                fabrics[(i + 1, part)] = record
            if i in eyes:
                fabrics[(i + 1, PART_INDEX["head"])] = {**record, "eyes": eyes[i]}
        return (build_texcoord_pass(self.raster._pr, K, ext, pieces) if fabrics else None), fabrics

    def _skin_pieces(self, person: MeshLayer) -> list:
        """The texcoord pass's piece of one person's skin (:mod:`genb.render.dress.skin_texture`): the body's
        faces no garment hides, with their skin coordinates (a hidden face, drawn pushed back where a
        garment leaves a gap, keeps its vertex colours there)."""
        lay = self.skin_layout
        shown = self.raster._shown_faces(person)
        faces = lay.faces if shown is None else lay.faces[shown[lay.face_ids]]
        return [EyePiece(person.vertices, ClothMap(lay.index, faces, lay.uv, encoded=lay.encoded))]

    def _eyes_per_pixel(self, keypoints: np.ndarray, K: np.ndarray, ext: np.ndarray) -> list[int]:
        """The people whose eyes are drawn per pixel: a head at least ``EYES_PER_PIXEL_PX`` pixels from
        ear to ear (smaller eyes are a pixel or two: the vertex colours serve)."""
        if self.eye_map is None:
            return []
        return self._heads_at_least(keypoints, K, ext, EYES_PER_PIXEL_PX)

    @staticmethod
    def _heads_at_least(keypoints: np.ndarray, K: np.ndarray, ext: np.ndarray, px: float) -> list[int]:
        """The people whose head is at least ``px`` pixels from ear to ear."""
        if not len(keypoints):
            return []
        ears = np.stack([keypoints[:, BODY25_INDEX["left_ear"]], keypoints[:, BODY25_INDEX["right_ear"]]], 1)
        q = project(to_camera(ears.reshape(-1, 3).astype(np.float64), ext), K).reshape(-1, 2, 2)
        return [int(i) for i in np.flatnonzero(np.linalg.norm(q[:, 0] - q[:, 1], axis=1) >= px)]
