"""From a validated event to a finished message: model, render, MIME. Pure, no I/O.

The handler, the preview, the CLI and the snapshot tests all produce emails through a
``Composer``; there is no other way an email is made.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import NamedTuple

from sender.brand import Brand
from sender.codes import Secret
from sender.event import SenderEvent
from sender.i18n import LocaleInfo
from sender.mime import build_message
from sender.model import build_model, recipient_name
from sender.render import RenderedEmail, Renderer


class Composed(NamedTuple):
    """A rendered email and the MIME message that carries it."""

    email: RenderedEmail
    message: EmailMessage

    def __repr__(self) -> str:
        return f"Composed({self.email!r})"


class Composer(NamedTuple):
    """The brand, the templates and the From address of one sender; built once per app."""

    brand: Brand
    renderer: Renderer
    sender: str

    def compose(
        self,
        event: SenderEvent,
        secret: Secret | None,
        *,
        recipient: str,
        locale: LocaleInfo,
        now: datetime,
    ) -> Composed:
        """Render ``event``'s email for ``recipient`` in ``locale`` and wrap it in MIME."""
        model = build_model(event, secret, recipient, self.brand, locale)
        email = self.renderer.render(event.kind, locale, model)
        message = build_message(
            email,
            sender=self.sender,
            recipient=recipient,
            recipient_name=recipient_name(event.user_attributes),
            now=now,
        )
        return Composed(email, message)
