"""The email's HTML as the preview frame shows it, in one of three colour modes.

- ``light``: the ``prefers-color-scheme: dark`` rules removed, as a light-mode client shows it
  whatever the viewer's own system setting.
- ``dark``: those rules unwrapped (applied unconditionally), as Apple Mail or Outlook show it
  in dark mode, without needing the browser itself in dark mode.
- ``invert``: the light version; the page inverts the whole frame with a CSS filter the way
  Gmail's apps force dark mode, and this re-inverts images so they keep their colours.

The HTML is otherwise the exact bytes the Lambda sends; links open nowhere (no request
leaves the machine from inside the frame).
"""

from __future__ import annotations

import re

MODES = ("light", "dark", "invert")
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.S | re.I)
_MEDIA = re.compile(r"@media\b([^{]*)\{", re.I)
_DARK = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.I)
_HEAD_END = re.compile(r"</head\s*>", re.I)
# The same filter the page puts on the frame: applied twice, an image is back to normal.
INVERT_FILTER = "invert(1) hue-rotate(180deg)"


def for_mode(html: str, mode: str) -> str:
    """The email HTML prepared for ``mode`` (one of ``MODES``)."""
    if mode not in MODES:
        raise ValueError(f"unknown colour mode {mode!r}; have {', '.join(MODES)}")
    dark = mode == "dark"
    html = _STYLE.sub(lambda m: m.group(1) + _rewrite(m.group(2), dark=dark) + m.group(3), html)
    extra = '<base target="_blank">'
    if mode == "invert":
        extra += f"<style>img, picture, video {{ filter: {INVERT_FILTER}; }}</style>"
    return _inject(html, extra)


def dark_rules(css: str) -> str:
    """The rules inside every ``@media (prefers-color-scheme: dark)`` block of ``css``."""
    return "".join(inner for prelude, inner in _media_blocks(css)[1] if _is_dark(prelude))


def _rewrite(css: str, *, dark: bool) -> str:
    outside, blocks = _media_blocks(css)
    out: list[str] = []
    for text, block in zip(outside, [*blocks, None], strict=True):
        out.append(text)
        if block is None:
            continue
        prelude, inner = block
        if not _DARK.search(prelude):
            out.append(f"@media{prelude}{{{inner}}}")
        elif dark:
            rest = _without_dark(prelude)
            out.append(inner if rest is None else f"@media {rest}{{{inner}}}")
    return "".join(out)


def _media_blocks(css: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Split ``css`` into the text between top-level ``@media`` blocks and the blocks."""
    outside: list[str] = []
    blocks: list[tuple[str, str]] = []
    pos = 0
    while (match := _MEDIA.search(css, pos)) is not None:
        depth, i = 1, match.end()
        while i < len(css) and depth:
            depth += {"{": 1, "}": -1}.get(css[i], 0)
            i += 1
        outside.append(css[pos : match.start()])
        blocks.append((match.group(1), css[match.end() : i - 1]))
        pos = i
    outside.append(css[pos:])
    return outside, blocks


def _is_dark(prelude: str) -> bool:
    return _DARK.search(prelude) is not None


def _without_dark(prelude: str) -> str | None:
    """The media query with the dark condition taken out; ``None`` when nothing is left."""
    queries = [q.strip() for q in prelude.split(",")]
    if any(_DARK.fullmatch(q) for q in queries):
        return None
    parts = [
        p for q in queries for p in re.split(r"\s+and\s+", q, flags=re.I) if not _DARK.fullmatch(p)
    ]
    return " and ".join(parts) or None


def _inject(html: str, extra: str) -> str:
    match = _HEAD_END.search(html)
    if match is None:
        return extra + html
    return html[: match.start()] + extra + html[match.start() :]
