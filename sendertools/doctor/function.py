"""The function's checks: it exists and is not failed, and Cognito may invoke it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sendertools.doctor.checks import check
from sendertools.doctor.finding import Verdict, blocking, ok
from sendertools.doctor.fixes import attach_as_named
from sendertools.lambdapolicy import add_permission_command, cognito_may_invoke

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment


@check("function", "aws lambda get-function-configuration")
def check_function(d: Deployment) -> Verdict:
    arn = d.sender_arn()
    config = d.function_or_none()
    if config is None:
        return blocking(
            f"the function {arn} does not exist: every email is lost",
            "deploy the sender (infra/README.md), or point the pool at the deployed "
            f"function: {attach_as_named(d).replace(arn, 'FUNCTION_ARN')}",
        )
    state = config.get("State", "unknown")
    detail = f"{config.get('FunctionName', arn)}: {config.get('Runtime', 'no runtime')}, {state}"
    if state == "Failed":
        return blocking(
            f"{detail} ({config.get('StateReason', 'no reason given')})",
            "redeploy the function; its state reason says what failed",
        )
    return ok(f"{detail}, role {config.get('Role', 'none')}")


@check("invoke-permission", "aws lambda get-policy")
def check_invoke_permission(d: Deployment) -> Verdict:
    arn, pool_arn = d.sender_arn(), d.pool_arn()
    d.function()
    fix = add_permission_command(arn, pool_arn)
    policy = d.about_function("get_policy")
    if policy is None:
        return blocking(
            f"the function {arn} has no resource policy: Cognito's invocations are refused "
            "before it runs (no log, no metric, every email lost)",
            fix,
        )
    if not cognito_may_invoke(policy.get("Policy"), pool_arn):
        return blocking(
            f"the function's resource policy does not let cognito-idp.amazonaws.com invoke "
            f"it for {pool_arn}: every email is lost before the function runs",
            fix,
        )
    return ok(f"cognito-idp.amazonaws.com may invoke the function for {pool_arn}")
