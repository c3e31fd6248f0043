"""The real-SES test send: disabled with a reason, or enabled — always against moto here."""

from __future__ import annotations

from dataclasses import replace
from html import unescape

import pytest

from preview.app import create_app
from preview.realses import check_identity
from tests.conftest import parts
from tests.preview.conftest import page_client
from tests.preview.waiting import wait_for

_CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def test_disabled_without_a_sender():
    status = check_identity(None)
    assert not status.enabled and "EMAIL_FROM" in status.reason and "--ses-from" in status.reason


def test_disabled_without_credentials(monkeypatch):
    for var in _CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata look-up
    status = check_identity("Example <no-reply@example.com>")
    assert not status.enabled
    assert status.reason == "no AWS credentials found"


def test_disabled_without_a_region(monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    status = check_identity("no-reply@example.com")
    assert not status.enabled and "region" in status.reason


@pytest.mark.server
def test_disabled_when_the_sender_is_not_verified(remote_aws):
    status = check_identity("Someone <someone@unverified.example>")
    assert not status.enabled
    assert "someone@unverified.example" in status.reason and "unverified.example" in status.reason


@pytest.mark.server
def test_enabled_and_sending_against_moto(remote_aws, settings):
    app = create_app(replace(settings, ses_check=True, ses_sender=remote_aws.stack.email_from))
    ses = app.state.preview.ses
    with page_client(app) as client:
        wait_for(lambda: not ses.status.reason.startswith("checking"), what="the SES check")
        assert ses.status.enabled, ses.status.reason
        page = client.get("/email/sign_in_code?locale=de")
        assert 'id="send-ses" disabled' not in page.text
        assert "no-reply@example.com" in unescape(page.text)
        reply = client.post(
            "/email/sign_in_code/send-ses",
            data={"locale": "de", "sample": "default", "recipient": "tester@example.com"},
        )
        assert reply.status_code == 200, reply.text
        assert 'id="message-id"' in reply.text
    [sent] = remote_aws.sent()
    assert sent["To"].addresses[0].addr_spec == "tester@example.com"
    assert sent["From"].addresses[0].addr_spec == "no-reply@example.com"


@pytest.mark.server
def test_a_test_send_wears_the_brand_shown_from_the_verified_sender(remote_aws, settings):
    app = create_app(replace(settings, ses_check=True, ses_sender=remote_aws.stack.email_from))
    ses = app.state.preview.ses
    with page_client(app) as client:
        wait_for(lambda: ses.status.enabled, what="the SES check")
        reply = client.post(
            "/email/confirm_signup/send-ses",
            data={"sample": "default", "brand": "northwind", "recipient": "tester@example.com"},
        )
        assert reply.status_code == 200, reply.text
        assert "brand=northwind" in reply.text  # the way back keeps the brand
    [sent] = remote_aws.sent()
    assert sent["Subject"] == "Your Northwind confirmation code"
    assert sent["From"].addresses[0].addr_spec == "no-reply@example.com"
    _text, html = parts(sent)
    assert "#0f766e" in html


@pytest.mark.server
def test_a_bad_recipient_is_refused_before_sending(remote_aws, settings):
    app = create_app(replace(settings, ses_check=True, ses_sender=remote_aws.stack.email_from))
    ses = app.state.preview.ses
    with page_client(app) as client:
        wait_for(lambda: ses.status.enabled, what="the SES check")
        reply = client.post(
            "/email/sign_in_code/send-ses",
            data={"sample": "default", "recipient": "a@b.example, c@d.example"},
        )
        assert reply.status_code == 502 and "recipient" in reply.text
    assert remote_aws.sent() == []
