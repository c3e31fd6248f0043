"""SES faults: classified permanent or transient by one table, retried by botocore's standard
mode where retrying can help, and raised as SendError so Lambda keeps the event."""

from __future__ import annotations

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from sender import handler
from sender.errors import SendError
from sender.event import Trigger
from tests.conftest import parts
from tests.faults.conftest import Harness, Injector, assert_failed, assert_sent, json_error

CODE = "580261"
PASSWORD = "Tmp<Pw>&9!zQ"
# botocore's `max_attempts: 3` means three retries: four attempts in all.
STANDARD_MODE_ATTEMPTS = 4


def _ses_hook(harness: Harness, hook: Injector) -> None:
    client = handler.get_app().ses._client
    assert client.meta.config.retries == {
        "mode": "standard",
        "total_max_attempts": STANDARD_MODE_ATTEMPTS,
    }
    harness.inject(client, "SendEmail", hook)


def _ses_error(status: int, code: str, message: str, times: int | None = None) -> Injector:
    return Injector(lambda r: json_error(r, status, code, message, rest=True), times=times)


def test_unverified_sender_is_rejected_by_ses(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real moto behaviour: SES refuses a sender identity that was never verified.
    monkeypatch.setenv("EMAIL_FROM", "Example <no-reply@unverified.example.org>")
    handler.reset()
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    error = assert_failed(run, SendError, "ses_message_rejected", permanent=True)
    assert isinstance(error, SendError)
    assert error.response["Error"]["Code"] == "MessageRejected"
    assert "MessageRejected" in str(error)


@pytest.mark.parametrize(
    ("status", "code", "message", "reason"),
    [
        (
            400,
            "MessageRejected",
            "Email address is not verified. The following identities failed the check in "
            "region EU-WEST-1: ada@example.com",
            "ses_message_rejected",
        ),
        (
            400,
            "MailFromDomainNotVerifiedException",
            "The MAIL FROM domain is not verified.",
            "ses_mail_from_not_verified",
        ),
        (
            400,
            "SendingPausedException",
            "Sending is paused for this account.",
            "ses_sending_paused",
        ),
        (
            400,
            "AccountSuspendedException",
            "The account's ability to send email has been permanently restricted.",
            "ses_account_suspended",
        ),
        (404, "NotFoundException", "Configuration set does not exist.", "ses_not_found"),
    ],
)
def test_permanent_ses_refusal_is_not_retried(
    harness: Harness, status: int, code: str, message: str, reason: str
) -> None:
    hook = _ses_error(status, code, message)
    _ses_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    error = assert_failed(run, SendError, reason, permanent=True)
    assert hook.attempts == 1
    assert "ada@example.com" not in str(error), "addresses quoted by SES are masked"
    assert "ada@example.com" not in run.stdout


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (429, "TooManyRequestsException", "ses_throttled"),
        (400, "ThrottlingException", "ses_throttled"),
        (500, "InternalFailure", "ses_unavailable"),
        (503, "ServiceUnavailable", "ses_unavailable"),
        (502, "BadGateway", "ses_unavailable"),
    ],
)
def test_transient_ses_error_is_retried_then_raised(
    harness: Harness, status: int, code: str, reason: str
) -> None:
    hook = _ses_error(status, code, "Maximum sending rate exceeded.")
    _ses_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.FORGOT_PASSWORD, CODE), secrets=[CODE])
    assert_failed(run, SendError, reason, permanent=False)
    assert hook.attempts == STANDARD_MODE_ATTEMPTS
    assert len(run.backoffs) == STANDARD_MODE_ATTEMPTS - 1


@pytest.mark.parametrize(("status", "code"), [(429, "TooManyRequestsException"), (503, "X")])
def test_transient_ses_error_then_success_sends_exactly_one(
    harness: Harness, status: int, code: str
) -> None:
    hook = _ses_error(status, code, "Maximum sending rate exceeded.", times=1)
    _ses_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.ADMIN_CREATE_USER, PASSWORD), secrets=[PASSWORD])
    message = assert_sent(run)
    assert hook.attempts == 2
    assert PASSWORD in parts(message)[0]


@pytest.mark.parametrize(
    "exception",
    [
        lambda url: ConnectTimeoutError(endpoint_url=url),
        lambda url: ReadTimeoutError(endpoint_url=url),
    ],
    ids=["connect-timeout", "read-timeout"],
)
def test_ses_timeout_is_retried_then_raised(harness: Harness, exception) -> None:  # type: ignore[no-untyped-def]
    def hang(request):  # type: ignore[no-untyped-def]
        raise exception(request.url)

    hook = Injector(hang)
    _ses_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.AUTHENTICATION, CODE), secrets=[CODE])
    error = assert_failed(run, SendError, "ses_unreachable")
    assert hook.attempts == STANDARD_MODE_ATTEMPTS
    assert "Timeout" in str(error)


def test_ses_connect_timeout_then_success_sends_exactly_one(harness: Harness) -> None:
    def hang(request):  # type: ignore[no-untyped-def]
        raise ConnectTimeoutError(endpoint_url=request.url)

    hook = Injector(hang, times=2)
    _ses_hook(harness, hook)
    run = harness.invoke(harness.aws.event(Trigger.AUTHENTICATION, CODE), secrets=[CODE])
    assert_sent(run)
    assert hook.attempts == 3
