"""Send one email through the real pipeline on a local AWS: the code encrypted as Cognito does
it, the handler's ``handle`` run with an app aimed at the local AWS, the message captured from
the embedded SES.

Shared by ``cognito-sender simulate`` and the preview's local outbox. Nothing here reads or
changes the process's environment: the app is built from an explicit configuration and a
botocore session aimed at the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sender.app import App, build_app
from sender.brand import load_brands
from sender.config import DEFAULT_TEMPLATES_DIR, Config
from sender.event import Trigger
from sender.handler import handle
from sendertools import localaws
from sendertools.cognito import CLIENT_ID, USER_NAME, CognitoPool


class LocalPipeline:
    """A provisioned moto_server and the sender configured against it."""

    def __init__(
        self,
        server: localaws.MotoServer,
        *,
        templates_dir: Path | None = None,
        email_from: str = "Example <no-reply@example.com>",
    ) -> None:
        self.server = server
        templates = templates_dir or DEFAULT_TEMPLATES_DIR
        brands = load_brands(templates).all().values()
        self.stack = localaws.provision(email_from, session=server.session(), brands=brands)
        self.pool: CognitoPool = self.stack.pool(server.session())
        self.config = Config.from_env(
            {
                "KMS_KEY_ARN": self.stack.key_arn,
                "EMAIL_FROM": self.stack.email_from,
                "TEMPLATES_DIR": str(templates),
            }
        )
        self._captured = len(server.sent_messages())

    def app(self) -> App:
        """A new app: the templates as they are now, clients aimed at the server."""
        return build_app(self.config, session=self.server.session())

    def send(
        self,
        trigger: Trigger,
        *,
        code: str | None,
        user_attributes: Mapping[str, str | None],
        client_metadata: Mapping[str, str] | None = None,
        user_name: str = USER_NAME,
        client_id: str | None = CLIENT_ID,
    ) -> list[bytes]:
        """Encrypt ``code``, run the handler on a Cognito-shaped event, return the raw
        messages SES accepted. ``SenderError`` propagates when the handler refuses."""
        event = self.pool.event(
            trigger,
            code,
            attributes=user_attributes,
            metadata=client_metadata,
            user_name=user_name,
            client_id=client_id,
        )
        handle(self.app(), event)
        sent = self.server.sent_messages()
        new, self._captured = sent[self._captured :], len(sent)
        return [str(message["raw_data"]).encode("utf-8") for message in new]
