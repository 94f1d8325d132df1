"""Per-sample random streams: a sample's randomness depends only on (seed, index, stream)."""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(stream: str) -> int:
    """A stream name as a 64-bit integer: the first 8 bytes of its BLAKE2b digest (the whole
    name counts, so ``"wardrobe"`` and ``"wardrobe_v2"`` are different streams; stable across
    processes, machines and Python versions, unlike ``hash()``)."""
    return int.from_bytes(hashlib.blake2b(stream.encode("utf-8"), digest_size=8).digest(), "little")


def sample_seed(seed: int, index: int, stream: str) -> np.random.SeedSequence:
    """The seed of one random stream of one sample: depends only on (seed, index, stream)."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(index, stream_key(stream)))


def sample_rng(seed: int, index: int, stream: str) -> np.random.Generator:
    """A generator of one random stream of one sample (see :func:`sample_seed`)."""
    return np.random.default_rng(sample_seed(seed, index, stream))
