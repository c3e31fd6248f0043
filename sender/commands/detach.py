"""Remove the custom email sender from a user pool (and its KMSKeyID unless the custom SMS
sender uses it), keeping every other pool setting."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sender.commands import failed

if TYPE_CHECKING:
    from sender.pool import Plan, PoolEditor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    add_pool_arguments(parser)


def add_pool_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every pool-editing verb takes."""
    parser.add_argument("--user-pool-id", required=True, help="e.g. eu-west-1_AbCdEf123")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the change and stop before updating"
    )
    parser.add_argument("--region", help="AWS region (default: the usual boto3 resolution)")


def run(args: argparse.Namespace) -> int:
    """Plan, show, apply, verify."""
    from sender.pool import PoolError

    try:
        pool_editor = editor(args.region)
        plan = pool_editor.plan_detach(args.user_pool_id)
    except PoolError as err:
        return failed("detach", err)
    return apply_plan(pool_editor, plan, dry_run=args.dry_run, verb="detach")


def editor(region: str | None) -> PoolEditor:
    """A pool editor with clients from the usual boto3 configuration."""
    import boto3

    from sender.pool import PoolEditor

    session = boto3.session.Session(region_name=region)
    return PoolEditor(
        session.client("cognito-idp"), session.client("lambda"), session.client("kms")
    )


def apply_plan(pool_editor: PoolEditor, plan: Plan, *, dry_run: bool, verb: str) -> int:
    """Print the diff; unless a dry run, update and verify. Returns the exit status."""
    print(f"user pool {plan.user_pool_id}: {len(plan.changes)} change(s), {plan.kept} kept")
    for change in plan.changes:
        print(f"  {change}")
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if dry_run:
        print("dry run: the pool was not changed")
        return 0
    if not plan.changes:
        print("nothing to change: the pool is already configured so")
        return 0
    from sender.pool import PoolError

    try:
        pool_editor.apply(plan)
    except PoolError as err:
        return failed(verb, err)
    print(f"updated and verified: only {', '.join(sorted({c.path for c in plan.changes}))} changed")
    return 0
