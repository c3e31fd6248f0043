"""The preview's own HTML pages: the index of every email, one email, the outbox, one captured
message, and the error page a 404 becomes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from preview.downloads import eml_download
from preview.findings import Finding
from preview.lookups import (
    TemplatesBroken,
    Viewer,
    compose,
    outbox_entry,
    preview_of,
    select,
    why_chosen,
)
from preview.message import GMAIL_CLIP_BYTES, MessageView, from_message
from preview.problems import Problem
from preview.rendering import findings_of
from preview.renderworker import Failed
from sender.brand import BASE
from sender.event import EMAIL_KIND, EmailKind, Trigger
from sendertools.samples import Workbench


def brand_rows(workbench: Workbench) -> list[dict[str, Any]]:
    """Every brand as the index lists it: name, product, From address and what it serves."""
    branding = workbench.branding
    rows = []
    for name in workbench.brands:
        composer = workbench.composers[name]
        clients = sorted(c for c, b in branding.by_client.items() if b == name)
        pools = sorted(p for p, b in branding.by_pool.items() if b == name)
        rows.append(
            {
                "name": name,
                "product": str(composer.brand.values["product_name"]),
                "sender": composer.sender,
                "own_sender": composer.brand.email_from is not None,
                "base": name == BASE,
                "clients": clients,
                "pools": pools,
            }
        )
    return rows


async def index(request: Request) -> Response:
    """The brands, then every trigger source, the email it sends, its samples in every locale
    (and the brand the Lambda would choose for each)."""
    preview = preview_of(request)
    workbench = preview.workspace.workbench
    groups: list[dict[str, Any]] = []
    brands: list[dict[str, Any]] = []
    chosen: dict[tuple[str, str], tuple[str, str]] = {}
    findings: dict[tuple[str, str, str], list[Finding]] | None = None
    if preview.index_findings is not None:
        findings = preview.index_findings.results(preview.workspace.generation)
    if workbench is not None:
        for trigger in Trigger:
            kind = EMAIL_KIND[trigger]
            samples = list(workbench.samples.get(kind, {}).values())
            own = [s for s in samples if s.trigger is trigger]
            groups.append(
                {"trigger": trigger, "kind": kind, "samples": own or samples, "shared": not own}
            )
            for sample in samples:
                key = (kind.value, sample.name)
                if key not in chosen:
                    chosen[key] = (workbench.brand_of(sample), why_chosen(workbench, sample))
        brands = brand_rows(workbench)
    return preview.render(
        request,
        "index.html",
        status=500 if workbench is None else 200,
        title="Emails",
        live="templates findings" if preview.check and findings is None else "templates",
        groups=groups,
        brands=brands,
        chosen=chosen,
        kinds=[kind.value for kind in EmailKind],
        locales=preview.workspace.locales,
        findings=findings or {},
        checking=preview.check and findings is None,
    )


async def email_page(request: Request) -> Response:
    """One email in one locale and sample, in one part, viewport and colour mode."""
    preview = preview_of(request)
    viewer = Viewer.of(request)
    try:
        selection = select(request, request.path_params["kind"], request.query_params)
    except TemplatesBroken:
        return preview.render(request, "error.html", status=500, title="Templates", message="")
    message: MessageView | None = None
    problem: Problem | None = None
    composed = await compose(preview, selection)
    if isinstance(composed, Failed):
        problem = composed.problem
    else:
        message = composed
    if viewer.part == "eml" and message is not None:
        what = (selection.kind.value, selection.locale, selection.sample.name, selection.brand)
        name = "-".join(what) + ".eml"
        return eml_download(message.eml, name)
    findings: list[Finding] | None = None
    if preview.check and message is not None:
        job = preview.job("check", selection.sample, selection.locale)
        findings = findings_of(await preview.run(job))
    base = f"/email/{selection.kind.value}"

    def link(**changes: str | None) -> str:
        return f"{base}?{urlencode(selection.params(**{**viewer.here, **changes}))}"

    triggers = [t for t, k in EMAIL_KIND.items() if k is selection.kind]
    return preview.render(
        request,
        "email.html",
        status=500 if problem else 200,
        title=" · ".join(
            (selection.kind.value, selection.locale, selection.sample.name, selection.brand)
        ),
        live="templates",
        selection=selection,
        message=message,
        email_problem=problem,
        **viewer.context(link),
        locales=selection.workbench.catalogs.locales,
        samples=list(selection.workbench.samples[selection.kind]),
        brands=selection.workbench.brands,
        triggers=triggers,
        frame_url=f"{base}/frame?{urlencode(selection.params(mode=viewer.mode))}",
        sample_json=json.dumps(dict(selection.sample.data), indent=2, ensure_ascii=False),
        findings=findings,
        clip=GMAIL_CLIP_BYTES,
        spam_url=f"{base}/spam-score?{urlencode(selection.params())}" if message else None,
        ses=preview.ses.status,
        form=selection.params(),
    )


async def outbox_index(request: Request) -> Response:
    """Every captured message, newest first."""
    preview = preview_of(request)
    rows = []
    for entry in preview.outbox.entries()[:200]:
        raw = entry.eml.read_bytes()
        rows.append((entry, from_message(entry.message(), raw)))
    return preview.render(
        request,
        "outbox.html",
        title="Outbox",
        live="outbox",
        rows=rows,
        folder=str(preview.outbox.folder),
    )


async def outbox_page(request: Request) -> Response:
    """A captured message, openable like any preview."""
    preview = preview_of(request)
    viewer = Viewer.of(request)
    entry_id, message = outbox_entry(request)
    if viewer.part == "eml":
        return eml_download(message.eml, f"{entry_id}.eml")

    def link(**changes: str | None) -> str:
        return f"/outbox/{entry_id}?{urlencode({**viewer.here, **changes})}"

    return preview.render(
        request,
        "message.html",
        title=message.subject,
        entry_id=entry_id,
        message=message,
        **viewer.context(link),
        frame_url=f"/outbox/{entry_id}/frame?{urlencode({'mode': viewer.mode})}",
        clip=GMAIL_CLIP_BYTES,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """A 404 (or any HTTP error): plain text for a frame or a write, else the error page."""
    assert isinstance(exc, HTTPException)
    if request.url.path.endswith("/frame") or request.method == "POST":
        return Response(exc.detail, status_code=exc.status_code, media_type="text/plain")
    return preview_of(request).render(
        request, "error.html", status=exc.status_code, title="Not found", message=exc.detail
    )
