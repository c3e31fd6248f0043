"""The Lambda entry point: compose the stages, turn failures into one log line, a metric and
an exception (so Lambda's asynchronous retries and on-failure destination keep the event)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sender.app import App, build_app
from sender.compose import compose
from sender.errors import SenderError
from sender.event import Trigger, parse_event
from sender.mime import to_bytes
from sender.observability import count, logger
from sender.redact import mask_address

# Everything imported so far (~50,000 objects) lives as long as the process: move it out of
# the collector's reach. Otherwise a full collection walks all of it, and the first one falls
# due while the app is being built (~20 ms of a cold start), then again every so often.
gc.freeze()

_app: App | None = None


def get_app() -> App:
    """The process's clients, key provider and templates, built on first use."""
    global _app
    if _app is None:
        _app = build_app()
    return _app


def reset() -> None:
    """Forget the process's app (tests and the local tools change the environment)."""
    global _app
    _app = None


class Outcome(NamedTuple):
    """What one invocation sent."""

    message_id: str
    trigger: str
    template: str
    locale: str


def lambda_handler(event: Any, context: Any = None) -> None:
    """Send the email Cognito asked for, or raise ``SenderError`` with a reason."""
    trigger = event.get("triggerSource") if isinstance(event, dict) else None
    request_id = getattr(context, "aws_request_id", None)
    try:
        outcome = send(event)
    except SenderError as err:
        _fail(err.reason, str(err), trigger, request_id, permanent=getattr(err, "permanent", None))
        raise
    except Exception as err:
        _fail("internal_error", type(err).__name__, trigger, request_id, permanent=None)
        raise
    logger.info(
        "email sent",
        extra={
            "message_id": outcome.message_id,
            "trigger": outcome.trigger,
            "template": outcome.template,
            "locale": outcome.locale,
            "request_id": request_id,
        },
    )
    count("EmailsSent", trigger=outcome.trigger)


def send(raw_event: Any) -> Outcome:
    """The pipeline: parse, decrypt, address, render, build MIME, send."""
    app = get_app()
    event = parse_event(raw_event)
    secret = app.decryptor.decrypt(event)
    recipient = app.recipients.resolve(event)
    locale = app.catalogs.resolve(
        event.client_metadata, event.user_attributes, app.config.default_locale
    )
    composed = compose(
        event,
        secret,
        recipient=recipient,
        locale=locale,
        brand=app.brand,
        renderer=app.renderer,
        sender=app.config.email_from,
        now=datetime.now(UTC),
    )
    message_id = app.ses.send(
        to_bytes(composed.message),
        sender=app.config.email_from,
        recipient=recipient,
        tags={"trigger": event.trigger.short, "template": event.kind.value, "locale": locale.code},
    )
    logger.debug("sent to", extra={"recipient": mask_address(recipient)})
    return Outcome(message_id, event.trigger.short, event.kind.value, locale.code)


def _fail(
    reason: str, message: str, trigger: Any, request_id: str | None, *, permanent: bool | None
) -> None:
    # A metric dimension: only the known trigger names, so a stray event cannot mint new ones.
    known = {t.value: t.short for t in Trigger}
    short = known.get(trigger, "unknown") if isinstance(trigger, str) else "unknown"
    logger.error(
        "email not sent",
        extra={
            "reason": reason,
            "error": message,
            "trigger": short,
            "permanent": permanent,
            "request_id": request_id,
        },
    )
    count("EmailsFailed", trigger=short, reason=reason)
