import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sender.errors import RecipientError
from sender.event import EmailKind
from sender.mime import build_message, check_address, to_bytes
from sender.model import recipient_name
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


def _to(name: str, recipient: str = "ada@example.com") -> tuple[bytes, list[tuple[str, str]]]:
    """The wire form of ``To`` and its addresses as a reader parses them back."""
    raw = to_bytes(
        build_message(
            _email(),
            sender="Example <no-reply@example.com>",
            recipient=recipient,
            recipient_name=name,
            now=NOW,
        )
    )
    header = re.search(rb"^To:[ \t]*(.*(?:\r\n[ \t].*)*)", raw.split(b"\r\n\r\n")[0], re.M)
    assert header is not None
    wire = header.group(1).replace(b"\r\n", b"").strip()
    msg = parse_mime(raw)
    assert msg.get_all("Cc") is None and msg.get_all("Bcc") is None
    assert len(msg.get_all("To") or []) == 1
    assert not msg["To"].defects, msg["To"].defects
    return wire, [(a.display_name, a.addr_spec) for a in msg["To"].addresses]


def test_to_carries_the_display_name() -> None:
    assert _to("Ada Lovelace") == (
        b"Ada Lovelace <ada@example.com>",
        [("Ada Lovelace", "ada@example.com")],
    )
    assert _to("") == (b"ada@example.com", [("", "ada@example.com")])


@pytest.mark.parametrize("name", ["José Núñez", "山田 太郎", "محمد عبد الله", "Zoë " * 16])
def test_a_non_ascii_name_is_rfc2047_encoded(name: str) -> None:
    shown = recipient_name({"name": name})
    wire, [(display_name, address)] = _to(shown)
    assert wire.isascii() and b"=?utf-8?" in wire
    assert address == "ada@example.com"
    # Python's parser may put a space where a long name was folded between encoded words.
    assert display_name.replace(" ", "") == shown.replace(" ", "")


@pytest.mark.parametrize(
    "name",
    [
        'O\'Brien, "Jim" <jim@evil.example>',
        "Smith, John",
        "<victim@evil.example>",
        'a "quoted" name',
        "back\\slash\\",
        "(a comment)",
        "semi; colon: group",
        "Ada\r\nBcc: victim@evil.example",
        "Ada\nCc: victim@evil.example",
        "=?utf-8?q?a=2C_b_=3Cvictim=40evil.example=3E?=",
        "=?utf-8?b?YSwgYiA8dmljdGltQGV2aWwuZXhhbXBsZT4=?=",
        'Ünïcödé, with <angle> and "quotes", ' * 2,
    ],
)
def test_a_hostile_name_still_gives_one_recipient(name: str) -> None:
    for shown in (name, recipient_name({"name": name})):
        wire, addresses = _to(shown)
        assert len(addresses) == 1, (shown, wire)
        assert addresses[0][1] == "ada@example.com", (shown, wire)


def test_a_name_holding_an_address_or_an_encoded_word_is_left_out() -> None:
    assert recipient_name({"name": "support@bank.example"}) == ""
    assert _to("=?utf-8?q?x?=") == (b"ada@example.com", [("", "ada@example.com")])


def test_the_display_name_comes_from_name_then_given_and_family_name() -> None:
    assert recipient_name({"name": "Ada Lovelace", "given_name": "Augusta"}) == "Ada Lovelace"
    assert recipient_name({"given_name": "Ada", "family_name": "Lovelace"}) == "Ada Lovelace"
    assert recipient_name({"given_name": "Ada", "family_name": None}) == "Ada"
    assert recipient_name({"family_name": "\u202eecalevoL"}) == "ecalevoL"
    assert recipient_name({"name": "\u200b\u2066", "given_name": " "}) == ""


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=80) | st.from_regex(r'[ -~]{0,40}["<>,;:@\\()=?]{1,6}[ -~]{0,40}'))
def test_any_name_gives_exactly_the_one_recipient(name: str) -> None:
    _, addresses = _to(recipient_name({"name": name}))
    assert [a for _, a in addresses] == ["ada@example.com"]


@pytest.mark.parametrize("value", ["ada@example.com\n", "ada@example.com\r\n", "\nada@example.com"])
def test_the_address_shape_is_matched_whole(value: str) -> None:
    with pytest.raises(RecipientError, match="not a single plain email address"):
        check_address(value)
    assert check_address("ada@example.com") == "ada@example.com"
