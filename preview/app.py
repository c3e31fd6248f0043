"""The preview's Starlette application: pages, the email frame, drafts, sends and live events.

Every name that comes from a URL (kind, locale, sample, part, outbox id, draft) is matched
against what exists before it is used; a miss is a 404 that names what is missing and what
exists. Nothing here builds a file path from request text except sample saving, which accepts
only a validated sample name inside the kind's own samples folder.

Every email is rendered in a render worker process (``preview.rendering``) with a time limit,
never on the event loop: a template that never finishes costs one worker, not the server.
Every request that changes something (POST and any other method but GET/HEAD) must come from
the preview's own pages: a same-origin ``Origin`` or ``Sec-Fetch-Site``, the per-process token
the pages carry, and a body no larger than ``Settings.max_body`` (refused while it streams).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import secrets
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio.to_thread
import jinja2
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from preview import frame
from preview.drafts import Draft, Drafts
from preview.findings import CHECK_MODULE, Finding, IndexFindings, load_check
from preview.live import TOPICS, Broker
from preview.localoutbox import LocalAwsUnavailable, LocalOutbox
from preview.message import GMAIL_CLIP_BYTES, MessageView, from_message
from preview.problems import Problem, describe
from preview.realses import RealSes, SesStatus
from preview.rendering import RenderPool, findings_of
from preview.renderworker import Failed, Job, Rendered
from preview.workspace import Workspace, watch
from sender.errors import ConfigError, SenderError
from sender.event import EMAIL_KIND, EmailKind, Trigger
from sender.recipient import check_recipient
from sendertools.outbox import DEFAULT_OUTBOX, Outbox
from sendertools.samples import NAME, Sample, Workbench, sample_from_data

HERE = Path(__file__).parent
PARTS = ("html", "text", "source", "eml")
VIEWPORTS = ("desktop", "600", "375", "320")
MAX_BODY_BYTES = 256 * 1024
TOKEN_HEADER = "x-preview-token"
TOKEN_FIELD = "preview_token"
INDEX_CHECK_DELAY = 0.5


@dataclass(frozen=True)
class Settings:
    """How one preview server runs."""

    templates_dir: Path
    outbox_dir: Path = DEFAULT_OUTBOX
    host: str = "127.0.0.1"
    local_aws: bool = True
    ses_sender: str | None = None
    ses_check: bool = True
    remote_images: bool = False
    watch: bool = True
    stream_lifetime: float = 25.0
    allowed_hosts: tuple[str, ...] = field(default=("127.0.0.1", "localhost", "[::1]"))
    render_timeout: float = 5.0
    render_workers: int = 2
    check_module: str = CHECK_MODULE
    max_body: int = MAX_BODY_BYTES


class Preview:
    """Everything the routes share."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Proves a write comes from a page this process served (forms and the page's script).
        self.token = secrets.token_urlsafe(32)
        self.workspace = Workspace(settings.templates_dir)
        self.broker = Broker()
        self.drafts = Drafts()
        self.outbox = Outbox(settings.outbox_dir)
        self.local = LocalOutbox(self.workspace.templates_dir, self.outbox)
        self.ses = RealSes(settings.ses_sender)
        if not settings.ses_check:
            self.ses.status = SesStatus(False, "the real SES check is turned off (--no-ses)")
        # Whether there is a check decides the badges; the check itself runs in the workers.
        self.check = load_check(settings.check_module) is not None
        self.pool = RenderPool(
            self.workspace.templates_dir,
            size=settings.render_workers,
            limit=settings.render_timeout,
            check_module=settings.check_module if self.check else None,
            generation=self.workspace.generation,
        )
        self.index_findings: IndexFindings | None = None
        if self.check:
            self.index_findings = IndexFindings(
                self._check_one,
                lambda: self.broker.publish_threadsafe("findings"),
                delay=INDEX_CHECK_DELAY,
            )
        self.pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "pages"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def job(
        self,
        op: str,
        sample: Sample,
        locale: str,
        *,
        generation: int | None = None,
        sender: str | None = None,
        recipient: str | None = None,
    ) -> Job:
        """A render worker's job for ``sample`` in ``locale`` on the current templates."""
        return Job(
            op,
            self.workspace.generation if generation is None else generation,
            sample.kind.value,
            sample.name,
            str(sample.path),
            dict(sample.data),
            locale,
            sender,
            recipient,
            self.settings.render_timeout,
        )

    async def run(self, job: Job) -> Rendered | Failed:
        """Run ``job`` in a render worker without holding the event loop."""
        # abandon_on_cancel: a shutdown does not wait for a stuck render; stopping the pool
        # kills its worker, which ends the thread.
        return await anyio.to_thread.run_sync(
            functools.partial(self.pool.run, job), abandon_on_cancel=True
        )

    def _check_one(self, sample: Sample, locale: str, generation: int) -> list[Finding]:
        job = self.job("check", sample, locale, generation=generation)
        return findings_of(self.pool.run(job, cache=False, background=True))

    async def stopping(self) -> None:
        """The server begins to shut down: end stuck renders and live streams now, so its
        wait for open requests is short (the lifespan's end does the rest)."""
        self.broker.close()
        await anyio.to_thread.run_sync(self.pool.stop)

    def templates_changed(self) -> None:
        """A watched template file changed: rebuild, then tell the pages."""
        self.workspace.reload()
        self.pool.generation = self.workspace.generation
        self.check_everything()
        self.broker.publish("templates")

    def check_everything(self) -> None:
        """Start checking every email of the current templates for the index's badges."""
        if self.index_findings is not None:
            self.index_findings.start(self.workspace.workbench, self.workspace.generation)

    def outbox_changed(self) -> None:
        """Something was written to the outbox folder."""
        self.broker.publish("outbox")

    def render(self, request: Request, page: str, status: int = 200, **context: Any) -> Response:
        """A page of the preview itself."""
        body = self.pages.get_template(page).render(
            request=request,
            versions=json.dumps(self.broker.versions()),
            problem=self.workspace.problem,
            local_status=self.local.status if self.settings.local_aws else "off",
            check_available=self.check,
            token=self.token,
            token_field=TOKEN_FIELD,
            **context,
        )
        return HTMLResponse(body, status_code=status)


def create_app(settings: Settings) -> Starlette:
    """The ASGI application for ``settings``."""
    preview = Preview(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        preview.broker.attach(loop)
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        if settings.watch:
            folders = {
                preview.workspace.templates_dir: preview.templates_changed,
                settings.outbox_dir: preview.outbox_changed,
            }
            tasks.append(asyncio.create_task(watch(folders, stop)))
        preview.pool.start()
        preview.check_everything()
        if settings.local_aws:
            preview.local.start()
        if settings.ses_check:
            threading.Thread(target=_check_ses, args=(preview,), daemon=True).start()
        try:
            yield
        finally:
            stop.set()
            # First the workers: a render still running ends now, and so does its thread.
            await anyio.to_thread.run_sync(preview.pool.stop)
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=5)
            await anyio.to_thread.run_sync(preview.local.stop)

    routes = [
        Route("/", index),
        Route("/email/{kind}", email_page),
        Route("/email/{kind}/frame", email_frame),
        Route("/email/{kind}/spam-score", spam_score),
        Route("/email/{kind}/draft", email_draft, methods=["POST"]),
        Route("/email/{kind}/samples/{name}", save_sample, methods=["POST"]),
        Route("/email/{kind}/send-local", send_local, methods=["POST"]),
        Route("/email/{kind}/send-ses", send_ses, methods=["POST"]),
        Route("/outbox", outbox_index),
        Route("/outbox/{entry}", outbox_page),
        Route("/outbox/{entry}/frame", outbox_frame),
        Route("/events", events),
        Route("/health", health),
        Route("/ses/status", ses_status),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    everywhere = settings.host in ("0.0.0.0", "::")  # noqa: S104 - asked for explicitly
    hosts = ["*"] if everywhere else [*settings.allowed_hosts, settings.host]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
            Middleware(WriteGuard, token=preview.token, max_body=settings.max_body),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.preview = preview
    return app


def _check_ses(preview: Preview) -> None:
    preview.ses.check()
    preview.broker.publish_threadsafe("ses")


# --- middleware ---------------------------------------------------------------------------

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def frame_csp(remote_images: bool) -> str:
    """The email frame's policy: no scripts, no requests (remote images only when allowed)."""
    images = "data: https:" if remote_images else "data:"
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src {images}; font-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
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
    return None


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    preview: Preview = request.app.state.preview
    if request.url.path.endswith("/frame") or request.method == "POST":
        return Response(exc.detail, status_code=exc.status_code, media_type="text/plain")
    return preview.render(
        request, "error.html", status=exc.status_code, title="Not found", message=exc.detail
    )


# --- lookups: every URL name checked against what exists ------------------------------------


def _preview(request: Request) -> Preview:
    preview: Preview = request.app.state.preview
    return preview


def _kind(value: str) -> EmailKind:
    try:
        return EmailKind(value)
    except ValueError:
        raise HTTPException(
            404, f"no email kind {value!r}; have {', '.join(k.value for k in EmailKind)}"
        ) from None


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get(name) or allowed[0]
    if value not in allowed:
        raise HTTPException(404, f"no {name} {value!r}; have {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class _Viewer:
    """How a message page shows its message: part, viewport and colour mode, from the query."""

    part: str
    view: str
    mode: str

    @classmethod
    def of(cls, request: Request) -> _Viewer:
        return cls(
            _choice(request, "part", PARTS),
            _choice(request, "view", VIEWPORTS),
            _choice(request, "mode", frame.MODES),
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


def _eml_download(eml: bytes, filename: str) -> Response:
    return Response(
        eml,
        media_type="message/rfc822",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@dataclass(frozen=True)
class Selection:
    """One email as the URL names it, resolved."""

    workbench: Workbench
    kind: EmailKind
    sample: Sample
    locale: str
    draft: str | None

    def params(self, **changes: str | None) -> dict[str, str]:
        """The query naming this email (plus ``changes``)."""
        params: dict[str, str | None] = {
            "locale": self.locale,
            "sample": self.sample.name,
            "draft": self.draft,
        }
        params.update(changes)
        return {k: v for k, v in params.items() if v}


def _select(request: Request, kind_name: str, query: Mapping[str, str]) -> Selection:
    preview = _preview(request)
    kind = _kind(kind_name)
    workbench = preview.workspace.workbench
    if workbench is None:
        raise _TemplatesBroken()
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
    return Selection(workbench, kind, sample, locale, token)


class _TemplatesBroken(Exception):
    """The templates folder does not load; pages show the problem instead."""


async def _compose(preview: Preview, selection: Selection) -> MessageView | Failed:
    outcome = await preview.run(preview.job("compose", selection.sample, selection.locale))
    if isinstance(outcome, Failed):
        return outcome
    assert isinstance(outcome.value, MessageView)
    return outcome.value


# --- pages ----------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    """Every trigger source, the email it sends, its samples in every locale."""
    preview = _preview(request)
    workbench = preview.workspace.workbench
    groups: list[dict[str, Any]] = []
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
    return preview.render(
        request,
        "index.html",
        status=500 if workbench is None else 200,
        title="Emails",
        live="templates findings" if preview.check and findings is None else "templates",
        groups=groups,
        locales=preview.workspace.locales,
        findings=findings or {},
        checking=preview.check and findings is None,
    )


async def email_page(request: Request) -> Response:
    """One email in one locale and sample, in one part, viewport and colour mode."""
    preview = _preview(request)
    viewer = _Viewer.of(request)
    try:
        selection = _select(request, request.path_params["kind"], request.query_params)
    except _TemplatesBroken:
        return preview.render(request, "error.html", status=500, title="Templates", message="")
    message: MessageView | None = None
    problem: Problem | None = None
    composed = await _compose(preview, selection)
    if isinstance(composed, Failed):
        problem = composed.problem
    else:
        message = composed
    if viewer.part == "eml" and message is not None:
        name = f"{selection.kind.value}-{selection.locale}-{selection.sample.name}.eml"
        return _eml_download(message.eml, name)
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
        title=f"{selection.kind.value} · {selection.locale} · {selection.sample.name}",
        live="templates",
        selection=selection,
        message=message,
        email_problem=problem,
        **viewer.context(link),
        locales=selection.workbench.catalogs.locales,
        samples=list(selection.workbench.samples[selection.kind]),
        triggers=triggers,
        frame_url=f"{base}/frame?{urlencode(selection.params(mode=viewer.mode))}",
        sample_json=json.dumps(dict(selection.sample.data), indent=2, ensure_ascii=False),
        findings=findings,
        clip=GMAIL_CLIP_BYTES,
        spam_url=f"{base}/spam-score?{urlencode(selection.params())}" if message else None,
        ses=preview.ses.status,
        form=selection.params(),
    )


async def spam_score(request: Request) -> Response:
    """The email's SpamAssassin score on its encoded bytes, as ``check`` scores it (JSON).

    Asked for by the page once it is shown: a first score takes a second or two of
    SpamAssassin, so it runs on a thread, never in a render worker or on the event loop."""
    from sendertools.spamscore import SpamScoreError, score_message

    preview = _preview(request)
    try:
        selection = _select(request, request.path_params["kind"], request.query_params)
    except _TemplatesBroken:
        return JSONResponse({"error": "the templates do not load; see the page"}, status_code=500)
    composed = await _compose(preview, selection)
    if isinstance(composed, Failed):
        return JSONResponse({"error": "the email does not render; see the page"}, status_code=500)
    try:
        score = await anyio.to_thread.run_sync(score_message, composed.eml)
    except SpamScoreError as err:
        # SpamAssassin not installed (or failing): said so beside the size, never a silent pass.
        return JSONResponse({"error": str(err)})
    return JSONResponse(score.to_dict(), headers={"cache-control": "no-store"})


async def email_frame(request: Request) -> Response:
    """The email's HTML part alone, for the sandboxed iframe."""
    preview = _preview(request)
    mode = _choice(request, "mode", frame.MODES)
    try:
        selection = _select(request, request.path_params["kind"], request.query_params)
    except _TemplatesBroken:
        return _frame_text("the templates do not load; see the page", 500, preview)
    message = await _compose(preview, selection)
    if isinstance(message, Failed):
        return _frame_text(message.text, 500, preview)
    return _frame_html(message.html, mode, preview)


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
    preview = _preview(request)
    try:
        selection = _select(request, request.path_params["kind"], request.query_params)
    except _TemplatesBroken:
        return JSONResponse({"error": {"message": "the templates do not load"}}, 409)
    try:
        data = await _sample_body(request)
        sample = sample_from_data(selection.kind, selection.sample.path, data)
    except (_Invalid, ConfigError) as err:
        return _invalid(str(err), preview)
    token = preview.drafts.add(Draft(selection.kind, selection.sample.name, data))
    drafted = Selection(selection.workbench, selection.kind, sample, selection.locale, token)
    message = await _compose(preview, drafted)
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
        }
    )


async def save_sample(request: Request) -> Response:
    """Write validated sample data to ``templates/<kind>/samples/<name>.json``."""
    preview = _preview(request)
    kind = _kind(request.path_params["kind"])
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


async def _form_selection(request: Request) -> tuple[Selection, Mapping[str, str]]:
    # The page's forms are small and urlencoded: parse them without a multipart library.
    body = await request.body()  # WriteGuard has read it already, within the limit
    fields = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return _select(request, request.path_params["kind"], fields), fields


async def send_local(request: Request) -> Response:
    """Send the email through the real handler on the embedded local AWS."""
    preview = _preview(request)
    try:
        selection, _ = await _form_selection(request)
    except _TemplatesBroken:
        return Response("the templates do not load", status_code=409)
    if not preview.settings.local_aws:
        return preview.render(
            request, "error.html", 503, title="Local AWS", message="the local AWS is turned off"
        )
    # The handler renders in this process: only an email that renders within the time limit
    # in a worker is handed to it.
    checked = await _compose(preview, selection)
    if isinstance(checked, Failed):
        return preview.render(
            request,
            "error.html",
            502,
            title="Not sent",
            message=f"not sent ({checked.reason}): {checked.text}",
        )
    try:
        entries = await anyio.to_thread.run_sync(
            preview.local.send, selection.sample, selection.locale
        )
    except (SenderError, LocalAwsUnavailable) as err:
        reason = getattr(err, "reason", "local_aws")
        return preview.render(
            request, "error.html", 502, title="Not sent", message=f"not sent ({reason}): {err}"
        )
    if not entries:
        return preview.render(
            request, "error.html", 502, title="Not sent", message="SES captured no message"
        )
    return RedirectResponse(f"/outbox/{entries[0].id}", status_code=303)


async def send_ses(request: Request) -> Response:
    """Send a test email through the developer's real SES (when enabled)."""
    preview = _preview(request)
    try:
        selection, fields = await _form_selection(request)
    except _TemplatesBroken:
        return Response("the templates do not load", status_code=409)
    recipient = fields.get("recipient", "").strip()
    try:
        sender = preview.ses.sender_for_send()
        check_recipient(recipient)
    except PermissionError as err:
        return preview.render(request, "error.html", 409, title="SES", message=str(err))
    except SenderError as err:
        return preview.render(
            request, "error.html", 502, title="Not sent", message=f"not sent ({err.reason}): {err}"
        )
    job = preview.job(
        "compose", selection.sample, selection.locale, sender=sender, recipient=recipient
    )
    composed = await preview.run(job)
    if isinstance(composed, Failed):
        return preview.render(
            request,
            "error.html",
            502,
            title="Not sent",
            message=f"not sent ({composed.reason}): {composed.text}",
        )
    assert isinstance(composed.value, MessageView)
    send = functools.partial(
        preview.ses.send, composed.value.eml, recipient=recipient, sample=selection.sample
    )
    try:
        message_id = await anyio.to_thread.run_sync(send)
    except PermissionError as err:
        return preview.render(request, "error.html", 409, title="SES", message=str(err))
    except SenderError as err:
        return preview.render(
            request, "error.html", 502, title="Not sent", message=f"not sent ({err.reason}): {err}"
        )
    back = f"/email/{selection.kind.value}?{urlencode(selection.params())}"
    return preview.render(
        request,
        "sent.html",
        title="Sent",
        message_id=message_id,
        recipient=recipient,
        back=back,
    )


async def outbox_index(request: Request) -> Response:
    """Every captured message, newest first."""
    preview = _preview(request)
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


def _entry(request: Request) -> tuple[str, MessageView]:
    preview = _preview(request)
    entry_id = request.path_params["entry"]
    try:
        entry = preview.outbox.get(entry_id)
    except KeyError as err:
        known = [e.id for e in preview.outbox.entries()[:5]]
        raise HTTPException(404, f"{err.args[0]}; newest: {', '.join(known) or 'none'}") from None
    return entry.id, from_message(entry.message(), entry.eml.read_bytes())


async def outbox_page(request: Request) -> Response:
    """A captured message, openable like any preview."""
    preview = _preview(request)
    viewer = _Viewer.of(request)
    entry_id, message = _entry(request)
    if viewer.part == "eml":
        return _eml_download(message.eml, f"{entry_id}.eml")

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


async def outbox_frame(request: Request) -> Response:
    """A captured message's HTML part, for the sandboxed iframe."""
    mode = _choice(request, "mode", frame.MODES)
    _id, message = _entry(request)
    return _frame_html(message.html, mode, _preview(request))


async def events(request: Request) -> Response:
    """The live-update stream (Server-Sent Events)."""
    preview = _preview(request)
    since = {t: request.query_params[t] for t in TOPICS if t in request.query_params}
    return StreamingResponse(
        preview.broker.stream(since, preview.settings.stream_lifetime),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def health(request: Request) -> Response:
    """Machine-readable state: versions, template problem, local AWS, SES."""
    preview = _preview(request)
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
    status = _preview(request).ses.status
    return JSONResponse({"enabled": status.enabled, "reason": status.reason})
