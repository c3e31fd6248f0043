"""Fixtures for the preview: a private copy of the templates and a test client on it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from preview.app import Settings, create_app
from preview.catalogs import compile_stale

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of the project's templates, free to edit, catalogs compiled."""
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES, copy, ignore=shutil.ignore_patterns("*.mo"))
    compile_stale(copy)
    return copy


@pytest.fixture
def settings(templates: Path, tmp_path: Path) -> Settings:
    """A preview without background work: no watcher, no moto_server, no AWS look-up; one
    render worker."""
    return Settings(
        templates_dir=templates,
        outbox_dir=tmp_path / "outbox",
        local_aws=False,
        ses_check=False,
        watch=False,
        stream_lifetime=0.5,
        render_workers=1,
    )


def page_client(app: Starlette, base_url: str = "http://127.0.0.1") -> TestClient:
    """A client speaking to ``app`` as the preview's own pages in a browser do: same-origin
    ``Origin`` and the page's token on every request (use it as a context manager)."""
    return TestClient(
        app,
        base_url=base_url,
        headers={"origin": base_url, "x-preview-token": app.state.preview.token},
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client speaking to the app as a browser on this machine would."""
    with page_client(create_app(settings), "http://127.0.0.1:8025") as test_client:
        yield test_client


def composed(templates: Path, kind: str, locale: str, sample: str = "default"):
    """What the Lambda's compose stage makes of a sample: the expected values of a test."""
    from sender.event import EmailKind
    from sendertools.samples import Workbench

    workbench = Workbench(templates)
    return workbench.compose(workbench.sample(EmailKind(kind), sample), locale)


def sample_data(templates: Path, kind: str, sample: str = "default") -> dict:
    """A sample file's JSON."""
    import json

    return json.loads((templates / kind / "samples" / f"{sample}.json").read_text("utf-8"))


def mark_translations(po: Path, marker: str) -> None:
    """Prefix every translation in a catalog with ``marker`` (and date the .po after its .mo)."""
    import os

    from babel.messages.pofile import read_po, write_po

    with po.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if message.id and message.string:
            if isinstance(message.string, str):
                message.string = marker + message.string
            else:
                message.string = tuple(marker + s for s in message.string)
    with po.open("wb") as fh:
        write_po(fh, catalog)
    mo = po.with_suffix(".mo")
    if mo.exists():
        later = max(mo.stat().st_mtime, po.stat().st_mtime) + 2
        os.utime(po, (later, later))
