"""A backpack's webbing (dress.straps.lower_grids) starts from its strap's front end without diving under the cloth.

Crouching, a jacket's trunk is lifted up the trunk out of the thighs (dress.knee_lift): the cloth that lay round the
strap's front end went up with it and left that end's sample of the cloth's outline empty. lower_grids carried its
neighbour's radius to it (np.interp holds the end values), 1.4 cm more than the surface under the strap's end, and
the blend that draws the webbing's ends to its two points took that much off its whole first half: the crouching
child's webbing lay 4 mm inside its coat over a third of its length, 14 trunk points inside it (test_bags: at most 10).
A missing end sample now takes the surface under that end (its point lies on it): 7, as with both sides."""

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25


def _keypoints() -> np.ndarray:
    """BODY25 keypoints of an upright trunk: neck at (0, 0, 1.5), mid-hip 0.5 m below, shoulders 0.4 m apart."""
    kp = np.zeros((25, 3))
    kp[K25["neck"]], kp[K25["mid_hip"]] = (0.0, 0.0, 1.5), (0.0, 0.0, 1.0)
    kp[K25["left_shoulder"]], kp[K25["right_shoulder"]] = (0.2, 0.0, 1.45), (-0.2, 0.0, 1.45)
    return kp


def test_a_webbing_from_a_strap_end_over_a_hole_stays_out_of_the_cloth_beyond():
    """The trunk's cloth a cylinder of radius 14 cm round the spine, none of it within 8 degrees and 2 cm of the
    strap's front end (it lies under the lifted cloth's edge, 12.5 cm out); the pack's corner on the cylinder.
    The webbing's inner face past its first sample stays out of the cylinder: on 57b37cc it came 1.3 cm into it (12.7 cm)
    (the start's missing sample given its neighbour's radius)."""
    from genb.render.dress.atlas import trunk_frame
    from genb.render.dress.straps import LOW_GAP_M, lower_grids

    kp = _keypoints()
    origin, R, _ = trunk_frame(kp)
    bearing, z = np.meshgrid(np.radians(np.arange(-180.0, 180.0, 1.0)), np.arange(-0.32, 0.02, 0.005), indexing="ij")
    radius = 0.14
    L = np.stack([radius * np.sin(bearing), -radius * np.cos(bearing), z], -1).reshape(-1, 3)  # y backward: front -y
    start = np.array([0.125 * np.sin(np.radians(30.0)), -0.125 * np.cos(np.radians(30.0)), -0.02])
    corner = np.array([(radius + LOW_GAP_M) * np.sin(np.radians(145.0)), -(radius + LOW_GAP_M) * np.cos(np.radians(145.0)), -0.26])
    b = np.arctan2(L[:, 0], -L[:, 1])
    hole = (np.abs(b - np.radians(30.0)) < np.radians(8.0)) & (np.abs(L[:, 2] - start[2]) < 0.02)
    surface = L[~hole] @ R.T + origin
    (inner, _outer), = lower_grids(surface, kp, (start @ R.T + origin)[None], (corner @ R.T + origin)[None])
    local = (inner - origin) @ R  # (2, LOW_STEPS, 3)
    r = np.hypot(local[..., 0], local[..., 1])
    assert np.allclose(local[:, 0].mean(0), start, atol=0.013), local[:, 0]  # it starts at the strap's end
    print("the inner face's least radius past the start:", r[:, 1:].min())
    assert r[:, 1:].min() >= radius, r.min(0)
