"""``cognito-sender``: the command line. Each verb is a module with ``add_arguments`` and
``run``; heavy imports happen inside ``run`` so ``--help`` stays instant."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

# verb -> module; a module documents itself through its docstring's first line.
COMMANDS: dict[str, str] = {
    "init": "sendertools.commands.init",
    "simulate": "sendertools.commands.simulate",
    "preview": "preview.command",
    "check": "sendertools.commands.check",
    "render": "sendertools.commands.render",
    "export": "sendertools.commands.export",
    "package": "sendertools.commands.package",
    "attach": "sendertools.commands.attach",
    "detach": "sendertools.commands.detach",
    "doctor": "sendertools.commands.doctor",
    "restore": "sendertools.commands.restore",
    "replay": "sendertools.commands.replay",
}


def _load(module: str) -> ModuleType:
    return importlib.import_module(module)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = argparse.ArgumentParser(
        prog="cognito-sender",
        description="Render, check, preview, simulate and deploy Cognito custom emails.",
    )
    subparsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, name in COMMANDS.items():
        module = _load(name)
        # The docstring's first paragraph, unwrapped, is the one-line help.
        doc = " ".join((module.__doc__ or verb).strip().split("\n\n")[0].split())
        sub = subparsers.add_parser(verb, help=doc, description=module.__doc__)
        module.add_arguments(sub)
        sub.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    status = args._module.run(args)
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
