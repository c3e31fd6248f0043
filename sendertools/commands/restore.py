"""Put back a user pool configuration saved by attach, detach or restore (a backup file), read
the pool back and check it matches."""

from __future__ import annotations

import argparse
from pathlib import Path

from sendertools.commands import failed
from sendertools.commands.pooledit import add_edit_arguments, apply_plan, editor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument("file", type=Path, metavar="FILE", help="the backup file to put back")
    add_edit_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Read the backup, plan, show, save the current configuration, apply, verify."""
    from sendertools.awscall import AwsError
    from sendertools.pool import PoolError, read_backup

    try:
        saved = read_backup(args.file)
        arn = str(saved.get("Arn", "")).split(":")
        region = args.region or (arn[3] if len(arn) > 3 and arn[3] else None)
        pool_editor = editor(region)
        plan = pool_editor.plan_restore(saved)
    except (PoolError, AwsError) as err:
        return failed("restore", err)
    return apply_plan(pool_editor, plan, args, "restore")
