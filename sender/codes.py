"""Decrypt the code Cognito wrapped with the AWS Encryption SDK under the pool's KMS key."""

from __future__ import annotations

import base64
import binascii
import html
import logging
import struct
import threading
from typing import Any, Final

import aws_encryption_sdk
import botocore.session
from aws_encryption_sdk import CommitmentPolicy, StrictAwsKmsMasterKeyProvider
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError, MaxEncryptedDataKeysExceeded
from aws_encryption_sdk.identifiers import Algorithm, ObjectType, SerializationVersion
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidSignature, InvalidTag

from sender.errors import DecryptError
from sender.event import SenderEvent, Trigger

# The SDK logs every failed decrypt itself, with tracebacks, including a spurious
# "Error on closing ... Footer not read" (aws-encryption-sdk-python#575). This project reports
# each failure once, with a reason, so the SDK's own records would only be noise.
logging.getLogger("aws_encryption_sdk").setLevel(logging.CRITICAL)

# Cognito's messages use the signed, non-committing suite 0x0378: decrypt must allow it.
_POLICY: Final = CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
# ...and nothing else: a code under any other suite did not come from Cognito. The suite sits at
# a fixed place in the first four bytes, so it is refused before any KMS call.
COGNITO_SUITE: Final = Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384
_COGNITO_PREFIX: Final = struct.pack(
    ">BBH",
    SerializationVersion.V1.value,
    ObjectType.CUSTOMER_AE_DATA.value,
    COGNITO_SUITE.algorithm_id,
)
# Cognito's codes carry exactly one encrypted data key. The SDK tries every data key that
# names the configured key, one KMS call each: a forged code with many would cost one call
# per key, so any code with more is refused while its header is read.
_MAX_DATA_KEYS: Final = 1
_POOL_CONTEXT_KEY: Final = "userpool-id"
# A code is ~550 bytes; anything far larger is not from Cognito.
_MAX_CIPHERTEXT: Final = 16 * 1024

_KMS_REASONS: Final = {
    "AccessDeniedException": "kms_access_denied",
    "DisabledException": "kms_key_disabled",
    "KMSInvalidStateException": "kms_key_disabled",
    "NotFoundException": "kms_key_not_found",
    "ThrottlingException": "kms_throttled",
    "LimitExceededException": "kms_throttled",
    "InvalidCiphertextException": "kms_invalid_ciphertext",
    "IncorrectKeyException": "kms_wrong_key",
}


class Secret:
    """A plaintext code or password that refuses to show itself in logs or reprs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The plaintext, for the template model only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class CodeDecryptor:
    """Decrypts Cognito codes; build one per process (the client and provider are costly)."""

    def __init__(self, key_arn: str, *, botocore_session: Any = None) -> None:
        self._key_arn = key_arn
        self._client = aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=_POLICY, max_encrypted_data_keys=_MAX_DATA_KEYS
        )
        session = botocore_session or botocore.session.Session()
        # The SDK turns every KMS failure into a bare "Unable to decrypt any data key", losing
        # the KMS error (access denied, throttled, disabled...). Its clients come from this
        # session, so a hook on the session sees the real answer. The hooks run in the thread
        # that made the call, so each thread (the preview and the tools decrypt in several)
        # keeps its own last failure.
        self._calls = threading.local()
        events = session.get_component("event_emitter")
        events.register("after-call.kms.Decrypt", self._after_kms_call)
        events.register("after-call-error.kms.Decrypt", self._after_kms_error)
        self._provider = StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=session)

    def kms_clients(self) -> list[Any]:
        """The KMS clients the SDK built, for instrumentation (event hooks, timing)."""
        return list(self._provider._regional_clients.values())

    def _after_kms_call(self, *, http_response: Any, parsed: Any, **_kwargs: Any) -> None:
        if getattr(http_response, "status_code", 200) >= 300:
            self._calls.failure = ClientError(parsed, "Decrypt")

    def _after_kms_error(self, *, exception: BaseException, **_kwargs: Any) -> None:
        self._calls.failure = exception

    def _last_kms_failure(self) -> BaseException | None:
        failure: BaseException | None = getattr(self._calls, "failure", None)
        return failure

    def decrypt(self, event: SenderEvent) -> Secret | None:
        """The event's plaintext code, or ``None`` for triggers that carry none."""
        if event.encrypted_code is None:
            return None
        blob = _b64decode(event.encrypted_code)
        _check_suite(blob)
        self._calls.failure = None
        try:
            plaintext, header = self._client.decrypt(source=blob, key_provider=self._provider)
        except (InvalidSignature, InvalidTag) as err:
            # A damaged body or signature: the SDK lets cryptography's own errors through.
            raise DecryptError(
                f"the code of {event.trigger.value} failed authentication "
                f"({type(err).__name__}): it was altered or damaged",
                reason="bad_ciphertext",
            ) from err
        except MaxEncryptedDataKeysExceeded as err:
            raise DecryptError(
                f"the code of {event.trigger.value} carries more than {_MAX_DATA_KEYS} encrypted "
                f"data key ({err}); Cognito's codes carry exactly one",
                reason="bad_ciphertext",
            ) from err
        except AWSEncryptionSDKClientError as err:
            reason, detail = _classify(self._last_kms_failure() or err)
            raise DecryptError(
                f"could not decrypt the code of {event.trigger.value}: {detail}", reason=reason
            ) from err
        except (ClientError, BotoCoreError) as err:
            reason, detail = _classify(err)
            raise DecryptError(f"KMS call failed: {detail}", reason=reason) from err
        # The header the SDK parsed and authenticated is the authority; the prefix check
        # before decryption only spares the KMS call.
        if header.algorithm is not COGNITO_SUITE:
            raise DecryptError(
                f"the code is under {_suite_name(header.algorithm.algorithm_id)}; "
                f"only {_suite_name(COGNITO_SUITE.algorithm_id)} comes from Cognito",
                reason="bad_ciphertext",
            )
        pool = header.encryption_context.get(_POOL_CONTEXT_KEY)
        if pool != event.user_pool_id:
            raise DecryptError(
                f"the code was encrypted for pool {pool!r}, not for the event's pool "
                f"{event.user_pool_id!r}",
                reason="wrong_user_pool",
            )
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DecryptError("the decrypted code is not UTF-8", reason="bad_plaintext") from err
        if event.trigger is Trigger.ADMIN_CREATE_USER:
            # Cognito HTML-escapes the temporary password before encrypting it: undo it once.
            text = html.unescape(text)
        return Secret(text)


def _b64decode(code: str) -> bytes:
    if len(code) > _MAX_CIPHERTEXT * 2:
        raise DecryptError(f"the code is {len(code)} characters: too long", reason="bad_ciphertext")
    try:
        blob = base64.b64decode(code.strip(), validate=True)
    except (binascii.Error, ValueError) as err:
        raise DecryptError("the code is not valid base64", reason="bad_ciphertext") from err
    if not blob:
        raise DecryptError("the code is empty", reason="bad_ciphertext")
    return blob


def _check_suite(blob: bytes) -> None:
    """Refuse, before any KMS call, a message that is not format 1 under Cognito's suite."""
    if blob.startswith(_COGNITO_PREFIX):
        return
    if blob[:2] == _COGNITO_PREFIX[:2] and len(blob) >= 4:
        found = f"is under {_suite_name(struct.unpack_from('>H', blob, 2)[0])}"
    elif blob[:1] == b"\x02" and len(blob) >= 3:
        found = f"is a format 2 message under {_suite_name(struct.unpack_from('>H', blob, 1)[0])}"
    else:
        # No byte of it is shown: a caller may have put a plaintext code in the field.
        found = "is not an Encryption SDK message"
    raise DecryptError(
        f"the code {found}; only format 1 messages under "
        f"{_suite_name(COGNITO_SUITE.algorithm_id)} come from Cognito",
        reason="bad_ciphertext",
    )


def _suite_name(algorithm_id: int) -> str:
    try:
        name = Algorithm.get_by_id(algorithm_id).name
    except KeyError:
        name = "an unknown suite"
    return f"suite 0x{algorithm_id:04x} ({name})"


def _classify(err: BaseException) -> tuple[str, str]:
    """Find the KMS error behind an SDK error, if any, and name it."""
    seen: BaseException | None = err
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ClientError):
            code = str(seen.response.get("Error", {}).get("Code", "Unknown"))
            return _KMS_REASONS.get(code, "kms_error"), f"KMS answered {code}"
        if isinstance(seen, BotoCoreError):
            return "kms_unreachable", type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    name = type(err).__name__
    if name == "DecryptKeyError":
        return "kms_wrong_key", "no data key could be decrypted with the configured key"
    return "bad_ciphertext", f"{name}: the code is not a valid Encryption SDK message"
