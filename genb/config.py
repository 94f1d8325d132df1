"""Typed configs: dataclasses whose fields become CLI flags and YAML presets.

Each stage has one config dataclass. Every field has a docstring written under
it (nerfstudio style); that docstring is the flag's help text. A config is
resolved in three layers, later ones winning:

1. the dataclass defaults,
2. a YAML preset (``--preset NAME`` looks in ``configs/<stage>/NAME.yaml``, or
   takes a path to a YAML file),
3. the flags given on the command line.

The resolved config is saved next to the stage's outputs together with the
versions of the packages that made them.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import inspect
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from genb.errors import GenbError

REPO_CONFIGS = Path(__file__).resolve().parent.parent / "configs"

@functools.lru_cache(maxsize=None)
def field_docs(cls: type) -> dict[str, str]:
    """The docstring written under each field of a dataclass, by field name."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body  # type: ignore[attr-defined]
        for node, nxt in zip(body, body[1:]):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _literal_choices(annotation: Any) -> tuple[Any, ...]:
    """The allowed values of a ``Literal[...]`` annotation (also inside ``Optional``), else ()."""
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if typing.get_origin(arg) is typing.Literal:
                return typing.get_args(arg)
    return ()


def _choices(cls: type, name: str, annotation: Any) -> tuple[Any, ...]:
    """A field's allowed values: its ``Literal[...]``, or ``metadata={"choices": fn}`` (``fn()``, read live:
    a registry's names)."""
    literal = _literal_choices(annotation)
    if literal:
        return literal
    field = {f.name: f for f in dataclasses.fields(cls)}.get(name)
    fn = field.metadata.get("choices") if field is not None else None
    return tuple(fn()) if fn is not None else ()


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """(inner type, is_sequence) of an annotation such as ``tuple[float, float] | None``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _base_type(args[0])
    if origin in (tuple, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return (args[0] if args else str), True
    if origin is typing.Literal:
        return str, False
    return annotation, False


def _fixed_length(annotation: Any) -> int | None:
    """n for ``tuple[X, X, ...n]`` (also inside ``Optional``), None for variable-length sequences and scalars."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _fixed_length(args[0]) if len(args) == 1 else None
    if origin is tuple:
        args = typing.get_args(annotation)
        return None if Ellipsis in args or not args else len(args)
    return None


def _check_length(values: tuple, length: int | None, name: str) -> tuple:
    if length is not None and len(values) != length:
        example = ",".join(["256", "192"] if length == 2 else ["1"] * length)
        raise GenbError(f"{_flag(name)} takes {length} comma-separated values, got {len(values)}",
                        f"e.g. {_flag(name)} {example}")
    return values


def _parse_value(text: str, kind: Any, sequence: bool, name: str, length: int | None = None) -> Any:
    def one(t: str) -> Any:
        t = t.strip()
        if kind is bool:
            if t.lower() in ("1", "true", "yes", "on"):
                return True
            if t.lower() in ("0", "false", "no", "off"):
                return False
            raise GenbError(f"{_flag(name)} takes true or false, got {t!r}", f"e.g. {_flag(name)} true")
        try:
            return kind(t)
        except (TypeError, ValueError):
            example = {int: "10", float: "0.5"}.get(kind)
            raise GenbError(
                f"{_flag(name)} takes {getattr(kind, '__name__', kind)} values, got {t!r}",
                f"e.g. {_flag(name)} {example}" if example else f"see `genb --help` for {_flag(name)}",
            ) from None

    if sequence:
        return _check_length(tuple(one(t) for t in text.split(",") if t.strip()), length, name)
    return one(text)


def add_config_arguments(parser: argparse.ArgumentParser, cls: type, skip: tuple[str, ...] = ()) -> None:
    """Add one ``--flag`` per field of ``cls`` (help text from the field docstring).

    Flags default to ``None`` so that :func:`resolve_config` can tell which were
    given; the help shows the dataclass default.
    """
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    group = parser.add_argument_group(f"{cls.__name__} options")
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        kind, sequence = _base_type(hints[f.name])
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None  # type: ignore[misc]
        )
        shown = ",".join(map(str, default)) if isinstance(default, (tuple, list)) else default
        help_text = docs.get(f.name, "") + f" (default: {shown})"
        choices = _choices(cls, f.name, hints[f.name])
        if choices:
            help_text += f" [{' | '.join(map(str, choices))}]"
        if kind is bool and not sequence:
            group.add_argument(
                _flag(f.name), dest=f.name, default=None,
                action=argparse.BooleanOptionalAction, help=help_text,
            )
        else:
            group.add_argument(
                _flag(f.name), dest=f.name, default=None, metavar=f.name.upper(),
                type=functools.partial(_parse_value, kind=kind, sequence=sequence, name=f.name,
                                       length=_fixed_length(hints[f.name])),
                help=help_text,
            )


def find_preset(stage: str, preset: str | Path) -> Path:
    """The YAML file of a preset: a path, or a name under ``configs/<stage>/``."""
    path = Path(preset)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise GenbError(f"preset file {path} does not exist", "give the path to a YAML file, or a preset name")
        return path
    for root in _config_roots():
        candidate = root / stage / f"{preset}.yaml"
        if candidate.is_file():
            return candidate
    known = sorted({p.stem for root in _config_roots() for p in (root / stage).glob("*.yaml")})
    raise GenbError(
        f"unknown {stage} preset {preset!r}",
        f"use one of: {', '.join(known) or '(none shipped)'}, or a path to a YAML file",
    )


def _config_roots() -> list[Path]:
    """``configs/`` of a checkout, then ``genb/configs`` of an installed wheel."""
    installed = Path(__file__).resolve().parent / "configs"
    return [root for root in (REPO_CONFIGS, installed) if root.is_dir()]


def _coerce(cls: type, name: str, value: Any) -> Any:
    hints = typing.get_type_hints(cls)
    kind, sequence = _base_type(hints[name])
    if value is None:
        return None
    choices = _choices(cls, name, hints[name])
    if choices and value not in choices:
        raise GenbError(f"{_flag(name)} must be one of {', '.join(map(str, choices))}, got {value!r}",
                        f"e.g. {_flag(name)} {choices[0]}")
    if sequence:
        length = _fixed_length(hints[name])
        if isinstance(value, str):
            return _parse_value(value, kind, True, name, length)
        if not isinstance(value, (list, tuple)):
            value = [value]
        return _check_length(tuple(_parse_value(str(v), kind, False, name) if kind is not str else str(v)
                                   for v in value), length, name)
    if kind is bool and isinstance(value, bool):
        return value
    if kind in (int, float, str, bool):
        return _parse_value(str(value), kind, False, name)
    return value


def read_user_yaml(path: str | Path, what: str, fix: str) -> Any:
    """A YAML file a user wrote (preset, wardrobe, prompt template), parsed; one :class:`GenbError` if unreadable.

    Args:
        path: the file.
        what: how the message names it (``"preset"``, ``"wardrobe"``, ...).
        fix: what to do about a syntax error.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise GenbError(f"{what} {path} cannot be read ({e.strerror or type(e).__name__})",
                        "check the path and its permissions") from None
    except UnicodeDecodeError as e:
        line = path.read_bytes()[:e.start].count(b"\n") + 1
        raise GenbError(f"{what} {path} is not UTF-8 text (byte 0x{e.object[e.start]:02x} at line {line})",
                        "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`), or fix that line") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise GenbError(f"{what} {path} is not valid plain YAML ({first}{where})", fix) from None


def resolve_config(cls: type, stage: str, preset: str | Path | None = None, overrides: dict[str, Any] | None = None):
    """Defaults, then the preset, then the overrides; validated with ``cls.validate()`` if it has one."""
    values: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(cls)}
    if preset:
        path = find_preset(stage, preset)
        data = read_user_yaml(path, "preset", "fix the file's syntax (genb reads plain YAML: no tags)") or {}
        if not isinstance(data, dict):
            raise GenbError(f"preset {path} must be a mapping of option names to values")
        unknown = sorted(set(data) - names)
        if unknown:
            raise GenbError(
                f"preset {path} has unknown options: {', '.join(unknown)}",
                f"valid options are: {', '.join(sorted(names))}",
            )
        values.update({k: _coerce(cls, k, v) for k, v in data.items()})
    for k, v in (overrides or {}).items():
        if k in names and v is not None:
            values[k] = _coerce(cls, k, v)
    cfg = cls(**values)
    if hasattr(cfg, "validate"):
        cfg.validate()
    return cfg


def config_from_args(cls: type, stage: str, args: argparse.Namespace):
    """Resolve ``cls`` from a parsed namespace that has ``preset`` and one attribute per field."""
    return resolve_config(cls, stage, getattr(args, "preset", None), vars(args))
