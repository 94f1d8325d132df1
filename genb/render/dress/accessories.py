"""The built-in accessory kinds (registered in :data:`~genb.render.dress.kinds.ACCESSORY_KINDS`): a cap
(a shell over the hair and a brim), a backpack (a pack on the back and two shoulder straps lying on
the outermost cloth: :mod:`genb.render.dress.straps`) and a shoulder bag (a sash, a bag at the hip and a
short drop strap joining them)."""

from __future__ import annotations

import numpy as np

from genb.core.conventions import PART_INDEX
from genb.render.dress.kinds import Wearer, accessory_kind
from genb.render.dress.materials import hex_rgb
from genb.render.dress.mesh import GarmentMesh, box, close_gaps, cloth_over_skin, mesh_normals
from genb.render.dress.pieces import bag, brim, pillow
from genb.render.dress.shells import pose_shell
from genb.render.dress.straps import strap_grids


CLOTH = [PART_INDEX[p] for p in ("upper_clothes", "coat", "lower_clothes", "dress")]  # what a bag rests on


@accessory_kind("cap", "headwear", "a cap", covers_hair=True)
def cap(w: Wearer, acc: dict) -> None:
    color = hex_rgb(acc["color"])
    shell = w.dresser.hair_shell("short", cap=True)
    th = w.hair_t + 0.008
    crown = w.add_shell(shell, th, np.broadcast_to(color, shell.rest.shape).copy(), "headwear", "cap")
    w.out.append(brim(w.keypoints, color, th, crown.vertices))  # at the cap's front edge


def _sash_and_bag(w: Wearer, acc: dict) -> None:
    """A sash shell lying on the outermost cloth under it (the same body points, over the
    garments), the bag it carries and the short drop strap that joins them."""
    color = hex_rgb(acc["color"])
    shell = w.dresser.region_shell("sash")
    P, N = cloth_over_skin(w.vertices, w.normals, w.layers)
    trunk = w.dresser.atlas.parts == PART_INDEX["torso"]  # over an open jacket's front, not down between its edges
    P = close_gaps(w.vertices, w.normals, P, w.dresser.atlas.faces, trunk)
    strap = w.add_shell(shell, 0.007, np.broadcast_to(color * 0.8, shell.rest.shape).copy(), "bag", acc["type"],
                        hides=False)
    strap.vertices, strap.normals = pose_shell(shell, P, N, 0.007)
    cloth = [m.vertices for m in w.out if m.part in CLOTH]
    pack = bag(acc["type"], w.vertices, w.keypoints, color, w.outer,
               surface=np.concatenate([w.vertices, *cloth]) if cloth else w.vertices)
    w.out.append(pack)
    drop = drop_strap(strap.vertices, pack.vertices[20:24], color * 0.8)  # from the sash to the bag's top edge
    if drop is not None:
        w.out.append(drop)


def drop_strap(strap: np.ndarray, top: np.ndarray, color: np.ndarray, width: float = 0.018) -> GarmentMesh | None:
    """A flat strap (a thin box, part ``bag``, named ``drop_bag_strap``) from the sash vertex nearest the
    bag's top face to the nearest point of that face; None where they already meet (under 5 mm).

    Args:
        strap: (N, 3) the posed sash's vertices. top: (4, 3) the bag's top face corners in order round
            it (:func:`~genb.render.dress.mesh.box` face 5, a rectangle). color: (3,) RGB. width: metres.
    """
    t = top.astype(np.float64)
    centre = t.mean(0)
    e = np.stack([t[1] - t[0], t[3] - t[0]])  # (2, 3) the rectangle's sides
    half = np.linalg.norm(e, axis=1) / 2
    e = e / np.maximum(2 * half[:, None], 1e-9)
    s = strap.astype(np.float64)
    local = np.clip((s - centre) @ e.T, -half, half)  # (N, 2): each vertex's nearest point on the face
    nearest = centre + local @ e
    d = np.linalg.norm(s - nearest, axis=1)
    i = int(np.argmin(d))
    a, b, length = s[i], nearest[i], float(d[i])
    if length < 0.005:
        return None
    z = (b - a) / length
    x = np.cross(z, [0.0, 0.0, 1.0]) if abs(z[2]) < 0.95 else np.cross(z, [1.0, 0.0, 0.0])
    x /= np.linalg.norm(x)
    vv, f = box((a + b) / 2, np.stack([x, np.cross(z, x), z], 1), np.array([width / 2, 0.003, length / 2 + 0.008]))
    return GarmentMesh(vv, mesh_normals(vv, f), f, np.broadcast_to(color, vv.shape).copy(), PART_INDEX["bag"], None,
                       "drop_bag_strap")


@accessory_kind("backpack", "bag", "a backpack")
def backpack(w: Wearer, acc: dict) -> None:
    """The pack on the back, and a strap over each shoulder on the outermost cloth of the trunk."""
    color = hex_rgb(acc["color"])
    cloth = [m.vertices for m in w.out if m.part in CLOTH]
    w.out.append(bag("backpack", w.vertices, w.keypoints, color, w.outer,
                     surface=np.concatenate([w.vertices, *cloth]) if cloth else w.vertices))
    trunk = np.concatenate([w.vertices[w.dresser.atlas.parts == PART_INDEX["torso"]], *cloth])
    for inner, outer in strap_grids(trunk, w.keypoints):
        v, f = pillow(inner, outer)
        w.out.append(GarmentMesh(v, mesh_normals(v, f), f, np.broadcast_to(color * 0.8, v.shape).copy(),
                                 PART_INDEX["bag"], None, "strap_backpack"))


@accessory_kind("bag_strap", "bag", "a shoulder bag")
def bag_strap(w: Wearer, acc: dict) -> None:
    _sash_and_bag(w, acc)
