"""The recipient check: what it refuses, what it keeps, and that whatever it keeps goes through
the real MIME builder and comes back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sender.errors import RecipientError
from sender.event import EmailKind
from sender.mime import build_message, to_bytes
from sender.recipient import check_recipient
from sender.render import RenderedEmail
from tests.conftest import parse_mime

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# Each refused before the ``email`` package sees it (which refuses some of them only while the
# message is built, as an unnamed error, and "sends" others in forms no server delivers).
BAD = {
    "leading dot": ".ada@example.com",
    "trailing dot": "ada.@example.com",
    "consecutive dots": "ada..lovelace@example.com",
    "trailing newline": "ada@example.com\n",
    "trailing CRLF": "ada@example.com\r\n",
    "leading space": " ada@example.com",
    "trailing space": "ada@example.com ",
    "empty domain label": "ada@example..com",
    "domain starts with a dot": "ada@.example.com",
    "domain ends with a dot": "ada@example.com.",
    "label starts with a hyphen": "ada@-example.com",
    "label ends with a hyphen": "ada@example-.com",
    "inner label ends with a hyphen": "ada@mail-.example.com",
    "last label starts with a hyphen": "ada@example.-com",
    "underscore in the domain": "ada@ex_ample.com",
    "no domain": "ada@",
    "no local part": "@example.com",
    "two at signs": "ada@lovelace@example.com",
    "UTF-8 local part": "adà@example.com",
    "IDN domain, not in xn-- form": "ada@exämple.com",
    "quoted local part": '"ada lovelace"@example.com',
    "address literal": "ada@[192.0.2.1]",
    "display name": "Ada <ada@example.com>",
    "list": "ada@example.com, victim@evil.example",
    "too long": "a" * 243 + "@example.com",
}

GOOD = [
    "ada@example.com",
    "Ada.Lovelace@Example.COM",
    "ada+signup@example.com",
    "o'brien@example.ie",
    "a!#$%&'*+/=?^_`{|}~-z@example.com",
    "a@b",  # a single label: accepted today, and the email package can send it
    "ada@mail-1.example-2.com",
    "ada@xn--bcher-kva.example",  # an IDN in its ASCII form, as SES wants it
    "ada@192.0.2.1",
    "a" * 242 + "@example.com",  # 254 characters, the most SMTP allows
]


def _email() -> RenderedEmail:
    return RenderedEmail(EmailKind.CONFIRM_SIGNUP, "en", "Subject", "", "<p>hi</p>", "hi\n")


@pytest.mark.parametrize("address", BAD.values(), ids=BAD.keys())
def test_an_address_the_email_package_cannot_send_is_refused_by_name(address: str) -> None:
    with pytest.raises(RecipientError) as info:
        check_recipient(address)
    assert info.value.reason == "recipient_invalid"
    message = str(info.value)
    assert "***" in message, "masked"
    if not address.startswith("@"):
        assert address.strip() not in message
    assert "\n" not in message and "\r" not in message, "one log line"


@pytest.mark.parametrize("address", GOOD)
def test_an_accepted_address_goes_through_the_real_builder_unchanged(address: str) -> None:
    assert check_recipient(address) == address
    raw = to_bytes(
        build_message(_email(), sender="Example <no-reply@example.com>", recipient=address, now=NOW)
    )
    assert raw.isascii(), "SES takes no SMTPUTF8: the wire form is ASCII"
    message = parse_mime(raw)
    assert message.get_all("To") == [address]
    assert message["To"].addresses[0].addr_spec == address
    assert not message["To"].defects


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("ada.@example.com", "not at either end"),
        ("ada@example-.com", "inner '-'"),
        ("ada@example.com\n", "not a single plain email address"),
        ("ada@example..com", "not a single plain email address"),
    ],
)
def test_the_refusal_says_what_is_allowed(address: str, words: str) -> None:
    with pytest.raises(RecipientError, match=words):
        check_recipient(address)
