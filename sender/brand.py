"""The brand file (``templates/brand.toml``): names, colours, logo and link templates."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

from sender.errors import ConfigError, not_utf8

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
LINK_FIELDS = frozenset({"username", "code", "email"})


class Brand(NamedTuple):
    """Validated brand settings, as the templates see them."""

    values: Mapping[str, Any]
    links: Mapping[str, str]
    allowed_origins: frozenset[str]
    validity_minutes: Mapping[str, int]

    def link(self, kind: str, **fields: str) -> str | None:
        """The call-to-action URL of an email kind, fields URL-encoded, or ``None``."""
        template = self.links.get(kind)
        if template is None:
            return None
        url = _PLACEHOLDER.sub(lambda m: quote(fields.get(m.group(1), ""), safe=""), template)
        check_link(url, self.allowed_origins)
        return url


def load_brand(templates_dir: Path) -> Brand:
    """Read and validate ``brand.toml``; errors name the file and the bad key."""
    path = templates_dir / "brand.toml"
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(not_utf8(path, err)) from err
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: {err}") from err
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
    values = {k: v for k, v in data.items() if k not in ("links", "validity_minutes")}
    return Brand(
        values=values, links=links, allowed_origins=allowed, validity_minutes=dict(validity)
    )


def check_link(url: str, allowed_origins: frozenset[str]) -> None:
    """Refuse a URL that is not https or not on an allowed origin."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme != "https" or origin not in allowed_origins:
        raise ValueError(f"{url!r} is not on an allowed https origin {sorted(allowed_origins)}")
