"""The watcher: saving a template, catalog, brand file or sample re-renders and notifies."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html import unescape

import pytest

from preview.app import create_app
from sendertools.samples import Workbench
from tests.preview.conftest import mark_translations, page_client, sample_data
from tests.preview.waiting import wait_for


@pytest.fixture
def live(settings):
    with page_client(create_app(replace(settings, watch=True))) as c:
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
    product = Workbench(templates).brand.values["product_name"]
    assert f"Watched subject {product}" in unescape(live.get("/email/sign_in_code").text)


def test_saving_a_catalog_recompiles_it(live, templates):
    po = templates / "locales/de/LC_MESSAGES/messages.po"
    before = _version(live)
    assert "Übersetzt" not in live.get("/email/confirm_signup?locale=de&part=text").text
    mark_translations(po, "Übersetzt ")
    wait_for(_changed_from(live, before), what="a templates event")
    wait_for(
        lambda: "Übersetzt" in live.get("/email/confirm_signup?locale=de&part=text").text,
        what="the new translation",
    )


def test_saving_the_brand_file_and_a_sample(live, templates):
    before = _version(live)
    brand = templates / "brand.toml"
    brand.write_text(
        re.sub(r'(?m)^product_name = ".*"$', 'product_name = "Acme"', brand.read_text())
    )
    wait_for(_changed_from(live, before), what="a templates event")
    wait_for(lambda: "Acme" in live.get("/email/reset_password").text, what="the new brand")
    data = sample_data(templates, "reset_password")
    data["userAttributes"]["given_name"] = "Hedy"
    before = _version(live)
    (templates / "reset_password/samples/default.json").write_text(json.dumps(data))
    wait_for(_changed_from(live, before), what="a templates event")
    wait_for(lambda: "Hedy" in live.get("/email/reset_password").text, what="the new sample")


def test_a_new_outbox_message_is_announced(live, settings, templates):
    before = _version(live, "outbox")
    settings.outbox_dir.mkdir(exist_ok=True)
    (settings.outbox_dir / "20260101T000000-000000-x.eml").write_bytes(b"Subject: hi\r\n\r\nhi\r\n")
    wait_for(_changed_from(live, before, "outbox"), what="an outbox event")
    assert "/outbox/20260101T000000-000000-x" in live.get("/outbox").text
