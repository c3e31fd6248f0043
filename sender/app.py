"""Everything built once per process: configuration, clients, key provider, templates."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.config import Config as BotoConfig

from sender.brand import Brand, load_brand
from sender.codes import CodeDecryptor
from sender.config import Config
from sender.i18n import Catalogs
from sender.recipient import RecipientResolver
from sender.render import Renderer
from sender.ses import SesSender

# Standard mode retries throttling and 5xx with backoff; timeouts keep a stuck call from
# eating the whole invocation.
BOTO_CONFIG = BotoConfig(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10
)


@dataclass(frozen=True)
class App:
    """The process-wide pieces the handler composes."""

    config: Config
    brand: Brand
    catalogs: Catalogs
    renderer: Renderer
    decryptor: CodeDecryptor
    recipients: RecipientResolver
    ses: SesSender


def build_app(config: Config | None = None) -> App:
    """Build every piece; configuration errors surface here, named."""
    config = config or Config.from_env()
    session = boto3.session.Session()
    catalogs = Catalogs(config.templates_dir)
    return App(
        config=config,
        brand=load_brand(config.templates_dir),
        catalogs=catalogs,
        renderer=Renderer(config.templates_dir, catalogs),
        decryptor=CodeDecryptor(config.kms_key_arn),
        recipients=RecipientResolver(session.client("cognito-idp", config=BOTO_CONFIG)),
        ses=SesSender(
            session.client("sesv2", config=BOTO_CONFIG),
            configuration_set=config.configuration_set,
        ),
    )
