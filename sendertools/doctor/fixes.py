"""The project's own commands that more than one check names as the fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment


def attach_command(user_pool_id: str, function_arn: str, key_arn: str) -> str:
    """``cognito-sender attach``: the pool's custom email sender and key set to these."""
    return (
        f"cognito-sender attach --user-pool-id {user_pool_id} "
        f"--function-arn {function_arn} --kms-key-arn {key_arn}"
    )


def attach_as_named(deployment: Deployment) -> str:
    """``cognito-sender attach`` with what the pool already names, placeholders for the rest."""
    config = deployment.lambda_config()
    function = (config.get("CustomEmailSender") or {}).get("LambdaArn") or "FUNCTION_ARN"
    key = config.get("KMSKeyID") or "KEY_ARN"
    return attach_command(deployment.user_pool_id, function, key)


def replay_command(queue_url: str, function_arn: str) -> str:
    """``cognito-sender replay``: the failed events in the queue sent to the function again."""
    return f"cognito-sender replay --queue-url {queue_url} --function-arn {function_arn}"
