"""The CLI's verbs, one module each, and the options and error output they share."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sender.config import DEFAULT_TEMPLATES_DIR


def add_templates_option(parser: argparse.ArgumentParser) -> None:
    """``--templates DIR``: the templates folder a verb works on."""
    parser.add_argument(
        "--templates",
        type=Path,
        default=DEFAULT_TEMPLATES_DIR,
        metavar="DIR",
        help="templates folder (default: the project's templates/)",
    )


def failed(verb: str, error: object) -> int:
    """Say on stderr why ``verb`` stopped; the exit status of a failure."""
    print(f"cognito-sender {verb}: {error}", file=sys.stderr)
    return 1
