"""The preview's middleware: a strict CSP and no sniffing on every response, and the write guard.

Every request that changes something (POST and any other method but GET/HEAD) must come from
the preview's own pages: a same-origin ``Origin`` or ``Sec-Fetch-Site``, the per-process token
the pages carry, and a body no larger than ``Settings.max_body`` (refused while it streams).
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_HEADER = "x-preview-token"
TOKEN_FIELD = "preview_token"

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


class SecurityHeaders:
    """A strict CSP on every response that does not set its own, and no sniffing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class WriteGuard:
    """Let a request that changes something through only when it comes from the preview's own
    pages, with the token they carry, and a body within ``max_body`` bytes.

    Browsers mark every request a page makes: ``Origin`` on any POST (and the form a page on
    another site aims at localhost), ``Sec-Fetch-Site`` on everything; either must say "this
    origin". The token (a header from the page's script, a hidden field in its forms) is what
    a page elsewhere cannot read. The body is read as it streams and refused once it passes
    the limit, so an endless upload costs at most ``max_body`` bytes.
    """

    def __init__(self, app: ASGIApp, token: str, max_body: int) -> None:
        self.app = app
        self.token = token.encode()
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)

        async def refuse(status: int, why: str) -> None:
            response = Response(f"{scope['method']} refused: {why}\n", status_code=status)
            response.headers["connection"] = "close"
            await response(scope, receive, send)

        why = _foreign(headers, f"{scope.get('scheme', 'http')}://{headers.get('host', '')}")
        if why is not None:
            await refuse(403, why)
            return
        declared = headers.get("content-length")
        if declared is not None and not declared.isdigit():
            await refuse(400, f"Content-Length {declared!r} is not a number of bytes")
            return
        if declared is not None and int(declared) > self.max_body:
            await refuse(413, f"a body of {declared} bytes; at most {self.max_body}")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body:
                await refuse(413, f"a body of more than {self.max_body} bytes")
                return
            if not message.get("more_body", False):
                break
        why = self._token_problem(headers, bytes(body))
        if why is not None:
            await refuse(403, why)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _token_problem(self, headers: Headers, body: bytes) -> str | None:
        given = headers.get(TOKEN_HEADER)
        form = headers.get("content-type", "").split(";")[0].strip().lower()
        if given is None and form == "application/x-www-form-urlencoded":
            fields = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            given = dict(fields).get(TOKEN_FIELD)
        if not given:
            return (
                f"no {TOKEN_HEADER} header or {TOKEN_FIELD} field: send it from a page of this "
                "preview (reload the page)"
            )
        if not hmac.compare_digest(given.encode(), self.token):
            return (
                f"the {TOKEN_HEADER} is not this preview's: the page comes from an earlier run; "
                "reload it"
            )
        return None


def _foreign(headers: Headers, own: str) -> str | None:
    """Why a request does not come from this origin's pages, or ``None`` when it does."""
    origin = headers.get("origin")
    site = headers.get("sec-fetch-site")
    if origin is not None and origin.lower() != own.lower():
        return f"Origin {origin!r} is not this preview ({own})"
    if site is not None and site != "same-origin":
        return f"Sec-Fetch-Site {site!r}: the request comes from another site, not this preview"
    if origin is None and site is None:
        return (
            "no Origin or Sec-Fetch-Site header: a change must come from this preview's own "
            f"pages ({own})"
        )
