"""GPU benchmark of the enhance pipeline: plain diffusers defaults vs the stage's optimised settings.

Full-size SD-1.5-architecture models built from their configs with random weights (random
weights cost the same compute as trained ones): UNet (320/640/1280/1280), two ControlNets made
from it, the SD VAE and a CLIP-L-sized text encoder; 512x512, 25 steps, strength 0.4 (10 run),
guidance 7.5. Prints images/s for

* plain: fp32, batch 1, diffusers' default attention (SDPA), no channels-last, no compile;
* genb:  the stage's settings (``genb.enhance.models.apply_speedups``): fp16 (or --dtype bf16),
  SDPA, channels-last, batch --batch-size, and torch.compile with --compile.

Goal: at least 10 images/s on one H100 for the genb settings. ``--tiny`` runs the same code with
the tiny random model at 64x64 on CPU (a smoke test of the script, not a measurement)::

    python bench/bench_enhance_gpu.py                  # on a CUDA machine
    python bench/bench_enhance_gpu.py --compile        # + torch.compile
    python bench/bench_enhance_gpu.py --tiny           # anywhere, seconds
    python bench/bench_enhance_gpu.py --per-person 3   # + person-centric mode: 3 crops per image at 512x512

``--per-person K`` also times crops at ``--person-size`` (the model's resolution) with the
genb settings and batch, and reports the images/s of ``genb enhance --per-person`` on images
with K people each: ``1 / (1 / whole-image rate + K / crop rate)`` (the whole-image pass at
``--size`` plus K crops; the crops of all images are batched together, as the stage does).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def build_components(tiny: bool, device: str):
    """(components without controlnet, [two ControlNets]) with random weights, on ``device`` in fp32."""
    import torch
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from genb.enhance.tiny import _tokenizer, build_tiny_components

    if tiny:
        components, nets = build_tiny_components()
        return components, [nets["depth"], nets["pose"]]
    torch.manual_seed(0)
    with torch.device(device):  # initialise on the GPU: ~1.3 B parameters
        unet = UNet2DConditionModel(  # runwayml/stable-diffusion-v1-5 unet/config.json
            sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
            block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768, attention_head_dim=8,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        )
        nets = [ControlNetModel.from_unet(unet) for _ in range(2)]
        vae = AutoencoderKL(  # SD VAE
            in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512),
            layers_per_block=2, down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4, sample_size=512,
        )
        text_encoder = CLIPTextModel(CLIPTextConfig(  # CLIP ViT-L/14 text tower
            hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
            vocab_size=49408, max_position_embeddings=77, bos_token_id=512, eos_token_id=513, pad_token_id=513,
            projection_dim=768, hidden_act="quick_gelu",
        ))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    components = dict(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=_tokenizer(),
                      scheduler=scheduler, safety_checker=None, feature_extractor=None)
    return components, nets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true", help="tiny random model at 64x64 on CPU (smoke run)")
    ap.add_argument("--size", type=int, default=None, help="image side (default 512, 64 with --tiny)")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--noise", type=float, default=0.4)
    ap.add_argument("--batch-size", type=int, default=8, help="batch of the optimised run")
    ap.add_argument("--dtype", choices=["fp16", "bf16"], default="fp16")
    ap.add_argument("--compile", action="store_true", help="torch.compile UNet and ControlNets in the optimised run")
    ap.add_argument("--images", type=int, default=None, help="images timed per setting (default 16; 8 with --tiny)")
    ap.add_argument("--skip-plain", action="store_true")
    ap.add_argument("--per-person", type=int, default=0, metavar="K",
                    help="also time the per-person mode with K people per image (crops at --person-size)")
    ap.add_argument("--person-size", type=int, default=None, help="crop side (default 512, 64 with --tiny)")
    args = ap.parse_args()

    import torch
    from diffusers import MultiControlNetModel, StableDiffusionControlNetImg2ImgPipeline

    from genb.enhance.config import EnhanceConfig
    from genb.enhance.libraries import quiet_libraries
    from genb.enhance.models import apply_speedups

    quiet_libraries()
    device = "cuda" if torch.cuda.is_available() and not args.tiny else "cpu"
    if device == "cpu":
        torch.set_flush_denormal(True)  # random weights make denormal floats: seconds per call on x86 without it
    size = args.size or (64 if args.tiny else 512)
    n_images = args.images or (8 if args.tiny else 16)
    components, nets = build_components(args.tiny, device)
    pipe = StableDiffusionControlNetImg2ImgPipeline(**components, controlnet=MultiControlNetModel(nets),
                                                    requires_safety_checker=False)
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    rng = np.random.default_rng(0)

    def inputs(b: int, side: int):
        image = torch.from_numpy(rng.random((b, 3, side, side), dtype=np.float32))
        controls = [torch.from_numpy(rng.random((b, 3, side, side), dtype=np.float32)) for _ in nets]
        return image, controls

    def timed(batch: int, warmup: int = 1, side: int = size) -> float:
        image, controls = inputs(batch, side)
        prompt = ["a photo of a woman wearing a red t-shirt, navy trousers and white shoes, outdoors"] * batch

        def call():
            with torch.inference_mode():
                pipe(prompt=prompt, negative_prompt=["cartoon, render"] * batch, image=image, control_image=controls,
                     strength=args.noise, num_inference_steps=args.steps, guidance_scale=7.5, height=side, width=side,
                     generator=[torch.Generator().manual_seed(i) for i in range(batch)], output_type="np")

        for _ in range(warmup):
            call()
        if device == "cuda":
            torch.cuda.synchronize()
        calls = max(1, n_images // batch)
        t = time.perf_counter()
        for _ in range(calls):
            call()
        if device == "cuda":
            torch.cuda.synchronize()
        return calls * batch / (time.perf_counter() - t)

    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    print(f"device={name} size={size} steps={args.steps} noise={args.noise} (run {int(args.steps * args.noise)}) "
          f"controlnets=2 {'TINY random model' if args.tiny else 'SD-1.5 architecture, random weights'}")
    if not args.skip_plain:
        print(f"plain  fp32 batch 1                          : {timed(1):7.2f} images/s", flush=True)
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[args.dtype] if device == "cuda" else torch.float32
    pipe.to(device, dtype)
    cfg = EnhanceConfig(channels_last=True, compile=args.compile, attention="sdpa")
    apply_speedups(pipe, cfg, device)
    label = f"genb   {str(dtype).replace('torch.', '')} batch {args.batch_size} sdpa channels_last{' compile' if args.compile else ''}"
    whole = timed(args.batch_size, warmup=2 if args.compile else 1)
    print(f"{label:<45}: {whole:7.2f} images/s")
    if args.per_person:
        side = args.person_size or (64 if args.tiny else 512)
        crops = timed(args.batch_size, warmup=2 if args.compile else 1, side=side)
        k = args.per_person
        print(f"{'genb   crops ' + str(side) + 'x' + str(side) + ' same settings':<45}: {crops:7.2f} crops/s")
        print(f"{'genb   --per-person, ' + str(k) + ' people per image':<45}: {1.0 / (1.0 / whole + k / crops):7.2f} images/s")


if __name__ == "__main__":
    main()
