"""Compile changed gettext catalogs (``.po`` -> ``.mo``) before the preview renders, with the
tools' own compiler."""

from __future__ import annotations

from pathlib import Path

from sendertools.commands import TemplatesError, compile_catalogs, stale_catalogs


class CatalogError(ValueError):
    """A ``.po`` file could not be read; the message names it."""


def compile_stale(templates_dir: Path) -> list[Path]:
    """Compile every catalog whose ``.mo`` is missing or older than its ``.po``."""
    try:
        return compile_catalogs(templates_dir, only=stale_catalogs(templates_dir))
    except TemplatesError as err:
        raise CatalogError(str(err)) from err
