"""Drawing a camera and a placement that frame someone (docs/render.md, "Placement and framing").

:class:`Framer` re-draws the camera and the people's placement until one person, the nearest that
qualifies, has ``min_framed_keypoints`` keypoints in frame and hidden neither by their own body
(the visibility rule's ray cast), by the outline of a nearer person, nor by what comes with them (the
seat under them, the object in their hands), with the torso inside the frame horizontally. A draw
whose camera height suits nobody (a child or a crouching person under a camera at an adult's head
height) aims the camera at one of them instead (:func:`genb.render.scene.framing.aim_person`: the height
moves within its range). When no draw frames anyone, the fallback puts one person straight ahead,
turned towards the camera, with the camera aimed at them (pitch and height inside their ranges),
and checks that too; only when even that fails does it keep the last try unchecked (the renderer
then checks the rendered labels and re-draws the sample, ``RenderStage``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genb.render.scene import framing, heads
from genb.render.labels import truth as L
from genb.render.labels.camera import to_camera
from genb.render.scene.sample import fallback_position, place_people, sample_camera
from genb.render.bodies.rotations import rot_z


@dataclasses.dataclass
class Framed:
    """A framing: the camera (a ``CameraRecipe``), positions ``xy`` (P, 2) m, ``yaw`` (P,) degrees, ``placed``
    (P,) bool, the framed person's index (None: unchecked) and the record for ``scene.json``."""

    camera: object
    xy: np.ndarray
    yaw: np.ndarray
    placed: np.ndarray
    framed: int | None
    record: dict
    seen: np.ndarray | None = None  # (25,) bool: the framed person's keypoints the checks found in view


class Framer:
    """Framing draws for one body model (built once per process; no state between samples).

    Args:
        cfg: the render config; faces (F, 3), face_parts, keypoint_own_parts: the body's visibility tables
            (``genb.render.labels``).
    """

    def __init__(self, cfg, faces: np.ndarray, face_parts: np.ndarray, keypoint_own_parts: np.ndarray):
        self.cfg, self.faces, self.face_parts, self.own = cfg, np.asarray(faces), face_parts, keypoint_own_parts

    def frame(self, rng: np.random.Generator, camera, rested: np.ndarray, rested_kp: np.ndarray, radii: np.ndarray,
              heights: np.ndarray, attached: list[list[tuple[np.ndarray, np.ndarray]]] | None = None,
              force_fallback: bool = False, crowns: np.ndarray | None = None,
              outlines: np.ndarray | None = None, truncated: np.ndarray | None = None) -> Framed:
        """Camera and placement such that one person is framed.

        Args:
            rested: (P, V, 3) the bodies resting on their support at the origin (zero yaw); rested_kp: (P, 25, 3).
            radii, heights: (P,) footprint radii and standing heights, metres.
            attached: per person, meshes (vertices (V, 3) in the same frame as ``rested``, faces) that come
                with them (seat, held object) and may hide them.
            force_fallback: skip the ordinary draws (a re-draw of a sample whose render framed nobody).
            crowns: (P, M, 3) the heads' crowns in the rested frame (``--head-row-exact``: the head row is
                tested on them exactly, :mod:`genb.render.scene.heads`; None: estimated).
            outlines: (P, M, 3) their outlines in the rested frame (``--whole-in-frame``: people not truncated
                are kept whole in the image, :mod:`genb.render.scene.outline`; None: not tested).
            truncated: (P,) bool who is truncated on purpose, the same in every draw (None: drawn per draw by
                :func:`place_people`); a camera aimed at someone is aimed at a person meant whole.
        """
        cfg = self.cfg
        attached = attached or [[] for _ in radii]
        sub = rested[:, ::23]
        tries = 0 if force_fallback else max(0, cfg.frame_tries)
        for attempt in range(tries):
            if attempt:
                camera = sample_camera(rng, cfg)
            if framing.sky_fraction(camera.K, camera.cam_ext, camera.width, camera.height) > cfg.max_sky_fraction:
                continue
            xy, yaw, placed = place_people(rng, cfg, camera, radii, heights, crowns=crowns, outlines=outlines,
                                           truncated=truncated)
            chosen = self._framed_person(camera, rested, rested_kp, sub, xy, yaw, placed, attached) if placed.any() else None
            if chosen is None:  # nobody fits this camera (or nobody was framed): aim it at one of them
                whole = np.arange(len(radii)) if truncated is None or truncated.all() else np.flatnonzero(~truncated)
                subject = int(whole[rng.integers(len(whole))])
                aimed = framing.aim_person(rng, cfg, camera, float(heights[subject]), float(radii[subject]),
                                           crown=None if crowns is None else crowns[subject],
                                           whole=None if outlines is None else outlines[subject])
                if aimed is None:
                    continue
                camera.position[2] = aimed[0]
                xy, yaw, placed = place_people(rng, cfg, camera, radii, heights, fixed={subject: aimed[1]}, crowns=crowns,
                                               outlines=outlines, truncated=truncated)
                chosen = self._framed_person(camera, rested, rested_kp, sub, xy, yaw, placed, attached)
            if chosen is not None:
                return Framed(camera, xy, yaw, placed, chosen[0], {"draws": attempt + 1, "fallback": False}, chosen[1])
        return self._fallback(rng, camera, rested, rested_kp, sub, radii, heights, attached, tries, crowns, outlines)

    def _fallback(self, rng, camera, rested, rested_kp, sub, radii, heights, attached, tries, crowns=None,
                  outlines=None) -> Framed:
        """One person straight ahead, turned towards the camera (within 40 degrees), the camera aimed at them
        (height and pitch inside their ranges, the pitch drawn again at most at the horizon when the sky
        would fill too much); each person in turn, a few draws each; checked like any draw. With ``crowns`` the
        spot straight ahead (:func:`fallback_position`) is also tried when the aimed one frames too little, and
        is not kept when it would cut the head; with ``outlines`` every spot keeps the person whole too (straight
        ahead, at 1, 0.8 and 0.65 of the fallback's size: the first that does)."""
        cfg = self.cfg
        P = len(radii)
        record = {"draws": max(tries, 1), "fallback": True}
        lo, hi = cfg.camera_pitch_deg
        for subject in range(P):
            for _ in range(6):
                camera = sample_camera(rng, cfg)
                if framing.sky_fraction(camera.K, camera.cam_ext, camera.width, camera.height) > cfg.max_sky_fraction:
                    camera.pitch_deg = float(rng.uniform(lo, min(hi, 0.0)))
                xy, placed = np.zeros((P, 2)), np.zeros(P, bool)
                yaw = camera.yaw_deg + rng.uniform(-40.0, 40.0, size=P)  # yaw 0 faces -y: towards a camera looking along +y
                aimed = framing.aim_person(rng, cfg, camera, float(heights[subject]), float(radii[subject]),
                                           crown=None if crowns is None else crowns[subject], yaw_deg=float(yaw[subject]),
                                           whole=None if outlines is None else outlines[subject])
                spots = [] if aimed is None else [aimed]  # (camera height, ground position); a float: straight ahead
                if aimed is None or crowns is not None:  # with crowns the aimed spot (the preset's size, the head
                    spots += [1.0]  # row) may frame too little of a person sitting on the floor: then straight ahead,
                    spots += [0.8, 0.65] if outlines is not None else []  # smaller where they would not fit whole
                for spot in spots:
                    xy[:], placed[:] = 0.0, False
                    ahead = isinstance(spot, float)
                    if ahead:
                        xy[subject] = fallback_position(camera, cfg, float(heights[subject]), float(radii[subject]), spot)
                    else:
                        camera.position[2], xy[subject] = spot
                    placed[subject] = True
                    if ahead and crowns is not None and not self._head_inside(camera, crowns[subject], yaw[subject], xy[subject]):
                        continue  # the spot straight ahead would cut the head (a person bent forward towards the camera)
                    if ahead and outlines is not None and not framing.whole_at(
                            cfg, outlines[subject], xy[subject], camera.K, camera.cam_ext, camera.width, camera.height,
                            float(yaw[subject])):
                        continue  # ... or cut their hands, feet, hair (kept for a smaller spot)
                    chosen = self._framed_person(camera, rested, rested_kp, sub, xy, yaw, placed, attached)
                    if chosen is not None:
                        return Framed(camera, xy, yaw, placed, chosen[0], record, chosen[1])
        return Framed(camera, xy, yaw, placed, None, record)  # unchecked: the renderer checks the render

    def _head_inside(self, camera, crown: np.ndarray, yaw: float, at: np.ndarray) -> bool:
        """Whether the head's top (``crown`` (M, 3) unturned, the person at ``at`` (2,) turned by ``yaw``) is at or
        below ``head_row``'s top, exactly (:mod:`genb.render.scene.heads`)."""
        top = heads.top_rows(heads.turned(crown, float(yaw)), at[:1], at[1:], camera.K, camera.cam_ext, camera.height)[0]
        return bool(self.cfg.head_row[0] <= top)

    def _framed_person(self, camera, rested, rested_kp, sub, xy, yaw, placed, attached) -> tuple[int, np.ndarray] | None:
        """The nearest placed person with enough keypoints in frame and hidden neither by their own body,
        nearer people's outlines nor what they carry or sit on (and, with ``min_largest_box``, a large
        enough largest person), with those keypoints (25,) bool; or None."""
        cfg = self.cfg
        K, ext, W, H = camera.K, camera.cam_ext, camera.width, camera.height
        idx = np.flatnonzero(placed)
        Rz = rot_z(yaw[idx])
        shift = np.column_stack([xy[idx], np.zeros(len(idx))])
        move = lambda x: x @ Rz.transpose(0, 2, 1) + shift[:, None]  # noqa: E731
        kp_w = move(rested_kp[idx])
        sub_w = move(sub[idx])
        n_in, torso_in, box = framing.framed_people(kp_w, sub_w, K, ext, W, H)
        if cfg.min_largest_box > 0 and box.max() < cfg.min_largest_box:
            return None
        need = min(cfg.min_framed_keypoints, 25)
        if need <= 0:
            return int(idx[0]), np.ones(25, bool)
        depth = (kp_w.mean(axis=1) @ ext[:3, :3].T + ext[:3, 3])[:, 2]
        order = np.argsort(depth)
        for rank, k in enumerate(order):
            if n_in[k] < need or not torso_in[k]:
                continue
            behind = framing.inside_outlines(kp_w[k], sub_w[order[:rank]], K, ext, W) if rank else np.zeros(25, bool)
            if (~behind).sum() < need:
                continue  # people in front of them would hide too much
            v_cam = to_camera((rested[idx[k]] @ Rz[k].T + shift[k])[None], ext)
            occ = L.body_occlusion(to_camera(kp_w[k : k + 1], ext), K, v_cam, self.faces, self.face_parts, self.own,
                                   W, H, cfg.visibility_tolerance)
            seen = occ["in_frame"][0] & ~occ["self_occluded"][0] & ~behind
            if attached[idx[k]] and seen.sum() >= need + 1:
                meshes = [(v @ Rz[k].T + shift[k], f) for v, f in attached[idx[k]]]
                seen &= ~framing.hidden_by_meshes(kp_w[k], meshes, K, ext)
            if int(seen.sum()) >= min(need + 1, 25):  # one to spare for clothes
                return int(idx[k]), seen
        return None
