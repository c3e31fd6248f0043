"""Emails that spam filters and screen readers trust: a preheader hidden without a colour
trick, alert times written the locale's way, user values stripped of invisible characters and
bidi-isolated, table headers with a scope, no dangling link parameter. (Translations shown as
text: test_translations.py.)"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markupsafe import escape

from sender.compose import Composed
from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sendertools.samples import Workbench, sample_from_data
from tests.conftest import parse_mime, parts

WB = Workbench(DEFAULT_TEMPLATES_DIR)
LOCALES = ("en", "de", "fr", "es", "ja", "ar")
HIDING = {
    "display": "none",
    "font-size": "1px",
    "line-height": "1px",
    "max-height": "0px",
    "max-width": "0px",
    "opacity": "0",
    "overflow": "hidden",
    "mso-hide": "all",
}
# What display_text must remove: bidi embeddings, overrides and isolates, zero-width
# characters, word joiner and invisible operators, BOM, tag characters, other Cf.
INVISIBLE = (
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x2060, 0x2065)]
    + ["\ufeff", "\U000e0001", "\U000e0041", "\U000e007f", "\u00ad", "\u061c"]
)


def compose(
    kind: EmailKind,
    locale: str,
    sample: str = "default",
    *,
    user_name: str | None = None,
    templates: Workbench = WB,
    **attributes: str | None,
) -> Composed:
    """A sample with some attributes (or the user name) replaced, through the real pipeline."""
    base = templates.sample(kind, sample)
    data: dict[str, Any] = {
        **base.data,
        "userAttributes": {**base.data["userAttributes"], **attributes},
    }
    if user_name is not None:
        data["userName"] = user_name
    return templates.compose(sample_from_data(kind, base.path, data), locale)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(source: str, tag: str) -> list[dict[str, str | None]]:
    parser = _Elements()
    parser.feed(source)
    parser.close()
    return [attrs for name, attrs in parser.found if name == tag]


def declarations(style: str | None) -> dict[str, str]:
    pairs = (d.partition(":") for d in (style or "").split(";") if d.strip())
    return {k.strip().lower(): v.strip().lower() for k, _, v in pairs}


def sent(composed: Composed) -> tuple[str, str]:
    """The text and HTML parts as the recipient's client decodes them."""
    from sender.mime import to_bytes

    text, body = parts(parse_mime(to_bytes(composed.message)))
    return text.replace("\r\n", "\n"), body


# --- 1. the preheader -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EmailKind), ids=lambda k: k.value)
def test_the_preheader_is_hidden_without_colouring_it_like_the_page(kind: EmailKind) -> None:
    email = WB.compose(WB.sample(kind, "default"), "en").email
    [preheader] = [a for a in elements(email.html, "div") if a.get("class") == "preheader"]
    style = declarations(preheader["style"])
    assert not {k for k in style if k == "color" or k.endswith("-color")}, style
    assert {k: style.get(k) for k in HIDING} == HIDING
    # Still the inbox preview: the first text of the body, before the logo and the card.
    at = email.html.index('class="preheader"')
    assert at < email.html.index('class="logo-chip"')
    assert email.preheader in email.html[at : email.html.index("</div>", at)]
    # The white-on-page block MJML's <mj-preview> writes is gone for good.
    assert "color:#ffffff;line-height:1px" not in email.html.replace(" ", "")


# --- 3. the alert's time, written the locale's way -----------------------------------------

DATES = {
    "en": ("Friday, March 19, 2021, 2:25\u202fPM UTC",),
    "de": ("Freitag, 19. März 2021, 14:25 UTC",),
    "fr": ("vendredi 19 mars 2021, 14:25 UTC",),
    "es": ("viernes, 19 de marzo de 2021, 14:25 UTC",),
    "ja": ("2021年3月19日金曜日 14:25 UTC",),
    "ar": ("الجمعة", "مارس", "2021", "UTC"),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_alert_time_is_written_with_the_locales_date_and_time(locale: str) -> None:
    composed = WB.compose(WB.sample(EmailKind.SECURITY_ALERT, "default"), locale)
    text, body = sent(composed)
    for words in DATES[locale]:
        assert words in text and words in body, (locale, words)
    if locale != "en":
        # Cognito's English form is gone: weekday and month are the locale's.
        assert "Friday" not in text and "March" not in text and "Friday" not in body


def test_german_japanese_and_arabic_weekday_and_month() -> None:
    german = compose(
        EmailKind.SECURITY_ALERT, "de", LOGIN_TIME="Monday, January 03, 2022 09:05 AM UTC"
    )
    assert "Montag, 3. Januar 2022, 09:05 UTC" in german.email.text
    japanese = compose(
        EmailKind.SECURITY_ALERT, "ja", LOGIN_TIME="Monday, January 03, 2022 09:05 AM UTC"
    )
    assert "2022年1月3日月曜日 9:05 UTC" in japanese.email.text
    arabic = compose(
        EmailKind.SECURITY_ALERT, "ar", LOGIN_TIME="Monday, January 03, 2022 09:05 PM UTC"
    )
    assert "الاثنين" in arabic.email.text and "يناير" in arabic.email.text
    assert "9:05 م UTC" in arabic.email.text


@pytest.mark.parametrize(
    "value",
    [
        "yesterday <b>evening</b>",
        "Thursday, March 19, 2021 02:25 PM UTC",  # the 19th was a Friday
        "Friday, March 19, 2021 02:25 PM CET",
        "Friday, March 19, 2021 14:25 PM UTC",
        "2021-03-19T14:25:00Z",
    ],
)
def test_a_login_time_not_in_cognitos_form_is_shown_as_given(value: str) -> None:
    composed = compose(EmailKind.SECURITY_ALERT, "de", LOGIN_TIME=value)
    text, body = sent(composed)
    assert f"Wann: {value}" in text
    assert str(escape(value)) in body
    assert "<b>" not in body


# --- 4. bidi: invisible characters stripped, values isolated -------------------------------


def test_an_arabic_email_isolates_a_latin_name() -> None:
    email = compose(EmailKind.CONFIRM_SIGNUP, "ar", given_name="J.R.").email
    assert '<span dir="auto">J.R.</span>' in email.html
    # Isolated inside the Arabic greeting, not around it.
    assert re.search(r'مرحبًا <span dir="auto">J\.R\.</span>،', email.html)


@pytest.mark.parametrize("locale", ["ar", "en"])
def test_every_user_value_in_the_html_text_is_isolated(locale: str) -> None:
    composed = WB.compose(WB.sample(EmailKind.SECURITY_ALERT, "default"), locale)
    model_values = ["Ada", "203.0.113.7", "Lisbon, Portugal", "Firefox 120, Linux"]
    body = composed.email.html
    for value in model_values:
        shown = str(escape(value))
        assert body.count(shown) == body.count(f'<span dir="auto">{shown}</span>') >= 1, value
    # Never inside a tag: links keep their hrefs, the title its text.
    assert not re.search(r"<[^>]*<span", body)
    assert "<title><span" not in body


def test_bidi_overrides_and_invisible_characters_never_arrive() -> None:
    composed = compose(
        EmailKind.SECURITY_ALERT,
        "en",
        name="\u202eknaB ruoY",
        given_name="\u202eknaB ruoY",
        DEVICE_NAME="Fire\u200bfox\U000e0041\U000e007f 120",
        CITY="Lis\u2066bon\u2069\ufeff",
        COUNTRY="Port\u2060ugal\u00ad",
    )
    text, body = sent(composed)
    # The preheader's own filler (zero-width non-joiners keep inbox previews short) aside.
    body = re.sub(r'<div class="preheader".*?</div>', "", body, flags=re.S)
    everything = "\n".join([composed.email.subject, composed.email.preheader, text, body])
    everything += "\n" + str(parse_mime(composed.message.as_bytes())["To"])
    for ch in INVISIBLE:
        assert ch not in everything, f"U+{ord(ch):04X}"
    assert "knaB ruoY" in text and "Firefox 120" in text and "Lisbon, Portugal" in text
    assert '<span dir="auto">knaB ruoY</span>' in body


@pytest.mark.parametrize(
    "kind", [k for k in EmailKind if "hostile" in WB.samples[k]], ids=lambda k: k.value
)
def test_hostile_samples_lose_their_override_characters(kind: EmailKind) -> None:
    sample = WB.sample(kind, "hostile")
    assert "\u202e" in json.dumps(sample.data["userAttributes"], ensure_ascii=False)
    text, body = sent(WB.compose(sample, "ar"))
    # A code or temporary password is shown exactly as issued (it is typed back), isolated.
    secret = sample.secret()
    if secret is not None:
        text = text.replace(secret.reveal(), "")
        body = body.replace(f'<span dir="auto">{escape(secret.reveal())}</span>', "")
    assert "\u202e" not in text and "\u202e" not in body and "\u200f" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_text_part_carries_no_isolate_characters(locale: str) -> None:
    # Decided against FSI/PDI in text/plain: they travel with copied usernames and passwords
    # and show as boxes in plain-text renderers without bidi isolates.
    for kind in EmailKind:
        text = WB.compose(WB.sample(kind, "default"), locale).email.text
        assert not set(text) & {"\u2066", "\u2067", "\u2068", "\u2069"}, (kind, locale)


# --- 5. the details table's headers --------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_the_alert_details_headers_have_a_row_scope(locale: str) -> None:
    email = WB.compose(WB.sample(EmailKind.SECURITY_ALERT, "default"), locale).email
    headers = elements(email.html, "th")
    assert len(headers) == 4
    assert {h.get("scope") for h in headers} == {"row"}


# --- 6. no dangling link parameter ---------------------------------------------------------


def test_a_username_too_long_for_the_link_leaves_no_empty_parameter() -> None:
    composed = compose(EmailKind.INVITATION, "en", user_name="u" * 200)
    text, body = sent(composed)
    assert "username=" not in text and "username=" not in body
    assert "https://app.example.com/sign-in\n" in text
    assert 'href="https://app.example.com/sign-in"' in body
    short = compose(EmailKind.INVITATION, "en", user_name="ada.lovelace")
    assert "https://app.example.com/sign-in?username=ada.lovelace\n" in short.email.text
    # Only the empty parameter goes: the code stays in a link that has both.
    reset = compose(EmailKind.RESET_PASSWORD, "en", user_name="u" * 200).email.text
    assert "https://app.example.com/reset-password?code=730154\n" in reset
