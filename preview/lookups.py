"""What a URL names, looked up: an email kind, a query choice, a message page's view, an email
with its locale, sample, draft and brand (and that email composed), an outbox entry.

Every name that comes from a URL is matched against what exists before it is used; a miss is a
404 that names what is missing and what exists. Nothing here builds a file path from request
text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from preview import frame
from preview.message import MessageView, from_message
from preview.renderworker import Failed
from preview.service import Preview
from sender.brand import NO_CLIENT
from sender.errors import ConfigError
from sender.event import EmailKind
from sendertools.samples import Sample, Workbench, sample_from_data

PARTS = ("html", "text", "source", "eml")
VIEWPORTS = ("desktop", "600", "375", "320")


def preview_of(request: Request) -> Preview:
    """The services of the app that serves ``request``."""
    preview: Preview = request.app.state.preview
    return preview


def kind_named(value: str) -> EmailKind:
    """The email kind ``value`` names."""
    try:
        return EmailKind(value)
    except ValueError:
        raise HTTPException(
            404, f"no email kind {value!r}; have {', '.join(k.value for k in EmailKind)}"
        ) from None


def choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    """The query parameter ``name``, one of ``allowed`` (the first when it is missing)."""
    value = request.query_params.get(name) or allowed[0]
    if value not in allowed:
        raise HTTPException(404, f"no {name} {value!r}; have {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class Viewer:
    """How a message page shows its message: part, viewport and colour mode, from the query."""

    part: str
    view: str
    mode: str

    @classmethod
    def of(cls, request: Request) -> Viewer:
        return cls(
            choice(request, "part", PARTS),
            choice(request, "view", VIEWPORTS),
            choice(request, "mode", frame.MODES),
        )

    @property
    def here(self) -> dict[str, str]:
        """The query parameters that keep this view in a link."""
        return {"part": self.part, "view": self.view, "mode": self.mode}

    def context(self, link: Any) -> dict[str, Any]:
        """What the page templates need to draw the switches."""
        return {
            **self.here,
            "link": link,
            "parts": PARTS,
            "viewports": VIEWPORTS,
            "modes": frame.MODES,
        }


@dataclass(frozen=True)
class Selection:
    """One email as the URL names it, resolved.

    ``picked`` is the brand named by ``?brand=``; without it the email wears the brand the
    Lambda would choose for the sample's event (its client id, else its pool id)."""

    workbench: Workbench
    kind: EmailKind
    sample: Sample
    locale: str
    draft: str | None
    picked: str | None = None

    @property
    def chosen(self) -> str:
        """The brand the Lambda would choose for the sample's event."""
        return self.workbench.brand_of(self.sample)

    @property
    def brand(self) -> str:
        """The brand the email is shown in: the one picked, else the Lambda's choice."""
        return self.picked or self.chosen

    @property
    def why(self) -> str:
        """Why the Lambda chooses ``chosen`` for the sample's event."""
        return why_chosen(self.workbench, self.sample)

    @property
    def brand_note(self) -> str:
        """The brand shown and how it came to be, e.g. ``northwind (chosen by client id …)``."""
        if self.picked is None:
            return f"{self.brand} ({self.why})"
        if self.picked == self.chosen:
            return f"{self.brand} (picked here; also the Lambda's choice: {self.why})"
        return f"{self.brand} (picked here; the Lambda would choose {self.chosen}: {self.why})"

    def params(self, **changes: str | None) -> dict[str, str]:
        """The query naming this email (plus ``changes``)."""
        params: dict[str, str | None] = {
            "locale": self.locale,
            "sample": self.sample.name,
            "draft": self.draft,
            "brand": self.picked,
        }
        params.update(changes)
        return {k: v for k, v in params.items() if v}

    def drafted(self, sample: Sample, token: str) -> Selection:
        """The same email with a draft's sample (its brand, unless picked, follows the
        draft's client id)."""
        return replace(self, sample=sample, draft=token)


def why_chosen(workbench: Workbench, sample: Sample) -> str:
    """Why the Lambda's brand choice for ``sample``'s event falls as it does (as
    ``sender.brand.Brands.select`` decides: client id, then pool id, else the base brand)."""
    event = sample.event()
    branding = workbench.branding
    client = event.client_id if event.client_id and event.client_id != NO_CLIENT else None
    if client is not None and client in branding.by_client:
        return f"chosen by client id {client}"
    if event.user_pool_id in branding.by_pool:
        return f"chosen by pool id {event.user_pool_id}"
    pool = event.user_pool_id
    if client is None:
        return f"no client id, and pool id {pool} is not mapped to a brand"
    return f"neither client id {client} nor pool id {pool} is mapped to a brand"


class TemplatesBroken(Exception):
    """The templates folder does not load; pages show the problem instead."""


def select(request: Request, kind_name: str, query: Mapping[str, str]) -> Selection:
    """The email ``kind_name`` and ``query`` (locale, sample, draft, brand) name."""
    preview = preview_of(request)
    kind = kind_named(kind_name)
    workbench = preview.workspace.workbench
    if workbench is None:
        raise TemplatesBroken()
    locales = workbench.catalogs.locales
    locale = query.get("locale") or locales[0]
    if locale not in locales:
        raise HTTPException(
            404, f"no locale {locale!r} for {kind.value}; have {', '.join(locales)}"
        )
    samples = workbench.samples.get(kind, {})
    if not samples:
        raise HTTPException(
            404, f"no samples for {kind.value}: add templates/{kind.value}/samples/default.json"
        )
    name = query.get("sample") or ("default" if "default" in samples else next(iter(samples)))
    if name not in samples:
        raise HTTPException(404, f"no sample {name!r} for {kind.value}; have {', '.join(samples)}")
    sample = samples[name]
    picked = query.get("brand") or None
    if picked is not None and picked not in workbench.brands:
        raise HTTPException(404, f"no brand {picked!r}; have {', '.join(workbench.brands)}")
    token = query.get("draft") or None
    if token:
        try:
            draft = preview.drafts.get(token)
        except KeyError as err:
            raise HTTPException(404, str(err.args[0])) from None
        if draft.kind is not kind:
            raise HTTPException(404, f"draft {token!r} belongs to {draft.kind.value}")
        try:
            sample = sample_from_data(kind, sample.path, draft.data)
        except ConfigError as err:
            raise HTTPException(404, f"draft {token!r} no longer validates: {err}") from None
    return Selection(workbench, kind, sample, locale, token, picked)


async def compose(preview: Preview, selection: Selection) -> MessageView | Failed:
    """The selected email, composed in its brand in a render worker (or why it was not)."""
    job = preview.job("compose", selection.sample, selection.locale, brand=selection.brand)
    outcome = await preview.run(job)
    if isinstance(outcome, Failed):
        return outcome
    assert isinstance(outcome.value, MessageView)
    return outcome.value


def outbox_entry(request: Request) -> tuple[str, MessageView]:
    """The id and message of the outbox entry the URL names."""
    preview = preview_of(request)
    entry_id = request.path_params["entry"]
    try:
        entry = preview.outbox.get(entry_id)
    except KeyError as err:
        known = [e.id for e in preview.outbox.entries()[:5]]
        raise HTTPException(404, f"{err.args[0]}; newest: {', '.join(known) or 'none'}") from None
    return entry.id, from_message(entry.message(), entry.eml.read_bytes())
