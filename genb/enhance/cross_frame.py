"""Cross-frame attention: a sequence's frames attend to a key frame's keys and values too.

With ``genb enhance --cross-frame-attention`` on a sequence's frames (``genb render --frames``),
every frame but the key frame (the sequence's first) goes through the pipeline in a call of
batch 2, ``[key frame, frame]``. In each self-attention layer (``attn1`` of every transformer
block of the UNet and of the ControlNets) the key frame's row attends to its own tokens only,
as in a plain call, and the frame's row attends to its own tokens and the key frame's
(keys and values concatenated along the tokens), in the manner of Text2Video-Zero's cross-frame
attention (which replaces a frame's keys and values by the first frame's; here they are added,
so a frame keeps its own content where it differs from the key frame's).

Classifier-free guidance doubles the batch as ``[uncond key, uncond frame, cond key, cond frame]``,
so the processor reads the batch as consecutive ``[key, frame]`` pairs: each guidance half
attends within itself. The key frame's row never sees the frame, so it is the same in every
call; the key frame's own image is made by a plain call of batch 1, byte for byte what it is
without the option.
"""

from __future__ import annotations

import contextlib
from typing import Any

PAIR = 2
"""Rows per ``[key frame, frame]`` group in the batch of a cross-frame call."""


class KeyFrameAttnProcessor:
    """A diffusers attention processor for self-attention over ``[key, frame]`` pairs.

    Called by :class:`diffusers.models.attention_processor.Attention` with ``hidden_states``
    of shape (B, N, C), B a multiple of 2 (``[key, frame]`` pairs, one per guidance half).
    Row ``2j`` (key) attends to its own N tokens; row ``2j + 1`` (frame) to its own N tokens
    followed by row ``2j``'s N tokens. Returns (B, N, C).
    """

    def __call__(self, attn: Any, hidden_states: Any, encoder_hidden_states: Any = None, attention_mask: Any = None,
                 temb: Any = None, *args: Any, **kwargs: Any) -> Any:
        import torch
        import torch.nn.functional as F

        if (encoder_hidden_states is not None or attention_mask is not None or hidden_states.ndim != 3
                or attn.spatial_norm is not None or attn.group_norm is not None or hidden_states.shape[0] % PAIR):
            raise ValueError("KeyFrameAttnProcessor handles plain self-attention over [key, frame] pairs only")
        residual = hidden_states
        B, N, _ = hidden_states.shape
        heads = attn.heads

        def split(x: Any) -> Any:  # (B, N, heads * d) -> (B, heads, N, d)
            return x.view(B, -1, heads, x.shape[-1] // heads).transpose(1, 2)

        query, key, value = (split(attn.to_q(hidden_states)), split(attn.to_k(hidden_states)),
                             split(attn.to_v(hidden_states)))
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        keys, frames = slice(0, B, PAIR), slice(1, B, PAIR)
        out = torch.empty_like(query)
        out[keys] = F.scaled_dot_product_attention(query[keys], key[keys], value[keys])
        out[frames] = F.scaled_dot_product_attention(query[frames], torch.cat([key[frames], key[keys]], dim=2),
                                                     torch.cat([value[frames], value[keys]], dim=2))
        hidden_states = out.transpose(1, 2).reshape(B, N, -1).to(query.dtype)
        hidden_states = attn.to_out[1](attn.to_out[0](hidden_states))
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


def _models(pipe: Any) -> list[Any]:
    """The UNet and every ControlNet of ``pipe`` (a Multi-ControlNet's nets one by one)."""
    nets = getattr(pipe.controlnet, "nets", None) if getattr(pipe, "controlnet", None) is not None else None
    return [pipe.unet] + (list(nets) if nets is not None else [pipe.controlnet] if getattr(pipe, "controlnet", None)
                          is not None else [])


@contextlib.contextmanager
def key_frame_attention(pipe: Any):
    """Context manager: during a pipeline call whose batch is ``[key, frame]`` (per guidance half),
    every ``attn1`` (self-attention) of the UNet and ControlNets uses :class:`KeyFrameAttnProcessor`;
    the processors in place before are put back after (the loaded pipeline is shared)."""
    processor = KeyFrameAttnProcessor()
    saved = []
    for model in _models(pipe):
        before = dict(model.attn_processors)
        saved.append((model, before))
        model.set_attn_processor({name: processor if name.endswith("attn1.processor") else p
                                  for name, p in before.items()})
    try:
        yield
    finally:
        for model, before in saved:
            model.set_attn_processor(before)
