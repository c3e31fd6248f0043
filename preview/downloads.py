"""What the browser loads as a file rather than as a page of the preview: an email's HTML part
for the sandboxed frame (under its own CSP, or the reason it did not render, as text), and an
email's ``.eml`` download.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from preview import frame
from preview.lookups import (
    TemplatesBroken,
    choice,
    compose,
    outbox_entry,
    preview_of,
    select,
)
from preview.renderworker import Failed
from preview.service import Preview


def frame_csp(remote_images: bool) -> str:
    """The email frame's policy: no scripts, no requests (remote images only when allowed)."""
    images = "data: https:" if remote_images else "data:"
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src {images}; font-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
    )


async def email_frame(request: Request) -> Response:
    """The email's HTML part alone, for the sandboxed iframe."""
    preview = preview_of(request)
    mode = choice(request, "mode", frame.MODES)
    try:
        selection = select(request, request.path_params["kind"], request.query_params)
    except TemplatesBroken:
        return _frame_text("the templates do not load; see the page", 500, preview)
    message = await compose(preview, selection)
    if isinstance(message, Failed):
        return _frame_text(message.text, 500, preview)
    return _frame_html(message.html, mode, preview)


async def outbox_frame(request: Request) -> Response:
    """A captured message's HTML part, for the sandboxed iframe."""
    mode = choice(request, "mode", frame.MODES)
    _id, message = outbox_entry(request)
    return _frame_html(message.html, mode, preview_of(request))


def eml_download(eml: bytes, filename: str) -> Response:
    """The encoded message as an attachment named ``filename``."""
    return Response(
        eml,
        media_type="message/rfc822",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _frame_html(html: str, mode: str, preview: Preview) -> Response:
    return HTMLResponse(
        frame.for_mode(html, mode),
        headers={
            "content-security-policy": frame_csp(preview.settings.remote_images),
            "cache-control": "no-store",
        },
    )


def _frame_text(text: str, status: int, preview: Preview) -> Response:
    return Response(
        text,
        status_code=status,
        media_type="text/plain",
        headers={"content-security-policy": frame_csp(preview.settings.remote_images)},
    )
