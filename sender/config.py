"""The function's configuration: validated values, read from the environment at the Lambda's
edge (``Config.from_env``) or given by the tools."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import NamedTuple

from sender.errors import ConfigError

# arn:aws:kms:<region>:<account>:key/<key-id>; the Encryption SDK's strict provider only
# matches the data key's provider info when given exactly this form.
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
CONFIG_SET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class Config(NamedTuple):
    """Validated settings of one process."""

    kms_key_arn: str
    email_from: str
    configuration_set: str | None = None
    default_locale: str = "en"
    templates_dir: Path = DEFAULT_TEMPLATES_DIR
    # The metric dimension that keeps two deployments in one account (staging, production)
    # from summing into each other's alarms.
    function_name: str = "local"

    @property
    def from_address(self) -> str:
        """The bare sender address, without its display name."""
        return parseaddr(self.email_from)[1]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read and validate the configuration; every error names the variable."""
        env = os.environ if environ is None else environ
        return cls(
            kms_key_arn=_key_arn(env.get("KMS_KEY_ARN", "")),
            email_from=_email_from(env.get("EMAIL_FROM", "")),
            configuration_set=_configuration_set(env.get("SES_CONFIGURATION_SET", "")),
            default_locale=_locale(env.get("DEFAULT_LOCALE", "") or "en"),
            templates_dir=_templates_dir(env.get("TEMPLATES_DIR", "")),
            function_name=env.get("AWS_LAMBDA_FUNCTION_NAME") or "local",
        )


def _key_arn(value: str) -> str:
    value = value.strip()
    if not value:
        raise ConfigError("KMS_KEY_ARN is required: the ARN of the pool's KMS key")
    if ":alias/" in value or value.startswith("alias/"):
        raise ConfigError(
            f"KMS_KEY_ARN={value!r} is an alias; the Encryption SDK can only decrypt "
            "Cognito's codes with the key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID)"
        )
    if not _KEY_ARN.match(value):
        raise ConfigError(
            f"KMS_KEY_ARN={value!r} is not a key ARN; expected "
            "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (a bare key id is not enough)"
        )
    return value


def _email_from(value: str) -> str:
    if not value.strip():
        raise ConfigError("EMAIL_FROM is required, e.g. 'Example <no-reply@example.com>'")
    try:
        return sender_address(value)
    except ValueError as err:
        raise ConfigError(f"EMAIL_FROM={err}") from err


def sender_address(value: object) -> str:
    """A From address (``Name <addr>`` or ``addr``), stripped; ``ValueError`` says why not."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an email address (not a string)")
    value = value.strip()
    if "\r" in value or "\n" in value:
        raise ValueError(f"{value!r} must be a single line")
    name, addr = parseaddr(value)
    try:
        Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as err:
        raise ValueError(f"{value!r} is not an email address: {err}") from err
    if "@" not in addr:
        raise ValueError(f"{value!r} is not an email address (no '@')")
    return value


def _configuration_set(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if not CONFIG_SET.match(value):
        raise ConfigError(
            f"SES_CONFIGURATION_SET={value!r} is not a configuration set name "
            "(letters, digits, '_' and '-', at most 64)"
        )
    return value


def _locale(value: str) -> str:
    value = value.strip().replace("_", "-")
    if not _LOCALE.match(value):
        raise ConfigError(f"DEFAULT_LOCALE={value!r} is not a locale such as 'en' or 'de-DE'")
    return value


def _templates_dir(value: str) -> Path:
    path = Path(value) if value.strip() else DEFAULT_TEMPLATES_DIR
    if not path.is_dir():
        raise ConfigError(f"TEMPLATES_DIR={str(path)!r} is not a folder")
    return path
