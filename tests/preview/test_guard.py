"""Requests that change something come from the preview's own pages only: a same-origin
``Origin`` or ``Sec-Fetch-Site``, the page's token, and a body within the limit (refused while
it streams, never read whole)."""

from __future__ import annotations

import json
import re

import anyio
import pytest
from starlette.testclient import TestClient

from preview.app import create_app
from preview.middleware import TOKEN_FIELD, TOKEN_HEADER

ORIGIN = "http://127.0.0.1:8025"
SAVE = "/email/confirm_signup/samples/guarded"


@pytest.fixture
def bare(client):
    """The same running app, through a client that sends no same-origin headers or token."""
    return TestClient(client.app, base_url=ORIGIN)


@pytest.fixture
def token(client) -> str:
    return client.app.state.preview.token


@pytest.fixture
def sample(templates) -> dict:
    return json.loads((templates / "confirm_signup/samples/default.json").read_text())


def test_a_post_without_origin_is_refused_and_says_why(bare, token, sample, templates):
    reply = bare.post(SAVE, json=sample, headers={TOKEN_HEADER: token})
    assert reply.status_code == 403
    assert "no Origin or Sec-Fetch-Site header" in reply.text and ORIGIN in reply.text
    assert not (templates / "confirm_signup/samples/guarded.json").exists()


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"origin": "https://evil.example"}, "Origin 'https://evil.example'"),
        ({"origin": "null"}, "Origin 'null'"),
        ({"origin": "http://127.0.0.1:9999"}, "Origin 'http://127.0.0.1:9999'"),
        ({"sec-fetch-site": "cross-site"}, "Sec-Fetch-Site 'cross-site'"),
        ({"origin": ORIGIN, "sec-fetch-site": "same-site"}, "Sec-Fetch-Site 'same-site'"),
    ],
)
def test_a_post_from_another_site_is_refused(bare, token, sample, templates, headers, named):
    reply = bare.post(SAVE, json=sample, headers={**headers, TOKEN_HEADER: token})
    assert reply.status_code == 403
    assert named in reply.text
    assert not (templates / "confirm_signup/samples/guarded.json").exists()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_every_changing_method_is_guarded(bare, method):
    reply = bare.request(method, SAVE, headers={"origin": "https://evil.example"})
    assert reply.status_code == 403 and "https://evil.example" in reply.text


@pytest.mark.parametrize(
    "same_origin", [{"origin": ORIGIN}, {"sec-fetch-site": "same-origin"}], ids=["origin", "fetch"]
)
def test_a_same_origin_post_with_the_token_is_accepted(bare, token, sample, same_origin):
    reply = bare.post(SAVE, json=sample, headers={**same_origin, TOKEN_HEADER: token})
    assert reply.status_code == 200, reply.text
    assert reply.json()["saved"] == "confirm_signup/samples/guarded.json"


def test_the_token_is_required_and_must_be_this_process_one(bare, token, sample):
    missing = bare.post(SAVE, json=sample, headers={"origin": ORIGIN})
    assert missing.status_code == 403 and TOKEN_HEADER in missing.text
    wrong = bare.post(SAVE, json=sample, headers={"origin": ORIGIN, TOKEN_HEADER: "x" + token})
    assert wrong.status_code == 403 and "earlier run" in wrong.text


def test_pages_carry_the_token_in_a_meta_tag_and_in_their_forms(client, token, settings):
    page = client.get("/email/confirm_signup").text
    assert f'<meta name="preview-token" content="{token}">' in page
    fields = re.findall(rf'name="{TOKEN_FIELD}" value="([^"]+)"', page)
    assert fields == [token, token]  # the local-outbox and the real-SES forms
    assert create_app(settings).state.preview.token != token  # one per process


def test_the_real_ses_send_requires_the_token(bare, token):
    form = {"locale": "en", "sample": "default", "recipient": "a@example.com"}
    url = "/email/confirm_signup/send-ses"
    without = bare.post(url, data=form, headers={"origin": ORIGIN})
    assert without.status_code == 403 and TOKEN_FIELD in without.text
    foreign = bare.post(url, data={**form, TOKEN_FIELD: token}, headers={"origin": "https://x.y"})
    assert foreign.status_code == 403
    # Same origin and the form's token: through to the route (disabled here: --no-ses).
    sent = bare.post(url, data={**form, TOKEN_FIELD: token}, headers={"origin": ORIGIN})
    assert sent.status_code == 409 and "disabled" in sent.text


def test_a_declared_oversized_body_is_refused_unread(bare, token, settings):
    too_big = settings.max_body + 1
    reply = bare.post(
        SAVE,
        content=b"{" + b" " * (too_big - 2) + b"}",
        headers={"origin": ORIGIN, TOKEN_HEADER: token, "content-type": "application/json"},
    )
    assert reply.status_code == 413
    assert f"a body of {too_big} bytes; at most {settings.max_body}" in reply.text


def _asgi(app, headers: list[tuple[bytes, bytes]], receive) -> list[dict]:
    """Call ``app`` with one POST to the draft route; the messages it sent back."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/email/confirm_signup/draft",
        "raw_path": b"/email/confirm_signup/draft",
        "root_path": "",
        "query_string": b"",
        "server": ("127.0.0.1", 8025),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1:8025"),
            (b"origin", ORIGIN.encode()),
            (TOKEN_HEADER.encode(), app.state.preview.token.encode()),
            (b"content-type", b"application/json"),
            *headers,
        ],
    }

    async def call() -> None:
        with anyio.fail_after(10):
            await app(scope, receive, send)

    anyio.run(call)
    return sent


def test_a_streamed_body_is_refused_once_it_passes_the_limit(settings):
    """An endless chunked upload: the guard stops reading just past the limit."""
    chunk = 64 * 1024
    received = 0

    async def endless() -> dict:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b" " * chunk, "more_body": True}

    sent = _asgi(create_app(settings), [(b"transfer-encoding", b"chunked")], endless)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert received == settings.max_body // chunk + 1
    assert b"more than" in b"".join(m.get("body", b"") for m in sent[1:])


def test_a_content_length_that_is_no_number_is_refused(settings):
    async def nothing() -> dict:
        raise AssertionError("the body must not be read")

    sent = _asgi(create_app(settings), [(b"content-length", b"12; drop")], nothing)
    assert sent[0]["status"] == 400
    assert b"Content-Length '12; drop'" in b"".join(m.get("body", b"") for m in sent[1:])
