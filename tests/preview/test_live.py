"""The watcher: saving a template, catalog, brand file or sample re-renders and notifies."""

from __future__ import annotations

import os
from dataclasses import replace
from html import unescape

import pytest
from starlette.testclient import TestClient

from preview.app import create_app
from tests.preview.waiting import wait_for


@pytest.fixture
def live(settings):
    with TestClient(create_app(replace(settings, watch=True)), base_url="http://127.0.0.1") as c:
        yield c


def _version(client, topic="templates"):
    return client.get("/health").json()["versions"][topic]


def _changed_from(client, before, topic="templates"):
    return lambda: _version(client, topic) != before


def test_saving_a_template_rerenders_it(live, templates):
    before = _version(live)
    subject = templates / "sign_in_code/subject.txt"
    subject.write_text("Watched subject {{ brand.product_name }}\n")
    wait_for(_changed_from(live, before), what="a templates event")
    assert "Watched subject Example" in unescape(live.get("/email/sign_in_code").text)


def test_saving_a_catalog_recompiles_it(live, templates):
    po = templates / "locales/de/LC_MESSAGES/messages.po"
    text = po.read_text(encoding="utf-8")
    before = _version(live)
    po.write_text(text.replace('msgstr "Hallo %(name)s,"', 'msgstr "Servus %(name)s,"'))
    mo = po.with_suffix(".mo")
    os.utime(po, (mo.stat().st_mtime + 2, mo.stat().st_mtime + 2))
    wait_for(_changed_from(live, before), what="a templates event")
    wait_for(
        lambda: "Servus Ada" in live.get("/email/confirm_signup?locale=de&part=text").text,
        what="the new translation",
    )


def test_saving_the_brand_file_and_a_sample(live, templates):
    before = _version(live)
    brand = templates / "brand.toml"
    brand.write_text(brand.read_text().replace('product_name = "Example"', 'product_name = "Acme"'))
    wait_for(_changed_from(live, before), what="a templates event")
    wait_for(lambda: "Acme" in live.get("/email/reset_password").text, what="the new brand")
    sample = templates / "reset_password/samples/default.json"
    before = _version(live)
    sample.write_text(sample.read_text().replace('"Ada"', '"Hedy"'))
    wait_for(_changed_from(live, before), what="a templates event")
    wait_for(lambda: "Hedy" in live.get("/email/reset_password").text, what="the new sample")


def test_a_new_outbox_message_is_announced(live, settings, templates):
    before = _version(live, "outbox")
    settings.outbox_dir.mkdir(exist_ok=True)
    (settings.outbox_dir / "20260101T000000-000000-x.eml").write_bytes(b"Subject: hi\r\n\r\nhi\r\n")
    wait_for(_changed_from(live, before, "outbox"), what="an outbox event")
    assert "/outbox/20260101T000000-000000-x" in live.get("/outbox").text
