"""The run folder, atomic writes, ranks and seeds: moved to :mod:`genb.core`; re-exported here.

Old imports (``from genb.store import RunFolder, atomic_write_json, ...``) keep
working; new code imports from ``genb.core.run``, ``genb.core.io``,
``genb.core.dist`` and ``genb.core.seeds``.
"""

from __future__ import annotations

import os  # noqa: F401 - tests patch store.os

from genb.core.dist import blocks, dist_info, local_rank, pick_device, process_tag, shard  # noqa: F401
from genb.core.io import (  # noqa: F401
    DEPTH_FILE, TMP_PREFIX, atomic_copy, atomic_dir, atomic_write_bytes, atomic_write_json, atomic_write_text,
    clean_stale, depth_bytes, disk_error, npy_bytes, npz_bytes, png_bytes, png_size, read_depth, read_image,
    read_json, read_npz, read_yaml_record, tmp_name,
)
from genb.core.io import disk_error as _disk_error  # noqa: F401
from genb.core.run import SAMPLE_DIGITS, RunFolder, is_sample_name, noise_name, numbered  # noqa: F401
from genb.core.seeds import sample_rng, sample_seed  # noqa: F401
