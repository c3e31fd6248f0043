"""Fixtures for the preview: a private copy of the templates and a test client on it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
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
    """A preview without background work: no watcher, no moto_server, no AWS look-up."""
    return Settings(
        templates_dir=templates,
        outbox_dir=tmp_path / "outbox",
        local_aws=False,
        ses_check=False,
        watch=False,
        stream_lifetime=0.5,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client speaking to the app as a browser on this machine would."""
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8025") as test_client:
        yield test_client
