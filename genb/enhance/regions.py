"""Region-aware noise: the people get their own img2img strength, the background another.

The pipeline runs at the larger of the two strengths. The region with the
smaller one is held on the render's latents, re-noised to the current timestep
with the same noise the pipeline drew (as diffusers' inpainting pipelines hold
the unmasked area), until the step at which its own, shorter schedule begins;
from then on it is denoised freely. So each region is denoised for exactly
``floor(steps x its strength)`` steps, in context with the rest of the image.
A region whose strength is 0 is held on the render to the end and, after
decoding, gets the render's pixels back: noise 0 means unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genb.enhance.schedule import join_index, steps_run, wrapped_add_noise


def person_mask(instances: np.ndarray, dilate: int) -> np.ndarray:
    """(H, W) bool mask of every person, grown by ``dilate`` pixels.

    Args:
        instances: (H, W) uint8 instance map, 0 background, p + 1 for person p.
        dilate: pixels to grow the mask by (a disc), 0 for none.
    """
    import cv2

    mask = (instances > 0).astype(np.uint8)
    if dilate > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1))
        mask = cv2.dilate(mask, kernel)
    return mask.astype(bool)


def latent_weights(mask: np.ndarray, latent_hw: tuple[int, int]) -> np.ndarray:
    """(h, w) float32 in [0, 1]: the fraction of each latent cell covered by ``mask`` (area average).

    Args:
        mask: (H, W) bool, pixels.
        latent_hw: (h, w) latent grid (H / 8, W / 8 for Stable Diffusion).
    """
    import cv2

    h, w = latent_hw
    return cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)


@dataclasses.dataclass
class RegionPlan:
    """The strengths and step counts of the two regions for one call.

    ``pipeline_strength`` is what the pipeline runs at; ``held`` says which region
    (``"person"`` or ``"background"``) has the smaller strength and is held on the
    render until loop index ``join``.
    """

    noise: float
    """Background strength."""
    noise_person: float
    """People's strength."""
    num_inference_steps: int
    """Length of the full schedule."""
    pipeline_strength: float
    """max(noise, noise_person): the strength the pipeline is called with."""
    steps_run: int
    """Denoising steps the pipeline runs."""
    held: str
    """The region with the smaller strength: 'person' or 'background' ('' when equal)."""
    join: int
    """Loop index at which the held region starts denoising (== steps_run: never)."""

    @classmethod
    def make(cls, noise: float, noise_person: float, num_inference_steps: int) -> "RegionPlan":
        top = max(noise, noise_person)
        run = steps_run(num_inference_steps, top)
        if noise_person < noise:
            held, low = "person", noise_person
        elif noise < noise_person:
            held, low = "background", noise
        else:
            held, low = "", top
        return cls(noise, noise_person, num_inference_steps, top, run, held,
                   join_index(run, num_inference_steps, low))

    def region_steps(self) -> dict[str, int]:
        """Denoising steps each region gets."""
        return {"person": steps_run(self.num_inference_steps, self.noise_person),
                "background": steps_run(self.num_inference_steps, self.noise)}


class RegionHold:
    """``callback_on_step_end`` that holds one region on the re-noised render.

    Args:
        plan: the region plan of this call.
        weights: (B, 1, h, w) tensor, how much each latent cell belongs to the held region.

    Call :meth:`capture` around the pipeline call (it records the render's latents
    and the noise the pipeline draws); pass the instance as ``callback_on_step_end``.
    """

    def __init__(self, plan: RegionPlan, weights: Any):
        self.plan = plan
        self.weights = weights
        self.init_latents = None
        self.noise = None
        self.steps = 0
        self.latents = None

    def capture(self, pipe: Any):
        """Context manager: spy on the scheduler's ``add_noise`` during the call to record the clean latents and noise."""
        hold = self

        def spy_on(original):
            def spy(original_samples, noise, timesteps):
                if hold.init_latents is None:
                    hold.init_latents, hold.noise = original_samples, noise
                return original(original_samples, noise, timesteps)
            return spy

        return wrapped_add_noise(pipe.scheduler, spy_on)

    def __call__(self, pipe: Any, i: int, t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """After loop step ``i``: put the held region back on the render's trajectory.

        After step ``i`` the latents sit at timestep ``T[i + 1]``; until the held region
        joins (loop index ``join``) its latents are replaced by the render's latents noised
        to ``T[i + 1]``, or by the clean render latents after the last step.
        """
        self.steps += 1
        plan = self.plan
        order = getattr(pipe.scheduler, "order", 1)
        self.latents = kwargs["latents"]
        if not plan.held or self.init_latents is None or i + 1 > plan.join * order:
            return kwargs
        latents = kwargs["latents"]
        timesteps = pipe.scheduler.timesteps[(plan.num_inference_steps - plan.steps_run) * order:]
        if i + 1 < len(timesteps):
            t_next = timesteps[i + 1].reshape(1).repeat(latents.shape[0])
            held = pipe.scheduler.add_noise(self.init_latents, self.noise, t_next)
        else:
            held = self.init_latents
        w = self.weights.to(device=latents.device, dtype=latents.dtype)
        kwargs["latents"] = self.latents = w * held.to(latents.dtype) + (1 - w) * latents
        return kwargs


class StepCounter:
    """``callback_on_step_end`` that only counts the denoising steps actually run."""

    def __init__(self):
        self.steps = 0
        self.latents = None

    def __call__(self, pipe: Any, i: int, t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.steps += 1
        self.latents = kwargs["latents"]
        return kwargs
