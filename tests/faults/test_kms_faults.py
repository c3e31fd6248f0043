"""KMS and ciphertext faults: every one stops the email with a DecryptError and its reason."""

from __future__ import annotations

import base64

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError

from sender import handler, localaws
from sender.errors import DecryptError, EventError
from sender.event import Trigger
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
    foreign = localaws.cognito_encrypt(
        CODE, key_arn=other, user_pool_id=harness.aws.stack.user_pool_id
    )
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
