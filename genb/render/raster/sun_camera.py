"""The sun's shadow camera: an orthographic view along the sun's rays that frames the shadow
casters (:func:`fit_shadow_camera`), the shadow map's size (:func:`map_scale`) and the
magnification pyrender actually draws with (:func:`matched_magnification`). Pure functions;
the deferred shadows themselves are in :mod:`genb.render.raster.shadows`.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class ShadowCamera:
    """An orthographic view along the sun's rays that frames the shadow casters.

    Attributes:
        pose: (4, 4) camera-to-world pose of the OpenGL camera (looks along its -z).
        xmag, ymag: half width and half height of the view, metres.
        znear, zfar: clip distances along the rays, metres.
        width, height: shadow map size, pixels.
    """

    pose: np.ndarray
    xmag: float
    ymag: float
    znear: float
    zfar: float
    width: int
    height: int

    @property
    def texel_m(self) -> float:
        """The larger side of one shadow-map texel, metres."""
        return max(2 * self.xmag / self.width, 2 * self.ymag / self.height)

    def to_light(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(N, 3) world points -> shadow-map pixel coordinates u, v (N,) and distance along the rays (N,)."""
        R, t = self.pose[:3, :3], self.pose[:3, 3]
        q = affine_columns(R.T, -R.T @ t, points[:, 0], points[:, 1], points[:, 2])
        u = (q[:, 0] / self.xmag + 1) * 0.5 * self.width - 0.5
        v = (1 - q[:, 1] / self.ymag) * 0.5 * self.height - 0.5
        return u, v, -q[:, 2]

    def linear_depth(self, pyrender_depth: np.ndarray) -> np.ndarray:
        """(h, w) distance along the rays (metres; 0 = nothing) from pyrender's depth output, which
        linearises every camera's depth as if it were perspective."""
        n, f = self.znear, self.zfar
        hit = pyrender_depth > 0
        out = np.zeros(pyrender_depth.shape, np.float32)  # (whole-box operations: no boolean gathers)
        rows = np.flatnonzero(hit.any(axis=1))
        if not len(rows):
            return out
        cols = np.flatnonzero(hit[rows[0]:rows[-1] + 1].any(axis=0))
        box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]  # the casters' bounding box (the rest stays 0)
        d = pyrender_depth[box].astype(np.float32, copy=False)
        np.divide(np.float32(n * f), d, out=out[box], where=hit[box])
        np.subtract(np.float32(f + n), out[box], out=out[box], where=hit[box])  # NDC (f + n - 2nf/d) / (f - n), back to a distance
        return out


def fit_shadow_camera(bounds: np.ndarray, direction: np.ndarray, width: int, height: int,
                      margin: float = 0.3) -> ShadowCamera:
    """The orthographic sun camera framing every caster.

    Args:
        bounds: (M, 2, 3) axis-aligned boxes (min, max corners) of the casters, world metres.
        direction: (3,) direction the sunlight travels (unit, pointing down).
        width, height: shadow map size, pixels (the map's x axis is horizontal in the world).
    """
    d = np.asarray(direction, np.float64)
    d /= np.linalg.norm(d)
    z = -d  # the camera's +z points towards the sun; it looks along -z = the light's travel
    x = np.cross([0.0, 0.0, 1.0], z)
    x = x / np.linalg.norm(x) if np.linalg.norm(x) > 1e-6 else np.array([1.0, 0.0, 0.0])
    y = np.cross(z, x)
    R = np.stack([x, y, z], axis=1)
    corners = np.asarray(bounds, np.float64)[:, [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1],
                                                 [1, 1, 0], [1, 1, 1]], [0, 1, 2]].reshape(-1, 3)
    q = corners @ R
    lo, hi = q.min(axis=0) - margin, q.max(axis=0) + margin
    centre = (lo + hi) / 2
    pose = np.eye(4)
    pose[:3, :3] = R
    pose[:3, 3] = R @ np.array([centre[0], centre[1], hi[2] + 1.0])
    xmag, ymag = matched_magnification(float((hi[0] - lo[0]) / 2), float((hi[1] - lo[1]) / 2), width, height)
    return ShadowCamera(pose=pose, xmag=xmag, ymag=ymag, znear=0.5, zfar=float(hi[2] - lo[2] + 1.5),
                        width=width, height=height)


SHADOW_TEXEL_M = 0.03  # metres: the coarsest shadow-map texel a sample's map is sized for (feet, legs stay sharp)
SHADOW_MAP_MAX = 2048  # pixels: the largest side of a shadow map


def map_scale(texel_m: float, width: int, height: int, target_m: float = SHADOW_TEXEL_M,
              largest: int = SHADOW_MAP_MAX) -> int:
    """The whole factor (>= 1) by which a ``width`` x ``height`` shadow map grows so that a texel of
    ``texel_m`` metres (at that size) shrinks to ``target_m`` or less, its larger side at most ``largest``.

    A place's hedges, curbs and lamps widen the casters' frame to tens of metres; at the image's own
    size the people's shadows would then be a texel or two wide.
    """
    need = int(np.ceil(texel_m / target_m - 1e-9))
    return int(max(1, min(need, largest // max(width, height))))


def matched_magnification(xmag: float, ymag: float, width: int, height: int) -> tuple[float, float]:
    """The half extents, grown on one side, whose ratio is the map's ``width / height``.

    pyrender's ``OrthographicCamera.get_projection_matrix`` ignores the ``xmag`` it is given
    and uses ``width / height * ymag``; a lookup with any other ``xmag`` stretches the map
    sideways. With ``xmag / ymag == width / height`` both agree, and texels are square.
    """
    aspect = width / height
    if xmag / ymag > aspect:
        return xmag, xmag / aspect
    return ymag * aspect, ymag


def affine_columns(M: np.ndarray, t: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """(N, 3) float32 ``M @ [x, y, z] + t`` for coordinate arrays (N,), column by column (numpy's
    matmul with an inner size of 3 is slow)."""
    out = np.empty((len(x), 3), np.float32)
    for i in range(3):
        out[:, i] = x * np.float32(M[i, 0]) + y * np.float32(M[i, 1]) + z * np.float32(M[i, 2]) + np.float32(t[i])
    return out
