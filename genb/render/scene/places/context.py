"""Placing objects: :class:`PlaceContext` keeps every added object clear of people, the camera, the
framed person's sightline and each other; rows and scatters of a kind across the view."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from genb.render.scene import props as P
from genb.render.scene.places.kinds import recipe

@dataclasses.dataclass
class PlaceContext:
    """What a place builder sees and the objects it adds (all world frame, metres).

    Attributes:
        camera_xy (2,), forward (2,) unit viewing direction on the ground; people_xy (P, 2), radii (P,);
        protect: the framed person's index (no object in their sightline), or None;
        quads: footprints already taken; objects: the recipes added so far; room: indoor walls' box.
    """

    rng: np.random.Generator
    camera_xy: np.ndarray
    forward: np.ndarray
    people_xy: np.ndarray
    radii: np.ndarray
    protect: int | None
    quads: list
    objects: list = dataclasses.field(default_factory=list)
    room: tuple | None = None
    _circles: list = dataclasses.field(default_factory=list)

    @property
    def right(self) -> np.ndarray:
        return np.array([self.forward[1], -self.forward[0]])

    def depth_of_people(self) -> float:
        """How far ahead (along the view) the farthest person stands; 3 m with nobody."""
        if not len(self.people_xy):
            return 3.0
        return float(np.max((self.people_xy - self.camera_xy) @ self.forward + self.radii))

    def at(self, ahead: float, side: float) -> np.ndarray:
        """The ground point ``ahead`` metres along the view and ``side`` metres to its right."""
        return self.camera_xy + ahead * self.forward + side * self.right

    def yaw_facing_camera(self, extra: float = 0.0) -> float:
        """Yaw that turns an object's front (-y) towards the camera (its back away): a yaw of ``a`` turns
        local -y onto ``(sin a, -cos a)``, which must be ``-forward``."""
        return math.degrees(math.atan2(self.forward[1], self.forward[0])) - 90.0 + extra

    def add(self, rec: dict[str, Any], clear: float = 0.15, flat: bool = False) -> bool:
        """Add a recipe if its footprint keeps ``clear`` metres from everyone, the camera, the framed
        person's sightline and (unless ``flat``: strips, rugs, markings) the other objects."""
        L, D, _ = rec["size"]
        xy = np.asarray(rec["position"], float)
        if not flat:
            if len(self.people_xy) and np.any(P.rect_circle_gap(xy, (L, D), rec["yaw_deg"], self.people_xy, self.radii) < clear):
                return False
            if P.rect_circle_gap(xy, (L, D), rec["yaw_deg"], self.camera_xy[None], np.array([0.6]))[0] < 0:
                return False
            quad = P._corners(xy, (L, D), rec["yaw_deg"])
            if self.quads:  # only footprints whose circumcircles reach this one's need the exact test
                for q in self.quads[len(self._circles):]:  # quads are only ever appended: circle the new ones
                    self._circles.append((q.mean(axis=0), float(np.linalg.norm(q[0] - q[2])) / 2))
                c = np.array([ci[0] for ci in self._circles])
                r = np.array([ci[1] for ci in self._circles])
                near = np.flatnonzero(np.linalg.norm(c - xy, axis=1) < r + math.hypot(L, D) / 2 + 0.05)
                if any(P.rects_overlap(quad, self.quads[i], 0.05) for i in near):
                    return False
            if self.protect is not None and len(self.people_xy) and P.rects_overlap(
                    quad, P._corridor(self.camera_xy, self.people_xy[self.protect], self.radii[self.protect])):
                return False
            self.quads.append(quad)
        self.objects.append(rec)
        return True


def _row(ctx: PlaceContext, kind: str, ahead: float, spacing: tuple[float, float], span: float,
         yaw_extra: float = 0.0, jitter: float = 0.0, **extra) -> None:
    """A row of objects across the view at ``ahead`` metres, from -span to span sideways."""
    side = -span + ctx.rng.uniform(0, spacing[0])
    while side < span:
        rec = recipe(ctx.rng, kind, ctx.at(ahead + ctx.rng.normal(0, jitter), side), ctx.yaw_facing_camera(yaw_extra), **extra)
        ctx.add(rec)
        side += float(ctx.rng.uniform(*spacing))


def _scatter(ctx: PlaceContext, kind: str, n: int, ahead: tuple[float, float], side: float, tries: int = 12, **extra) -> None:
    lo, hi = ahead
    hi = max(hi, lo)  # people closer than a place's own minimum (a close-up): scatter at that minimum
    for _ in range(n):
        for _ in range(tries):
            a = float(ctx.rng.uniform(lo, hi))
            rec = recipe(ctx.rng, kind, ctx.at(a, float(ctx.rng.uniform(-side, side)) * a / 10.0),
                         float(ctx.rng.uniform(0, 360)), **extra)
            if ctx.add(rec):
                break

