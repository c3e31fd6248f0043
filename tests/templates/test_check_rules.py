"""Every rule of the template check on its own: fed an email (or a templates folder) that
breaks it, it names the bad value with its id and severity; fed the shipped one, it is quiet.

The emails are real renders of the shipped templates, then changed in the one place a rule
reads (``dataclasses.replace`` on the context), so each test breaks exactly one thing.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.errors import RenderError, SenderError
from sender.event import EmailKind
from sendertools.check import (
    CLIP_BYTES,
    EMAIL_RULES,
    FOLDER_RULES,
    Finding,
    check_all,
    check_email,
)
from sendertools.check import context as context_module
from sendertools.check.brands import LAYOUT_COLORS, PAIRS, color_missing, contrast
from sendertools.check.catalogs import (
    catalog_markup,
    untranslated_in_catalogs,
    untranslated_in_email,
)
from sendertools.check.codes import code_missing, text_missing_code
from sendertools.check.context import EmailContext, FolderContext, Untranslated
from sendertools.check.failure import RENDER_RULES, render_failure
from sendertools.check.folder import kind_incomplete, no_samples
from sendertools.check.links import http_link, link_origin, text_missing_link
from sendertools.check.output import img_alt, lang, leftover, preheader, subject_length
from sendertools.check.spam import queue, spam_findings, spam_report
from sendertools.check.wire import MAX_LINE, WARN_BYTES, mime_line, mime_size
from sendertools.samples import Workbench
from sendertools.spamscore import Rule, SpamBatch, SpamScore
from tests.templates.test_translations import set_msgstr

PO = "locales/de/LC_MESSAGES/messages.po"


@pytest.fixture(scope="module")
def wb() -> Workbench:
    return Workbench(DEFAULT_TEMPLATES_DIR)


def render(
    wb: Workbench,
    kind: EmailKind = EmailKind.RESET_PASSWORD,
    locale: str = "en",
    sample: str = "default",
    untranslated: Untranslated | None = None,
    brand: str | None = None,
) -> EmailContext:
    return EmailContext.render(wb, kind, locale, sample, untranslated or {}, brand)


@pytest.fixture(scope="module")
def ctx(wb: Workbench) -> EmailContext:
    """The shipped reset-password email, English, default sample."""
    return render(wb)


def with_html(ctx: EmailContext, body: str, lang: str = "en", dir: str = "ltr") -> EmailContext:
    html = f'<html lang="{lang}" dir="{dir}"><body>{body}</body></html>'
    return replace(ctx, email=ctx.email._replace(html=html))


def only(findings: object) -> Finding:
    found = list(findings)  # type: ignore[call-overload]
    assert len(found) == 1, found
    return found[0]


def assert_where(finding: Finding, ctx: EmailContext) -> None:
    where = (finding.kind, finding.locale, finding.sample, finding.brand)
    assert where == (ctx.kind.value, ctx.locale, "default", "base")


def write_overlay(templates: Path, name: str, toml: str) -> None:
    """A brand overlay ``brands/<name>.toml`` in a templates copy."""
    (templates / "brands" / f"{name}.toml").write_text(toml, encoding="utf-8")


def set_color(templates: Path, file: str, key: str, value: str | None) -> None:
    """Set (or, with ``None``, remove) ``[colors] key`` in a brand file of a templates copy."""
    path = templates / file
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if line.split("=")[0].strip() == key)
    if value is None:
        del lines[at]
    else:
        lines[at] = f'{key} = "{value}"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the encoded message ------------------------------------------------------------------


def test_mime_size_errors_over_gmail_s_clip(ctx: EmailContext) -> None:
    finding = only(mime_size(replace(ctx, raw=b"x" * (CLIP_BYTES + 1))))
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "mime_size",
        "reset_password",
    )
    assert finding.message == "104449 bytes encoded: Gmail clips over 104448"
    assert_where(finding, ctx)


def test_mime_size_warns_close_to_the_clip(ctx: EmailContext) -> None:
    finding = only(mime_size(replace(ctx, raw=b"x" * (WARN_BYTES + 1))))
    assert (finding.severity, finding.rule) == ("warning", "mime_size")
    assert finding.message == "81921 bytes encoded: close to Gmail's clip at 104448"


def test_mime_size_passes_the_shipped_email_and_the_warning_line(ctx: EmailContext) -> None:
    assert list(mime_size(ctx)) == []
    assert list(mime_size(replace(ctx, raw=b"x" * WARN_BYTES))) == []


def test_mime_line_names_the_line_over_998(ctx: EmailContext) -> None:
    raw = b"Subject: x\r\n\r\n" + b"a" * MAX_LINE + b"\r\n" + b"b" * (MAX_LINE + 1) + b"\r\n"
    finding = only(mime_line(replace(ctx, raw=raw)))
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "mime_line",
        "reset_password",
    )
    assert finding.message == "line 4 of the MIME message is 999 characters (> 998)"
    assert list(mime_line(ctx)) == []


# --- what the templates output ------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "file", "marker"),
    [
        ("html", "reset_password/body.mjml", "<mj-"),
        ("text", "reset_password/body.txt", "{{"),
        ("subject", "reset_password/subject.txt", "{%"),
        ("preheader", "reset_password/preheader.txt", "{#"),
    ],
)
def test_leftover_names_the_part_and_the_syntax(
    ctx: EmailContext, part: str, file: str, marker: str
) -> None:
    text = getattr(ctx.email, part) + f" {marker} x"
    finding = only(leftover(replace(ctx, email=ctx.email._replace(**{part: text}))))
    assert (finding.severity, finding.rule, finding.file) == ("error", "leftover", file)
    assert finding.message == f"template syntax {marker!r} left in the output"


def test_leftover_ignores_syntax_that_comes_from_the_sample(ctx: EmailContext) -> None:
    assert list(leftover(ctx)) == []
    value = "{{ 7*7 }} <mj-text>"
    model = {**ctx.model, "user": {"name": value}}
    html = ctx.email.html + "{{ 7*7 }} &lt;mj-text&gt;"  # the HTML part escapes it
    email = ctx.email._replace(text=ctx.email.text + value, html=html)
    assert list(leftover(replace(ctx, model=model, email=email))) == []
    assert list(leftover(replace(ctx, email=email))) != []  # the same output, not from a value


def test_lang_names_a_wrong_language(ctx: EmailContext) -> None:
    finding = only(lang(with_html(ctx, "x", lang="fr")))
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "lang",
        "reset_password/body.mjml",
    )
    assert finding.message == "<html lang='fr'>, expected 'en'"


def test_lang_names_a_wrong_direction(wb: Workbench) -> None:
    arabic = render(wb, locale="ar")
    assert list(lang(arabic)) == []
    finding = only(lang(with_html(arabic, "x", lang="ar", dir="ltr")))
    assert (finding.severity, finding.rule) == ("error", "lang")
    assert finding.message == "<html dir='ltr'>, expected 'rtl'"


def test_lang_passes_the_shipped_email(ctx: EmailContext) -> None:
    assert list(lang(ctx)) == []


def test_img_alt_names_the_image(ctx: EmailContext) -> None:
    broken = with_html(ctx, '<img src="https://www.example.com/a.png"><img src="b.png" alt="">')
    finding = only(img_alt(broken))
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "img_alt",
        "reset_password/body.mjml",
    )
    assert finding.message == "<img src='https://www.example.com/a.png'> has no alt text"
    assert list(img_alt(ctx)) == []


def test_subject_length_warns_over_78_characters(ctx: EmailContext) -> None:
    finding = only(subject_length(replace(ctx, email=ctx.email._replace(subject="s" * 79))))
    assert (finding.severity, finding.rule, finding.file) == (
        "warning",
        "subject_length",
        "reset_password/subject.txt",
    )
    assert finding.message == "subject is 79 characters (> 78)"
    assert list(subject_length(replace(ctx, email=ctx.email._replace(subject="s" * 78)))) == []
    assert list(subject_length(ctx)) == []


def test_preheader_warns_when_empty(ctx: EmailContext) -> None:
    finding = only(preheader(replace(ctx, email=ctx.email._replace(preheader=""))))
    assert (finding.severity, finding.rule, finding.file) == (
        "warning",
        "preheader",
        "reset_password/preheader.txt",
    )
    assert finding.message == "the preheader is empty"
    assert list(preheader(ctx)) == []


# --- links and codes ----------------------------------------------------------------------


def test_http_link_names_the_link(ctx: EmailContext) -> None:
    broken = with_html(
        ctx, '<a href="http://www.example.com/x">x</a><a href="https://www.example.com/">'
    )
    finding = only(http_link(broken))
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "http_link",
        "reset_password/body.mjml",
    )
    assert finding.message == "'http://www.example.com/x' is not https"
    assert list(http_link(ctx)) == []


def test_link_origin_names_the_link_and_the_allowed_origins(ctx: EmailContext) -> None:
    finding = only(link_origin(with_html(ctx, '<a href="https://evil.example.net/login">x</a>')))
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "link_origin",
        "reset_password/body.mjml",
    )
    assert finding.message == (
        "'https://evil.example.net/login' is not on an allowed origin "
        "['https://app.example.com', 'https://www.example.com']"
    )
    assert list(link_origin(ctx)) == []


def test_link_origin_holds_links_to_the_email_s_own_brand(wb: Workbench) -> None:
    northwind = render(wb, EmailKind.CONFIRM_SIGNUP, sample="partner_portal")
    assert northwind.brand == "northwind"  # the brand the Lambda chooses for its client id
    assert list(link_origin(northwind)) == []
    link = '<a href="https://app.example.com/help">x</a>'
    finding = only(link_origin(with_html(northwind, link)))
    assert (finding.rule, finding.brand, finding.sample) == (
        "link_origin",
        "northwind",
        "partner_portal",
    )
    assert finding.message == (
        "'https://app.example.com/help' is not on an allowed origin "
        "['https://partners.northwind.example.com']"
    )
    # The same sample in the base brand: its origins, not the sample's usual brand's.
    base = render(wb, EmailKind.CONFIRM_SIGNUP, sample="partner_portal", brand="base")
    assert list(link_origin(base)) == [] and list(link_origin(with_html(base, link))) == []


def test_link_origin_allows_the_alert_s_own_links(wb: Workbench) -> None:
    alert = render(wb, EmailKind.SECURITY_ALERT)
    assert any("amazoncognito.com" in link for link in alert.page.links)
    assert list(link_origin(alert)) == []
    without = replace(alert, model={**alert.model, "alert": {}})
    assert {f.rule for f in link_origin(without)} == {"link_origin"}


def test_text_missing_link_names_a_link_the_text_part_lacks(ctx: EmailContext) -> None:
    link = "https://app.example.com/account"
    broken = with_html(
        ctx, f'<a href="{link}">x</a><a href="mailto:help@example.com">y</a><a href="http://a">'
    )
    findings = list(text_missing_link(broken))
    assert [(f.severity, f.rule, f.file) for f in findings] == [
        ("error", "text_missing_link", "reset_password/body.txt")
    ] * 2
    assert [f.message for f in findings] == [
        f"{link!r} is in the HTML part only",
        "'help@example.com' is in the HTML part only",
    ]
    text = ctx.email.text + f"\n{link}\nhelp@example.com\n"
    assert list(text_missing_link(replace(broken, email=broken.email._replace(text=text)))) == []
    assert list(text_missing_link(ctx)) == []


def test_text_missing_code_names_the_secret_the_text_part_lacks(wb: Workbench) -> None:
    invitation = render(wb, EmailKind.INVITATION)
    assert list(text_missing_code(invitation)) == []
    password = invitation.model["temporary_password"]
    text = invitation.email.text.replace(password, "")
    finding = only(
        text_missing_code(replace(invitation, email=invitation.email._replace(text=text)))
    )
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "text_missing_code",
        "invitation/body.txt",
    )
    assert finding.message == "the temporary password is in the HTML part only"


def test_code_missing_names_a_code_in_neither_part(ctx: EmailContext) -> None:
    code = ctx.model["code"]
    gone = ctx.email._replace(
        html=ctx.email.html.replace(code, ""), text=ctx.email.text.replace(code, "")
    )
    finding = only(code_missing(replace(ctx, email=gone)))
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "code_missing",
        "reset_password",
    )
    assert finding.message == "the code is in neither part"
    # In the HTML part only, it is the other rule's finding, not this one's.
    assert list(code_missing(replace(ctx, email=gone._replace(html=ctx.email.html)))) == []
    assert list(code_missing(ctx)) == []


# --- translations -------------------------------------------------------------------------


def test_untranslated_in_email_names_a_string_its_templates_use(wb: Workbench) -> None:
    untranslated = {
        ("de", "Reset your %(product)s password"): (PO, frozenset({"reset_password/subject.txt"})),
        ("de", "Footer"): (PO, frozenset({"layout/base.mjml"})),
        ("de", "Verify"): (PO, frozenset({"verify_email/body.txt"})),  # another kind's
        ("fr", "Reset your %(product)s password"): (
            PO.replace("de", "fr"),
            frozenset({"reset_password/subject.txt"}),
        ),  # another locale's
    }
    german = render(wb, locale="de", untranslated=untranslated)
    findings = list(untranslated_in_email(german))
    assert [(f.severity, f.rule, f.file, f.locale) for f in findings] == [
        ("error", "untranslated", PO, "de")
    ] * 2
    assert [f.message for f in findings] == [
        "no de translation for 'Footer': English is sent",
        "no de translation for 'Reset your %(product)s password': English is sent",
    ]
    assert list(untranslated_in_email(render(wb, locale="de"))) == []


def test_untranslated_in_catalogs_names_each_string_once(wb: Workbench) -> None:
    files = frozenset({"reset_password/body.txt", "verify_email/body.txt"})
    folder = FolderContext(wb, {("de", "Hello"): (PO, files)})
    finding = only(untranslated_in_catalogs(folder))
    assert finding == Finding(
        "error", "untranslated", PO, "no de translation for 'Hello'", None, "de"
    )
    assert list(untranslated_in_catalogs(FolderContext(wb, {}))) == []


def test_missing_translations_reads_what_a_catalog_lacks(templates_copy: Path) -> None:
    set_msgstr(templates_copy, "fr", "Reset your %(product)s password", "")
    missing = context_module.missing_translations(Workbench(templates_copy))
    assert set(missing) == {("fr", "Reset your %(product)s password")}
    po, files = missing[("fr", "Reset your %(product)s password")]
    assert po == "locales/fr/LC_MESSAGES/messages.po"
    assert "reset_password/subject.txt" in files


def test_catalog_markup_names_catalog_msgid_and_markup(templates_copy: Path) -> None:
    set_msgstr(templates_copy, "de", "Was this you?", "Waren Sie das? <b>jetzt</b>")
    finding = only(catalog_markup(FolderContext(Workbench(templates_copy), {})))
    assert (finding.severity, finding.rule, finding.file, finding.locale) == (
        "error",
        "catalog_markup",
        PO,
        "de",
    )
    assert finding.message.startswith("'Was this you?': the msgstr holds markup '</b>', '<b>';")


def test_catalog_markup_passes_the_shipped_catalogs(wb: Workbench) -> None:
    assert list(catalog_markup(FolderContext(wb, {}))) == []


# --- the folder ---------------------------------------------------------------------------


def test_kind_incomplete_names_the_missing_part(templates_copy: Path) -> None:
    (templates_copy / "invitation/preheader.txt").unlink()
    finding = only(kind_incomplete(FolderContext(Workbench(templates_copy), {})))
    assert finding == Finding(
        "error", "kind_incomplete", "invitation/preheader.txt", "missing", "invitation"
    )


def test_kind_incomplete_passes_the_shipped_folder(wb: Workbench) -> None:
    assert list(kind_incomplete(FolderContext(wb, {}))) == []


def test_no_samples_names_the_kind_without_one(wb: Workbench) -> None:
    bench = copy.copy(wb)
    bench.samples = {**wb.samples, EmailKind.SIGN_IN_CODE: {}}
    finding = only(no_samples(FolderContext(bench, {})))
    assert finding == Finding(
        "error", "no_samples", "sign_in_code/samples", "no sample scenario", "sign_in_code"
    )
    assert list(no_samples(FolderContext(wb, {}))) == []


# --- the brands' colours --------------------------------------------------------------------


def test_contrast_names_brand_file_keys_values_and_ratio(templates_copy: Path) -> None:
    write_overlay(templates_copy, "x", 'product_name = "X"\n[colors]\nprimary = "#ffdd00"\n')
    findings = list(contrast(FolderContext(Workbench(templates_copy), {})))
    assert [(f.severity, f.rule, f.file, f.brand) for f in findings] == [
        ("error", "contrast", "brands/x.toml", "x")
    ] * 2
    assert [f.message for f in findings] == [
        "colors.primary_text '#ffffff' (brand.toml) on colors.primary '#ffdd00' "
        "(brands/x.toml): contrast 1.34:1 for the button's label, under WCAG 2 AA's 4.5:1",
        "colors.primary '#ffdd00' (brands/x.toml) on colors.card '#ffffff' (brand.toml): "
        "contrast 1.34:1 for the button on the card, under WCAG 2 AA's 4.5:1",
    ]
    assert (findings[0].kind, findings[0].locale, findings[0].sample) == (None, None, None)


def test_contrast_checks_the_base_brand_and_the_dark_palette(templates_copy: Path) -> None:
    set_color(templates_copy, "brand.toml", "muted", "#999999")
    set_color(templates_copy, "brands/northwind.toml", "dark_primary_text", "#7fe0d0")
    findings = list(contrast(FolderContext(Workbench(templates_copy), {})))
    assert [(f.file, f.brand, f.message) for f in findings] == [
        (
            "brand.toml",
            "base",
            "colors.muted '#999999' on colors.background '#f3f4f6' (brand.toml): contrast "
            "2.58:1 for the footer's text on the page, under WCAG 2 AA's 4.5:1",
        ),
        (
            "brands/northwind.toml",
            "northwind",
            "colors.dark_primary_text '#7fe0d0' on colors.dark_primary '#5eead4' "
            "(brands/northwind.toml): contrast 1.05:1 for the button's label, dark mode, "
            "under WCAG 2 AA's 4.5:1",
        ),
    ]


def test_contrast_reports_an_overlay_that_inherits_a_bad_pair(templates_copy: Path) -> None:
    set_color(templates_copy, "brand.toml", "primary", "#ffdd00")
    write_overlay(templates_copy, "x", 'product_name = "X"\n')
    findings = list(contrast(FolderContext(Workbench(templates_copy), {})))
    assert {(f.brand, f.file) for f in findings} == {("base", "brand.toml"), ("x", "brands/x.toml")}
    assert all("(brand.toml)" in f.message for f in findings)
    # northwind sets its own primary: its emails are unaffected.
    assert "northwind" not in {f.brand for f in findings}


def test_contrast_passes_every_shipped_brand(wb: Workbench) -> None:
    assert list(contrast(FolderContext(wb, {}))) == []


def test_contrast_is_never_rounded_up_to_the_minimum(templates_copy: Path) -> None:
    set_color(templates_copy, "brand.toml", "muted", "#6f6f6f")  # 4.57:1 on #f3f4f6
    assert list(contrast(FolderContext(Workbench(templates_copy), {}))) == []
    set_color(templates_copy, "brand.toml", "muted", "#707070")  # 4.4998:1
    finding = only(contrast(FolderContext(Workbench(templates_copy), {})))
    assert finding.message == (
        "colors.muted '#707070' on colors.background '#f3f4f6' (brand.toml): contrast 4.49:1 "
        "for the footer's text on the page, under WCAG 2 AA's 4.5:1"
    )


def test_color_missing_names_the_key_the_brand_file_and_what_it_paints(
    templates_copy: Path,
) -> None:
    set_color(templates_copy, "brand.toml", "dark_card", None)
    set_color(templates_copy, "brand.toml", "primary_text", None)
    set_color(templates_copy, "brands/northwind.toml", "dark_card", None)
    folder = FolderContext(Workbench(templates_copy), {})
    findings = list(color_missing(folder))
    assert [(f.severity, f.rule, f.file, f.brand) for f in findings] == [
        ("error", "color_missing", "brand.toml", "base"),
        ("error", "color_missing", "brand.toml", "base"),
        ("error", "color_missing", "brands/northwind.toml", "northwind"),
    ]
    assert [f.message for f in findings] == [
        "colors.primary_text is missing (brand.toml does not set it); the layout paints with "
        "it: the button's label",
        "colors.dark_card is missing (brand.toml does not set it); the layout paints with it: "
        "body text on the card, dark mode; the button and links on the card, dark mode",
        "colors.dark_card is missing (neither brands/northwind.toml nor brand.toml sets it); "
        "the layout paints with it: body text on the card, dark mode; the button and links on "
        "the card, dark mode",
    ]
    # A pair with a colour missing is this rule's finding, not the contrast rule's.
    assert list(contrast(folder)) == []


def test_color_missing_passes_every_shipped_brand(wb: Workbench) -> None:
    assert list(color_missing(FolderContext(wb, {}))) == []
    for name in wb.brands:
        assert set(LAYOUT_COLORS) <= set(wb.brand_named(name).values["colors"])


def test_the_pairs_are_the_layout_s() -> None:
    layout = (DEFAULT_TEMPLATES_DIR / "layout/base.mjml").read_text(encoding="utf-8")
    for key in LAYOUT_COLORS:
        assert f"colors.{key} " in layout or f"colors.{key}}}" in layout.replace(" }}", "}}"), key
    assert {p.fg for p in PAIRS} | {p.bg for p in PAIRS} <= set(LAYOUT_COLORS)
    # muted is the footer's, on the page background: never on the card.
    assert ("muted", "card") not in {(p.fg, p.bg) for p in PAIRS}


# --- an email that does not render --------------------------------------------------------


@pytest.mark.parametrize(("reason", "rule"), sorted(RENDER_RULES.items()))
def test_a_render_error_is_named_by_its_reason(reason: str, rule: str) -> None:
    err = RenderError("reset_password/body.mjml:3: unexpected '}'", reason=reason)
    finding = render_failure(err, EmailKind.RESET_PASSWORD, "fr", "default")
    assert finding == Finding(
        "error",
        rule,
        "reset_password/body.mjml",
        "reset_password/body.mjml:3: unexpected '}'",
        "reset_password",
        "fr",
        "default",
    )


@pytest.mark.parametrize(
    "err",
    [
        RenderError("the MJML did not compile", reason="something_new"),
        SenderError("brand value missing"),
        KeyError("no sample 'x' for reset_password; have ['default']"),
    ],
)
def test_any_other_failure_is_a_render_error_on_the_kind(err: Exception) -> None:
    finding = render_failure(err, EmailKind.RESET_PASSWORD, "en", "x")
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "render_error",
        "reset_password",
    )
    assert finding.message == str(err)


def test_check_email_turns_a_render_failure_into_its_one_finding(wb: Workbench) -> None:
    [finding] = check_email(wb, EmailKind.RESET_PASSWORD, "en", "nope")
    assert (finding.rule, finding.file, finding.sample) == (
        "render_error",
        "reset_password",
        "nope",
    )
    assert "no sample 'nope'" in finding.message


# --- before any rule: the folder must load --------------------------------------------------


def test_setup_names_a_brand_that_does_not_load(templates_copy: Path) -> None:
    (templates_copy / "brand.toml").write_text("product_name = [", encoding="utf-8")
    finding = only(check_all(templates_copy))
    assert (finding.severity, finding.rule, finding.file, finding.brand) == (
        "error",
        "setup",
        "brand.toml",
        None,
    )
    assert finding.message.startswith("brand.toml: ")


def test_setup_names_the_overlay_that_does_not_load(templates_copy: Path) -> None:
    write_overlay(templates_copy, "x", 'logo_url = "http://x.example.com/logo.png"\n')
    finding = only(check_all(templates_copy))
    assert finding == Finding(
        "error",
        "setup",
        "brands/x.toml",
        "brands/x.toml: 'logo_url' must be an https URL",
        brand="x",
    )


def test_setup_names_a_locale_folder_that_does_not_load(templates_copy: Path) -> None:
    (templates_copy / "locales/de/LC_MESSAGES/messages.mo").unlink()
    finding = only(check_all(templates_copy))
    assert (finding.rule, finding.file) == ("setup", "locales/de/LC_MESSAGES/messages.mo")
    assert finding.message == (
        "locales/de/LC_MESSAGES/messages.mo is missing or older than its .po: "
        "run 'make translations'"
    )


def test_encoding_names_an_undecodable_template_and_stops_there(templates_copy: Path) -> None:
    (templates_copy / "verify_email/body.txt").write_bytes(b"Code: \xff\xfe\n")
    finding = only(check_all(templates_copy))
    assert (finding.severity, finding.rule, finding.file) == (
        "error",
        "encoding",
        "verify_email/body.txt",
    )


# --- the spam score of every brand's emails ---------------------------------------------------


def test_the_spam_score_keeps_each_email_s_brand() -> None:
    batch = SpamBatch(cache=False)
    queued: list[tuple[object, ...]] = []
    batch.add = lambda *args: queued.append(args)  # type: ignore[method-assign]
    queue(batch, "sign_in_code", "en", "default", "northwind", b"raw")
    assert queued == [("sign_in_code", "en", "northwind/default", b"raw")]
    batch.installed = True
    spammy = SpamScore(counted=(Rule("FREE_MONEY", 3.0),), discounted=(), version="4.0.1")
    clean = SpamScore(counted=(), discounted=(), version="4.0.1")
    batch.scores = {
        ("sign_in_code", "en", "base/default"): clean,
        ("sign_in_code", "en", "northwind/default"): spammy,
    }
    finding = only(spam_findings(batch))
    assert (finding.rule, finding.kind, finding.locale, finding.sample, finding.brand) == (
        "spam_score",
        "sign_in_code",
        "en",
        "default",
        "northwind",
    )
    emails = spam_report(batch)["emails"]
    assert [(e["sample"], e["brand"], e["passes"]) for e in emails] == [
        ("default", "base", True),
        ("default", "northwind", False),
    ]
    assert list(emails[0])[:4] == ["kind", "locale", "sample", "brand"]


# --- the registry ---------------------------------------------------------------------------


def test_every_rule_is_listed_once_and_tested_here() -> None:
    tested_email = [
        mime_size,
        mime_line,
        leftover,
        lang,
        img_alt,
        http_link,
        link_origin,
        text_missing_link,
        text_missing_code,
        code_missing,
        subject_length,
        preheader,
        untranslated_in_email,
    ]
    tested_folder = [
        kind_incomplete,
        no_samples,
        untranslated_in_catalogs,
        catalog_markup,
        color_missing,
        contrast,
    ]
    assert list(EMAIL_RULES) == tested_email
    assert list(FOLDER_RULES) == tested_folder


def test_an_email_is_rendered_and_parsed_once_for_all_its_rules(
    wb: Workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real_parse = context_module.Page.parse.__func__  # type: ignore[attr-defined]

    def parse(cls: type[context_module.Page], source: str) -> context_module.Page:
        parsed.append(source)
        return real_parse(cls, source)

    monkeypatch.setattr(context_module.Page, "parse", classmethod(parse))
    composed: list[str] = []
    real_compose = Workbench.compose

    def compose(self: Workbench, *args: object, **kwargs: object) -> object:
        composed.append("x")
        return real_compose(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Workbench, "compose", compose)
    assert check_email(wb, EmailKind.SECURITY_ALERT, "de", "default", untranslated={}) == []
    assert len(parsed) == 1 and len(composed) == 1
