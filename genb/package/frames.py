"""A sequence run's frames as one run's samples, so ``genb package`` reads them like single images.

``genb render --frames T`` writes ``RUN/sequences/SSSSSS/samples/TTTTTT/`` (docs/render.md,
"Sequences"). :class:`SequenceFrames` is a :class:`~genb.core.run.RunFolder` whose sample
``s * T + t`` is frame ``t`` of sequence ``s``: every image format packages frames as samples
(``imgname`` ``images/<s*T+t>.png``, ``sample_index`` ``s*T+t``), optionally every k-th frame
(``--frame-step K``: frames ``t % K == 0``), and the video formats (:mod:`genb.package.video`)
regroup the rows into per-person tracks with the frame labels' ``sequence``/``frame``/``fps``.

Each sequence keeps its own enhanced images and checker decisions
(``sequences/SSSSSS/enhanced/noise-0.40/``, as ``genb enhance``/``genb check`` write them);
:func:`select_frames` selects per sequence and joins the selections.
"""

from __future__ import annotations

from pathlib import Path

from genb.core.records.run import RunManifest, read_manifest
from genb.core.run import RunFolder, is_sample_name
from genb.errors import GenbError
from genb.package.inputs import NothingSelected, Selection, select_samples
from genb.core.records.sequence import is_sequence_folder, is_sequence_run, read_sequence_record, read_sequences_manifest


def sequence_folders(root: Path) -> dict[int, Path]:
    """``{sequence index: folder}`` of a sequence run's complete-enough sequences (those with ``sequence.json``)."""
    base = root / "sequences"
    if not base.is_dir():
        return {}
    return {int(p.name): p for p in sorted(base.iterdir())
            if is_sample_name(p.name) and is_sequence_folder(p) and (p / "run.json").is_file()}


class SequenceFrames(RunFolder):
    """The frames of some sequences of a sequence run, as samples ``s * frames + t``.

    Args:
        root: the sequence run (``sequences.json``; its ``render.yaml`` is the run's record), or a
            lone sequence folder copied out of its run.
        folders: ``{sequence index: its folder}`` of the sequences to read.
        frames: frames per sequence (T) of the run.
        frame_step: package frames ``t`` with ``t % frame_step == 0`` only.
    """

    def __init__(self, root: str | Path, folders: dict[int, Path], frames: int, frame_step: int = 1):
        super().__init__(root)
        self.folders = dict(sorted(folders.items()))
        self.frames = int(frames)
        self.frame_step = int(frame_step)

    # the sequences
    def sequence_run(self, sequence: int) -> RunFolder:
        return RunFolder(self.folders[sequence])

    def locate(self, index: int) -> tuple[RunFolder, int]:
        """(the sequence's run folder, frame) of sample ``index``."""
        s, t = divmod(int(index), self.frames)
        if s not in self.folders:
            raise GenbError(f"sample {index} is frame {t} of sequence {s}, which is not in {self.root}",
                            "package the run whose sequences these are")
        return self.sequence_run(s), t

    def index(self, sequence: int, frame: int) -> int:
        return int(sequence) * self.frames + int(frame)

    # RunFolder, frame by frame
    def exists(self) -> bool:
        return bool(self.folders)

    def require(self) -> "SequenceFrames":
        if not self.folders:
            raise GenbError(f"{self.root} holds no rendered sequences", f"run `genb render {self.root} --frames T` first")
        _ = self.manifest
        return self

    @property
    def manifest(self) -> RunManifest:
        """The first sequence's ``run.json`` (body model, image size: the same for every sequence of a run)."""
        return read_manifest(next(iter(self.folders.values())) / "run.json")

    def sample_dir(self, index: int) -> Path:
        sub, t = self.locate(index)
        return sub.sample_dir(t)

    def sample_ids(self) -> list[int]:
        return [self.index(s, t) for s, folder in self.folders.items() for t in RunFolder(folder).sample_ids()]

    def enhanced_dir(self, noise: float) -> Path:
        """The first sequence's folder of that level (its ``enhance.yaml``/``check.yaml`` records stand for the
        run's: ``genb enhance``/``check`` on a sequence run give every sequence the same settings)."""
        return self.sequence_run(next(iter(self.folders))).enhanced_dir(noise)

    def stale_folders(self) -> list[Path]:
        return [p for s in self.folders for p in self.sequence_run(s).stale_folders()]


def holds_sequences(root: Path) -> bool:
    """A sequence run or one of its sequences (what ``genb package`` reads frame by frame)."""
    return is_sequence_run(root) or is_sequence_folder(root)


def open_frames(run: RunFolder | str | Path, frame_step: int = 1, crops: bool = False) -> RunFolder:
    """The run ``genb package`` reads: a :class:`SequenceFrames` for a sequence run (``sequences.json``) or one
    of its sequence folders (``sequence.json``), else the run folder itself.

    Raises GenbError for ``frame_step > 1`` on single images, and for ``crops`` on sequences (not built yet).
    """
    root = run.root if isinstance(run, RunFolder) else Path(run)
    if not holds_sequences(root):
        if frame_step != 1:
            raise GenbError(f"--frame-step {frame_step} needs a sequence run; {root} holds single images",
                            "drop --frame-step, or give a folder written by `genb render --frames T`")
        return run if isinstance(run, RunFolder) else RunFolder(root)
    if frame_step < 1:
        raise GenbError(f"--frame-step must be at least 1, got {frame_step}", "e.g. --frame-step 5")
    if crops:
        raise GenbError("--crops is not supported on sequence runs yet",
                        "package the full frames (drop --crops)")
    if is_sequence_run(root):
        return SequenceFrames(root, sequence_folders(root), read_sequences_manifest(root).frames, frame_step)
    record = read_sequence_record(root)
    parent = root.parent.parent
    top = parent if is_sequence_run(parent) else root  # a lone copied sequence is its own root
    return SequenceFrames(top, {record.index: root}, record.frames, frame_step)


def select_frames(view: SequenceFrames, noise: float, source: str, include_rejected: bool):
    """Every sequence's selection (:func:`genb.package.inputs.select_samples` on its folder, every
    ``frame_step``-th frame), joined as one :class:`~genb.package.inputs.Selection` of samples ``s * T + t``.

    A sequence with nothing to package (every frame rejected) adds nothing; errors that say a stage is
    missing (no enhanced images, no decisions) are raised as for one run.
    """
    view.require()
    if source == "auto":
        source = "render" if noise == 0 else "enhanced"
    ids, totals, checked, accepted = [], [0, 0], [], []
    for s in view.folders:
        try:
            sel = select_samples(view.sequence_run(s), noise, source, include_rejected, frame_step=view.frame_step)
        except NothingSelected:
            continue
        ids += [view.index(s, t) for t in sel.ids]
        totals[0] += sel.num_samples
        totals[1] += sel.num_candidates
        checked.append(sel.num_checked)
        accepted.append(sel.num_accepted)
    if not ids:
        raise GenbError(f"nothing to package in the {len(view.folders)} sequence(s) of {view.root} at noise {noise:.2f}"
                        + (f" (every {view.frame_step}th frame)" if view.frame_step > 1 else ""),
                        "render or enhance the sequences first, lower the noise, or pass --include-rejected")
    known = [c for c in checked if c is not None]
    return Selection(ids=sorted(ids), source=source, noise=noise,
                     num_samples=totals[0], num_candidates=totals[1],
                     num_checked=sum(known) if known else None,
                     num_accepted=sum(a for a in accepted if a is not None) if known else None,
                     include_rejected=include_rejected)
