"""The preview's embedded local AWS: a moto_server it starts, owns and stops, and sends that
go through the real handler into the outbox folder (shared with ``cognito-sender simulate``).

Anyone who can reach the local AWS (a test, ``curl .../moto-api/reset``) may empty it. A send
first checks that the key it provisioned still exists and provisions again when it does not,
so a reset costs one re-provisioning, not a send that fails with an unrelated error.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from sender.errors import SenderError
from sendertools import localaws
from sendertools.cognito import CLIENT_ID
from sendertools.localsend import LocalPipeline
from sendertools.outbox import Outbox, OutboxEntry
from sendertools.samples import Sample

START_TIMEOUT = 60.0
PROBE_CONFIG = BotoConfig(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 1})
log = logging.getLogger("preview.localoutbox")


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
        self._kms: Any = None

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
        event = sample.event()
        attributes: dict[str, str | None] = {**event.user_attributes, "locale": locale}
        metadata = dict(event.client_metadata)
        if "locale" in metadata:
            metadata["locale"] = locale
        secret = sample.secret()

        def send(pipeline: LocalPipeline) -> list[bytes]:
            return pipeline.send(
                event.trigger,
                code=secret.reveal() if secret is not None else None,
                user_attributes=attributes,
                client_metadata=metadata or None,
                user_name=event.user_name,
                # The sample's app client, so the handler chooses the brand the Lambda would.
                client_id=event.client_id or CLIENT_ID,
            )

        with self._lock:
            if self._pipeline is None:
                raise LocalAwsUnavailable(self._error or "the local AWS is stopped")
            pipeline = self._provisioned(self._pipeline)
            try:
                raws = send(pipeline)
            except Exception as err:
                if not self._reset(pipeline):
                    if isinstance(err, SenderError):
                        raise
                    raise LocalAwsUnavailable(
                        f"the local AWS failed: {type(err).__name__}: {err}"
                    ) from err
                raws = send(self._provisioned(pipeline))
        label = f"{sample.kind.value}-{locale}-{sample.name}"
        return [self.outbox.save(raw, label=label) for raw in raws]

    def _provisioned(self, pipeline: LocalPipeline) -> LocalPipeline:
        """``pipeline``, or a new one when the local AWS was reset under it."""
        if not self._reset(pipeline):
            return pipeline
        log.warning(
            "the embedded local AWS at %s was reset: provisioning its key, user pool and "
            "sender again",
            pipeline.server.endpoint,
        )
        try:
            self._pipeline = LocalPipeline(pipeline.server, templates_dir=self.templates_dir)
            self._kms = None
        except Exception as err:
            raise LocalAwsUnavailable(
                f"the local AWS at {pipeline.server.endpoint} was reset and could not be "
                f"provisioned again: {type(err).__name__}: {err}"
            ) from err
        return self._pipeline

    def _reset(self, pipeline: LocalPipeline) -> bool:
        """Whether the key ``pipeline`` provisioned is gone (someone reset the local AWS)."""
        if self._kms is None:
            self._kms = pipeline.server.session().create_client("kms", config=PROBE_CONFIG)
        try:
            self._kms.describe_key(KeyId=pipeline.stack.key_arn)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "NotFoundException":
                return True
            raise LocalAwsUnavailable(
                f"the local AWS at {pipeline.server.endpoint} refused to describe the key: {err}"
            ) from err
        except BotoCoreError as err:
            raise LocalAwsUnavailable(
                f"the local AWS at {pipeline.server.endpoint} does not answer: {err}"
            ) from err
        return False

    def stop(self) -> None:
        """Stop moto_server (waits for a start in progress first)."""
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
        self._pipeline = None
        if self._server is not None:
            self._server.stop()
            self._server = None
