"""Every flow, successes and failures, with all output captured: no plaintext code or temporary
password may appear anywhere in it (stdout, stderr, log records, exception texts)."""

from __future__ import annotations

import logging
import traceback

import boto3
import pytest

from sender import handler
from sender.errors import SenderError
from sender.event import Trigger
from sendertools.cognito import LambdaContext
from tests.conftest import LocalAws


def test_no_secret_in_any_output(
    local_aws: LocalAws, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Our own logger at its most verbose; libraries at INFO, as a deployed function runs them
    # (botocore's DEBUG wire logs would show request bodies to anyone who turns them on).
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="cognito-email-sender")
    secrets_used: list[str] = []
    errors: list[str] = []
    for number, trigger in enumerate(Trigger):
        secret = f"S3cr{number}t-{number * 7919:05d}"
        if trigger is Trigger.ADMIN_CREATE_USER:
            secret = "Pa<ss>&w0rd"
        secrets_used.append(secret)
        handler.lambda_handler(local_aws.event(trigger, secret), LambdaContext())

    # Failures after decryption: the code is known in memory when these happen.
    leak = "L3ak-9f8e7d"
    secrets_used.append(leak)
    failing = [
        local_aws.event(Trigger.SIGN_UP, leak, attributes={"email": "bad\r\naddress"}),
        local_aws.event(Trigger.SIGN_UP, leak, attributes={"email": "ok@unverified.test"}),
    ]
    other_pool = local_aws.event(Trigger.FORGOT_PASSWORD, leak)
    other_pool["request"]["code"] = local_aws.encrypt(leak, user_pool_id="eu-west-1_Other")
    failing.append(other_pool)
    # SES rejects unverified senders: make the sender unverified for the last event.
    for event in failing:
        try:
            handler.lambda_handler(event, LambdaContext())
        except SenderError as err:
            errors.append("".join(traceback.format_exception(err)))
    boto3.client("sesv2").delete_email_identity(EmailIdentity="no-reply@example.com")
    try:
        handler.lambda_handler(local_aws.event(Trigger.AUTHENTICATION, leak), LambdaContext())
    except SenderError as err:
        errors.append("".join(traceback.format_exception(err)))

    assert len(errors) == 3, errors  # the unverified-recipient domain is accepted by moto
    out, err = capfd.readouterr()
    everything = "\n".join([out, err, caplog.text, *errors])
    assert "email sent" in out and "email not sent" in out
    for secret in secrets_used:
        assert secret not in everything
        assert secret.replace("<", "&lt;") not in everything
    assert "ok@unverified.test" not in everything  # addresses are masked
