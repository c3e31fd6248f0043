"""One error hierarchy for the whole pipeline.

Every error carries a ``reason``: a short, stable, ASCII code that becomes the metric
dimension and the log field. Messages name the bad value, never a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


class SenderError(Exception):
    """Base class: the email was not sent."""

    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class ConfigError(SenderError):
    """The function's environment or brand file is invalid."""

    reason = "config_invalid"


class EventError(SenderError):
    """The Cognito event is malformed or of an unknown kind."""

    reason = "event_invalid"


class DecryptError(SenderError):
    """The encrypted code could not be decrypted, or was meant for another pool."""

    reason = "decrypt_failed"


class RecipientError(SenderError):
    """No valid recipient address could be found for the event."""

    reason = "recipient_invalid"


class RenderError(SenderError):
    """A template could not be rendered."""

    reason = "render_failed"


class SendError(SenderError):
    """SES refused or failed to send the message.

    ``permanent`` says whether retrying the same event can ever help; ``response`` keeps
    botocore's error response for whoever handles the error.
    """

    reason = "ses_failed"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        permanent: bool = False,
        response: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.permanent = permanent
        self.response = response or {}


def not_utf8(where: Path | str, err: UnicodeDecodeError) -> str:
    """The message for a file that is not UTF-8: the file, the bad bytes and their offset."""
    bad = err.object[err.start : err.end].hex(" ")
    return (
        f"{where}: not UTF-8: byte {bad} at offset {err.start} ({err.reason}); "
        "save the file as UTF-8"
    )
