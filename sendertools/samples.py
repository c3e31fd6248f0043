"""Sample data: named scenarios per email kind, and the workbench that renders them.

A sample is ``templates/<kind>/samples/<name>.json``: the parts of a Cognito event that shape
the email, with the code in plain text::

    {"description": "...", "trigger": "CustomEmailSender_SignUp", "userName": "...",
     "code": "482913", "userAttributes": {"email": "...", "given_name": "Ada"},
     "clientMetadata": null, "clientId": "..."}

``clientId`` (optional) is the app client the event comes from: it chooses the sample's brand
as it would in the Lambda (``[brand_by_client]`` in brand.toml).

The preview, the check, the snapshots and ``cognito-sender render`` all render samples through
``Workbench.compose``, which runs the Lambda's own ``compose``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sender.brand import BASE, Brand, Brands, load_brands
from sender.codes import Secret
from sender.compose import Composed, Composer
from sender.errors import ConfigError, EventError
from sender.event import EMAIL_KIND, EmailKind, SenderEvent, Trigger, parse_event
from sender.i18n import Catalogs, LocaleInfo
from sender.render import Renderer

SAMPLE_POOL_ID = "eu-west-1_SAMPLE"
SAMPLE_SENDER = "Example <no-reply@example.com>"
# Samples render with a fixed clock so every output is reproducible.
SAMPLE_NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
FALLBACK_RECIPIENT = "user@example.com"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Sample:
    """One named scenario of an email kind."""

    kind: EmailKind
    name: str
    path: Path
    data: Mapping[str, Any] = field(repr=False)

    @property
    def description(self) -> str:
        """What the scenario shows."""
        return str(self.data.get("description", ""))

    @property
    def trigger(self) -> Trigger:
        """The trigger source the scenario simulates."""
        return Trigger(self.data["trigger"])

    def event(self) -> SenderEvent:
        """The sample as a validated event (the code stays in plain text, outside it)."""
        return sample_event(self.data)

    def secret(self) -> Secret | None:
        """The sample's plaintext code, if its trigger carries one."""
        code = self.data.get("code")
        return (
            Secret(str(code))
            if code is not None and self.trigger is not Trigger.ACCOUNT_TAKE_OVER
            else None
        )


def sample_event(data: Mapping[str, Any]) -> SenderEvent:
    """Validate sample data as an event, exactly as the Lambda validates Cognito's."""
    if not isinstance(data, Mapping):
        raise EventError("a sample must be a JSON object")
    trigger = data.get("trigger")
    ato = trigger == Trigger.ACCOUNT_TAKE_OVER.value
    raw = {
        "triggerSource": trigger,
        "userPoolId": SAMPLE_POOL_ID,
        "userName": data.get("userName", "37877a9f-a4d4-4ae9-b20c-f59890e04411"),
        "region": "eu-west-1",
        "callerContext": {"clientId": data.get("clientId")},
        "request": {
            "code": None if ato else "sample-code",
            "userAttributes": data.get("userAttributes", {}),
            "clientMetadata": data.get("clientMetadata"),
        },
    }
    return parse_event(raw)


def load_sample(kind: EmailKind, path: Path) -> Sample:
    """Read and validate one sample file; errors name the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: {err}") from err
    return sample_from_data(kind, path, data)


def sample_from_data(kind: EmailKind, path: Path, data: Any) -> Sample:
    """Validate parsed sample data as ``path`` would hold it; errors name the file."""
    sample = Sample(kind, path.stem, path, data)
    try:
        event = sample.event()
    except EventError as err:
        raise ConfigError(f"{path}: {err}") from err
    if EMAIL_KIND[event.trigger] is not kind:
        raise ConfigError(f"{path}: trigger {event.trigger.value} does not send {kind.value}")
    return sample


def load_samples(templates_dir: Path) -> dict[EmailKind, dict[str, Sample]]:
    """Every sample of every kind, by kind then name (sorted)."""
    found: dict[EmailKind, dict[str, Sample]] = {}
    for kind in EmailKind:
        folder = templates_dir / kind.value / "samples"
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
        found[kind] = {p.stem: load_sample(kind, p) for p in paths if NAME.match(p.stem)}
    return found


class Workbench:
    """Brand, catalogs, templates and samples of one templates folder, for the tools."""

    def __init__(self, templates_dir: Path, *, sender: str = SAMPLE_SENDER) -> None:
        self.templates_dir = templates_dir
        self.catalogs = Catalogs(templates_dir)
        self.branding: Brands = load_brands(templates_dir)
        renderer = Renderer(templates_dir, self.catalogs)
        self.composers = {
            name: Composer(brand, renderer, brand.email_from or sender)
            for name, brand in self.branding.all().items()
        }
        self.samples = load_samples(templates_dir)

    @property
    def brands(self) -> tuple[str, ...]:
        """Every brand's name, the base brand's first."""
        return tuple(self.composers)

    @property
    def brand(self) -> Brand:
        """The base brand."""
        return self.branding.base

    @property
    def composer(self) -> Composer:
        """The base brand's composer."""
        return self.composers[BASE]

    @property
    def renderer(self) -> Renderer:
        """The renderer every sample goes through."""
        return self.composer.renderer

    def brand_of(self, sample: Sample) -> str:
        """The brand the Lambda would choose for the sample's event."""
        event = sample.event()
        return self.branding.select(event.client_id, event.user_pool_id).name

    def brand_named(self, name: str) -> Brand:
        """A brand by name; ``KeyError`` names what exists."""
        if name not in self.composers:
            raise KeyError(f"no brand {name!r}; have {list(self.composers)}")
        return self.composers[name].brand

    def sample(self, kind: EmailKind, name: str) -> Sample:
        """A sample by kind and name; ``KeyError`` names what exists."""
        by_name = self.samples.get(kind, {})
        if name not in by_name:
            raise KeyError(f"no sample {name!r} for {kind.value}; have {sorted(by_name)}")
        return by_name[name]

    def compose(
        self, sample: Sample, locale: str, *, brand: str | None = None, sender: str | None = None
    ) -> Composed:
        """Render a sample in a locale through the Lambda's own pipeline, in the brand the
        Lambda would choose for it or in ``brand`` (``sender`` overrides the From address)."""
        matched = self.catalogs.match(locale)
        if matched is None:
            raise KeyError(f"no locale {locale!r}; have {list(self.catalogs.locales)}")
        event = sample.event()
        name = brand or self.branding.select(event.client_id, event.user_pool_id).name
        self.brand_named(name)
        composer = self.composers[name]
        composer = composer if sender is None else composer._replace(sender=sender)
        return composer.compose(
            event,
            sample.secret(),
            recipient=event.user_attributes.get("email", FALLBACK_RECIPIENT),
            locale=LocaleInfo(matched),
            now=SAMPLE_NOW,
        )
