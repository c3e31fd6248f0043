"""Remove the custom email sender from a user pool (and its KMSKeyID unless the custom SMS
sender uses it), keeping every other pool setting."""

from __future__ import annotations

import argparse

from sendertools.commands import failed
from sendertools.commands.pooledit import add_pool_arguments, apply_plan, editor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    add_pool_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Plan, show, save, apply, verify."""
    from sendertools.awscall import AwsError
    from sendertools.pool import PoolError

    try:
        pool_editor = editor(args.region)
        plan = pool_editor.plan_detach(args.user_pool_id)
    except (PoolError, AwsError) as err:
        return failed("detach", err)
    return apply_plan(pool_editor, plan, args, "detach")
