"""Tiny random-weight SD-1.5- (and SDXL-) architecture ControlNet pipelines, built locally.

Same classes and the same on-disk layout as the real models (a diffusers
pipeline folder plus one ControlNet folder per control), so it is loaded by the
same ``from_pretrained`` code users get. Its images are noise: it exists for
smoke runs, tests, CI and benchmarks of the stage's own overhead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from genb.cache import genb_cache_dir
from genb.core.controls import BUILTIN_CONTROLS, CONTROL_MAPS
from genb.core.dist import dist_info
from genb.core.io import clean_stale, tmp_name


CONTROL_NAMES = BUILTIN_CONTROLS
"""The built-in control maps; the tiny pipeline has a ControlNet for every registered one (:func:`control_names`)."""


def control_names() -> tuple[str, ...]:
    """Every registered control map, built-in ones first (their tiny weights do not change when one is added)."""
    return BUILTIN_CONTROLS + tuple(n for n in CONTROL_MAPS.names() if n not in BUILTIN_CONTROLS)


def recipe_digest(architecture: str = "sd15") -> str:
    """What the tiny pipeline is built from: the architecture, every registered control map and the
    builders' own code. The cache folder is keyed on it, so adding a map or changing the recipe
    builds a new one (no version to bump by hand)."""
    import inspect

    h = hashlib.sha1(json.dumps([architecture, list(control_names())]).encode())
    for fn in (build_tiny_components, build_tiny_sdxl_components, _tiny_controlnets_and_vae, _tokenizer):
        h.update(inspect.getsource(fn).encode())
    return h.hexdigest()[:12]


def tiny_cache_dir(architecture: str = "sd15") -> Path:
    """Where the tiny pipeline is saved: ``<genb cache>/tiny-<architecture>-<recipe digest>``.

    The genb cache is ``$GENB_CACHE``, else ``$XDG_CACHE_HOME/genb``, else ``~/.cache/genb``
    (see :func:`recipe_digest`).
    """
    return genb_cache_dir() / f"tiny-{architecture}-{recipe_digest(architecture)}"


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's map from the 256 byte values to printable unicode symbols."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def _tokenizer():
    from transformers import CLIPTokenizer

    # The 256 byte-level symbols, each also as a word end, plus the two specials: enough to
    # tokenize any text (one token per character) with no merges and no files.
    symbols = list(_bytes_to_unicode().values())
    vocab = {s: i for i, s in enumerate(symbols)}
    vocab.update({s + "</w>": i + len(symbols) for i, s in enumerate(symbols)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def build_tiny_components(seed: int = 0):
    """The base pipeline's components and one ControlNet per name in :data:`CONTROL_NAMES`.

    Returns:
        (components dict for StableDiffusionControlNetImg2ImgPipeline without ``controlnet``,
        {control name: ControlNetModel}).
    """
    import torch
    from diffusers import DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=4, sample_size=16,
        in_channels=4, out_channels=4, cross_attention_dim=32, attention_head_dim=2,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    )
    controlnets, vae = _tiny_controlnets_and_vae(unet, seed)
    torch.manual_seed(seed + 2)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=512, eos_token_id=513, pad_token_id=513, hidden_size=32, intermediate_size=37,
        num_attention_heads=4, num_hidden_layers=2, vocab_size=514, max_position_embeddings=77,
        projection_dim=32, layer_norm_eps=1e-5,
    ))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    components = dict(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=_tokenizer(),
                      scheduler=scheduler, safety_checker=None, feature_extractor=None)
    return components, controlnets


def _tiny_controlnets_and_vae(unet, seed: int):
    """One random ControlNet per control (from ``unet``) and a 4-level VAE, seeded from ``seed``."""
    import torch
    from diffusers import AutoencoderKL, ControlNetModel

    controlnets = {}
    for k, name in enumerate(control_names()):
        torch.manual_seed(seed + 100 + k)
        net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(4, 8, 8, 8))
        # Real ControlNets start from zero convolutions; random ones make the controls matter.
        with torch.no_grad():
            for module in [*net.controlnet_down_blocks, net.controlnet_mid_block,
                           net.controlnet_cond_embedding.conv_out]:
                module.weight.normal_(0.0, 0.05)
                module.bias.zero_()
        controlnets[name] = net
    torch.manual_seed(seed + 1)
    vae = AutoencoderKL(
        block_out_channels=(8, 8, 16, 16), in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        norm_num_groups=4, layers_per_block=1, sample_size=64,
    )
    return controlnets, vae


def build_tiny_sdxl_components(seed: int = 0):
    """Like :func:`build_tiny_components`, for the SDXL architecture (two text encoders, text-time embedding)."""
    import torch
    from diffusers import EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=4, sample_size=16,
        in_channels=4, out_channels=4, cross_attention_dim=64, attention_head_dim=2, use_linear_projection=True,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        addition_embed_type="text_time", addition_time_embed_dim=8, transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=8 * 6 + 32,
    )
    controlnets, vae = _tiny_controlnets_and_vae(unet, seed)
    text_config = CLIPTextConfig(
        bos_token_id=512, eos_token_id=513, pad_token_id=513, hidden_size=32, intermediate_size=37,
        num_attention_heads=4, num_hidden_layers=2, vocab_size=514, max_position_embeddings=77,
        projection_dim=32, layer_norm_eps=1e-5,
    )
    torch.manual_seed(seed + 2)
    text_encoder = CLIPTextModel(text_config)
    text_encoder_2 = CLIPTextModelWithProjection(text_config)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       steps_offset=1, timestep_spacing="leading")
    components = dict(unet=unet, vae=vae, text_encoder=text_encoder, text_encoder_2=text_encoder_2,
                      tokenizer=_tokenizer(), tokenizer_2=_tokenizer(), scheduler=scheduler)
    return components, controlnets


def ensure_tiny_pipeline(folder: str | Path | None = None, architecture: str = "sd15") -> Path:
    """Build and save the tiny pipeline once (atomically); return its folder.

    Layout: ``folder/base`` (a StableDiffusionControlNetImg2ImgPipeline folder without
    ControlNet) and ``folder/controlnet-<name>`` for each control name.
    """
    folder = Path(folder) if folder else tiny_cache_dir(architecture)
    if (folder / "done.json").is_file():
        return folder
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    from genb.enhance.libraries import quiet_libraries

    quiet_libraries()
    if architecture == "sdxl":
        components, controlnets = build_tiny_sdxl_components()
    else:
        components, controlnets = build_tiny_components()
    folder.parent.mkdir(parents=True, exist_ok=True)
    clean_stale([folder.parent], dist_info()[0])  # partial builds of killed processes (never a live one's)
    tmp = folder.with_name(tmp_name(folder.name))
    tmp.mkdir(parents=True)
    try:
        if architecture == "sdxl":
            base = StableDiffusionXLPipeline(**components)
        else:
            base = StableDiffusionPipeline(**components, requires_safety_checker=False)
        base.save_pretrained(tmp / "base", safe_serialization=True)
        for name, net in controlnets.items():
            net.save_pretrained(tmp / f"controlnet-{name}", safe_serialization=True)
        (tmp / "done.json").write_text(json.dumps({"recipe": recipe_digest(architecture), "random_weights": True}))
        if folder.exists() and not (folder / "done.json").is_file():  # an unfinished older layout
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (folder / "done.json").is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process built it first: keep theirs
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
