"""The key's checks: the function decrypts with the key Cognito encrypts with, and that key is
an enabled symmetric encryption key."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from sendertools.awscall import call_if_found
from sendertools.doctor.checks import check
from sendertools.doctor.finding import Verdict, blocking, ok
from sendertools.doctor.fixes import attach_command
from sendertools.doctor.names import arn_part

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment

_NEW_KEY = "create a symmetric encryption key and attach it with cognito-sender attach"


@check("function-key", "the function's KMS_KEY_ARN")
def check_function_key(d: Deployment) -> Verdict:
    key = d.key_id()
    configured = d.environment().get("KMS_KEY_ARN")
    if configured == key:
        return ok(f"the function's KMS_KEY_ARN is the pool's KMSKeyID {key}")
    attach = attach_command(d.user_pool_id, d.sender_arn(), configured or "KEY_ARN")
    return blocking(
        f"the function decrypts with KMS_KEY_ARN={configured!r} but Cognito encrypts with "
        f"KMSKeyID {key}: every code fails to decrypt",
        f"redeploy the function with KMS_KEY_ARN={key}, or attach the pool to the "
        f"function's key: {attach}",
    )


@check("key-state", "aws kms describe-key")
def check_key_state(d: Deployment) -> Verdict:
    key = d.key_id()
    kms = d.aws.client("kms", arn_part(key, 3, d.region) or d.region)
    described = call_if_found(
        kms, "describe_key", f"key {key}", missing="NotFoundException", KeyId=key
    )
    if described is None:
        return blocking(f"the key {key} does not exist", _NEW_KEY)
    meta = described["KeyMetadata"]
    state = meta.get("KeyState")
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec")
    # A SYMMETRIC_DEFAULT key is always ENCRYPT_DECRYPT (moto omits KeyUsage).
    usage = meta.get("KeyUsage") or ("ENCRYPT_DECRYPT" if spec == "SYMMETRIC_DEFAULT" else None)
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return blocking(
            f"the key {key} is {spec}/{usage}; Cognito needs SYMMETRIC_DEFAULT/ENCRYPT_DECRYPT",
            _NEW_KEY,
        )
    if state == "Enabled":
        return ok(f"{key} is enabled, symmetric, for encryption")
    enable = shlex.join(["aws", "kms", "enable-key", "--key-id", key])
    fixes = {
        "Disabled": enable,
        "PendingDeletion": shlex.join(["aws", "kms", "cancel-key-deletion", "--key-id", key])
        + " && "
        + enable,
        "PendingImport": "import the key material (aws kms import-key-material)",
        "Unavailable": "reconnect the key's custom key store",
    }
    return blocking(
        f"the key {key} is {state}: no code can be encrypted or decrypted",
        fixes.get(str(state), "wait until the key is Enabled, or attach an enabled key"),
    )
