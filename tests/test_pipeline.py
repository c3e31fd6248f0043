"""Every trigger source end to end: a Cognito-shaped event, a code encrypted as Cognito does,
the real handler, moto's KMS/Cognito/SES, and the sent message parsed back from its bytes."""

from __future__ import annotations

import email.header
import json
import secrets
from typing import Any

import boto3
import pytest

from sender import handler
from sender.event import Trigger
from sendertools.cognito import LambdaContext
from tests.conftest import LocalAws, load_event, parts, shown

# event file -> (recipient, words the subject must carry: it names the email's purpose)
CASES: dict[str, tuple[str, str]] = {
    "sign_up": ("HenryFord@example.com", "confirmation code"),
    "resend_code": ("HenryFord@example.com", "Bestätigungscode"),  # clientMetadata locale=de
    "forgot_password": ("HenryFord@example.com", "Reset your"),
    "update_user_attribute": ("HenryFord@example.com", "Confirm your new"),
    "verify_user_attribute": ("HenryFord@example.com", "Verify your"),
    "admin_create_user": ("HenryFord@example.com", "invited"),
    "authentication": ("HenryFord@example.com", "sign-in code"),
    "account_take_over": ("henry.ford@example.com", "suspicious sign-in"),
}


def _prepare(aws: LocalAws, name: str, code: str) -> dict[str, Any]:
    event = load_event(name)
    event["userPoolId"] = aws.stack.user_pool_id
    trigger = Trigger(event["triggerSource"])
    if trigger is Trigger.ACCOUNT_TAKE_OVER:
        # The captured ATO event has no email attribute: the handler must look the user up.
        cognito = boto3.client("cognito-idp")
        user = cognito.admin_create_user(
            UserPoolId=aws.stack.user_pool_id,
            Username="henry.ford@example.com",
            UserAttributes=[{"Name": "email", "Value": "henry.ford@example.com"}],
            MessageAction="SUPPRESS",
        )["User"]
        event["userName"] = user["Username"]
    else:
        plaintext = (
            code
            if trigger is not Trigger.ADMIN_CREATE_USER
            else code.replace("<", "&lt;").replace(">", "&gt;")
        )
        event["request"]["code"] = aws.encrypt(plaintext)
    return event


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_trigger_sends_one_complete_email(local_aws: LocalAws, name: str) -> None:
    recipient, subject_words = CASES[name]
    code = f"{secrets.randbelow(10**6):06d}"
    if name == "admin_create_user":
        code = f"Pw<{code}>&x"
    handler.lambda_handler(_prepare(local_aws, name, code), LambdaContext())

    [msg] = local_aws.sent()
    assert msg["To"] == recipient
    assert msg["From"] == "Example <no-reply@example.com>"
    assert subject_words in msg["Subject"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    text, html = parts(msg)
    if name == "account_take_over":
        assert "192.0.2.1" in text and "192.0.2.1" in html
        assert "https://example.auth.eu-west-1.amazoncognito.com/confirm?ch=INVALID" in text
        assert "Opera 74, Linux" in html
    elif name == "admin_create_user":
        # Cognito's HTML escaping is undone exactly once: the user sees the real password,
        # and the HTML part escapes it once for HTML.
        assert code in text
        assert code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html
    else:
        assert code in text and code in shown(html)


def test_german_through_the_locale_attribute(local_aws: LocalAws) -> None:
    event = local_aws.event(
        Trigger.FORGOT_PASSWORD,
        "654321",
        attributes={"email": "max@example.com", "locale": "de-DE"},
    )
    handler.lambda_handler(event, LambdaContext())
    [msg] = local_aws.sent()
    text, html = parts(msg)
    assert msg["Subject"] == "Setzen Sie Ihr Example-Passwort zurück"
    assert "Passwort zurücksetzen" in text
    assert '<html lang="de" dir="ltr"' in html
    assert msg["Content-Language"] == "de"


def test_client_metadata_locale_wins_over_the_attribute(local_aws: LocalAws) -> None:
    event = local_aws.event(
        Trigger.SIGN_UP,
        "111222",
        attributes={"email": "a@example.com", "locale": "en"},
        metadata={"locale": "de"},
    )
    handler.lambda_handler(event, LambdaContext())
    [msg] = local_aws.sent()
    assert "Bestätigungscode" in msg["Subject"]


def test_success_is_logged_with_message_id_and_counted(local_aws: LocalAws, capsys) -> None:
    handler.lambda_handler(local_aws.event(Trigger.AUTHENTICATION, "909090"), LambdaContext())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [sent] = [r for r in lines if r.get("message") == "email sent"]
    assert sent["level"] == "INFO"
    assert sent["trigger"] == "Authentication"
    assert sent["template"] == "sign_in_code"
    assert sent["locale"] == "en"
    assert sent["message_id"]
    [metric] = [r for r in lines if "EmailsSent" in r]
    assert metric["trigger"] == "Authentication"
    assert "909090" not in json.dumps(lines)


def test_mime_is_seven_bit_with_short_lines_and_encoded_subject(local_aws: LocalAws) -> None:
    event = local_aws.event(
        Trigger.SIGN_UP, "123123", attributes={"email": "a@example.com", "name": "Zoë Ünal"}
    )
    handler.lambda_handler(event, LambdaContext())
    [raw] = local_aws.sent_source()
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    data.decode("ascii")  # 7-bit clean
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    headers = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "Content-Transfer-Encoding: quoted-printable" in data.decode("ascii")
    assert "Message-ID: <" in headers and "Date: " in headers


def test_against_a_real_moto_server_over_http(remote_aws: LocalAws) -> None:
    event = remote_aws.event(Trigger.VERIFY_USER_ATTRIBUTE, "246810")
    handler.lambda_handler(event, LambdaContext())
    [msg] = remote_aws.sent()
    text, html = parts(msg)
    assert "246810" in text and "246810" in html
    assert msg["To"] == "Ada <ada@example.com>"
    subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    assert subject == "Verify your Example email address"


def test_to_names_the_user_while_ses_gets_the_bare_address(local_aws: LocalAws) -> None:
    destinations: list[Any] = []
    app = handler.get_app()
    app.ses._client.meta.events.register(
        "provide-client-params.sesv2.SendEmail",
        lambda params, **_: destinations.append(params["Destination"]),
    )
    attributes = {"email": "jose@example.com", "given_name": "José", "family_name": "Núñez"}
    handler.lambda_handler(
        local_aws.event(Trigger.SIGN_UP, "112233", attributes=attributes), LambdaContext()
    )
    [msg] = local_aws.sent()
    [to] = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == ("José Núñez", "jose@example.com")
    assert destinations == [{"ToAddresses": ["jose@example.com"]}]
