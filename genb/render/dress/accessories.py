"""The built-in accessory kinds (registered in :data:`~genb.render.dress.kinds.ACCESSORY_KINDS`): a cap
(a shell over the hair and a brim), a backpack (straps on the outermost cloth and a pack on the
back) and a shoulder bag (a sash and a bag at the hip)."""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.kinds import Wearer, accessory_kind
from genb.render.dress.materials import hex_rgb
from genb.render.dress.mesh import cloth_over_skin
from genb.render.dress.pieces import bag, brim
from genb.render.dress.shells import pose_shell


CLOTH = [PART_INDEX[p] for p in ("upper_clothes", "coat", "lower_clothes", "dress")]  # what a bag rests on


@accessory_kind("cap", "headwear", "a cap", covers_hair=True)
def cap(w: Wearer, acc: dict) -> None:
    color = hex_rgb(acc["color"])
    shell = w.dresser.hair_shell("short", cap=True)
    th = w.hair_t + 0.008
    crown = w.add_shell(shell, th, np.broadcast_to(color, shell.rest.shape).copy(), "headwear", "cap")
    w.out.append(brim(w.keypoints, color, th, crown.vertices))  # at the cap's front edge


def _strap_and_bag(w: Wearer, acc: dict, region: str) -> None:
    """A strap shell lying on the outermost cloth under it (the same body points, over the
    garments), and the bag it carries."""
    color = hex_rgb(acc["color"])
    shell = w.dresser.region_shell(region)
    P, N = cloth_over_skin(w.vertices, w.normals, w.layers)
    strap = w.add_shell(shell, 0.007, np.broadcast_to(color * 0.8, shell.rest.shape).copy(), "bag", acc["type"],
                        hides=False)
    strap.vertices, strap.normals = pose_shell(shell, P, N, 0.007)
    cloth = [m.vertices for m in w.out if m.part in CLOTH]
    w.out.append(bag(acc["type"], w.vertices, w.keypoints, color, w.outer,
                     surface=np.concatenate([w.vertices, *cloth]) if cloth else w.vertices))


@accessory_kind("backpack", "bag", "a backpack")
def backpack(w: Wearer, acc: dict) -> None:
    _strap_and_bag(w, acc, "straps")


@accessory_kind("bag_strap", "bag", "a shoulder bag")
def bag_strap(w: Wearer, acc: dict) -> None:
    _strap_and_bag(w, acc, "sash")
