"""What the email view shows of one message, whether freshly composed or from the outbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from html import unescape

from sender.compose import Composed
from sender.mime import to_bytes
from sendertools.check import CLIP_BYTES as GMAIL_CLIP_BYTES

_HREF = re.compile(r"""\bhref\s*=\s*["']([^"']+)["']""", re.I)


@dataclass(frozen=True)
class MessageView:
    """Headers, parts and wire size of one message."""

    subject: str
    sender: str
    recipient: str
    preheader: str
    date: str
    html: str
    text: str
    eml: bytes

    @property
    def size(self) -> int:
        """Bytes of the encoded MIME message, as SES and Gmail count them."""
        return len(self.eml)

    @property
    def clip_percent(self) -> int:
        """The size as a share of Gmail's clipping threshold."""
        return round(100 * self.size / GMAIL_CLIP_BYTES)

    @property
    def links(self) -> list[str]:
        """Every distinct link in the HTML part, in order."""
        return list(dict.fromkeys(unescape(href) for href in _HREF.findall(self.html)))


def from_composed(composed: Composed) -> MessageView:
    """The view of a message the Lambda's compose stage just built."""
    msg = composed.message
    return MessageView(
        subject=composed.email.subject,
        sender=str(msg["From"]),
        recipient=str(msg["To"]),
        preheader=composed.email.preheader,
        date=str(msg["Date"]),
        html=composed.email.html,
        text=composed.email.text,
        eml=to_bytes(msg),
    )


def from_message(msg: EmailMessage, raw: bytes) -> MessageView:
    """The view of a captured message, parsed back from its bytes."""
    html = msg.get_body(preferencelist=("html",))
    text = msg.get_body(preferencelist=("plain",))
    return MessageView(
        subject=str(msg["Subject"] or ""),
        sender=str(msg["From"] or ""),
        recipient=str(msg["To"] or ""),
        preheader="",
        date=str(msg["Date"] or ""),
        html=str(html.get_content()) if html is not None else "",
        text=str(text.get_content()) if text is not None else "",
        eml=raw,
    )
