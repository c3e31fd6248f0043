"""Build the multipart/alternative MIME message SES sends, with the standard ``email`` package."""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from sender.errors import RecipientError
from sender.redact import mask_address
from sender.render import RenderedEmail

# SMTP policy: CRLF line ends, RFC 2047 headers, 78-column folding; raises on CR/LF in values.
_POLICY = policy.SMTP.clone(max_line_length=78)
# A deliberately conservative address shape: one mailbox, no comments, quotes or routes.
# Matched whole (fullmatch): a pattern ending in "$" would let a trailing newline through.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
MAX_ADDRESS = 254
_ADDRESS_RUN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{0,254}")


def check_address(value: str) -> str:
    """A single, plain recipient address, or ``RecipientError`` saying why not."""
    if len(value) > MAX_ADDRESS or not _ADDRESS.fullmatch(value) or ".." in value:
        raise RecipientError(
            f"recipient {_shown(value)} is not a single plain email address",
            reason="recipient_invalid",
        )
    return value


def _shown(value: str) -> str:
    # Masking the local part is not enough for a hostile value: "a@b.c, victim@evil.example"
    # would still print the second address. Show the masked first address-like run only.
    head = _ADDRESS_RUN.match(value)
    shown = repr(mask_address(head.group(0) if head else ""))
    rest = len(value) - (head.end() if head else 0)
    return f"{shown} (+{rest} more characters)" if rest else shown


def build_message(
    email: RenderedEmail,
    *,
    sender: str,
    recipient: str,
    now: datetime,
    recipient_name: str = "",
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """The message: text then HTML alternatives, UTF-8, quoted-printable, 7-bit clean.

    ``recipient_name`` (made safe by ``sender.model.recipient_name``) becomes the display
    name of ``To``, quoted or RFC 2047-encoded by the ``email`` package, never spliced into
    the header as text; without one ``To`` is the bare address."""
    name, addr = parseaddr(sender)
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = Address(display_name=name, addr_spec=addr)
    # One line whatever the caller passed: the policy would refuse CR/LF and stop the send.
    shown = " ".join(recipient_name.split())
    # An ASCII name that holds an encoded word ("=?utf-8?q?a=2C_b_=3Cx=40y=3E?=") goes out
    # unquoted, and readers decode it before parsing: "a, b <x@y>" would add recipients.
    shown = "" if "=?" in shown else shown
    msg["To"] = Address(display_name=shown, addr_spec=check_address(recipient))
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=addr.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    for key, value in (extra_headers or {}).items():
        msg[key] = value
    msg.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After add_alternative: turning the message multipart moves every Content-* header into
    # the first part, where mail clients do not look for the message's language.
    msg["Content-Language"] = email.locale
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    """The wire form SES takes as ``Content.Raw.Data``."""
    return msg.as_bytes(policy=_POLICY)
