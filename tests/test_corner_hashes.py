"""Lattice hashing of value noise's cell corners (genb.render.raster.procedural.corner_hashes)."""

import numpy as np
import pytest

from genb.render.raster import procedural as P
from genb.render.raster import texture as T


@pytest.mark.parametrize("spread", [2.0, 40.0, 1e5])
def test_corner_hashes_equal_hashing_each_corner(spread):
    """Dense cells (a table over their bounding box, gathered) and spread-out ones (hashed directly) give
    the bits of hashing each corner, for the 32-bit and the 64-bit hash alike."""
    rng = np.random.default_rng(int(spread))
    u, v = rng.normal(0, spread, 3000), rng.normal(0, spread, 3000)
    fx, fy = np.floor(u).astype(np.float32), np.floor(v).astype(np.float32)
    want = (P.hash2(fx, fy, 9), P.hash2(fx + 1, fy, 9), P.hash2(fx, fy + 1, 9), P.hash2(fx + 1, fy + 1, 9))
    for a, b in zip(P.corner_hashes(fx, fy, 9), want):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    ix, iy = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    want = (T._hash(ix, iy, 9), T._hash(ix + 1, iy, 9), T._hash(ix, iy + 1, 9), T._hash(ix + 1, iy + 1, 9))
    for a, b in zip(P.corner_hashes(ix, iy, 9, T._hash, np.int64), want):
        assert np.array_equal(a, b)


def test_value_noise_is_continuous_across_cells_and_empty_input_works():
    u = np.linspace(0.0, 3.0, 3001, dtype=np.float32)
    n, gx, _ = P.value_noise(u, np.full_like(u, 0.37), 0.5, 3)
    assert np.abs(np.diff(n)).max() < 0.01  # no jump where the cells change
    assert P.smooth_noise(np.zeros(0, np.float32), np.zeros(0, np.float32), 0.5, 3).shape == (0,)


def test_corner_hashes_take_a_seed_per_cell():
    ix = np.arange(50, dtype=np.int64) % 4
    iy = np.zeros(50, np.int64)
    seeds = 11 + 101 * (np.arange(50) % 3)
    got = P.corner_hashes(ix, iy, seeds, T._hash, np.int64)
    assert np.array_equal(got[3], T._hash(ix + 1, iy + 1, seeds))
