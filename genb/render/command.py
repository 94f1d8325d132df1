"""The `genb render` command: single images (:mod:`genb.render.stage`) or, with ``--frames``,
sequences (:mod:`genb.sequence.stage`). Kept apart from both stages so neither imports the other's
command line (the sequence stage builds on the render stage, never the other way)."""

from __future__ import annotations

import argparse
from pathlib import Path

from genb.config import add_config_arguments, config_from_args
from genb.errors import GenbError
from genb.render.config import RenderConfig
from genb.render.run import run_render
from genb.sequence.stage import SequenceConfig, add_sequence_arguments, run_sequences


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="RUN", help="run folder to write (created; an existing one is resumed)")
    parser.add_argument("--preset", help="a preset of configs/render/ (bedlam, demo, closeup, crowd) or a YAML file")
    add_config_arguments(parser, RenderConfig)
    add_sequence_arguments(parser)  # --frames, --fps ...: sequences (genb/sequence)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "frames", None):  # sequences of frames
        run_sequences(args.out, config_from_args(SequenceConfig, "render", args))
        return 0
    if (Path(args.out) / "sequences.json").is_file():
        raise GenbError(f"{args.out} holds sequences (genb render --frames)",
                        "repeat its --frames to resume it, or write single images into a new folder")
    run_render(args.out, config_from_args(RenderConfig, "render", args))
    return 0
