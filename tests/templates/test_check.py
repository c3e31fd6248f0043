"""The template check passes on the shipped templates and fails, naming file and rule, on a
templates folder broken in exactly one way per rule."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sendertools import cli
from sendertools.check import check_all, check_email, has_errors
from sendertools.check.catalogs import catalog_markup
from sendertools.check.context import FolderContext
from sendertools.check.wire import long_lines
from sendertools.samples import Workbench
from tests.templates.test_translations import compile_catalog, set_msgstr

Breaker = Callable[[Path], None]


def edit(path: str, old: str, new: str) -> Breaker:
    def apply(root: Path) -> None:
        file = root / path
        source = file.read_text(encoding="utf-8")
        assert old in source, f"{old!r} not in {path}"
        file.write_text(source.replace(old, new, 1), encoding="utf-8")

    return apply


def delete(path: str) -> Breaker:
    return lambda root: (root / path).unlink()


CODE_TEXT = "    {{ code }}\n"
INTRO = "<mj-text>{{ ui.greeting(user.name) }}</mj-text>"
BROKEN: dict[str, tuple[Breaker, str, str]] = {
    # rule: (how to break the shipped templates, file the finding must name, severity)
    "template_syntax": (
        edit("reset_password/body.mjml", INTRO, "<mj-text>{% if %}</mj-text>"),
        "reset_password/body.mjml",
        "error",
    ),
    "undefined_variable": (
        edit("verify_email/body.txt", CODE_TEXT, "    {{ cod }}\n"),
        "verify_email/body.txt",
        "error",
    ),
    "mjml_error": (
        edit("layout/base.mjml", "<mj-body ", "<mj-body><mj-section></mj-body "),
        "confirm_signup/body.mjml",
        "error",
    ),
    "leftover": (
        edit("sign_in_code/body.mjml", INTRO, INTRO + "<mj-foo>x</mj-foo>"),
        "sign_in_code/body.mjml",
        "error",
    ),
    "mime_size": (
        edit(
            "invitation/body.mjml",
            INTRO,
            INTRO + "<mj-text>" + "Lorem ipsum. " * 9000 + "</mj-text>",
        ),
        "invitation",
        "error",
    ),
    "img_alt": (
        edit(
            "verify_email/body.mjml",
            INTRO,
            INTRO + '<mj-text><img src="https://www.example.com/a.png"></mj-text>',
        ),
        "verify_email/body.mjml",
        "error",
    ),
    "lang": (
        edit("layout/base.mjml", '<mjml lang="{{ lang }}" dir="{{ dir }}">', "<mjml>"),
        "confirm_signup/body.mjml",
        "error",
    ),
    "http_link": (
        edit(
            "confirm_signup/body.mjml",
            INTRO,
            INTRO + '<mj-text><a href="http://www.example.com/">x</a></mj-text>',
        ),
        "confirm_signup/body.mjml",
        "error",
    ),
    "link_origin": (
        edit(
            "confirm_signup/body.mjml",
            INTRO,
            INTRO + '<mj-text><a href="https://evil.example.net/">x</a></mj-text>',
        ),
        "confirm_signup/body.mjml",
        "error",
    ),
    "text_missing_link": (
        edit("reset_password/body.txt", "{{ action_url }}\n", "\n"),
        "reset_password/body.txt",
        "error",
    ),
    "text_missing_code": (
        # The other kinds' text parts also carry the code in their link, and the sign-in
        # code's HTML shows it grouped: the temporary password is the one secret shown once.
        edit("invitation/body.txt", "    {{ temporary_password }}\n", "\n"),
        "invitation/body.txt",
        "error",
    ),
    "untranslated": (
        edit("verify_email/subject.txt", "Verify your", "Please verify your"),
        "locales/fr/LC_MESSAGES/messages.po",
        "error",
    ),
    "subject_length": (
        edit("brand.toml", 'product_name = "Example"', f'product_name = "{"Example " * 8}"'),
        "verify_email/subject.txt",
        "warning",
    ),
    "kind_incomplete": (delete("invitation/body.txt"), "invitation/body.txt", "error"),
}


def test_shipped_templates_pass_every_rule() -> None:
    findings = check_all(DEFAULT_TEMPLATES_DIR)
    assert findings == []


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_check_fails_on_a_template_broken_for_one_rule(rule: str, templates_copy: Path) -> None:
    breaker, file, severity = BROKEN[rule]
    breaker(templates_copy)
    findings = check_all(templates_copy)
    hits = [f for f in findings if f.rule == rule]
    assert hits, f"no {rule} finding; got {sorted({f.rule for f in findings})}"
    assert {f.file for f in hits} >= {file}
    assert {f.severity for f in hits} == {severity}
    assert has_errors(findings) is (severity == "error")


def test_mime_line_rule_flags_lines_over_998() -> None:
    # The MIME stage always encodes bodies (quoted-printable), so no template can produce such
    # a line; the rule guards the wire form itself.
    raw = b"Subject: x\r\n\r\n" + b"a" * 998 + b"\r\n" + b"b" * 999 + b"\r\n"
    [message] = long_lines(raw)
    assert message.startswith("line 4 ") and "999" in message


def test_a_missing_translation_is_reported_and_falls_back_to_english(templates_copy: Path) -> None:
    BROKEN["untranslated"][0](templates_copy)
    wb = Workbench(templates_copy)
    composed = wb.compose(wb.sample(EmailKind.VERIFY_EMAIL, "default"), "de")
    assert composed.email.subject == "Please verify your Example email address"
    findings = check_email(wb, EmailKind.VERIFY_EMAIL, "de", "default")
    assert [f.rule for f in findings] == ["untranslated"]
    assert "Please verify your" in findings[0].message


def test_hostile_sample_values_are_not_mistaken_for_template_leftovers() -> None:
    wb = Workbench(DEFAULT_TEMPLATES_DIR)
    sample = wb.sample(EmailKind.CONFIRM_SIGNUP, "hostile")
    assert "{{" in json.dumps(sample.data)
    assert check_email(wb, EmailKind.CONFIRM_SIGNUP, "en", "hostile") == []


def test_check_verb_prints_a_table_and_exits_non_zero_on_errors(
    templates_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", "--templates", str(DEFAULT_TEMPLATES_DIR)]) == 0
    assert re.search(r"\n0 error\(s\), \d+ warning\(s\) in ", capsys.readouterr().out)
    BROKEN["img_alt"][0](templates_copy)
    assert cli.main(["check", "--templates", str(templates_copy)]) == 1
    out = capsys.readouterr().out
    for brand in ("base", "northwind"):
        assert re.search(
            rf"error\s+img_alt\s+verify_email/body\.mjml\s+verify_email/en/default\s+{brand}\s",
            out,
        )


def test_check_verb_json(templates_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    BROKEN["subject_length"][0](templates_copy)
    assert cli.main(["check", "--templates", str(templates_copy), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 0 and report["warnings"] > 0
    assert {f["rule"] for f in report["findings"]} == {"subject_length"}
    # The base brand's long name, in every base email; Northwind sets a name of its own.
    assert {f["brand"] for f in report["findings"]} == {"base"}


# Markup a catalog must not carry, and the part of it the finding quotes.
CATALOG_MARKUP = {
    "script": ("<script>alert(1)</script>", "<script>"),
    "tracking_image": ('<img src="https://t.example/p.gif" width="1" height="1">', "<img src="),
    "form": ('<form action="https://evil.example/login">', "<form action="),
    "css_url": ("<span style=\"background:url('https://t.example/p.gif')\">", "url("),
    "event_handler": ("Klicken Sie onclick=steal()", "onclick="),
    "javascript_link": ("javascript:alert(1)", "javascript:"),
}


@pytest.mark.parametrize("markup", sorted(CATALOG_MARKUP))
def test_check_names_markup_in_a_catalog(
    markup: str, templates_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written, quoted = CATALOG_MARKUP[markup]
    set_msgstr(templates_copy, "de", "Was this you?", f"Waren Sie das? {written}")
    check = ["check", "--templates", str(templates_copy), "--no-spam-score"]
    assert cli.main([*check, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    [finding] = [f for f in report["findings"] if f["rule"] == "catalog_markup"]
    assert finding["severity"] == "error"
    assert finding["file"] == "locales/de/LC_MESSAGES/messages.po"
    assert finding["locale"] == "de"
    assert "'Was this you?'" in finding["message"] and "msgstr" in finding["message"]
    assert quoted in finding["message"]
    # The table names the same three things.
    assert cli.main(check) == 1
    out = capsys.readouterr().out
    assert re.search(r"error\s+catalog_markup\s+locales/de/LC_MESSAGES/messages\.po\s+de\s", out)


def test_check_names_markup_in_a_msgid_and_in_plural_forms(templates_copy: Path) -> None:
    set_msgstr(templates_copy, "fr", "%(count)s day", "%(count)s jour<br>", index=1)
    po = templates_copy / "locales/ja/LC_MESSAGES/messages.po"
    po.write_text(
        po.read_text(encoding="utf-8")
        + '\nmsgid "Click <a href=\\"https://evil.example/\\">here</a>"\nmsgstr "ここ"\n',
        encoding="utf-8",
    )
    compile_catalog(templates_copy, "ja")
    findings = [f for f in check_all(templates_copy) if f.rule == "catalog_markup"]
    by_locale = {f.locale: f.message for f in findings}
    assert set(by_locale) == {"fr", "ja"}
    assert "'%(count)s day'" in by_locale["fr"] and "'<br>'" in by_locale["fr"]
    assert "the msgid holds markup" in by_locale["ja"] and "<a href=" in by_locale["ja"]


def test_the_shipped_catalogs_carry_no_markup() -> None:
    wb = Workbench(DEFAULT_TEMPLATES_DIR)
    assert list(catalog_markup(FolderContext.of(wb))) == []
