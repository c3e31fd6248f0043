"""The check's findings reach the index badges and the email page, drafts included.

The preview runs the real check (``sendertools.check``) here, on a copy of the templates with
one real problem: a German subject too long for an inbox line.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from html import unescape

import pytest

from preview.app import create_app
from preview.findings import TIMEOUT_RULE, Check, IndexFindings, load_check
from sender.event import EmailKind
from sendertools.check import Finding, check_email
from sendertools.samples import Workbench
from tests.preview import standin_check
from tests.preview.conftest import page_client
from tests.preview.waiting import wait_for
from tests.templates.test_translations import set_msgstr

STANDIN = "tests.preview.standin_check"
SUBJECT = "Reset your %(product)s password"
LONG_SUBJECT = "Bitte setzen Sie jetzt Ihr Passwort für %(product)s zurück, " * 2


@pytest.fixture
def checked(settings, templates):
    set_msgstr(templates, "de", SUBJECT, LONG_SUBJECT)
    with page_client(create_app(settings)) as client:
        yield client


def _checked_index(client) -> str:
    return wait_for(
        lambda: (page := client.get("/").text) and 'id="checking"' not in page and page,
        what="the check of every email",
    )


def test_index_shows_a_badge_where_the_check_reports(checked):
    page = _checked_index(checked)
    de = page.split('href="/email/reset_password?locale=de&amp;sample=default">')[1]
    en = page.split('href="/email/reset_password?locale=en&amp;sample=default">')[1]
    assert de.startswith('de<span class="badge warning"') and ">1</span>" in de[:200]
    assert en.startswith("en</a>")
    assert "check: on" in page


def test_email_page_lists_the_findings(checked):
    page = unescape(checked.get("/email/reset_password?locale=de").text)
    assert "subject_length" in page and "reset_password/subject.txt" in page
    assert "(> 78)" in page
    clean = checked.get("/email/reset_password?locale=en").text
    assert "No findings." in clean


def test_a_draft_is_checked_as_drafted(checked, templates):
    data = json.loads((templates / "reset_password/samples/default.json").read_text())
    data["code"] = "7" * 30_000  # the code alone takes the message past Gmail's clip
    draft = checked.post("/email/reset_password/draft?locale=en", json=data).json()
    page = unescape(checked.get(f"/email/reset_password?{draft['query']}").text)
    assert "mime_size" in page and "Gmail clips over 104448" in page
    assert "mime_size" not in checked.get("/email/reset_password?locale=en").text


def test_without_the_check_there_are_no_badges(settings):
    with page_client(create_app(replace(settings, check_module=""))) as client:
        page = client.get("/").text
        assert 'class="badge' not in page and "check: unavailable" in page
        assert 'id="checking"' not in page
        assert "check (sendertools.check) is off" in client.get("/email/reset_password").text


def test_the_index_says_it_is_checking_and_subscribes_to_the_result(
    monkeypatch, settings, tmp_path
):
    gate = tmp_path / "gate"
    monkeypatch.setenv(standin_check.GATE, str(gate))  # the workers inherit it
    slow = replace(settings, check_module=STANDIN, render_timeout=30)
    with page_client(create_app(slow)) as client:
        page = client.get("/").text
        assert 'id="checking"' in page and 'data-live="templates findings"' in page
        versions = client.get("/health").json()["versions"]
        gate.touch()
        wait_for(
            lambda: client.get("/health").json()["versions"]["findings"] != versions["findings"],
            what="the findings event",
        )
        assert 'id="checking"' not in client.get("/").text


def test_load_check_runs_the_project_check_a_stand_in_or_none(templates):
    assert load_check("") is None
    wb = Workbench(templates)
    sample = wb.sample(EmailKind.RESET_PASSWORD, "default")
    for name in ("sendertools.check", STANDIN):
        check = load_check(name)
        assert check is not None
        assert check.email(wb, sample, "en") == []
    set_msgstr(templates, "de", SUBJECT, LONG_SUBJECT)
    wb = Workbench(templates)
    sample = wb.sample(EmailKind.RESET_PASSWORD, "default")
    check = load_check()
    assert check is not None
    assert check.email(wb, sample, "de") == check_email(wb, sample.kind, "de", "default")
    assert [f.rule for f in check.email(wb, sample, "de")] == ["subject_length"]


def test_a_check_that_raises_is_one_check_failed_finding(templates):
    def broken(wb, kind, locale, sample, *, untranslated=None):
        raise RuntimeError("no such rule 'x'")

    wb = Workbench(templates)
    sample = wb.sample(EmailKind.SIGN_IN_CODE, "default")
    [finding] = Check(broken).email(wb, sample, "fr")
    assert finding == Finding(
        "error",
        "check_failed",
        "",
        "the check raised RuntimeError: no such rule 'x'",
        "sign_in_code",
        "fr",
        "default",
    )


def test_after_a_timeout_the_kind_s_other_emails_are_not_rendered_again(templates):
    wb = Workbench(templates)
    kind = EmailKind.VERIFY_EMAIL
    first_name = next(iter(wb.samples[kind]))
    first_locale = wb.catalogs.locales[0]
    calls: list[tuple[str, str, str]] = []

    def check_one(sample, locale, generation):
        calls.append((sample.kind.value, sample.name, locale))
        if sample.kind is kind:
            return [Finding("error", TIMEOUT_RULE, "verify_email/body.mjml", "took 5 s")]
        return []

    done = threading.Event()
    index = IndexFindings(check_one, done.set)
    index.start(wb, 7)
    assert done.wait(60)
    found = index.results(7)
    assert found is not None
    assert [c for c in calls if c[0] == kind.value] == [(kind.value, first_name, first_locale)]
    emails = [(name, locale) for name in wb.samples[kind] for locale in wb.catalogs.locales]
    assert len(emails) > 1
    for name, locale in emails[1:]:
        [finding] = found[(kind.value, name, locale)]
        assert finding == Finding(
            "error",
            TIMEOUT_RULE,
            "verify_email/body.mjml",
            f"not checked: verify_email {first_name} {first_locale} already took too long "
            "(took 5 s)",
            "verify_email",
            locale,
            name,
        )
    assert found[("sign_in_code", "default", "en")] == []
