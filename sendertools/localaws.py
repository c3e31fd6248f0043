"""A local AWS for the tools: a ``moto_server`` process on 127.0.0.1, provisioned like a real
deployment (KMS key, user pool, verified sender), plus encryption exactly as Cognito does it.

Used by ``simulate``, the preview's outbox, the tests and the benchmarks; never by the Lambda.

moto_server itself answers any ``Host`` and reflects any ``Origin`` (CORS), so a web page that
guessed its port could read the local keys and codes or reset it. The server started here runs
moto's application behind a guard (``python -m sendertools.localaws``): only requests addressed to
``127.0.0.1:PORT`` or ``localhost:PORT`` and carrying no browser's cross-site marks get through
(boto3 and urllib send neither ``Origin`` nor ``Sec-Fetch-Site``). It also ends itself when the
process that started it is gone, even killed with SIGKILL.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import boto3
from aws_encryption_sdk import CommitmentPolicy, EncryptionSDKClient, StrictAwsKmsMasterKeyProvider
from aws_encryption_sdk.identifiers import Algorithm

from sendertools.parentwatch import exit_with_parent

REGION = "eu-west-1"
# moto accepts any credentials; these make sure nothing real is ever used by accident.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
COGNITO_SUITE = Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384  # 0x0378
# How often the server checks that the process which started it is still there.


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """A running ``moto_server`` process."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def endpoint(self) -> str:
        """The endpoint URL every client is pointed at."""
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """Variables that point boto3 (and the Encryption SDK's own clients) at this server."""
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def sent_messages(self) -> list[dict[str, Any]]:
        """Every message SES accepted, as moto records them (raw ones keep the whole MIME)."""
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=10) as resp:
            data = json.load(resp)
        messages: list[dict[str, Any]] = []
        raw = data.get("ses", {}).get("RawMessage", {})
        for entries in raw.values() if isinstance(raw, dict) else [raw]:
            if isinstance(entries, list):
                messages.extend(entries)
        return messages

    def reset(self) -> None:
        """Forget every resource and message."""
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    def stop(self) -> None:
        """End the server process (only this one, by its handle)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_moto_server(port: int | None = None, *, timeout: float = 30.0) -> MotoServer:
    """Start the guarded ``moto_server`` on 127.0.0.1 and wait (bounded) until it answers."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sendertools.localaws",
            "--port",
            str(port),
            "--parent",
            str(os.getpid()),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = MotoServer(process, port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{server.endpoint}/moto-api/data.json", timeout=2):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"moto_server did not answer on port {port} within {timeout:.0f}s")


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    """A moto_server for the length of a ``with`` block."""
    server = start_moto_server()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Stack:
    """What ``provision`` created: the pieces a deployed sender would have."""

    key_arn: str
    user_pool_id: str
    email_from: str


def provision(
    email_from: str = "Example <no-reply@example.com>", *, pool_name: str = "local-pool"
) -> Stack:
    """Create a KMS key, a user pool using it and a verified sender identity."""
    kms = boto3.client("kms", region_name=_region())
    key_arn = kms.create_key(Description="cognito custom sender (local)")["KeyMetadata"]["Arn"]
    cognito = boto3.client("cognito-idp", region_name=_region())
    pool = cognito.create_user_pool(PoolName=pool_name, UsernameAttributes=["email"])
    sesv2 = boto3.client("sesv2", region_name=_region())
    sesv2.create_email_identity(EmailIdentity=parseaddr(email_from)[1])
    return Stack(key_arn, pool["UserPool"]["Id"], email_from)


def cognito_encrypt(plaintext: str, *, key_arn: str, user_pool_id: str) -> str:
    """Encrypt a code exactly as Cognito does: suite 0x0378, ``userpool-id`` context, base64."""
    client = EncryptionSDKClient(commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[key_arn])
    blob, _header = client.encrypt(
        source=plaintext.encode("utf-8"),
        key_provider=provider,
        algorithm=COGNITO_SUITE,
        encryption_context={"userpool-id": user_pool_id},
    )
    return base64.b64encode(blob).decode("ascii")


def cognito_event(
    trigger: str,
    *,
    user_pool_id: str,
    encrypted_code: str | None,
    user_attributes: Mapping[str, str | None],
    user_name: str = "37877a9f-a4d4-4ae9-b20c-f59890e04411",
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An event shaped like the ones Cognito sends (see tests/events/ for captured ones)."""
    ato = trigger.endswith("AccountTakeOverNotification")
    return {
        "version": "1",
        "triggerSource": trigger,
        "region": _region(),
        "userPoolId": user_pool_id,
        "userName": user_name,
        "callerContext": {
            "awsSdkVersion": None if ato else "aws-sdk-unknown-unknown",
            "clientId": None if ato else "EXAMPLEl2f6rjkqkbji2qr3u",
        },
        "request": {
            "type": "customEmailSenderRequestV1",
            "code": None if ato else encrypted_code,
            "clientMetadata": dict(client_metadata) if client_metadata else None,
            "userAttributes": dict(user_attributes),
        },
    }


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or REGION


# --- the guarded server process (``python -m sendertools.localaws``) ------------------------------


class LocalOnlyGuard:
    """WSGI middleware: pass a request to moto only when it is addressed to this server by its
    loopback name and does not come from a web page."""

    def __init__(self, app: WSGIApplication, port: int) -> None:
        self.app = app
        self.port = port
        self.hosts = frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})

    def refusal(self, environ: WSGIEnvironment) -> str | None:
        """Why a request is refused, or ``None``."""
        host = str(environ.get("HTTP_HOST", ""))
        if host.lower() not in self.hosts:
            return f"Host {host!r} is not 127.0.0.1:{self.port} or localhost:{self.port}"
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None:
            return f"a request from a web page (Origin {origin!r})"
        # "none" is the user typing the URL; a page elsewhere is "same-site" or "cross-site".
        site = environ.get("HTTP_SEC_FETCH_SITE")
        if site is not None and site not in ("none", "same-origin"):
            return f"a request from a web page (Sec-Fetch-Site {site!r})"
        return None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        why = self.refusal(environ)
        if why is None:
            return self.app(environ, start_response)
        body = f"refused by the local AWS: {why}; only local tools may call it\n".encode()
        start_response(
            "403 Forbidden",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]


def _serve(argv: list[str]) -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(prog="python -m sendertools.localaws")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args(argv)
    exit_with_parent(args.parent)
    # The tools stop it (terminate) or it follows its parent: Ctrl-C in a terminal is theirs.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds its own URLs from it
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        "127.0.0.1",
        args.port,
        LocalOnlyGuard(app, args.port),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    _serve(sys.argv[1:])
