"""The preview's settings and the services its routes share, started and stopped with the server.

Every email is rendered in a render worker process (``preview.rendering``) with a time limit,
never on the event loop: a template that never finishes costs one worker, not the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import secrets
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from preview.drafts import Drafts
from preview.findings import CHECK_MODULE, Finding, IndexFindings, load_check
from preview.live import Broker
from preview.localoutbox import LocalOutbox
from preview.middleware import TOKEN_FIELD
from preview.realses import RealSes, SesStatus
from preview.rendering import RenderPool, findings_of
from preview.renderworker import Failed, Job, Rendered
from preview.workspace import Workspace, watch
from sendertools.outbox import DEFAULT_OUTBOX, Outbox
from sendertools.samples import Sample

HERE = Path(__file__).parent
MAX_BODY_BYTES = 256 * 1024
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
        brand: str | None = None,
    ) -> Job:
        """A render worker's job for ``sample`` in ``locale`` on the current templates (in
        ``brand``, else the brand the Lambda would choose for the sample)."""
        return Job(
            op,
            self.workspace.generation if generation is None else generation,
            sample.kind.value,
            sample.name,
            str(sample.path),
            dict(sample.data),
            locale,
            sender=sender,
            recipient=recipient,
            limit=self.settings.render_timeout,
            brand=brand,
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

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """Watch the folders and start the workers, the check, the local AWS and the SES check
        with the server; stop them with it."""
        settings = self.settings
        loop = asyncio.get_running_loop()
        self.broker.attach(loop)
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        if settings.watch:
            folders = {
                self.workspace.templates_dir: self.templates_changed,
                settings.outbox_dir: self.outbox_changed,
            }
            tasks.append(asyncio.create_task(watch(folders, stop)))
        self.pool.start()
        self.check_everything()
        if settings.local_aws:
            self.local.start()
        if settings.ses_check:
            threading.Thread(target=self._check_ses, daemon=True).start()
        try:
            yield
        finally:
            stop.set()
            # First the workers: a render still running ends now, and so does its thread.
            await anyio.to_thread.run_sync(self.pool.stop)
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=5)
            await anyio.to_thread.run_sync(self.local.stop)

    def _check_ses(self) -> None:
        self.ses.check()
        self.broker.publish_threadsafe("ses")

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
