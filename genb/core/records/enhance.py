"""The provenance of one enhanced image (``enhanced/noise-<s>/NNNNNN.json``): one dataclass, one writer, one reader."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from genb.core.io import atomic_write_json, read_json
from genb.core.records.fields import require
from genb.errors import GenbError


@dataclasses.dataclass
class EnhanceRecord:
    """What made one enhanced image."""

    index: int
    """Sample index in the run."""
    noise: float
    """The noise level of the folder (the background's strength in region-aware mode)."""
    strength: float
    """The img2img strength the pipeline ran at (the larger of the two in region-aware mode)."""
    seed: int
    """The run's (or --seed's) seed."""
    torch_seed: int
    """The sample's torch generator seed, from (seed, index) only."""
    steps_run: int
    """Denoising steps run (0: the render, unchanged)."""
    num_inference_steps: int
    """Length of the full schedule."""
    prompt: str
    negative_prompt: str
    guidance_scale: float
    region_mode: bool
    """Person and background at different strengths."""
    region: dict[str, Any] | None = None
    """Region-aware mode: noise_person, noise_background, dilate_px, held, steps_run per region."""
    per_person: dict[str, Any] | None = None
    """Per-person mode (``--per-person``): its settings, the far-to-near order and every crop pass
    (person, kind, crop box, resolution, strength, steps run, prompt)."""
    architecture: str | None = None
    models: list[dict[str, Any]] | None = None
    """Every model with its source and commit."""
    scheduler: str | None = None
    dtype: str | None = None
    device: str | None = None
    controls: list[dict[str, Any]] | None = None
    """Control maps: name, file, scale, start, end."""
    random_weights: bool | None = None
    """The tiny random-weight model (images are noise)."""
    note: str | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Further provenance keys (kept as given, written at the top level)."""

    def to_json(self) -> dict[str, Any]:
        d = {k: v for k, v in dataclasses.asdict(self).items() if v is not None and k != "extra"}
        return {**self.extra, **d}

    @classmethod
    def from_json(cls, d: dict[str, Any], path: Path | str = "an enhance record") -> "EnhanceRecord":
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        require(d, {"index": int, "noise": float, "strength": float, "seed": int, "torch_seed": int,
                    "steps_run": int, "num_inference_steps": int, "prompt": str, "negative_prompt": str,
                    "guidance_scale": float, "region_mode": bool}, path,
                f"delete {path} and its image, and run `genb enhance` again (it redoes missing samples)",
                optional={"region": dict, "per_person": dict, "models": list, "controls": list}, what="enhance record")
        try:
            return cls(**{k: v for k, v in d.items() if k in names},
                       extra={k: v for k, v in d.items() if k not in names})
        except TypeError as e:
            raise GenbError(f"{path} is corrupt: not an enhance record ({e})",
                            f"delete {path} and its image, and run `genb enhance` again (it redoes missing samples)") from None

    def write(self, path: str | Path) -> None:
        """The one writer (atomic; written after the image, so it marks the sample done)."""
        atomic_write_json(path, self.to_json())

    @classmethod
    def read(cls, path: str | Path) -> "EnhanceRecord":
        """The one reader: a missing or corrupt file is one :class:`GenbError` naming it."""
        return cls.from_json(read_json(path), path)
