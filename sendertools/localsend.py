"""Send one email through the real pipeline on a local AWS: the code encrypted as Cognito does
it, ``lambda_handler`` invoked, the message captured from the embedded SES.

Shared by ``cognito-sender simulate`` and the preview's local outbox. The handler and the
Encryption SDK read their settings from the environment, so every step runs inside
``scoped_environ``: the variables pointing at moto exist only for that block, one block at a
time, and the process's own environment is restored afterwards.
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sender import handler
from sender.event import CODELESS, Trigger
from sendertools import localaws

_ENV_LOCK = threading.Lock()
# Settings of a developer's shell that must not leak into a local run.
_CLEARED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "SES_CONFIGURATION_SET",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_SESV2",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
)


@contextmanager
def scoped_environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for ``None``, remove) variables for one block, then restore them.

    Blocks are serialised by one lock; an empty mapping just holds the environment steady
    (for code that builds real AWS clients and must not see a local run's variables).
    """
    with _ENV_LOCK:
        saved = {key: os.environ.get(key) for key in values}
        try:
            for key, value in values.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            yield
        finally:
            for key, old in saved.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old


class LocalPipeline:
    """A provisioned moto_server and the handler configured against it."""

    def __init__(
        self,
        server: localaws.MotoServer,
        *,
        templates_dir: Path | None = None,
        email_from: str = "Example <no-reply@example.com>",
    ) -> None:
        self.server = server
        self.templates_dir = templates_dir
        with scoped_environ(self._base_environment()):
            self.stack = localaws.provision(email_from)
        self._captured = len(server.sent_messages())

    def _base_environment(self) -> dict[str, str | None]:
        env: dict[str, str | None] = dict.fromkeys(_CLEARED)
        env.update(self.server.environment())
        if self.templates_dir is not None:
            env["TEMPLATES_DIR"] = str(self.templates_dir)
        return env

    def environment(self) -> dict[str, str | None]:
        """What the handler sees during a send: moto's endpoint, the key, the sender."""
        return {
            **self._base_environment(),
            "KMS_KEY_ARN": self.stack.key_arn,
            "EMAIL_FROM": self.stack.email_from,
        }

    def send(
        self,
        trigger: Trigger,
        *,
        code: str | None,
        user_attributes: Mapping[str, str | None],
        client_metadata: Mapping[str, str] | None = None,
        user_name: str = "37877a9f-a4d4-4ae9-b20c-f59890e04411",
    ) -> list[bytes]:
        """Encrypt ``code``, invoke the handler with a Cognito-shaped event, return the raw
        messages SES accepted. ``SenderError`` propagates when the handler refuses."""
        with scoped_environ(self.environment()):
            encrypted = None
            if code is not None and trigger not in CODELESS:
                # Cognito HTML-escapes a temporary password before encrypting it.
                plaintext = html.escape(code) if trigger is Trigger.ADMIN_CREATE_USER else code
                encrypted = localaws.cognito_encrypt(
                    plaintext, key_arn=self.stack.key_arn, user_pool_id=self.stack.user_pool_id
                )
            event = localaws.cognito_event(
                trigger.value,
                user_pool_id=self.stack.user_pool_id,
                encrypted_code=encrypted,
                user_attributes=user_attributes,
                client_metadata=client_metadata,
                user_name=user_name,
            )
            handler.reset()
            try:
                handler.lambda_handler(event, None)
            finally:
                handler.reset()
            sent = self.server.sent_messages()
        new, self._captured = sent[self._captured :], len(sent)
        return [str(message["raw_data"]).encode("utf-8") for message in new]
