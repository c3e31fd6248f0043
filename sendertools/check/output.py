"""Rules on what the templates put in the email: no template syntax left, the page's
language, alt text, the subject and the preheader."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from markupsafe import escape

from sender.i18n import LocaleInfo
from sendertools.check.context import EmailContext
from sendertools.check.finding import Finding

LEFTOVERS = ("<mj-", "</mj-", "{{", "{%", "{#")
MAX_SUBJECT = 78


def leftover(ctx: EmailContext) -> Iterator[Finding]:
    """An error for MJML or Jinja syntax in any part, the sample's own values aside."""
    values = list(ctx.values)
    email, folder = ctx.email, ctx.folder
    parts = {
        f"{folder}/body.mjml": _without(email.html, [str(escape(v)) for v in values] + values),
        f"{folder}/body.txt": _without(email.text, values),
        f"{folder}/subject.txt": _without(email.subject, values),
        f"{folder}/preheader.txt": _without(email.preheader, values),
    }
    for file, content in parts.items():
        for marker in LEFTOVERS:
            if marker in content:
                message = f"template syntax {marker!r} left in the output"
                yield ctx.finding("error", "leftover", file, message)


def lang(ctx: EmailContext) -> Iterator[Finding]:
    """An error unless ``<html>`` declares the email's locale and its writing direction."""
    file = f"{ctx.folder}/body.mjml"
    page = ctx.page
    if page.lang != ctx.locale:
        message = f"<html lang={page.lang!r}>, expected {ctx.locale!r}"
        yield ctx.finding("error", "lang", file, message)
    expected = LocaleInfo(ctx.locale).direction
    if page.dir != expected:
        yield ctx.finding("error", "lang", file, f"<html dir={page.dir!r}>, expected {expected!r}")


def img_alt(ctx: EmailContext) -> Iterator[Finding]:
    """An error for every image without alt text (blocked images show only that)."""
    for src in ctx.page.images_without_alt:
        message = f"<img src={src!r}> has no alt text"
        yield ctx.finding("error", "img_alt", f"{ctx.folder}/body.mjml", message)


def subject_length(ctx: EmailContext) -> Iterator[Finding]:
    """A warning for a subject longer than an inbox line shows."""
    subject = ctx.email.subject
    if len(subject) > MAX_SUBJECT:
        message = f"subject is {len(subject)} characters (> {MAX_SUBJECT})"
        yield ctx.finding("warning", "subject_length", f"{ctx.folder}/subject.txt", message)


def preheader(ctx: EmailContext) -> Iterator[Finding]:
    """A warning for an empty preheader (the inbox shows the body's first words instead)."""
    if not ctx.email.preheader:
        file = f"{ctx.folder}/preheader.txt"
        yield ctx.finding("warning", "preheader", file, "the preheader is empty")


def _without(content: str, values: Iterable[str]) -> str:
    # Sample values may hold template syntax on purpose; only the templates' own output counts.
    for value in sorted(set(values), key=len, reverse=True):
        content = content.replace(value, "")
    return content
