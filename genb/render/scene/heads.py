"""Where a person's head top falls in the image, exactly (``--head-row-exact``, docs/render.md "Placement and framing").

Placement keeps a person who is not truncated with the head in ``head_row``. Its quick estimate, the feet's
row minus the apparent height, puts the body's top straight above the body's origin and is exact only at
zero pitch: in ``closeup`` (pitch -15..0, people 1-1.55 image heights tall) the head's real top row was
off by up to 0.13 of the image, and a seated, kneeling or leaning person's head lies up to 0.3 m in front
of the origin. Here the head is its crown (the head's vertices near its top, in the body's rested frame) and
the head's top row is the highest row any of them projects to, where the person's yaw puts them.
"""

from __future__ import annotations

import numpy as np

CAP_M = 0.1  # the crown: head vertices this close below the head's top (the top row's point for any camera
# from 1 m below the top to above it, at a metre or more)
CROWN_POINTS = 32  # at most this many of them (every k-th by height), per person
AIM_YAWS = 12  # yaws tried when the person's yaw is not drawn yet (aim_person): every 30 degrees


def crowns(rested: np.ndarray, head_ids: np.ndarray) -> np.ndarray:
    """(P, CROWN_POINTS, 3) each person's crown points in the rested frame (origin under the body, zero yaw).

    Args:
        rested: (P, V, 3) bodies resting on their support; head_ids: the head part's vertex ids.
    """
    head = np.asarray(rested, np.float64)[:, np.asarray(head_ids)]
    order = np.argsort(-head[..., 2], axis=1, kind="stable")
    n_cap = (head[..., 2] >= head[..., 2].max(axis=1, keepdims=True) - CAP_M).sum(axis=1)
    out = np.empty((len(head), CROWN_POINTS, 3))
    for p, n in enumerate(n_cap):
        pick = order[p, np.linspace(0, n - 1, CROWN_POINTS).round().astype(np.int64)]
        out[p] = head[p, pick]
    return out


def turned(points: np.ndarray, yaw_deg: float) -> np.ndarray:
    """(N, 3) points turned by ``yaw_deg`` about the vertical (as the renderer turns a person: x -> Rz x)."""
    a = np.radians(yaw_deg)
    c, s = np.cos(a), np.sin(a)
    p = np.asarray(points, np.float64)
    return np.stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1], p[:, 2]], axis=1)


def top_rows(crown: np.ndarray, gx: np.ndarray, gy: np.ndarray, K: np.ndarray, cam_ext: np.ndarray,
             height_px: int) -> np.ndarray:
    """(N,) the head's top row (fraction of the image height: 0 the top edge) for the person standing at each
    ground point (gx, gy) (N,), their crown ``crown`` (M, 3) already turned; -inf where a crown point lies
    behind the camera (or within 5 cm of its plane)."""
    R, t = np.asarray(cam_ext, np.float64)[:3, :3], np.asarray(cam_ext, np.float64)[:3, 3]
    base = crown @ R.T + t  # (M, 3): the crown's camera coordinates for a person at the world origin
    shift_y = R[1, 0] * gx + R[1, 1] * gy  # (N,): what standing at (gx, gy) adds (the ground point has z 0)
    shift_z = R[2, 0] * gx + R[2, 1] * gy
    y = base[None, :, 1] + shift_y[:, None]
    z = base[None, :, 2] + shift_z[:, None]
    rows = (y / np.maximum(z, 1e-6) * K[1, 1] + K[1, 2]) / (height_px - 1)
    return np.where((z > 0.05).all(axis=1), rows.min(axis=1), -np.inf)


def rows_over_yaws(crown: np.ndarray, xy: np.ndarray, K: np.ndarray, cam_ext: np.ndarray, height_px: int,
                   yaw_deg: float | None = None) -> tuple[float, float]:
    """The lowest and highest head top row for a person standing at ``xy`` (2,) (``crown`` (M, 3) unturned)
    turned by ``yaw_deg``, or over ``AIM_YAWS`` yaws when their yaw is drawn later (None); -inf when a crown
    point lies behind the camera (as :func:`top_rows`)."""
    yaws = np.array([yaw_deg]) if yaw_deg is not None else 360.0 * np.arange(AIM_YAWS) / AIM_YAWS
    a = np.radians(yaws)[:, None]
    c, s, p = np.cos(a), np.sin(a), np.asarray(crown, np.float64)
    x, y = c * p[:, 0] - s * p[:, 1] + xy[0], s * p[:, 0] + c * p[:, 1] + xy[1]  # (Y, M): turned, moved
    R, t = np.asarray(cam_ext, np.float64)[:3, :3], np.asarray(cam_ext, np.float64)[:3, 3]
    cy = R[1, 0] * x + R[1, 1] * y + R[1, 2] * p[:, 2] + t[1]
    cz = R[2, 0] * x + R[2, 1] * y + R[2, 2] * p[:, 2] + t[2]
    rows = (cy / np.maximum(cz, 1e-6) * K[1, 1] + K[1, 2]) / (height_px - 1)
    top = np.where((cz > 0.05).all(axis=1), rows.min(axis=1), -np.inf)  # (Y,)
    return float(top.min()), float(top.max())
