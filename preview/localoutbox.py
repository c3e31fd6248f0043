"""The preview's embedded local AWS: a moto_server it starts, owns and stops, and sends that
go through the real handler into the outbox folder (shared with ``cognito-sender simulate``)."""

from __future__ import annotations

import threading
from pathlib import Path

from sender import localaws
from sender.localsend import LocalPipeline
from sender.outbox import Outbox, OutboxEntry
from sender.samples import Sample

START_TIMEOUT = 60.0


class LocalAwsUnavailable(RuntimeError):
    """The embedded local AWS is not running; the message says why."""


class LocalOutbox:
    """Starts moto_server in the background; ``send`` waits (bounded) until it is ready."""

    def __init__(self, templates_dir: Path, outbox: Outbox) -> None:
        self.templates_dir = templates_dir
        self.outbox = outbox
        self._ready = threading.Event()
        self._server: localaws.MotoServer | None = None
        self._pipeline: LocalPipeline | None = None
        self._error: str | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start moto_server and provision it, in a thread."""
        self._thread = threading.Thread(target=self._start, name="local-aws", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            self._server = localaws.start_moto_server()
            self._pipeline = LocalPipeline(self._server, templates_dir=self.templates_dir)
        except Exception as err:  # shown in the page; the preview works without it
            self._error = f"the local AWS did not start: {type(err).__name__}: {err}"
        finally:
            self._ready.set()

    @property
    def status(self) -> str:
        """``starting``, ``ready`` or the reason it is unavailable."""
        if not self._ready.is_set():
            return "starting"
        return "ready" if self._pipeline is not None else (self._error or "stopped")

    @property
    def endpoint(self) -> str | None:
        """moto_server's URL while it runs."""
        return self._server.endpoint if self._server is not None else None

    def send(self, sample: Sample, locale: str) -> list[OutboxEntry]:
        """Send ``sample`` in ``locale`` through the handler; the captured messages, saved."""
        if self._thread is None or not self._ready.wait(START_TIMEOUT):
            raise LocalAwsUnavailable("the local AWS is not running")
        if self._pipeline is None:
            raise LocalAwsUnavailable(self._error or "the local AWS is stopped")
        event = sample.event()
        attributes: dict[str, str | None] = {**event.user_attributes, "locale": locale}
        metadata = dict(event.client_metadata)
        if "locale" in metadata:
            metadata["locale"] = locale
        secret = sample.secret()
        with self._lock:
            raws = self._pipeline.send(
                event.trigger,
                code=secret.reveal() if secret is not None else None,
                user_attributes=attributes,
                client_metadata=metadata or None,
                user_name=event.user_name,
            )
        label = f"{sample.kind.value}-{locale}-{sample.name}"
        return [self.outbox.save(raw, label=label) for raw in raws]

    def stop(self) -> None:
        """Stop moto_server (waits for a start in progress first)."""
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
        self._pipeline = None
        if self._server is not None:
            self._server.stop()
            self._server = None
