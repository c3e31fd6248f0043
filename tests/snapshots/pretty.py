"""A deterministic, reviewable form of a rendered email: subject, preheader, text and the HTML
pretty-printed one tag per line."""

from __future__ import annotations

from html.parser import HTMLParser

from sender.render import RenderedEmail

VOID = frozenset({"br", "img", "meta", "link", "hr", "input", "col", "area", "base", "source"})
INDENT = "  "


class _Pretty(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.lines: list[str] = []
        self.depth = 0
        self.text: list[str] = []

    def _emit(self, text: str) -> None:
        self.flush()
        self.lines.append(INDENT * self.depth + text)

    def flush(self) -> None:
        """Write the text run collected since the last tag, one source line per line."""
        run, self.text = "".join(self.text), []
        for line in run.splitlines():
            if line.strip():
                self.lines.append(INDENT * self.depth + line.strip())

    def handle_decl(self, decl: str) -> None:
        self._emit(f"<!{decl}>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit(self.get_starttag_text() or f"<{tag}>")
        if tag not in VOID:
            self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit(self.get_starttag_text() or f"<{tag} />")

    def handle_endtag(self, tag: str) -> None:
        self.flush()
        if tag not in VOID:
            self.depth = max(0, self.depth - 1)
        self._emit(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        for line in f"<!--{data}-->".splitlines():
            if line.strip():
                self._emit(line.strip())


def pretty_html(source: str) -> str:
    """One tag or text run per line, indented by nesting depth."""
    parser = _Pretty()
    parser.feed(source)
    parser.close()
    parser.flush()
    return "\n".join(parser.lines) + "\n"


def document(email: RenderedEmail) -> str:
    """Everything a reviewer needs to see of one email, in one text document."""
    return (
        f"Subject: {email.subject}\n"
        f"Preheader: {email.preheader}\n"
        f"\n===== text/plain =====\n{email.text}"
        f"\n===== text/html =====\n{pretty_html(email.html)}"
    )
