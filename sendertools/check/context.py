"""What the rules read: one rendered email (``EmailContext``) or the whole templates folder
(``FolderContext``), each fact computed once however many rules read it."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from sender.brand import BASE, Brand
from sender.event import EmailKind
from sender.i18n import DOMAIN, SOURCE_LOCALE, LocaleInfo
from sender.mime import to_bytes
from sender.model import build_model
from sender.render import LITERAL_FIELDS, RenderedEmail
from sendertools.check.finding import Finding, Severity
from sendertools.samples import FALLBACK_RECIPIENT, Workbench

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

# (locale, msgid) -> (catalog file, template files using the msgid): every string a template
# uses that a locale's catalog does not translate (``missing_translations``).
Untranslated = Mapping[tuple[str, str], tuple[str, frozenset[str]]]


@dataclass(frozen=True)
class FolderContext:
    """A templates folder, for the rules that hold across its emails."""

    workbench: Workbench
    untranslated: Untranslated

    @classmethod
    def of(cls, workbench: Workbench) -> FolderContext:
        """The folder's context, its translations read."""
        return cls(workbench, missing_translations(workbench))

    @cached_property
    def own_colors(self) -> Mapping[str, frozenset[str]]:
        """Brand name -> the colour keys its own file sets (the rest come from brand.toml)."""
        own = {BASE: frozenset(self.workbench.brand.values.get("colors", {}))}
        for name in self.workbench.brands:
            if name != BASE:
                data = tomllib.loads(
                    (self.workbench.templates_dir / brand_file(name)).read_text("utf-8")
                )
                own[name] = frozenset(data.get("colors", {}))
        return own


def brand_file(name: str) -> str:
    """A brand's own file, relative to the templates folder."""
    return "brand.toml" if name == BASE else f"brands/{name}.toml"


@dataclass(frozen=True)
class EmailContext:
    """One email rendered through the real pipeline, and the facts the rules read of it."""

    workbench: Workbench
    kind: EmailKind
    locale: str
    sample: str
    brand: str  # the brand's name
    email: RenderedEmail
    raw: bytes  # the encoded MIME message, as SES receives it
    model: Mapping[str, Any]  # what the templates were rendered with
    untranslated: Untranslated

    @classmethod
    def render(
        cls,
        workbench: Workbench,
        kind: EmailKind,
        locale: str,
        sample: str,
        untranslated: Untranslated | None = None,
        brand: str | None = None,
    ) -> EmailContext:
        """Render a sample in a locale and ``brand`` (by default the brand the Lambda would
        choose for it), raising what the pipeline raises when it cannot; the translations are
        read once it rendered, unless ``untranslated`` is given."""
        smp = workbench.sample(kind, sample)
        name = brand or workbench.brand_of(smp)
        composed = workbench.compose(smp, locale, brand=name)
        if untranslated is None:
            untranslated = missing_translations(workbench)
        event = smp.event()
        recipient = event.user_attributes.get("email", FALLBACK_RECIPIENT)
        settings = workbench.brand_named(name)
        model = build_model(event, smp.secret(), recipient, settings, LocaleInfo(locale))
        raw = to_bytes(composed.message)
        return cls(workbench, kind, locale, sample, name, composed.email, raw, model, untranslated)

    @property
    def settings(self) -> Brand:
        """The settings of the email's brand."""
        return self.workbench.brand_named(self.brand)

    @property
    def folder(self) -> str:
        """The kind's folder, relative to the templates folder."""
        return self.kind.value

    @cached_property
    def page(self) -> Page:
        """The HTML part, parsed."""
        return Page.parse(self.email.html)

    @cached_property
    def values(self) -> tuple[str, ...]:
        """The non-empty strings of the model that come from the event (the sample), not from
        the templates or the brand."""
        return tuple(v for v in per_recipient_values(self.model) if v)

    def finding(self, severity: Severity, rule: str, file: str, message: str) -> Finding:
        """A finding in this email."""
        where = (self.kind.value, self.locale, self.sample, self.brand)
        return Finding(severity, rule, file, message, *where)


def per_recipient_values(value: Any, path: str = "") -> Iterator[str]:
    """The strings of a model that come from the event, not from the templates or brand."""
    if path in LITERAL_FIELDS:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from per_recipient_values(v, f"{path}.{k}" if path else k)
    elif isinstance(value, str):
        yield value


def missing_translations(wb: Workbench) -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    """``(locale, msgid) -> (catalog file, template files using it)`` for every string a
    template uses that a locale's catalog does not translate (missing, empty or fuzzy)."""
    from babel.messages.extract import extract_from_dir

    used: dict[str, set[str]] = {}
    method_map = [("**.mjml", "jinja2"), ("**.txt", "jinja2")]
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    options_map = {"**.mjml": options, "**.txt": options}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(wb.templates_dir), method_map, options_map
    ):
        msgid = message if isinstance(message, str) else message[0]
        used.setdefault(msgid, set()).add(filename.replace("\\", "/"))
    missing: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
    for locale, rel, catalog in translated_catalogs(wb):
        for msgid, files in used.items():
            entry = catalog.get(msgid)
            strings = entry.string if entry is not None else ""
            done = all(strings) if isinstance(strings, tuple | list) else bool(strings)
            if entry is None or entry.fuzzy or not done:
                missing[(locale, msgid)] = (rel, frozenset(files))
    return missing


def translated_catalogs(wb: Workbench) -> Iterator[tuple[str, str, Catalog]]:
    """``(locale, catalog file, catalog)`` for every locale but the source one."""
    from babel.messages.pofile import read_po

    for locale in wb.catalogs.locales:
        if locale == SOURCE_LOCALE:
            continue
        rel = f"locales/{locale.replace('-', '_')}/LC_MESSAGES/{DOMAIN}.po"
        with (wb.templates_dir / rel).open("rb") as fh:
            catalog = read_po(fh, locale=locale.replace("-", "_"))
        yield locale, rel, catalog


class Page(HTMLParser):
    """The few facts the rules need from an HTML part."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.dir: str | None = None
        self.links: list[str] = []
        self.images_without_alt: list[str] = []

    @classmethod
    def parse(cls, source: str) -> Page:
        """The facts of one HTML document."""
        page = cls()
        page.feed(source)
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang, self.dir = values.get("lang"), values.get("dir")
        elif tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        elif tag == "img" and "alt" not in values:
            self.images_without_alt.append(str(values.get("src")))
