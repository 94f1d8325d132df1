"""Sun shadows and contact darkening, deferred on the camera's depth buffer.

One extra depth-only pass renders the shadow casters (people, props) through an
orthographic camera that looks along the sun's rays (:func:`fit_shadow_camera`). Each
camera pixel's world position (from the label pass's metric depth) is then tested
against that shadow map (:func:`sun_visibility`: percentage-closer filtering whose
radius grows with the distance to the blocker, so shadows are sharp at the feet and
soft farther away, as daylight shadows are). The colour pass shaded every surface as
``albedo * (ambient + lambert * key)``; a shadowed pixel loses the direct term
(:func:`shading_factor`), and ground near a foot (or a knee, hand or buttocks on it) loses part of its ambient term
(:func:`contact_occlusion`). All functions are pure and vectorised.
"""

from __future__ import annotations

import cv2
import numpy as np

from genb.render.raster.halfres import fill, half_plan, uneven
from genb.render.raster.normals import decode_normals, encoded_normal_table, normal_keys
from genb.render.raster.shading import SKIN_WRAP
from genb.render.raster.sun_camera import ShadowCamera, affine_columns

# Penumbra growth with the distance from the blocker: tan of the angle a soft daylight
# shadow's edge spreads by (the sun's disc is 0.27 degrees; sky light and haze widen it).
PENUMBRA_TAN = 0.025
# 8 ring taps plus the centre (unit disc), for percentage-closer filtering.
_RING = np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)] + [[0.0, 0.0]])
_RING_INNER = _RING[:8] * 0.5 @ np.array([[np.cos(0.39), np.sin(0.39)], [-np.sin(0.39), np.cos(0.39)]])
_SEARCH = np.concatenate([_RING[[0, 2, 4, 6]] * 0.7, _RING[8:]])  # blocker search: 4 + centre


def _lookup(depth_map: np.ndarray, u: np.ndarray, v: np.ndarray, origin: tuple = (0, 0)) -> np.ndarray:
    """Nearest texel of the map (padded by a ring of zeros = no caster, so no bounds checks); ``origin``: the
    (row, column) of a crop's first texel in the whole map (:func:`_caster_crop`; texels beyond it are 0)."""
    h, w = depth_map.shape[0] - 2, depth_map.shape[1] - 2
    iu = (u + 1.5).astype(np.int32)
    iu -= origin[1]
    np.clip(iu, 0, w + 1, out=iu)
    iv = (v + 1.5).astype(np.int32)
    iv -= origin[0]
    np.clip(iv, 0, h + 1, out=iv)
    iv *= w + 2  # flat indices: one take, quicker than a 2-D gather
    iv += iu
    return depth_map.ravel().take(iv)


def sun_visibility(points: np.ndarray, normals: np.ndarray, depth_map: np.ndarray, cam: ShadowCamera,
                   direction: np.ndarray, penumbra_tan: float = PENUMBRA_TAN) -> np.ndarray:
    """(N,) float32 fraction of the sun each point sees (1 lit, 0 in shadow).

    Args:
        points: (N, 3) world positions of the receiving surfaces, metres.
        normals: (N, 3) their unit world normals.
        depth_map: (h, w) distance along the rays of the nearest caster (metres, 0 = none),
            :meth:`ShadowCamera.linear_depth` of the shadow pass.
        direction: (3,) direction the sunlight travels.
        penumbra_tan: how fast the penumbra widens with the distance to the blocker (:data:`PENUMBRA_TAN`
            outdoors; a room's window gives crisper edges: the sun's disc alone, no sky around it).
    """
    return _visibility(points, normals, np.pad(depth_map, 1), cam, direction, penumbra_tan)


def _visibility(points: np.ndarray, normals: np.ndarray, depth_map: np.ndarray, cam: ShadowCamera,
                direction: np.ndarray, penumbra_tan: float, origin: tuple = (0, 0)) -> np.ndarray:
    """:func:`sun_visibility` with the map already padded by a ring of zeros (:func:`_lookup`; ``origin``:
    a crop's, :func:`_caster_crop`)."""
    texel = cam.texel_m
    d = -np.asarray(direction, np.float32)
    cos_l = np.clip(normals[:, 0] * d[0] + normals[:, 1] * d[1] + normals[:, 2] * d[2], 0.05, 1.0)
    p = points + normals * (1.5 * texel)  # normal offset: no self-shadow acne
    u, v, dist = cam.to_light(p)
    bias = 0.03 + 1.5 * texel * np.sqrt(1 - cos_l ** 2) / cos_l
    # 1. blocker search: the mean distance of the blockers around the point.
    search = 0.15 / texel + 2.0
    blocker_sum = np.zeros(len(points), np.float32)
    blocker_n = np.zeros(len(points), np.float32)
    for du, dv in _SEARCH * search:
        d = _lookup(depth_map, u + du, v + dv, origin)
        blocked = (d > 0) & (d < dist - bias)
        blocker_sum += np.where(blocked, d, 0.0)
        blocker_n += blocked
    lit = np.ones(len(points), np.float32)
    has = blocker_n > 0
    if not has.any():
        return lit
    # 2. percentage-closer filtering over a disc that grows with the blocker distance.
    idx = np.flatnonzero(has)
    u, v, dist, bias = u[idx], v[idx], dist[idx], bias[idx]
    gap = np.maximum(dist - blocker_sum[idx] / blocker_n[idx], 0.0)
    radius = (1.0 * texel + gap * penumbra_tan) / texel
    if len(idx) > UMBRA_MIN_POINTS:  # many points (a room's walls and ceiling): skip the taps of the umbra
        dark = _in_umbra(depth_map, u, v, dist - bias, radius, origin)
        lit[idx[dark]] = 0.0
        keep = ~dark
        idx, u, v, dist, bias, radius = idx[keep], u[keep], v[keep], dist[keep], bias[keep], radius[keep]
    count = np.zeros(len(idx), np.float32)
    taps = np.concatenate([_RING, _RING_INNER[::2]])  # 13 taps
    for du, dv in taps:
        d = _lookup(depth_map, u + du * radius, v + dv * radius, origin)
        count += (d <= 0) | (d >= dist - bias)
    lit[idx] = count / len(taps)
    return lit


UMBRA_MIN_POINTS = 20000  # points with a blocker: from this many on, :func:`_in_umbra` pays for itself
UMBRA_REACH = 8  # texels: the filter radius up to which :func:`_in_umbra` decides


def _in_umbra(depth_map: np.ndarray, u: np.ndarray, v: np.ndarray, limit: np.ndarray, radius: np.ndarray,
              origin: tuple = (0, 0)) -> np.ndarray:
    """(N,) bool points whose every filter tap is blocked, found without the taps (so their visibility is
    exactly 0, as the 13 taps would give): the nearest and farthest caster within :data:`UMBRA_REACH` + 1
    texels of the point (a min and a max filter of the padded map; every tap of a radius up to the reach
    falls in that window, the map's zero border included) both lie in front of ``limit``."""
    k = np.ones((2 * UMBRA_REACH + 3, 2 * UMBRA_REACH + 3), np.uint8)
    near = _lookup(cv2.erode(depth_map, k), u, v, origin)
    far = _lookup(cv2.dilate(depth_map, k), u, v, origin)
    return (radius <= UMBRA_REACH) & (near > 0) & (far < limit)


CONTACT_RADIUS = 0.16  # metres: the darkening around a foot's centre falls off as exp(-d^2 / r^2)


def contact_occlusion(points: np.ndarray, contacts: np.ndarray, radius: float = CONTACT_RADIUS,
                      strength: float = 0.6) -> np.ndarray:
    """(N,) float32 ambient occlusion of ground points near contact points (1 = open sky).

    Args:
        points: (N, 3) world positions on the ground, metres.
        contacts: (C, 3) points of the bodies that may touch the ground (feet, and a floor sitter's
            buttocks, knees, hands: :func:`genb.render.scene.contact.ground_contacts`); their
            height fades the darkening out (none above 0.25 m).
    """
    if len(contacts) == 0 or len(points) == 0:
        return np.ones(len(points), np.float32)
    occ = np.zeros(len(points), np.float32)
    weight = np.clip(1.0 - contacts[:, 2] / 0.25, 0.0, 1.0)
    for c, w in zip(contacts[weight > 0], weight[weight > 0]):  # a few points per person
        d2 = np.sum((points[:, :2] - c[:2]) ** 2, axis=1)
        near = d2 < (3 * radius) ** 2
        occ[near] = np.maximum(occ[near], w * np.exp(-d2[near] / radius ** 2))
    return (1.0 - strength * occ).astype(np.float32)


def shading_factor(lambert: np.ndarray, sun: np.ndarray, ambient_occlusion: np.ndarray, key: np.ndarray,
                   ambient: np.ndarray) -> np.ndarray:
    """(N, 3) float32 ratio of the shadowed to the unshadowed shading of each point.

    The colour pass shaded ``albedo * (ambient + lambert * key)``; in shadow the direct term is
    scaled by ``sun`` and the ambient term by ``ambient_occlusion``.

    Args:
        lambert: (N,) clamped cosine between normal and sun. sun, ambient_occlusion: (N,) in 0..1.
        key, ambient: (3,) linear light colours.
    """
    direct = lambert[:, None] * key[None, :]
    full = ambient[None, :] + direct
    return ((ambient[None, :] * ambient_occlusion[:, None] + direct * sun[:, None]) /
            np.maximum(full, 1e-4)).astype(np.float32)


def soften(mask: np.ndarray, sigma: float = 0.8) -> np.ndarray:
    """A light screen-space blur of a (H, W) visibility map (hides the taps' pattern)."""
    return cv2.GaussianBlur(mask, (0, 0), sigma)


def pixel_world_points(depth: np.ndarray, K: np.ndarray, cam_ext: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N, 3) world positions of the ``mask`` pixels of a metric depth buffer (camera z, metres)."""
    flat = np.flatnonzero(mask)  # row-major, as np.nonzero: 1-D gathers are quicker
    v, u = np.divmod(flat, mask.shape[1])
    z = depth.ravel().take(flat).astype(np.float32, copy=False)
    x = (u.astype(np.float32) - np.float32(K[0, 2])) * np.float32(1 / K[0, 0]) * z
    y = (v.astype(np.float32) - np.float32(K[1, 2])) * np.float32(1 / K[1, 1]) * z
    R = cam_ext[:3, :3]
    centre = -R.T @ cam_ext[:3, 3]
    return affine_columns(R.T, centre, x, y, z)  # R^T x + centre


def sun_and_contact(depth: np.ndarray, normals_encoded: np.ndarray, ground: np.ndarray, K: np.ndarray,
                    cam_ext: np.ndarray, shadow_depth: np.ndarray | None, cam: ShadowCamera | None,
                    direction: np.ndarray, contacts: np.ndarray, step: int = 4,
                    penumbra_tan: float = PENUMBRA_TAN, open_to_sun=None, half: bool = True
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) float32 sun visibility (1 = lit) and (H, W) contact occlusion of the ground near
    the feet (1 = open), from the label pass's depth and normals.

    Only pixels that can be in shadow are tested: those whose ray to the sun passes near a
    caster, found on a grid every ``step`` pixels (grown by one cell), and facing the sun.

    Args:
        depth: (H, W) metric depth of the label pass (0 = nothing). normals_encoded: (H, W, 3)
            uint8 camera-frame normals (:func:`genb.render.raster.normals.decode_normals`). ground:
            (H, W) bool ground pixels.
        shadow_depth: (h, w) caster distances along the rays (:meth:`ShadowCamera.linear_depth`),
            or None (no casters). direction: (3,) direction the sunlight travels.
        contacts: (C, 3) world points that may touch the ground, for contact darkening.
        open_to_sun: optional ``(N, 3) points -> (N,) bool``, False where the sun surely cannot reach a
            point whatever the map says (a closed room: rays that miss every window by more than the
            filter's reach); those points are in shadow without a lookup.
        half: evaluate the visibility on every other pixel (rows and columns) and fill in the others
            where the surface runs on (:func:`genb.render.raster.halfres.half_plan`); False: every pixel.
    """
    H, W = depth.shape
    sun_map = np.ones((H, W), np.float32)
    toward = -np.asarray(direction, np.float64)
    toward /= np.linalg.norm(toward)
    hit = depth > 0
    test = np.zeros((H, W), bool)
    if shadow_depth is not None and cam is not None:
        shadow_depth, origin = _caster_crop(shadow_depth, _reach(cam) + UMBRA_REACH + 2)
        test = _shadow_candidates(depth, K, cam_ext, shadow_depth, cam, hit, step, origin)
    ao_map = _contact_map(depth, ground, hit, K, cam_ext, contacts)
    if not test.any():
        return sun_map, ao_map
    flat = np.flatnonzero(test)  # flat indices (row-major, as np.nonzero orders them): 1-D gathers
    # facing: cosine > -max(SKIN_WRAP) (skin's wrap lighting reaches past the terminator), per encoded normal
    # (octahedral, either side of the camera: genb.render.raster.normals), looked up per pixel
    keys = normal_keys(normals_encoded)  # (H * W,) each pixel's index into the per-normal tables
    facing = _facing_table(cam_ext[:3, :3] @ toward).take(keys.take(flat))
    if open_to_sun is not None:  # every shut point, facing the sun or not (the blur below must not bleed light)
        shut = ~open_to_sun(pixel_world_points(depth, K, cam_ext, test))
        sun_map.ravel()[flat[shut]] = 0.0
        facing &= ~shut
    if not facing.any():
        return sun_map, ao_map
    mask = np.zeros((H, W), bool)
    mask.ravel()[flat[facing]] = True
    # on every other pixel where the surface runs on (the filtered visibility is smooth), filled in
    plan = half_plan(mask, depth, normals_encoded) if half else None
    at = mask if plan is None else plan.evaluate
    padded = cv2.copyMakeBorder(shadow_depth, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)  # once for both lookups below

    def visibility(at):  # (H, W) bool pixels -> their sun visibility
        n = encoded_normal_table().take(keys.take(np.flatnonzero(at)), axis=0)  # the bytes decoded (the same values)
        normals_world = affine_columns(cam_ext[:3, :3].T, np.zeros(3), n[:, 0], n[:, 1], n[:, 2])
        normals_world /= np.maximum(np.linalg.norm(normals_world, axis=1, keepdims=True), 1e-6)
        return _visibility(pixel_world_points(depth, K, cam_ext, at), normals_world, padded, cam, direction,
                           penumbra_tan, origin)

    sun_map[at] = visibility(at)
    if plan is not None:
        fill(sun_map, plan)
        edge = uneven(sun_map, plan, HALF_SPREAD)  # a shadow's edge between the grid's pixels: exact there
        if edge.any():
            sun_map[edge] = visibility(edge)
    return sun_map, ao_map


FACING_COS = -float(SKIN_WRAP.max())  # pixels whose cosine to the sun is above this are tested for shadow
HALF_SPREAD = 0.15  # sun visibility: neighbours differing by more than this are not interpolated between


def _facing_table(l_cam: np.ndarray) -> np.ndarray:
    """(65536,) bool per encoded normal (index u << 8 | v, :mod:`genb.render.raster.normals`): cosine to the camera-frame
    direction ``l_cam`` (unit, toward the sun) above :data:`FACING_COS`: as far past the terminator as skin's
    wrap lighting reaches (:data:`~genb.render.raster.shading.SKIN_WRAP`'s red; a pixel not tested keeps the
    sun, so a cut nearer the terminator left a red band of sun on shadowed skin past it)."""
    n = encoded_normal_table()  # (65536, 3) float32, decoded as the bytes say (not normalised)
    l32 = np.asarray(l_cam, np.float64).astype(np.float32)
    lambert = n[:, 0] * l32[0] + n[:, 1] * l32[1] + n[:, 2] * l32[2]
    return lambert > np.float32(FACING_COS) * np.sqrt(np.einsum("ij,ij->i", n, n))


def _reach(cam: ShadowCamera) -> int:
    """Texels: the blocker search's reach (15 cm) and the filter's."""
    return max(4, int(np.ceil(0.15 / cam.texel_m)) + 4)


def _caster_crop(shadow_depth: np.ndarray, margin: int) -> tuple[np.ndarray, tuple]:
    """The map's casters' bounding box grown by ``margin`` texels (clipped to the map), and its (row, column)
    origin: every lookup, filter and dilation below reads the same values from it as from the whole map (the
    texels beyond are 0, and ``margin`` exceeds every filter's reach), on a small part of its texels."""
    rows = np.flatnonzero((shadow_depth > 0).any(axis=1))
    if not len(rows):
        return shadow_depth[:0, :0], (0, 0)
    cols = np.flatnonzero((shadow_depth[rows[0]:rows[-1] + 1] > 0).any(axis=0))
    h, w = shadow_depth.shape
    r0, r1 = max(int(rows[0]) - margin, 0), min(int(rows[-1]) + 1 + margin, h)
    c0, c1 = max(int(cols[0]) - margin, 0), min(int(cols[-1]) + 1 + margin, w)
    return shadow_depth[r0:r1, c0:c1], (r0, c0)


def _shadow_candidates(depth, K, cam_ext, shadow_depth, cam, hit, step, origin=(0, 0)) -> np.ndarray:
    """(H, W) bool pixels whose ray to the sun passes near a caster (tested on a coarse grid); ``shadow_depth``
    may be a crop (:func:`_caster_crop`) whose first texel is ``origin`` (row, column) of the whole map."""
    H, W = depth.shape
    r = _reach(cam)
    if not shadow_depth.size:
        return np.zeros((H, W), bool)
    near = cv2.dilate((shadow_depth > 0).astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0
    coarse = np.zeros(hit[::step, ::step].shape, bool)
    grid = np.zeros((H, W), bool)
    grid[::step, ::step] = True
    pts = pixel_world_points(depth, K, cam_ext, grid & hit)
    u, v, _ = cam.to_light(pts)
    iu, iv = np.rint(u).astype(np.int64) - origin[1], np.rint(v).astype(np.int64) - origin[0]
    inside = (iu >= 0) & (iu < near.shape[1]) & (iv >= 0) & (iv < near.shape[0])
    flag = np.zeros(len(pts), bool)
    flag[inside] = near[iv[inside], iu[inside]]
    coarse[(grid & hit)[::step, ::step]] = flag
    coarse = cv2.dilate(coarse.astype(np.uint8), np.ones((3, 3), np.uint8))
    return cv2.resize(coarse, (coarse.shape[1] * step, coarse.shape[0] * step),
                      interpolation=cv2.INTER_NEAREST)[:H, :W].astype(bool) & hit


def _contact_map(depth, ground, hit, K, cam_ext, contacts) -> np.ndarray:
    """(H, W) float32 contact occlusion (:func:`contact_occlusion`) of ground pixels in the image box around
    each contact point low enough to darken the ground."""
    H, W = depth.shape
    ao_map = np.ones((H, W), np.float32)
    c_cam = contacts @ cam_ext[:3, :3].T + cam_ext[:3, 3] if len(contacts) else np.zeros((0, 3))
    R = cam_ext[:3, :3]
    centre = -R.T @ cam_ext[:3, 3]
    r2 = CONTACT_RADIUS ** 2
    for c_world, (x, y, z) in zip(contacts, c_cam):
        weight = float(np.clip(1.0 - c_world[2] / 0.25, 0.0, 1.0))
        if z < 0.1 or weight <= 0:
            continue
        reach = 3.0 * CONTACT_RADIUS
        u0, v0 = K[0, 0] * x / z + K[0, 2], K[1, 1] * y / z + K[1, 2]
        ru, rv = reach * K[0, 0] / z, reach * K[1, 1] / z
        a, b = int(np.clip(v0 - rv, 0, H)), int(np.clip(v0 + rv + 1, 0, H))
        c, d = int(np.clip(u0 - ru, 0, W)), int(np.clip(u0 + ru + 1, 0, W))
        if a >= b or c >= d:
            continue
        region = ground[a:b, c:d] & hit[a:b, c:d]
        if not region.any():
            continue
        flat = np.flatnonzero(region)
        v, u = np.divmod(flat, d - c)
        zz = depth[a:b, c:d].ravel().take(flat).astype(np.float32)
        xc = (u.astype(np.float32) + np.float32(c - K[0, 2])) * np.float32(1 / K[0, 0]) * zz
        yc = (v.astype(np.float32) + np.float32(a - K[1, 2])) * np.float32(1 / K[1, 1]) * zz
        # world x, y (R^T p + centre), minus the foot's
        dx = xc * np.float32(R[0, 0]) + yc * np.float32(R[1, 0]) + zz * np.float32(R[2, 0]) + np.float32(centre[0] - c_world[0])
        dy = xc * np.float32(R[0, 1]) + yc * np.float32(R[1, 1]) + zz * np.float32(R[2, 1]) + np.float32(centre[1] - c_world[1])
        d2 = dx * dx + dy * dy
        near = np.flatnonzero(d2 < np.float32(9 * r2))
        occ = 1.0 - np.float32(0.6 * weight) * np.exp(d2[near] * np.float32(-1 / r2))
        view = ao_map[a:b, c:d].ravel()  # a copy: the box is not contiguous
        view[flat[near]] = np.minimum(view[flat[near]], occ)
        ao_map[a:b, c:d] = view.reshape(b - a, d - c)
    return ao_map


def apply_sun_shadows(color: np.ndarray, depth: np.ndarray, normals_encoded: np.ndarray, ground: np.ndarray,
                      K: np.ndarray, cam_ext: np.ndarray, shadow_depth: np.ndarray | None, cam: ShadowCamera | None,
                      direction: np.ndarray, key: np.ndarray, ambient: np.ndarray,
                      contacts: np.ndarray, step: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Darken an image shaded ``albedo * (ambient + lambert * key)`` where the sun is blocked
    and where people meet the ground (:func:`sun_and_contact`'s maps applied with
    :func:`shading_factor`); returns the (H, W, 3) uint8 image and the (H, W) sun visibility."""
    sun_map, ao_map = sun_and_contact(depth, normals_encoded, ground, K, cam_ext, shadow_depth, cam, direction,
                                      contacts, step)
    changed = (sun_map < 1) | (ao_map < 1)
    if not changed.any():
        return color, sun_map
    vv, uu = np.nonzero(changed)
    toward = -np.asarray(direction, np.float64)
    toward /= np.linalg.norm(toward)
    n_cam = decode_normals(normals_encoded[vv, uu])
    n_world = affine_columns(cam_ext[:3, :3].T, np.zeros(3), n_cam[:, 0], n_cam[:, 1], n_cam[:, 2])
    n_world /= np.maximum(np.linalg.norm(n_world, axis=1, keepdims=True), 1e-6)
    lambert = np.clip(n_world @ toward.astype(np.float32), 0.0, None)
    f = shading_factor(lambert, sun_map[vv, uu], ao_map[vv, uu], np.asarray(key, np.float64),
                       np.asarray(ambient, np.float64))
    out = color.copy()
    out[vv, uu] = np.clip(color[vv, uu].astype(np.float32) * f + 0.5, 0, 255).astype(np.uint8)
    return out, sun_map
