"""Every route over HTTP: what each shows, the 404s that name what exists, and refusals."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sender.event import EmailKind
from sendertools.outbox import Outbox
from sendertools.samples import Workbench
from tests.conftest import parse_mime, parts
from tests.preview.conftest import sample_data


def test_index_groups_every_trigger_and_links_every_kind_locale_sample(client, templates):
    page = client.get("/")
    assert page.status_code == 200
    workbench = Workbench(templates)
    for trigger in ("CustomEmailSender_SignUp", "CustomEmailSender_AccountTakeOverNotification"):
        assert trigger in page.text
    for kind, samples in workbench.samples.items():
        for name in samples:
            for locale in workbench.catalogs.locales:
                assert f"/email/{kind.value}?locale={locale}&amp;sample={name}" in page.text
    assert 'id="filter"' in page.text


def test_email_page_shows_the_headers_the_lambda_would_send(client, templates):
    workbench = Workbench(templates)
    sample = workbench.sample(EmailKind.RESET_PASSWORD, "default")
    composed = workbench.compose(sample, "de")
    page = client.get("/email/reset_password?locale=de&sample=default")
    assert page.status_code == 200
    text = unescape(page.text)
    assert composed.email.subject in text
    assert composed.email.preheader in text
    assert str(composed.message["From"]) in text
    assert 'sandbox=""' in page.text and "allow-scripts" not in page.text


def test_frame_serves_the_composed_html_under_a_strict_policy(client, templates):
    workbench = Workbench(templates)
    composed = workbench.compose(workbench.sample(EmailKind.SIGN_IN_CODE, "default"), "en")
    frame = client.get("/email/sign_in_code/frame?locale=en&sample=default&mode=light")
    assert frame.status_code == 200
    csp = frame.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert "img-src data:;" in csp  # no remote request from the frame
    body_of = re.compile(r"<body.*</body>", re.S)
    assert body_of.search(frame.text).group(0) == body_of.search(composed.email.html).group(0)


def test_dark_frame_applies_the_dark_rules_and_light_drops_them(client):
    light = client.get("/email/confirm_signup/frame?mode=light").text
    dark = client.get("/email/confirm_signup/frame?mode=dark").text
    assert "prefers-color-scheme" not in light and "prefers-color-scheme" not in dark
    assert ".code-box" in dark
    dark_only = set(re.findall(r"#[0-9a-f]{6}", dark)) - set(re.findall(r"#[0-9a-f]{6}", light))
    assert dark_only, "the dark frame uses colours the light one does not"


def test_text_and_source_parts(client, templates):
    workbench = Workbench(templates)
    composed = workbench.compose(workbench.sample(EmailKind.INVITATION, "default"), "en")
    text = client.get("/email/invitation?part=text")
    assert composed.email.text.strip() in unescape(text.text)
    source = client.get("/email/invitation?part=source")
    assert 'id="html-source"' in source.text
    assert "&lt;!doctype html&gt;" in source.text.lower()


def test_eml_download_parses_back_to_both_parts(client, templates):
    reply = client.get("/email/confirm_signup?locale=de&part=eml")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "message/rfc822"
    assert "attachment" in reply.headers["content-disposition"]
    msg = parse_mime(reply.content)
    text, html = parts(msg)
    assert msg["Content-Language"] == "de"
    code = sample_data(templates, "confirm_signup")["code"]
    assert code in text and code in html


@pytest.mark.parametrize(
    ("url", "missing", "existing"),
    [
        ("/email/newsletter", "'newsletter'", "confirm_signup"),
        ("/email/confirm_signup?locale=xx", "'xx'", "en"),
        ("/email/confirm_signup?sample=nope", "'nope'", "default"),
        ("/email/confirm_signup?part=pdf", "'pdf'", "html"),
        ("/email/confirm_signup?view=1024", "'1024'", "375"),
        ("/email/confirm_signup?mode=sepia", "'sepia'", "invert"),
        ("/email/confirm_signup?draft=AAAAAAAAAAAA", "'AAAAAAAAAAAA'", "memory"),
        ("/email/confirm_signup/frame?sample=nope", "'nope'", "default"),
        ("/outbox/20260101T000000-000000-x", "20260101T000000-000000-x", "none"),
    ],
)
def test_unknown_names_are_404s_naming_what_is_missing_and_what_exists(
    client, url, missing, existing
):
    reply = client.get(url)
    assert reply.status_code == 404
    text = unescape(reply.text)
    assert missing in text and existing in text


@pytest.mark.parametrize(
    "url",
    [
        "/email/..%2F..%2Fetc%2Fpasswd",
        "/email/confirm_signup?sample=../../brand",
        "/email/confirm_signup?sample=..%2F..%2Fbrand",
        "/email/confirm_signup?locale=../../etc",
        "/outbox/..%2F..%2Fetc%2Fpasswd",
        "/outbox/../templates/brand.toml",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/../app.py",
    ],
)
def test_path_traversal_never_reaches_a_file(client, url):
    reply = client.get(url)
    assert reply.status_code == 404
    assert "product_name" not in reply.text and "[project]" not in reply.text
    assert "def create_app" not in reply.text


def test_save_refuses_traversal_and_bad_names(client, templates):
    data = json.loads((templates / "confirm_signup/samples/default.json").read_text())
    for name in ("..%2F..%2Fbrand", "Upper", ".hidden", "a" * 65):
        reply = client.post(f"/email/confirm_signup/samples/{name}", json=data)
        assert reply.status_code == 404, name
    assert not list(templates.glob("*.json")) and not list(templates.parent.glob("*.json"))


def test_draft_renders_edited_data_without_saving(client, templates):
    path = templates / "confirm_signup/samples/default.json"
    before = path.read_text()
    data = json.loads(before)
    data["code"] = "731005"
    data["userAttributes"]["given_name"] = "Grace"
    reply = client.post("/email/confirm_signup/draft?locale=en&sample=default", json=data)
    assert reply.status_code == 200
    draft = reply.json()
    assert "731005" in draft["text"] and "Grace" in draft["text"]
    assert path.read_text() == before
    frame = client.get(draft["frame"] + "&mode=light")
    assert "731005" in frame.text
    page = client.get(f"/email/confirm_signup?{draft['query']}")
    assert "unsaved draft" in page.text and "Grace" in page.text


def test_draft_errors_say_what_is_wrong(client):
    bad_json = client.post(
        "/email/confirm_signup/draft",
        content=b'{"trigger": ',
        headers={"content-type": "application/json"},
    )
    assert bad_json.status_code == 422
    assert "JSON" in bad_json.json()["error"]["message"]
    wrong_kind = client.post(
        "/email/confirm_signup/draft",
        json={"trigger": "CustomEmailSender_ForgotPassword", "code": "1"},
    )
    assert wrong_kind.status_code == 422
    assert "does not send confirm_signup" in wrong_kind.json()["error"]["message"]


def test_save_writes_the_sample_file_only_when_valid(client, templates):
    data = json.loads((templates / "reset_password/samples/default.json").read_text())
    data["userAttributes"]["given_name"] = "Émilie"
    saved = client.post("/email/reset_password/samples/emilie", json=data)
    assert (
        saved.status_code == 200 and saved.json()["saved"] == "reset_password/samples/emilie.json"
    )
    written = templates / "reset_password/samples/emilie.json"
    assert json.loads(written.read_text(encoding="utf-8")) == data
    data["trigger"] = "CustomEmailSender_Nope"
    refused = client.post("/email/reset_password/samples/emilie", json=data)
    assert refused.status_code == 422
    assert "Émilie" in written.read_text(encoding="utf-8")


def test_template_error_shows_file_line_and_message_and_the_server_keeps_running(client, templates):
    body = templates / "sign_in_code/body.mjml"
    original = body.read_text()
    lines = original.splitlines()
    lines[3] = lines[3] + " {{ broken( }}"
    body.write_text("\n".join(lines) + "\n")
    client.app.state.preview.templates_changed()
    page = client.get("/email/sign_in_code")
    assert page.status_code == 500
    assert 'id="render-problem"' in page.text
    assert "sign_in_code/body.mjml" in page.text and '<span class="line">4</span>' in page.text
    assert "broken(" in unescape(page.text)  # the excerpt quotes the line
    body.write_text(original)
    client.app.state.preview.templates_changed()
    assert client.get("/email/sign_in_code").status_code == 200


def test_a_broken_brand_file_is_shown_on_every_page(client, templates):
    brand = templates / "brand.toml"
    brand.write_text(re.sub(r"(?m)^product_name = .*$", "product_name = ", brand.read_text()))
    client.app.state.preview.templates_changed()
    page = client.get("/")
    assert page.status_code == 500
    assert 'id="problem"' in page.text and "brand.toml" in page.text
    assert client.get("/health").json()["templates"].startswith("brand.toml")


def test_outbox_lists_and_opens_captured_messages(client, settings, templates):
    workbench = Workbench(templates)
    composed = workbench.compose(workbench.sample(EmailKind.VERIFY_EMAIL, "default"), "de")
    from sender.mime import to_bytes

    entry = Outbox(settings.outbox_dir).save(to_bytes(composed.message), label="verify")
    listing = client.get("/outbox")
    assert f"/outbox/{entry.id}" in listing.text
    assert composed.email.subject in unescape(listing.text)
    page = client.get(f"/outbox/{entry.id}")
    assert page.status_code == 200 and composed.email.subject in unescape(page.text)
    frame = client.get(f"/outbox/{entry.id}/frame?mode=dark")
    assert "sandbox" in frame.headers["content-security-policy"]
    assert "<iframe" not in frame.text and "</html>" in frame.text
    eml = client.get(f"/outbox/{entry.id}?part=eml")
    assert parse_mime(eml.content)["Subject"] == composed.email.subject
    text = client.get(f"/outbox/{entry.id}?part=text")
    assert composed.email.text.strip().splitlines()[0] in unescape(text.text)


def test_events_push_a_newer_version_at_once(client):
    versions = client.get("/health").json()["versions"]
    stale = client.get("/events?templates=old&outbox=" + versions["outbox"])
    assert stale.headers["content-type"].startswith("text/event-stream")
    assert "event: templates" in stale.text and "event: outbox" not in stale.text
    current = client.get("/events?templates=" + versions["templates"])
    assert "event:" not in current.text


def test_events_follow_a_template_change(client):
    before = client.get("/health").json()["versions"]["templates"]
    client.app.state.preview.templates_changed()
    after = client.get("/health").json()["versions"]["templates"]
    assert after != before
    assert f'"version": "{after}"' in client.get(f"/events?templates={before}").text


def test_pages_carry_a_strict_policy_and_use_no_external_assets(client):
    page = client.get("/email/confirm_signup")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    external = re.findall(r"""(?:src|href)=["'](https?:)?//""", page.text.split("<main")[0])
    assert external == []
    assert client.get("/static/preview.js").status_code == 200
    assert client.get("/static/preview.css").status_code == 200


def test_remote_images_only_when_asked(settings):
    from dataclasses import replace

    from preview.app import create_app

    with TestClient(
        create_app(replace(settings, remote_images=True)), base_url="http://127.0.0.1"
    ) as c:
        assert (
            "img-src data: https:"
            in c.get("/email/confirm_signup/frame").headers["content-security-policy"]
        )


def test_requests_for_another_host_name_are_refused(client):
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 gets nothing.
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_cross_site_posts_are_refused(client, templates):
    data = json.loads((templates / "confirm_signup/samples/default.json").read_text())
    reply = client.post(
        "/email/confirm_signup/samples/default",
        json=data,
        headers={"origin": "https://evil.example"},
    )
    assert reply.status_code == 403
    same = client.post(
        "/email/confirm_signup/samples/default",
        json=data,
        headers={"origin": "http://127.0.0.1:8025"},
    )
    assert same.status_code == 200


def test_send_buttons_say_why_they_are_off(client):
    page = client.get("/email/confirm_signup")
    assert re.search(r'id="send-ses"\s+disabled', page.text)
    assert "--no-ses" in page.text
    local = client.post(
        "/email/confirm_signup/send-local", data={"locale": "en", "sample": "default"}
    )
    assert local.status_code == 503 and "turned off" in local.text
    ses = client.post(
        "/email/confirm_signup/send-ses", data={"sample": "default", "recipient": "a@example.com"}
    )
    assert ses.status_code == 409 and "disabled" in ses.text
    assert client.get("/ses/status").json() == {
        "enabled": False,
        "reason": "the real SES check is turned off (--no-ses)",
    }


def test_health_reports_state(client):
    health = client.get("/health").json()
    assert health["templates"] == "ok"
    assert health["local_aws"] == "off"
    assert set(health["versions"]) == {"templates", "outbox", "ses", "findings"}


def test_unused_path_param_forms_are_not_routes(client):
    assert client.get("/email/").status_code == 404
    assert client.post("/email/confirm_signup").status_code == 405
    assert isinstance(Path, type)


def test_the_page_asks_for_the_spam_score_of_what_it_shows(client, spamassassin):
    page = client.get("/email/sign_in_code?locale=ja&sample=default")
    [url] = re.findall(r'id="m-spam" data-url="([^"]+)"', page.text)
    assert unescape(url) == "/email/sign_in_code/spam-score?locale=ja&sample=default"

    reply = client.get(unescape(url))

    assert reply.status_code == 200
    score = reply.json()
    assert score["score"] < score["threshold"] == 2.0
    assert score["passes"] is True
    assert score["spamassassin"]
    assert {r["rule"] for r in score["discounted"]} >= {"NO_RECEIVED", "NO_RELAYS"}
    assert all(r["why"] for r in score["discounted"])


def test_the_spam_score_says_when_spamassassin_is_missing(client, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")

    reply = client.get("/email/sign_in_code/spam-score?locale=en&sample=default")

    assert reply.status_code == 200
    assert "SpamAssassin is not installed" in reply.json()["error"]
