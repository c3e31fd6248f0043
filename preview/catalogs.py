"""Compile changed gettext catalogs (``.po`` -> ``.mo``) with Babel, as ``make compile`` does."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


class CatalogError(ValueError):
    """A ``.po`` file could not be read; the message names it."""


def compile_stale(templates_dir: Path) -> list[Path]:
    """Compile every catalog whose ``.mo`` is missing or older than its ``.po``."""
    compiled: list[Path] = []
    for po in sorted((templates_dir / "locales").glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=po.parent.parent.name, abort_invalid=True)
        except Exception as err:  # Babel raises several unrelated types for bad input.
            raise CatalogError(f"{po}: {err}") from err
        # Same as `pybabel compile --use-fuzzy`: write next to the .po, atomically.
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=True)
        tmp.replace(mo)
        # Never older than its source, even when the .po carries a future time stamp.
        stamp = max(mo.stat().st_mtime, po.stat().st_mtime)
        os.utime(mo, (stamp, stamp))
        compiled.append(mo)
    return compiled
