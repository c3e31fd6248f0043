"""Wire an existing user pool to the sender (CustomEmailSender + KMSKeyID), keeping every
other pool setting; the pool is read back and checked after the update."""

from __future__ import annotations

import argparse

from sender.commands import failed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    from sender.commands.detach import add_pool_arguments

    add_pool_arguments(parser)
    parser.add_argument("--function-arn", required=True, help="the sender function's ARN")
    parser.add_argument(
        "--kms-key-arn", required=True, help="the symmetric key's ARN (not an alias)"
    )


def run(args: argparse.Namespace) -> int:
    """Plan, show, apply, verify."""
    from sender.commands.detach import apply_plan, editor
    from sender.pool import PoolError

    try:
        pool_editor = editor(args.region)
        plan = pool_editor.plan_attach(args.user_pool_id, args.function_arn, args.kms_key_arn)
    except PoolError as err:
        return failed("attach", err)
    return apply_plan(pool_editor, plan, dry_run=args.dry_run, verb="attach")
