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
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import botocore.session

from sender.brand import Brand
from sendertools.cognito import REGION, CognitoPool
from sendertools.parentwatch import exit_with_parent

# moto accepts any credentials; these make sure nothing real is ever used by accident.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# How often the server checks that the process which started it is still there.


class _LocalSession(botocore.session.Session):
    """A session aimed at one endpoint: every client it creates (the Encryption SDK's too,
    which cannot be given an endpoint) goes there unless told otherwise."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self._endpoint = endpoint
        self.set_config_variable("region", REGION)
        self.set_credentials(
            FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        )

    def get_scoped_config(self) -> dict[str, Any]:
        # A developer's AWS_PROFILE or config file has nothing to say about the local AWS.
        return {}

    def create_client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["endpoint_url"] = kwargs.get("endpoint_url") or self._endpoint
        return super().create_client(service_name, *args, **kwargs)


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

    def session(self) -> botocore.session.Session:
        """A botocore session whose clients all go to this server, with fake credentials,
        whatever the environment says."""
        return _LocalSession(self.endpoint)

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
        env={**os.environ, "MOTO_PORT": str(port)},  # moto builds its own URLs from it
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

    def pool(self, session: botocore.session.Session | None = None) -> CognitoPool:
        """The stack's user pool, making events as Cognito would."""
        return CognitoPool(self.key_arn, self.user_pool_id, session=session)


def provision(
    email_from: str = "Example <no-reply@example.com>",
    *,
    pool_name: str = "local-pool",
    session: botocore.session.Session | None = None,
    brands: Iterable[Brand] = (),
) -> Stack:
    """Create a KMS key, a user pool using it and a verified sender identity (and the
    identities and configuration sets of ``brands``), through ``session`` (by default one the
    environment configures, e.g. moto in process)."""
    session = session or botocore.session.get_session()
    kms: Any = session.create_client("kms", region_name=REGION)
    key_arn = kms.create_key(Description="cognito custom sender (local)")["KeyMetadata"]["Arn"]
    cognito: Any = session.create_client("cognito-idp", region_name=REGION)
    pool = cognito.create_user_pool(PoolName=pool_name, UsernameAttributes=["email"])
    sesv2: Any = session.create_client("sesv2", region_name=REGION)
    sesv2.create_email_identity(EmailIdentity=parseaddr(email_from)[1])
    for brand in brands:
        if brand.email_from:
            sesv2.create_email_identity(EmailIdentity=parseaddr(brand.email_from)[1])
        if brand.configuration_set:
            sesv2.create_configuration_set(ConfigurationSetName=brand.configuration_set)
    return Stack(key_arn, pool["UserPool"]["Id"], email_from)


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
