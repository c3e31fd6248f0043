"""Catalogs are recompiled with Babel when their .po changes."""

from __future__ import annotations

import gettext
import os

import pytest
from babel.messages.pofile import read_po

from preview.catalogs import CatalogError, compile_stale
from tests.preview.conftest import mark_translations


def _po(templates):
    return next((templates / "locales").glob("*/LC_MESSAGES/messages.po"))


def test_only_stale_catalogs_are_compiled(templates):
    assert compile_stale(templates) == []
    po = _po(templates)
    mo = po.with_suffix(".mo")
    later = mo.stat().st_mtime + 5
    os.utime(po, (later, later))
    assert compile_stale(templates) == [mo]
    assert mo.stat().st_mtime >= po.stat().st_mtime


def test_an_edited_translation_reaches_the_compiled_catalog(templates):
    po = _po(templates)
    with po.open("rb") as fh:
        msgid = next(m.id for m in read_po(fh) if isinstance(m.id, str) and m.id and m.string)
    mark_translations(po, "NEU ")
    assert compile_stale(templates) == [po.with_suffix(".mo")]
    with po.with_suffix(".mo").open("rb") as fh:
        assert gettext.GNUTranslations(fh).gettext(msgid).startswith("NEU ")


def test_a_broken_catalog_names_its_file(templates):
    po = _po(templates)
    po.write_text('msgid "a"\nmsgstr "b\n\nmsgid', encoding="utf-8")
    mo = po.with_suffix(".mo")
    os.utime(po, (mo.stat().st_mtime + 5, mo.stat().st_mtime + 5))
    with pytest.raises(CatalogError, match=r"messages\.po"):
        compile_stale(templates)
