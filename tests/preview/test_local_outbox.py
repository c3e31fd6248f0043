"""The local outbox: the real handler on the preview's own moto_server, isolated and stopped."""

from __future__ import annotations

import os
from dataclasses import replace
from html import unescape

import pytest
from starlette.testclient import TestClient

from preview.app import create_app
from sender.event import EmailKind
from sender.samples import Workbench
from tests.conftest import parse_mime, parts
from tests.preview.waiting import wait_for

pytestmark = pytest.mark.server


def test_send_goes_through_the_handler_and_lands_in_the_outbox(settings, templates):
    app = create_app(replace(settings, local_aws=True))
    local = app.state.preview.local
    env_before = dict(os.environ)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        wait_for(lambda: local.status != "starting", timeout=60, what="moto_server start")
        assert local.status == "ready"
        server = local._server
        reply = client.post(
            "/email/invitation/send-local",
            data={"locale": "de", "sample": "default"},
            follow_redirects=False,
        )
        assert reply.status_code == 303
        page = client.get(reply.headers["location"])
        listing = client.get("/outbox")
        assert dict(os.environ) == env_before, "moto's variables leaked into the process"
    assert server.process.poll() is not None, "moto_server outlived the preview"
    entry_id = reply.headers["location"].rsplit("/", 1)[1]
    assert f"/outbox/{entry_id}" in listing.text
    sent = parse_mime((settings.outbox_dir / f"{entry_id}.eml").read_bytes())
    workbench = Workbench(templates)
    sample = workbench.sample(EmailKind.INVITATION, "default")
    expected = workbench.compose(sample, "de")
    assert sent["Subject"] == expected.email.subject
    assert unescape(str(sent["Subject"])) in unescape(page.text)
    text, _html = parts(sent)
    # The temporary password went through Cognito's escaping, KMS and the handler intact.
    assert sample.secret().reveal() in text


def test_a_handler_refusal_is_shown_not_raised(settings, templates):
    app = create_app(replace(settings, local_aws=True))
    local = app.state.preview.local
    with TestClient(app, base_url="http://127.0.0.1") as client:
        wait_for(lambda: local.status != "starting", timeout=60, what="moto_server start")
        draft = client.post(
            "/email/confirm_signup/draft",
            json={
                "trigger": "CustomEmailSender_SignUp",
                "code": "123456",
                "userAttributes": {"email": "not an address"},
            },
        )
        # The workbench refuses the address too, so the draft is reported, not sent.
        assert draft.status_code == 422
        assert "recipient" in draft.json()["error"]["message"]
