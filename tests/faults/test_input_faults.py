"""Faults in what the handler is given: the event, the user's attributes, the caller's
metadata, the templates and the user look-up."""

from __future__ import annotations

import html
import shutil
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest

from sender import handler
from sender.config import DEFAULT_TEMPLATES_DIR
from sender.errors import ConfigError, EventError, RecipientError, RenderError
from sender.event import Trigger
from tests.conftest import parts
from tests.faults.conftest import Harness, Injector, assert_failed, assert_sent, json_error

CODE = "304958"
USER = "5d0b3c1e-7a0f-4c59-9a51-2f1b8f0e6c11"
ATO_ATTRIBUTES: dict[str, str | None] = {
    "EVENT_ID": "b5c3f0c2-6a4d-4f0e-9d7e-0e6c8a1d2f33",
    "USER_NAME": USER,
    "IP_ADDRESS": "203.0.113.9",
    "ACCOUNT_TAKE_OVER_ACTION": "BLOCK",
    "ONE_CLICK_LINK_VALID": "https://cognito-idp.eu-west-1.amazonaws.com/feedback?valid=1",
    "ONE_CLICK_LINK_INVALID": "https://cognito-idp.eu-west-1.amazonaws.com/feedback?valid=0",
    "LOGIN_TIME": "Friday, March 19, 2021 02:25 PM UTC",
    "FEEDBACK_TOKEN": "token",
    "CITY": None,
    "COUNTRY": None,
    "DEVICE_NAME": "Opera 74, Linux",
}


def _everything(msg: EmailMessage) -> str:
    """Every header and both decoded bodies: what the recipient's client can show."""
    text, body = parts(msg)
    headers = "\n".join(f"{k}: {v}" for k, v in msg.items())
    return f"{headers}\n{text}\n{body}"


# --- the event ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source", ["CustomEmailSender_Unknown", "PreSignUp_SignUp", "", None, 42, "x" * 10_000]
)
def test_unknown_trigger_is_refused(harness: Harness, source: Any) -> None:
    event = harness.aws.event(Trigger.SIGN_UP, CODE)
    event["triggerSource"] = source
    run = harness.invoke(event, secrets=[CODE])
    error = assert_failed(run, EventError, "unknown_trigger")
    assert len(str(error)) < 1_000, "the bad value is named, but shortened"
    assert run.errors[0]["trigger"] == "unknown"
    assert run.metrics("EmailsFailed")[0]["trigger"] == "unknown"


def _drop(event: dict[str, Any], *path: str) -> None:
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


@pytest.mark.parametrize(
    "path",
    [("request",), ("userPoolId",), ("userName",), ("request", "code")],
    ids=lambda p: ".".join(p),
)
def test_missing_field_is_an_invalid_event(harness: Harness, path: tuple[str, ...]) -> None:
    event = harness.aws.event(Trigger.FORGOT_PASSWORD, CODE)
    _drop(event, *path)
    run = harness.invoke(event, secrets=[CODE])
    assert_failed(run, EventError, "event_invalid")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("request",), "not an object"),
        (("request", "userAttributes"), ["email", "ada@example.com"]),
        (("request", "clientMetadata"), "locale=de"),
        (("request", "userAttributes", "email"), 7),
        (("userPoolId",), 12),
    ],
    ids=["request", "userAttributes", "clientMetadata", "email", "userPoolId"],
)
def test_wrong_type_is_an_invalid_event(
    harness: Harness, path: tuple[str, ...], value: Any
) -> None:
    event = harness.aws.event(Trigger.FORGOT_PASSWORD, CODE)
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    run = harness.invoke(event, secrets=[CODE])
    assert_failed(run, EventError, "event_invalid")


@pytest.mark.parametrize("event", [None, [], "CustomEmailSender_SignUp", 0])
def test_event_that_is_not_an_object_is_refused(harness: Harness, event: Any) -> None:
    run = harness.invoke(event, secrets=[])
    assert_failed(run, EventError, "event_invalid")


def test_invalid_configuration_is_config_error(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KMS_KEY_ARN", "alias/cognito")
    handler.reset()
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    error = assert_failed(run, ConfigError, "config_invalid")
    assert "alias" in str(error)


# --- the recipient --------------------------------------------------------------------------


def test_security_alert_without_email_looks_the_user_up(harness: Harness) -> None:
    cognito = boto3.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=harness.aws.stack.user_pool_id,
        Username="grace@example.com",
        UserAttributes=[{"Name": "email", "Value": "grace@example.com"}],
        MessageAction="SUPPRESS",
    )
    event = harness.aws.event(
        Trigger.ACCOUNT_TAKE_OVER, None, attributes=ATO_ATTRIBUTES, user_name="grace@example.com"
    )
    message = assert_sent(harness.invoke(event, secrets=[]))
    assert message["To"] == "grace@example.com"


def test_security_alert_for_unknown_user_is_lookup_failure(harness: Harness) -> None:
    # Real moto behaviour: AdminGetUser answers UserNotFoundException.
    event = harness.aws.event(Trigger.ACCOUNT_TAKE_OVER, None, attributes=ATO_ATTRIBUTES)
    run = harness.invoke(event, secrets=[])
    error = assert_failed(run, RecipientError, "user_lookup_failed")
    assert "UserNotFoundException" in str(error)


@pytest.mark.parametrize(
    ("status", "code", "attempts"),
    [(400, "AccessDeniedException", 1), (500, "InternalErrorException", 4)],
)
def test_security_alert_when_admin_get_user_fails(
    harness: Harness, status: int, code: str, attempts: int
) -> None:
    hook = Injector(lambda r: json_error(r, status, code, "refused"))
    harness.inject(handler.get_app().recipients.client(), "AdminGetUser", hook)
    event = harness.aws.event(Trigger.ACCOUNT_TAKE_OVER, None, attributes=ATO_ATTRIBUTES)
    run = harness.invoke(event, secrets=[])
    error = assert_failed(run, RecipientError, "user_lookup_failed")
    assert code in str(error)
    assert hook.attempts == attempts


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.com\r\nBcc: victim@evil.example",
        "ada@example.com\nBcc: victim@evil.example",
        "Ada <ada@example.com>",
        "ada@example.com, victim@evil.example",
        "<script>@example.com",
        "a" * 300 + "@example.com",
        "",
    ],
)
def test_hostile_email_attribute_is_refused(harness: Harness, address: str) -> None:
    event = harness.aws.event(Trigger.SIGN_UP, CODE, attributes={"email": address})
    run = harness.invoke(event, secrets=[CODE])
    error = assert_failed(run, RecipientError, "recipient_invalid")
    assert "victim" not in str(error) and "victim" not in run.stdout


@pytest.mark.parametrize(
    "address",
    [
        ".lovelace@example.com",
        "lovelace.@example.com",
        "ada..lovelace@example.com",
        "lovelace@example.com\n",
        "lovelace@example..com",
        "lovelace@-example.com",
        "lovelace@example-.com",
        "lovelace@exämple.com",
        "lovèlace@example.com",
    ],
)
def test_address_the_email_package_would_refuse_is_recipient_invalid(
    harness: Harness, address: str
) -> None:
    # These once passed the address check and failed while the message was built, as an
    # internal_error: now refused first, by name, with the address masked.
    event = harness.aws.event(Trigger.SIGN_UP, CODE, attributes={"email": address})
    run = harness.invoke(event, secrets=[CODE])
    error = assert_failed(run, RecipientError, "recipient_invalid")
    [line] = run.errors
    assert "***" in line["error"], "masked"
    for shown in (str(error), run.stdout, run.log_text):
        assert "lovelace" not in shown and "lovèlace" not in shown


def test_plain_address_in_ascii_form_is_sent_unchanged(harness: Harness) -> None:
    address = "ada.lovelace+signup@xn--bcher-kva.example"
    event = harness.aws.event(Trigger.SIGN_UP, CODE, attributes={"email": address})
    message = assert_sent(harness.invoke(event, secrets=[CODE]))
    assert message.get_all("To") == [address]


# --- attributes and metadata that reach the templates ---------------------------------------


def test_crlf_in_user_attributes_cannot_add_headers(harness: Harness) -> None:
    name = "Ada\r\nBcc: victim@evil.example\r\nSubject: Pwned\r\n\r\nbody"
    attributes = {"email": "ada@example.com", "name": name, "given_name": name}
    event = harness.aws.event(Trigger.SIGN_UP, CODE, attributes=attributes)
    message = assert_sent(harness.invoke(event, secrets=[CODE]))
    assert message.get_all("Bcc") is None
    assert message.get_all("To") == ["ada@example.com"]
    assert "Pwned" not in message["Subject"]
    text, body = parts(message)
    assert "Ada Bcc: victim@evil.example Subject: Pwned body" in text, "shown on one line"
    assert CODE in text and CODE in body


@pytest.mark.parametrize("name", ['<img src=x onerror="alert(1)">', "<b>hi</b>", "Ada < Bob"])
def test_html_in_user_attributes_is_shown_escaped(harness: Harness, name: str) -> None:
    attributes = {"email": "ada@example.com", "name": name, "given_name": name}
    event = harness.aws.event(Trigger.SIGN_UP, CODE, attributes=attributes)
    message = assert_sent(harness.invoke(event, secrets=[CODE]))
    body = parts(message)[1]
    assert name not in body, "the name must not reach the HTML as markup"
    assert name in html.unescape(body), "the name is shown, as text"


def test_hostile_client_metadata_changes_nothing(harness: Harness) -> None:
    baseline = assert_sent(harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[]))
    metadata = {
        "email": "victim@evil.example",
        "recipient": "victim@evil.example",
        "to": "victim@evil.example",
        "bcc": "victim@evil.example",
        "link": "https://evil.example/phish",
        "action_url": "https://evil.example/phish",
        "redirect_uri": "https://evil.example/phish",
        "html": "<script>alert(1)</script>",
        "subject": "EVIL SUBJECT",
        "name": "<script>alert(1)</script>",
        "brand": "evil.example",
        "locale": "en\r\nBcc: victim@evil.example",
    }
    event = harness.aws.event(Trigger.SIGN_UP, CODE, metadata=metadata)
    message = assert_sent(harness.invoke(event, secrets=[CODE]))
    shown = _everything(message)
    assert message.get_all("To") == ["Ada <ada@example.com>"]  # the user's name, not metadata's
    assert message.get_all("Bcc") is None and message.get_all("Cc") is None
    assert "evil" not in shown.lower()
    assert "<script" not in shown
    assert message["Subject"] == baseline["Subject"]
    assert parts(message)[1].count("href=") == parts(baseline)[1].count("href=")


@pytest.mark.parametrize("locale", ["xx-YY", "tlh", "../../etc/passwd", "de\x00", "x" * 5_000])
def test_unknown_locale_falls_back_and_sends(harness: Harness, locale: str) -> None:
    event = harness.aws.event(
        Trigger.SIGN_UP, CODE, metadata={"locale": locale}, attributes={"email": "ada@example.com"}
    )
    message = assert_sent(harness.invoke(event, secrets=[CODE]))
    assert message["Content-Language"] == "en"


def test_allowed_locale_from_metadata_is_used(harness: Harness) -> None:
    event = harness.aws.event(Trigger.SIGN_UP, CODE, metadata={"locale": "de-AT"})
    message = assert_sent(harness.invoke(event, secrets=[CODE]))
    assert message["Content-Language"] == "de"


# --- templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("part", ["body.txt", "body.mjml", "subject.txt"])
def test_template_missing_for_a_kind_is_render_error(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, part: str
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, templates)  # copy2 keeps the .mo newer than the .po
    (templates / "sign_in_code" / part).unlink()
    monkeypatch.setenv("TEMPLATES_DIR", str(templates))
    handler.reset()
    run = harness.invoke(harness.aws.event(Trigger.AUTHENTICATION, CODE), secrets=[CODE])
    error = assert_failed(run, RenderError, "template_missing")
    assert f"sign_in_code/{part}" in str(error)
    # Other kinds still send from the same process.
    assert_sent(harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE]))


def test_damaged_catalog_fails_its_locale_only_and_names_the_file(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, templates)  # copy2 keeps the .mo newer than the .po
    mo = templates / "locales" / "de" / "LC_MESSAGES" / "messages.mo"
    mo.write_bytes(b"not a catalog")
    monkeypatch.setenv("TEMPLATES_DIR", str(templates))
    handler.reset()
    run = harness.invoke(
        harness.aws.event(Trigger.SIGN_UP, CODE, metadata={"locale": "de"}), secrets=[CODE]
    )
    error = assert_failed(run, ConfigError, "config_invalid")
    assert "de/LC_MESSAGES/messages.mo" in str(error)
    # Catalogs are read on first use: every other locale still sends from the same process.
    message = assert_sent(harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE]))
    assert message["Content-Language"] == "en"


# --- trusted files that are broken: each a named error, never a traceback -------------------


def _templates_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, templates)  # copy2 keeps the .mo newer than the .po
    monkeypatch.setenv("TEMPLATES_DIR", str(templates))
    handler.reset()
    return templates


def test_brand_file_not_utf8_is_config_error_naming_file_and_offset(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    brand = _templates_copy(tmp_path, monkeypatch) / "brand.toml"
    brand.write_bytes(b'# Caf\xe9 "Ada"\n' + brand.read_bytes())
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    error = assert_failed(run, ConfigError, "config_invalid")
    assert f"{brand}: not UTF-8: byte e9 at offset 5" in str(error)
    assert run.errors[0]["error"] == str(error)


def test_locale_folder_not_a_language_tag_is_config_error_naming_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    locales = _templates_copy(tmp_path, monkeypatch) / "locales"
    shutil.copytree(locales / "de", locales / "xx_bad!")
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    error = assert_failed(run, ConfigError, "config_invalid")
    assert "'xx_bad!' is not a locale folder name" in str(error)
    assert "'pt_BR'" in str(error), "says what is allowed"


def test_template_not_utf8_is_render_error_naming_file_and_offset(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    macros = _templates_copy(tmp_path, monkeypatch) / "layout" / "macros.mjml"
    macros.write_bytes(b"{# caf\xc3 #}\n" + macros.read_bytes())
    run = harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE])
    error = assert_failed(run, RenderError, "template_error")
    assert "layout/macros.mjml: not UTF-8: byte c3 at offset 6" in str(error)


RECURSIVE = "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}\n"


def test_endlessly_recursive_macro_is_render_error_naming_the_template(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    subject = _templates_copy(tmp_path, monkeypatch) / "sign_in_code" / "subject.txt"
    subject.write_text(RECURSIVE, encoding="utf-8")
    run = harness.invoke(harness.aws.event(Trigger.AUTHENTICATION, CODE), secrets=[CODE])
    error = assert_failed(run, RenderError, "template_error")
    assert str(error).startswith("sign_in_code/subject.txt:1: RecursionError")
    assert len(str(error)) < 500, "one short line, not a traceback"
    # The process is unharmed: other kinds still send.
    assert_sent(harness.invoke(harness.aws.event(Trigger.SIGN_UP, CODE), secrets=[CODE]))
