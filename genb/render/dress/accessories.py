"""The built-in accessory kinds (registered in :data:`~genb.render.dress.kinds.ACCESSORY_KINDS`): a cap
(a shell over the hair and a brim), a backpack (a pack on the back and two shoulder straps lying on
the outermost cloth: :mod:`genb.render.dress.straps`) and a shoulder bag (a sash, a bag at the hip and a
short drop strap joining them)."""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.bag_hang import hang, sized
from genb.render.dress.hairline import CAP_OVER
from genb.render.dress.kinds import Wearer, accessory_kind
from genb.render.dress.materials import hex_rgb
from genb.render.dress.mesh import GarmentMesh, box, close_gaps, cloth_over_skin, mesh_normals
from genb.render.dress.daypack import daypack
from genb.render.dress.pieces import brim, pillow
from genb.render.dress.sash import ends, shell_plan, taut
from genb.render.dress.shells import pose_shell
from genb.render.dress.straps import lower_grids, strap_grids
from genb.render.dress.vec import norm


CLOTH = [PART_INDEX[p] for p in ("upper_clothes", "coat", "lower_clothes", "dress")]  # what a bag rests on
UPPER = [PART_INDEX[p] for p in ("upper_clothes", "coat", "dress")]  # what bounds how far a backpack stands out
TRUNK = [PART_INDEX[p] for p in ("torso", "left_upper_arm", "right_upper_arm")]  # what a backpack's straps lie on
LOWER = PART_INDEX["lower_clothes"]
SASH_THICKNESS = 0.007  # metres
SASH_GAP = 0.002  # metres between a sash's inner face and the cloth it lies on
LATERAL = 0.015  # metres: cloth vertices nearer than this to the line along a sash point's normal hold it up


@accessory_kind("cap", "headwear", "a cap", covers_hair=True)
def cap(w: Wearer, acc: dict) -> None:
    color = hex_rgb(acc["color"])
    shell = w.dresser.hair_shell("short", cap=True)
    th = w.hair_t + CAP_OVER
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
    strap = w.add_shell(shell, SASH_THICKNESS, np.broadcast_to(color * 0.8, shell.rest.shape).copy(), "bag", acc["type"],
                        hides=False)
    strap.vertices, strap.normals = pose_shell(shell, P, N, SASH_THICKNESS)
    plan = shell_plan(shell, w.dresser.atlas, w.dresser.trunk_length)
    if plan is not None:  # a strap under the bag's weight, on the cloth as the layers give it (dress.sash)
        strap.vertices, strap.normals = taut(strap.vertices, strap.normals, plan)
    base = strap.vertices - (SASH_THICKNESS * shell.lift)[:, None].astype(np.float32) * strap.normals  # its inner face
    worn = [m for m in w.out if m.part in CLOTH]
    strap.vertices = strap.vertices + over_cloth(base, strap.normals, strap.faces, worn)
    pack, end = hanging_bag(w, strap.vertices, plan, worn, color)
    w.out.append(pack)
    drop = drop_strap(end[None], pack.vertices[20:24], color * 0.8)  # from the sash's end to the bag's top
    if drop is not None:
        w.out.append(drop)


def hanging_bag(w: Wearer, sash: np.ndarray, plan, worn: list, color: np.ndarray) -> tuple[GarmentMesh, np.ndarray]:
    """The bag (a box, part ``bag``, named ``bag_strap``, sized to the wearer: :func:`~genb.render.dress.bag_hang.sized`)
    hanging under gravity from one of the ``sash``'s (G, 3) hip ends (:func:`~genb.render.dress.bag_hang.hang`, out of the body and the ``worn`` cloth meshes),
    and (3,) that end."""
    kp = np.asarray(w.keypoints, np.float64)
    if plan is not None:
        tips = ends(sash, plan)
    else:  # no plan to find its ends by: the sash vertex nearest the right hip
        tips = sash[[int(np.argmin(norm(sash - kp[K25["right_hip"]])))]].astype(np.float64)
    side = kp[K25["right_hip"]] - kp[K25["left_hip"]]
    side[2] = 0.0
    side = side / np.linalg.norm(side) if np.linalg.norm(side) > 1e-6 else np.array([1.0, 0.0, 0.0])
    surface = np.concatenate([w.vertices, *[m.vertices for m in worn]])
    normals = np.concatenate([w.normals, *[m.normals for m in worn]])
    bag = sized(kp)
    centre, axes, e = hang(surface, normals, tips, side, float(w.vertices[:, 2].min()), w.seat, bag)
    v, f = box(centre, axes, bag.half)
    return GarmentMesh(v, mesh_normals(v, f), f, np.broadcast_to(color, v.shape).copy(), PART_INDEX["bag"], None,
                       "bag_strap"), tips[e]


def over_cloth(base: np.ndarray, normals: np.ndarray, faces: np.ndarray, cloth: list,
               gap: float = SASH_GAP, reach: float = 0.04) -> np.ndarray:
    """(N, 3) float32 moves that lift a strap's points ``base`` (N, 3) along their ``normals`` (N, 3)
    to ``gap`` metres over the cloth meshes ``cloth`` (``GarmentMesh``) where they lie under them or
    on them. Of each mesh, the tangent planes of the 6 vertices nearest a point within ``reach`` that
    face its way (normals within 60 degrees) and lie within ``LATERAL`` of the line along its normal
    hold it up; the outermost wins. The lift is then spread over the strap's ``faces`` (N-vertex
    triangles) so that it ramps up instead of stepping.

    The layers a sash is posed on are the garments' shells before they hang, fall, open or fill
    their seats; the cloth that moved out of them covered it (bent poses: up to 30-70 of its 1397
    vertices within 1-2 cm under a jacket's or trousers' surface)."""
    from scipy.spatial import cKDTree

    b, nb = np.asarray(base, np.float64), np.asarray(normals, np.float64)
    lo, hi = b.min(0) - reach, b.max(0) + reach
    lift = np.zeros(len(b))
    for m in cloth:
        near = np.flatnonzero(np.all((m.vertices > lo) & (m.vertices < hi), axis=1))
        if len(near) < 6:
            continue
        c, cn = np.asarray(m.vertices[near], np.float64), np.asarray(m.normals[near], np.float64)
        d, j = cKDTree(c).query(b, k=6, distance_upper_bound=reach)  # (N, 6), inf past reach
        j = np.where(np.isfinite(d), j, 0)
        rel = b[:, None, :] - c[j]
        height = np.einsum("nkc,nkc->nk", rel, cn[j])
        lateral = norm(rel - height[..., None] * cn[j])
        facing = np.einsum("nc,nkc->nk", nb, cn[j])
        over = np.isfinite(d) & (facing > 0.5) & (lateral < LATERAL)  # cloth right over or under the point
        lift = np.maximum(lift, np.where(over, (gap - height) / np.maximum(facing, 0.5), 0.0).max(1))
    lift = ramp(np.clip(lift, 0.0, reach), faces)
    return (lift[:, None] * nb).astype(np.float32)


def ramp(values: np.ndarray, faces: np.ndarray, rounds: int = 4) -> np.ndarray:
    """(N,) ``values`` over a mesh's vertices spread to their neighbours over ``faces`` (F, 3), never
    lowered: each round a vertex takes the larger of its value and half of it plus half its
    neighbours' largest (a lift falls off over ``rounds`` rings)."""
    f = np.asarray(faces, np.int64)
    a = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0]])
    c = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2]])
    v = np.asarray(values, np.float64).copy()
    for _ in range(rounds):
        top = np.zeros_like(v)
        np.maximum.at(top, a, v[c])
        v = np.maximum(v, 0.5 * (v + top))
    return v


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
    half = norm(e) / 2
    e = e / np.maximum(2 * half[:, None], 1e-9)
    s = strap.astype(np.float64)
    local = np.clip((s - centre) @ e.T, -half, half)  # (N, 2): each vertex's nearest point on the face
    nearest = centre + local @ e
    d = norm(s - nearest)
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
    """The pack on the back (:func:`~genb.render.dress.daypack.daypack`), a strap over each shoulder on the
    outermost cloth of the trunk and, from each strap's front end, a webbing round the side of the trunk to
    the pack's lower corner (:mod:`genb.render.dress.straps`); all sized to a child by ``w.fit``
    (:func:`~genb.render.dress.fit.size_scale`)."""
    color = hex_rgb(acc["color"])
    cloth = [m.vertices for m in w.out if m.part in CLOTH]
    torso = w.vertices[w.dresser.atlas.parts == PART_INDEX["torso"]]
    own = np.concatenate([torso, *[m.vertices for m in w.out if m.part in UPPER]])  # no trouser legs, shoes or limbs
    pack, corners = daypack(np.concatenate([w.vertices, *cloth]) if cloth else w.vertices, w.keypoints, color, own, w.fit)
    w.out.extend(pack)
    worn = [(m.vertices, m.faces, m.part == LOWER or m.name.endswith(":skirt")) for m in w.out if m.part in CLOTH]
    over = cloth_over_skin(w.vertices, w.normals, w.layers)[0]  # legs: trousers, skirts, a coat's tail
    upper = strap_grids(torso, w.keypoints, over[np.isin(w.dresser.atlas.parts, TRUNK)], worn, w.fit)
    kept = [k for k, (i, _) in enumerate(upper) if i.shape[1]]  # a strap cut to nothing by a lap has no front end
    starts = np.array([0.5 * (upper[k][0][:, -1].mean(0) + upper[k][1][:, -1].mean(0)) for k in kept]).reshape(-1, 3)
    ways = np.array([upper[k][0][:, -1].mean(0) - upper[k][0][:, max(upper[k][0].shape[1] - 3, 0)].mean(0)
                     for k in kept])  # each strap's way down at its end
    lower = lower_grids(over[w.dresser.atlas.parts == PART_INDEX["torso"]], w.keypoints, starts, corners[kept], w.fit,
                        ways.reshape(-1, 3))
    for (inner, outer), name in zip(upper + lower, ["strap_backpack"] * len(upper) + ["webbing_backpack"] * len(lower)):
        v, f = pillow(inner, outer)
        w.out.append(GarmentMesh(v, mesh_normals(v, f), f, np.broadcast_to(color * 0.8, v.shape).copy(),
                                 PART_INDEX["bag"], None, name))


@accessory_kind("bag_strap", "bag", "a shoulder bag")
def bag_strap(w: Wearer, acc: dict) -> None:
    _sash_and_bag(w, acc)
