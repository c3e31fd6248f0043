"""The preview's Starlette application, assembled: every route and the middleware in order.

The rooms: ``service`` (settings, the shared services, their start and stop), ``middleware``
(security headers, the write guard), ``lookups`` (what a URL names), ``views`` (HTML pages),
``api`` (what the pages' script and forms ask for), ``downloads`` (the frame and the ``.eml``).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from preview import api, downloads, views
from preview.middleware import SecurityHeaders, WriteGuard
from preview.service import HERE, Preview, Settings


def create_app(settings: Settings) -> Starlette:
    """The ASGI application for ``settings``."""
    preview = Preview(settings)
    routes = [
        Route("/", views.index),
        Route("/email/{kind}", views.email_page),
        Route("/email/{kind}/frame", downloads.email_frame),
        Route("/email/{kind}/spam-score", api.spam_score),
        Route("/email/{kind}/draft", api.email_draft, methods=["POST"]),
        Route("/email/{kind}/samples/{name}", api.save_sample, methods=["POST"]),
        Route("/email/{kind}/send-local", api.send_local, methods=["POST"]),
        Route("/email/{kind}/send-ses", api.send_ses, methods=["POST"]),
        Route("/outbox", views.outbox_index),
        Route("/outbox/{entry}", views.outbox_page),
        Route("/outbox/{entry}/frame", downloads.outbox_frame),
        Route("/events", api.events),
        Route("/health", api.health),
        Route("/ses/status", api.ses_status),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    everywhere = settings.host in ("0.0.0.0", "::")  # noqa: S104 - asked for explicitly
    hosts = ["*"] if everywhere else [*settings.allowed_hosts, settings.host]
    app = Starlette(
        routes=routes,
        lifespan=preview.lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
            Middleware(WriteGuard, token=preview.token, max_body=settings.max_body),
        ],
        exception_handlers={HTTPException: views.http_error},
    )
    app.state.preview = preview
    return app
