"""Fixtures for the template tests: a disposable copy of the shipped templates folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR


@pytest.fixture
def templates_copy(tmp_path: Path) -> Path:
    """A copy of templates/ (compiled catalogs included, mtimes kept) to break on purpose."""
    target = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, target)
    return target
