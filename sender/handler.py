"""The Lambda entry point: compose the stages, turn failures into one log line, a metric and
an exception (so Lambda's asynchronous retries and on-failure destination keep the event).

``send(app, event)`` is the pipeline; ``handle`` adds the failure policy; ``lambda_handler``
is the Lambda's edge, the one place that reads the environment (through ``Config.from_env``)
and keeps an app for the life of the process. The tools build their own app from a
configuration and call ``handle``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from sender.app import App, build_app
from sender.config import Config
from sender.errors import SenderError
from sender.event import Trigger, parse_event
from sender.mime import to_bytes
from sender.observability import count, logger
from sender.redact import mask_address

_app: App | None = None


def get_app() -> App:
    """The Lambda's app, built from the environment on first use."""
    global _app
    if _app is None:
        _app = build_app(Config.from_env())
    return _app


def reset() -> None:
    """Forget the Lambda's app (for tests of this module that change the environment)."""
    global _app
    _app = None


class Outcome(NamedTuple):
    """What one invocation sent."""

    message_id: str
    trigger: str
    template: str
    locale: str
    brand: str


# Every log line carries the request id and cold start, and no key outlives its invocation.
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Any, context: Any) -> None:
    """Send the email Cognito asked for, or raise ``SenderError`` with a reason."""
    try:
        app = get_app()
    except Exception as err:
        _fail(err, event, function=context.function_name)
        raise
    handle(app, event)


def handle(app: App, event: Any) -> Outcome:
    """Send one event's email with ``app``: logged and counted either way; a failure is
    raised again after its log line and metric."""
    try:
        outcome = send(app, event)
    except Exception as err:
        _fail(err, event, function=app.config.function_name)
        raise
    logger.info(
        "email sent",
        extra={
            "message_id": outcome.message_id,
            "trigger": outcome.trigger,
            "template": outcome.template,
            "locale": outcome.locale,
            "brand": outcome.brand,
        },
    )
    count(
        "EmailsSent",
        function=app.config.function_name,
        trigger=outcome.trigger,
        brand=outcome.brand,
    )
    return outcome


def send(app: App, raw_event: Any) -> Outcome:
    """The pipeline: parse, decrypt, address, choose the brand, render, build MIME, send."""
    event = parse_event(raw_event)
    secret = app.decryptor.decrypt(event)
    recipient = app.recipients.resolve(event)
    locale = app.catalogs.resolve(
        event.client_metadata, event.user_attributes, app.config.default_locale
    )
    brand = app.brands.select(event.client_id, event.user_pool_id)
    composer = app.composers[brand.name]
    composed = composer.compose(
        event, secret, recipient=recipient, locale=locale, now=datetime.now(UTC)
    )
    message_id = app.ses.send(
        to_bytes(composed.message),
        sender=composer.sender,
        recipient=recipient,
        tags={
            "trigger": event.trigger.short,
            "template": event.kind.value,
            "locale": locale.code,
            "brand": brand.name,
        },
        configuration_set=brand.configuration_set,
    )
    logger.debug("sent to", extra={"recipient": mask_address(recipient)})
    return Outcome(message_id, event.trigger.short, event.kind.value, locale.code, brand.name)


def _fail(err: Exception, event: Any, *, function: str) -> None:
    """The log line and metric of an email not sent: a ``SenderError`` gives its reason, any
    other exception is an internal error named by its type only (its text may hold data)."""
    if isinstance(err, SenderError):
        reason, message, permanent = err.reason, str(err), getattr(err, "permanent", None)
    else:
        reason, message, permanent = "internal_error", type(err).__name__, None
    trigger = event.get("triggerSource") if isinstance(event, dict) else None
    # A metric dimension: only the known trigger names, so a stray event cannot mint new ones.
    known = {t.value: t.short for t in Trigger}
    short = known.get(trigger, "unknown") if isinstance(trigger, str) else "unknown"
    logger.error(
        "email not sent",
        extra={"reason": reason, "error": message, "trigger": short, "permanent": permanent},
    )
    count("EmailsFailed", function=function, trigger=short, reason=reason)
