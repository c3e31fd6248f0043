"""The fault harness: run the real handler against a real moto_server, inject failures with
botocore's own event hooks (so retries run for real), and check every outcome the same way."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from sender import handler
from sender.errors import SenderError
from sendertools.cognito import LambdaContext
from tests.conftest import LocalAws

Hook = Callable[..., AWSResponse | None]
# As Lambda sets AWS_LAMBDA_FUNCTION_NAME for a stack's function.
FUNCTION_NAME = "cognito-sender-prod-SenderFunction-AbC123"


class _Body:
    """The raw stream botocore reads a response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data


def json_error(
    request: AWSPreparedRequest, status: int, code: str, message: str, *, rest: bool = False
) -> AWSResponse:
    """An error response exactly as AWS sends it.

    JSON-protocol services (KMS, Cognito) put the code in the body's ``__type``; REST-JSON ones
    (SES v2) put it in the ``x-amzn-ErrorType`` header, with a ``message`` body.
    """
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if rest:
        headers["Content-Type"] = "application/json"
        headers["x-amzn-ErrorType"] = f"{code}:http://internal.amazon.com/coral/com.amazonaws/"
        body: dict[str, str] = {"message": message}
    else:
        headers["Content-Type"] = "application/x-amz-json-1.1"
        body = {"__type": code, "message": message}
    return AWSResponse(request.url, status, headers, _Body(json.dumps(body).encode()))


@dataclass
class Injector:
    """A before-send hook: answers the first ``times`` calls with ``respond``, then lets the
    request through to moto_server. Counts every attempt botocore made."""

    respond: Callable[[AWSPreparedRequest], AWSResponse]
    times: int | None = None
    attempts: int = 0

    def __call__(self, request: AWSPreparedRequest, **_kwargs: Any) -> AWSResponse | None:
        self.attempts += 1
        if self.times is None or self.attempts <= self.times:
            return self.respond(request)
        return None


@dataclass
class Run:
    """What one invocation did, as seen from outside."""

    error: BaseException | None
    stdout: str
    stderr: str
    log_text: str
    sent: list[EmailMessage]
    secrets: tuple[str, ...]
    backoffs: list[float] = field(default_factory=list)
    loggers: list[str] = field(default_factory=list)

    @property
    def json_lines(self) -> list[dict[str, Any]]:
        """Every JSON object written to stdout (Powertools logs and EMF metrics)."""
        out = []
        for line in self.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The ERROR log records."""
        return [r for r in self.json_lines if r.get("level") == "ERROR"]

    def metrics(self, name: str) -> list[dict[str, Any]]:
        """The EMF documents that carry metric ``name``."""
        found = []
        for doc in self.json_lines:
            directives = doc.get("_aws", {}).get("CloudWatchMetrics", [])
            if any(m.get("Name") == name for d in directives for m in d.get("Metrics", [])):
                found.append(doc)
        return found


class Harness:
    """Drives ``lambda_handler`` and captures everything it leaves behind."""

    def __init__(
        self,
        aws: LocalAws,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self.aws = aws
        self._capsys = capsys
        self._caplog = caplog
        self._backoffs: list[float] = []
        # Retries run for real, but their back-off is recorded instead of slept.
        monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=self._backoffs.append))

    def inject(self, client: Any, operation: str, hook: Hook) -> None:
        """Register ``hook`` ahead of everything else on one client's ``before-send``."""
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"before-send.{service}.{operation}", hook)

    def invoke(self, event: Any, *, secrets: Iterable[str]) -> Run:
        """Call the handler once; never let its exception escape the harness."""
        before = len(self.aws.sent())
        self._capsys.readouterr()
        self._caplog.clear()
        self._backoffs.clear()
        error: BaseException | None = None
        with self._caplog.at_level(logging.INFO):
            try:
                handler.lambda_handler(
                    event, LambdaContext(function_name=FUNCTION_NAME, aws_request_id="req-1")
                )
            except Exception as err:
                error = err
        captured = self._capsys.readouterr()
        return Run(
            error=error,
            stdout=captured.out,
            stderr=captured.err,
            log_text=self._caplog.text,
            sent=self.aws.sent()[before:],
            secrets=tuple(s for s in secrets if s),
            backoffs=list(self._backoffs),
            loggers=[record.name for record in self._caplog.records],
        )


def _exception_texts(err: BaseException | None) -> list[str]:
    texts: list[str] = []
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        texts += [str(err), repr(err), repr(getattr(err, "response", ""))]
        err = err.__cause__ or err.__context__
    return texts


def assert_no_secret(run: Run) -> None:
    """No plaintext code or password anywhere the outside world could read."""
    decoded = [json.dumps(doc, ensure_ascii=False) for doc in run.json_lines]
    places = {
        "stdout": run.stdout,
        "stderr": run.stderr,
        "logging": run.log_text,
        "stdout (decoded)": "\n".join(decoded),
        "exception": "\n".join(_exception_texts(run.error)),
    }
    for secret in run.secrets:
        for where, text in places.items():
            assert secret not in text, f"a secret leaked into {where}"


def assert_failed(
    run: Run,
    error: type[SenderError],
    reason: str,
    *,
    permanent: bool | None = None,
    sent: int = 0,
) -> SenderError:
    """The documented outcome of a failure, checked the same way for every fault."""
    assert isinstance(run.error, error), f"expected {error.__name__}, got {run.error!r}"
    assert run.error.reason == reason, f"reason {run.error.reason!r}, expected {reason!r}"
    if permanent is not None:
        assert getattr(run.error, "permanent", None) is permanent
    [line] = run.errors  # exactly one ERROR line
    assert line["reason"] == reason
    assert line["message"] == "email not sent"
    failed = run.metrics("EmailsFailed")
    assert [doc["reason"] for doc in failed] == [reason]
    assert failed[0]["EmailsFailed"] in (1, 1.0, [1], [1.0])
    # Scoped to this deployment: the stack's alarm selects its own function's failures.
    assert failed[0]["function"] == FUNCTION_NAME
    [directive] = failed[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["function", "trigger", "reason"]]
    assert run.metrics("EmailsSent") == []
    assert len(run.sent) == sent, f"{len(run.sent)} messages sent, expected {sent}"
    # The Encryption SDK's own failure records (tracebacks, "Error on closing") stay out.
    assert not [n for n in run.loggers if n.startswith("aws_encryption_sdk")]
    assert_no_secret(run)
    return run.error


def assert_sent(run: Run) -> EmailMessage:
    """The documented outcome of a success: one message, one metric, no error, no leak."""
    assert run.error is None, f"unexpected {run.error!r}"
    assert run.errors == []
    [sent] = run.metrics("EmailsSent")
    assert sent["function"] == FUNCTION_NAME
    assert run.metrics("EmailsFailed") == []
    assert len(run.sent) == 1, f"{len(run.sent)} messages sent, expected exactly one"
    assert_no_secret(run)
    return run.sent[0]


@pytest.fixture
def harness(
    remote_aws: LocalAws,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> Harness:
    """The handler against a real moto_server, with fault injection and full capture."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME)
    return Harness(remote_aws, capsys, caplog, monkeypatch)
