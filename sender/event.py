"""The Cognito CustomEmailSender event as a typed, validated value.

An unknown ``triggerSource`` is an error, never a default: a new Cognito trigger must get a
template on purpose, not a wrong email by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from sender.errors import EventError


class Trigger(StrEnum):
    """Every ``triggerSource`` Cognito sends to a custom email sender."""

    SIGN_UP = "CustomEmailSender_SignUp"
    RESEND_CODE = "CustomEmailSender_ResendCode"
    FORGOT_PASSWORD = "CustomEmailSender_ForgotPassword"
    UPDATE_USER_ATTRIBUTE = "CustomEmailSender_UpdateUserAttribute"
    VERIFY_USER_ATTRIBUTE = "CustomEmailSender_VerifyUserAttribute"
    ADMIN_CREATE_USER = "CustomEmailSender_AdminCreateUser"
    AUTHENTICATION = "CustomEmailSender_Authentication"
    ACCOUNT_TAKE_OVER = "CustomEmailSender_AccountTakeOverNotification"

    @property
    def short(self) -> str:
        """The source without its prefix, for tags and metric dimensions."""
        return self.value.removeprefix("CustomEmailSender_")


class EmailKind(StrEnum):
    """Every email this project sends; each is a folder under ``templates/``."""

    CONFIRM_SIGNUP = "confirm_signup"
    RESET_PASSWORD = "reset_password"
    CONFIRM_EMAIL_CHANGE = "confirm_email_change"
    VERIFY_EMAIL = "verify_email"
    INVITATION = "invitation"
    SIGN_IN_CODE = "sign_in_code"
    SECURITY_ALERT = "security_alert"


EMAIL_KIND: Mapping[Trigger, EmailKind] = {
    Trigger.SIGN_UP: EmailKind.CONFIRM_SIGNUP,
    Trigger.RESEND_CODE: EmailKind.CONFIRM_SIGNUP,
    Trigger.FORGOT_PASSWORD: EmailKind.RESET_PASSWORD,
    Trigger.UPDATE_USER_ATTRIBUTE: EmailKind.CONFIRM_EMAIL_CHANGE,
    Trigger.VERIFY_USER_ATTRIBUTE: EmailKind.VERIFY_EMAIL,
    Trigger.ADMIN_CREATE_USER: EmailKind.INVITATION,
    Trigger.AUTHENTICATION: EmailKind.SIGN_IN_CODE,
    Trigger.ACCOUNT_TAKE_OVER: EmailKind.SECURITY_ALERT,
}

# The trigger whose event carries no code at all.
CODELESS = frozenset({Trigger.ACCOUNT_TAKE_OVER})


class SenderEvent(NamedTuple):
    """One CustomEmailSender invocation, validated."""

    trigger: Trigger
    """Which Cognito flow asked for the email."""
    user_pool_id: str
    """The pool the event (and its encrypted code) belongs to."""
    user_name: str
    """The user's username (the ``sub`` UUID when email is the username attribute)."""
    region: str
    """The pool's region."""
    encrypted_code: str | None
    """The base64 Encryption SDK message holding the code; ``None`` only for account takeover."""
    user_attributes: Mapping[str, str]
    """The user's attributes, every value a string."""
    client_metadata: Mapping[str, str]
    """Whatever the calling client sent: untrusted, never a recipient, link or markup."""
    client_id: str | None = None
    """The app client id, when Cognito gave one."""

    @property
    def kind(self) -> EmailKind:
        """The email this event asks for."""
        return EMAIL_KIND[self.trigger]

    def __repr__(self) -> str:
        return (
            f"SenderEvent(trigger={self.trigger.value!r}, user_pool_id={self.user_pool_id!r}, "
            f"user_name={self.user_name!r}, code={'<redacted>' if self.encrypted_code else None})"
        )


def parse_event(raw: Any) -> SenderEvent:
    """Validate a raw Lambda event; raise ``EventError`` naming what is wrong."""
    if not isinstance(raw, Mapping):
        raise EventError(f"event must be a JSON object, got {type(raw).__name__}")
    source = raw.get("triggerSource")
    try:
        trigger = Trigger(str(source)) if isinstance(source, str) else Trigger("")
    except ValueError:
        raise EventError(
            f"unknown triggerSource {_short(source)}; expected one of "
            f"{', '.join(t.value for t in Trigger)}",
            reason="unknown_trigger",
        ) from None
    request = raw.get("request")
    if not isinstance(request, Mapping):
        raise EventError("event.request must be an object")
    code = request.get("code")
    if trigger in CODELESS:
        code = None
    elif not isinstance(code, str) or not code.strip():
        raise EventError(f"event.request.code must be a non-empty string for {trigger.value}")
    caller = raw.get("callerContext")
    client_id = caller.get("clientId") if isinstance(caller, Mapping) else None
    return SenderEvent(
        trigger=trigger,
        user_pool_id=_required_str(raw, "userPoolId"),
        user_name=_required_str(raw, "userName"),
        region=str(raw["region"]) if isinstance(raw.get("region"), str) else "",
        encrypted_code=code,
        user_attributes=_string_map(request.get("userAttributes"), "request.userAttributes"),
        client_metadata=_string_map(request.get("clientMetadata"), "request.clientMetadata"),
        client_id=client_id if isinstance(client_id, str) else None,
    )


def _required_str(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise EventError(f"event.{key} must be a non-empty string, got {_short(value)}")
    return value


def _string_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise EventError(f"event.{where} must be an object or null, got {type(value).__name__}")
    # Cognito sends strings only; a null value (seen for ATO's CITY, COUNTRY...) means absent.
    out: dict[str, str] = {}
    for key, item in value.items():
        if item is None:
            continue
        if not isinstance(key, str) or not isinstance(item, str):
            raise EventError(f"event.{where}[{_short(key)}] must be a string")
        out[key] = item
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
