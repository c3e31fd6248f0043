"""The local outbox: the real handler on the preview's own moto_server, isolated and stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import replace
from html import unescape

import boto3
import pytest

from preview.app import create_app
from sender.event import EmailKind
from sendertools import localaws
from sendertools.samples import Workbench
from tests.conftest import parse_mime, parts
from tests.preview.conftest import page_client, sample_data
from tests.preview.processes import alive, wait_gone
from tests.preview.waiting import wait_for

pytestmark = pytest.mark.server


def test_send_goes_through_the_handler_and_lands_in_the_outbox(settings, templates):
    app = create_app(replace(settings, local_aws=True))
    local = app.state.preview.local
    env_before = dict(os.environ)
    with page_client(app) as client:
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
        # The sample's app client reaches the handler, which chooses the brand.
        branded = client.post(
            "/email/confirm_signup/send-local",
            data={"locale": "en", "sample": "partner_portal"},
            follow_redirects=False,
        )
        assert branded.status_code == 303
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
    northwind_id = branded.headers["location"].rsplit("/", 1)[1]
    northwind = parse_mime((settings.outbox_dir / f"{northwind_id}.eml").read_bytes())
    assert northwind["From"] == "Northwind Partners <no-reply@northwind.example.com>"


def test_a_handler_refusal_is_shown_not_raised(settings, templates):
    app = create_app(replace(settings, local_aws=True))
    local = app.state.preview.local
    with page_client(app) as client:
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


# --- the embedded AWS only answers the local tools -------------------------------------------


@pytest.fixture(scope="module")
def guarded():
    server = localaws.start_moto_server()
    try:
        yield server
    finally:
        server.stop()


def _status(url: str, headers: dict[str, str], method: str = "GET") -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"Host": "evil.example:{port}"}, "'evil.example:{port}'"),
        ({"Host": "127.0.0.1"}, "'127.0.0.1'"),
        ({"Origin": "https://evil.example"}, "'https://evil.example'"),
        ({"Origin": "http://127.0.0.1:{port}"}, "Origin"),
        ({"Sec-Fetch-Site": "cross-site"}, "'cross-site'"),
        ({"Sec-Fetch-Site": "same-site"}, "'same-site'"),
    ],
)
def test_the_embedded_aws_refuses_web_pages_and_other_host_names(guarded, headers, named):
    headers = {k: v.format(port=guarded.port) for k, v in headers.items()}
    for path, method in (("/moto-api/data.json", "GET"), ("/moto-api/reset", "POST")):
        status, text = _status(f"{guarded.endpoint}{path}", headers, method)
        assert status == 403, (path, headers)
        assert named.format(port=guarded.port) in text
    # A CORS preflight is refused too, so a page cannot even ask.
    preflight = {**headers, "Access-Control-Request-Method": "POST"}
    assert _status(f"{guarded.endpoint}/", preflight, "OPTIONS")[0] == 403


def test_the_embedded_aws_still_serves_boto3_and_the_tools(guarded, monkeypatch):
    for key, value in guarded.environment().items():
        monkeypatch.setenv(key, value)
    kms = boto3.client("kms")
    key = kms.create_key(Description="guarded")["KeyMetadata"]["KeyId"]
    assert key in [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert _status(f"{guarded.endpoint}/moto-api/data.json", {})[0] == 200
    local = {"Host": f"localhost:{guarded.port}"}
    assert _status(f"{guarded.endpoint}/moto-api/data.json", local)[0] == 200
    guarded.reset()
    assert kms.list_keys()["Keys"] == []


def test_the_embedded_aws_ends_when_its_starter_is_killed():
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from sendertools import localaws\n"
            "server = localaws.start_moto_server()\n"
            "print(server.process.pid, flush=True)\n"
            "time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = starter.stdout.readline()
        assert line.strip().isdigit(), f"the starter printed {line!r}"
        moto = int(line)
        assert alive(moto)
        starter.kill()  # SIGKILL: no clean-up of its own runs
        starter.wait(timeout=10)
        wait_gone([moto], timeout=10, what="moto_server after its starter was killed")
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait(timeout=10)
        starter.stdout.close()


def test_a_reset_local_aws_is_provisioned_again(settings):
    app = create_app(replace(settings, local_aws=True))
    local = app.state.preview.local
    with page_client(app) as client:
        wait_for(lambda: local.status != "starting", timeout=60, what="moto_server start")
        assert local.status == "ready"
        form = {"locale": "en", "sample": "default"}
        first = client.post("/email/sign_in_code/send-local", data=form, follow_redirects=False)
        assert first.status_code == 303
        local._server.reset()  # as anyone who can reach it may
        again = client.post("/email/sign_in_code/send-local", data=form, follow_redirects=False)
        assert again.status_code == 303, again.text
        assert again.headers["location"] != first.headers["location"]
        code = sample_data(settings.templates_dir, "sign_in_code")["code"]
        entry = again.headers["location"].rsplit("/", 1)[1]
        text, _html = parts(parse_mime((settings.outbox_dir / f"{entry}.eml").read_bytes()))
        assert code in text


def test_a_stopped_local_aws_is_named_not_a_bare_500(settings):
    app = create_app(replace(settings, local_aws=True))
    local = app.state.preview.local
    with page_client(app) as client:
        wait_for(lambda: local.status != "starting", timeout=60, what="moto_server start")
        endpoint = local.endpoint
        local._server.process.kill()
        local._server.process.wait(timeout=10)
        reply = client.post(
            "/email/sign_in_code/send-local", data={"locale": "en", "sample": "default"}
        )
        assert reply.status_code == 502
        assert "does not answer" in unescape(reply.text) and endpoint in unescape(reply.text)
