"""The brand switcher over HTTP: ``?brand=`` on every view of an email, the default the Lambda
would choose for the sample, the 404 that names the brands, and the index's brands."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from sender.event import EmailKind
from sendertools.samples import Workbench
from tests.conftest import parse_mime, parts
from tests.preview.conftest import sample_data

NORTHWIND_FROM = "Northwind Partners <no-reply@northwind.example.com>"
NORTHWIND_PRODUCT = "Northwind"
NORTHWIND_PRIMARY = "#0f766e"
BASE_PRODUCT = "Example Ltd."  # the company name: "Example" alone is in every address
BASE_PRIMARY = "#1a56db"
PARTNER_CLIENT = "5examplepartnerportal00001"


def _frame(client: TestClient, query: str) -> str:
    reply = client.get(f"/email/confirm_signup/frame?{query}")
    assert reply.status_code == 200, reply.text
    return reply.text


def _brand_note(page: str) -> str:
    [note] = re.findall(r'id="brand-note">([^<]*)<', page)
    return unescape(note)


def test_the_templates_have_the_two_brands_the_tests_rely_on(templates):
    workbench = Workbench(templates)
    assert workbench.brands == ("base", "northwind")
    assert sample_data(templates, "confirm_signup", "partner_portal")["clientId"] == (
        PARTNER_CLIENT
    )


def test_a_picked_brand_dresses_the_email_and_the_other_brand_does_not_show(client):
    page = client.get("/email/confirm_signup?locale=en&sample=default&brand=northwind")
    assert page.status_code == 200
    text = unescape(page.text)
    assert f"Your {NORTHWIND_PRODUCT} confirmation code" in text
    assert NORTHWIND_FROM in text
    assert _brand_note(page.text).startswith("northwind (picked here; the Lambda would choose base")
    frame = _frame(client, "locale=en&sample=default&brand=northwind&mode=light")
    assert NORTHWIND_PRIMARY in frame and NORTHWIND_PRODUCT in unescape(frame)
    assert BASE_PRIMARY not in frame and BASE_PRODUCT not in unescape(frame)


def test_the_same_email_in_the_base_brand_shows_none_of_northwind(client):
    # Rendered one after the other: each brand is its own render, not the other's cached one.
    _frame(client, "sample=partner_portal&mode=light")
    frame = _frame(client, "sample=partner_portal&brand=base&mode=light")
    assert BASE_PRIMARY in frame and BASE_PRODUCT in unescape(frame)
    assert NORTHWIND_PRIMARY not in frame and NORTHWIND_PRODUCT not in unescape(frame)
    page = client.get("/email/confirm_signup?sample=partner_portal&brand=base")
    assert NORTHWIND_FROM not in unescape(page.text)
    assert _brand_note(page.text) == (
        f"base (picked here; the Lambda would choose northwind: chosen by client id "
        f"{PARTNER_CLIENT})"
    )


def test_without_a_pick_the_brand_follows_the_samples_client_id(client, templates):
    partner = client.get("/email/confirm_signup?sample=partner_portal")
    assert partner.status_code == 200
    assert _brand_note(partner.text) == f"northwind (chosen by client id {PARTNER_CLIENT})"
    assert NORTHWIND_FROM in unescape(partner.text)
    assert re.search(
        r'<a href="[^"]*brand=northwind[^"]*" class="on" data-brand="northwind"', partner.text
    )
    assert NORTHWIND_PRIMARY in _frame(client, "sample=partner_portal&mode=light")

    default = client.get("/email/confirm_signup?sample=default")
    note = _brand_note(default.text)
    assert note.startswith("base (") and "not mapped to a brand" in note
    assert NORTHWIND_FROM not in unescape(default.text)
    assert NORTHWIND_PRIMARY not in _frame(client, "sample=default&mode=light")
    # The page's own links keep following the sample: no brand in them until one is picked.
    assert "brand=" not in _links(default.text, "#locales")
    workbench = Workbench(templates)
    sample = workbench.sample(EmailKind.CONFIRM_SIGNUP, "partner_portal")
    assert workbench.brand_of(sample) == "northwind"


def _links(page: str, group: str) -> str:
    start = page.index(f'id="{group.lstrip("#")}"')
    return unescape(page[start : page.index("</span>", page.index("</a>", start))])


def test_a_picked_brand_stays_in_every_link_form_and_frame_of_the_page(client):
    page = client.get("/email/confirm_signup?locale=de&sample=default&brand=northwind")
    text = unescape(page.text)
    for group in ("#locales", "#samples", "#parts"):
        hrefs = re.findall(r'href="([^"]+)"', _links(page.text, group))
        assert hrefs and all("brand=northwind" in h for h in hrefs), (group, hrefs)
    [frame] = re.findall(r'id="email-frame"[^>]* src="([^"]+)"', text)
    assert parse_qs(urlsplit(frame).query)["brand"] == ["northwind"]
    [render] = re.findall(r'data-render="([^"]+)"', text)
    assert parse_qs(urlsplit(render).query)["brand"] == ["northwind"]
    assert text.count('<input type="hidden" name="brand" value="northwind">') == 2
    assert 'id="brand-default"' in text  # the way back to the Lambda's choice


@pytest.mark.parametrize(
    "url",
    [
        "/email/confirm_signup?brand=acme",
        "/email/confirm_signup/frame?brand=acme",
        "/email/confirm_signup?brand=acme&part=eml",
        "/email/confirm_signup/spam-score?brand=acme",
    ],
)
def test_an_unknown_brand_is_a_404_naming_the_brands_that_exist(client, url):
    reply = client.get(url)
    assert reply.status_code == 404
    text = unescape(reply.text)
    assert "'acme'" in text and "base" in text and "northwind" in text


@pytest.mark.parametrize("action", ["draft?brand=acme", "send-local", "send-ses"])
def test_an_unknown_brand_is_refused_by_the_writes_too(client, templates, action):
    if action.startswith("draft"):
        reply = client.post(
            f"/email/confirm_signup/{action}", json=sample_data(templates, "confirm_signup")
        )
    else:
        reply = client.post(
            f"/email/confirm_signup/{action}",
            data={"sample": "default", "brand": "acme", "recipient": "a@example.com"},
        )
    assert reply.status_code == 404
    assert "'acme'" in reply.text and "base, northwind" in reply.text


def test_the_eml_download_is_the_email_in_the_brand_shown(client, templates):
    reply = client.get("/email/confirm_signup?locale=en&sample=default&brand=northwind&part=eml")
    assert reply.status_code == 200
    assert "confirm_signup-en-default-northwind.eml" in reply.headers["content-disposition"]
    msg = parse_mime(reply.content)
    assert str(msg["From"]) == NORTHWIND_FROM
    assert msg["Subject"] == f"Your {NORTHWIND_PRODUCT} confirmation code"
    _text, html = parts(msg)
    assert NORTHWIND_PRIMARY in html
    assert sample_data(templates, "confirm_signup")["code"] in html

    chosen = parse_mime(client.get("/email/confirm_signup?sample=partner_portal&part=eml").content)
    assert str(chosen["From"]) == NORTHWIND_FROM
    base = parse_mime(client.get("/email/confirm_signup?sample=default&part=eml").content)
    assert str(base["From"]) != NORTHWIND_FROM


def test_a_draft_renders_in_the_picked_brand_or_follows_its_client_id(client, templates):
    data = sample_data(templates, "confirm_signup")
    picked = client.post("/email/confirm_signup/draft?sample=default&brand=northwind", json=data)
    assert picked.status_code == 200
    body = picked.json()
    assert body["from"] == NORTHWIND_FROM and body["brand"] == "northwind"
    assert "brand=northwind" in body["frame"] and "brand=northwind" in body["query"]
    assert NORTHWIND_PRIMARY in client.get(body["frame"] + "&mode=light").text

    data["clientId"] = PARTNER_CLIENT
    followed = client.post("/email/confirm_signup/draft?sample=default", json=data).json()
    assert followed["brand"] == "northwind" and followed["from"] == NORTHWIND_FROM
    assert followed["brand_note"] == f"northwind (chosen by client id {PARTNER_CLIENT})"
    assert "brand=" not in followed["query"]
    page = client.get(f"/email/confirm_signup?{followed['query']}")
    assert _brand_note(page.text) == f"northwind (chosen by client id {PARTNER_CLIENT})"


def test_the_index_lists_every_brand_and_links_every_email_in_each(client, templates):
    page = client.get("/")
    assert page.status_code == 200
    text = unescape(page.text)
    start = text.index('id="brands"')
    brands = text[start : text.index("</section>", start)]
    for name, product in (("base", "Example"), ("northwind", NORTHWIND_PRODUCT)):
        row = re.search(rf'<tr data-brand="{name}">(.*?)</tr>', brands, re.S)
        assert row, name
        assert f'<td class="product">{product}</td>' in row.group(1)
        for kind in Workbench(templates).samples:
            assert f'href="/email/{kind.value}?brand={name}"' in row.group(1)
    northwind = re.search(r'<tr data-brand="northwind">(.*?)</tr>', brands, re.S).group(1)
    assert NORTHWIND_FROM in northwind and PARTNER_CLIENT in northwind
    base = re.search(r'<tr data-brand="base">(.*?)</tr>', brands, re.S).group(1)
    assert "EMAIL_FROM" in base and "every other event" in base
    # Each sample's row links it in every brand, the Lambda's choice marked.
    assert "/email/confirm_signup?sample=default&amp;brand=northwind" in page.text
    assert "/email/confirm_signup?sample=partner_portal&amp;brand=base" in page.text
    assert re.search(
        r'class="loc on" href="/email/confirm_signup\?sample=partner_portal" '
        r'data-brand="northwind"',
        page.text,
    )
