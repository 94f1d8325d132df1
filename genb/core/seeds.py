"""Per-sample random streams: a sample's randomness depends only on (seed, index, stream)."""

from __future__ import annotations

import numpy as np


def sample_seed(seed: int, index: int, stream: str) -> np.random.SeedSequence:
    """The seed of one random stream of one sample: depends only on (seed, index, stream)."""
    key = int.from_bytes(stream.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.SeedSequence(entropy=seed, spawn_key=(index, key))


def sample_rng(seed: int, index: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(sample_seed(seed, index, stream))
