"""The check over every brand: each email in each brand (``brands/*.toml`` over brand.toml), its
findings naming the brand, and ``check`` alone failing a templates folder whose brand (the
base or an overlay) has unreadable colours, an http logo or a link off its origins."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sender.event import EmailKind
from sendertools import cli
from sendertools.check import check_all, check_email, has_errors
from sendertools.samples import Workbench
from tests.templates.test_check import BROKEN, edit

IMAGE = '<mj-text><img src="https://www.example.com/a.png"></mj-text>'
INTRO = "<mj-text>{{ ui.greeting(user.name) }}</mj-text>"


def overlay(templates: Path, name: str, toml: str) -> None:
    (templates / "brands" / f"{name}.toml").write_text(toml, encoding="utf-8")


def run_check(templates: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = cli.main(["check", "--templates", str(templates), "--no-spam-score", *args])
    return status, capsys.readouterr().out


# --- every email in every brand ------------------------------------------------------------


def test_every_email_is_checked_in_every_brand(templates_copy: Path) -> None:
    BROKEN["img_alt"][0](templates_copy)  # an image without alt in verify_email's body
    wb = Workbench(templates_copy)
    assert wb.brands == ("base", "northwind")
    hits = [f for f in check_all(templates_copy) if f.rule == "img_alt"]
    emails = {(f.brand, f.locale, f.sample) for f in hits}
    samples = wb.samples[EmailKind.VERIFY_EMAIL]
    assert emails == {
        (brand, locale, sample)
        for brand in wb.brands
        for locale in wb.catalogs.locales
        for sample in samples
    }
    assert len(hits) == len(emails)


def test_links_are_held_to_the_origins_of_the_email_s_brand(templates_copy: Path) -> None:
    link = '<mj-text><a href="https://app.example.com/help">help</a></mj-text>'
    edit("confirm_signup/body.mjml", INTRO, INTRO + link)(templates_copy)
    hits = [f for f in check_all(templates_copy) if f.rule == "link_origin"]
    assert hits and {f.brand for f in hits} == {"northwind"}  # base allows app.example.com
    assert {f.message for f in hits} == {
        "'https://app.example.com/help' is not on an allowed origin "
        "['https://partners.northwind.example.com']"
    }


def test_check_email_checks_the_lambda_s_brand_or_the_one_named(templates_copy: Path) -> None:
    edit("confirm_signup/body.mjml", INTRO, INTRO + IMAGE)(templates_copy)
    wb = Workbench(templates_copy)
    kind = EmailKind.CONFIRM_SIGNUP

    def brands(sample: str, brand: str | None = None) -> set[str | None]:
        return {f.brand for f in check_email(wb, kind, "en", sample, untranslated={}, brand=brand)}

    assert brands("partner_portal") == {"northwind"}  # chosen by its client id
    assert brands("default") == {"base"}
    assert brands("partner_portal", "base") == {"base"}
    assert brands("default", "northwind") == {"northwind"}
    [failure] = check_email(wb, kind, "en", "default", brand="nope")
    assert (failure.rule, failure.brand) == ("render_error", "nope")
    assert "no brand 'nope'; have ['base', 'northwind']" in failure.message


def test_the_table_and_the_json_name_the_brand(
    templates_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit("confirm_signup/body.mjml", INTRO, INTRO + IMAGE)(templates_copy)
    status, out = run_check(templates_copy, capsys)
    assert status == 1
    assert re.search(r"\n\s*SEVERITY\s+RULE\s+FILE\s+EMAIL\s+BRAND\s+REASON\n", "\n" + out)
    row = r"error\s+img_alt\s+confirm_signup/body\.mjml\s+confirm_signup/de/default\s+{}\s+<img"
    assert re.search(row.format("base"), out) and re.search(row.format("northwind"), out)
    status, out = run_check(templates_copy, capsys, "--json")
    findings = json.loads(out)["findings"]
    assert {(f["sample"], f["brand"]) for f in findings if f["locale"] == "en"} >= {
        ("default", "base"),
        ("default", "northwind"),
        ("partner_portal", "northwind"),
        ("partner_portal", "base"),
    }


# --- a brand's colours: contrast and missing keys ------------------------------------------


def test_check_fails_an_overlay_whose_button_colours_are_unreadable(
    templates_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What a new user writes: a yellow button, the white label of brand.toml left as it is.
    overlay(templates_copy, "x", 'product_name = "X"\n[colors]\nprimary = "#ffdd00"\n')
    status, out = run_check(templates_copy, capsys)
    assert status == 1
    errors = [line for line in out.splitlines() if line.startswith("error")]
    assert [line.split()[1:5] for line in errors] == [["contrast", "brands/x.toml", "-", "x"]] * 2
    assert errors[0].endswith(
        "colors.primary_text '#ffffff' (brand.toml) on colors.primary '#ffdd00' "
        "(brands/x.toml): contrast 1.34:1 for the button's label, under WCAG 2 AA's 4.5:1"
    )
    assert errors[1].endswith(
        "colors.primary '#ffdd00' (brands/x.toml) on colors.card '#ffffff' (brand.toml): "
        "contrast 1.34:1 for the button on the card, under WCAG 2 AA's 4.5:1"
    )
    assert re.search(r"\n2 error\(s\), \d+ warning\(s\) in ", out)


def test_check_fails_a_base_brand_whose_body_text_is_unreadable(templates_copy: Path) -> None:
    edit("brand.toml", 'text = "#1f2937"', 'text = "#a0a0a0"')(templates_copy)
    findings = check_all(templates_copy)
    assert has_errors(findings)
    errors = [f for f in findings if f.severity == "error"]
    assert [(f.rule, f.file, f.brand) for f in errors] == [("contrast", "brand.toml", "base")] * 2
    assert [f.message for f in errors] == [
        "colors.text '#a0a0a0' on colors.card '#ffffff' (brand.toml): contrast 2.61:1 for "
        "body text on the card, under WCAG 2 AA's 4.5:1",
        "colors.text '#a0a0a0' on colors.code_background '#eef2ff' (brand.toml): contrast "
        "2.33:1 for the code in its box, under WCAG 2 AA's 4.5:1",
    ]


def test_check_fails_a_brand_without_a_colour_the_layout_paints_with(
    templates_copy: Path,
) -> None:
    edit("brands/northwind.toml", 'dark_muted = "#a7c4bf"\n', "")(templates_copy)
    edit("brand.toml", 'dark_muted = "#b6bcc6"\n', "")(templates_copy)
    findings = check_all(templates_copy)
    missing = [f for f in findings if f.rule == "color_missing"]
    assert [(f.file, f.brand, f.message) for f in missing] == [
        (
            "brand.toml",
            "base",
            "colors.dark_muted is missing (brand.toml does not set it); the layout paints with "
            "it: the footer's text on the page, dark mode",
        ),
        (
            "brands/northwind.toml",
            "northwind",
            "colors.dark_muted is missing (neither brands/northwind.toml nor brand.toml sets "
            "it); the layout paints with it: the footer's text on the page, dark mode",
        ),
    ]
    # Every email then fails to render, naming the colour.
    assert {f.rule for f in findings} - {"color_missing", "subject_length"} == {
        "undefined_variable"
    }


# --- a brand's logo and links: refused when the brands load, named by their file -----------


@pytest.mark.parametrize(
    ("file", "old", "new", "brand", "message"),
    [
        (
            "brands/x.toml",
            None,
            'logo_url = "http://x.example.com/logo.png"\n',
            "x",
            "brands/x.toml: 'logo_url' must be an https URL",
        ),
        (
            "brand.toml",
            'logo_url = "https://www.example.com/email/logo.png"',
            'logo_url = "http://www.example.com/email/logo.png"',
            None,
            "brand.toml: 'logo_url' must be an https URL",
        ),
        (
            "brands/x.toml",
            None,
            '[links]\nallowed_origins = ["https://x.example.com"]\n',
            "x",
            "brands/x.toml: links.confirm_signup: "
            "'https://app.example.com/confirm?username=x&code=x' is not on an allowed https "
            "origin ['https://x.example.com']",
        ),
        (
            "brands/northwind.toml",
            'security_alert = "https://partners.northwind.example.com/account/security"',
            'security_alert = "https://evil.example.net/account/security"',
            "northwind",
            "brands/northwind.toml: links.security_alert: "
            "'https://evil.example.net/account/security' is not on an allowed https origin "
            "['https://partners.northwind.example.com']",
        ),
        (
            "brand.toml",
            'invitation = "https://app.example.com/sign-in?username={username}"',
            'invitation = "https://evil.example.net/sign-in?username={username}"',
            None,
            "brand.toml: links.invitation: 'https://evil.example.net/sign-in?username=x' is not "
            "on an allowed https origin ['https://app.example.com', 'https://www.example.com']",
        ),
    ],
    ids=["overlay-http-logo", "base-http-logo", "overlay-link", "northwind-link", "base-link"],
)
def test_check_fails_a_brand_with_an_http_logo_or_a_link_off_its_origins(
    templates_copy: Path,
    capsys: pytest.CaptureFixture[str],
    file: str,
    old: str | None,
    new: str,
    brand: str | None,
    message: str,
) -> None:
    if old is None:
        (templates_copy / file).write_text(new, encoding="utf-8")
    else:
        edit(file, old, new)(templates_copy)
    status, out = run_check(templates_copy, capsys, "--json")
    assert status == 1
    [finding] = json.loads(out)["findings"]
    assert finding == {
        "severity": "error",
        "rule": "setup",
        "file": file,
        "message": message,
        "kind": None,
        "locale": None,
        "sample": None,
        "brand": brand,
    }
