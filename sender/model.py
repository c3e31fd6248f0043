"""The template model: everything a template may show, built from the event.

Templates are hermetic: no clock, environment or event access inside them. Whatever they show
comes from here, after validation; ``clientMetadata`` contributes nothing but the locale.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
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
# Invisible characters that reorder or hide text: bidi embeddings, overrides and isolates,
# zero-width characters and joiners, word joiner and invisible operators, the byte-order mark
# and the tag characters; every other format (Cf) character goes too. Listed as ranges as well
# because some are unassigned (U+2065, most tags) and a later Unicode may make them Cf.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]")
# Cognito's LOGIN_TIME: "Friday, March 19, 2021 02:25 PM UTC", English, always UTC. The shape
# is checked first: strptime alone would accept any case, runs of spaces and non-ASCII digits.
COGNITO_TIME_FORMAT = "%A, %B %d, %Y %I:%M %p %Z"
_COGNITO_TIME = re.compile(
    r"(?P<weekday>[A-Z][a-z]+), [A-Z][a-z]+ \d{1,2}, \d{4} \d{1,2}:\d{2} [AP]M UTC", re.ASCII
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
        "action_url": _without_empty_parameters(
            brand.link(
                kind.value,
                username=sign_in_name if len(sign_in_name) <= MAX_USERNAME else "",
                code=code or "",
                email=recipient,
            )
        ),
        "alert": _alert(attrs, locale) if kind is EmailKind.SECURITY_ALERT else None,
    }
    return model


def display_text(value: str, *, limit: int = MAX_NAME) -> str:
    """A user-supplied string made safe to show: no control characters, no invisible
    characters that reorder or hide text (bidi controls, zero-width characters, tags), one
    line, bounded length."""
    cleaned = _INVISIBLE.sub("", value)
    cleaned = "".join(_shown_char(ch) for ch in cleaned)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def _shown_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    return " " if category in ("Cc", "Zl", "Zp") else ch


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


def login_time(value: str, locale: LocaleInfo) -> str:
    """An alert's ``LOGIN_TIME`` written the locale's way (CLDR, through Babel), e.g.
    "Freitag, 19. März 2021, 14:25 UTC"; a value not in Cognito's form is shown as given."""
    when = parse_cognito_time(value)
    shown = display_text(value, limit=80)
    if when is None:
        return shown
    # Babel (and its CLDR data) costs ~50 ms to load: only the alerts that show a time pay it.
    from babel.core import UnknownLocaleError
    from babel.dates import format_date, format_time, get_datetime_format

    tag = locale.code.replace("-", "_")
    try:
        date = format_date(when, "full", locale=tag)
        time = format_time(when, "short", tzinfo=UTC, locale=tag)
        pattern = str(get_datetime_format("full", locale=tag))
    except (UnknownLocaleError, ValueError):
        return shown
    # As Babel's own format_datetime joins them; the zone is always UTC, named as Cognito does.
    return pattern.replace("'", "").replace("{0}", f"{time} UTC").replace("{1}", date)


def parse_cognito_time(value: str) -> datetime | None:
    """Cognito's ``LOGIN_TIME`` form (``COGNITO_TIME_FORMAT``, UTC) as an aware datetime, or
    ``None`` for anything else, including a weekday that is not the date's."""
    shape = _COGNITO_TIME.fullmatch(value)
    if shape is None:
        return None
    try:
        when = datetime.strptime(value, COGNITO_TIME_FORMAT)
    except ValueError:
        return None
    if shape.group("weekday") != _WEEKDAYS[when.weekday()]:
        return None
    return when.replace(tzinfo=UTC)


def _without_empty_parameters(url: str | None) -> str | None:
    """The link without query parameters left empty (a username too long to include): a
    dangling ``?username=`` would send the user to a form that looks pre-filled and is not."""
    if url is None:
        return url
    before_fragment, hash_mark, fragment = url.partition("#")
    base, question_mark, query = before_fragment.partition("?")
    if not question_mark:
        return url
    kept = "&".join(p for p in query.split("&") if p and p.partition("=")[1:] != ("=", ""))
    return base + (f"?{kept}" if kept else "") + hash_mark + fragment


def _https(value: str | None) -> str | None:
    if not value:
        return None
    if not (value.isascii() and value.isprintable()) or " " in value:
        return None  # control, invisible or non-ASCII characters: not a link Cognito made
    parts = urlsplit(value)
    return value if parts.scheme == "https" and parts.netloc else None


def _ip(value: str | None) -> str:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return ""


def _alert(attrs: Any, locale: LocaleInfo) -> dict[str, Any]:
    action = attrs.get("ACCOUNT_TAKE_OVER_ACTION", "")
    city = display_text(attrs.get("CITY") or "")
    country = display_text(attrs.get("COUNTRY") or "")
    return {
        "login_time": login_time(attrs.get("LOGIN_TIME") or "", locale),
        "ip_address": _ip(attrs.get("IP_ADDRESS")),
        "location": ", ".join(p for p in (city, country) if p),
        "device": display_text(attrs.get("DEVICE_NAME") or "", limit=80),
        "action": action if action in _ATO_ACTIONS else "NO_ACTION",
        "blocked": action == "BLOCK",
        "link_was_me": _https(attrs.get("ONE_CLICK_LINK_VALID")),
        "link_not_me": _https(attrs.get("ONE_CLICK_LINK_INVALID")),
    }
