"""What the pages' script and forms ask of the preview: a draft rendered, a sample saved, a send
through the local AWS or the real SES, a spam score, the SES status, the live-update stream
and the server's health.

Only sample saving writes a file from request text, and only a validated sample name inside
the kind's own samples folder. Every write has passed the write guard (``preview.middleware``)
first, so its body is already read and within the limit.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from preview.drafts import Draft
from preview.live import TOPICS
from preview.localoutbox import LocalAwsUnavailable
from preview.lookups import (
    Selection,
    TemplatesBroken,
    compose,
    kind_named,
    preview_of,
    select,
)
from preview.message import MessageView
from preview.problems import describe
from preview.renderworker import Failed
from preview.service import Preview
from sender.errors import ConfigError, SenderError
from sender.recipient import check_recipient
from sendertools.samples import NAME, sample_from_data


async def spam_score(request: Request) -> Response:
    """The email's SpamAssassin score on its encoded bytes, as ``check`` scores it (JSON).

    Asked for by the page once it is shown: a first score takes a second or two of
    SpamAssassin, so it runs on a thread, never in a render worker or on the event loop."""
    from sendertools.spamscore import SpamScoreError, score_message

    preview = preview_of(request)
    try:
        selection = select(request, request.path_params["kind"], request.query_params)
    except TemplatesBroken:
        return JSONResponse({"error": "the templates do not load; see the page"}, status_code=500)
    composed = await compose(preview, selection)
    if isinstance(composed, Failed):
        return JSONResponse({"error": "the email does not render; see the page"}, status_code=500)
    try:
        score = await anyio.to_thread.run_sync(score_message, composed.eml)
    except SpamScoreError as err:
        # SpamAssassin not installed (or failing): said so beside the size, never a silent pass.
        return JSONResponse({"error": str(err)})
    return JSONResponse(score.to_dict(), headers={"cache-control": "no-store"})


async def _sample_body(request: Request) -> Any:
    body = await request.body()  # WriteGuard has read it already, within the limit
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise _Invalid(f"not valid JSON: {err}") from err


class _Invalid(Exception):
    """Request data that does not validate; the message says why."""


def _invalid(message: str, preview: Preview) -> JSONResponse:
    problem = describe(ValueError(message), preview.workspace.templates_dir)
    return JSONResponse(
        {"error": {"message": problem.message, "file": problem.file, "line": problem.line}},
        status_code=422,
    )


async def email_draft(request: Request) -> Response:
    """Render edited sample data without saving it; a draft token makes it a link."""
    preview = preview_of(request)
    try:
        selection = select(request, request.path_params["kind"], request.query_params)
    except TemplatesBroken:
        return JSONResponse({"error": {"message": "the templates do not load"}}, 409)
    try:
        data = await _sample_body(request)
        sample = sample_from_data(selection.kind, selection.sample.path, data)
    except (_Invalid, ConfigError) as err:
        return _invalid(str(err), preview)
    token = preview.drafts.add(Draft(selection.kind, selection.sample.name, data))
    drafted = selection.drafted(sample, token)
    message = await compose(preview, drafted)
    if isinstance(message, Failed):
        problem = message.problem
        return JSONResponse(
            {"error": {"message": problem.message, "file": problem.file, "line": problem.line}},
            status_code=422,
        )
    base = f"/email/{selection.kind.value}"
    return JSONResponse(
        {
            "draft": token,
            "subject": message.subject,
            "preheader": message.preheader,
            "from": message.sender,
            "to": message.recipient,
            "size": message.size,
            "text": message.text,
            "source": message.html,
            "frame": f"{base}/frame?{urlencode(drafted.params())}",
            "query": urlencode(drafted.params()),
            "brand": drafted.brand,
            "brand_note": drafted.brand_note,
        }
    )


async def save_sample(request: Request) -> Response:
    """Write validated sample data to ``templates/<kind>/samples/<name>.json``."""
    preview = preview_of(request)
    kind = kind_named(request.path_params["kind"])
    name = request.path_params["name"]
    if not NAME.match(name):
        raise HTTPException(
            404, f"{name!r} is not a sample name (a-z, 0-9, '_' and '-', at most 64)"
        )
    folder = (preview.workspace.templates_dir / kind.value / "samples").resolve()
    path = folder / f"{name}.json"
    if path.parent != folder:
        raise HTTPException(404, f"{name!r} is not a sample name")
    try:
        data = await _sample_body(request)
        sample_from_data(kind, path, data)
    except (_Invalid, ConfigError) as err:
        return _invalid(str(err), preview)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    relative = path.relative_to(preview.workspace.templates_dir).as_posix()
    return JSONResponse({"saved": relative, "sample": name})


async def _send_form(request: Request) -> tuple[Selection, Mapping[str, str]] | Response:
    """The email a send form names and the form's fields, or the answer when the templates do
    not load."""
    # The page's forms are small and urlencoded: parse them without a multipart library.
    body = await request.body()  # WriteGuard has read it already, within the limit
    fields = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    try:
        return select(request, request.path_params["kind"], fields), fields
    except TemplatesBroken:
        return Response("the templates do not load", status_code=409)


def _not_sent(request: Request, reason: str, why: object) -> Response:
    return preview_of(request).render(
        request, "error.html", 502, title="Not sent", message=f"not sent ({reason}): {why}"
    )


async def send_local(request: Request) -> Response:
    """Send the email through the real handler on the embedded local AWS (the handler
    chooses the brand from the event, as the Lambda does: a brand picked on the page does not
    apply)."""
    form = await _send_form(request)
    if isinstance(form, Response):
        return form
    selection, _ = form
    preview = preview_of(request)
    if not preview.settings.local_aws:
        return preview.render(
            request, "error.html", 503, title="Local AWS", message="the local AWS is turned off"
        )
    # The handler renders in this process: only an email that renders within the time limit
    # in a worker is handed to it.
    checked = await compose(preview, selection)
    if isinstance(checked, Failed):
        return _not_sent(request, checked.reason, checked.text)
    try:
        entries = await anyio.to_thread.run_sync(
            preview.local.send, selection.sample, selection.locale
        )
    except (SenderError, LocalAwsUnavailable) as err:
        return _not_sent(request, getattr(err, "reason", "local_aws"), err)
    if not entries:
        return preview.render(
            request, "error.html", 502, title="Not sent", message="SES captured no message"
        )
    return RedirectResponse(f"/outbox/{entries[0].id}", status_code=303)


async def send_ses(request: Request) -> Response:
    """Send a test email through the developer's real SES (when enabled)."""
    form = await _send_form(request)
    if isinstance(form, Response):
        return form
    selection, fields = form
    preview = preview_of(request)
    recipient = fields.get("recipient", "").strip()
    try:
        sender = preview.ses.sender_for_send()
        check_recipient(recipient)
    except PermissionError as err:
        return preview.render(request, "error.html", 409, title="SES", message=str(err))
    except SenderError as err:
        return _not_sent(request, err.reason, err)
    # The brand shown on the page, sent as the verified SES identity (a brand's own From
    # address is rarely verified in a developer's account).
    job = preview.job(
        "compose",
        selection.sample,
        selection.locale,
        sender=sender,
        recipient=recipient,
        brand=selection.brand,
    )
    composed = await preview.run(job)
    if isinstance(composed, Failed):
        return _not_sent(request, composed.reason, composed.text)
    assert isinstance(composed.value, MessageView)
    send = functools.partial(
        preview.ses.send,
        composed.value.eml,
        recipient=recipient,
        sample=selection.sample,
        brand=selection.brand,
    )
    try:
        message_id = await anyio.to_thread.run_sync(send)
    except PermissionError as err:
        return preview.render(request, "error.html", 409, title="SES", message=str(err))
    except SenderError as err:
        return _not_sent(request, err.reason, err)
    back = f"/email/{selection.kind.value}?{urlencode(selection.params())}"
    return preview.render(
        request,
        "sent.html",
        title="Sent",
        message_id=message_id,
        recipient=recipient,
        back=back,
    )


async def events(request: Request) -> Response:
    """The live-update stream (Server-Sent Events)."""
    preview = preview_of(request)
    since = {t: request.query_params[t] for t in TOPICS if t in request.query_params}
    return StreamingResponse(
        preview.broker.stream(since, preview.settings.stream_lifetime),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def health(request: Request) -> Response:
    """Machine-readable state: versions, template problem, local AWS, SES."""
    preview = preview_of(request)
    problem = preview.workspace.problem
    return JSONResponse(
        {
            "versions": preview.broker.versions(),
            "templates": "ok" if problem is None else problem.where or problem.message,
            "local_aws": preview.local.status if preview.settings.local_aws else "off",
            "local_aws_endpoint": preview.local.endpoint,
            "check": preview.check,
            "ses": {"enabled": preview.ses.status.enabled, "reason": preview.ses.status.reason},
        }
    )


async def ses_status(request: Request) -> Response:
    """Whether the real-SES button is enabled, and why (for the page's live update)."""
    status = preview_of(request).ses.status
    return JSONResponse({"enabled": status.enabled, "reason": status.reason})
