"""Shared fixtures: a local AWS (moto in process, or a real moto_server), events shaped like
Cognito's, and the sent messages parsed back from their bytes."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from sender import handler
from sender.event import Trigger
from sendertools import localaws
from sendertools.cognito import USER_NAME, CognitoPool

EVENTS = Path(__file__).parent / "events"
REGION = localaws.REGION
_AWS_VARS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_SESV2",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "SES_CONFIGURATION_SET",
    "DEFAULT_LOCALE",
    "TEMPLATES_DIR",
)


def load_event(name: str) -> dict[str, Any]:
    """A captured-shape event from tests/events/."""
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def python_report(
    *args: str,
    env: dict[str, str],
    cwd: Path | None = None,
    flags: tuple[str, ...] = (),
    interpreter: Path | str = sys.executable,
    stdin: str | None = None,
) -> dict[str, Any]:
    """Run a fresh interpreter (``python *flags *args``); its last stdout line is a JSON report."""
    result = subprocess.run(
        [str(interpreter), *flags, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def parse_mime(raw: bytes | str) -> EmailMessage:
    """Parse a message back from its wire bytes."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The decoded (text, html) alternatives of a message."""
    text = msg.get_body(preferencelist=("plain",))
    body = msg.get_body(preferencelist=("html",))
    assert text is not None and body is not None, "both alternatives must be present"
    return str(text.get_content()), str(body.get_content())


def shown(html_part: str) -> str:
    """The HTML part's characters as a reader sees them run together: tags dropped, entities
    decoded (a code shown in groups of separate elements reads whole)."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_part))


@pytest.fixture(autouse=True)
def _hermetic_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test ever reaches a real AWS account or a developer's configuration."""
    for var in _AWS_VARS:
        monkeypatch.delenv(var, raising=False)
    for key, value in localaws.FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    handler.reset()
    yield
    handler.reset()


@dataclass
class LocalAws:
    """A provisioned local AWS and helpers to drive the handler against it."""

    stack: localaws.Stack
    sent_source: Any = field(repr=False)

    @property
    def pool(self) -> CognitoPool:
        """The stack's pool, reached through the environment the fixture configured."""
        return self.stack.pool()

    def encrypt(self, plaintext: str, *, user_pool_id: str | None = None) -> str:
        """A code encrypted exactly as Cognito does."""
        return self.pool.encrypt(plaintext, user_pool_id=user_pool_id)

    def event(
        self,
        trigger: Trigger | str,
        code: str | None = "123456",
        *,
        attributes: dict[str, str | None] | None = None,
        metadata: dict[str, str] | None = None,
        user_name: str = USER_NAME,
    ) -> dict[str, Any]:
        """A Cognito-shaped event with a freshly encrypted code."""
        return self.pool.event(
            trigger,
            code,
            attributes=attributes or {"email": "ada@example.com", "name": "Ada"},
            metadata=metadata,
            user_name=user_name,
        )

    def sent(self) -> list[EmailMessage]:
        """Every message SES accepted so far, parsed back."""
        return [parse_mime(raw) for raw in self.sent_source()]


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalAws]:
    """moto in process: a KMS key, a user pool, a verified sender; the handler configured."""
    with mock_aws():
        stack = localaws.provision()
        monkeypatch.setenv("KMS_KEY_ARN", stack.key_arn)
        monkeypatch.setenv("EMAIL_FROM", stack.email_from)
        backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
        handler.reset()
        yield LocalAws(stack, lambda: [m.raw_data for m in backend.sent_messages])
        handler.reset()


@pytest.fixture
def spamassassin() -> str:
    """The spamassassin executable; missing is a failure under CI (`make test` installs it),
    a named skip elsewhere."""
    exe = shutil.which("spamassassin")
    if exe is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(
                "SpamAssassin is not installed but CI must run the spam score: "
                "scripts/system-deps.sh installs it (apt-get install spamassassin)"
            )
        pytest.skip("SpamAssassin is not installed (apt-get install spamassassin)")
    return exe


@pytest.fixture(scope="session")
def moto_server_process() -> Iterator[localaws.MotoServer]:
    """A real moto_server process on a free 127.0.0.1 port, stopped after the session."""
    server = localaws.start_moto_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto_env(
    moto_server_process: localaws.MotoServer, monkeypatch: pytest.MonkeyPatch
) -> localaws.MotoServer:
    """The moto_server, emptied, with every AWS client of the test pointed at it."""
    moto_server_process.reset()
    for key, value in moto_server_process.environment().items():
        monkeypatch.setenv(key, value)
    return moto_server_process


@pytest.fixture
def remote_aws(
    moto_env: localaws.MotoServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalAws]:
    """The handler and the Encryption SDK pointed at the real moto_server over HTTP."""
    server = moto_env
    stack = localaws.provision()
    monkeypatch.setenv("KMS_KEY_ARN", stack.key_arn)
    monkeypatch.setenv("EMAIL_FROM", stack.email_from)
    handler.reset()
    yield LocalAws(stack, lambda: [m["raw_data"] for m in server.sent_messages()])
    handler.reset()
