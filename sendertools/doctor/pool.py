"""The pool's checks: it can be read, and it hands its emails, encrypted with a key, to a
custom email sender."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sendertools.doctor.checks import check
from sendertools.doctor.finding import Verdict, blocking, ok
from sendertools.doctor.fixes import attach_as_named
from sendertools.doctor.names import arn_part

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment


@check("user-pool", "the pool in the Cognito console")
def check_user_pool(d: Deployment) -> Verdict:
    pool = d.pool()
    return ok(f"{d.user_pool_id} ({pool.get('Name', 'no name')}) in {d.region}")


@check("custom-email-sender", "aws cognito-idp describe-user-pool")
def check_custom_email_sender(d: Deployment) -> Verdict:
    sender = d.lambda_config().get("CustomEmailSender") or {}
    attach = attach_as_named(d)
    if not sender.get("LambdaArn"):
        return blocking(
            "the pool has no LambdaConfig.CustomEmailSender: Cognito sends its own emails, "
            "not this function's",
            attach,
        )
    version = sender.get("LambdaVersion")
    if version != "V1_0":
        return blocking(f"CustomEmailSender.LambdaVersion is {version!r}, not 'V1_0'", attach)
    return ok(f"CustomEmailSender is {sender['LambdaArn']} (V1_0)")


@check("kms-key-id", "aws cognito-idp describe-user-pool")
def check_kms_key_id(d: Deployment) -> Verdict:
    key = d.lambda_config().get("KMSKeyID")
    attach = attach_as_named(d)
    if not key:
        return blocking(
            "the pool has no LambdaConfig.KMSKeyID: Cognito cannot encrypt the codes it "
            "hands to the sender",
            attach,
        )
    if arn_part(key, 2) != "kms" or ":key/" not in key:
        return blocking(
            f"KMSKeyID {key!r} is not a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", attach
        )
    return ok(f"KMSKeyID is {key}")
