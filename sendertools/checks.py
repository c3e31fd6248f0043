"""The template check: every email kind × locale × sample, rendered through the real pipeline
(MIME included), held against the rules an email must meet before it ships.

Two entry points, both returning a list of ``Finding``:

- ``check_email(workbench, kind, locale, sample)``: one email, for the preview's badges;
- ``check_all(templates_dir)``: everything, for ``cognito-sender check`` and CI.

A finding names its severity (``error`` fails the check, ``warning`` does not), a stable
``rule`` id, the file to look at (relative to the templates folder) and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from markupsafe import escape

from sender.errors import RenderError, SenderError
from sender.event import EmailKind
from sender.i18n import DOMAIN, SOURCE_LOCALE, LocaleInfo
from sender.mime import to_bytes
from sender.model import build_model
from sender.render import LITERAL_FIELDS, PARTS, kinds_in
from sender.templating import undecodable_templates
from sendertools.samples import FALLBACK_RECIPIENT, Workbench
from sendertools.spamscore import SpamBatch

Severity = Literal["error", "warning"]

# Gmail clips a message whose encoded source is over ~102 KB; warn well before.
CLIP_BYTES = 102 * 1024
WARN_BYTES = 80 * 1024
MAX_LINE = 998  # RFC 5322, without the CRLF
MAX_SUBJECT = 78
LEFTOVERS = ("<mj-", "</mj-", "{{", "{%", "{#")
_RENDER_RULES = {
    "template_syntax": "template_syntax",
    "template_undefined": "undefined_variable",
    "template_missing": "template_missing",
    "mjml_error": "mjml_error",
    "css_error": "mjml_error",
}
_FILE_IN_MESSAGE = re.compile(r"^([\w./-]+\.(?:mjml|txt|html))[:\s]")
# Markup in a catalog string. Translations are text (the HTML part escapes them), so no markup
# is allowed at all: it would be shown as code, and in a catalog it is the sign of a mistake or
# of tampering (a <script>, a 1x1 tracking <img>, a <form>, a CSS url(), an on*= handler, a
# javascript: link). Character references count too: escaped, they would show as typed.
_CATALOG_MARKUP = re.compile(
    r"<\s*/?\s*[A-Za-z!?][^<>]{0,200}>?"
    r"|\burl\s*\("
    r"|\bexpression\s*\("
    r"|\bon[a-z]+\s*="
    r"|\b(?:java|vb)script\s*:"
    r"|&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);",
    re.I,
)


@dataclass(frozen=True)
class Finding:
    """One broken rule, where it was found and why."""

    severity: Severity
    rule: str
    file: str
    message: str
    kind: str | None = None
    locale: str | None = None
    sample: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return asdict(self)


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding fails the check."""
    return any(f.severity == "error" for f in findings)


def check_all(templates_dir: Path, *, spam: SpamBatch | None = None) -> list[Finding]:
    """Every rule over every kind × locale × sample of a templates folder; with ``spam``, every
    email's spam score too (``sendertools.spamscore``: one batch, scored at the end)."""
    try:
        wb = Workbench(templates_dir)
    except SenderError as err:
        return [Finding("error", "setup", "brand.toml or locales", str(err))]
    # Every other rule reads these files, and message extraction fails without naming one.
    unreadable = [
        Finding("error", "encoding", f, why) for f, why in undecodable_templates(templates_dir)
    ]
    if unreadable:
        return unreadable
    findings = list(structure(wb))
    untranslated = missing_translations(wb)
    findings += [
        Finding("error", "untranslated", po, f"no {locale} translation for {msgid!r}", None, locale)
        for (locale, msgid), (po, _) in sorted(untranslated.items())
    ]
    findings += list(catalog_markup(wb))
    for kind in kinds_in(templates_dir):
        for name in wb.samples.get(kind, {}):
            for locale in wb.catalogs.locales:
                found = check_email(wb, kind, locale, name, untranslated=untranslated, spam=spam)
                findings += [f for f in found if f.rule != "untranslated"]
    if spam is not None:
        findings += spam.findings()
    return findings


def check_email(
    wb: Workbench,
    kind: EmailKind,
    locale: str,
    sample: str,
    *,
    untranslated: Mapping[tuple[str, str], tuple[str, frozenset[str]]] | None = None,
    spam: SpamBatch | None = None,
) -> list[Finding]:
    """Every rule over one email; a render failure is one finding, not an exception. With
    ``spam``, the encoded message is queued there for its spam score."""
    where = {"kind": kind.value, "locale": locale, "sample": sample}
    folder = kind.value

    def finding(severity: Severity, rule: str, file: str, message: str) -> Finding:
        return Finding(severity, rule, file, message, **where)

    try:
        smp = wb.sample(kind, sample)
        composed = wb.compose(smp, locale)
    except RenderError as err:
        match = _FILE_IN_MESSAGE.match(str(err))
        file = match.group(1) if match else folder
        return [finding("error", _RENDER_RULES.get(err.reason, "render_error"), file, str(err))]
    except (SenderError, KeyError, ValueError) as err:
        return [finding("error", "render_error", folder, str(err))]
    email = composed.email
    event = smp.event()
    recipient = event.user_attributes.get("email", FALLBACK_RECIPIENT)
    model = build_model(event, smp.secret(), recipient, wb.brand, LocaleInfo(locale))
    values = [v for v in per_recipient_values(model) if v]
    out: list[Finding] = []

    raw = to_bytes(composed.message)
    if spam is not None:
        spam.add(kind.value, locale, sample, raw)
    size = len(raw)
    if size > CLIP_BYTES:
        out.append(
            finding(
                "error", "mime_size", folder, f"{size} bytes encoded: Gmail clips over {CLIP_BYTES}"
            )
        )
    elif size > WARN_BYTES:
        out.append(
            finding(
                "warning",
                "mime_size",
                folder,
                f"{size} bytes encoded: close to Gmail's clip at {CLIP_BYTES}",
            )
        )
    out += [finding("error", "mime_line", folder, m) for m in long_lines(raw)]

    parts = {
        f"{folder}/body.mjml": _without(email.html, [str(escape(v)) for v in values] + values),
        f"{folder}/body.txt": _without(email.text, values),
        f"{folder}/subject.txt": _without(email.subject, values),
        f"{folder}/preheader.txt": _without(email.preheader, values),
    }
    for file, content in parts.items():
        for marker in LEFTOVERS:
            if marker in content:
                out.append(
                    finding(
                        "error", "leftover", file, f"template syntax {marker!r} left in the output"
                    )
                )

    page = _Page.parse(email.html)
    html_file = f"{folder}/body.mjml"
    if page.lang != locale:
        out.append(
            finding("error", "lang", html_file, f"<html lang={page.lang!r}>, expected {locale!r}")
        )
    expected_dir = LocaleInfo(locale).direction
    if page.dir != expected_dir:
        out.append(
            finding(
                "error", "lang", html_file, f"<html dir={page.dir!r}>, expected {expected_dir!r}"
            )
        )
    for src in page.images_without_alt:
        out.append(finding("error", "img_alt", html_file, f"<img src={src!r}> has no alt text"))
    allowed = set(wb.brand.allowed_origins) | {_origin(str(wb.brand.values["website_url"]))}
    alert = model.get("alert") or {}
    allowed |= {_origin(u) for u in (alert.get("link_was_me"), alert.get("link_not_me")) if u}
    text_file = f"{folder}/body.txt"
    for link in page.links:
        scheme = urlsplit(link).scheme.lower()
        if scheme == "http":
            out.append(finding("error", "http_link", html_file, f"{link!r} is not https"))
            continue
        if scheme == "mailto":
            address = link[len("mailto:") :]
            if address not in email.text:
                out.append(
                    finding(
                        "error",
                        "text_missing_link",
                        text_file,
                        f"{address!r} is in the HTML part only",
                    )
                )
            continue
        if scheme == "https" and _origin(link) not in allowed:
            out.append(
                finding(
                    "error",
                    "link_origin",
                    html_file,
                    f"{link!r} is not on an allowed origin {sorted(allowed)}",
                )
            )
        if link not in email.text:
            out.append(
                finding(
                    "error", "text_missing_link", text_file, f"{link!r} is in the HTML part only"
                )
            )
    for key in ("code", "temporary_password"):
        code = model.get(key)
        if code and str(escape(code)) in email.html and code not in email.text:
            out.append(
                finding(
                    "error",
                    "text_missing_code",
                    text_file,
                    f"the {key.replace('_', ' ')} is in the HTML part only",
                )
            )
        elif code and code not in email.text:
            out.append(
                finding(
                    "error",
                    "code_missing",
                    folder,
                    f"the {key.replace('_', ' ')} is in neither part",
                )
            )

    if len(email.subject) > MAX_SUBJECT:
        out.append(
            finding(
                "warning",
                "subject_length",
                f"{folder}/subject.txt",
                f"subject is {len(email.subject)} characters (> {MAX_SUBJECT})",
            )
        )
    if not email.preheader:
        out.append(
            finding("warning", "preheader", f"{folder}/preheader.txt", "the preheader is empty")
        )

    if untranslated is None:
        untranslated = missing_translations(wb)
    used = {f"{folder}/{p}" for p in PARTS}
    for (loc, msgid), (po, files) in sorted(untranslated.items()):
        if loc == locale and (files & used or any(f.startswith("layout/") for f in files)):
            out.append(
                finding(
                    "error",
                    "untranslated",
                    po,
                    f"no {locale} translation for {msgid!r}: English is sent",
                )
            )
    return out


def structure(wb: Workbench) -> Iterator[Finding]:
    """Every kind has every part and at least one sample; so every locale has every kind."""
    for kind in EmailKind:
        for part in PARTS:
            if not (wb.templates_dir / kind.value / part).is_file():
                yield Finding(
                    "error", "kind_incomplete", f"{kind.value}/{part}", "missing", kind.value
                )
        if not wb.samples.get(kind):
            yield Finding(
                "error", "no_samples", f"{kind.value}/samples", "no sample scenario", kind.value
            )


def missing_translations(wb: Workbench) -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    """``(locale, msgid) -> (catalog file, template files using it)`` for every string a
    template uses that a locale's catalog does not translate (missing, empty or fuzzy)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    used: dict[str, set[str]] = {}
    root = wb.templates_dir
    method_map = [("**.mjml", "jinja2"), ("**.txt", "jinja2")]
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    options_map = {"**.mjml": options, "**.txt": options}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map
    ):
        msgid = message if isinstance(message, str) else message[0]
        used.setdefault(msgid, set()).add(filename.replace("\\", "/"))
    missing: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
    for locale in wb.catalogs.locales:
        if locale == SOURCE_LOCALE:
            continue
        rel = f"locales/{locale.replace('-', '_')}/LC_MESSAGES/{DOMAIN}.po"
        with (root / rel).open("rb") as fh:
            catalog = read_po(fh, locale=locale.replace("-", "_"))
        for msgid, files in used.items():
            entry = catalog.get(msgid)
            strings = entry.string if entry is not None else ""
            done = all(strings) if isinstance(strings, tuple | list) else bool(strings)
            if entry is None or entry.fuzzy or not done:
                missing[(locale, msgid)] = (rel, frozenset(files))
    return missing


def catalog_markup(wb: Workbench) -> Iterator[Finding]:
    """An error for every piece of markup in a catalog's strings (msgid or msgstr, plural
    forms and fuzzy entries included: fuzzy ones are compiled too), naming the catalog, the
    msgid and the markup."""
    from babel.messages.pofile import read_po

    for locale in wb.catalogs.locales:
        if locale == SOURCE_LOCALE:
            continue
        rel = f"locales/{locale.replace('-', '_')}/LC_MESSAGES/{DOMAIN}.po"
        with (wb.templates_dir / rel).open("rb") as fh:
            catalog = read_po(fh, locale=locale.replace("-", "_"))
        for entry in catalog:
            if not entry.id:
                continue  # the header
            msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
            ids = (entry.id,) if isinstance(entry.id, str) else tuple(entry.id)
            value = entry.string or ""
            strings = (value,) if isinstance(value, str) else tuple(value)
            for field, texts in (("msgid", ids), ("msgstr", strings)):
                found = sorted({m.group(0) for t in texts for m in _CATALOG_MARKUP.finditer(t)})
                if found:
                    yield Finding(
                        "error",
                        "catalog_markup",
                        rel,
                        f"{msgid!r}: the {field} holds markup {', '.join(map(repr, found))}; "
                        "translations are text, escaped in the HTML part: write words only, "
                        "links and emphasis belong in the templates",
                        None,
                        locale,
                    )


def per_recipient_values(value: Any, path: str = "") -> Iterator[str]:
    """The strings of a model that come from the event, not from the templates or brand."""
    if path in LITERAL_FIELDS:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from per_recipient_values(v, f"{path}.{k}" if path else k)
    elif isinstance(value, str):
        yield value


def long_lines(raw: bytes) -> list[str]:
    """A message for each line of the wire form over the SMTP limit."""
    return [
        f"line {n} of the MIME message is {len(line)} characters (> {MAX_LINE})"
        for n, line in enumerate(raw.split(b"\r\n"), start=1)
        if len(line) > MAX_LINE
    ]


def _without(content: str, values: Iterable[str]) -> str:
    # Sample values may hold template syntax on purpose; only the templates' own output counts.
    for value in sorted(set(values), key=len, reverse=True):
        content = content.replace(value, "")
    return content


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class _Page(HTMLParser):
    """The few facts the rules need from an HTML part."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.dir: str | None = None
        self.links: list[str] = []
        self.images_without_alt: list[str] = []

    @classmethod
    def parse(cls, source: str) -> _Page:
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
