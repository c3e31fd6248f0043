"""What the pool-editing verbs (attach, detach, restore) share: options, clients, and showing,
saving and applying a plan."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sendertools.commands import failed

if TYPE_CHECKING:
    from sendertools.pool import Plan, PoolEditor


def add_edit_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every pool-editing verb takes besides the pool."""
    parser.add_argument(
        "--dry-run", action="store_true", help="print the change and stop before updating"
    )
    parser.add_argument(
        "--backup",
        type=Path,
        metavar="FILE",
        help="save the pool's configuration before the update to FILE "
        "(default: cognito-pool-<id>-<UTC time>.json in the current folder)",
    )
    parser.add_argument("--region", help="AWS region (default: the usual boto3 resolution)")


def add_pool_arguments(parser: argparse.ArgumentParser) -> None:
    """``--user-pool-id`` and the editing options."""
    parser.add_argument("--user-pool-id", required=True, help="e.g. eu-west-1_AbCdEf123")
    add_edit_arguments(parser)


def editor(region: str | None) -> PoolEditor:
    """A pool editor with clients from the usual boto3 configuration."""
    import boto3

    from sendertools.pool import PoolEditor

    session = boto3.session.Session(region_name=region)
    return PoolEditor(
        session.client("cognito-idp"), session.client("lambda"), session.client("kms")
    )


def apply_plan(pool_editor: PoolEditor, plan: Plan, args: argparse.Namespace, verb: str) -> int:
    """Print the diff; unless a dry run, save a backup, update and verify (rolled back on an
    unintended change). Returns the exit status."""
    from sendertools.awscall import AwsError
    from sendertools.pool import PoolError, default_backup_path, write_backup

    changes = plan.changes
    print(f"user pool {plan.user_pool_id}: {len(changes)} change(s), {plan.kept} kept")
    for change in changes:
        print(f"  {change}")
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.dry_run:
        print("dry run: the pool was not changed")
        return 0
    if not changes:
        print("nothing to change: the pool is already configured so")
        return 0
    try:
        backup = write_backup(plan.before, args.backup or default_backup_path(plan.user_pool_id))
    except OSError as err:
        return failed(verb, f"cannot save the backup, so the pool was not changed: {err}")
    print(
        f"previous configuration saved to {backup} (put it back: cognito-sender restore {backup})"
    )
    try:
        pool_editor.apply(plan)
    except (PoolError, AwsError) as err:
        return failed(verb, f"{err}\n(backup of the previous configuration: {backup})")
    print(f"updated and verified: only {', '.join(sorted({c.path for c in changes}))} changed")
    return 0
