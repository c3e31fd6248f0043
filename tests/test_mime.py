from datetime import UTC, datetime

import pytest

from sender.errors import RecipientError
from sender.event import EmailKind
from sender.mime import build_message, check_address, to_bytes
from sender.redact import mask_address, mask_emails
from sender.render import RenderedEmail
from tests.conftest import parse_mime, parts

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def _email(subject: str = "Hello", html: str = "<p>x</p>", text: str = "x\n") -> RenderedEmail:
    return RenderedEmail(EmailKind.SIGN_IN_CODE, "ja", subject, "pre", html, text)


def test_round_trip_keeps_both_parts_and_headers() -> None:
    html = "<html><body>" + "ü" * 5000 + "</body></html>"
    msg = build_message(
        _email("確認コード", html, "コード: 123456\n"),
        sender="Example <no-reply@example.com>",
        recipient="a@example.com",
        now=NOW,
    )
    raw = to_bytes(msg)
    raw.decode("ascii")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0]  # RFC 2047 subject
    back = parse_mime(raw)
    assert back["Subject"] == "確認コード"
    assert back["Date"] == "Thu, 15 Jan 2026 09:30:00 +0000"
    assert back["Message-ID"].endswith("@example.com>")
    assert back["Content-Language"] == "ja"
    text, body = parts(back)
    # On the wire every line ends in CRLF; the content is otherwise unchanged.
    assert text.replace("\r\n", "\n") == "コード: 123456\n"
    assert body.replace("\r\n", "\n").rstrip("\n") == html


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com\r\nBcc: victim@example.com",
        "a@example.com, b@example.com",
        "Mallory <m@example.com>",
        '"quoted"@example.com',
        "no-at-sign",
        "a..b@example.com",
        "x" * 250 + "@example.com",
    ],
)
def test_only_a_single_plain_address_is_accepted(address: str) -> None:
    with pytest.raises(RecipientError) as info:
        check_address(address)
    assert info.value.reason == "recipient_invalid"
    assert address not in str(info.value)


def test_a_crlf_in_a_subject_cannot_inject_headers() -> None:
    # Subjects are collapsed to one line by the renderer; the policy refuses any left over.
    with pytest.raises(ValueError, match="linefeed"):
        build_message(
            _email("Hi\r\nBcc: victim@example.com"),
            sender="a@example.com",
            recipient="b@example.com",
            now=NOW,
        )


def test_masking() -> None:
    assert mask_address("henry.ford@example.com") == "he***@example.com"
    assert mask_emails("failed for: bob@example.com, x") == "failed for: bo***@example.com, x"
