"""A template that never finishes: rendered in a worker process under a time limit, it costs
that worker (replaced), never the server. In process first, then the real
``cognito-sender preview`` under SIGTERM, Ctrl-C and SIGKILL with a render stuck."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from html import unescape
from pathlib import Path

import pytest

from preview.app import create_app
from preview.catalogs import compile_stale
from preview.middleware import TOKEN_HEADER
from sendertools import localaws
from tests.preview.conftest import TEMPLATES, page_client
from tests.preview.processes import alive, command_line, descendants, wait_gone
from tests.preview.waiting import wait_for

ENDLESS = "{% for i in range(10**12) %}x{% endfor %}"
BODY = "sign_in_code/body.mjml"


def make_endless(templates: Path) -> tuple[str, int]:
    """Put the endless loop on its own line of sign_in_code's body; the original and the line."""
    body = templates / BODY
    original = body.read_text(encoding="utf-8")
    lines = original.splitlines()
    at = next(i for i, line in enumerate(lines) if "{% block content %}" in line) + 1
    body.write_text("\n".join([*lines[:at], ENDLESS, *lines[at:]]) + "\n", encoding="utf-8")
    return original, at + 1


# --- in process -----------------------------------------------------------------------------


def test_an_endless_render_is_stopped_named_and_its_worker_replaced(settings, templates):
    original, line = make_endless(templates)
    app = create_app(replace(settings, render_timeout=1))
    pool = app.state.preview.pool
    with page_client(app) as client:
        assert client.get("/email/confirm_signup").status_code == 200
        workers = set(pool.pids)
        started = time.monotonic()
        page = client.get("/email/sign_in_code?locale=en")
        assert time.monotonic() - started < 5
        assert page.status_code == 500
        text = unescape(page.text)
        assert "render took longer than 1 s" in text
        assert BODY in text and f'<span class="line">{line}</span>' in page.text
        assert "range(10**12)" in text  # the excerpt quotes the loop
        # The frame of that page does not pay the limit again.
        started = time.monotonic()
        frame = client.get("/email/sign_in_code/frame?locale=en&mode=light")
        assert frame.status_code == 500 and "took longer than 1 s" in frame.text
        assert time.monotonic() - started < 0.5
        wait_for(lambda: not set(pool.pids) & workers, what="the stuck worker replaced")
        assert client.get("/email/confirm_signup?locale=de").status_code == 200
        draft = client.post("/email/sign_in_code/draft?locale=de", json=_sample(templates))
        assert draft.status_code == 422 and draft.json()["error"]["file"] == BODY
        sent = client.post("/email/sign_in_code/send-ses", data={"recipient": "a@example.com"})
        assert sent.status_code == 409  # disabled (--no-ses) before any render
        (templates / BODY).write_text(original, encoding="utf-8")
        client.app.state.preview.templates_changed()
        fixed = client.get("/email/sign_in_code?locale=en")
        assert fixed.status_code == 200 and 'id="email-frame"' in fixed.text


def test_the_index_check_names_the_endless_email_and_finishes(settings, templates):
    make_endless(templates)
    with page_client(create_app(replace(settings, render_timeout=1))) as client:
        page = wait_for(
            lambda: (text := client.get("/").text) and 'id="checking"' not in text and text,
            timeout=60,
            what="the check of every email",
        )
        badge = page.split('href="/email/sign_in_code?locale=en&amp;sample=default">')[1]
        assert badge.startswith('en<span class="badge error"')
        findings = client.get("/email/confirm_signup").text
        assert "render_timeout" not in findings


def _sample(templates: Path) -> dict:
    return json.loads((templates / "sign_in_code/samples/default.json").read_text("utf-8"))


# --- the real server ------------------------------------------------------------------------

LIMIT = 5  # the default; on a 2-core machine two stuck renders slow the rest


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    url: str
    templates: Path

    def get(self, path: str, timeout: float = 30) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=timeout) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def health(self) -> dict:
        return json.loads(self.get("/health", timeout=5)[1])


def _start(root: Path, *, group: bool = False) -> Running:
    templates = root / "templates"
    shutil.copytree(TEMPLATES, templates, ignore=shutil.ignore_patterns("*.mo"))
    compile_stale(templates)
    make_endless(templates)
    port = localaws.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull)
    command = [sys.executable, "-m", "sendertools.cli", "preview", "--port", str(port), "--no-ses"]
    command += ["--templates", str(templates), "--outbox", str(root / "outbox")]
    command += ["--render-timeout", str(LIMIT)]
    process = subprocess.Popen(command, env=env, cwd=root, start_new_session=group)
    running = Running(process, f"http://127.0.0.1:{port}", templates)

    def ready() -> bool:
        if process.poll() is not None:
            return True
        try:
            return running.health()["local_aws"] not in ("starting",)
        except OSError:
            return False

    wait_for(ready, timeout=90, what="the preview and its local AWS")
    assert process.poll() is None, f"the preview exited with {process.returncode}"
    assert running.health()["local_aws"] == "ready"
    return running


@pytest.fixture
def running(tmp_path):
    server = _start(tmp_path)
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(timeout=10)


def _stuck(server: Running) -> tuple[threading.Thread, dict]:
    """Request the endless page in a thread; the reply lands in the dict."""
    result: dict = {}

    def ask() -> None:
        try:
            result["reply"] = server.get("/email/sign_in_code?locale=en", timeout=60)
        except OSError as err:
            result["error"] = err

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    time.sleep(0.3)  # the request reaches a worker
    return thread, result


def _children(server: Running) -> list[int]:
    found = wait_for(
        lambda: (
            (pids := descendants(server.process.pid))
            and any("sendertools.localaws" in command_line(p) for p in pids)
            and any("preview.renderworker" in command_line(p) for p in pids)
            and pids
        ),
        what="moto_server and the render workers",
    )
    return list(found)


@pytest.mark.server
def test_the_server_keeps_answering_while_a_render_is_stuck(running):
    thread, result = _stuck(running)
    started = time.monotonic()
    for _ in range(5):
        asked = time.monotonic()
        running.health()
        assert time.monotonic() - asked < 1, "/health took a second or more"
    status, page = running.get("/email/confirm_signup?locale=de", timeout=5)
    assert status == 200 and 'id="m-subject"' in page
    versions = running.health()["versions"]
    # Live reload: a stale page is told at once (the stream itself stays open).
    stream = f"{running.url}/events?templates=old&outbox={versions['outbox']}"
    with urllib.request.urlopen(stream, timeout=5) as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        lines = [events.readline() for _ in range(4)]
    assert b"event: templates\n" in lines
    assert running.get("/outbox", timeout=5)[0] == 200
    assert thread.is_alive() and time.monotonic() - started < LIMIT, "the checks were too slow"
    thread.join(LIMIT + 10)
    status, page = result["reply"]
    assert status == 500
    assert f"render took longer than {LIMIT} s" in unescape(page) and BODY in page
    # Fixed on disk, the email comes back by itself (live reload).
    before = running.health()["versions"]["templates"]
    body = running.templates / BODY
    body.write_text(body.read_text("utf-8").replace(ENDLESS + "\n", ""), encoding="utf-8")
    wait_for(lambda: running.health()["versions"]["templates"] != before, what="the reload")
    status, page = running.get("/email/sign_in_code?locale=en")
    assert status == 200 and 'id="email-frame"' in page


@pytest.mark.server
def test_a_streamed_upload_is_refused_before_it_ends(running):
    token = re.search(r'name="preview-token" content="([^"]+)"', running.get("/")[1]).group(1)
    port = int(running.url.rsplit(":", 1)[1])
    head = (
        "POST /email/confirm_signup/draft HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nOrigin: {running.url}\r\n{TOKEN_HEADER}: {token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
    endless, sent = 256 * 1024 * 1024, 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            while sent < endless and not select.select([sock], [], [], 0)[0]:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading and closed: what is asked
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent < endless / 4, f"{sent} bytes went out before the refusal"


def _stop(server: Running, how: str) -> None:
    if how == "SIGTERM":
        server.process.send_signal(signal.SIGTERM)
    elif how == "Ctrl-C":
        os.killpg(server.process.pid, signal.SIGINT)  # as the terminal does: the whole group
    else:
        server.process.send_signal(signal.SIGKILL)


@pytest.mark.server
@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C", "SIGKILL"])
def test_stopping_mid_render_leaves_no_process_behind(tmp_path, how):
    server = _start(tmp_path, group=how == "Ctrl-C")
    try:
        children = _children(server)
        thread, _result = _stuck(server)
        stopped = time.monotonic()
        _stop(server, how)
        server.process.wait(timeout=15)
        took = time.monotonic() - stopped
        print(f"{how}: stopped in {took:.2f}s")
        assert took < 5, f"the preview took {took:.1f}s to stop after {how}"
        wait_gone(children, timeout=5, what=f"moto_server and the render workers after {how}")
        thread.join(10)
        assert not thread.is_alive()
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)
    if how != "SIGKILL":
        assert server.process.returncode == 0
    assert not any(alive(p) for p in children)


def test_background_checks_leave_a_worker_for_the_page(templates, monkeypatch, tmp_path):
    from preview.rendering import RenderPool
    from preview.renderworker import Job, Rendered
    from tests.preview import standin_check

    gate = tmp_path / "gate"
    monkeypatch.setenv(standin_check.GATE, str(gate))  # every check waits for it
    pool = RenderPool(templates, size=2, limit=30, check_module="tests.preview.standin_check")
    data = _sample(templates)

    def job(op: str) -> Job:
        path = str(templates / "sign_in_code/samples/default.json")
        return Job(op, 0, "sign_in_code", "default", path, data, "en", limit=30)

    pool.start()
    try:
        checks = [
            threading.Thread(target=pool.run, args=(job("check"),), kwargs={"background": True})
            for _ in range(2)
        ]
        for thread in checks:
            thread.start()
        wait_for(lambda: len(pool._idle) == 1, what="one background check running")
        time.sleep(0.5)
        assert len(pool._idle) == 1, "the second background check took the last idle worker"
        started = time.monotonic()
        assert isinstance(pool.run(job("compose")), Rendered)
        assert time.monotonic() - started < 5
        gate.touch()
        for thread in checks:
            thread.join(30)
            assert not thread.is_alive()
    finally:
        pool.stop()
    assert pool.pids == []
