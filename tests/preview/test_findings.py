"""The check's findings reach the index badges and the email page, drafts included.

``sendertools.checks`` is replaced here by ``tests.preview.standin_check``, a tiny stand-in with the
same signature that the render workers import, so these tests pin the preview's side of the
contract whether or not the real check is installed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from html import unescape

import pytest

from preview.app import create_app
from tests.preview import standin_check
from tests.preview.conftest import page_client
from tests.preview.waiting import wait_for

STANDIN = "tests.preview.standin_check"


@pytest.fixture
def checked(settings):
    with page_client(create_app(replace(settings, check_module=STANDIN))) as client:
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
    clean = checked.get("/email/reset_password?locale=en").text
    assert "No findings." in clean


def test_a_draft_is_checked_as_drafted(checked, templates):
    data = json.loads((templates / "reset_password/samples/default.json").read_text())
    data["code"] = "000000"
    draft = checked.post("/email/reset_password/draft?locale=en", json=data).json()
    page = checked.get(f"/email/reset_password?{draft['query']}").text
    assert "code_missing" in page


def test_without_the_check_there_are_no_badges(monkeypatch, settings):
    monkeypatch.setitem(sys.modules, "sendertools.checks", None)  # import fails
    with page_client(create_app(settings)) as client:
        page = client.get("/").text
        assert 'class="badge' not in page and "check: unavailable" in page
        assert 'id="checking"' not in page
        assert "is not installed" in client.get("/email/reset_password").text


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
