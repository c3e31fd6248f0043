"""Rules on the HTML part's links: https only, on the origins of the email's brand, and every
one of them in the text part too (a reader of the text part must reach the same pages)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from sendertools.check.context import EmailContext
from sendertools.check.finding import Finding


def http_link(ctx: EmailContext) -> Iterator[Finding]:
    """An error for every plain-http link."""
    for link in ctx.page.links:
        if _scheme(link) == "http":
            yield ctx.finding(
                "error", "http_link", f"{ctx.folder}/body.mjml", f"{link!r} is not https"
            )


def link_origin(ctx: EmailContext) -> Iterator[Finding]:
    """An error for every https link off the allowed origins: the email's brand's website and
    ``allowed_origins``, and the alert's own links."""
    allowed = allowed_origins(ctx)
    for link in ctx.page.links:
        if _scheme(link) == "https" and _origin(link) not in allowed:
            message = f"{link!r} is not on an allowed origin {sorted(allowed)}"
            yield ctx.finding("error", "link_origin", f"{ctx.folder}/body.mjml", message)


def text_missing_link(ctx: EmailContext) -> Iterator[Finding]:
    """An error for every link (a mailto: by its address) of the HTML part that the text part
    does not carry; http links are left to ``http_link``."""
    text = ctx.email.text
    for link in ctx.page.links:
        scheme = _scheme(link)
        if scheme == "http":
            continue
        wanted = link[len("mailto:") :] if scheme == "mailto" else link
        if wanted not in text:
            message = f"{wanted!r} is in the HTML part only"
            yield ctx.finding("error", "text_missing_link", f"{ctx.folder}/body.txt", message)


def allowed_origins(ctx: EmailContext) -> set[str]:
    """The origins an email may link to (its brand's, and the alert's own links)."""
    brand = ctx.settings
    allowed = set(brand.allowed_origins) | {_origin(str(brand.values["website_url"]))}
    alert = ctx.model.get("alert") or {}
    allowed |= {_origin(u) for u in (alert.get("link_was_me"), alert.get("link_not_me")) if u}
    return allowed


def _scheme(link: str) -> str:
    return urlsplit(link).scheme.lower()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
