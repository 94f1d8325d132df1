"""Noise warping: the initial diffusion noise of frame t+1 is frame t's, carried along the exact flow.

On a sequence run (``RUN/sequences/NNNNNN``, whose frames hold ``flow.npz``), ``genb enhance``
gives every frame initial latent noise from one chain: frame 0's is drawn from
(seed, sequence); frame t+1's is frame t's noise moved cell by cell along the flow (each latent
cell goes to the cell its pixels land in; the last writer wins in scan order), and every cell
nothing lands in (disoccluded, entering the frame) gets fresh noise drawn from (seed, sequence,
t+1). Each cell is a copy of one standard normal draw or a fresh one, so the noise stays
independent standard normal per cell while the same surface keeps the same noise from frame to
frame. (A nearest-cell transport: simpler than the distribution-preserving integral noise of
"How I Warped Your Noise"; sub-cell motion snaps to whole cells.)

The chain depends only on the flows and the seeds, never on which frames a rank enhances or
what is already done, so batches, ranks and resume work as for single images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genb.core.run import RunFolder
from genb.core.seeds import sample_rng
from genb.core.records.sequence import FLOW_FILE, is_sequence_folder, is_sequence_run as _is_run_root, read_sequence_record



def is_sequence_run(run: RunFolder) -> bool:
    """True for a sequence's folder whose frames carry flows (``genb render --frames``)."""
    return is_sequence_folder(run.root)


def carry_noise(noise: np.ndarray, flow: np.ndarray, valid: np.ndarray, factor: int, fresh: np.ndarray) -> np.ndarray:
    """The next frame's noise: ``noise`` moved along the pixel flow on its latent grid.

    Args:
        noise: (C, h, w) this frame's latent noise (the grid may be padded beyond the image).
        flow: (H, W, 2) forward flow of this frame, pixels; valid: (H, W) bool.
        factor: pixels per latent cell (the VAE's scale factor, 8).
        fresh: (C, h, w) standard normal noise for the cells nothing lands in.
    Returns:
        (C, h, w) the next frame's noise.
    """
    C, h, w = noise.shape
    H, W = valid.shape
    hc, wc = min(h, H // factor), min(w, W // factor)
    v = valid[: hc * factor, : wc * factor].reshape(hc, factor, wc, factor)
    count = v.sum(axis=(1, 3))
    ys, xs = np.mgrid[0 : hc * factor, 0 : wc * factor].astype(np.float64)
    tx = ((xs + flow[: hc * factor, : wc * factor, 0]).reshape(hc, factor, wc, factor) * v).sum(axis=(1, 3))
    ty = ((ys + flow[: hc * factor, : wc * factor, 1]).reshape(hc, factor, wc, factor) * v).sum(axis=(1, 3))
    moved = count * 2 >= factor * factor  # at least half the cell's pixels are tracked
    cx = np.rint((tx / np.maximum(count, 1) - (factor - 1) / 2) / factor).astype(np.int64)
    cy = np.rint((ty / np.maximum(count, 1) - (factor - 1) / 2) / factor).astype(np.int64)
    moved &= (cx >= 0) & (cx < wc) & (cy >= 0) & (cy < hc)
    out = fresh.copy()
    src_y, src_x = np.nonzero(moved)  # scan order: the last writer wins
    out[:, cy[src_y, src_x], cx[src_y, src_x]] = noise[:, src_y, src_x]
    return out


class NoiseWarper:
    """The warped noise of every frame of one sequence run; built lazily per latent shape.

    Args:
        run: the sequence's run folder. seed: the enhance seed.
        factor: pixels per latent cell.
    """

    def __init__(self, run: RunFolder, seed: int, factor: int = 8):
        self.run, self.seed, self.factor = run, seed, factor
        self.sequence = read_sequence_record(run.root).index
        self.frames = run.sample_ids()
        self._chains: dict[tuple[int, ...], dict[int, np.ndarray]] = {}

    def _draw(self, t: int, shape: tuple[int, ...]) -> np.ndarray:
        return sample_rng(self.seed, self.sequence * 1_000_003 + t, "noise-warp").standard_normal(shape).astype(np.float32)

    def chain(self, shape: tuple[int, ...]) -> dict[int, np.ndarray]:
        """Frame index -> (C, h, w) float32 noise, for every frame of the run."""
        shape = tuple(int(x) for x in shape)
        if shape not in self._chains:
            out: dict[int, np.ndarray] = {}
            prev = None
            for t in range(max(self.frames) + 1 if self.frames else 0):
                if prev is None:
                    out[t] = self._draw(t, shape)
                else:
                    flow = np.load(self.run.sample_dir(t - 1) / FLOW_FILE)
                    out[t] = carry_noise(out[t - 1], flow["flow"], flow["valid"], self.factor, self._draw(t, shape))
                prev = out[t]
            self._chains[shape] = out
        return self._chains[shape]

    def override(self, pipe: Any, batch: list[Any]):
        """Context manager: during one pipeline call, the scheduler's first ``add_noise`` takes this
        chain's noise for every whole frame of ``batch`` (inputs with their own seed, such as
        per-person crops, keep the generator's noise). The generator is still drawn from as before."""
        from genb.enhance.schedule import wrapped_add_noise

        state = {"first": True}

        def warp_on(original):  # over another hook's (the region hold's spy), which stays in place
            def add_noise(samples, noise, timesteps):
                import torch

                if state["first"]:
                    state["first"] = False
                    noise = noise.clone()
                    chain = self.chain(tuple(noise.shape[1:]))
                    for k, s in enumerate(batch):
                        if getattr(s, "torch_seed", None) is None and s.index in chain:
                            noise[k] = torch.from_numpy(chain[s.index]).to(noise.device, noise.dtype)
                return original(samples, noise, timesteps)
            return add_noise

        return wrapped_add_noise(pipe.scheduler, warp_on)


def sequence_flicker(run: RunFolder, image_of) -> dict[str, Any]:
    """Flicker of a sequence: per consecutive pair the mean absolute difference (0..255) between
    frame t and frame t+1 warped back by the exact flow, over valid pixels.

    Args:
        image_of: frame index -> (H, W, 3) uint8 image (the render's, or an enhanced level's).
    Returns:
        ``{"per_frame": [...], "mean": float}``.
    """
    from genb.sequence.flow import flicker

    frames = run.sample_ids()
    per = []
    for t in frames[:-1]:
        if t + 1 not in frames:
            continue
        flow = np.load(run.sample_dir(t) / FLOW_FILE)
        per.append(flicker(image_of(t), image_of(t + 1), flow["flow"], flow["valid"]))
    finite = [x for x in per if np.isfinite(x)]
    return {"per_frame": per, "mean": float(np.mean(finite)) if finite else float("nan")}


def flicker_report(root: str | Path, noise: float) -> dict[str, Any]:
    """Flicker of the render and of the enhanced level ``noise`` for every sequence of a sequence
    run (only sequences whose every frame is enhanced); written as ``RUN/flicker-noise-<s>.json``."""
    from genb.core.io import atomic_write_json, read_image
    from genb.core.run import noise_name
    from genb.show.sequence import sequence_folders

    root = Path(root)
    out: dict[str, Any] = {"noise": noise, "unit": "mean |frame t - frame t+1 warped back by the exact flow|, "
                                                     "0..255, valid pixels", "sequences": {}}
    for folder in sequence_folders(root):
        run = RunFolder(folder)
        level = run.enhanced_dir(noise)
        if not all((level / f"{run.sample_name(t)}.png").is_file() for t in run.sample_ids()):
            continue
        render = sequence_flicker(run, lambda t: read_image(run.sample_dir(t) / "image.png"))["mean"]
        enhanced = sequence_flicker(run, lambda t: read_image(level / f"{run.sample_name(t)}.png"))["mean"]
        out["sequences"][folder.name] = {"render": render, "enhanced": enhanced}
    vals = list(out["sequences"].values())
    if vals:
        out["mean"] = {k: float(np.nanmean([v[k] for v in vals])) for k in ("render", "enhanced")}
    if _is_run_root(root):
        atomic_write_json(root / f"flicker-{noise_name(noise)}.json", out)
    return out
