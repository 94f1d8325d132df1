"""Flicker in ``genb check`` and ``genb sweep``: a sequence is accepted or rejected whole.

Flicker is the mean absolute difference (0..255) between frame t and frame t+1 warped back by
the exact flow, over the flow's valid (non-occluded) pixels, averaged over every consecutive
pair of enhanced frames (:func:`genb.sequence.flow.flicker`). ``genb check`` on a sequence
(``RUN`` with ``sequences.json``, or one ``RUN/sequences/NNNNNN``) checks the frames as samples,
then :func:`gate_sequence` measures the enhanced sequence's flicker and, past ``max_flicker``,
rejects every frame of it: each frame's check record keeps its own scores and gets
``accepted = false`` with the reason ``sequence flicker 7.31 > max_flicker 6``, so packaging
drops the whole sequence. The gate is re-derived on every check (a frame's own decision comes
back from its people's statuses), so a new threshold re-decides without ``--redo``.

Files: ``RUN/sequences/NNNNNN/enhanced/noise-<s>/check/sequence.json`` (the sequence's flicker
and decision), ``RUN/check-noise-<s>.json`` (every sequence's, on a sequence run).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from genb.core.io import atomic_write_json, read_image
from genb.core.records.check import CheckRecord, read_check_records
from genb.core.run import RunFolder, noise_name, numbered
from genb.core.records.sequence import FLOW_FILE, is_sequence_folder

SEQUENCE_RECORD = "sequence.json"
REASON = "sequence flicker"
UNIT = "mean |frame t - frame t+1 warped back by the exact flow|, 0..255, valid pixels"


def is_sequence(run: RunFolder) -> bool:
    """True for one sequence's folder (``RUN/sequences/NNNNNN``: ``sequence.json``, frames with flows)."""
    return is_sequence_folder(run.root)


def level_flicker(run: RunFolder, noise: float) -> dict[str, Any]:
    """Flicker of the render and of the enhanced level ``noise`` over the consecutive frame pairs
    whose both frames are enhanced.

    Returns:
        ``{"render", "enhanced"}``: means over pairs (NaN when no pair), ``"pairs"``: how many,
        ``"per_pair"``: ``[[t, render, enhanced], ...]``.
    """
    from genb.sequence.flow import flicker

    level = run.enhanced_dir(noise)
    done = set(numbered(level, ".png"))
    per_pair = []
    for t in sorted(done):
        if t + 1 not in done or not (run.sample_dir(t) / FLOW_FILE).is_file():
            continue
        with np.load(run.sample_dir(t) / FLOW_FILE) as f:
            flow, valid = f["flow"], f["valid"]
        render = flicker(run.image(t), run.image(t + 1), flow, valid)
        enhanced = flicker(read_image(level / f"{run.sample_name(t)}.png"),
                           read_image(level / f"{run.sample_name(t + 1)}.png"), flow, valid)
        per_pair.append([int(t), render, enhanced])

    def mean(k: int) -> float:
        vals = [p[k] for p in per_pair if math.isfinite(p[k])]
        return float(np.mean(vals)) if vals else float("nan")

    return {"render": mean(1), "enhanced": mean(2), "pairs": len(per_pair), "per_pair": per_pair}


def sequence_decision(flick: dict[str, Any], max_flicker: float) -> tuple[bool, str | None]:
    """(accepted, reason): rejected when the enhanced flicker exceeds ``max_flicker`` (inf: off);
    a sequence with no measurable pair is accepted (its frames' own decisions stand)."""
    value = flick["enhanced"]
    if math.isinf(max_flicker) or not math.isfinite(value) or value <= max_flicker:
        return True, None
    return False, (f"{REASON} {value:.2f} > max_flicker {max_flicker:g} "
                   f"(render {flick['render']:.2f}; {UNIT}, {flick['pairs']} pairs)")


def _frame_own_decision(record: CheckRecord, cfg: Any) -> tuple[bool, list[str]]:
    """A frame's decision from its own people (any earlier sequence verdict removed)."""
    from genb.check import decide

    reasons = [r for r in record.reasons if not r.startswith(REASON)]
    own, _ = decide.decide_sample(record.people, cfg)
    return own, reasons


def gate_sequence(run: RunFolder, cfg: Any) -> dict[str, Any]:
    """Measure one sequence's enhanced flicker at ``cfg.noise``, decide against ``cfg.max_flicker``,
    rewrite the frames' check records that change, write ``check/sequence.json``; returns its content."""
    noise, limit = float(cfg.noise), float(cfg.max_flicker)
    flick = level_flicker(run, noise)
    accepted, reason = sequence_decision(flick, limit)
    check_dir = run.check_dir(noise)
    frames_accepted = 0
    for record in read_check_records(check_dir):
        own, reasons = _frame_own_decision(record, cfg)
        now = own and accepted
        reasons = reasons + ([reason] if not accepted else [])
        if now != record.accepted or reasons != record.reasons:
            record.accepted, record.reasons = now, reasons
            record.thresholds = {**record.thresholds, "max_flicker": limit}
            record.write(check_dir / f"{run.sample_name(record.sample)}.json")
        frames_accepted += int(now)
    out = {"noise": noise, "accepted": accepted, "reason": reason, "max_flicker": limit,
           "flicker": {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in flick.items()},
           "unit": UNIT, "frames_accepted": frames_accepted}
    if check_dir.is_dir():
        atomic_write_json(check_dir / SEQUENCE_RECORD, out)
    return out


def run_summary(root: str | Path, noise: float) -> dict[str, Any]:
    """``RUN/check-noise-<s>.json`` of a sequence run: every checked sequence's flicker and decision."""
    from genb.show.sequence import sequence_folders

    root = Path(root)
    seqs: dict[str, Any] = {}
    for folder in sequence_folders(root):
        path = RunFolder(folder).check_dir(noise) / SEQUENCE_RECORD
        if path.is_file():
            import json

            seqs[folder.name] = json.loads(path.read_text())
    out = {"noise": noise, "unit": UNIT, "num_sequences": len(seqs),
           "num_accepted": sum(bool(s["accepted"]) for s in seqs.values()),
           "rejected": {k: s["reason"] for k, s in seqs.items() if not s["accepted"]},
           "sequences": seqs}
    atomic_write_json(root / f"check-{noise_name(noise)}.json", out)
    return out


def flicker_columns(run: RunFolder, noise: float) -> dict[str, float]:
    """The sweep's flicker columns of one level (empty for a run that is not a sequence):
    ``flicker`` (enhanced) and ``flicker_render``, both in 0..255."""
    if not is_sequence(run):
        return {}
    f = level_flicker(run, noise)
    return {"flicker": f["enhanced"], "flicker_render": f["render"]}


def flicker_markdown(rows: list[dict[str, Any]]) -> str:
    """Lines appended to sweep.md on a sequence: flicker per level (empty otherwise)."""
    if not any("flicker" in r for r in rows):
        return ""
    lines = ["", f"Flicker per level ({UNIT}); the render's own flicker in brackets:", ""]
    for r in rows:
        lines.append(f"- noise {r['noise']:.2f}: {r.get('flicker', float('nan')):.2f} "
                     f"({r.get('flicker_render', float('nan')):.2f})")
    return "\n".join(lines) + "\n"


def check_sequences(root: Path, cfg: Any, run_check) -> int:
    """``genb check RUN`` on a sequence run: check every enhanced sequence (frames as samples, then the
    flicker gate), write ``RUN/check-noise-<s>.json``, print the tally; returns the exit code."""
    from genb.core.log import get_logger
    from genb.errors import GenbError
    from genb.show.sequence import sequence_folders

    logger = get_logger(__name__)
    folders = [f for f in sequence_folders(root) if numbered(RunFolder(f).enhanced_dir(cfg.noise), ".png")]
    if not folders:
        raise GenbError(f"no enhanced frames at noise {cfg.noise:.2f} in any sequence of {root}",
                        f"run `genb enhance {root} --noise {cfg.noise}` first (or give the --noise it used)")
    frames = accepted = 0
    for folder in folders:
        summary = run_check(RunFolder(folder), cfg)
        frames, accepted = frames + summary.num_checked, accepted + summary.num_accepted
    out = run_summary(root, cfg.noise)
    for name, why in out["rejected"].items():
        logger.info("sequence %s rejected: %s", name, why)
    print(f"noise {cfg.noise:.2f}: accepted {out['num_accepted']}/{out['num_sequences']} sequences, "
          f"{accepted}/{frames} frames -> {root / ('check-' + noise_name(cfg.noise) + '.json')}")
    return 0
