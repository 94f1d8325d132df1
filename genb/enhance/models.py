"""Loading the ControlNet img2img pipeline: hub id, local folder or the tiny random one.

One function, :func:`load_pipeline`, used by the CLI, the tests and the
benchmarks alike: every model goes through diffusers' ``from_pretrained``. A
model that cannot be had becomes one :class:`GenbError` naming it and saying
how to provide it. What was loaded (ids, requested revisions, resolved commit
hashes) is returned for the provenance records.
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from pathlib import Path
from typing import Any

from genb import hub
from genb.core import dist
from genb.enhance.config import EnhanceConfig
from genb.enhance.libraries import quiet_libraries
from genb.errors import GenbError, short_reason
from genb.core.log import get_logger

logger = get_logger(__name__)

TINY = "tiny"


@dataclasses.dataclass
class ModelSource:
    """Where one model comes from."""

    role: str
    """base, vae or controlnet-<control>."""
    name: str
    """As configured: hub id, folder or 'tiny'."""
    location: str
    """What from_pretrained gets: a hub id or a folder."""
    kind: str
    """hub, folder or tiny."""
    revision: str | None = None
    """Requested hub revision."""
    commit: str | None = None
    """Resolved commit hash of a hub model (from the local cache), once loaded."""

    def record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def hub_offline(cfg: EnhanceConfig) -> bool:
    """True when the hub must not be reached: --offline or HF_HUB_OFFLINE=1."""
    return cfg.offline or hub.offline_by_env()


def resolve_source(role: str, name: str, cfg: EnhanceConfig, revision: str | None = None) -> ModelSource:
    """Turn a configured model name into a :class:`ModelSource` (no loading yet).

    ``tiny`` -> the tiny pipeline's cache folder; an existing folder -> that folder;
    with ``--model-dir D``: ``D/<id>`` or ``D/<last part of id>`` when it exists; else a hub id.
    """
    if name == TINY:
        from genb.enhance.tiny import ensure_tiny_pipeline

        root = ensure_tiny_pipeline(architecture=cfg.architecture)
        sub = "base" if role == "base" else role if role.startswith("controlnet-") else None
        if sub is None:
            raise GenbError(f"there is no tiny {role} model", f"leave the {role} model unset with the tiny preset")
        return ModelSource(role, name, str(root / sub), "tiny")
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelSource(role, name, str(path.resolve()), "folder")
    if cfg.model_dir:
        root = Path(cfg.model_dir).expanduser()
        if not root.is_dir():
            raise GenbError(f"--model-dir {root} does not exist", "give a folder holding downloaded models")
        for candidate in (root / name, root / name.split("/")[-1]):
            if candidate.is_dir():
                return ModelSource(role, name, str(candidate.resolve()), "folder")
    if name.startswith((".", "/", "~")) or os.sep in name.strip("/").replace("/", "", 1):
        raise GenbError(f"{role} model folder {name} does not exist",
                        "give an existing folder, or a Hugging Face hub id such as lllyasviel/control_v11p_sd15_openpose")
    return ModelSource(role, name, name, "hub", revision=revision)


def model_flag(role: str) -> str:
    """The flag that sets the model of ``role`` (``base``, ``vae``, ``controlnet-<map>``): a built-in map's
    ``--<map>-model``, a registered map's ``--control-models <map>=MODEL`` (it has no flag of its own)."""
    if role in ("base", "vae"):
        return f"--{role}-model"
    name = role.split("-", 1)[1]
    field = f"{name}_model"
    if field in {f.name for f in dataclasses.fields(EnhanceConfig)}:
        return f"--{name}-model"
    return f"--control-models {name}=MODEL"


def _missing_model(source: ModelSource, cfg: EnhanceConfig, error: BaseException) -> GenbError:
    reason = short_reason(error, 300)
    flag = model_flag(source.role)
    if source.kind == "hub" and hub_offline(cfg):
        fix = (f"the hub is off (--offline or HF_HUB_OFFLINE=1) and {source.name} is not in the local Hugging Face "
               f"cache: download it where there is internet (`hf download {source.name}`) and copy the cache "
               f"(~/.cache/huggingface), or save it in a folder and pass {flag} FOLDER, or --model-dir DIR "
               f"holding DIR/{source.name}")
    elif source.kind == "hub":
        fix = (f"check the id and your connection (gated models need `hf auth login`); or download it yourself "
               f"(`hf download {source.name} --local-dir DIR/{source.name}`) and pass --model-dir DIR or {flag} FOLDER; "
               "or use --preset tiny for a smoke run with random weights")
    else:
        fix = f"{source.location} must be a diffusers model folder (save_pretrained / hf download); pass another with {flag}"
    return GenbError(f"could not load the {source.role} model {source.name!r} ({reason})", fix)


def _commit(source: ModelSource, filename: str) -> str | None:
    """The commit hash of a hub model as cached locally, if it can be told."""
    if source.kind != "hub":
        return None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(source.location, filename, revision=source.revision)
    except Exception:  # noqa: BLE001 - provenance is best effort
        return None
    if isinstance(found, str):
        m = re.search(r"snapshots[\\/]([0-9a-f]{40})", found)
        return m.group(1) if m else None
    return None


def _local_only(source: ModelSource, cfg: EnhanceConfig, filename: str) -> bool:
    """Whether to load a hub model from the local cache only; one clear error when it can be had neither way."""
    return hub.local_only(source.location, filename, f"{source.role} model", model_flag(source.role), hub_offline(cfg),
                          source.revision, "HF_HUB_OFFLINE=1 or --offline",
                          also=f"or --model-dir ROOT with the folder at ROOT/{source.name}")


def _load(source: ModelSource, cfg: EnhanceConfig, loader: Any, filename: str, **kwargs: Any) -> Any:
    hub_kwargs = {}
    if source.kind == "hub":
        hub_kwargs = {"revision": source.revision, "local_files_only": _local_only(source, cfg, filename)}
    try:
        with warnings.catch_warnings():  # torch_dtype -> dtype rename in recent diffusers
            warnings.simplefilter("ignore", FutureWarning)
            warnings.filterwarnings("ignore", message=".*local_dir_use_symlinks.*")  # diffusers -> hub chatter
            model = loader.from_pretrained(source.location, **hub_kwargs, **kwargs)
    except GenbError:
        raise
    except Exception as e:  # noqa: BLE001 - diffusers/hub raise many types; all mean "cannot have it"
        raise _missing_model(source, cfg, e) from None
    source.commit = _commit(source, filename)
    return model


def pick_dtype(name: str, device: str):
    import torch

    if name == "auto":
        return torch.float16 if device.startswith("cuda") else torch.float32
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]


SCHEDULERS = {"ddim": "DDIMScheduler", "unipc": "UniPCMultistepScheduler", "dpm": "DPMSolverMultistepScheduler",
              "euler": "EulerDiscreteScheduler", "pndm": "PNDMScheduler"}


@dataclasses.dataclass
class LoadedPipeline:
    """A ready pipeline and what it was made from."""

    pipe: Any
    """The diffusers ControlNet img2img pipeline, on its device."""
    sources: list[ModelSource]
    """Every model loaded, for provenance."""
    device: str
    dtype: Any
    tiny: bool
    """True when any model is the random-weight tiny one (its images are noise)."""


def load_pipeline(cfg: EnhanceConfig, device: str | None = None) -> LoadedPipeline:
    """Load the base model, the ControlNets of ``cfg.controls`` (and a VAE) and apply the speed options."""
    quiet_libraries()
    import diffusers

    device = dist.pick_device(device or cfg.device)
    dtype = pick_dtype(cfg.dtype, device)
    # 1. ControlNets, one per control, in --controls order.
    sources: list[ModelSource] = []
    nets = []
    for control in cfg.controls:
        source = resolve_source(f"controlnet-{control}", cfg.control_model(control), cfg)
        nets.append(_load(source, cfg, diffusers.ControlNetModel, "config.json", torch_dtype=dtype))
        sources.append(source)
    controlnet = nets[0] if len(nets) == 1 else diffusers.MultiControlNetModel(nets)
    # 2. Optional VAE, then the base pipeline around them.
    extra: dict[str, Any] = {}
    if cfg.vae_model:
        source = resolve_source("vae", cfg.vae_model, cfg)
        extra["vae"] = _load(source, cfg, diffusers.AutoencoderKL, "config.json", torch_dtype=dtype)
        sources.append(source)
    if cfg.architecture == "sdxl":
        cls = diffusers.StableDiffusionXLControlNetImg2ImgPipeline
    else:
        cls = diffusers.StableDiffusionControlNetImg2ImgPipeline
        extra.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    base = resolve_source("base", cfg.base_model, cfg, revision=cfg.base_revision)
    pipe = _load(base, cfg, cls, "model_index.json", controlnet=controlnet, torch_dtype=dtype, **extra)
    sources.insert(0, base)
    # 3. Scheduler, device and speed options.
    if cfg.scheduler != "default":
        pipe.scheduler = getattr(diffusers, SCHEDULERS[cfg.scheduler]).from_config(pipe.scheduler.config)
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    apply_speedups(pipe, cfg, device)
    return LoadedPipeline(pipe, sources, device, dtype, tiny=any(s.kind == "tiny" for s in sources))


def apply_speedups(pipe: Any, cfg: EnhanceConfig, device: str) -> None:
    """Attention kernel, channels-last and torch.compile (the last two on CUDA only)."""
    import torch

    if cfg.attention == "xformers":
        try:
            pipe.enable_xformers_memory_efficient_attention()
        except Exception as e:  # noqa: BLE001
            raise GenbError(f"--attention xformers is not usable here ({e})",
                            "install xformers for your torch/CUDA, or use --attention sdpa (as fast on recent GPUs)") from None
    if not device.startswith("cuda"):
        return
    nets = [pipe.unet, *getattr(pipe.controlnet, "nets", [pipe.controlnet])]
    if cfg.channels_last:
        for net in nets:
            net.to(memory_format=torch.channels_last)
    if cfg.compile:
        pipe.unet = torch.compile(pipe.unet, fullgraph=False)
        if hasattr(pipe.controlnet, "nets"):
            pipe.controlnet.nets = torch.nn.ModuleList([torch.compile(n, fullgraph=False) for n in pipe.controlnet.nets])
        else:
            pipe.controlnet = torch.compile(pipe.controlnet, fullgraph=False)
