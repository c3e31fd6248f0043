"""The brands: ``templates/brand.toml`` (names, colours, logo, link templates) and the overlays
in ``templates/brands/<name>.toml``, each merged over it, with the tables that choose a brand
for an event: ``[brand_by_client]`` (app client id to brand name) wins over
``[brand_by_pool]`` (user pool id to brand name); otherwise the base brand. An overlay may also
set ``email_from`` (a verified SES identity) and ``configuration_set``. Nothing the calling app
sends (``clientMetadata``) chooses a brand."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

from sender.config import CONFIG_SET, sender_address
from sender.errors import ConfigError, not_utf8

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
BASE = "base"
MAPPINGS = ("brand_by_client", "brand_by_pool")
# What an overlay may set that the templates never see.
_SENDING = ("email_from", "configuration_set")
# Cognito's clientId for an event no app client caused (AdminCreateUser and the like).
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
LINK_FIELDS = frozenset({"username", "code", "email"})


class Brand(NamedTuple):
    """Validated brand settings, as the templates see them."""

    values: Mapping[str, Any]
    links: Mapping[str, str]
    allowed_origins: frozenset[str]
    validity_minutes: Mapping[str, int]
    name: str = BASE
    email_from: str | None = None
    """The From address of this brand's emails, when it is not the function's ``EMAIL_FROM``."""
    configuration_set: str | None = None
    """The SES configuration set of this brand's emails, when not the function's."""

    def link(self, kind: str, **fields: str) -> str | None:
        """The call-to-action URL of an email kind, fields URL-encoded, or ``None``."""
        template = self.links.get(kind)
        if template is None:
            return None
        url = _PLACEHOLDER.sub(lambda m: quote(fields.get(m.group(1), ""), safe=""), template)
        check_link(url, self.allowed_origins)
        return url


class Brands(NamedTuple):
    """The base brand, its overlays by name, and which events each serves."""

    base: Brand
    named: Mapping[str, Brand]
    by_client: Mapping[str, str]
    by_pool: Mapping[str, str]

    def all(self) -> dict[str, Brand]:
        """Every brand by name, the base first."""
        return {BASE: self.base, **self.named}

    def select(self, client_id: str | None, user_pool_id: str) -> Brand:
        """The brand of an event from this app client and pool: the client's, else the
        pool's, else the base brand."""
        client = client_id if client_id and client_id != NO_CLIENT else None
        name = (self.by_client.get(client) if client else None) or self.by_pool.get(user_pool_id)
        return self.named[name] if name else self.base


def load_brand(templates_dir: Path) -> Brand:
    """The base brand of a templates folder (``brand.toml``)."""
    return load_brands(templates_dir).base


def load_brands(templates_dir: Path) -> Brands:
    """Read and validate ``brand.toml``, every overlay in ``brands/`` and the tables that map
    events to brands; errors name the file and the bad key or brand."""
    path = templates_dir / "brand.toml"
    data = _read(path)
    for key in _SENDING:
        if key in data:
            raise ConfigError(
                f"{path}: {key!r} belongs in a brand of brands/ (the base brand sends as the "
                "function's EMAIL_FROM and SES_CONFIGURATION_SET)"
            )
    common = {k: v for k, v in data.items() if k not in MAPPINGS}
    named: dict[str, Brand] = {}
    folder = templates_dir / "brands"
    for overlay in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        name = overlay.stem
        if not _NAME.match(name) or name == BASE:
            raise ConfigError(
                f"{overlay}: a brand's name is lower-case letters, digits, '-' and '_', "
                f"and not {BASE!r}"
            )
        extra = _read(overlay)
        if set(extra) & set(MAPPINGS):
            raise ConfigError(f"{overlay}: brands are chosen in brand.toml, not in a brand file")
        named[name] = _brand(_merged(common, extra), overlay, name)
    mappings = {}
    for table in MAPPINGS:
        entries = data.get(table, {})
        if not isinstance(entries, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in entries.items()
        ):
            raise ConfigError(f"{path}: [{table}] maps ids to brand names (strings)")
        for key, name in entries.items():
            if name not in named:
                raise ConfigError(
                    f"{path}: [{table}] {key!r} = {name!r}: there is no brand {name!r} "
                    f"(no {folder / (name + '.toml')}; have {sorted(named) or 'none'})"
                )
        mappings[table] = dict(entries)
    return Brands(
        base=_brand(common, path, BASE),
        named=named,
        by_client=mappings["brand_by_client"],
        by_pool=mappings["brand_by_pool"],
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(not_utf8(path, err)) from err
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: {err}") from err


def _merged(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``overlay`` over ``base``, table by table (a list, such as the allowed origins, is
    replaced whole)."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _brand(data: Mapping[str, Any], path: Path, name: str) -> Brand:
    """One brand's settings validated; errors name ``path`` (where the bad value was read)."""
    for key in ("product_name", "company_name", "support_email", "logo_url", "website_url"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ConfigError(f"{path}: '{key}' must be a non-empty string")
    colors = data.get("colors", {})
    for key, value in colors.items():
        if not isinstance(value, str) or not _COLOR.match(value):
            raise ConfigError(f"{path}: colors.{key}={value!r} is not a #rrggbb colour")
    links_table = dict(data.get("links", {}))
    origins = links_table.pop("allowed_origins", [])
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise ConfigError(f"{path}: links.allowed_origins must be a list of origins")
    allowed = frozenset(o.rstrip("/") for o in origins)
    for origin in allowed:
        if urlsplit(origin).scheme != "https":
            raise ConfigError(f"{path}: links.allowed_origins has {origin!r}: only https")
    links: dict[str, str] = {}
    for kind, template in links_table.items():
        if not isinstance(template, str):
            raise ConfigError(f"{path}: links.{kind} must be a URL template string")
        unknown = set(_PLACEHOLDER.findall(template)) - LINK_FIELDS
        if unknown:
            raise ConfigError(
                f"{path}: links.{kind} uses {sorted(unknown)}; allowed: {sorted(LINK_FIELDS)}"
            )
        try:
            check_link(_PLACEHOLDER.sub("x", template), allowed)
        except ValueError as err:
            raise ConfigError(f"{path}: links.{kind}: {err}") from err
        links[kind] = template
    for key in ("logo_url", "website_url"):
        if urlsplit(data[key]).scheme != "https":
            raise ConfigError(f"{path}: '{key}' must be an https URL")
    validity = data.get("validity_minutes", {})
    if not all(isinstance(v, int) and v > 0 for v in validity.values()):
        raise ConfigError(f"{path}: validity_minutes values must be positive whole numbers")
    email_from = data.get("email_from")
    if email_from is not None:
        try:
            email_from = sender_address(email_from)
        except ValueError as err:
            raise ConfigError(f"{path}: email_from: {err}") from err
    configuration_set = data.get("configuration_set")
    if configuration_set is not None and not (
        isinstance(configuration_set, str) and CONFIG_SET.match(configuration_set)
    ):
        raise ConfigError(
            f"{path}: configuration_set={configuration_set!r} is not a configuration set name "
            "(letters, digits, '_' and '-', at most 64)"
        )
    values = {k: v for k, v in data.items() if k not in ("links", "validity_minutes", *_SENDING)}
    return Brand(
        values=values,
        links=links,
        allowed_origins=allowed,
        validity_minutes=dict(validity),
        name=name,
        email_from=email_from,
        configuration_set=configuration_set,
    )


def check_link(url: str, allowed_origins: frozenset[str]) -> None:
    """Refuse a URL that is not https or not on an allowed origin."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme != "https" or origin not in allowed_origins:
        raise ValueError(f"{url!r} is not on an allowed https origin {sorted(allowed_origins)}")
