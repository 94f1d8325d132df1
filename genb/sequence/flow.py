"""Exact forward optical flow between consecutive frames, from the geometry; the flicker measure.

Each pixel of frame t is traced to the surface it shows: a person's triangle (found by a
z-buffered rasterization of that person's own meshes: face index and perspective-correct
barycentric coordinates), the static scene (the depth buffer's point, which does not move), or
the sky (a direction at infinity). The same surface point on frame t+1 (the same barycentric
coordinates on the moved triangle) is projected with frame t+1's camera; the flow is the
difference. A pixel is *valid* (not occluded) when its point lands inside frame t+1 and is
the surface frame t+1 shows there (its depth matches frame t+1's depth buffer).

Conventions: pixel centres at integer coordinates (x right, y down); camera frame OpenCV;
world Z up, metres. Pure functions over arrays.
"""

from __future__ import annotations

import numpy as np

from genb.render.labels.camera import project, to_camera

DEPTH_TOLERANCE = (0.03, 0.02)
"""A point is the visible surface of frame t+1 when its depth is within ``a + b * depth`` metres."""


def _barycentric(uv: np.ndarray, tri_uv: np.ndarray, tri_z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Perspective-correct barycentric coordinates of image points in projected triangles.

    Args:
        uv: (N, 2) image points, pixels. tri_uv: (N, 3, 2) their triangles' projected corners.
        tri_z: (N, 3) the corners' camera-frame depths (> 0), metres.
    Returns:
        inside (N,) bool, bary (N, 3) weights of the 3D corners (sum 1), depth (N,) metres.
    """
    a, b, c = tri_uv[:, 0], tri_uv[:, 1], tri_uv[:, 2]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    safe = np.where(np.abs(area) > 1e-12, area, 1.0)

    def edge(p, q):  # signed area of (p, q, uv), normalised
        return ((q[:, 0] - p[:, 0]) * (uv[:, 1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (uv[:, 0] - p[:, 0])) / safe

    screen = np.stack([edge(b, c), edge(c, a), edge(a, b)], axis=1)
    eps = 1e-7
    inside = (np.abs(area) > 1e-12) & np.all(screen >= -eps, axis=1)
    w = screen / tri_z
    depth = 1.0 / np.where(inside, w.sum(axis=1), 1.0)
    return inside, w * depth[:, None], depth


def rasterize_faces(v_cam: np.ndarray, faces: np.ndarray, K: np.ndarray, width: int, height: int,
                    near: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Z-buffered rasterization of one mesh at the pixel centres: what each pixel sees.

    Args:
        v_cam: (V, 3) vertices in the camera frame, metres. faces: (F, 3) int.
        K: (3, 3) intrinsics. width, height: image size, pixels.
    Returns:
        face (H, W) int64 (-1 where no face), bary (H, W, 3) float64, depth (H, W) float64 (0 where none).
    """
    face_map = np.full((height, width), -1, np.int64)
    bary_map = np.zeros((height, width, 3))
    depth_map = np.zeros((height, width))
    tri = np.asarray(faces, np.int64)
    z = v_cam[:, 2][tri]
    keep = np.all(z > near, axis=1)
    tri, z = tri[keep], z[keep]
    ids = np.flatnonzero(keep)
    uv = project(v_cam, K)[tri]  # (F, 3, 2)
    x0 = np.maximum(np.ceil(uv[..., 0].min(1)), 0).astype(np.int64)
    x1 = np.minimum(np.floor(uv[..., 0].max(1)), width - 1).astype(np.int64)
    y0 = np.maximum(np.ceil(uv[..., 1].min(1)), 0).astype(np.int64)
    y1 = np.minimum(np.floor(uv[..., 1].max(1)), height - 1).astype(np.int64)
    bw, bh = x1 - x0 + 1, y1 - y0 + 1
    n = np.where((bw > 0) & (bh > 0), bw * bh, 0)
    if n.sum() == 0:
        return face_map, bary_map, depth_map
    f = np.repeat(np.arange(len(tri)), n)
    local = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    px, py = x0[f] + local % bw[f], y0[f] + local // bw[f]
    inside, bary, depth = _barycentric(np.stack([px, py], 1).astype(np.float64), uv[f], z[f])
    f, px, py, bary, depth = f[inside], px[inside], py[inside], bary[inside], depth[inside]
    pix = py * width + px
    order = np.lexsort((depth, pix))  # nearest first within each pixel
    first = order[np.r_[True, pix[order][1:] != pix[order][:-1]]]
    face_map.ravel()[pix[first]] = ids[f[first]]
    bary_map.reshape(-1, 3)[pix[first]] = bary[first]
    depth_map.ravel()[pix[first]] = depth[first]
    return face_map, bary_map, depth_map


def locate_points(points: np.ndarray, v_cam: np.ndarray, faces: np.ndarray, K: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The front-most face under arbitrary image points (sub-pixel), as :func:`rasterize_faces` does
    at pixel centres. For a few points (tests): every face's bounding box is tested.

    Returns:
        face (N,) int64 (-1 where none), bary (N, 3), depth (N,) metres.
    """
    tri = np.asarray(faces, np.int64)
    z = v_cam[:, 2][tri]
    uv = project(v_cam, K)[tri]
    face, bary, depth = np.full(len(points), -1, np.int64), np.zeros((len(points), 3)), np.zeros(len(points))
    for i, p in enumerate(np.asarray(points, np.float64)):
        cand = np.flatnonzero(np.all(z > 1e-3, 1) & (uv[..., 0].min(1) <= p[0]) & (uv[..., 0].max(1) >= p[0])
                              & (uv[..., 1].min(1) <= p[1]) & (uv[..., 1].max(1) >= p[1]))
        if not len(cand):
            continue
        ins, b, d = _barycentric(np.repeat(p[None], len(cand), 0), uv[cand], z[cand])
        if ins.any():
            k = np.flatnonzero(ins)[np.argmin(d[ins])]
            face[i], bary[i], depth[i] = cand[k], b[k], d[k]
    return face, bary, depth


def advance(face: np.ndarray, bary: np.ndarray, faces: np.ndarray, vertices_next_world: np.ndarray,
            ext_next: np.ndarray, K_next: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where surface points (face, barycentric) are on the next frame.

    Args:
        face: (N,) face indices (>= 0). bary: (N, 3). faces: (F, 3).
        vertices_next_world: (V, 3) the same mesh on the next frame, world, metres.
        ext_next, K_next: the next frame's (4, 4) world-to-camera and (3, 3) intrinsics.
    Returns:
        uv (N, 2) pixels and z (N,) camera depth on the next frame.
    """
    corners = vertices_next_world[np.asarray(faces, np.int64)[face]]  # (N, 3, 3)
    p = to_camera(np.einsum("nk,nkd->nd", bary, corners), ext_next)
    return project(p, K_next), p[:, 2]


def forward_flow(frame: dict, nxt: dict, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact forward flow from one frame to the next, and the mask of pixels it is valid for.

    Args:
        frame, nxt: per frame ``K`` (3, 3), ``ext`` (4, 4) world-to-camera, ``depth`` (H, W)
            metric depth (0 = sky), ``instances`` (H, W) person id (1..P, 0 = scene), and
            ``meshes``: per person ``(vertices (V, 3) world, faces (F, 3))`` (the body and what it
            wears in one mesh; the same faces on both frames).
    Returns:
        flow (H, W, 2) float32 pixels (x, y), valid (H, W) bool.
    """
    H, W = height, width
    ys, xs = np.mgrid[0:H, 0:W]
    pix = np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float64)
    target = np.full((H * W, 2), np.nan)
    z_next = np.full(H * W, np.nan)
    sky_ok = np.zeros(H * W, bool)
    inst, depth = frame["instances"].ravel(), frame["depth"].ravel().astype(np.float64)
    Kinv = np.linalg.inv(frame["K"])
    rays = np.column_stack([pix, np.ones(len(pix))]) @ Kinv.T  # camera-frame rays with z = 1
    R, t = frame["ext"][:3, :3], frame["ext"][:3, 3]
    # 1. The static scene: the depth buffer's point does not move; the sky is at infinity.
    scene = (inst == 0) & (depth > 0)
    world = (rays[scene] * depth[scene, None] - t) @ R  # R^T (p - t)
    target[scene] = project(to_camera(world, nxt["ext"]), nxt["K"])
    z_next[scene] = to_camera(world, nxt["ext"])[:, 2]
    sky = (inst == 0) & (depth <= 0)
    d_next = (rays[sky] @ R) @ nxt["ext"][:3, :3].T  # the direction only
    front = d_next[:, 2] > 1e-9
    uv = np.full((len(d_next), 2), np.nan)
    uv[front] = project(d_next[front], nxt["K"])
    target[sky] = uv
    sky_ok[np.flatnonzero(sky)[front]] = True
    # 2. People: each pixel's triangle and barycentric coordinates on their own meshes.
    for p, (v_now, faces) in enumerate(frame["meshes"]):
        mine = np.flatnonzero(inst == p + 1)
        v_next = nxt["meshes"][p][0]
        if not len(mine) or v_next.shape != v_now.shape:
            continue
        f_map, b_map, _ = rasterize_faces(to_camera(np.asarray(v_now, np.float64), frame["ext"]), faces, frame["K"], W, H)
        f, b = f_map.ravel()[mine], b_map.reshape(-1, 3)[mine]
        hit = f >= 0
        uv, z = advance(f[hit], b[hit], faces, np.asarray(v_next, np.float64), nxt["ext"], nxt["K"])
        target[mine[hit]], z_next[mine[hit]] = uv, z
    # 3. Valid where the point lands inside the next frame and is what it shows there.
    flow = target - pix
    ok = np.all(np.isfinite(target), axis=1)
    tx, ty = np.rint(np.nan_to_num(target[:, 0], nan=-1)).astype(np.int64), np.rint(np.nan_to_num(target[:, 1], nan=-1)).astype(np.int64)
    ok &= (tx >= 0) & (tx < W) & (ty >= 0) & (ty < H)
    d_seen = np.zeros(H * W)
    d_seen[ok] = nxt["depth"][ty[ok], tx[ok]]
    a, b = DEPTH_TOLERANCE
    solid = ok & ~sky_ok
    ok[solid] &= (d_seen[solid] > 0) & (np.abs(d_seen[solid] - z_next[solid]) <= a + b * z_next[solid])
    ok[sky_ok] &= d_seen[sky_ok] <= 0
    flow = np.where(ok[:, None], flow, 0.0)
    return flow.reshape(H, W, 2).astype(np.float32), ok.reshape(H, W)


def warp_back(next_image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Frame t+1 resampled onto frame t's pixels along the forward flow (bilinear).

    Args:
        next_image: (H, W, C) or (H, W) image of frame t+1. flow: (H, W, 2) forward flow of frame t.
    Returns:
        float32 array shaped like ``next_image``: pixel p holds frame t+1 at p + flow(p).
    """
    import cv2

    H, W = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float32), np.arange(H, dtype=np.float32))
    return cv2.remap(np.asarray(next_image, np.float32), xs + flow[..., 0], ys + flow[..., 1],
                     interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def flicker(image: np.ndarray, next_image: np.ndarray, flow: np.ndarray, valid: np.ndarray) -> float:
    """Mean absolute difference (0..255 units) between a frame and the next one warped back by the
    flow, over the valid (non-occluded) pixels; NaN when none is valid."""
    if not valid.any():
        return float("nan")
    diff = np.abs(np.asarray(image, np.float32) - warp_back(next_image, flow))
    if diff.ndim == 3:
        diff = diff.mean(axis=2)
    return float(diff[valid].mean())
