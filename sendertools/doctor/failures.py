"""What a failed AWS call means in the report: the failure on one line, and what to do."""

from __future__ import annotations

from sendertools.awscall import AwsError

_DENIED_CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")
_IAM_PREFIX = {"sesv2": "ses"}


def explain(err: AwsError) -> str:
    """The error on one line, without the body of an HTML error page."""
    lowered = err.message.lower()
    if "<html" in lowered or "<!doctype" in lowered:
        return (
            f"{err.operation} on {err.resource} failed: {err.code}: the endpoint answered with "
            "a web page, not an AWS response (the call is probably not implemented there)"
        )
    return str(err)


def access_fix(err: AwsError, by_hand: str) -> str:
    """The fix for a check whose call failed: the permission it lacks, or a look by hand."""
    if _denied(err):
        hand = f", or check by hand: {by_hand}" if by_hand else ""
        return f"allow {_iam_action(err.operation)} to the credentials running the doctor{hand}"
    return f"check by hand: {by_hand}" if by_hand else "run the doctor again"


def pool_fix(err: AwsError, user_pool_id: str, region: str) -> str:
    """The fix when the pool itself cannot be read."""
    if err.code == "ResourceNotFoundException":
        return (
            f"check --user-pool-id and --region: there is no pool {user_pool_id} in "
            f"{region} for these credentials"
        )
    if _denied(err):
        return access_fix(err, "")
    return (
        "check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID), the region (--region) and "
        "the endpoint (AWS_ENDPOINT_URL), then run again"
    )


def _denied(err: AwsError) -> bool:
    return any(code in err.code for code in _DENIED_CODES)


def _iam_action(operation: str) -> str:
    service, _, name = operation.partition(" ")
    return f"{_IAM_PREFIX.get(service, service)}:{name}"
