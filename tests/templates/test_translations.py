"""Translations are text: whatever a catalog's msgstr holds reaches the HTML part escaped, on
every path a translation takes (``_()``, ``{% trans %}`` with plurals, a macro's result), and
the shipped templates keep markup out of their msgids."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sender.mime import to_bytes
from sendertools.samples import Workbench
from tests.conftest import parse_mime, parts

WB = Workbench(DEFAULT_TEMPLATES_DIR)


def set_msgstr(templates: Path, locale: str, msgid: str, msgstr: str, index: int = 0) -> None:
    """Change one translation (plural form ``index``) in a catalog and compile it."""
    po = templates / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    entry = catalog[msgid]
    assert entry is not None, msgid
    if isinstance(entry.string, tuple | list):
        strings = list(entry.string)
        strings[index] = msgstr
        entry.string = tuple(strings)
    else:
        entry.string = msgstr
    with po.open("wb") as fh:
        write_po(fh, catalog, width=100)
    compile_catalog(templates, locale)


def compile_catalog(templates: Path, locale: str) -> None:
    """The locale's .mo from its .po (``make compile``), newer than it as the Lambda wants."""
    po = templates / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    with po.with_suffix(".mo").open("wb") as fh:
        write_mo(fh, catalog, use_fuzzy=True)


def test_markup_in_a_translation_reaches_the_html_as_text(templates_copy: Path) -> None:
    # _() in a kind's body, {% trans %} with a plural in a macro, and the greeting macro.
    set_msgstr(templates_copy, "de", "Was this you?", "<script>alert(1)</script>Waren Sie das?")
    tracker = '<img src="https://t.example/p.gif">'
    set_msgstr(templates_copy, "de", "%(count)s day", f"{tracker}%(count)s Tag")
    set_msgstr(templates_copy, "de", "Hello %(name)s,", '<b onmouseover="x()">Hallo</b> %(name)s,')
    wb = Workbench(templates_copy)
    sent = {}
    for kind in (EmailKind.SECURITY_ALERT, EmailKind.CONFIRM_SIGNUP):
        text, body = parts(
            parse_mime(to_bytes(wb.compose(wb.sample(kind, "default"), "de").message))
        )
        sent[kind] = (text.replace("\r\n", "\n"), body)
        tags = set(re.findall(r"<([a-zA-Z][\w-]*)", body))
        assert tags.isdisjoint({"script", "b"}), tags
        assert "t.example" not in "".join(re.findall(r"<img\b[^>]*>", body))
        assert re.search(r"<[^>]*onmouseover", body) is None
        assert '&lt;b onmouseover="x()"&gt;Hallo&lt;/b&gt; ' in body
    alert_text, alert_body = sent[EmailKind.SECURITY_ALERT]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Waren Sie das?" in alert_body
    assert '&lt;img src="https://t.example/p.gif"&gt;1 Tag' in sent[EmailKind.CONFIRM_SIGNUP][1]
    # The text part is text either way: what the translator wrote, nothing interpreted.
    assert "<script>alert(1)</script>Waren Sie das?" in alert_text


def test_the_footer_link_is_the_templates_not_the_catalogs() -> None:
    for locale in WB.catalogs.locales:
        body = WB.compose(WB.sample(EmailKind.VERIFY_EMAIL, "default"), locale).email.html
        assert body.count('href="mailto:support@example.com"') == 1, locale
    for po in DEFAULT_TEMPLATES_DIR.glob("locales/*/LC_MESSAGES/messages.po"):
        text = po.read_text(encoding="utf-8")
        assert "<a " not in text and "href=" not in text, po
