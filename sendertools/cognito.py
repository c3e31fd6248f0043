"""What Cognito does before it invokes the sender, done the same way for the tools: the code
encrypted with the pool's KMS key (suite 0x0378, ``userpool-id`` context, base64, a temporary
password HTML-escaped first) and an event of the CustomEmailSender shape; plus the context
Lambda passes. ``simulate``, the preview's outbox, the tests and the benchmarks all make their
events here (see tests/events/ for captured ones)."""

from __future__ import annotations

import base64
import html
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from aws_encryption_sdk import CommitmentPolicy, EncryptionSDKClient, StrictAwsKmsMasterKeyProvider
from aws_encryption_sdk.identifiers import Algorithm

from sender.event import CODELESS, Trigger

REGION = "eu-west-1"
COGNITO_SUITE = Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384  # 0x0378
USER_NAME = "37877a9f-a4d4-4ae9-b20c-f59890e04411"
CLIENT_ID = "EXAMPLEl2f6rjkqkbji2qr3u"


def encrypt_code(plaintext: str, *, key_arn: str, user_pool_id: str, session: Any = None) -> str:
    """Encrypt a code exactly as Cognito does; ``session`` is the botocore session KMS is
    reached through (by default, one the environment configures)."""
    client = EncryptionSDKClient(commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)
    provider = StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=session or botocore.session.Session()
    )
    blob, _header = client.encrypt(
        source=plaintext.encode("utf-8"),
        key_provider=provider,
        algorithm=COGNITO_SUITE,
        encryption_context={"userpool-id": user_pool_id},
    )
    return base64.b64encode(blob).decode("ascii")


def event_shape(
    trigger: Trigger,
    *,
    user_pool_id: str,
    encrypted_code: str | None,
    user_attributes: Mapping[str, str | None],
    client_metadata: Mapping[str, str] | None = None,
    user_name: str = USER_NAME,
    client_id: str | None = CLIENT_ID,
    region: str = REGION,
) -> dict[str, Any]:
    """An event shaped like the ones Cognito sends, around an already encrypted code (an
    account-takeover alert has no code and no client)."""
    codeless = trigger in CODELESS
    return {
        "version": "1",
        "triggerSource": trigger.value,
        "region": region,
        "userPoolId": user_pool_id,
        "userName": user_name,
        "callerContext": {
            "awsSdkVersion": None if codeless else "aws-sdk-unknown-unknown",
            "clientId": None if codeless else client_id,
        },
        "request": {
            "type": "customEmailSenderRequestV1",
            "code": None if codeless else encrypted_code,
            "clientMetadata": dict(client_metadata) if client_metadata else None,
            "userAttributes": dict(user_attributes),
        },
    }


@dataclass(frozen=True)
class CognitoPool:
    """A user pool as the sender sees it: its KMS key, its id and the botocore session that
    reaches KMS. Makes the events Cognito would send."""

    key_arn: str
    user_pool_id: str
    session: Any = field(default=None, repr=False, compare=False)
    region: str = REGION

    def encrypt(self, plaintext: str, *, user_pool_id: str | None = None) -> str:
        """``plaintext`` encrypted as Cognito does, for this pool (or another pool's id)."""
        return encrypt_code(
            plaintext,
            key_arn=self.key_arn,
            user_pool_id=user_pool_id or self.user_pool_id,
            session=self.session,
        )

    def seal(self, trigger: Trigger, code: str | None) -> str | None:
        """``code`` as ``trigger``'s event carries it: encrypted, or ``None``."""
        if code is None or trigger in CODELESS:
            return None
        # Cognito HTML-escapes a temporary password before encrypting it.
        return self.encrypt(html.escape(code) if trigger is Trigger.ADMIN_CREATE_USER else code)

    def event(
        self,
        trigger: Trigger | str,
        code: str | None,
        *,
        attributes: Mapping[str, str | None],
        metadata: Mapping[str, str] | None = None,
        user_name: str = USER_NAME,
        client_id: str | None = CLIENT_ID,
        sealed: str | None = None,
    ) -> dict[str, Any]:
        """The event Cognito sends for ``trigger`` with ``code`` freshly encrypted (or, to
        reuse one, already ``sealed``)."""
        trigger = Trigger(trigger)
        return event_shape(
            trigger,
            user_pool_id=self.user_pool_id,
            encrypted_code=sealed if sealed is not None else self.seal(trigger, code),
            user_attributes=attributes,
            client_metadata=metadata,
            user_name=user_name,
            client_id=client_id,
            region=self.region,
        )


@dataclass(frozen=True)
class LambdaContext:
    """The context object Lambda passes to a handler: the fields the sender's logs read."""

    function_name: str = "cognito-email-sender-local"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:eu-west-1:123456789012:function:cognito-email-sender-local"
    )
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
