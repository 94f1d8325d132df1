"""Which samples of a run are packaged, and where their images are."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from genb.core.records.check import read_decisions
from genb.core.run import RunFolder, is_sample_name
from genb.errors import GenbError


@dataclasses.dataclass
class Selection:
    """The samples one ``genb package`` call packages.

    Attributes:
        ids: sample indices to package, sorted.
        source: ``"render"`` (the renders) or ``"enhanced"`` (the enhanced images).
        noise: the noise level.
        num_samples: complete samples in the run.
        num_candidates: samples with an image of this source.
        num_checked: samples with a checker decision (None: no decisions used).
        num_accepted: of which accepted (None: no decisions used).
        include_rejected: whether rejected samples were packaged too.
    """

    ids: list[int]
    source: str
    noise: float
    num_samples: int
    num_candidates: int
    num_checked: int | None
    num_accepted: int | None
    include_rejected: bool

    @property
    def acceptance_rate(self) -> float | None:
        if not self.num_checked:
            return None
        return self.num_accepted / self.num_checked


class NothingSelected(GenbError):
    """Nothing of the run is left to package (no images of the source, or the checker accepted none)."""


def image_path(run: RunFolder, index: int, source: str, noise: float) -> Path:
    """The image file packaged for sample ``index``."""
    if hasattr(run, "locate"):  # a sequence run's frames (genb.package.frames.SequenceFrames)
        sub, frame = run.locate(index)
        return image_path(sub, frame, source, noise)
    if source == "render":
        return run.sample_dir(index) / "image.png"
    return run.enhanced_dir(noise) / f"{run.sample_name(index)}.png"


def select_samples(run: RunFolder, noise: float, source: str = "auto", include_rejected: bool = False,
                   frame_step: int = 1) -> Selection:
    """The samples to package: the checker's accepted ones, or every one with ``include_rejected``.

    ``frame_step``: only samples ``i % frame_step == 0`` (one sequence's frames). A sequence run's
    frames (:class:`genb.package.frames.SequenceFrames`) are selected sequence by sequence by
    :func:`genb.package.frames.select_frames`, which calls this on each sequence.

    Raises a :class:`GenbError` naming the missing stage when the images or the
    decisions for ``noise`` do not exist, or when nothing would be packaged (:class:`NothingSelected`).
    """
    run.require()
    if source == "auto":
        source = "render" if noise == 0 else "enhanced"
    samples = run.sample_ids()
    if not samples:
        raise GenbError(f"{run.root} holds no rendered samples", f"run `genb render {run.root}` first")
    if source == "enhanced":
        folder = run.enhanced_dir(noise)
        if not folder.is_dir():
            raise GenbError(f"no enhanced images for noise {noise:.2f} ({folder} does not exist)",
                            f"run `genb enhance {run.root} --noise {noise}` first, or package the renders with --noise 0")
        done = set(samples)
        # an enhanced image counts once its provenance record exists (written last: the sample is done)
        candidates = sorted(int(p.stem) for p in folder.glob("*.png") if is_sample_name(p.stem) and int(p.stem) in done
                            and p.with_suffix(".json").is_file())
    else:
        candidates = samples
    candidates = [i for i in candidates if i % frame_step == 0]
    if not candidates:
        raise NothingSelected(f"no {source} images to package in {run.root} at noise {noise:.2f}",
                        f"run `genb enhance {run.root} --noise {noise}` first")

    check_dir = run.check_dir(noise)
    decisions = {i: ok for i, ok in read_decisions(check_dir).items() if i % frame_step == 0}
    needs_check = noise > 0 and not include_rejected
    if needs_check and not decisions:
        raise GenbError(
            f"no check results for noise {noise:.2f} (nothing in {check_dir})",
            f"run `genb check {run.root} --noise {noise}` first, or pass --include-rejected to package "
            "every enhanced sample without the checker's decisions",
        )
    if decisions and not include_rejected:
        candidate_set = set(candidates)
        missing = sorted(i for i, ok in decisions.items() if ok and i not in candidate_set)
        if missing:
            raise GenbError(
                f"{len(missing)} accepted sample(s) have no {source} image (first: {missing[0]})",
                f"re-run the stage that writes {image_path(run, missing[0], source, noise).parent} "
                "(it resumes and only writes missing files)",
            )
        ids = sorted(i for i in candidates if decisions.get(i, False))
    else:
        ids = list(candidates)
    if not ids:
        raise NothingSelected(
            f"the checker accepted none of the {len(decisions)} samples at noise {noise:.2f}",
            "lower the noise, loosen the checker's thresholds, or pass --include-rejected",
        )
    checked = len(decisions) if decisions else None
    return Selection(
        ids=ids, source=source, noise=noise, num_samples=len(samples), num_candidates=len(candidates),
        num_checked=checked, num_accepted=sum(decisions.values()) if decisions else None,
        include_rejected=include_rejected,
    )


__all__ = ["Selection", "select_samples", "read_decisions", "image_path", "NothingSelected"]
