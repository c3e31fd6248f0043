"""Rules on the locale catalogs: every string a template uses is translated, and no
translation carries markup."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sender.render import PARTS
from sendertools.check.context import EmailContext, FolderContext, translated_catalogs
from sendertools.check.finding import Finding

# Markup in a catalog string. Translations are text (the HTML part escapes them), so no markup
# is allowed at all: it would be shown as code, and in a catalog it is the sign of a mistake or
# of tampering (a <script>, a 1x1 tracking <img>, a <form>, a CSS url(), an on*= handler, a
# javascript: link). Character references count too: escaped, they would show as typed.
CATALOG_MARKUP = re.compile(
    r"<\s*/?\s*[A-Za-z!?][^<>]{0,200}>?"
    r"|\burl\s*\("
    r"|\bexpression\s*\("
    r"|\bon[a-z]+\s*="
    r"|\b(?:java|vb)script\s*:"
    r"|&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);",
    re.I,
)


def untranslated_in_catalogs(ctx: FolderContext) -> Iterator[Finding]:
    """An error for every string a template uses that a locale does not translate, once per
    locale and string."""
    for (locale, msgid), (po, _) in sorted(ctx.untranslated.items()):
        message = f"no {locale} translation for {msgid!r}"
        yield Finding("error", "untranslated", po, message, None, locale)


def untranslated_in_email(ctx: EmailContext) -> Iterator[Finding]:
    """An error for every untranslated string this email's templates (its kind's parts or the
    layout) use in its locale: English is sent in its place."""
    used = {f"{ctx.folder}/{p}" for p in PARTS}
    for (locale, msgid), (po, files) in sorted(ctx.untranslated.items()):
        if locale == ctx.locale and (files & used or any(f.startswith("layout/") for f in files)):
            message = f"no {locale} translation for {msgid!r}: English is sent"
            yield ctx.finding("error", "untranslated", po, message)


def catalog_markup(ctx: FolderContext) -> Iterator[Finding]:
    """An error for every piece of markup in a catalog's strings (msgid or msgstr, plural
    forms and fuzzy entries included: fuzzy ones are compiled too), naming the catalog, the
    msgid and the markup."""
    for locale, rel, catalog in translated_catalogs(ctx.workbench):
        for entry in catalog:
            if not entry.id:
                continue  # the header
            msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
            ids = (entry.id,) if isinstance(entry.id, str) else tuple(entry.id)
            value = entry.string or ""
            strings = (value,) if isinstance(value, str) else tuple(value)
            for field, texts in (("msgid", ids), ("msgstr", strings)):
                found = sorted({m.group(0) for t in texts for m in CATALOG_MARKUP.finditer(t)})
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
