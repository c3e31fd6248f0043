"""Locales: which ones exist, which one an event gets, and their gettext catalogs.

Catalogs are ``templates/locales/<lang>/LC_MESSAGES/messages.po``, compiled to ``.mo`` by the
set-up (``make translations``); the runtime reads the ``.mo`` files with the standard
``gettext`` module. A string missing from a catalog falls back to its English source.
Catalogs are checked at start but parsed when first rendered with: a Lambda whose emails
all come from prebuilt skeletons (``sender.skeletons``) never needs them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sender.errors import ConfigError

if TYPE_CHECKING:
    import gettext

SOURCE_LOCALE = "en"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
DOMAIN = "messages"
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?$")
# As ``pybabel init -l`` names them; ``match`` only ever finds a folder named this way.
_FOLDER = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")


class LocaleInfo(NamedTuple):
    """What the templates need to know about a locale."""

    code: str
    """The catalog's code, e.g. ``de`` or ``pt-BR``."""

    @property
    def language(self) -> str:
        """The language part, e.g. ``de``."""
        return self.code.split("-")[0]

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``, for ``<html dir>`` and the layout."""
        return "rtl" if self.language in RTL_LANGUAGES else "ltr"


class Catalogs:
    """The compiled catalogs of one templates folder, loaded once."""

    def __init__(self, templates_dir: Path) -> None:
        self.root = templates_dir / "locales"
        self._files: dict[str, Path | None] = {SOURCE_LOCALE: None}
        self._translations: dict[str, gettext.NullTranslations] = {}
        if self.root.is_dir():
            for folder in sorted(self.root.iterdir()):
                if folder.is_dir() and not _FOLDER.fullmatch(folder.name):
                    raise ConfigError(
                        f"{folder}: {folder.name!r} is not a locale folder name; expected a "
                        "language code such as 'de' or language_REGION such as 'pt_BR'"
                    )
            for po in sorted(self.root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
                code = po.parent.parent.name.replace("_", "-")
                mo = po.with_suffix(".mo")
                if not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime:
                    raise ConfigError(
                        f"{mo} is missing or older than its .po: run 'make translations'"
                    )
                self._files[code] = mo

    @property
    def locales(self) -> tuple[str, ...]:
        """Every locale with a catalog, the source locale first."""
        return (SOURCE_LOCALE, *sorted(k for k in self._files if k != SOURCE_LOCALE))

    def translations(self, locale: str) -> gettext.NullTranslations:
        """The catalog of a supported locale (``KeyError`` for another), parsed once."""
        found = self._translations.get(locale)
        if found is None:
            found = _read(self._files[locale])
            self._translations[locale] = found
        return found

    def match(self, tag: str | None) -> str | None:
        """The supported locale for a tag such as ``de-DE`` or ``de_de``, or ``None``."""
        if not tag:
            return None
        m = _TAG.match(tag.strip())
        if not m:
            return None
        language = m.group(1).lower()
        region = m.group(2)
        if region:
            full = f"{language}-{region.upper()}"
            if full in self._files:
                return full
        return language if language in self._files else None

    def resolve(
        self,
        metadata: Mapping[str, str],
        attributes: Mapping[str, str],
        default: str,
    ) -> LocaleInfo:
        """Pick the email's locale: client metadata, then the user's attribute, then default."""
        for candidate in (metadata.get("locale"), attributes.get("locale"), default):
            found = self.match(candidate)
            if found:
                return LocaleInfo(found)
        return LocaleInfo(SOURCE_LOCALE)


def _read(mo: Path | None) -> gettext.NullTranslations:
    import gettext  # only when a skeleton is rendered

    if mo is None:
        return gettext.NullTranslations()
    try:
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise ConfigError(f"{mo}: not a readable catalog: {err}") from err
