"""Everything built once per process from a configuration: clients, key provider, templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from botocore.config import Config as BotoConfig

from sender.botosession import new_session
from sender.brand import Brands, load_brands
from sender.codes import CodeDecryptor
from sender.compose import Composer
from sender.config import Config
from sender.i18n import Catalogs
from sender.recipient import RecipientResolver
from sender.render import Renderer
from sender.ses import SesSender
from sender.skeletons import DEFAULT_DIR as SKELETONS_DIR
from sender.skeletons import SkeletonStore

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_sesv2 import SESV2Client

# Standard mode retries throttling, 5xx and connection errors with backoff; max_attempts counts
# retries (four attempts in all). Timeouts keep a stuck call from eating the whole invocation.
BOTO_CONFIG = BotoConfig(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10
)


class App(NamedTuple):
    """The process-wide pieces the handler composes."""

    config: Config
    catalogs: Catalogs
    brands: Brands
    composers: Mapping[str, Composer]
    """One per brand, by name: its templates' model, its From address."""
    decryptor: CodeDecryptor
    recipients: RecipientResolver
    ses: SesSender


def build_app(config: Config, *, session: Any = None) -> App:
    """Build every piece; configuration errors surface here, named. ``session`` is the
    botocore session every client comes from (the tools pass one aimed at a local AWS); by
    default a new one, configured by the environment as botocore always is."""
    # One botocore session for every client, the Encryption SDK's KMS client included: service
    # models and endpoint data are loaded once, not once per session. Plain botocore, because
    # boto3 adds nothing the sender uses and importing it costs a cold start ~0.1 s.
    session = session or new_session()
    # Also the Encryption SDK's KMS client: standard retries and the same timeouts, instead of
    # botocore's legacy defaults (five attempts, 60 s read timeout).
    session.set_default_client_config(BOTO_CONFIG)
    catalogs = Catalogs(config.templates_dir)

    def cognito() -> CognitoIdentityProviderClient:
        # Only account-takeover alerts without an email attribute need it: built on first use.
        return cast(
            "CognitoIdentityProviderClient",
            session.create_client("cognito-idp", config=BOTO_CONFIG),
        )

    brands = load_brands(config.templates_dir)
    renderer = Renderer(
        config.templates_dir,
        catalogs,
        store=SkeletonStore(SKELETONS_DIR, config.templates_dir),
    )
    return App(
        config=config,
        catalogs=catalogs,
        brands=brands,
        composers={
            name: Composer(brand, renderer, brand.email_from or config.email_from)
            for name, brand in brands.all().items()
        },
        decryptor=CodeDecryptor(config.kms_key_arn, botocore_session=session),
        recipients=RecipientResolver(connect=cognito),
        ses=SesSender(
            cast("SESV2Client", session.create_client("sesv2", config=BOTO_CONFIG)),
            configuration_set=config.configuration_set,
        ),
    )
