"""Every check, in report order: its id, what runs it, and what to look at by hand when it
cannot run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from sendertools.doctor import delivery, function, key, monitoring, pool, role, ses
from sendertools.doctor.finding import Verdict

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment


class Check(NamedTuple):
    """One line of the report."""

    check: str
    run: Callable[[Deployment], Verdict]
    by_hand: str


CHECKS: tuple[Check, ...] = (
    Check("user-pool", pool.check_user_pool, "the pool in the Cognito console"),
    Check(
        "custom-email-sender",
        pool.check_custom_email_sender,
        "aws cognito-idp describe-user-pool",
    ),
    Check("kms-key-id", pool.check_kms_key_id, "aws cognito-idp describe-user-pool"),
    Check("function", function.check_function, "aws lambda get-function-configuration"),
    Check("invoke-permission", function.check_invoke_permission, "aws lambda get-policy"),
    Check("function-key", key.check_function_key, "the function's KMS_KEY_ARN"),
    Check("key-state", key.check_key_state, "aws kms describe-key"),
    Check(
        "role-decrypt",
        role.check_role_decrypt,
        "the function role's policies and the key policy",
    ),
    Check("role-send", role.check_role_send, "the function role's policies"),
    Check("ses-identity", ses.check_ses_identity, "aws sesv2 get-email-identity"),
    Check("configuration-set", ses.check_configuration_set, "aws sesv2 get-configuration-set"),
    Check("ses-sending", ses.check_ses_sending, "aws sesv2 get-account (SendingEnabled)"),
    Check("ses-sandbox", ses.check_ses_sandbox, "aws sesv2 get-account (ProductionAccessEnabled)"),
    Check("dkim", ses.check_dkim, "aws sesv2 get-email-identity (DkimAttributes)"),
    Check(
        "async-failure-handling",
        delivery.check_async_failure_handling,
        "aws lambda get-function-event-invoke-config",
    ),
    Check("failure-queue", delivery.check_failure_queue, "aws sqs get-queue-attributes"),
    Check("alarms", monitoring.check_alarms, "aws cloudwatch describe-alarms"),
    Check(
        "recent-failures",
        monitoring.check_recent_failures,
        "the function's metrics in CloudWatch",
    ),
)
