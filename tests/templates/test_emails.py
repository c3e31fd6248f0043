"""What every rendered email must be: right-to-left Arabic, encoded Japanese subjects, every
kind in every locale, hostile values escaped, blank lines kept, brand colours readable."""

from __future__ import annotations

import html
import re
import tomllib
from email.header import decode_header, make_header
from pathlib import Path

import jinja2
import mjml
import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sender.i18n import LocaleInfo
from sender.mime import to_bytes
from sender.model import build_model
from sender.render import LITERAL_FIELDS, Renderer
from sender.templating import INLINER
from sendertools import cli
from sendertools.check.brands import MIN_CONTRAST, PAIRS, Pair, contrast_ratio
from sendertools.samples import Workbench
from tests.conftest import parse_mime, parts

WB = Workbench(DEFAULT_TEMPLATES_DIR)
LOCALES = ("en", "de", "fr", "es", "ja", "ar")
ISOLATED = re.compile(r'<span dir="auto">([^<]*)</span>')


def test_every_locale_has_every_kind_translated() -> None:
    assert set(WB.catalogs.locales) == set(LOCALES)
    english = {k: WB.compose(WB.sample(k, "default"), "en").email for k in EmailKind}
    for kind in EmailKind:
        for locale in LOCALES[1:]:
            email = WB.compose(WB.sample(kind, "default"), locale).email
            assert email.locale == locale
            assert email.subject != english[kind].subject, (kind, locale)
            assert email.text.splitlines()[2] != english[kind].text.splitlines()[2], (kind, locale)


def test_arabic_renders_right_to_left_and_mirrored() -> None:
    email = WB.compose(WB.sample(EmailKind.CONFIRM_SIGNUP, "default"), "ar").email
    assert re.search(r'<html lang="ar" dir="rtl"', email.html)
    assert "text-align:right" in email.html.replace(" ", "")
    assert "direction: rtl" in email.html
    # The code stays left-to-right inside the right-to-left text.
    assert re.search(r'class="code-box"[^>]*direction: ltr', email.html)
    english = WB.compose(WB.sample(EmailKind.CONFIRM_SIGNUP, "default"), "en").email
    assert re.search(r'<html lang="en" dir="ltr"', english.html)
    assert "direction: rtl" not in english.html


def test_japanese_subject_is_rfc2047_encoded_and_decodes_back() -> None:
    composed = WB.compose(WB.sample(EmailKind.INVITATION, "default"), "ja")
    raw = to_bytes(composed.message)
    header = re.search(rb"^Subject: (.*(?:\r\n[ \t].*)*)", raw, re.M)
    assert header is not None
    assert re.search(rb"=\?utf-8\?[bq]\?", header.group(1), re.I)
    assert all(b < 128 for b in raw), "the wire form must be 7-bit clean"
    decoded = str(make_header(decode_header(header.group(1).decode("ascii"))))
    assert decoded == composed.email.subject == "Example に招待されました"
    assert parse_mime(raw)["Subject"] == composed.email.subject


@pytest.mark.parametrize(
    "kind", [k for k in EmailKind if "hostile" in WB.samples[k]], ids=lambda k: k.value
)
@pytest.mark.parametrize("locale", ["en", "ar"])
def test_hostile_values_are_escaped_and_bounded(kind: EmailKind, locale: str) -> None:
    composed = WB.compose(WB.sample(kind, "hostile"), locale)
    text, body = parts(parse_mime(to_bytes(composed.message)))
    tags = set(re.findall(r"<([a-zA-Z][\w-]*)", body))
    assert tags.isdisjoint({"script", "b"}), tags
    assert re.search(r"<[^>]*onerror", body) is None
    assert "&lt;script&gt;" in body
    assert "@@V" not in body and "@@V" not in text
    # The 10,000-character name is cut to 64 characters, in the HTML and the text.
    assert "A" * 100 not in body and "A" * 100 not in text
    assert len(text.splitlines()[0]) < 64 + 20 and "…" in text.splitlines()[0]
    assert max(len(line) for line in text.splitlines()) < 1000
    assert "\n" not in composed.email.subject
    assert "javascript:" not in body and "http://evil" not in body


def test_a_value_that_looks_like_a_token_is_printed_as_given() -> None:
    email = WB.compose(WB.sample(EmailKind.RESET_PASSWORD, "hostile"), "en").email
    assert "@@V0@@" not in email.html
    name_line = email.text.splitlines()[0]
    assert "{{ 7*7 }}" in name_line and "49" not in name_line


def test_text_part_keeps_paragraphs_apart() -> None:
    text = WB.compose(WB.sample(EmailKind.CONFIRM_SIGNUP, "default"), "en").email.text
    lines = text.splitlines()
    code_at = lines.index("    482913")
    assert lines[code_at - 1] == "" and lines[code_at + 1] == ""
    assert lines[lines.index("-- ") - 1] == ""
    assert "\n\n\n" not in text
    assert lines[1] == ""


def test_every_link_and_the_code_are_in_the_text_part() -> None:
    email = WB.compose(WB.sample(EmailKind.SECURITY_ALERT, "default"), "fr").email
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', email.html)]
    assert len(hrefs) >= 5
    for href in hrefs:
        assert href.removeprefix("mailto:") in email.text


def test_cached_render_equals_a_direct_render_of_the_real_values() -> None:
    renderer = Renderer(DEFAULT_TEMPLATES_DIR, WB.catalogs)
    for kind in EmailKind:
        for name, sample in WB.samples[kind].items():
            for locale in ("en", "ar"):
                event = sample.event()
                info = LocaleInfo(locale)
                model = build_model(
                    event, sample.secret(), event.user_attributes["email"], WB.brand, info
                )
                cached = renderer.render(kind, info, model)
                again = renderer.render(kind, info, model)
                assert cached == again
                env = renderer.environment(locale)
                subject = " ".join(env.get_template(f"{kind}/subject.txt").render(model).split())
                context = {**model, "subject": subject, "preheader": cached.preheader}
                source = env.get_template(f"{kind}/body.mjml").render(context)
                direct = str(INLINER.inline(mjml.mjml2html(source, disable_comments=True)))
                text = env.get_template(f"{kind}/body.txt").render(context).strip() + "\n"
                assert cached.subject == subject, (kind, name)
                assert cached.text == text, (kind, name)
                # The one difference: values in the HTML's text are bidi-isolated.
                shown = ISOLATED.sub(r"\1", cached.html)
                assert html.unescape(shown) == html.unescape(direct), (kind, name)


def test_literal_fields_exist_in_the_model() -> None:
    sample = WB.sample(EmailKind.SECURITY_ALERT, "default")
    model = build_model(sample.event(), None, "ada@example.com", WB.brand, LocaleInfo("en"))
    for path in LITERAL_FIELDS:
        value: object = model
        for key in path.split("."):
            assert isinstance(value, dict) and key in value, path
            value = value[key]


def test_strict_undefined_is_on() -> None:
    env = Renderer(DEFAULT_TEMPLATES_DIR, WB.catalogs).environment("en")
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ nope }}").render()


def test_contrast_ratio_formula_matches_known_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#ffffff", "#777777") == contrast_ratio("#777777", "#ffffff")


# Every brand's palette, held to the pairs the check holds it to (the check's own list).
BRAND_PAIRS = [(brand, pair) for brand in WB.brands for pair in PAIRS]


@pytest.mark.parametrize(
    ("brand", "pair"), BRAND_PAIRS, ids=[f"{b}-{p.fg}-on-{p.bg}" for b, p in BRAND_PAIRS]
)
def test_brand_colour_pairs_meet_wcag_aa(brand: str, pair: Pair) -> None:
    colors = WB.brand_named(brand).values["colors"]
    ratio = contrast_ratio(colors[pair.fg], colors[pair.bg])
    assert ratio >= MIN_CONTRAST, (brand, pair, colors[pair.fg], colors[pair.bg], ratio)


def test_brand_colours_reach_the_html() -> None:
    colors = tomllib.loads((DEFAULT_TEMPLATES_DIR / "brand.toml").read_text())["colors"]
    email = WB.compose(WB.sample(EmailKind.CONFIRM_SIGNUP, "default"), "en").email
    for name, value in colors.items():
        assert value.lower() in email.html.lower(), name
    used = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", email.html)}
    allowed = {v.lower() for v in colors.values()} | {"#ffffff"}
    assert used <= allowed, used - allowed


def test_gmail_force_inversion_safeguards() -> None:
    email = WB.compose(WB.sample(EmailKind.CONFIRM_SIGNUP, "default"), "en").email
    # The logo sits on a chip whose white is a gradient, which Gmail does not invert.
    assert re.search(r'class="logo-chip"[^>]*linear-gradient\(#ffffff, #ffffff\)', email.html)
    # Every coloured text has its own background on the same element: never white-on-white.
    assert re.search(r'class="code-box"[^>]*color: #1f2937;background-color: #eef2ff', email.html)
    assert '<meta name="color-scheme" content="light dark">' in email.html
    assert "@media (prefers-color-scheme: dark)" in email.html


def test_accessibility_basics() -> None:
    for kind in EmailKind:
        page = WB.compose(WB.sample(kind, "default"), "de").email.html
        for table in re.findall(r"<table\b[^>]*>", page):
            assert 'role="presentation"' in table, table
        for img in re.findall(r"<img\b[^>]*>", page):
            assert re.search(r'\balt="[^"]+"', img), img


def test_render_and_export_verbs(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert (
        cli.main(
            ["render", "security_alert", "--locale", "ar", "--sample", "no_links", "--part", "text"]
        )
        == 0
    )
    assert "مرحبًا" in capsysbinary.readouterr().out.decode("utf-8")
    eml = tmp_path / "a.eml"
    assert (
        cli.main(["render", "invitation", "--locale", "ja", "--part", "eml", "--out", str(eml)])
        == 0
    )
    assert parse_mime(eml.read_bytes())["Subject"] == "Example に招待されました"
    assert cli.main(["render", "invitation", "--sample", "nope"]) == 1
    site = tmp_path / "site"
    assert cli.main(["export", str(site)]) == 0
    index = (site / "index.html").read_text()
    for brand in WB.brands:
        for kind, samples in WB.samples.items():
            for name in samples:
                for locale in LOCALES:
                    assert f'href="{brand}/{kind.value}/{locale}/{name}.html"' in index
                    assert (site / brand / kind.value / locale / f"{name}.txt").is_file()
    northwind = (site / "northwind" / "confirm_signup" / "en" / "default.eml").read_bytes()
    assert parse_mime(northwind)["From"] == "Northwind Partners <no-reply@northwind.example.com>"
    assert cli.main(["render", "confirm_signup", "--brand", "northwind", "--part", "text"]) == 0
    assert "Northwind" in capsysbinary.readouterr().out.decode("utf-8")
    assert cli.main(["render", "confirm_signup", "--brand", "nope"]) == 1


def test_untrusted_alert_and_username_values_are_validated_before_use() -> None:
    alert = WB.compose(WB.sample(EmailKind.SECURITY_ALERT, "hostile"), "en").email
    assert "IP address:" not in alert.text  # "203.0.113.7<br>" is not an IP address
    assert "When:" in alert.text and "Device:" in alert.text
    invitation = WB.compose(WB.sample(EmailKind.INVITATION, "hostile"), "en").email
    # A username longer than Cognito allows never reaches a link.
    assert "https://app.example.com/sign-in\n" in invitation.text
    assert "u" * 129 not in invitation.text
