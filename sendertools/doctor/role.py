"""The role's checks: the function's execution role may decrypt Cognito's codes with the key
and send from EMAIL_FROM through SES."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sendertools.doctor.checks import check
from sendertools.doctor.finding import Verdict, blocking, ok, warning
from sendertools.doctor.names import domain, role_name
from sendertools.doctor.policy import Access, rank

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment

CONTEXT_KEY = "kms:EncryptionContext:userpool-id"


@check("role-decrypt", "the function role's policies and the key policy")
def check_role_decrypt(d: Deployment) -> Verdict:
    key, role = d.key_id(), d.role_arn()
    access = d.access.of(role, "kms:Decrypt", key, {CONTEXT_KEY: d.user_pool_id})
    statement = {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key,
        "Condition": {"StringEquals": {CONTEXT_KEY: d.user_pool_id}},
    }
    fix = _put_role_policy(role, "cognito-sender-decrypt", statement)
    what = f"role {role_name(role)} kms:Decrypt on the key for userpool-id {d.user_pool_id}"
    return _verdict(access, what, fix, d.access.how("the key policy"))


@check("role-send", "the function role's policies")
def check_role_send(d: Deployment) -> Verdict:
    role, address = d.role_arn(), d.sender_address()
    sender_domain = domain(address)
    identities = [d.ses_arn("identity", address), d.ses_arn("identity", sender_domain)]
    # Either identity is enough to send; a configuration set must allow it as well.
    access = min((d.access.of(role, "ses:SendEmail", arn, {}) for arn in identities), key=rank)
    resources = [identities[1]]
    named = [f"identity/{sender_domain} (or identity/{address})"]
    configuration_set = d.environment().get("SES_CONFIGURATION_SET")
    if configuration_set:
        arn = d.ses_arn("configuration-set", configuration_set)
        resources.append(arn)
        named.append(f"configuration-set/{configuration_set}")
        on_set = d.access.of(role, "ses:SendEmail", arn, {})
        if rank(on_set) > rank(access):
            access = on_set
    statement = {
        "Effect": "Allow",
        "Action": ["ses:SendEmail", "ses:SendRawEmail"],
        "Resource": resources,
    }
    fix = _put_role_policy(role, "cognito-sender-send", statement)
    what = f"role {role_name(role)} ses:SendEmail on {' and '.join(named)}"
    return _verdict(access, what, fix, d.access.how(""))


def _verdict(access: Access, what: str, fix: str, how: str) -> Verdict:
    if access.decision == "allowed":
        return ok(f"{what}: {access.why} ({how})")
    if access.decision == "uncertain":
        return warning(
            f"{what}: {access.why} ({how})",
            f"check that the conditions hold for the function, or use: {fix}",
        )
    return blocking(f"{what}: {access.decision}, {access.why} ({how})", fix)


def _put_role_policy(role_arn: str, name: str, statement: Mapping[str, Any]) -> str:
    """The AWS CLI command that adds ``statement`` to the role as an inline policy."""
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":")
    )
    return shlex.join(
        [
            "aws", "iam", "put-role-policy",
            "--role-name", role_name(role_arn),
            "--policy-name", name,
            "--policy-document", document,
        ]
    )  # fmt: skip
