"""Quieting the diffusion libraries (shared by the model loader and the tiny pipeline's builder)."""

from __future__ import annotations


def quiet_libraries() -> None:
    """Silence the libraries' per-call chatter (progress bars, 'N ControlNets and N prompts')."""
    import diffusers
    import transformers

    diffusers.utils.logging.set_verbosity_error()
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except ImportError:
        pass
