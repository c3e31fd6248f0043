"""The template model: everything a template may show, built from the event.

Templates are hermetic: no clock, environment or event access inside them. Whatever they show
comes from here, after validation; ``clientMetadata`` contributes nothing but the locale.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sender.brand import Brand
from sender.codes import Secret
from sender.event import EmailKind, SenderEvent
from sender.i18n import LocaleInfo

MAX_NAME = 64
# Cognito usernames are at most 128 characters; anything longer never goes into a link.
MAX_USERNAME = 128
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_ATO_ACTIONS = frozenset({"BLOCK", "NO_ACTION", "MFA", "MFA_IF_CONFIGURED", "MFA_REQUIRED"})


def build_model(
    event: SenderEvent,
    secret: Secret | None,
    recipient: str,
    brand: Brand,
    locale: LocaleInfo,
) -> dict[str, Any]:
    """The context every template of ``event.kind`` is rendered with."""
    kind = event.kind
    attrs = event.user_attributes
    sign_in_name = recipient if _UUID.match(event.user_name) else event.user_name
    code = secret.reveal() if secret is not None else None
    model: dict[str, Any] = {
        "kind": kind.value,
        "lang": locale.code,
        "dir": locale.direction,
        "brand": brand.values,
        "colors": brand.values.get("colors", {}),
        "user": {
            "name": display_text(attrs.get("given_name") or attrs.get("name") or ""),
            "email": recipient,
            "username": display_text(sign_in_name, limit=128),
        },
        "code": code if kind is not EmailKind.INVITATION else None,
        "temporary_password": code if kind is EmailKind.INVITATION else None,
        "validity_minutes": brand.validity_minutes.get(kind.value),
        "action_url": brand.link(
            kind.value,
            username=sign_in_name if len(sign_in_name) <= MAX_USERNAME else "",
            code=code or "",
            email=recipient,
        ),
        "alert": _alert(attrs) if kind is EmailKind.SECURITY_ALERT else None,
    }
    return model


def display_text(value: str, *, limit: int = MAX_NAME) -> str:
    """A user-supplied string made safe to show: no control characters, bounded length."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def recipient_name(attrs: Mapping[str, str | None]) -> str:
    """The display name of the ``To`` header: ``name``, else ``given_name`` and
    ``family_name``, shown as ``display_text`` shows them; empty when unknown, or when it
    holds an ``@``: a name that reads as another address makes the header look as if it
    named someone else (and is a known spoofing pattern)."""
    name = display_text(attrs.get("name") or "")
    if not name:
        parts = (attrs.get("given_name") or "", attrs.get("family_name") or "")
        name = display_text(" ".join(parts))
    return "" if "@" in name else name


def _https(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    return value if parts.scheme == "https" and parts.netloc and " " not in value else None


def _ip(value: str | None) -> str:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return ""


def _alert(attrs: Any) -> dict[str, Any]:
    action = attrs.get("ACCOUNT_TAKE_OVER_ACTION", "")
    city = display_text(attrs.get("CITY") or "")
    country = display_text(attrs.get("COUNTRY") or "")
    return {
        "login_time": display_text(attrs.get("LOGIN_TIME") or "", limit=80),
        "ip_address": _ip(attrs.get("IP_ADDRESS")),
        "location": ", ".join(p for p in (city, country) if p),
        "device": display_text(attrs.get("DEVICE_NAME") or "", limit=80),
        "action": action if action in _ATO_ACTIONS else "NO_ACTION",
        "blocked": action == "BLOCK",
        "link_was_me": _https(attrs.get("ONE_CLICK_LINK_VALID")),
        "link_not_me": _https(attrs.get("ONE_CLICK_LINK_INVALID")),
    }
