"""Per-recipient values as templates see them.

In a skeleton render (``sender.render``) a value is a ``Token``: it prints as its token and
refuses any other use. In a full render it is a ``Value``, an ordinary string. Either way an
HTML template prints it between two marks, which ``sender.render.isolate_values`` turns into
``<span dir="auto">`` where the value is text and drops elsewhere.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

# Printable characters: MRML writes others in attributes as Rust escapes. In a value they are
# written as character references, so a value cannot close its own mark.
OPEN, CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧


def unmarked(html: str) -> str:
    """``html`` without marks."""
    return html.replace(OPEN, "").replace(CLOSE, "")


def html_escaped(value: str) -> str:
    """A per-recipient value escaped for HTML, marks included."""
    return str(escape(value)).replace(OPEN, "&#10214;").replace(CLOSE, "&#10215;")


def html_value(value: str) -> str:
    """A per-recipient value as an HTML template prints it: escaped, between marks."""
    return f"{OPEN}{html_escaped(value)}{CLOSE}"


class Transformed(Exception):
    """A template did more with a per-recipient value than print it or test it."""


def _refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
    raise Transformed("a template computes with a per-recipient value")


class Token:
    """A per-recipient value in a skeleton render: prints as its token (marked, where HTML),
    is true, and refuses everything else (filters, slices, comparisons, attributes...), which
    sends the email's shape to a full render."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __html__(self) -> str:
        return f"{OPEN}{self.token}{CLOSE}"

    def __bool__(self) -> bool:
        return True

    __str__ = __format__ = __getattr__ = __getitem__ = __len__ = __iter__ = _refuse
    __contains__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _refuse
    __add__ = __radd__ = __mul__ = __rmul__ = __mod__ = __rmod__ = _refuse
    __int__ = __float__ = __index__ = __round__ = _refuse


class Value(str):
    """A per-recipient value in a full render: an ordinary string, printed marked in HTML.
    Any computation with it gives a plain string (unmarked, still escaped)."""

    __slots__ = ()

    def __html__(self) -> str:
        return html_value(str(self))


def as_text(value: Any) -> Any:
    """``value`` for %-formatting into text: a token as its token, anything else as it is."""
    return value.token if isinstance(value, Token) else value
