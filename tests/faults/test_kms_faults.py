"""KMS and ciphertext faults: every one stops the email with a DecryptError and its reason."""

from __future__ import annotations

import base64
import threading
from typing import Any

import boto3
import botocore.session
import pytest
from aws_encryption_sdk import CommitmentPolicy, EncryptionSDKClient, StrictAwsKmsMasterKeyProvider
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError
from aws_encryption_sdk.identifiers import Algorithm
from botocore.exceptions import ConnectTimeoutError

from sender import handler
from sender.errors import DecryptError, EventError
from sender.event import Trigger, parse_event
from sendertools.cognito import COGNITO_SUITE, encrypt_code
from tests.faults.conftest import Harness, Injector, assert_failed, assert_sent, json_error

CODE = "739146"
STANDARD_MODE_ATTEMPTS = 4  # sender.app.BOTO_CONFIG: three retries
PASSWORD = "Tmp<Pw>&9!zQ"


def _with_kms_hook(harness: Harness, hook: Injector) -> None:
    """Hook the KMS client the Encryption SDK built inside the handler's app."""
    [kms] = handler.get_app().decryptor.kms_clients()
    assert kms.meta.config.retries == {"mode": "standard", "total_max_attempts": 4}
    harness.inject(kms, "Decrypt", hook)


def _kms_error(code: str, message: str, status: int = 400) -> Injector:
    return Injector(lambda request: json_error(request, status, code, message))


def test_the_injection_seam_sends_when_kms_answers(harness: Harness) -> None:
    # The same seam with a pass-through hook: the email goes out, so the faults below are
    # caused by the injected answers and nothing else.
    hook = Injector(lambda request: json_error(request, 400, "Unused", "unused"), times=0)
    _with_kms_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    assert_sent(run)
    assert hook.attempts == 1


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        (
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/sender/fn is not authorized to "
            "perform: kms:Decrypt on this resource because no identity-based policy allows "
            "the kms:Decrypt action",
            "kms_access_denied",
        ),
        ("DisabledException", "The key is disabled.", "kms_key_disabled"),
        ("KMSInvalidStateException", "The key is pending deletion.", "kms_key_disabled"),
        ("NotFoundException", "Key does not exist.", "kms_key_not_found"),
        ("InvalidCiphertextException", "", "kms_invalid_ciphertext"),
    ],
)
def test_kms_refusal_is_permanent_decrypt_error(
    harness: Harness, code: str, message: str, reason: str
) -> None:
    hook = _kms_error(code, message)
    _with_kms_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    assert_failed(run, DecryptError, reason)
    assert hook.attempts == 1, "a refusal is not retried"


def test_kms_throttling_is_retried_then_raised(harness: Harness) -> None:
    hook = _kms_error("ThrottlingException", "Rate exceeded")
    _with_kms_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.FORGOT_PASSWORD, CODE), secrets=[CODE])
    assert_failed(run, DecryptError, "kms_throttled")
    assert hook.attempts == STANDARD_MODE_ATTEMPTS, "standard mode, as for SES"
    assert len(run.backoffs) == hook.attempts - 1


def test_kms_throttled_once_then_decrypts(harness: Harness) -> None:
    hook = Injector(lambda r: json_error(r, 400, "ThrottlingException", "Rate exceeded"), times=1)
    _with_kms_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.FORGOT_PASSWORD, CODE), secrets=[CODE])
    assert_sent(run)
    assert hook.attempts == 2


def test_kms_connect_timeout_is_retried_then_raised(harness: Harness) -> None:
    def timeout(request):  # type: ignore[no-untyped-def]
        raise ConnectTimeoutError(endpoint_url=request.url)

    hook = Injector(timeout)
    _with_kms_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    assert_failed(run, DecryptError, "kms_unreachable")
    assert hook.attempts == STANDARD_MODE_ATTEMPTS


def test_code_under_another_key_is_wrong_key(harness: Harness) -> None:
    other = boto3.client("kms").create_key(Description="another pool's key")["KeyMetadata"]["Arn"]
    foreign = encrypt_code(CODE, key_arn=other, user_pool_id=harness.aws.stack.user_pool_id)
    event = harness.aws.event(Trigger.SIGN_UP, None)
    event["request"]["code"] = foreign
    run = harness.invoke(event, secrets=[CODE])
    assert_failed(run, DecryptError, "kms_wrong_key")


def test_code_for_another_pool_is_refused(harness: Harness) -> None:
    event = harness.aws.event(Trigger.ADMIN_CREATE_USER, None)
    event["request"]["code"] = harness.aws.encrypt(PASSWORD, user_pool_id="eu-west-1_OTHERPOOL")
    run = harness.invoke(event, secrets=[PASSWORD])
    error = assert_failed(run, DecryptError, "wrong_user_pool")
    assert "eu-west-1_OTHERPOOL" in str(error)


def _blob(harness: Harness) -> bytes:
    return base64.b64decode(harness.aws.encrypt(CODE))


def _truncated(blob: bytes) -> bytes:
    return blob[: len(blob) // 2]


def _body_flipped(blob: bytes) -> bytes:
    # The last bytes are the ECDSA signature: flipping one breaks authentication.
    return blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:]


def _ciphertext_flipped(blob: bytes) -> bytes:
    # Inside the encrypted body, before the footer: breaks the GCM tag.
    at = len(blob) - 120
    return blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1 :]


def _header_flipped(blob: bytes) -> bytes:
    return blob[:1] + bytes([blob[1] ^ 0xFF]) + blob[2:]


@pytest.mark.parametrize(
    "damage", [_truncated, _body_flipped, _ciphertext_flipped, _header_flipped]
)
def test_damaged_ciphertext_is_bad_ciphertext(harness: Harness, damage) -> None:  # type: ignore[no-untyped-def]
    event = harness.aws.event(Trigger.SIGN_UP, None)
    event["request"]["code"] = base64.b64encode(damage(_blob(harness))).decode()
    run = harness.invoke(event, secrets=[CODE])
    assert_failed(run, DecryptError, "bad_ciphertext")


@pytest.mark.parametrize("code", ["not base64 at all!", "QUJD$", "🔑" * 8, "A" * 40_000])
def test_code_that_is_not_base64_is_bad_ciphertext(harness: Harness, code: str) -> None:
    event = harness.aws.event(Trigger.SIGN_UP, None)
    event["request"]["code"] = code
    run = harness.invoke(event, secrets=[CODE])
    assert_failed(run, DecryptError, "bad_ciphertext")


def test_base64_that_is_not_an_sdk_message_is_bad_ciphertext(harness: Harness) -> None:
    event = harness.aws.event(Trigger.SIGN_UP, None)
    event["request"]["code"] = base64.b64encode(b"123456").decode()
    run = harness.invoke(event, secrets=[CODE])
    assert_failed(run, DecryptError, "bad_ciphertext")


@pytest.mark.parametrize("code", ["", "   ", None])
def test_empty_code_is_an_invalid_event(harness: Harness, code: str | None) -> None:
    event = harness.aws.event(Trigger.SIGN_UP, None)
    event["request"]["code"] = code
    run = harness.invoke(event, secrets=[])
    assert_failed(run, EventError, "event_invalid")


# --- codes Cognito never makes --------------------------------------------------------------


def _encrypt(
    key_arn: str,
    pool_id: str,
    *,
    algorithm: Algorithm | None = COGNITO_SUITE,
    data_keys: int = 1,
    policy: CommitmentPolicy = CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
) -> bytes:
    """A code as Cognito makes it, but with another suite or more data keys under one key."""
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[key_arn])
    for _ in range(data_keys - 1):
        # A provider holds one master key per key id: several providers name it again.
        provider.add_master_key_provider(StrictAwsKmsMasterKeyProvider(key_ids=[key_arn]))
    options: dict[str, Any] = {"algorithm": algorithm} if algorithm is not None else {}
    blob, header = EncryptionSDKClient(commitment_policy=policy).encrypt(
        source=CODE.encode(),
        key_provider=provider,
        encryption_context={"userpool-id": pool_id},
        **options,
    )
    assert len(header.encrypted_data_keys) == data_keys
    return bytes(blob)


def _decrypt_calls(blob: bytes, key_arn: str, **client: Any) -> Injector:
    """Decrypt with a plain SDK client whose KMS refuses every data key; count its calls."""
    refuse = _kms_error("InvalidCiphertextException", "")
    session = botocore.session.Session()
    session.get_component("event_emitter").register_first("before-send.kms.Decrypt", refuse)
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=session)
    sdk = EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT, **client
    )
    with pytest.raises(AWSEncryptionSDKClientError):
        sdk.decrypt(source=blob, key_provider=provider)
    return refuse


def test_code_with_many_data_keys_costs_at_most_one_kms_call(harness: Harness) -> None:
    stack = harness.aws.stack
    blob = _encrypt(stack.key_arn, stack.user_pool_id, data_keys=3)
    # The seam counts what an unbounded decrypt costs: one KMS call per forged data key.
    assert _decrypt_calls(blob, stack.key_arn).attempts == 3
    assert _decrypt_calls(blob, stack.key_arn, max_encrypted_data_keys=1).attempts == 0

    hook = _kms_error("InvalidCiphertextException", "")
    _with_kms_hook(harness, hook)
    event = harness.aws.event(Trigger.SIGN_UP, None)
    event["request"]["code"] = base64.b64encode(blob).decode()
    run = harness.invoke(event, secrets=[CODE])
    error = assert_failed(run, DecryptError, "bad_ciphertext")
    assert hook.attempts == 0, "at most one call is the bound; the header is refused before any"
    assert "more than 1 encrypted data key" in str(error)


@pytest.mark.parametrize(
    ("algorithm", "policy"),
    [
        (None, CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT),  # the SDK's default, 0x0578
        (
            Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
            CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
        ),
        (
            Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA256,
            CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
        ),
        (
            Algorithm.AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256,
            CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
        ),
        (
            Algorithm.AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
            CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
        ),
        (Algorithm.AES_256_GCM_IV12_TAG16, CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT),
    ],
    ids=lambda value: getattr(value, "name", None),
)
def test_code_under_another_suite_is_bad_ciphertext_without_kms(
    harness: Harness, algorithm: Algorithm | None, policy: CommitmentPolicy
) -> None:
    stack = harness.aws.stack
    blob = _encrypt(stack.key_arn, stack.user_pool_id, algorithm=algorithm, policy=policy)
    hook = Injector(lambda request: json_error(request, 400, "Unused", "unused"), times=0)
    _with_kms_hook(harness, hook)
    event = harness.aws.event(Trigger.FORGOT_PASSWORD, None)
    event["request"]["code"] = base64.b64encode(blob).decode()
    run = harness.invoke(event, secrets=[CODE])
    error = assert_failed(run, DecryptError, "bad_ciphertext")
    assert hook.attempts == 0, "refused before any KMS call"
    found = algorithm or Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
    assert f"0x{found.algorithm_id:04x}" in str(error)
    assert "0x0378" in str(error)


# --- failures of concurrent decrypts --------------------------------------------------------


def test_concurrent_decrypts_each_get_their_own_kms_failure(harness: Harness) -> None:
    decryptor = handler.get_app().decryptor
    [kms] = decryptor.kms_clients()
    answers = {
        "denied": ("AccessDeniedException", "not authorized"),
        "disabled": ("DisabledException", "The key is disabled."),
    }

    def respond(request: Any, **_kwargs: Any) -> Any:
        code, message = answers[threading.current_thread().name]
        return json_error(request, 400, code, message)

    # Both calls have answered and left their failure behind before either decrypt reads it:
    # a failure kept in one attribute would hold the other thread's answer for one of them.
    both_answered = threading.Barrier(2, timeout=30)
    kms.meta.events.register_first("before-send.kms.Decrypt", respond)
    kms.meta.events.register_last("after-call.kms.Decrypt", lambda **_: both_answered.wait())

    events = {name: parse_event(harness.aws.event(Trigger.SIGN_UP, CODE)) for name in answers}
    reasons: dict[str, str] = {}

    def decrypt() -> None:
        name = threading.current_thread().name
        try:
            decryptor.decrypt(events[name])
        except DecryptError as err:
            reasons[name] = err.reason

    threads = [threading.Thread(target=decrypt, name=name) for name in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert reasons == {"denied": "kms_access_denied", "disabled": "kms_key_disabled"}
