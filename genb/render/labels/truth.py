"""Ground-truth labels: pure functions over arrays.

Everything here is computed from the posed geometry, the camera and the
rendered depth/instance buffers; nothing is estimated.
"""

from __future__ import annotations

import numpy as np

from genb.render.labels.camera import in_frame, project, to_camera
from genb.core.conventions import BODY25, PART_INDEX, PARTS

# Distance by which a surface must be nearer than the keypoint's own surface to hide it, metres.
VISIBILITY_EPS = 0.02
# Surface landmarks (points with no own parts: the face's keypoints) lie on the skin, not inside a
# limb; the regressors put them up to ~1.5 cm under it. Any face nearer than this hides them.
SURFACE_EPS = 0.03

# The parts whose surface is each BODY25 keypoint's own local surface: the parts meeting at that joint.
_BODY25_OWN_PARTS = {
    "neck": ("head", "torso"), "mid_hip": ("torso", "left_upper_leg", "right_upper_leg"),
    # surface landmarks: no own parts (their own surface is the point itself: seen from behind, the
    # back of the head hides the nose, although it is the nose's own part)
    "nose": (), "right_eye": (), "left_eye": (), "right_ear": (), "left_ear": (),
}
for _s in ("left", "right"):
    _BODY25_OWN_PARTS.update({
        f"{_s}_shoulder": ("torso", f"{_s}_upper_arm"), f"{_s}_elbow": (f"{_s}_upper_arm", f"{_s}_lower_arm"),
        f"{_s}_wrist": (f"{_s}_lower_arm", f"{_s}_hand"), f"{_s}_hip": ("torso", f"{_s}_upper_leg"),
        f"{_s}_knee": (f"{_s}_upper_leg", f"{_s}_lower_leg"), f"{_s}_ankle": (f"{_s}_lower_leg", f"{_s}_foot"),
        f"{_s}_big_toe": (f"{_s}_foot",), f"{_s}_small_toe": (f"{_s}_foot",), f"{_s}_heel": (f"{_s}_foot", f"{_s}_lower_leg"),
    })


def body25_own_parts() -> np.ndarray:
    """(25, len(PARTS)) bool: the parts forming each BODY25 keypoint's own local surface (none for the
    face's surface landmarks)."""
    out = np.zeros((len(BODY25), len(PARTS)), bool)
    for i, name in enumerate(BODY25):
        out[i, [PART_INDEX[p] for p in _BODY25_OWN_PARTS[name]]] = True
    return out


def nearest_parts(points: np.ndarray, vertices: np.ndarray, vertex_parts: np.ndarray, k: int = 24) -> np.ndarray:
    """(P, N, len(PARTS)) bool: the parts of the ``k`` vertices nearest each point (its own parts).

    For skeleton joints, which have no fixed part table: the parts meeting around the joint.

    Args:
        points: (P, N, 3) metres; vertices: (P, V, 3) the same people's meshes; vertex_parts: (V,) part ids.
    """
    P, N = points.shape[:2]
    out = np.zeros((P, N, len(PARTS)), bool)
    for p in range(P):  # one (N, V) distance matrix per person
        d2 = (np.square(points[p, :, None, :].astype(np.float64) - vertices[p, None, :, :])).sum(-1)
        kth = np.partition(d2, min(k, d2.shape[1]) - 1, axis=1)[:, min(k, d2.shape[1]) - 1]
        # every vertex up to the k-th distance, ties included (mirror-symmetric meshes have exact ties:
        # picking among them would depend on the last bits of the vertices)
        rows, cols = np.nonzero(d2 <= kth[:, None] * (1 + 1e-6) + 1e-12)
        out[p, rows, vertex_parts[cols]] = True
    return out


def _candidate_pairs(uv: np.ndarray, tri_lo: np.ndarray, tri_hi: np.ndarray, cells: int = 256
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(point, face) pairs whose face's 2D box contains the point, ordered by point then face.

    The points are few (a person's keypoints and joints) and the faces many: a grid of at
    most ``cells`` x ``cells`` cells (of at least half a pixel) over the points' extent marks
    the cells that hold a point, a summed-area table of it tells each face (from the cells its
    box spans) whether its box can hold any point, and the exact box test runs between the
    faces left and the points: O(F) cheap array operations and O(candidates x N) tests.
    """
    # one precision for points and boxes: the grid's floor() must order them as the exact test does
    uv = np.asarray(uv, np.float64)
    # the boxes as (2, F) rows (u, v): 1-D gathers and arithmetic (a (F, 2) view of such rows is not copied)
    lo_t = np.ascontiguousarray(np.asarray(tri_lo, np.float64).T)
    hi_t = np.ascontiguousarray(np.asarray(tri_hi, np.float64).T)
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    keep = (hi_t[0] >= lo[0]) & (lo_t[0] <= hi[0]) & (hi_t[1] >= lo[1]) & (lo_t[1] <= hi[1])
    fid = np.flatnonzero(keep)
    if len(fid) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    origin = lo - 1.0
    inv = 1.0 / max(0.5, float((hi - origin).max()) / (cells - 1))  # cells per pixel; the same arithmetic
    ncol, nrow = (np.floor((hi - origin) * inv).astype(np.int64) + 1)   # for points and faces (monotonic)
    pc = np.floor((uv - origin) * inv).astype(np.int64)
    table = np.zeros((nrow + 1, ncol + 1), np.int32)  # table[r, c]: points in the cells above and left of (r, c)
    np.add.at(table, (pc[:, 1] + 1, pc[:, 0] + 1), 1)
    table = table.cumsum(axis=0).cumsum(axis=1).ravel()
    cell = []  # per axis: first and one-past-last cell of each face's box (floor: >= 0)
    for axis, top in ((0, ncol - 1), (1, nrow - 1)):
        for box in (lo_t[axis], hi_t[axis]):
            c = np.minimum((box.take(fid) - origin[axis]) * inv, float(top))
            cell.append(c.clip(0.0).astype(np.int32))
    c0u, c1u, c0v, c1v = cell[0], cell[1] + 1, cell[2], cell[3] + 1
    c0v *= ncol + 1  # row offsets into the flat table
    c1v *= ncol + 1
    held = table.take(c1v + c1u) - table.take(c0v + c1u) - table.take(c1v + c0u) + table.take(c0v + c0u)
    fid = fid[held > 0]
    # the exact test: the points whose v lies in each face's box (a range of the points sorted by v), then u
    order = np.argsort(uv[:, 1], kind="stable")
    vs = uv[order, 1]
    first = np.searchsorted(vs, lo_t[1].take(fid), side="left")  # first point with v >= the box's bottom
    count = np.searchsorted(vs, hi_t[1].take(fid), side="right") - first  # ... up to v <= its top
    f_rep = np.repeat(fid, count)
    n_rep = order[np.repeat(first - np.cumsum(count) + count, count) + np.arange(int(count.sum()))]
    u = uv[:, 0].take(n_rep)
    ok = (u >= lo_t[0].take(f_rep)) & (u <= hi_t[0].take(f_rep))
    n_idx, f_idx = n_rep[ok], f_rep[ok]
    by = np.lexsort((f_idx, n_idx))  # by point, then face
    return n_idx[by].astype(np.int64), f_idx[by].astype(np.int64)


def ray_mesh_hits(points: np.ndarray, uv: np.ndarray, verts: np.ndarray, verts_uv: np.ndarray, faces: np.ndarray,
                  corners: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the camera rays to ``points`` cross one mesh (Moller-Trumbore, vectorised).

    Only the triangles whose projected 2D bounding box contains a point's pixel are tested
    (found through a pixel grid, :func:`_candidate_pairs`).

    Args:
        points: (N, 3) camera-frame points, metres (the rays run from the camera centre to them).
        uv: (N, 2) their pixels; verts: (V, 3) camera-frame mesh; verts_uv: (V, 2) its pixels;
        faces: (F, 3) triangles; corners: optionally their (3, F) contiguous transpose (the caller's, once
        for several meshes of one topology).
    Returns:
        point index (H,), face index (H,) and t (H,) of every hit with t > 0, where t is the
        hit's distance along the ray in units of the point's own distance (t = 1 at the point).
    """
    from genb.render.labels.mesh_pairs import mesh_candidate_pairs

    corners = np.ascontiguousarray(np.asarray(faces).T) if corners is None else corners
    n_idx, f_idx = mesh_candidate_pairs(uv, verts_uv, corners)  # _candidate_pairs' pairs, from the vertices
    if len(n_idx) == 0:
        return n_idx, f_idx, np.zeros(0)
    d = points[n_idx]  # ray direction, unnormalised: origin 0, the point at t = 1
    tri = verts[faces[f_idx]]
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    pvec = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, pvec)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    tvec = -tri[:, 0]
    a = np.einsum("ij,ij->i", tvec, pvec) * inv
    qvec = np.cross(tvec, e1)
    b = np.einsum("ij,ij->i", d, qvec) * inv
    t = np.einsum("ij,ij->i", e2, qvec) * inv
    hit = ok & (a >= 0) & (b >= 0) & (a + b <= 1) & (t > 1e-9)
    return n_idx[hit], f_idx[hit], t[hit]


def self_occlusion(points: np.ndarray, uv: np.ndarray, verts: np.ndarray, verts_uv: np.ndarray, faces: np.ndarray,
                   face_parts: np.ndarray, own_parts: np.ndarray, eps: float = VISIBILITY_EPS,
                   corners: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Which of one person's points their own body hides, and the depth of their own surface.

    A point's own surface is where its camera ray enters the parts around it (``own_parts``):
    the own-part hit nearest the point in front of it (the point itself when the ray
    crosses no own-part face before it, as for keypoints on the surface). The point is
    self-occluded when the ray hits a face of another part of the body more than ``eps``
    (camera depth, metres) in front of that surface. A point with no own parts is a surface
    landmark: any face more than ``SURFACE_EPS`` in front of the point itself hides it.

    Args:
        points: (N, 3) camera frame, metres; uv: (N, 2) pixels.
        verts: (V, 3), verts_uv: (V, 2): the person's posed camera-frame body mesh and its pixels.
        faces: (F, 3); face_parts: (F, len(PARTS)) bool, the parts each face touches.
        own_parts: (N, len(PARTS)) bool. corners: optionally the faces' (3, F) transpose (:func:`ray_mesh_hits`).
    Returns:
        occluded (N,) bool and own_depth (N,) camera z of the own surface, metres.
    """
    N = len(points)
    n_idx, f_idx, t = ray_mesh_hits(points, uv, verts, verts_uv, faces, corners)
    own = (face_parts[f_idx] & own_parts[n_idx]).any(axis=1)
    t_own = np.ones(N)
    front_own = own & (t <= 1.0)
    if front_own.any():
        best = np.zeros(N)
        np.maximum.at(best, n_idx[front_own], t[front_own])
        t_own = np.where(best > 0, best, 1.0)
    z = points[:, 2]
    margin = np.where(own_parts.any(axis=1), eps, max(eps, SURFACE_EPS))
    hides = ~own & (t * z[n_idx] < t_own[n_idx] * z[n_idx] - margin[n_idx])
    occluded = np.zeros(N, bool)
    occluded[n_idx[hides]] = True
    return occluded, t_own * z


def _project_plain(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """:func:`genb.render.labels.camera.project` written elementwise (no BLAS call: bit-identical results
    whatever thread runs it and whatever else runs BLAS concurrently)."""
    z = np.maximum(points[..., 2], 1e-6)
    return np.stack([K[0, 0] * (points[..., 0] / z) + K[0, 2], K[1, 1] * (points[..., 1] / z) + K[1, 2]], axis=-1)


def pixel_centre_rays(points_cam: np.ndarray, uv: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point moved, at its own camera depth, onto the ray through the centre of its pixel.

    Visibility is decided per pixel: part (b) reads the depth buffer at the pixel centre
    (``rint(uv)``), so part (a) casts its ray there too. A point within half a pixel of a
    silhouette is then hidden by (a) only when the occluding surface covers its pixel, i.e.
    is drawn there (a ray through the exact sub-pixel point could graze a nose or an ear
    whose drawn pixels stop short of the point's pixel centre).

    Args:
        points_cam: (..., 3) camera frame, metres; uv: (..., 2) their pixels; K: (3, 3) intrinsics.
    Returns:
        centre_uv (..., 2) float64, the pixel centres, and (..., 3) float64 the points on their rays
        at the same z (a point exactly on its pixel centre is returned unchanged).
    """
    centre = np.rint(uv).astype(np.float64)
    z = np.asarray(points_cam[..., 2], np.float64)
    x = (centre[..., 0] - K[0, 2]) / K[0, 0] * z
    y = (centre[..., 1] - K[1, 2]) / K[1, 1] * z
    return centre, np.stack([x, y, z], axis=-1)


def body_occlusion(points_cam: np.ndarray, K: np.ndarray, verts_cam: np.ndarray, faces: np.ndarray,
                   face_parts: np.ndarray, own_parts: np.ndarray, width: int, height: int,
                   eps: float = VISIBILITY_EPS) -> dict[str, np.ndarray]:
    """Part (a) of the visibility rule, from geometry alone (no depth buffer needed).

    Args:
        points_cam: (P, N, 3) camera-frame points, metres; K: (3, 3) intrinsics.
        verts_cam: (P, V, 3) the people's posed camera-frame bare body meshes.
        faces: (F, 3); face_parts: (F, len(PARTS)) bool; own_parts: (N, len(PARTS)) or (P, N, len(PARTS)) bool.
        width, height: image size, pixels.
    Returns:
        ``uv`` (P, N, 2) float32, ``in_frame`` (P, N) bool, ``self_occluded`` (P, N) bool (in-frame points
        hidden by another part of their own body) and ``own_depth`` (P, N) float64, camera z of each
        point's own surface along its ray (the point's own z for points out of frame).
    """
    P, N = points_cam.shape[:2]
    uv = _project_plain(points_cam, K)
    inside = in_frame(uv, width, height) & (points_cam[..., 2] > 0)
    centre_uv, centre_pts = pixel_centre_rays(points_cam, uv.astype(np.float32), K)  # as (b) rounds them
    own_parts = np.broadcast_to(own_parts, (P, N, own_parts.shape[-1]))
    self_occ = np.zeros((P, N), bool)
    own_depth = points_cam[..., 2].astype(np.float64).copy()
    corners = np.ascontiguousarray(np.asarray(faces).T)  # the faces' corner columns, once for every person
    for p in range(P):  # one mesh per person; everything inside is vectorised over points and faces
        sel = np.flatnonzero(inside[p])
        if len(sel) == 0:
            continue
        verts_uv = _project_plain(verts_cam[p], K)
        occ, z_own = self_occlusion(centre_pts[p, sel], centre_uv[p, sel], verts_cam[p], verts_uv, faces,
                                    face_parts, own_parts[p, sel], eps, corners)
        self_occ[p, sel], own_depth[p, sel] = occ, z_own
    return {"uv": uv.astype(np.float32), "in_frame": inside, "self_occluded": self_occ, "own_depth": own_depth}


def depth_visibility(occlusion: dict[str, np.ndarray], depth: np.ndarray, instances: np.ndarray,
                     eps: float = VISIBILITY_EPS) -> dict[str, np.ndarray]:
    """Part (b) of the visibility rule, completing :func:`body_occlusion`'s result with the rendered buffers.

    Args:
        occlusion: what :func:`body_occlusion` returned.
        depth: (H, W) metric depth buffer (camera z; 0 = nothing); instances: (H, W) p + 1 where p is seen.
    Returns:
        ``uv``, ``vis``, ``in_frame`` and ``self_occluded``, each (P, N).
    """
    H, W = depth.shape
    uv, inside, own_depth = occlusion["uv"], occlusion["in_frame"], occlusion["own_depth"]
    P = len(uv)
    u = np.clip(np.rint(uv[..., 0]), 0, W - 1).astype(np.int64)
    v = np.clip(np.rint(uv[..., 1]), 0, H - 1).astype(np.int64)
    d = depth[v, u]
    mine = instances[v, u].astype(np.int64) == (np.arange(P)[:, None] + 1)
    unhidden = (d <= 0) | (d >= own_depth - eps) | mine
    vis = inside & ~occlusion["self_occluded"] & unhidden
    return {"uv": uv, "vis": vis, "in_frame": inside, "self_occluded": occlusion["self_occluded"]}


def visibility(points_cam: np.ndarray, K: np.ndarray, verts_cam: np.ndarray, faces: np.ndarray,
               face_parts: np.ndarray, own_parts: np.ndarray, depth: np.ndarray, instances: np.ndarray,
               eps: float = VISIBILITY_EPS) -> dict[str, np.ndarray]:
    """Project every person's points and decide which are visible (genb's visibility rule).

    A point of person p is visible iff it is in frame and
    (a) the camera ray through its pixel (the centre of the pixel it projects to, at its own depth:
        :func:`pixel_centre_rays`) does not hit another part of p's own bare body mesh more than
        ``eps`` in front of the point's own local surface (:func:`self_occlusion`), and
    (b) the depth buffer at its pixel is not nearer than that own surface minus ``eps``,
        unless the pixel belongs to p (``instances == p + 1``: p's body, clothes or hair).
    Objects and other people (other instance ids) therefore occlude; p's own clothes never do.
    :func:`body_occlusion` (a) needs no depth buffer, so the renderer runs it before rasterizing;
    :func:`depth_visibility` adds (b).

    Args: as :func:`body_occlusion`, plus ``depth`` and ``instances`` (H, W).
    Returns:
        ``uv`` (P, N, 2) float32, ``vis``, ``in_frame`` and ``self_occluded`` (P, N) bool.
    """
    H, W = depth.shape
    occ = body_occlusion(points_cam, K, verts_cam, faces, face_parts, own_parts, W, H, eps)
    return depth_visibility(occ, depth, instances, eps)


def face_part_table(faces: np.ndarray, vertex_parts: np.ndarray) -> np.ndarray:
    """(F, len(PARTS)) bool: the parts each triangle touches (any of its three vertices)."""
    out = np.zeros((len(faces), len(PARTS)), bool)
    for c in range(3):
        out[np.arange(len(faces)), vertex_parts[faces[:, c]]] = True
    return out


def mask_boxes(instances: np.ndarray, num_people: int) -> tuple[np.ndarray, np.ndarray]:
    """Tight boxes and pixel counts of each person's visible mask.

    Args:
        instances: (H, W) uint8, p + 1 where person p is visible.
        num_people: P.
    Returns:
        boxes (P, 4) float32 ``x0, y0, x1, y1`` in pixel coordinates of the
        outer pixel edges (all -1 for a person with no visible pixel), and
        areas (P,) int64.
    """
    boxes = np.full((num_people, 4), -1.0, np.float32)
    areas = np.bincount(instances.ravel(), minlength=num_people + 1)[1 : num_people + 1].astype(np.int64)
    for p in range(num_people):
        if areas[p] == 0:
            continue
        mask = instances == p + 1
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        boxes[p] = (cols[0] - 0.5, rows[0] - 0.5, cols[-1] + 0.5, rows[-1] + 0.5)
    return boxes, areas


def points_box(uv: np.ndarray) -> np.ndarray:
    """(P, 4) float32 box ``x0, y0, x1, y1`` of (P, N, 2) pixel coordinates (may leave the image)."""
    rows = np.ascontiguousarray(np.asarray(uv).transpose(0, 2, 1))  # (P, 2, N): contiguous reductions, 10x quicker
    return np.concatenate([rows.min(axis=2), rows.max(axis=2)], axis=1).astype(np.float32)


def center_scale(boxes: np.ndarray, padding: float = 1.2) -> tuple[np.ndarray, np.ndarray]:
    """BEDLAM/HMR crop parameters of boxes: centre (P, 2) and ``scale = side / 200`` (P,).

    The side is the longer box side times ``padding``.
    """
    center = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) * padding
    return center.astype(np.float32), (side / 200.0).astype(np.float32)


def geometry_labels(body, world, K: np.ndarray, ext: np.ndarray, W: int, H: int, seed: int, index: int,
                    describe: list[dict], heights: np.ndarray, proj_vert_ids: np.ndarray) -> tuple[dict, np.ndarray]:
    """The labels of a sample that need no depth buffer: camera, camera-frame keypoints and joints,
    full-body boxes, projected vertices and the body model's parameters in the camera frame.

    Args:
        body: the :class:`~genb.render.bodies.base.BodyModel`; world: its posed, placed bodies (world frame).
        K: (3, 3) intrinsics; ext: (4, 4) world-to-camera; W, H: image size; describe: per person the
        body model's words (gender, height); heights: (P,) metres; proj_vert_ids: the projected vertex subset.
    Returns:
        the labels (name -> array, as in labels.npz; keypoints3d and joints3d still float64) and the
        (P, V, 3) float64 vertices in the camera frame.
    """
    v_cam = to_camera(world.vertices.astype(np.float64), ext)
    verts2d = project(v_cam, K)
    bbox_full = points_box(verts2d)
    center, scale = center_scale(bbox_full)
    params_cam = body.transform_params(world.params, ext[:3, :3], ext[:3, 3])
    labels = {
        "cam_int": K.astype(np.float32), "cam_ext": ext.astype(np.float32),
        "image_size": np.array([H, W], np.int32), "seed": np.array(seed), "index": np.array(index),
        "body_model": np.array(body.name),
        "keypoints3d": to_camera(world.keypoints.astype(np.float64), ext),
        "joints3d": to_camera(world.joints.astype(np.float64), ext),
        "bbox_full": bbox_full, "center": center, "scale": scale,
        "proj_verts": verts2d[:, proj_vert_ids].astype(np.float32), "proj_vert_ids": proj_vert_ids,
        "gender": np.array([d["gender"] for d in describe]),
        "height_m": np.array([d.get("height_m", h) for d, h in zip(describe, heights)], np.float32),
        **{f"{body.name}_{k}": np.asarray(v, np.float32) for k, v in params_cam.items()},
    }
    return labels, v_cam
