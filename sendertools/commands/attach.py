"""Wire an existing user pool to the sender (CustomEmailSender + KMSKeyID), keeping every
other pool setting; refuses before changing anything when the function, its permission or the
key is wrong, and writes the previous configuration back if the read-back finds anything else
changed."""

from __future__ import annotations

import argparse

from sendertools.commands import failed
from sendertools.commands.pooledit import add_pool_arguments, apply_plan, editor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    add_pool_arguments(parser)
    parser.add_argument(
        "--function-arn",
        required=True,
        metavar="FUNCTION",
        help="the sender function: ARN, partial ARN or name (resolved to its ARN)",
    )
    parser.add_argument(
        "--kms-key-arn", required=True, help="the symmetric key's ARN (not an alias)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="attach even though the function's resource policy does not let Cognito invoke it",
    )


def run(args: argparse.Namespace) -> int:
    """Check, plan, show, save, apply, verify."""
    from sendertools.awscall import AwsError
    from sendertools.pool import PoolError

    try:
        pool_editor = editor(args.region)
        plan = pool_editor.plan_attach(
            args.user_pool_id, args.function_arn, args.kms_key_arn, force=args.force
        )
    except (PoolError, AwsError) as err:
        return failed("attach", err)
    return apply_plan(pool_editor, plan, args, "attach")
