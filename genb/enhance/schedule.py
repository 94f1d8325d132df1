"""How many denoising steps img2img runs at a strength, and how to fix that number.

diffusers' img2img pipelines set up a schedule of ``num_inference_steps`` steps
and run only its last ``int(num_inference_steps * strength)`` (floor), starting
from the render noised to the first of them. These pure functions reproduce
that rule so the stage can record, choose and check the steps actually run.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable

from genb.errors import GenbError


def steps_run(num_inference_steps: int, strength: float) -> int:
    """Denoising steps an img2img pipeline runs: ``min(int(n * strength), n)`` (diffusers' rule)."""
    return min(int(num_inference_steps * strength), num_inference_steps)


def steps_for(target: int, strength: float, limit: int = 100_000) -> int:
    """The smallest ``num_inference_steps`` n with ``steps_run(n, strength) == target``.

    ``n`` is ``ceil(target / strength)``, corrected for float rounding of ``n * strength``.
    """
    if strength <= 0.0:
        raise GenbError(f"cannot run {target} steps at noise 0 (noise 0 runs no steps)",
                        "leave --steps-run unset for noise 0, or use a noise above 0")
    n = max(target, math.ceil(target / strength - 1e-9) - 1)
    while steps_run(n, strength) < target:
        n += 1
        if n > limit:
            raise GenbError(f"--steps-run {target} at noise {strength} would need over {limit} scheduler steps",
                            "use fewer steps or a higher noise")
    return n


def join_index(total_run: int, num_inference_steps: int, strength: float) -> int:
    """Loop index at which a region with ``strength`` starts denoising in a run of ``total_run`` steps.

    The pipeline runs at the largest strength; a region with a smaller one is held on the
    render (noised to the current timestep) for the first ``total_run - steps_run(n, strength)``
    steps, so it is denoised for exactly its own number of steps.
    """
    return total_run - steps_run(num_inference_steps, strength)


@contextlib.contextmanager
def wrapped_add_noise(scheduler: Any, wrap: Callable[[Callable], Callable]):
    """During the block, ``scheduler.add_noise`` is ``wrap(the add_noise in place)``: an instance
    attribute over the class's method, or over another hook's wrapper, which is put back after (the
    region hold's spy and the sequence's warped noise stack this way). Yields the scheduler."""
    had = "add_noise" in scheduler.__dict__
    previous = scheduler.add_noise
    scheduler.add_noise = wrap(previous)
    try:
        yield scheduler
    finally:
        if had:
            scheduler.add_noise = previous
        else:
            del scheduler.add_noise  # back to the class's method
