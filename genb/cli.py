"""The ``genb`` command line: one subcommand per stage.

Each stage module provides ``add_arguments(parser)`` and ``run(args) -> int``;
they are imported only when their subcommand runs, so ``genb render`` never
imports diffusion code. A :class:`~genb.errors.GenbError` becomes one message
on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from genb import __version__
from genb.core.plugins import load_plugins
from genb.errors import GenbError

# subcommand -> (module, one-line help)
COMMANDS = {
    "render": ("genb.render.command", "render a run folder of samples with exact ground truth"),
    "show": ("genb.show.samples", "draw a contact sheet of samples with their ground truth overlaid"),
    "enhance": ("genb.enhance.stage", "re-render samples with a noise-conditioned ControlNet img2img"),
    "check": ("genb.check.stage", "measure drift of enhanced samples and accept or reject them"),
    "package": ("genb.package.stage", "write accepted samples for HPS trainers: BEDLAM, CameraHMR (+ hands), "
                "HumanData and genb npz, 4D-Humans/TokenHMR WebDataset shards, a dataset card"),
    "sweep": ("genb.sweep", "realism against accuracy across noise levels"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genb",
        description="Training data for 3D human pose and shape estimation with exact ground truth.",
    )
    parser.add_argument("--version", action="version", version=f"genb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    argv = sys.argv[1:]
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        # Only import the module whose arguments are needed (or all, for --help listings).
        if name in argv or not argv or argv[0] in ("-h", "--help"):
            try:
                importlib.import_module(module).add_arguments(p)
            except ModuleNotFoundError as e:
                if e.name and e.name.startswith("genb"):
                    p.set_defaults(_missing=str(e))
                else:
                    raise
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    command = next((a for a in sys.argv[1:] if a in COMMANDS), None)
    try:
        load_plugins()  # registrations of installed plugins (entry points "genb.plugins") come first
        parser = build_parser()
        args = parser.parse_args()  # a flag's bad value raises GenbError from its type function
        command = args.command
        if getattr(args, "_missing", None):
            print(f"genb {args.command}: not available in this install ({args._missing})", file=sys.stderr)
            return 2
        module = importlib.import_module(args._module)
        return int(module.run(args) or 0)
    except GenbError as e:
        print(f"genb {command or ''}: error: {e.problem}".replace("genb :", "genb:"), file=sys.stderr)
        if e.fix:
            print(f"  fix: {e.fix}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"genb {command}: interrupted; finished outputs are kept, run the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
