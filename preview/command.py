"""Preview every email in every locale, live, as the Lambda renders it (a local web server)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path
from types import FrameType

from sendertools.commands import add_templates_option
from sendertools.outbox import DEFAULT_OUTBOX

DEFAULT_RENDER_TIMEOUT = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument("--port", type=int, default=8025, help="port (default 8025)")
    parser.add_argument("--open", action="store_true", help="open the preview in a web browser")
    # The preview names a missing folder on its page and compiles stale catalogs itself.
    add_templates_option(parser, needs="nothing")
    parser.add_argument(
        "--outbox",
        type=Path,
        default=DEFAULT_OUTBOX,
        metavar="DIR",
        help=f"folder of locally sent messages, shared with simulate (default {DEFAULT_OUTBOX})",
    )
    parser.add_argument(
        "--ses-from",
        default=os.environ.get("EMAIL_FROM"),
        metavar="ADDRESS",
        help="verified SES sender for real test emails (default: $EMAIL_FROM)",
    )
    parser.add_argument(
        "--no-ses", action="store_true", help="do not look for AWS credentials (no real SES sends)"
    )
    parser.add_argument(
        "--no-local-aws",
        action="store_true",
        help="do not start the embedded local AWS (moto_server); disables the local outbox button",
    )
    parser.add_argument(
        "--remote-images",
        action="store_true",
        help="let the email frame load https images (by default nothing leaves this machine)",
    )
    parser.add_argument(
        "--render-timeout",
        type=_seconds,
        default=DEFAULT_RENDER_TIMEOUT,
        metavar="SECONDS",
        help=f"stop a render that takes longer (default {DEFAULT_RENDER_TIMEOUT:g})",
    )


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 < seconds <= 600:
        raise argparse.ArgumentTypeError(f"{value!r}: give a number of seconds from 0 to 600")
    return seconds


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    if not args.templates.is_dir():
        print(
            f"cognito-sender preview: --templates {args.templates} is not a folder", file=sys.stderr
        )
        return 2
    import uvicorn

    from preview.app import Settings, create_app

    settings = Settings(
        templates_dir=args.templates,
        outbox_dir=args.outbox,
        host=args.host,
        local_aws=not args.no_local_aws,
        ses_sender=args.ses_from or None,
        ses_check=not args.no_ses,
        remote_images=args.remote_images,
        render_timeout=args.render_timeout,
    )
    app = create_app(settings)
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown_host}:{args.port}/"

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await app.state.preview.stopping()
            await super().shutdown(sockets)

    server = Server(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level="warning",
            timeout_graceful_shutdown=2,
            lifespan="on",
        )
    )
    threading.Thread(target=_announce, args=(server, url, args.open), daemon=True).start()
    # Ctrl-C and SIGTERM: uvicorn has already shut down cleanly (render workers and
    # moto_server included) when it raises the signal again, for the handler in place before.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with contextlib.suppress(KeyboardInterrupt, _Terminated):
            server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0 if server.started else 1


class _Terminated(Exception):
    """SIGTERM arrived (after uvicorn's clean shutdown)."""


def _terminated(_signum: int, _frame: FrameType | None) -> None:
    raise _Terminated


def _announce(server: object, url: str, open_browser: bool) -> None:
    deadline = time.monotonic() + 60
    while not getattr(server, "started", False):
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)
    print(f"preview: {url}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        webbrowser.open(url)
