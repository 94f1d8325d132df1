"""The resume rule: outputs made with other settings, or from other input files, are never mixed.

A stage's saved record (``render.yaml``, ``enhance.yaml`` ...) holds its ``config`` and the
content digests of its ``inputs``; :func:`guard_settings` compares them with the new command
(:func:`genb.core.runner.run_stage` calls it before anything is loaded or written).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from genb.core import io
from genb.errors import GenbError


def flag_of(field: str) -> str:
    """The command-line flag of a config field: ``smplx_dir`` -> ``--smplx-dir``."""
    return "--" + field.replace("_", "-")


def _as_flag(field: str, value: Any) -> str:
    """``field = value`` as the flag a user would type (``--image-size 256,192``, ``--no-shadows``)."""
    if isinstance(value, bool):
        return flag_of(field) if value else "--no-" + field.replace("_", "-")
    if value is None:
        return f"{flag_of(field)} (unset)"
    if isinstance(value, (list, tuple)):
        value = ",".join(map(str, value))
    return f"{flag_of(field)} {value}"


def _value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return "unset" if value is None else str(value)


def guard_settings(path: str | Path, new: dict[str, Any], keep: Iterable[str] = (), outputs_exist: bool = False,
                   stage: str = "stage", inputs: dict[str, str] | None = None, redo_flag: str | None = None) -> None:
    """The one resume rule: refuse outputs made with other settings, or from other input files, than now.

    Args:
        path: the stage's saved record (``render.yaml``, ``enhance.yaml`` ...), holding ``config``
            and ``inputs``.
        new: the new config as a plain dict (:func:`genb.config.to_dict`).
        keep: fields that may differ between invocations (workers, threads, limit ...).
        outputs_exist: True when the folder already holds outputs (then a missing record is an error).
        stage: the stage's name, for messages.
        inputs: content digests of the files that shape an output (:func:`digest_files`), by
            the config field that names them (``wardrobe``) or by what they are (``selection``).
        redo_flag: the flag that redoes every output with the new settings (check's ``--redo``),
            offered as the fix; None when the fix is a new folder or the old settings.

    A refusal names each changed flag with its old and new value and the command-line
    that resumes (the old values), or the flag that redoes.
    """
    path = Path(path)
    if not path.is_file():
        if outputs_exist:
            raise GenbError(
                f"{path.parent} holds outputs of `genb {stage}` but no {path.name} saying how they were made",
                f"move that folder away to start over, or restore {path.name}",
            )
        return
    record = io.read_yaml_record(path)
    old, old_inputs = record.get("config"), record.get("inputs") or {}
    if not isinstance(old, dict) or not isinstance(old_inputs, dict):
        raise GenbError(f"{path} is corrupt: it has no config mapping",
                        f"restore it, or move {path.parent} away to start over")
    keep = set(keep)
    changed = sorted(k for k, v in new.items() if k not in keep and k in old and old[k] != v)
    files = sorted(k for k, v in (inputs or {}).items() if k in old_inputs and old_inputs[k] != v)
    if not changed and not files:
        return
    said = [f"{flag_of(k)} was {_value(old[k])}, now {_value(new[k])}" for k in changed]
    said += [f"the content of the files of {flag_of(k)} changed" if k in new else f"{k} changed" for k in files]
    problem = (f"{path.parent} was made by `genb {stage}` with different settings: {'; '.join(said)}; "
               "resuming would mix two datasets")
    repeat = " ".join(_as_flag(k, old[k]) for k in changed)
    if redo_flag:
        fix = f"add {redo_flag} to redo every output with the new settings" + (
            f", or repeat the original settings ({repeat})" if repeat else "")
    elif changed:
        fix = f"repeat the original settings ({repeat}) to resume, or write into a new folder"
    else:
        fix = "restore the original files to resume, or write into a new folder"
    if files:
        fix += f" (the record of what was used: {path})"
    raise GenbError(problem, fix)


def digest_files(paths: Iterable[str | Path], root: str | Path | None = None) -> str:
    """A content digest of files (sha256 over their names relative to ``root`` and their bytes).

    Folders count as every file under them. Used by the settings guard so that a resume
    notices an edited wardrobe, an environment map added to a folder, a changed preset.
    """
    h = hashlib.sha256()
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith(".")))
        elif p.is_file():
            files.append(p)
    for f in files:
        name = str(f.relative_to(root)) if root is not None and f.is_relative_to(root) else f.name
        h.update(name.encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()[:20]
