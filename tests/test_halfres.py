"""Half-resolution evaluation of smooth per-pixel terms (genb.render.raster.halfres)."""

import numpy as np
import pytest

from genb.render.raster.halfres import _plan, fill, half_plan, uneven


def _scene(H=37, W=41):
    """A tilted plane (depth rising to the right) with a nearer square in front of it."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    depth = 1.0 / (0.2 + 0.004 * xx + 0.002 * yy)  # a plane: inverse depth linear in the pixel
    normals = np.full((H, W, 3), 128, np.uint8)
    near = (yy >= 10) & (yy < 21) & (xx >= 13) & (xx < 27)
    depth[near] = 1.5
    normals[near] = (200, 128, 40)
    return depth.astype(np.float32), normals, near


def test_a_linear_term_on_a_plane_is_filled_exactly_and_edges_are_evaluated():
    depth, normals, near = _scene()
    H, W = depth.shape
    mask = np.ones((H, W), bool)
    mask[30:, 30:] = False  # a hole in the set
    plan = half_plan(mask, depth, normals)
    # the even grid is evaluated; about a quarter of the set in all, plus the breaks
    assert plan.evaluate[::2, ::2][mask[::2, ::2]].all()
    assert plan.evaluate.sum() < 0.45 * mask.sum()
    assert not (plan.evaluate & ~mask).any()
    yy, xx = np.mgrid[0:H, 0:W]
    term = (0.3 * xx - 0.2 * yy + 5).astype(np.float32)
    values = np.where(plan.evaluate, term, np.float32(np.nan)).astype(np.float32)
    fill(values, plan)
    filled = mask & ~plan.evaluate
    assert filled.sum() > 0.5 * mask.sum()
    np.testing.assert_allclose(values[filled], term[filled], rtol=1e-5)  # bilinear = exact for a linear term
    assert np.isnan(values[~mask]).all()  # nothing outside the set is written
    # no pixel is filled from across the silhouette: a filled pixel's neighbours are all on its side
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            a = filled[1:-1, 1:-1]
            b = near[1 + dy:H - 1 + dy, 1 + dx:W - 1 + dx]
            on_grid = ((yy[1 + dy:H - 1 + dy, 1 + dx:W - 1 + dx] % 2 == 0) & (xx[1 + dy:H - 1 + dy, 1 + dx:W - 1 + dx] % 2 == 0))
            assert not (a & on_grid & (b != near[1:-1, 1:-1])).any()


def test_uneven_finds_a_hard_edge_of_the_term():
    depth, normals, _ = _scene()
    H, W = depth.shape
    mask = np.ones((H, W), bool)
    plan = half_plan(mask, depth, normals)
    step = (np.arange(W)[None, :] >= 20).repeat(H, 0).astype(np.float32)  # a hard shadow edge at column 20
    values = np.where(plan.evaluate, step, np.float32(np.nan)).astype(np.float32)
    fill(values, plan)
    edge = uneven(values, plan, 0.15)
    assert edge[:, 19].any() and not edge[:, :17].any() and not edge[:, 23:].any()
    values[edge] = step[edge]
    assert np.isfinite(values).all() and np.array_equal(values >= 0.5, step >= 0.5)


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (5, 1), (2, 3), (7, 5)])
def test_small_and_odd_images(shape):
    H, W = shape
    rng = np.random.default_rng(H * 10 + W)
    depth = np.full(shape, 2.0, np.float32)
    normals = np.full((H, W, 3), 128, np.uint8)
    mask = rng.random(shape) < 0.8
    plan = half_plan(mask, depth, normals)
    values = np.where(plan.evaluate, np.float32(0.25), np.float32(np.nan)).astype(np.float32)
    fill(values, plan)
    assert np.all(values[mask] == np.float32(0.25))  # every pixel of the set evaluated or filled
    assert not uneven(values, plan, 0.1).any()


def test_a_plan_cropped_to_the_mask_is_the_whole_image_plan():
    """half_plan works in the mask's bounding box (from even corners): the same plan as over the whole image."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        H, W = (int(x) for x in rng.integers(1, 40, 2))
        mask = np.zeros((H, W), bool)
        y0, y1 = sorted(int(x) for x in rng.integers(0, H + 1, 2))
        x0, x1 = sorted(int(x) for x in rng.integers(0, W + 1, 2))
        mask[y0:y1, x0:x1] = rng.random((y1 - y0, x1 - x0)) < 0.8
        depth = (1 + rng.random((H, W)) * 0.001 * int(rng.integers(0, 30))).astype(np.float32)
        depth[rng.random((H, W)) < 0.05] = 0
        normals = rng.integers(100, 140, (H, W, 3)).astype(np.uint8)
        whole, cropped = _plan(mask, depth, normals[..., 0], normals[..., 1], 0.01, 20), half_plan(mask, depth, normals)
        assert np.array_equal(whole.evaluate, cropped.evaluate)
        for a, b in zip(whole.filled, cropped.filled):
            assert a.shape == b.shape and np.array_equal(a, b)
        if mask.any() and (y0 > 1 or x0 > 1):
            assert not cropped.evaluate[: y0 & ~1].any() and not cropped.evaluate[:, : x0 & ~1].any()
