"""Rules on the encoded MIME message, the bytes SES sends."""

from __future__ import annotations

from collections.abc import Iterator

from sendertools.check.context import EmailContext
from sendertools.check.finding import Finding

# Gmail clips a message whose encoded source is over ~102 KB; warn well before.
CLIP_BYTES = 102 * 1024
WARN_BYTES = 80 * 1024
MAX_LINE = 998  # RFC 5322, without the CRLF


def mime_size(ctx: EmailContext) -> Iterator[Finding]:
    """An error over Gmail's clip, a warning close to it."""
    size = len(ctx.raw)
    if size > CLIP_BYTES:
        message = f"{size} bytes encoded: Gmail clips over {CLIP_BYTES}"
        yield ctx.finding("error", "mime_size", ctx.folder, message)
    elif size > WARN_BYTES:
        message = f"{size} bytes encoded: close to Gmail's clip at {CLIP_BYTES}"
        yield ctx.finding("warning", "mime_size", ctx.folder, message)


def mime_line(ctx: EmailContext) -> Iterator[Finding]:
    """An error for every line of the wire form over the SMTP limit."""
    for message in long_lines(ctx.raw):
        yield ctx.finding("error", "mime_line", ctx.folder, message)


def long_lines(raw: bytes) -> list[str]:
    """A message for each line of the wire form over the SMTP limit."""
    return [
        f"line {n} of the MIME message is {len(line)} characters (> {MAX_LINE})"
        for n, line in enumerate(raw.split(b"\r\n"), start=1)
        if len(line) > MAX_LINE
    ]
