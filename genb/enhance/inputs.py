"""One sample as the enhance stage reads it (shared by the whole-image pass and the per-person crops)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.core.io import read_image
from genb.core.run import RunFolder
from genb.enhance.config import CONTROL_FILES, EnhanceConfig
from genb.enhance.prompts import build_prompt


@dataclasses.dataclass
class EnhanceInput:
    """One sample as the stage reads it."""

    index: int
    """Sample index in the run."""
    image: np.ndarray
    """(H, W, 3) uint8 RGB render."""
    controls: list[np.ndarray]
    """(H, W, 3) uint8 control images, in ``cfg.controls`` order."""
    instances: np.ndarray | None
    """(H, W) uint8 instance map (0 background, p + 1 person p); needed in region-aware mode."""
    prompt: str
    """The prompt built from the sample's scene recipe."""
    torch_seed: int | None = None
    """Seed of this input's torch generator; None = the sample's, from ``(seed, index)`` (crops set their own)."""
    people: Any = None
    """Per-person mode: the sample's :class:`genb.enhance.person_tasks.PersonData` (labels, instances, controls)."""

    @classmethod
    def read(cls, run: RunFolder, index: int, cfg: EnhanceConfig, templates: dict[str, Any]) -> "EnhanceInput":
        folder = run.sample_dir(index)
        scene = run.scene(index)  # missing or corrupt (not JSON, not a mapping): one error naming the file
        region = cfg.noise_person is not None and cfg.noise_person != cfg.noise
        return cls(
            index=index,
            image=run.image(index),
            controls=[run.sized(read_image(folder / f"{CONTROL_FILES[c]}.png"), folder / f"{CONTROL_FILES[c]}.png")
                      for c in cfg.controls] if cfg.needs_model else [],
            instances=run.instances(index) if region else None,
            prompt=build_prompt(scene, templates),
        )
