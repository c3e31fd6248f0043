"""Render one email (a kind, a locale, a sample) as HTML, text or the whole .eml message."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sender.event import EmailKind
from sendertools.commands import add_templates_option, failed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument("kind", choices=[k.value for k in EmailKind], help="the email kind")
    parser.add_argument("--locale", default="en", help="catalog locale (default en)")
    parser.add_argument("--sample", default="default", help="sample scenario (default 'default')")
    parser.add_argument(
        "--part",
        choices=("html", "text", "eml"),
        default="html",
        help="what to print (default html)",
    )
    parser.add_argument(
        "--brand",
        help="brand name (default: the one the Lambda would choose for the sample's client id)",
    )
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    add_templates_option(parser)


def run(args: argparse.Namespace) -> int:
    """Compose the sample through the Lambda's pipeline and print the part asked for."""
    from sender.errors import SenderError
    from sender.mime import to_bytes
    from sendertools.samples import Workbench

    try:
        wb = Workbench(args.templates)
        sample = wb.sample(EmailKind(args.kind), args.sample)
        composed = wb.compose(sample, args.locale, brand=args.brand)
    except (SenderError, KeyError) as err:
        return failed("render", err)
    if args.part == "eml":
        data = to_bytes(composed.message)
    else:
        body = composed.email.html if args.part == "html" else composed.email.text
        data = body.encode("utf-8")
    if args.out:
        args.out.write_bytes(data)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
